// SPDX-License-Identifier: GPL-2.0
/*
 * Capture files: what the writer writes the reader reads back, and every
 * kind of damage gives the whole records before it and a one-line reason
 * naming the offset, never a crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/capture.h"
#include "records.h"

struct seen {
	size_t count;
	uint64_t ts[8];
	size_t sizes[8];
};

static int collect(void *ctx, void *rec, size_t size)
{
	struct seen *s = ctx;
	const struct ipcd_record_header *h = rec;

	if (s->count < 8) {
		s->ts[s->count] = h->ts_ns;
		s->sizes[s->count] = size;
	}
	s->count++;
	return 0;
}

static void temp_path(char *path, size_t len)
{
	int fd;

	snprintf(path, len, "/tmp/ipcd-capture-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static struct ipcd_proc proc_record(uint64_t ts, uint32_t pid)
{
	struct ipcd_proc rec;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_PROC;
	rec.hdr.size = sizeof(rec);
	rec.hdr.ts_ns = ts;
	rec.task.pid = pid;
	rec.event = IPCD_PROC_FORK;
	return rec;
}

/* Writes a capture of n process records with ts 100, 200, ... */
static void write_capture(const char *path, int n)
{
	char err[256];
	struct capture_writer *w = capture_writer_open(path, 42, false, err, sizeof(err));

	assert_non_null(w);
	for (int i = 0; i < n; i++) {
		struct ipcd_proc rec = proc_record(100 * (i + 1), 1000 + i);

		assert_true(capture_writer_add(w, &rec, sizeof(rec)));
	}
	assert_int_equal(capture_writer_records(w), n);
	assert_int_equal(capture_writer_close(w), 0);
}

static int read_all(const char *path, struct seen *s, char *err, size_t errlen)
{
	struct capture_reader *r = capture_reader_open(path, err, errlen);
	int rc;

	if (!r)
		return -2;
	rc = capture_reader_run(r, collect, s, err, errlen);
	capture_reader_close(r);
	return rc;
}

/* Where the first record after the header and the schema starts. */
static long first_record_at(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct ipcd_capture_header h;
	struct ipcd_record_header schema;

	assert_non_null(f);
	assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
	assert_int_equal(fread(&schema, sizeof(schema), 1, f), 1);
	fclose(f);
	assert_int_equal(schema.kind, IPCD_REC_SCHEMA);
	return (long)sizeof(h) + schema.size;
}

static void truncate_to(const char *path, long size)
{
	assert_int_equal(truncate(path, size), 0);
}

static void test_written_records_read_back_in_order(void **state)
{
	char path[64], err[256];
	struct seen s = { 0 };
	struct capture_reader *r;

	(void)state;
	temp_path(path, sizeof(path));
	write_capture(path, 3);
	r = capture_reader_open(path, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(capture_reader_header(r)->mono_to_real_ns, 42);
	assert_int_equal(capture_reader_header(r)->abi, IPCD_ABI_VERSION);
	assert_int_equal(capture_reader_run(r, collect, &s, err, sizeof(err)), 0);
	capture_reader_close(r);
	assert_int_equal(s.count, 3);
	assert_int_equal(s.ts[0], 100);
	assert_int_equal(s.ts[2], 300);
	assert_int_equal(s.sizes[1], sizeof(struct ipcd_proc));
	unlink(path);
}

/* The schema names every kind with the size of its fixed part. */
static void test_schema_follows_the_header(void **state)
{
	char path[64], line[64], *text;
	struct ipcd_schema *schema;
	long size;
	FILE *f;

	(void)state;
	temp_path(path, sizeof(path));
	write_capture(path, 1);
	size = first_record_at(path) - (long)sizeof(struct ipcd_capture_header);
	schema = calloc(1, size + 1);
	assert_non_null(schema);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, sizeof(struct ipcd_capture_header), SEEK_SET);
	assert_int_equal(fread(schema, size, 1, f), 1);
	fclose(f);
	assert_true(schema->text_len <= size - sizeof(*schema));
	text = schema->text;
	snprintf(line, sizeof(line), "%d pipe_io %zu\n", IPCD_REC_PIPE_IO, sizeof(struct ipcd_pipe_io));
	assert_non_null(strstr(text, line));
	snprintf(line, sizeof(line), "%d semop %zu\n", IPCD_REC_SEMOP, sizeof(struct ipcd_semop));
	assert_non_null(strstr(text, line));
	free(schema);
	unlink(path);
}

static void test_empty_capture_has_no_records(void **state)
{
	char path[64], err[256];
	struct seen s = { 0 };

	(void)state;
	temp_path(path, sizeof(path));
	write_capture(path, 0);
	assert_int_equal(read_all(path, &s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 0);
	unlink(path);
}

static void test_truncated_record_keeps_those_before(void **state)
{
	char path[64], err[256], want[128];
	struct seen s = { 0 };
	long header, rec = sizeof(struct ipcd_proc);

	(void)state;
	temp_path(path, sizeof(path));
	write_capture(path, 3);
	header = first_record_at(path);
	/* into the third record's body, then into its header */
	for (long cut = header + 2 * rec + 20; cut >= header + 2 * rec + 4; cut -= 16) {
		memset(&s, 0, sizeof(s));
		truncate_to(path, cut);
		assert_int_equal(read_all(path, &s, err, sizeof(err)), -1);
		assert_int_equal(s.count, 2);
		snprintf(want, sizeof(want), "%s: truncated record at offset %ld", path, header + 2 * rec);
		assert_string_equal(err, want);
	}
	unlink(path);
}

static void test_corrupt_size_is_named_with_its_offset(void **state)
{
	char path[64], err[256], want[128];
	struct seen s = { 0 };
	FILE *f;
	uint16_t bad = 2;
	long header, rec = sizeof(struct ipcd_proc);

	(void)state;
	temp_path(path, sizeof(path));
	write_capture(path, 3);
	header = first_record_at(path);
	f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, header + rec + offsetof(struct ipcd_record_header, size), SEEK_SET);
	fwrite(&bad, sizeof(bad), 1, f);
	fclose(f);
	assert_int_equal(read_all(path, &s, err, sizeof(err)), -1);
	assert_int_equal(s.count, 1);
	snprintf(want, sizeof(want), "%s: corrupt record (size 2) at offset %ld", path, header + rec);
	assert_string_equal(err, want);
	unlink(path);
}

static void test_bad_headers_are_refused(void **state)
{
	char path[64], err[256], want[256];
	struct seen s = { 0 };
	struct ipcd_capture_header h;
	FILE *f;

	(void)state;
	temp_path(path, sizeof(path));
	/* too short */
	assert_int_equal(read_all(path, &s, err, sizeof(err)), -2);
	snprintf(want, sizeof(want), "%s: not an ipcdump capture file", path);
	assert_string_equal(err, want);
	/* the other byte order */
	write_capture(path, 1);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
	h.bom = __builtin_bswap32(h.bom);
	rewind(f);
	fwrite(&h, sizeof(h), 1, f);
	fclose(f);
	assert_int_equal(read_all(path, &s, err, sizeof(err)), -2);
	snprintf(want, sizeof(want), "%s: written on a machine of the other byte order", path);
	assert_string_equal(err, want);
	/* a later format */
	f = fopen(path, "r+b");
	h.bom = IPCD_CAPTURE_BOM;
	h.version = IPCD_CAPTURE_VERSION + 1;
	fwrite(&h, sizeof(h), 1, f);
	fclose(f);
	assert_int_equal(read_all(path, &s, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "is not the one this ipcdump reads"));
	unlink(path);
	/* missing */
	assert_int_equal(read_all("/nonexistent/capture", &s, err, sizeof(err)), -2);
	assert_string_equal(err, "cannot read /nonexistent/capture: No such file or directory");
}

/* A header of another size is named as one, not as another format; a directory as a directory. */
static void test_header_size_and_directories_are_named(void **state)
{
	char path[64], err[256], want[256];
	struct seen s = { 0 };
	struct ipcd_capture_header h;
	FILE *f;

	(void)state;
	temp_path(path, sizeof(path));
	write_capture(path, 1);
	f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
	h.header_size = 100;
	rewind(f);
	fwrite(&h, sizeof(h), 1, f);
	fclose(f);
	assert_int_equal(read_all(path, &s, err, sizeof(err)), -2);
	snprintf(want, sizeof(want), "%s: damaged capture: header of 100 bytes, expected 168", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_int_equal(read_all("/tmp", &s, err, sizeof(err)), -2);
	assert_string_equal(err, "cannot read /tmp: Is a directory");
}

/* Overwrites the first occurrence of from (in the schema) with to, of the same length. */
static void rewrite_schema(const char *path, const char *from, const char *to)
{
	char buf[4096];
	size_t got;
	char *at;
	FILE *f = fopen(path, "r+b");

	assert_non_null(f);
	got = fread(buf, 1, sizeof(buf) - 1, f);
	buf[got] = '\0';
	at = memmem(buf, got, from, strlen(from));
	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	fseek(f, at - buf, SEEK_SET);
	fwrite(to, strlen(to), 1, f);
	fclose(f);
}

/* A schema giving a known kind another size than this build's is refused; unknown kinds are not. */
static void test_a_schema_that_lies_is_refused(void **state)
{
	char path[64], err[256], want[256], line[64], lie[64];
	struct seen s = { 0 };

	(void)state;
	temp_path(path, sizeof(path));
	write_capture(path, 2);
	snprintf(line, sizeof(line), "%d proc %zu\n", IPCD_REC_PROC, sizeof(struct ipcd_proc));
	/* the same length: 56 bytes become 64 */
	snprintf(lie, sizeof(lie), "%d proc %zu\n", IPCD_REC_PROC, sizeof(struct ipcd_proc) + 8);
	rewrite_schema(path, line, lie);
	assert_int_equal(read_all(path, &s, err, sizeof(err)), -1);
	assert_int_equal(s.count, 0);
	snprintf(want, sizeof(want), "%s: damaged or incompatible capture at offset 168: the schema gives proc "
		 "(kind %d) %zu bytes, this ipcdump's are %zu", path, IPCD_REC_PROC, sizeof(struct ipcd_proc) + 8,
		 sizeof(struct ipcd_proc));
	assert_string_equal(err, want);
	/* a kind this build does not know, of any size, is fine */
	rewrite_schema(path, lie, "77 zzz 12\n");
	memset(&s, 0, sizeof(s));
	assert_int_equal(read_all(path, &s, err, sizeof(err)), 0);
	assert_int_equal(s.count, 2);
	unlink(path);
}

static void test_random_bytes_never_crash(void **state)
{
	char path[64], err[256];
	struct ipcd_capture_header h;
	unsigned char junk[4096];
	FILE *f;

	(void)state;
	srand(7);
	temp_path(path, sizeof(path));
	write_capture(path, 0);
	f = fopen(path, "rb");
	assert_int_equal(fread(&h, sizeof(h), 1, f), 1);
	fclose(f);
	for (int round = 0; round < 200; round++) {
		struct seen s = { 0 };
		size_t len = (size_t)rand() % sizeof(junk);

		for (size_t i = 0; i < len; i++)
			junk[i] = (unsigned char)rand();
		f = fopen(path, "wb");
		fwrite(&h, sizeof(h), 1, f);
		fwrite(junk, 1, len, f);
		fclose(f);
		assert_true(read_all(path, &s, err, sizeof(err)) <= 0);
	}
	unlink(path);
}

/* Every record, in order, and how many. */
struct all_seen {
	uint64_t last_ts;
	size_t count;
	bool in_order;
};

static int collect_all(void *ctx, void *rec, size_t size)
{
	struct all_seen *s = ctx;
	const struct ipcd_record_header *h = rec;

	(void)size;
	s->in_order &= h->ts_ns > s->last_ts;
	s->last_ts = h->ts_ns;
	s->count++;
	return 0;
}

/*
 * A disk that refuses part of a write (here RLIMIT_FSIZE: EFBIG past the
 * limit): the write is cut back and its records counted as refused; the
 * file reads back whole, and once writes go through again the writer goes on.
 */
static void full_disk_drops_whole_writes_and_resumes(bool compress)
{
	struct rlimit was, small;
	char path[64], err[256];
	struct capture_writer *w;
	struct capture_writer_refusals r;
	struct capture_reader *rd;
	struct all_seen seen = { .in_order = true };
	const int batches = 60, per_batch = 20;
	uint64_t ts = 0;

	temp_path(path, sizeof(path));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, SIG_IGN);
	w = capture_writer_open(path, 42, compress, err, sizeof(err));
	assert_non_null(w);
	small = was;
	small.rlim_cur = compress ? 2048 : 8192;  /* records alike compress well */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	for (int b = 0; b < batches; b++) {
		/* the limit is lifted for the last batches: space has returned */
		if (b == batches - 5)
			assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
		for (int i = 0; i < per_batch; i++) {
			struct ipcd_proc rec = proc_record(++ts, 1000 + (uint32_t)i);

			for (size_t c = 0; c + 1 < sizeof(rec.task.comm); c++)
				rec.task.comm[c] = (char)('a' + rand() % 26);
			assert_true(capture_writer_add(w, &rec, sizeof(rec)));
		}
		capture_writer_flush(w);
		usleep(2000);  /* a write per batch, more or less */
	}
	assert_int_equal(capture_writer_end(w), 0);
	capture_writer_refusals(w, &r);
	assert_true(r.records > 0);
	assert_int_equal(r.now, 0);  /* the last writes went through */
	assert_int_equal(r.last, -EFBIG);
	assert_int_equal(capture_writer_close(w), 0);

	rd = capture_reader_open(path, err, sizeof(err));
	assert_non_null(rd);
	assert_int_equal(capture_reader_run(rd, collect_all, &seen, err, sizeof(err)), 0);
	capture_reader_close(rd);
	/* what was not refused is there, whole and in order, up to the very last record */
	assert_int_equal(seen.count + r.records, (uint64_t)batches * per_batch);
	assert_true(seen.in_order);
	assert_int_equal(seen.last_ts, ts);
	unlink(path);
}

static void test_full_disk_drops_whole_writes_and_resumes(void **state)
{
	(void)state;
	full_disk_drops_whole_writes_and_resumes(false);
}

static void test_full_disk_keeps_a_compressed_file_whole_frames(void **state)
{
	(void)state;
	full_disk_drops_whole_writes_and_resumes(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_written_records_read_back_in_order),
		cmocka_unit_test(test_empty_capture_has_no_records),
		cmocka_unit_test(test_truncated_record_keeps_those_before),
		cmocka_unit_test(test_corrupt_size_is_named_with_its_offset),
		cmocka_unit_test(test_schema_follows_the_header),
		cmocka_unit_test(test_bad_headers_are_refused),
		cmocka_unit_test(test_header_size_and_directories_are_named),
		cmocka_unit_test(test_a_schema_that_lies_is_refused),
		cmocka_unit_test(test_random_bytes_never_crash),
		cmocka_unit_test(test_full_disk_drops_whole_writes_and_resumes),
		cmocka_unit_test(test_full_disk_keeps_a_compressed_file_whole_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
