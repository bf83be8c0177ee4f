// SPDX-License-Identifier: GPL-2.0
/*
 * ipcdumpd's output files: logrotate's names and keep (util/rotate_files.c),
 * and the rotating file (daemon/rotating_file.c): whole events only, also
 * when a write is cut short (RLIMIT_FSIZE stands in for a full disk),
 * drops counted, recovery, a deleted or truncated file, zstd.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/rotating_file.h"
#include "util/rotate_files.h"

#define EVENT_SIZE 100

struct dir {
	char path[64];
	char file[128];  /* path/out.jsonl */
};

static int dir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	snprintf(d->path, sizeof(d->path), "/tmp/ipcd-rotate-XXXXXX");
	if (!d || !mkdtemp(d->path))
		return -1;
	snprintf(d->file, sizeof(d->file), "%s/out.jsonl", d->path);
	*state = d;
	return 0;
}

static int dir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", d->path);
	free(d);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The file's text, "" when absent. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 1 << 20);
	size_t n;

	assert_non_null(text);
	if (!f)
		return text;
	n = fread(text, 1, (1 << 20) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static bool exists(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void assert_file_text(const char *dir, const char *name, const char *want)
{
	char path[256];
	char *text;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = read_file(path);
	assert_string_equal(text, want);
	free(text);
}

static void test_shift_moves_every_file_up_and_deletes_past_keep(void **state)
{
	struct dir *d = *state;
	char path[256];

	write_file(d->file, "live\n");
	snprintf(path, sizeof(path), "%s.1.zst", d->file);
	write_file(path, "one\n");
	snprintf(path, sizeof(path), "%s.2", d->file);  /* left plain by a stop mid-compression */
	write_file(path, "two\n");
	snprintf(path, sizeof(path), "%s.3.zst", d->file);
	write_file(path, "three\n");
	assert_int_equal(rotate_files_shift(d->file, 3), 0);
	assert_false(exists(d->path, "out.jsonl"));
	assert_file_text(d->path, "out.jsonl.1", "live\n");
	assert_file_text(d->path, "out.jsonl.2.zst", "one\n");
	assert_file_text(d->path, "out.jsonl.3", "two\n");
	assert_false(exists(d->path, "out.jsonl.3.zst"));
	assert_false(exists(d->path, "out.jsonl.4.zst"));
}

static void test_shift_with_keep_0_keeps_all(void **state)
{
	struct dir *d = *state;

	for (int i = 0; i < 5; i++) {
		write_file(d->file, "x\n");
		assert_int_equal(rotate_files_shift(d->file, 0), 0);
	}
	assert_true(exists(d->path, "out.jsonl.5"));
	assert_false(exists(d->path, "out.jsonl.6"));
	/* nothing to move: not an error */
	assert_int_equal(rotate_files_shift(d->file, 0), 0);
}

static struct rotating_file *open_file(const struct dir *d, uint64_t size, uint32_t keep, bool compress)
{
	struct rotating_file_options o = {
		.path = d->file, .mode = 0640, .rotate_size = size, .keep = keep, .compress = compress,
	};
	struct rotating_file *f = rotating_file_open(&o);

	assert_non_null(f);
	return f;
}

/* Event i: EVENT_SIZE bytes, one line, its number first. */
static const char *event(unsigned i)
{
	static char text[EVENT_SIZE + 1];

	memset(text, 'e', EVENT_SIZE);
	snprintf(text, sizeof(text), "%06u", i);
	text[6] = ' ';
	text[EVENT_SIZE - 1] = '\n';
	text[EVENT_SIZE] = '\0';
	return text;
}

/* Whole events only, numbered from first up: how many. */
static unsigned count_whole_events(const char *text, unsigned first)
{
	size_t len = strlen(text);
	unsigned n = 0;

	assert_int_equal(len % EVENT_SIZE, 0);
	for (size_t off = 0; off < len; off += EVENT_SIZE, n++) {
		assert_memory_equal(text + off, event(first + n), EVENT_SIZE);
	}
	return n;
}

static void test_size_rotation_keeps_events_whole_and_names_files(void **state)
{
	struct dir *d = *state;
	struct rotating_file *f = open_file(d, 1000, 2, false);
	char *text;

	for (unsigned i = 0; i < 45; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	assert_int_equal(rotating_file_close(f), 0);
	/* 10 events a file: 0-9, 10-19 deleted (keep 2), 20-29, 30-39 rotated, 40-44 live */
	assert_false(exists(d->path, "out.jsonl.3"));
	text = read_file(d->file);
	assert_int_equal(count_whole_events(text, 40), 5);
	free(text);
	{
		char path[256];

		snprintf(path, sizeof(path), "%s.1", d->file);
		text = read_file(path);
		assert_int_equal(count_whole_events(text, 30), 10);
		free(text);
		snprintf(path, sizeof(path), "%s.2", d->file);
		text = read_file(path);
		assert_int_equal(count_whole_events(text, 20), 10);
		free(text);
	}
}

static void test_compressed_rotation_leaves_zst_with_the_mode(void **state)
{
	struct dir *d = *state;
	struct rotating_file *f = open_file(d, 1000, 0, true);
	char path[256], cmd[512];
	struct stat st;

	for (unsigned i = 0; i < 25; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	assert_int_equal(rotating_file_close(f), 0);  /* waits for the compressor */
	assert_true(exists(d->path, "out.jsonl.1.zst"));
	assert_true(exists(d->path, "out.jsonl.2.zst"));
	assert_false(exists(d->path, "out.jsonl.1"));
	assert_false(exists(d->path, "out.jsonl.1.zst.tmp"));
	snprintf(path, sizeof(path), "%s.2.zst", d->file);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	snprintf(cmd, sizeof(cmd), "zstd -dcq %s > %s.2.out", path, d->file);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof(path), "%s.2.out", d->file);
	{
		char *text = read_file(path);

		assert_int_equal(count_whole_events(text, 0), 10);
		free(text);
	}
}

/* A file size limit cuts writes short as a full disk does (EFBIG rather than ENOSPC). */
static void limit_file_size(rlim_t bytes)
{
	struct rlimit rl;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = bytes;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

static void test_cut_writes_leave_whole_events_and_drop_when_full(void **state)
{
	struct dir *d = *state;
	struct rotating_file *f = open_file(d, 0, 0, false);
	unsigned added = 0, dropped = 0, i;
	char *text;

	signal(SIGXFSZ, SIG_IGN);
	limit_file_size(250);  /* room for two and a half events */
	for (i = 0; i < 2000; i++) {
		int rc = rotating_file_add(f, event(i), EVENT_SIZE);

		if (!rc)
			added++;
		else if (rc == -EAGAIN)
			dropped++;
	}
	/* the queue holds what it can; the rest is dropped, the file has no half event */
	assert_true(dropped > 0);
	assert_int_equal(added + dropped, 2000);
	text = read_file(d->file);
	assert_true(strlen(text) <= 250);
	assert_int_equal(strlen(text) % EVENT_SIZE, 0);
	free(text);
	/* room again: the next tick writes the queue, in order, after what was written */
	limit_file_size(RLIM_INFINITY);
	rotating_file_tick(f, 1);
	assert_int_equal(0, rotating_file_add(f, event(added), EVENT_SIZE));
	assert_int_equal(rotating_file_flush(f), 0);
	assert_int_equal(rotating_file_close(f), 0);
	text = read_file(d->file);
	assert_int_equal(count_whole_events(text, 0), added + 1);
	free(text);
}

/* While the disk refuses, size rotation waits: no empty files pushing real ones out of keep. */
static void test_no_rotation_while_writes_fail(void **state)
{
	struct dir *d = *state;
	struct rotating_file *f = open_file(d, 1000, 2, false);
	unsigned i;
	char *text;

	signal(SIGXFSZ, SIG_IGN);
	limit_file_size(250);
	for (i = 0; i < 200; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	assert_false(exists(d->path, "out.jsonl.1"));
	limit_file_size(RLIM_INFINITY);
	rotating_file_tick(f, 1);  /* all 200 go to the file, then the next event rotates it */
	assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	assert_int_equal(rotating_file_close(f), 0);
	assert_true(exists(d->path, "out.jsonl.1"));
	assert_false(exists(d->path, "out.jsonl.2"));
	text = read_file(d->file);
	assert_string_equal(text, "");
	free(text);
}

static void test_deleted_file_is_recreated_at_the_next_tick(void **state)
{
	struct dir *d = *state;
	struct rotating_file *f = open_file(d, 0, 0, false);
	struct stat st;
	char *text;

	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	rotating_file_tick(f, 1);
	assert_int_equal(unlink(d->file), 0);
	rotating_file_tick(f, 2);
	assert_int_equal(stat(d->file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	for (unsigned i = 3; i < 5; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	assert_int_equal(rotating_file_close(f), 0);
	text = read_file(d->file);
	assert_int_equal(count_whole_events(text, 3), 2);
	free(text);
}

static void test_reopen_sends_what_waits_to_the_moved_file(void **state)
{
	struct dir *d = *state;
	struct rotating_file *f = open_file(d, 0, 0, false);
	char moved[256];
	char *text;

	snprintf(moved, sizeof(moved), "%s.moved", d->file);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	assert_int_equal(rename(d->file, moved), 0);  /* logrotate, then SIGUSR1 */
	rotating_file_reopen(f);
	assert_true(rotating_file_at_start(f));
	assert_int_equal(0, rotating_file_add(f, event(2), EVENT_SIZE));
	assert_int_equal(rotating_file_close(f), 0);
	text = read_file(moved);
	assert_int_equal(count_whole_events(text, 0), 2);
	free(text);
	text = read_file(d->file);
	assert_int_equal(count_whole_events(text, 2), 1);
	free(text);
}

/* logrotate's copytruncate empties the file under us: the size rotation counts from there. */
static void test_truncated_file_counts_its_size_afresh(void **state)
{
	struct dir *d = *state;
	struct rotating_file *f = open_file(d, 1000, 0, false);

	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	rotating_file_tick(f, 1);
	assert_int_equal(truncate(d->file, 0), 0);
	rotating_file_tick(f, 2);
	for (unsigned i = 5; i < 14; i++)
		assert_int_equal(0, rotating_file_add(f, event(i), EVENT_SIZE));
	assert_false(exists(d->path, "out.jsonl.1"));
	assert_int_equal(rotating_file_close(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shift_moves_every_file_up_and_deletes_past_keep, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_shift_with_keep_0_keeps_all, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_size_rotation_keeps_events_whole_and_names_files, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_compressed_rotation_leaves_zst_with_the_mode, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_cut_writes_leave_whole_events_and_drop_when_full, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_no_rotation_while_writes_fail, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_deleted_file_is_recreated_at_the_next_tick, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_reopen_sends_what_waits_to_the_moved_file, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_truncated_file_counts_its_size_afresh, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
