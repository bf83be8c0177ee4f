/* SPDX-License-Identifier: GPL-2.0 */
/* GET /api/v1/events through the test driver: pages, cursors, formats, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "api_driver.h"
#include "api_store.h"
#include "format/output.h"
#include "cli/remote_stream.h"
#include "sinks/event_record.h"
#include "util/base64.h"

struct fixture {
	struct test_store store;
	struct ipcda_context *ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	store_open(&f->store);
	f->ctx = api_context_new(f->store.path, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	api_context_free(f->ctx);
	store_close(&f->store);
	free(f);
	return 0;
}

/* A request with name=value pairs (NULL-terminated), answered; the caller frees it. */
static struct ipcda_request *get_events(struct ipcda_context *ctx, const char *accept, ...)
{
	struct ipcda_request *rq = api_request_new(ctx);
	va_list ap;
	const char *name;

	va_start(ap, accept);
	while ((name = va_arg(ap, const char *)))
		api_request_arg(rq, name, va_arg(ap, const char *));
	va_end(ap);
	if (accept)
		api_request_header(rq, "Accept", accept);
	ipcda_get_events(rq);
	api_reply_pump(rq, 4096, 0);
	return rq;
}

/* The ids of a JSON Lines body, in order, into ids; how many. */
static size_t line_ids(const char *body, uint64_t *ids, size_t max)
{
	size_t n = 0;

	for (const char *line = body; *line; line = strchr(line, '\n') + 1) {
		assert_true(strncmp(line, "{\"id\":", 6) == 0);
		assert_true(n < max);
		ids[n++] = strtoull(line + 6, NULL, 10);
		assert_non_null(strchr(line, '\n'));
	}
	return n;
}

static void test_no_store_is_404(void **state)
{
	struct ipcda_context *ctx = api_context_new(NULL, NULL);
	struct ipcda_request *rq = get_events(ctx, NULL, NULL);

	(void)state;
	assert_int_equal(api_reply_status(rq), 404);
	assert_non_null(strstr(api_reply_body(rq, NULL), "no store"));
	api_request_free(rq);
	api_context_free(ctx);
}

static void test_a_bad_filter_is_400_with_the_caret_message(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq = get_events(f->ctx, NULL, "filter", "pid == 5 and colour == red", NULL);

	assert_int_equal(api_reply_status(rq), 400);
	/* the message the command line prints, the text and a caret under column 14 */
	assert_non_null(strstr(api_reply_body(rq, NULL), "at column 14\\n  pid == 5 and colour == red\\n"
							  "               ^\""));
	api_request_free(rq);
}

static void test_bad_limit_cursor_and_time_are_400(void **state)
{
	struct fixture *f = *state;
	const char *bad[][2] = { { "limit", "0" }, { "limit", "10001" }, { "limit", "12x" }, { "cursor", "-1" },
				 { "since", "yesterday" }, { "until", "25:00" } };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipcda_request *rq = get_events(f->ctx, NULL, bad[i][0], bad[i][1], NULL);

		assert_int_equal(api_reply_status(rq), 400);
		assert_non_null(strstr(api_reply_body(rq, NULL), bad[i][0]));
		api_request_free(rq);
	}
}

/* What ipcdump -r store.db -f json prints, into a malloc'd string. */
static char *cli_json(const char *path)
{
	struct ipcd_options *opts = malloc(sizeof(*opts));
	struct ipcd_pipeline *p;
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	ipcd_options_init(opts);
	opts->read_path = path;
	opts->format = IPCD_FORMAT_JSON;
	opts->quiet = true;
	opts->types = ipcd_all_types();
	p = ipcd_pipeline_new(opts, mem);
	ipcd_pipeline_add_sink(p, ipcd_print_sink_new());
	assert_int_equal(ipcd_sqlite_read(p), 0);
	ipcd_pipeline_free(p);
	fclose(mem);
	free(opts);
	return text;
}

static void test_lines_are_the_cli_objects_with_their_id(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq;
	char *cli, *line, *save = NULL;
	const char *body;
	uint64_t id = 1;

	for (int i = 0; i < 5; i++)
		store_add(&f->store, 100 + i, "writer", 10 * (uint64_t)i);
	store_commit(&f->store);
	rq = get_events(f->ctx, NULL, NULL);
	assert_int_equal(api_reply_status(rq), 200);
	assert_string_equal(api_reply_content_type(rq), "application/x-ndjson");
	body = api_reply_body(rq, NULL);
	cli = cli_json(f->store.path);
	for (line = strtok_r(cli, "\n", &save); line; line = strtok_r(NULL, "\n", &save), id++) {
		char expect[4096];

		snprintf(expect, sizeof(expect), "{\"id\":%" PRIu64 ",%s\n", id, line + 1);
		assert_non_null(strstr(body, expect));
	}
	assert_int_equal(id, 6);
	assert_string_equal(api_reply_header(rq, "X-Next-Cursor"), "5");
	assert_string_equal(api_reply_header(rq, "X-More"), "false");
	free(cli);
	api_request_free(rq);
}

/* encoding=record: the same objects, each ending with its event's record, which ipcdump --remote decodes. */
static void test_encoding_record_ends_each_object_with_its_record(void **state)
{
	static uint8_t record[IPCD_EVENT_RECORD_MAX];
	struct fixture *f = *state;
	struct ipcda_request *plain, *rec, *bad;
	char *lines, *line, *save = NULL;
	const char *body, *value;
	size_t n;
	int i = 0;

	for (int k = 0; k < 3; k++)
		store_add(&f->store, 200 + k, "writer", 10 * (uint64_t)k);
	store_commit(&f->store);
	plain = get_events(f->ctx, NULL, NULL);
	rec = get_events(f->ctx, NULL, "encoding", "record", NULL);
	assert_int_equal(api_reply_status(rec), 200);
	body = api_reply_body(plain, NULL);
	lines = strdup(api_reply_body(rec, NULL));
	for (line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		struct ipcd_detail_store st;
		struct ipcd_event e;
		const char *at = strstr(line, ",\"record\":\"");
		ssize_t len;
		int64_t wall;

		/* everything before it is the plain object's */
		assert_non_null(at);
		assert_int_equal(strncmp(body, line, (size_t)(at - line)), 0);
		body = strchr(body, '\n') + 1;
		assert_true(remote_json_member(line, strlen(line), "record", &value, &n));
		assert_true((len = ipcd_base64_decode(value, n, record, sizeof(record))) > 0);
		assert_true(ipcd_event_record_decode(record, (size_t)len, &e, &wall, &st));
		assert_int_equal(e.src.pid, 200 + i);
		assert_string_equal(e.src.comm, "writer");
	}
	assert_int_equal(i, 3);
	bad = get_events(f->ctx, NULL, "encoding", "xml", NULL);
	assert_int_equal(api_reply_status(bad), 400);
	free(lines);
	api_request_free(plain);
	api_request_free(rec);
	api_request_free(bad);
}

static void test_accept_json_gives_one_array(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq;
	const char *body;
	int objects = 0;

	rq = get_events(f->ctx, "application/json", NULL);
	assert_string_equal(api_reply_body(rq, NULL), "[\n]\n");
	api_request_free(rq);
	for (int i = 0; i < 3; i++)
		store_add(&f->store, 100, "writer", 1);
	store_commit(&f->store);
	rq = get_events(f->ctx, "application/json", NULL);
	assert_string_equal(api_reply_content_type(rq), "application/json");
	body = api_reply_body(rq, NULL);
	assert_true(strncmp(body, "[\n{\"id\":1,", 10) == 0);
	assert_non_null(strstr(body, "},\n{\"id\":2,"));
	assert_non_null(strstr(body, "},\n{\"id\":3,"));
	assert_true(strlen(body) > 4 && !strcmp(body + strlen(body) - 4, "}\n]\n"));
	for (const char *c = body; (c = strstr(c, "{\"id\":")); c++)
		objects++;
	assert_int_equal(objects, 3);
	api_request_free(rq);
}

static void test_filter_and_time_window_select_events(void **state)
{
	struct fixture *f = *state;
	struct ipcda_request *rq;
	uint64_t ids[16];
	size_t n;

	for (int i = 0; i < 10; i++)
		store_add(&f->store, i % 2 ? 300 : 200, i % 2 ? "odd" : "even", (uint64_t)i);
	store_commit(&f->store);
	/* a pushed-down term and one the filter alone decides */
	rq = get_events(f->ctx, NULL, "filter", "comm == odd and bytes > 4", NULL);
	n = line_ids(api_reply_body(rq, NULL), ids, 16);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 6);
	assert_int_equal(ids[1], 8);
	assert_int_equal(ids[2], 10);
	api_request_free(rq);
	/* nothing is that old or that new */
	rq = get_events(f->ctx, NULL, "until", "2001-01-01T00:00:00Z", NULL);
	assert_int_equal(api_reply_status(rq), 200);
	assert_string_equal(api_reply_body(rq, NULL), "");
	api_request_free(rq);
	rq = get_events(f->ctx, NULL, "since", "2001-01-01T00:00:00Z", "limit", "4", NULL);
	assert_int_equal(line_ids(api_reply_body(rq, NULL), ids, 16), 4);
	assert_string_equal(api_reply_header(rq, "X-Next-Cursor"), "4");
	assert_string_equal(api_reply_header(rq, "X-More"), "true");
	api_request_free(rq);
}

#define MANY 100000
#define PAGE "7000"
#define MORE_PER_PAGE 1000

/*
 * 100 000 events, read a page at a time while more are stored between
 * pages and between a page's chunks: every id once, in order, none missing.
 */
static void test_cursor_pages_without_gap_or_duplicate_while_inserting(void **state)
{
	struct fixture *f = *state;
	static uint64_t ids[MANY * 2];
	uint64_t seen = 0, cursor = 0;
	char cursor_text[32];
	bool more = true;
	int pages = 0;

	for (int i = 0; i < MANY; i++)
		store_add(&f->store, 100 + i % 50, "writer", (uint64_t)i);
	store_commit(&f->store);
	while (more || cursor < f->store.next_id - 1) {
		struct ipcda_request *rq = api_request_new(f->ctx);

		snprintf(cursor_text, sizeof(cursor_text), "%" PRIu64, cursor);
		api_request_arg(rq, "limit", PAGE);
		api_request_arg(rq, "cursor", cursor_text);
		ipcda_get_events(rq);
		assert_int_equal(api_reply_status(rq), 200);
		/* the daemon goes on storing while the page streams */
		while (!api_reply_pump(rq, 65536, 50)) {
			for (int i = 0; i < MORE_PER_PAGE / 10; i++)
				store_add(&f->store, 7, "late", 1);
			store_commit(&f->store);
		}
		seen += line_ids(api_reply_body(rq, NULL), ids + seen, MANY * 2 - seen);
		cursor = strtoull(api_reply_header(rq, "X-Next-Cursor"), NULL, 10);
		more = !strcmp(api_reply_header(rq, "X-More"), "true");
		api_request_free(rq);
		if (pages++ < 10) {   /* and between pages, for a while */
			for (int i = 0; i < MORE_PER_PAGE; i++)
				store_add(&f->store, 8, "later", 2);
			store_commit(&f->store);
		}
		assert_true(pages < 100);
	}
	assert_int_equal(seen, f->store.next_id - 1);
	for (uint64_t i = 0; i < seen; i++)
		assert_int_equal(ids[i], i + 1);
	assert_true(seen > MANY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_store_is_404),
		cmocka_unit_test_setup_teardown(test_a_bad_filter_is_400_with_the_caret_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_limit_cursor_and_time_are_400, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lines_are_the_cli_objects_with_their_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_encoding_record_ends_each_object_with_its_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_json_gives_one_array, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter_and_time_window_select_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cursor_pages_without_gap_or_duplicate_while_inserting, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
