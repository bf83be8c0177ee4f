/* SPDX-License-Identifier: GPL-2.0 */
/* The process table: /proc parsing and the kernel's lifecycle records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "engine/proc_table.h"

static void write_stat(const char *root, const char *pid, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, pid);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/stat", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void remove_tree(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static void test_scan_reads_comm_with_parentheses_and_spaces(void **state)
{
	char root[] = "/tmp/ipcd-proc-XXXXXX";
	struct proc_table *pt = proc_table_new();

	(void)state;
	assert_non_null(mkdtemp(root));
	write_stat(root, "42", "42 (a) (b c) S 7 42 42 0 -1\n");
	write_stat(root, "43", "43 (plain) R 42 43 43 0 -1\n");
	write_stat(root, "self", "1 (not a pid dir) S 0\n");
	write_stat(root, "44", "garbage without parentheses\n");
	assert_int_equal(proc_table_scan(pt, root), 0);
	assert_string_equal(proc_table_comm(pt, 42), "a) (b c");
	assert_string_equal(proc_table_comm(pt, 43), "plain");
	assert_null(proc_table_comm(pt, 44));
	assert_null(proc_table_comm(pt, 1));
	assert_int_equal(proc_table_size(pt), 2);
	proc_table_free(pt);
	remove_tree(root);
}

static struct ipcd_proc proc_record(uint32_t event, uint32_t pid, uint32_t ppid, const char *comm,
				    uint64_t ts)
{
	struct ipcd_proc rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_PROC;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ts;
	rec.event = event;
	rec.task.pid = pid;
	rec.task.tid = pid;
	rec.task.ppid = ppid;
	strncpy(rec.task.comm, comm, sizeof(rec.task.comm) - 1);
	return rec;
}

static void test_records_follow_fork_exec_rename_and_exit(void **state)
{
	struct proc_table *pt = proc_table_new();
	struct ipcd_proc rec;

	(void)state;
	rec = proc_record(IPCD_PROC_FORK, 100, 1, "bash", 10);
	proc_table_record(pt, &rec);
	assert_string_equal(proc_table_comm(pt, 100), "bash");
	rec = proc_record(IPCD_PROC_EXEC, 100, 1, "sleep", 20);
	proc_table_record(pt, &rec);
	assert_string_equal(proc_table_comm(pt, 100), "sleep");
	rec = proc_record(IPCD_PROC_RENAME, 100, 1, "renamed", 30);
	proc_table_record(pt, &rec);
	assert_string_equal(proc_table_comm(pt, 100), "renamed");
	assert_string_equal(proc_table_live_comm(pt, 100), "renamed");
	rec = proc_record(IPCD_PROC_EXIT, 100, 1, "renamed", 40);
	proc_table_record(pt, &rec);
	/* kept for a while after exit: its events may still be joining */
	proc_table_expire(pt, 45, 10);
	assert_string_equal(proc_table_comm(pt, 100), "renamed");
	assert_null(proc_table_live_comm(pt, 100));
	proc_table_expire(pt, 51, 10);
	assert_null(proc_table_comm(pt, 100));
	assert_int_equal(proc_table_size(pt), 0);
	proc_table_free(pt);
}

static void test_unknown_and_invalid_pids(void **state)
{
	struct proc_table *pt = proc_table_new();

	(void)state;
	assert_null(proc_table_comm(pt, -1));
	assert_null(proc_table_comm(pt, 0));
	assert_null(proc_table_comm(pt, 12345));
	proc_table_free(pt);
}

/* Children of members are members, reparented or not; a pid used again is what its new parent is. */
static void test_tree_members_fork_members(void **state)
{
	struct proc_table *pt = proc_table_new();
	struct ipcd_proc rec;

	(void)state;
	assert_true(proc_table_join_tree(pt, 100));
	rec = proc_record(IPCD_PROC_FORK, 101, 100, "sh", 10);
	proc_table_record(pt, &rec);
	rec = proc_record(IPCD_PROC_FORK, 102, 101, "daemon", 11);
	proc_table_record(pt, &rec);
	/* the daemon's parent exits: it is reparented to init, and stays a member */
	rec = proc_record(IPCD_PROC_EXIT, 101, 100, "sh", 12);
	proc_table_record(pt, &rec);
	rec = proc_record(IPCD_PROC_EXEC, 102, 1, "daemon", 13);
	proc_table_record(pt, &rec);
	rec = proc_record(IPCD_PROC_FORK, 200, 1, "outsider", 14);
	proc_table_record(pt, &rec);
	assert_true(proc_table_in_tree(pt, 100));
	assert_true(proc_table_in_tree(pt, 101));
	assert_true(proc_table_in_tree(pt, 102));
	assert_false(proc_table_in_tree(pt, 200));
	assert_false(proc_table_in_tree(pt, 999));
	assert_false(proc_table_in_tree(pt, -1));
	/* 101 comes back as an outsider's child */
	rec = proc_record(IPCD_PROC_FORK, 101, 200, "other", 20);
	proc_table_record(pt, &rec);
	assert_false(proc_table_in_tree(pt, 101));
	proc_table_free(pt);
}

static void count_member(void *ctx, uint32_t pid)
{
	(void)pid;
	(*(int *)ctx)++;
}

static void test_tree_descendants_found_by_scan(void **state)
{
	struct proc_table *pt = proc_table_new();
	struct ipcd_proc rec;
	int members = 0;

	(void)state;
	/* listed grandchild first: the walk goes on until nothing changes */
	rec = proc_record(IPCD_PROC_FORK, 12, 11, "grandchild", 1);
	proc_table_record(pt, &rec);
	rec = proc_record(IPCD_PROC_FORK, 11, 10, "child", 1);
	proc_table_record(pt, &rec);
	rec = proc_record(IPCD_PROC_FORK, 10, 1, "root", 1);
	proc_table_record(pt, &rec);
	rec = proc_record(IPCD_PROC_FORK, 13, 1, "other", 1);
	proc_table_record(pt, &rec);
	proc_table_join_tree(pt, 10);
	proc_table_tree_descendants(pt);
	assert_true(proc_table_in_tree(pt, 12));
	assert_false(proc_table_in_tree(pt, 13));
	proc_table_foreach_tree_member(pt, count_member, &members);
	assert_int_equal(members, 3);
	proc_table_free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_reads_comm_with_parentheses_and_spaces),
		cmocka_unit_test(test_records_follow_fork_exec_rename_and_exit),
		cmocka_unit_test(test_unknown_and_invalid_pids),
		cmocka_unit_test(test_tree_members_fork_members),
		cmocka_unit_test(test_tree_descendants_found_by_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
