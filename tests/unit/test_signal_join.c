/* SPDX-License-Identifier: GPL-2.0 */
/* The signal join: one record, one event; a failed signal's target named from the process table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <signal.h>
#include "engine/proc_table.h"
#include "families/signal_join.h"
#include "join_sink.h"

struct fixture {
	struct sink sink;
	struct proc_table *procs;
	struct signal_join *join;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->procs = proc_table_new();
	f->join = f->procs ? signal_join_new(sink_collect, &f->sink, f->procs) : NULL;
	if (!f->join) {
		proc_table_free(f->procs);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	signal_join_free(f->join);
	proc_table_free(f->procs);
	sink_free(&f->sink);
	free(f);
	return 0;
}

static struct ipcd_signal signal_record(uint64_t ts, uint32_t src, const char *src_comm, uint32_t dst,
					const char *dst_comm, int sig)
{
	struct ipcd_signal rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_SIGNAL;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ts;
	task_set(&rec.src, src, src_comm);
	task_set(&rec.dst, dst, dst_comm);
	rec.sig = sig;
	rec.result = IPCD_SIG_DELIVERED;
	return rec;
}

/* A process the table knows alive, as the process collector reports a fork. */
static void process_alive(struct fixture *f, uint32_t pid, const char *comm)
{
	struct ipcd_proc rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_PROC;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = 1;
	task_set(&rec.task, pid, comm);
	rec.event = IPCD_PROC_FORK;
	proc_table_record(f->procs, &rec);
}

static void test_one_record_is_one_event_with_everything_copied(void **state)
{
	struct fixture *f = *state;
	struct ipcd_signal rec = signal_record(5000, 10, "killer", 20, "victim", SIGUSR1);
	const struct ipcd_event *e;

	rec.code = -1;  /* SI_QUEUE */
	rec.sig_flags = IPCD_SIGF_HAS_VALUE | IPCD_SIGF_GROUP;
	rec.value = 4242;
	signal_join_record(f->join, &rec);
	assert_int_equal(f->sink.count, 1);
	e = &f->sink.events[0];
	assert_int_equal(e->type, IPCD_TYPE_SIGNAL);
	assert_int_equal(e->ts_ns, 5000);
	assert_int_equal(e->chan_key, 5000);  /* each signal is its own channel, keyed as its record */
	assert_endpoint(&e->src, 10, "killer");
	assert_endpoint(&e->dst, 20, "victim");
	assert_int_equal(e->sig, SIGUSR1);
	assert_int_equal(e->code, -1);
	assert_int_equal(e->result, IPCD_SIG_DELIVERED);
	assert_int_equal(e->sig_flags, IPCD_SIGF_HAS_VALUE | IPCD_SIGF_GROUP);
	assert_int_equal(e->value, 4242);
	assert_int_equal(e->src_fd, -1);
	assert_int_equal(e->dst_fd, -1);
	assert_int_equal(e->bytes, 0);
	assert_int_equal(e->payload_len, 0);
	assert_false(e->flags & IPCD_EF_HAS_LATENCY);
}

static void test_a_kernel_signal_keeps_its_kernel_source(void **state)
{
	struct fixture *f = *state;
	struct ipcd_signal rec = signal_record(7, 0, IPCD_KERNEL_COMM, 30, "child", SIGCHLD);

	rec.sig_flags = IPCD_SIGF_KERNEL;
	signal_join_record(f->join, &rec);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(f->sink.events[0].src.pid, 0);
	assert_string_equal(f->sink.events[0].src.comm, IPCD_KERNEL_COMM);
	assert_int_equal(f->sink.events[0].sig_flags, IPCD_SIGF_KERNEL);
}

static void test_a_failed_signal_names_a_live_target_from_the_table(void **state)
{
	struct fixture *f = *state;
	struct ipcd_signal rec = signal_record(9, 10, "killer", 40, "", SIGTERM);

	process_alive(f, 40, "sleeper");
	rec.result = IPCD_SIG_FAILED;
	rec.error = -1;  /* -EPERM */
	signal_join_record(f->join, &rec);
	assert_int_equal(f->sink.count, 1);
	/* the pid its sender named, the name the table has; the parent is not known */
	assert_int_equal(f->sink.events[0].dst.pid, 40);
	assert_string_equal(f->sink.events[0].dst.comm, "sleeper");
	assert_int_equal(f->sink.events[0].dst.ppid, -1);
	assert_int_equal(f->sink.events[0].result, IPCD_SIG_FAILED);
	assert_int_equal(f->sink.events[0].error, -1);
}

static void test_a_failed_signal_to_no_process_has_no_target(void **state)
{
	struct fixture *f = *state;
	struct ipcd_signal rec = signal_record(11, 10, "killer", 0, "", SIGTERM);

	rec.result = IPCD_SIG_FAILED;
	rec.error = -3;  /* -ESRCH */
	signal_join_record(f->join, &rec);
	assert_int_equal(f->sink.count, 1);
	assert_endpoint_unknown(&f->sink.events[0].dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_record_is_one_event_with_everything_copied, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_kernel_signal_keeps_its_kernel_source, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_failed_signal_names_a_live_target_from_the_table, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_a_failed_signal_to_no_process_has_no_target, fixture_setup,
						fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
