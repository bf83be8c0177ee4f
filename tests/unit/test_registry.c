// SPDX-License-Identifier: GPL-2.0
/*
 * The family registry: every record kind belongs to one family, with its
 * size as records.h has it; every event type but lost to one family; every
 * -t name resolves; each family has the hooks the engine calls; and a
 * family set keys its events as the capture code keys their records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/capture.h"
#include "engine/proc_table.h"
#include "engine/registry.h"
#include "engine/stream_join.h"

static const struct {
	uint16_t kind;
	size_t size;
} family_kinds[] = {
	{ IPCD_REC_PIPE_IO, sizeof(struct ipcd_pipe_io) },
	{ IPCD_REC_PIPE_RESYNC, sizeof(struct ipcd_pipe_resync) },
	{ IPCD_REC_FIFO_PATH, sizeof(struct ipcd_fifo_path) },
	{ IPCD_REC_SIGNAL, sizeof(struct ipcd_signal) },
	{ IPCD_REC_UNIX_IO, sizeof(struct ipcd_unix_io) },
	{ IPCD_REC_UNIX_NAME, sizeof(struct ipcd_unix_name) },
	{ IPCD_REC_PASSED_FD, sizeof(struct ipcd_passed_fd) },
	{ IPCD_REC_UNIX_CONN, sizeof(struct ipcd_unix_conn) },
	{ IPCD_REC_INET_IO, sizeof(struct ipcd_inet_io) },
	{ IPCD_REC_INET_CONN, sizeof(struct ipcd_inet_conn) },
	{ IPCD_REC_PTY_IO, sizeof(struct ipcd_pty_io) },
	{ IPCD_REC_MQ_IO, sizeof(struct ipcd_mq_io) },
	{ IPCD_REC_MQ_OP, sizeof(struct ipcd_mq_op) },
	{ IPCD_REC_SHM_OP, sizeof(struct ipcd_shm_op) },
	{ IPCD_REC_FUTEX, sizeof(struct ipcd_futex) },
	{ IPCD_REC_SEMOP, sizeof(struct ipcd_semop) },
};
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* How many families list the kind. */
static int families_with_kind(uint16_t kind)
{
	int n = 0;

	for (size_t i = 0; i < ipcd_family_count; i++)
		for (const struct ipcd_family_record *rk = ipcd_families[i]->records; rk && rk->kind; rk++)
			n += rk->kind == kind;
	return n;
}

static void test_every_record_kind_once_with_its_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < COUNT_OF(family_kinds); i++) {
		const struct ipcd_family_record *rk = ipcd_family_record_of(family_kinds[i].kind);

		assert_non_null(rk);
		assert_int_equal(families_with_kind(family_kinds[i].kind), 1);
		assert_int_equal(rk->min_size, family_kinds[i].size);
		assert_non_null(rk->name);
		assert_non_null(rk->on_record);
	}
	/* the engine's own kinds are no family's */
	assert_null(ipcd_family_record_of(IPCD_REC_PROC));
	assert_null(ipcd_family_record_of(IPCD_REC_SCHEMA));
	assert_null(ipcd_family_record_of(IPCD_REC_TREE));
	/* and a family lists no kind this table lacks */
	for (size_t i = 0; i < ipcd_family_count; i++) {
		for (const struct ipcd_family_record *rk = ipcd_families[i]->records; rk && rk->kind; rk++) {
			bool known = false;

			/* the family set and the capture schema index kinds below 256 */
			assert_true(rk->kind > 0 && rk->kind < 256);
			for (size_t k = 0; k < COUNT_OF(family_kinds); k++)
				known |= family_kinds[k].kind == rk->kind;
			assert_true(known);
		}
	}
}

static void test_every_event_type_but_lost_in_one_family(void **state)
{
	(void)state;
	for (uint32_t type = 0; type < IPCD_TYPE_COUNT; type++) {
		int owners = 0;

		for (size_t i = 0; i < ipcd_family_count; i++)
			owners += (ipcd_families[i]->types & IPCD_TYPE_BIT(type)) != 0;
		assert_int_equal(owners, type == IPCD_TYPE_LOST ? 0 : 1);
		if (type != IPCD_TYPE_LOST)
			assert_true(ipcd_family_of_type(type)->types & IPCD_TYPE_BIT(type));
	}
	assert_null(ipcd_family_of_type(IPCD_TYPE_LOST));
}

static void test_every_alias_resolves(void **state)
{
	(void)state;
	for (size_t i = 0; i < ipcd_family_count; i++) {
		const struct ipcd_family *f = ipcd_families[i];

		assert_non_null(f->aliases);
		assert_non_null(f->aliases[0].long_name);
		for (const struct ipcd_type_alias *a = f->aliases; a->long_name; a++) {
			assert_int_not_equal(a->types, 0);
			/* a family's names select its own types only */
			assert_int_equal(a->types & ~f->types, 0);
			assert_int_equal(ipcd_parse_type(a->short_name), a->types);
			assert_int_equal(ipcd_parse_type(a->long_name), a->types);
			if (a->other_name)
				assert_int_equal(ipcd_parse_type(a->other_name), a->types);
		}
	}
	assert_int_equal(ipcd_parse_type("a"), ipcd_all_types());
	assert_int_equal(ipcd_parse_type("all"), ipcd_all_types());
}

/* Each name once among all the -t names, abbreviations included. */
static void test_alias_names_are_unique(void **state)
{
	const char *names[IPCD_TYPE_NAMES_MAX];
	size_t n = ipcd_type_alias_names(names, COUNT_OF(names), true);

	(void)state;
	assert_true(n > ipcd_family_count);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(names[i], names[j]);
}

static void test_names_ranks_are_a_permutation(void **state)
{
	(void)state;
	for (size_t rank = 0; rank < ipcd_family_count; rank++) {
		int n = 0;

		for (size_t i = 0; i < ipcd_family_count; i++)
			n += ipcd_families[i]->names_rank == rank;
		assert_int_equal(n, 1);
	}
}

static void test_each_family_has_its_hooks(void **state)
{
	(void)state;
	for (size_t i = 0; i < ipcd_family_count; i++) {
		const struct ipcd_family *f = ipcd_families[i];

		assert_non_null(f->name);
		assert_non_null(f->new);
		assert_non_null(f->free);
		assert_non_null(f->records);
		assert_int_not_equal(f->records[0].kind, 0);
		assert_int_not_equal(f->types, 0);
		assert_int_equal(f->lifecycle_types & ~f->types, 0);
		/* what is pending has to go out at the end */
		assert_true(!f->expire || f->flush);
		assert_int_not_equal(f->collector, IPCD_COLL_PROC);
		assert_true(f->collector < IPCD_COLL_MAX);
		assert_ptr_equal(ipcd_family_of_collector(f->collector), f);
		assert_int_equal(strncmp(f->prog_prefix, "ipcd_", 5), 0);
		assert_int_equal(f->prog_prefix[strlen(f->prog_prefix) - 1], '_');
	}
	assert_null(ipcd_family_of_collector(IPCD_COLL_PROC));
}

/* ---- a family set --------------------------------------------------------- */

struct seen {
	size_t count;
	struct ipcd_event last;
};

static void remember(void *ctx, const struct ipcd_event *e)
{
	struct seen *s = ctx;

	s->count++;
	s->last = *e;
	s->last.payload = NULL;
}

static bool no_read_offset(void *ctx, const struct ipcd_pipe_key *key, uint64_t *r_off)
{
	(void)ctx;
	(void)key;
	(void)r_off;
	return false;
}

struct run {
	struct seen seen;
	struct stream_join *streams;
	struct proc_table *procs;
	struct ipcd_family_set *set;
};

static void run_open(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->streams = stream_join_new(remember, &r->seen);
	r->procs = proc_table_new();
	assert_non_null(r->streams);
	assert_non_null(r->procs);
	r->set = ipcd_family_set_new(&(struct ipcd_family_env){
		.emit = remember, .emit_ctx = &r->seen, .procs = r->procs, .streams = r->streams,
		.pipe_read_offset = no_read_offset,
	});
	assert_non_null(r->set);
}

static void run_close(struct run *r)
{
	ipcd_family_set_free(r->set);
	stream_join_free(r->streams);
	proc_table_free(r->procs);
}

static void test_engine_records_are_not_dispatched(void **state)
{
	struct run r;
	struct ipcd_proc proc = { .hdr = { .kind = IPCD_REC_PROC, .size = sizeof(proc) } };
	struct ipcd_record_header unknown = { .kind = 200, .size = sizeof(unknown) };

	(void)state;
	run_open(&r);
	assert_false(ipcd_family_set_dispatch(r.set, &proc, sizeof(proc)));
	assert_false(ipcd_family_set_dispatch(r.set, &unknown, sizeof(unknown)));
	run_close(&r);
}

/* A signal is an event at once, keyed as the capture code keys its record. */
static void test_a_signal_keys_as_its_record(void **state)
{
	struct run r;
	struct ipcd_signal sig = {
		.hdr = { .kind = IPCD_REC_SIGNAL, .size = sizeof(sig), .ts_ns = 123456789 },
		.src = { .pid = 10, .tid = 10 }, .dst = { .pid = 11, .tid = 11 }, .sig = 15,
	};
	uint64_t key = 0;

	(void)state;
	run_open(&r);
	assert_true(ipcd_family_set_dispatch(r.set, &sig, sizeof(sig)));
	assert_int_equal(r.seen.count, 1);
	assert_int_equal(r.seen.last.type, IPCD_TYPE_SIGNAL);
	assert_true(capture_record_channel(&sig, sizeof(sig), &key));
	assert_int_equal(r.seen.last.chan_key, key);
	/* a record shorter than its kind is damaged: skipped */
	assert_true(ipcd_family_set_dispatch(r.set, &sig, sizeof(sig) - 1));
	assert_int_equal(r.seen.count, 1);
	run_close(&r);
}

/* A pipe write never read comes out at the flush, keyed as its record. */
static void test_an_unread_pipe_write_keys_as_its_record(void **state)
{
	struct run r;
	struct ipcd_pipe_io w = {
		.hdr = { .kind = IPCD_REC_PIPE_IO, .size = sizeof(w), .ts_ns = 1000 },
		.task = { .pid = 20, .tid = 20 }, .ino = 4242, .dev = 12, .dir = IPCD_PIPE_WRITE,
		.offset = 0, .bytes = 5, .fd = 1,
	};
	uint64_t key = 0;

	(void)state;
	run_open(&r);
	assert_true(ipcd_family_set_dispatch(r.set, &w, sizeof(w)));
	assert_int_equal(r.seen.count, 0);
	ipcd_family_set_flush(r.set);
	assert_int_equal(r.seen.count, 1);
	assert_int_equal(r.seen.last.type, IPCD_TYPE_PIPE);
	assert_true(capture_record_channel(&w, sizeof(w), &key));
	assert_int_equal(r.seen.last.chan_key, key);
	assert_int_equal(ipcd_family_set_dropped(r.set), 0);
	run_close(&r);
}

/* Every type has its own printed name, given by the family that makes it; so has every collector. */
static void test_every_type_and_collector_has_its_own_name(void **state)
{
	(void)state;
	for (int a = 0; a < IPCD_TYPE_COUNT; a++) {
		assert_string_not_equal(ipcd_type_name(a), "unknown");
		for (int b = 0; b < a; b++)
			assert_string_not_equal(ipcd_type_name(a), ipcd_type_name(b));
	}
	assert_string_equal(ipcd_type_name(IPCD_TYPE_UNIX_CONN), "unix-conn");
	assert_string_equal(ipcd_type_name(IPCD_TYPE_LOOPBACK_TCP_CONN), "loopback-tcp-conn");
	assert_string_equal(ipcd_type_name(IPCD_TYPE_COUNT), "unknown");
	for (int a = 0; a < IPCD_COLL_MAX; a++)
		assert_string_not_equal(ipcd_collector_name(a), "unknown");
	assert_string_equal(ipcd_collector_name(IPCD_COLL_INET), "loopback");
	assert_string_equal(ipcd_collector_name(IPCD_COLL_PROC), "process");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_record_kind_once_with_its_size),
		cmocka_unit_test(test_every_event_type_but_lost_in_one_family),
		cmocka_unit_test(test_every_alias_resolves),
		cmocka_unit_test(test_alias_names_are_unique),
		cmocka_unit_test(test_names_ranks_are_a_permutation),
		cmocka_unit_test(test_each_family_has_its_hooks),
		cmocka_unit_test(test_engine_records_are_not_dispatched),
		cmocka_unit_test(test_a_signal_keys_as_its_record),
		cmocka_unit_test(test_an_unread_pipe_write_keys_as_its_record),
		cmocka_unit_test(test_every_type_and_collector_has_its_own_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
