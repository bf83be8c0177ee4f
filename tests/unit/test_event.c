// SPDX-License-Identifier: GPL-2.0
/*
 * Owned copies of events: everything an event points to is copied, so the
 * copy outlives the buffers of the join that emitted it (ASan checks the
 * frees and that nothing leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/event.h"

static void test_copy_owns_everything_it_points_to(void **state)
{
	char path[] = "/tmp/fifo", name[] = "@sock", fd_path[] = "/etc/hostname";
	uint8_t payload[] = { 'h', 'i', 0, 0xff };
	uint32_t sharers[] = { 10, 20 };
	struct ipcd_sock_extra extra = { .nfds = 2, .ndesc = 1, .creds = true, .cred_pid = 7 };
	struct ipcd_event e, copy;

	(void)state;
	ipcd_event_init(&e, IPCD_TYPE_UNIX_DGRAM, 42);
	extra.fds[0] = (struct ipcd_fd_desc){ .fd = 3, .kind = 1, .ino = 9, .path = fd_path };
	e.path = path;
	e.src_name = name;
	e.extra = &extra;
	e.payload = payload;
	e.payload_len = sizeof(payload);
	e.shm_sharers = sharers;
	e.shm_nsharers = 2;
	assert_true(ipcd_event_copy(&copy, &e));
	/* the originals change or go: the copy keeps what they said */
	memset(path, 'x', sizeof(path) - 1);
	memset(name, 'x', sizeof(name) - 1);
	memset(fd_path, 'x', sizeof(fd_path) - 1);
	memset(payload, 0, sizeof(payload));
	sharers[0] = 0;
	assert_int_equal(copy.ts_ns, 42);
	assert_string_equal(copy.path, "/tmp/fifo");
	assert_string_equal(copy.src_name, "@sock");
	assert_null(copy.dst_name);
	assert_null(copy.mq_name);
	assert_int_equal(copy.payload_len, 4);
	assert_memory_equal(copy.payload, ((uint8_t[]){ 'h', 'i', 0, 0xff }), 4);
	assert_int_equal(copy.shm_sharers[0], 10);
	assert_int_equal(copy.shm_sharers[1], 20);
	assert_ptr_not_equal(copy.extra, &extra);
	assert_int_equal(copy.extra->nfds, 2);
	assert_int_equal(copy.extra->cred_pid, 7);
	assert_string_equal(copy.extra->fds[0].path, "/etc/hostname");
	ipcd_event_copy_free(&copy);
	assert_null(copy.payload);
}

static void test_copy_of_an_event_pointing_nowhere(void **state)
{
	struct ipcd_event e, copy;

	(void)state;
	ipcd_event_init(&e, IPCD_TYPE_SIGNAL, 1);
	e.sig = 10;
	assert_true(ipcd_event_copy(&copy, &e));
	assert_int_equal(copy.sig, 10);
	assert_null(copy.payload);
	assert_null(copy.extra);
	ipcd_event_copy_free(&copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_owns_everything_it_points_to),
		cmocka_unit_test(test_copy_of_an_event_pointing_nowhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
