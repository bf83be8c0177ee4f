// SPDX-License-Identifier: GPL-2.0
/*
 * The shared-memory join, fed with records as the shm collector sends
 * them: who creates, maps, unmaps and removes which object, with the
 * processes sharing it after each change; a futex wake paired with the
 * waits it ended on the same object and offset; a SysV semaphore release
 * paired with the semop wait it ended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "join_sink.h"
#include "families/shm_events.h"

#define MAX_AGE 1000000000ull

#define SEG_INO 100
#define SEG_DEV 1
#define SEG_KEY 0x42
#define SEG_ID 5
#define SEG_NAME "SYSV00000042"
#define SEG_SIZE 4096

struct fixture {
	struct sink sink;
	struct shm_events *shm;
};

static int fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->shm = shm_events_new(sink_collect, &f->sink);
	if (!f->shm) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *f = *state;

	shm_events_free(f->shm);
	sink_free(&f->sink);
	free(f);
	return 0;
}

static const struct ipcd_event *last_event(const struct fixture *f)
{
	assert_true(f->sink.count > 0);
	return &f->sink.events[f->sink.count - 1];
}

/* ---- who maps what ------------------------------------------------------- */

static struct ipcd_shm_op *op_rec(uint32_t op, uint32_t pid, const char *comm, uint64_t ino, const char *name,
				  uint64_t ts)
{
	struct ipcd_shm_op *r = record_new(IPCD_REC_SHM_OP, sizeof(*r), NULL, 0, ts);

	task_set(&r->task, pid, comm);
	r->op = op;
	r->obj.ino = ino;
	r->obj.dev = ino ? SEG_DEV : 0;
	r->id = -1;
	if (name)
		memcpy(r->name, name, strnlen(name, sizeof(r->name)));
	return r;
}

static void feed_op(struct fixture *f, struct ipcd_shm_op *r)
{
	shm_events_op(f->shm, r);
	free(r);
}

/* pid attaches the SysV segment (shmat). */
static void sysv_attach(struct fixture *f, uint32_t pid, const char *comm, uint64_t addr, uint64_t ts)
{
	struct ipcd_shm_op *r = op_rec(IPCD_SHMOP_ATTACH, pid, comm, SEG_INO, SEG_NAME, ts);

	r->sysv = 1;
	r->id = SEG_ID;
	r->size = SEG_SIZE;
	r->addr = addr;
	feed_op(f, r);
}

static void sysv_detach(struct fixture *f, uint32_t pid, const char *comm, uint64_t ts)
{
	struct ipcd_shm_op *r = op_rec(IPCD_SHMOP_DETACH, pid, comm, SEG_INO, SEG_NAME, ts);

	r->sysv = 1;
	r->id = SEG_ID;
	feed_op(f, r);
}

static void assert_sharers(const struct ipcd_event *e, size_t n, const uint32_t *pids)
{
	assert_int_equal(e->shm_nsharers, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e->shm_sharers[i], pids[i]);
}

static void test_shmget_names_key_and_id(void **state)
{
	struct fixture *f = *state;
	struct ipcd_shm_op *r = op_rec(IPCD_SHMOP_SHMGET, 10, "creator", 0, NULL, 100);
	const struct ipcd_event *e;

	r->key = SEG_KEY;
	r->id = SEG_ID;
	r->size = SEG_SIZE;
	r->sysv = 1;
	feed_op(f, r);

	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->type, IPCD_TYPE_SHM);
	assert_int_equal(e->ts_ns, 100);
	assert_int_equal(e->shm_op, IPCD_SHMOP_SHMGET);
	assert_endpoint(&e->src, 10, "creator");
	assert_endpoint_unknown(&e->dst);
	assert_true(e->shm_sysv);
	assert_true(e->shm_has_key);
	assert_int_equal(e->shm_key, SEG_KEY);
	assert_int_equal(e->shm_id, SEG_ID);
	assert_int_equal(e->shm_size, SEG_SIZE);
	assert_null(e->shm_name);
	assert_int_equal(e->chan_key, 0);
	assert_int_equal(e->shm_nsharers, 0);
}

static void test_attach_and_detach_list_the_sharers(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	sysv_attach(f, 10, "alice", 0x7f0000001000ull, 100);
	e = last_event(f);
	assert_int_equal(e->shm_op, IPCD_SHMOP_ATTACH);
	assert_endpoint(&e->src, 10, "alice");
	assert_string_equal(e->shm_name, SEG_NAME);
	assert_true(e->shm_sysv);
	/* the kernel names a SysV segment by its key */
	assert_true(e->shm_has_key);
	assert_int_equal(e->shm_key, SEG_KEY);
	assert_int_equal(e->shm_id, SEG_ID);
	assert_int_equal(e->shm_size, SEG_SIZE);
	assert_int_equal(e->shm_addr, 0x7f0000001000ull);
	assert_int_equal(e->chan_key, SEG_INO);
	assert_sharers(e, 1, (const uint32_t[]){ 10 });

	sysv_attach(f, 11, "bob", 0x7f0000002000ull, 200);
	assert_sharers(last_event(f), 2, (const uint32_t[]){ 10, 11 });
	/* alice maps it twice: she shares it until both are gone */
	sysv_attach(f, 10, "alice", 0x7f0000003000ull, 300);
	assert_sharers(last_event(f), 2, (const uint32_t[]){ 10, 11 });
	sysv_detach(f, 10, "alice", 400);
	e = last_event(f);
	assert_int_equal(e->shm_op, IPCD_SHMOP_DETACH);
	assert_int_equal(e->shm_id, SEG_ID);
	assert_int_equal(e->shm_size, SEG_SIZE);
	assert_sharers(e, 2, (const uint32_t[]){ 10, 11 });
	sysv_detach(f, 10, "alice", 500);
	assert_sharers(last_event(f), 1, (const uint32_t[]){ 11 });
	/* a process that exits shares nothing, however many mappings it had */
	sysv_attach(f, 11, "bob", 0x7f0000004000ull, 600);
	shm_events_exited(f->shm, 11);
	sysv_attach(f, 12, "carol", 0x7f0000005000ull, 700);
	assert_sharers(last_event(f), 1, (const uint32_t[]){ 12 });
	assert_int_equal(f->sink.count, 7);
}

/* IPC_RMID names the id only: the key comes from the segment's attach. */
static void test_remove_gets_the_key_from_the_attach(void **state)
{
	struct fixture *f = *state;
	struct ipcd_shm_op *r;
	const struct ipcd_event *e;

	sysv_attach(f, 10, "alice", 0x7f0000001000ull, 100);
	r = op_rec(IPCD_SHMOP_REMOVE, 10, "alice", 0, NULL, 200);
	r->sysv = 1;
	r->id = SEG_ID;
	feed_op(f, r);

	e = last_event(f);
	assert_int_equal(e->shm_op, IPCD_SHMOP_REMOVE);
	assert_int_equal(e->shm_id, SEG_ID);
	assert_true(e->shm_has_key);
	assert_int_equal(e->shm_key, SEG_KEY);
	assert_null(e->shm_name);

	/* another id: no key */
	r = op_rec(IPCD_SHMOP_REMOVE, 10, "alice", 0, NULL, 300);
	r->sysv = 1;
	r->id = SEG_ID + 1;
	feed_op(f, r);
	assert_false(last_event(f)->shm_has_key);
}

static void test_memfd_and_posix_objects(void **state)
{
	struct fixture *f = *state;
	struct ipcd_shm_op *r;
	const struct ipcd_event *e;

	r = op_rec(IPCD_SHMOP_MEMFD, 10, "alice", 200, "memfd:ring", 100);
	r->id = 7;
	feed_op(f, r);
	e = last_event(f);
	assert_int_equal(e->shm_op, IPCD_SHMOP_MEMFD);
	assert_string_equal(e->shm_name, "memfd:ring");
	assert_int_equal(e->shm_id, 7);
	assert_false(e->shm_sysv);
	assert_false(e->shm_has_key);
	assert_int_equal(e->chan_key, 200);

	r = op_rec(IPCD_SHMOP_ATTACH, 11, "bob", 300, "/dev/shm/x", 200);
	r->id = 4;   /* the descriptor mapped: an mmap names no shmid */
	r->size = 8192;
	feed_op(f, r);
	e = last_event(f);
	assert_string_equal(e->shm_name, "/dev/shm/x");
	assert_int_equal(e->shm_id, -1);
	assert_int_equal(e->shm_size, 8192);
	assert_sharers(e, 1, (const uint32_t[]){ 11 });
}

/* Another BPF tool's ring buffer is memory shared with the kernel: no event. */
static void test_bpf_map_mappings_are_left_out(void **state)
{
	struct fixture *f = *state;

	feed_op(f, op_rec(IPCD_SHMOP_ATTACH, 10, "bpftool", 400, "bpf-map", 100));
	assert_int_equal(f->sink.count, 0);
}

/* A name filling its field is cut at it; an event names at most IPCD_SHARERS_MAX sharers. */
static void test_unterminated_name_and_sharers_cap(void **state)
{
	struct fixture *f = *state;
	char name[IPCD_NAME_LEN];

	memset(name, 'n', sizeof(name));
	for (uint32_t pid = 1; pid <= IPCD_SHARERS_MAX + 2; pid++) {
		struct ipcd_shm_op *r = op_rec(IPCD_SHMOP_ATTACH, pid, "worker", 500, NULL, 100 + pid);

		memcpy(r->name, name, sizeof(r->name));
		feed_op(f, r);
	}
	assert_int_equal(f->sink.count, IPCD_SHARERS_MAX + 2);
	assert_int_equal(strlen(last_event(f)->shm_name), IPCD_NAME_LEN);
	assert_int_equal(last_event(f)->shm_nsharers, IPCD_SHARERS_MAX);
	assert_int_equal(last_event(f)->shm_sharers[IPCD_SHARERS_MAX - 1], IPCD_SHARERS_MAX);
}

/* ---- futex handoffs ----------------------------------------------------- */

#define FUTEX_OFF 64

static void feed_futex(struct fixture *f, uint32_t op, uint32_t pid, const char *comm, uint64_t offset,
		       uint64_t start_ns, uint64_t ts, int32_t result)
{
	struct ipcd_futex *r = record_new(IPCD_REC_FUTEX, sizeof(*r), NULL, 0, ts);

	task_set(&r->task, pid, comm);
	r->obj.ino = SEG_INO;
	r->obj.dev = SEG_DEV;
	r->offset = offset;
	r->start_ns = start_ns;
	r->op = op;
	r->result = result;
	shm_events_futex(f->shm, r);
	free(r);
}

static void wake(struct fixture *f, uint32_t pid, const char *comm, uint64_t start, uint64_t ts, int32_t woken)
{
	feed_futex(f, IPCD_FUTEX_WOKE, pid, comm, FUTEX_OFF, start, ts, woken);
}

static void waited(struct fixture *f, uint32_t pid, const char *comm, uint64_t start, uint64_t ts)
{
	feed_futex(f, IPCD_FUTEX_WAITED, pid, comm, FUTEX_OFF, start, ts, 0);
}

static void assert_handoff(const struct ipcd_event *e, uint32_t waker, const char *waker_comm, uint32_t waiter,
			   const char *waiter_comm, uint64_t ts, uint64_t latency)
{
	assert_int_equal(e->type, IPCD_TYPE_SHM);
	assert_int_equal(e->shm_op, IPCD_SHMOP_FUTEX_WAKE);
	assert_int_equal(e->ts_ns, ts);
	assert_endpoint(&e->src, waker, waker_comm);
	assert_endpoint(&e->dst, waiter, waiter_comm);
	assert_int_equal(e->shm_offset, FUTEX_OFF);
	assert_int_equal(e->chan_key, SEG_INO);
	assert_int_equal(e->latency_ns, latency);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
}

static void test_wake_then_wait_is_a_handoff(void **state)
{
	struct fixture *f = *state;

	sysv_attach(f, 10, "alice", 0x7f0000001000ull, 10);
	wake(f, 10, "alice", 100, 110, 1);
	waited(f, 11, "bob", 50, 150);

	assert_int_equal(f->sink.count, 2);
	assert_handoff(last_event(f), 10, "alice", 11, "bob", 150, 50);
	/* the object as its attach named it */
	assert_string_equal(last_event(f)->shm_name, SEG_NAME);
	assert_int_equal(last_event(f)->shm_id, SEG_ID);
	assert_true(last_event(f)->shm_has_key);
	assert_int_equal(last_event(f)->shm_key, SEG_KEY);
	assert_sharers(last_event(f), 1, (const uint32_t[]){ 10 });
}

/* The woken waiter's record can come before its waker's. */
static void test_wait_then_wake_is_a_handoff(void **state)
{
	struct fixture *f = *state;

	waited(f, 11, "bob", 50, 150);
	assert_int_equal(f->sink.count, 0);
	wake(f, 10, "alice", 100, 160, 1);

	assert_int_equal(f->sink.count, 1);
	assert_handoff(last_event(f), 10, "alice", 11, "bob", 150, 50);
	assert_null(last_event(f)->shm_name);
	assert_int_equal(last_event(f)->shm_id, -1);
}

/* A wake that woke two ends two waits, and no third. */
static void test_wake_pairs_as_many_waits_as_it_woke(void **state)
{
	struct fixture *f = *state;

	wake(f, 10, "alice", 100, 110, 2);
	waited(f, 11, "bob", 50, 120);
	waited(f, 12, "carol", 60, 130);
	waited(f, 13, "dave", 70, 140);

	assert_int_equal(f->sink.count, 2);
	assert_handoff(&f->sink.events[0], 10, "alice", 11, "bob", 120, 20);
	assert_handoff(&f->sink.events[1], 10, "alice", 12, "carol", 130, 30);
	shm_events_flush(f->shm);
	assert_int_equal(f->sink.count, 3);
	assert_endpoint_unknown(&last_event(f)->src);
	assert_endpoint(&last_event(f)->dst, 13, "dave");
	assert_int_equal(last_event(f)->flags, IPCD_EF_WRITER_UNKNOWN);
}

/* Not its own waker; not a wait that returned before the wake began; not another futex. */
static void test_waits_a_wake_cannot_have_ended(void **state)
{
	struct fixture *f = *state;

	wake(f, 10, "alice", 100, 110, 1);
	feed_futex(f, IPCD_FUTEX_WAITED, 10, "alice", FUTEX_OFF, 20, 120, 0);
	waited(f, 11, "bob", 20, 90);
	feed_futex(f, IPCD_FUTEX_WAITED, 12, "carol", FUTEX_OFF + 4, 20, 130, 0);
	assert_int_equal(f->sink.count, 0);
	waited(f, 13, "dave", 20, 140);
	assert_int_equal(f->sink.count, 1);
	assert_handoff(last_event(f), 10, "alice", 13, "dave", 140, 40);
}

/* Two futexes of one object, their records interleaved. */
static void test_interleaved_futexes_pair_separately(void **state)
{
	struct fixture *f = *state;

	feed_futex(f, IPCD_FUTEX_WAITED, 11, "bob", 0, 10, 200, 0);
	feed_futex(f, IPCD_FUTEX_WAITED, 12, "carol", 8, 10, 210, 0);
	feed_futex(f, IPCD_FUTEX_WOKE, 20, "waker8", 8, 150, 160, 1);
	feed_futex(f, IPCD_FUTEX_WOKE, 21, "waker0", 0, 170, 180, 1);

	assert_int_equal(f->sink.count, 2);
	assert_endpoint(&f->sink.events[0].src, 20, "waker8");
	assert_endpoint(&f->sink.events[0].dst, 12, "carol");
	assert_int_equal(f->sink.events[0].shm_offset, 8);
	assert_endpoint(&f->sink.events[1].src, 21, "waker0");
	assert_endpoint(&f->sink.events[1].dst, 11, "bob");
	assert_int_equal(f->sink.events[1].shm_offset, 0);
}

static void test_wait_alone_expires_with_unknown_waker(void **state)
{
	struct fixture *f = *state;
	const struct ipcd_event *e;

	waited(f, 11, "bob", 50, 150);
	shm_events_expire(f->shm, 150 + MAX_AGE - 1, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	shm_events_expire(f->shm, 150 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 1);
	e = last_event(f);
	assert_int_equal(e->shm_op, IPCD_SHMOP_FUTEX_WAKE);
	assert_int_equal(e->ts_ns, 150);
	assert_endpoint_unknown(&e->src);
	assert_endpoint(&e->dst, 11, "bob");
	assert_int_equal(e->flags, IPCD_EF_WRITER_UNKNOWN);
	assert_int_equal(e->latency_ns, 0);
	shm_events_flush(f->shm);
	assert_int_equal(f->sink.count, 1);
}

/* A wake nobody's wait was seen for is no event, and once expired it pairs no later wait. */
static void test_wake_alone_is_forgotten_at_expiry(void **state)
{
	struct fixture *f = *state;

	wake(f, 10, "alice", 100, 110, 1);
	shm_events_expire(f->shm, 110 + MAX_AGE, MAX_AGE);
	assert_int_equal(f->sink.count, 0);
	waited(f, 11, "bob", 50, 120);
	assert_int_equal(f->sink.count, 0);
	shm_events_flush(f->shm);
	assert_int_equal(f->sink.count, 1);
	assert_int_equal(last_event(f)->flags, IPCD_EF_WRITER_UNKNOWN);
}

/* A wake that failed or woke nobody waits for no one. */
static void test_wake_of_nobody_pairs_nothing(void **state)
{
	struct fixture *f = *state;

	wake(f, 10, "alice", 100, 110, 0);
	wake(f, 10, "alice", 100, 110, -22);
	waited(f, 11, "bob", 50, 120);
	assert_int_equal(f->sink.count, 0);
}

static void test_futex_of_a_bpf_map_is_left_out(void **state)
{
	struct fixture *f = *state;

	feed_op(f, op_rec(IPCD_SHMOP_ATTACH, 10, "bpftool", SEG_INO, "bpf-map", 100));
	wake(f, 10, "alice", 100, 110, 1);
	waited(f, 11, "bob", 50, 120);
	shm_events_flush(f->shm);
	assert_int_equal(f->sink.count, 0);
}

/* ---- SysV semaphores ---------------------------------------------------- */

#define SEMID 9

static void feed_semop(struct fixture *f, uint32_t pid, const char *comm, uint16_t semnum, int16_t op,
		       uint64_t start_ns, uint64_t ts)
{
	struct ipcd_semop *r = record_new(IPCD_REC_SEMOP, sizeof(*r), NULL, 0, ts);

	task_set(&r->task, pid, comm);
	r->semid = SEMID;
	r->semnum = semnum;
	r->op = op;
	r->start_ns = start_ns;
	shm_events_semop(f->shm, r);
	free(r);
}

static void assert_sem_post(const struct ipcd_event *e, uint32_t poster, const char *poster_comm,
			    uint32_t waiter, const char *waiter_comm, uint16_t semnum, uint64_t ts, uint64_t latency)
{
	assert_int_equal(e->type, IPCD_TYPE_SHM);
	assert_int_equal(e->shm_op, IPCD_SHMOP_SEM_POST);
	assert_true(e->shm_sysv);
	assert_int_equal(e->ts_ns, ts);
	assert_endpoint(&e->src, poster, poster_comm);
	assert_endpoint(&e->dst, waiter, waiter_comm);
	assert_int_equal(e->chan_key, SEMID);
	assert_int_equal(e->shm_id, SEMID);
	assert_int_equal(e->shm_offset, semnum);
	assert_int_equal(e->latency_ns, latency);
	assert_int_equal(e->flags, IPCD_EF_HAS_LATENCY);
}

static void test_release_ends_the_wait(void **state)
{
	struct fixture *f = *state;

	feed_semop(f, 11, "waiter", 2, -1, 50, 130);
	assert_int_equal(f->sink.count, 0);
	feed_semop(f, 10, "poster", 2, 1, 100, 110);
	assert_int_equal(f->sink.count, 1);
	assert_sem_post(last_event(f), 10, "poster", 11, "waiter", 2, 130, 30);
}

static void test_release_before_wait_record(void **state)
{
	struct fixture *f = *state;

	feed_semop(f, 10, "poster", 2, 1, 100, 110);
	feed_semop(f, 11, "waiter", 2, -1, 50, 130);
	assert_int_equal(f->sink.count, 1);
	assert_sem_post(last_event(f), 10, "poster", 11, "waiter", 2, 130, 30);
}

/* Not the same process, not another semaphore, not a wait over before the release began. */
static void test_semops_a_release_cannot_have_ended(void **state)
{
	struct fixture *f = *state;

	feed_semop(f, 10, "poster", 2, 1, 100, 110);
	feed_semop(f, 10, "poster", 2, -1, 50, 130);
	feed_semop(f, 11, "other", 3, -1, 50, 130);
	feed_semop(f, 12, "early", 2, -1, 50, 90);
	assert_int_equal(f->sink.count, 0);
	feed_semop(f, 13, "waiter", 2, -1, 50, 140);
	assert_int_equal(f->sink.count, 1);
	assert_sem_post(last_event(f), 10, "poster", 13, "waiter", 2, 140, 40);
}

/* A wait that did not block and a release nobody waited for say nothing. */
static void test_unpaired_semops_expire_silently(void **state)
{
	struct fixture *f = *state;

	feed_semop(f, 10, "poster", 0, 1, 100, 110);
	feed_semop(f, 11, "waiter", 1, -1, 100, 110);
	shm_events_expire(f->shm, 110 + MAX_AGE, MAX_AGE);
	shm_events_flush(f->shm);
	assert_int_equal(f->sink.count, 0);
	/* and once expired they pair with nothing */
	feed_semop(f, 12, "late", 0, -1, 50, 120);
	feed_semop(f, 13, "late", 1, 1, 100, 105);
	assert_int_equal(f->sink.count, 0);
}

#define JOIN_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		JOIN_TEST(test_shmget_names_key_and_id),
		JOIN_TEST(test_attach_and_detach_list_the_sharers),
		JOIN_TEST(test_remove_gets_the_key_from_the_attach),
		JOIN_TEST(test_memfd_and_posix_objects),
		JOIN_TEST(test_bpf_map_mappings_are_left_out),
		JOIN_TEST(test_unterminated_name_and_sharers_cap),
		JOIN_TEST(test_wake_then_wait_is_a_handoff),
		JOIN_TEST(test_wait_then_wake_is_a_handoff),
		JOIN_TEST(test_wake_pairs_as_many_waits_as_it_woke),
		JOIN_TEST(test_waits_a_wake_cannot_have_ended),
		JOIN_TEST(test_interleaved_futexes_pair_separately),
		JOIN_TEST(test_wait_alone_expires_with_unknown_waker),
		JOIN_TEST(test_wake_alone_is_forgotten_at_expiry),
		JOIN_TEST(test_wake_of_nobody_pairs_nothing),
		JOIN_TEST(test_futex_of_a_bpf_map_is_left_out),
		JOIN_TEST(test_release_ends_the_wait),
		JOIN_TEST(test_release_before_wait_record),
		JOIN_TEST(test_semops_a_release_cannot_have_ended),
		JOIN_TEST(test_unpaired_semops_expire_silently),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
