// SPDX-License-Identifier: GPL-2.0
/*
 * api/server.c with a route table of the test's own, on a unix socket: a
 * handler's arguments and headers, a streamed reply (produce until the end,
 * done once), a stream that never ends cut by the server's stop within
 * about a second, and a handler that forgets to answer (500).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/api.h"
#include "api/context.h"
#include "api/server.h"

struct counting {
	int produced;
	int limit;           /* chunks before the end; -1 never */
	atomic_int done_calls;
};

static struct counting finite = { .limit = 3 }, endless = { .limit = -1 };

static ssize_t produce(void *ctx, char *buf, size_t max)
{
	struct counting *c = ctx;

	if (c->limit >= 0 && c->produced == c->limit)
		return -1;
	if (c->limit < 0) {
		/* nothing to send: waits, as a live feed does, and says so */
		usleep(100 * 1000);
		return 0;
	}
	return snprintf(buf, max, "chunk %d\n", c->produced++);
}

static void done(void *ctx)
{
	atomic_fetch_add(&((struct counting *)ctx)->done_calls, 1);
}

static void stream_finite(struct ipcda_request *rq)
{
	ipcda_reply_stream(rq, 200, "text/plain", produce, &finite, done);
}

static void stream_endless(struct ipcda_request *rq)
{
	ipcda_reply_stream(rq, 200, "text/event-stream", produce, &endless, done);
}

static void echo(struct ipcda_request *rq)
{
	char body[256];
	const char *x = ipcda_arg(rq, "x"), *h = ipcda_header(rq, "x-test");

	snprintf(body, sizeof(body), "%s|%s", x ? x : "(none)", h ? h : "(none)");
	ipcda_reply(rq, 200, "text/plain", body, strlen(body));
}

static void silent(struct ipcda_request *rq)
{
	(void)rq;
}

static const struct ipcda_route routes[] = {
	{ "GET", "/finite", IPCDA_ROLE_READ, stream_finite },
	{ "GET", "/endless", IPCDA_ROLE_READ, stream_endless },
	{ "GET", "/echo", IPCDA_ROLE_READ, echo },
	{ "GET", "/silent", IPCDA_ROLE_NONE, silent },
	{ NULL, NULL, IPCDA_ROLE_NONE, NULL },
};

struct fixture {
	char dir[32], sock[64];
	struct ipcda_config cfg;
	struct ipcda_context *ctx;
	struct ipcda_server *srv;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/ipcd-api-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/api.sock", f->dir);
	f->cfg.listen[0] = malloc(strlen(f->sock) + 6);
	sprintf(f->cfg.listen[0], "unix:%s", f->sock);
	f->cfg.listen_count = 1;
	f->cfg.max_connections = 8;
	f->cfg.timeout_secs = 5;
	f->cfg.max_header_bytes = 16384;
	f->cfg.max_body_bytes = 65536;
	f->cfg.auth_failures = 10;
	f->cfg.auth_window_secs = 60;
	f->cfg.insecure = true;  /* no credentials: every caller may call */
	assert_non_null(f->ctx = ipcda_context_new(NULL, NULL));
	assert_non_null(f->srv = ipcda_server_start_routes(&f->cfg, f->ctx, routes, stderr));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ipcda_server_stop(f->srv);
	ipcda_context_free(f->ctx);
	ipcda_config_free(&f->cfg);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* An HTTP/1.0 request over the socket: the whole reply (the server closes it). */
static size_t get(struct fixture *f, const char *request, char *out, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t n;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while (got + 1 < len && (n = read(fd, out + got, len - got - 1)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
	return got;
}

static void test_arguments_and_headers(void **state)
{
	struct fixture *f = *state;
	char reply[4096];

	get(f, "GET /echo?x=a%20b%26c HTTP/1.0\r\nX-Test: yes\r\n\r\n", reply, sizeof(reply));
	assert_non_null(strstr(reply, "HTTP/1.1 200"));
	assert_non_null(strstr(reply, "\r\n\r\na b&c|yes"));
}

static void test_stream_to_its_end(void **state)
{
	struct fixture *f = *state;
	char reply[4096];

	get(f, "GET /finite HTTP/1.0\r\n\r\n", reply, sizeof(reply));
	assert_non_null(strstr(reply, "HTTP/1.1 200"));
	assert_non_null(strstr(reply, "\r\n\r\nchunk 0\nchunk 1\nchunk 2\n"));
	/* done runs once the reply is over, in the server's thread: give it a moment */
	for (int i = 0; i < 50 && !atomic_load(&finite.done_calls); i++)
		usleep(20 * 1000);
	assert_int_equal(atomic_load(&finite.done_calls), 1);
}

static void test_unanswered_is_a_500(void **state)
{
	struct fixture *f = *state;
	char reply[4096];

	get(f, "GET /silent HTTP/1.0\r\n\r\n", reply, sizeof(reply));
	assert_non_null(strstr(reply, "HTTP/1.1 500"));
}

struct client {
	struct fixture *f;
	char reply[4096];
};

static void *endless_client(void *arg)
{
	struct client *c = arg;

	get(c->f, "GET /endless HTTP/1.0\r\n\r\n", c->reply, sizeof(c->reply));
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_stop_ends_an_endless_stream(void **state)
{
	struct fixture *f = *state;
	struct client c = { .f = f };
	pthread_t t;
	uint64_t start;

	assert_int_equal(pthread_create(&t, NULL, endless_client, &c), 0);
	usleep(300 * 1000);
	start = now_ms();
	ipcda_server_stop(f->srv);
	f->srv = NULL;
	assert_true(now_ms() - start < 3000);
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&endless.done_calls), 1);
	assert_non_null(strstr(c.reply, "HTTP/1.1 200"));
	/* the socket goes with the server */
	assert_int_not_equal(access(f->sock, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_arguments_and_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_to_its_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unanswered_is_a_500, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_ends_an_endless_stream, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
