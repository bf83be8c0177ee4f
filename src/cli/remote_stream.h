/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ipcdump --remote reads (cli/remote.c), parsed as it arrives in
 * chunks split anywhere: server-sent events (the stream) and JSON Lines
 * (a query's pages), and the one or two members of an event's JSON object
 * that it needs.  No network here: the parsers are fed bytes.
 */
#ifndef IPCD_REMOTE_STREAM_H
#define IPCD_REMOTE_STREAM_H

#include <stdbool.h>
#include <stddef.h>

/* A line longer than this ends the read (a damaged or hostile reply). */
#define REMOTE_LINE_MAX (4u << 20)

/* A growing line buffer. */
struct remote_buf {
	char *data;
	size_t len, cap;
};

/* n bytes more, NUL-terminated; false out of memory or past REMOTE_LINE_MAX. */
bool remote_buf_add(struct remote_buf *b, const char *s, size_t n);

/*
 * Server-sent events (the WHATWG event-stream format): lines end with LF,
 * CRLF or CR; "field: value" (one space after the colon dropped); lines
 * starting with ':' are comments; data lines join with LF; a blank line
 * dispatches the event, if it has data.  last_id is the last id field
 * seen, the resume point (Last-Event-ID).
 */
struct remote_sse {
	struct remote_buf line, data;
	bool has_data;
	bool after_cr;      /* the last line ended with CR: a LF next is part of that end */
	char last_id[32];
	/* each event: its data (NUL-terminated, len bytes) and the last id; non-zero stops the feed */
	int (*on_event)(void *ctx, const char *last_id, const char *data, size_t len);
	void *ctx;
};

/* 0; the callback's non-zero; or -1 (out of memory, a line past REMOTE_LINE_MAX). */
int remote_sse_feed(struct remote_sse *s, const char *buf, size_t len);
/* A new connection: the line and event in progress are dropped (last_id stays). */
void remote_sse_reset(struct remote_sse *s);
void remote_sse_free(struct remote_sse *s);

/* JSON Lines: each non-empty line (without its LF, or CRLF) to on_line, NUL-terminated. */
struct remote_lines {
	struct remote_buf line;
	int (*on_line)(void *ctx, const char *line, size_t len);
	void *ctx;
};

/* 0; the callback's non-zero; or -1 (out of memory, a line past REMOTE_LINE_MAX). */
int remote_lines_feed(struct remote_lines *l, const char *buf, size_t len);
/* The end of the body: a last line without LF goes to on_line; as remote_lines_feed. */
int remote_lines_end(struct remote_lines *l);
void remote_lines_free(struct remote_lines *l);

/*
 * The member key of the JSON object obj[0, len) at its top level (members
 * of nested objects are not it): *value and *vlen its text, a string's
 * without its quotes and as written (escapes not undone).  false when
 * obj has no such member or is not an object.
 */
bool remote_json_member(const char *obj, size_t len, const char *key, const char **value, size_t *vlen);

#endif /* IPCD_REMOTE_STREAM_H */
