// SPDX-License-Identifier: GPL-2.0
/*
 * daemon/notify.c against a NOTIFY_SOCKET of the test's own: the messages
 * systemd reads, and watchdog pings paced by the clock the caller gives
 * (half of WATCHDOG_USEC), never faster; none when the watchdog is another
 * process's, or when there is no socket at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/notify.h"

#define MS 1000000ull

struct listener {
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* A datagram socket bound to a fresh path, named in NOTIFY_SOCKET. */
static int listen_setup(void **state)
{
	static struct listener l;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[] = "/tmp/test_notify.XXXXXX";

	assert_non_null(mkdtemp(dir));
	snprintf(l.path, sizeof(l.path), "%s/notify", dir);
	memcpy(addr.sun_path, l.path, strlen(l.path) + 1);
	l.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(l.fd >= 0);
	assert_int_equal(bind(l.fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	setenv("NOTIFY_SOCKET", l.path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	*state = &l;
	return 0;
}

static int listen_teardown(void **state)
{
	struct listener *l = *state;
	char *slash;

	close(l->fd);
	unlink(l->path);
	slash = strrchr(l->path, '/');
	*slash = '\0';
	rmdir(l->path);
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

/* The next message, or "" when none is waiting. */
static const char *next_message(struct listener *l)
{
	static char buf[512];
	ssize_t n = recv(l->fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_state_messages(void **state)
{
	struct listener *l = *state;

	ipcdd_notify_init();
	ipcdd_notify_ready("Tracing into 2 outputs");
	assert_string_equal(next_message(l), "READY=1\nSTATUS=Tracing into 2 outputs");
	ipcdd_notify_reloading();
	assert_string_equal(next_message(l), "RELOADING=1\nSTATUS=Reloading the configuration");
	ipcdd_notify_status("Writing");
	assert_string_equal(next_message(l), "STATUS=Writing");
	ipcdd_notify_stopping();
	assert_string_equal(next_message(l), "STOPPING=1\nSTATUS=Stopping: writing out the events still held");
	assert_string_equal(next_message(l), "");
}

static void test_watchdog_every_half_interval(void **state)
{
	struct listener *l = *state;
	uint64_t t0 = 1000 * MS;

	setenv("WATCHDOG_USEC", "1000000", 1);
	ipcdd_notify_init();
	ipcdd_notify_watchdog(t0);  /* the first turn pings at once */
	assert_string_equal(next_message(l), "WATCHDOG=1");
	for (uint64_t t = t0 + 50 * MS; t < t0 + 500 * MS; t += 50 * MS)
		ipcdd_notify_watchdog(t);
	assert_string_equal(next_message(l), "");
	ipcdd_notify_watchdog(t0 + 500 * MS);
	assert_string_equal(next_message(l), "WATCHDOG=1");
	ipcdd_notify_watchdog(t0 + 999 * MS);
	assert_string_equal(next_message(l), "");
	ipcdd_notify_watchdog(t0 + 1000 * MS);
	assert_string_equal(next_message(l), "WATCHDOG=1");
	unsetenv("WATCHDOG_USEC");
}

static void test_watchdog_of_another_pid_is_not_ours(void **state)
{
	struct listener *l = *state;
	char pid[32];

	snprintf(pid, sizeof(pid), "%d", (int)getpid() + 1);
	setenv("WATCHDOG_USEC", "1000000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	ipcdd_notify_init();
	ipcdd_notify_watchdog(1000 * MS);
	assert_string_equal(next_message(l), "");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	ipcdd_notify_init();
	ipcdd_notify_watchdog(1000 * MS);
	assert_string_equal(next_message(l), "WATCHDOG=1");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void test_without_watchdog_usec_no_pings(void **state)
{
	struct listener *l = *state;

	ipcdd_notify_init();
	for (uint64_t t = 0; t < 5000 * MS; t += 100 * MS)
		ipcdd_notify_watchdog(t);
	assert_string_equal(next_message(l), "");
}

static void test_without_notify_socket_nothing_is_sent(void **state)
{
	struct listener *l = *state;

	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	ipcdd_notify_init();
	ipcdd_notify_ready("x");
	ipcdd_notify_watchdog(1000 * MS);
	ipcdd_notify_stopping();
	assert_string_equal(next_message(l), "");
	unsetenv("WATCHDOG_USEC");
	setenv("NOTIFY_SOCKET", l->path, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_messages),
		cmocka_unit_test(test_watchdog_every_half_interval),
		cmocka_unit_test(test_watchdog_of_another_pid_is_not_ours),
		cmocka_unit_test(test_without_watchdog_usec_no_pings),
		cmocka_unit_test(test_without_notify_socket_nothing_is_sent),
	};

	return cmocka_run_group_tests(tests, listen_setup, listen_teardown);
}
