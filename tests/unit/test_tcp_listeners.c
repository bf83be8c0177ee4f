/* SPDX-License-Identifier: GPL-2.0 */
/* Listening TCP sockets found at start-up: /proc/net/tcp{,6} rows and the processes that hold them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "families/tcp_listeners.h"

#define TCP_HEADER "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

static void write_file(const char *root, const char *name, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/* A process: its stat line (comm, ppid, start time) and descriptors linked to targets. */
static void add_process(const char *root, int pid, const char *comm, int ppid, unsigned long long start,
			const char *const *targets, int ntargets)
{
	char path[512], stat[512];

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(stat, sizeof(stat), "%d (%s) S %d 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu 1000 100\n", pid,
		 comm, ppid, start);
	snprintf(path, sizeof(path), "%d/stat", pid);
	write_file(root, path, stat);
	for (int i = 0; i < ntargets; i++) {
		snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, i + 3);
		assert_int_equal(symlink(targets[i], path), 0);
	}
}

struct found {
	uint16_t port[8];
	struct ipcd_task task[8];
	size_t count;
};

static void collect(void *ctx, uint16_t port, const struct ipcd_task *task)
{
	struct found *f = ctx;

	assert_true(f->count < 8);
	f->port[f->count] = port;
	f->task[f->count++] = *task;
}

static const struct ipcd_task *task_of(const struct found *f, uint16_t port)
{
	for (size_t i = 0; i < f->count; i++)
		if (f->port[i] == port)
			return &f->task[i];
	return NULL;
}

static void make_root(char *root)
{
	char path[512];

	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/net", root);
	assert_int_equal(mkdir(path, 0700), 0);
}

static void remove_tree(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_listeners_of_v4_and_v6_with_the_first_started_holder(void **state)
{
	char root[] = "/tmp/ipcd-listen-XXXXXX";
	const char *const master[] = { "/dev/null", "socket:[1001]", "socket:[2002]" };
	const char *const worker[] = { "socket:[1001]", "socket:[3003]" };
	const char *const client[] = { "socket:[4004]" };
	struct found f = { 0 };
	const struct ipcd_task *t;

	(void)state;
	make_root(root);
	/* 8080 on 127.0.0.1 and 443 on :: listen; 4004 is an established connection */
	write_file(root, "net/tcp", TCP_HEADER
		   "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0\n"
		   "   1: 0100007F:A60D 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4004 1 0 20 4 0 10 -1\n");
	write_file(root, "net/tcp6", TCP_HEADER
		   "   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 "
		   "00:00000000 00000000     0        0 2002 1 0 100 0 0 10 0\n"
		   "   1: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 "
		   "00:00000000 00000000     0        0 5005 1 0 100 0 0 10 0\n");
	/* the worker forked after listen(): it holds 8080 too, but started later */
	add_process(root, 300, "nginx: worker", 200, 5000, worker, 2);
	add_process(root, 200, "nginx (master)", 1, 4000, master, 3);
	add_process(root, 400, "curl", 1, 6000, client, 1);
	assert_int_equal(tcp_listeners_scan(root, collect, &f), 2);  /* 22 (inode 5005) has no holder here */
	t = task_of(&f, 8080);
	assert_non_null(t);
	assert_int_equal(t->pid, 200);
	assert_int_equal(t->tid, 200);
	assert_int_equal(t->ppid, 1);
	assert_string_equal(t->comm, "nginx (master)");
	t = task_of(&f, 443);
	assert_non_null(t);
	assert_int_equal(t->pid, 200);
	assert_null(task_of(&f, 22));
	remove_tree(root);
}

static void test_no_listeners_and_no_proc(void **state)
{
	char root[] = "/tmp/ipcd-listen-XXXXXX";
	struct found f = { 0 };

	(void)state;
	make_root(root);
	write_file(root, "net/tcp", TCP_HEADER);
	assert_int_equal(tcp_listeners_scan(root, collect, &f), 0);
	assert_int_equal(tcp_listeners_scan("/nonexistent-proc", collect, &f), 0);
	assert_int_equal(f.count, 0);
	remove_tree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listeners_of_v4_and_v6_with_the_first_started_holder),
		cmocka_unit_test(test_no_listeners_and_no_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
