/* SPDX-License-Identifier: GPL-2.0 */
#include "cli/remote_stream.h"

#include <stdlib.h>
#include <string.h>

bool remote_buf_add(struct remote_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *grown;

		if (b->len + n >= REMOTE_LINE_MAX)
			return false;
		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(grown = realloc(b->data, cap)))
			return false;
		b->data = grown;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

static void buf_free(struct remote_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ---- server-sent events ----------------------------------------------------------- */

static int sse_dispatch(struct remote_sse *s)
{
	int rc = 0;

	if (s->has_data)
		rc = s->on_event(s->ctx, s->last_id, s->data.data ? s->data.data : "", s->data.len);
	s->data.len = 0;
	s->has_data = false;
	return rc;
}

/* One whole line, without its end. */
static int sse_line(struct remote_sse *s, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t name_len = colon ? (size_t)(colon - line) : len;
	const char *value = colon ? colon + 1 : line + len;
	size_t value_len = (size_t)(line + len - value);

	if (!len)
		return sse_dispatch(s);
	if (!name_len)   /* a comment (a keep-alive, a note from the server) */
		return 0;
	if (value_len && *value == ' ') {
		value++;
		value_len--;
	}
	if (name_len == 4 && !memcmp(line, "data", 4)) {
		if ((s->has_data && !remote_buf_add(&s->data, "\n", 1)) || !remote_buf_add(&s->data, value, value_len))
			return -1;
		s->has_data = true;
	} else if (name_len == 2 && !memcmp(line, "id", 2) && value_len < sizeof(s->last_id) &&
		   !memchr(value, '\0', value_len)) {
		memcpy(s->last_id, value, value_len);
		s->last_id[value_len] = '\0';
	}
	/* event:, retry: and fields we do not know: the data says all we need */
	return 0;
}

int remote_sse_feed(struct remote_sse *s, const char *buf, size_t len)
{
	const char *end = buf + len;
	int rc;

	while (buf < end) {
		const char *eol = buf;

		if (s->after_cr && *buf == '\n') {
			buf++;
			s->after_cr = false;
			continue;
		}
		s->after_cr = false;
		while (eol < end && *eol != '\n' && *eol != '\r')
			eol++;
		if (!remote_buf_add(&s->line, buf, (size_t)(eol - buf)))
			return -1;
		if (eol == end)
			return 0;
		s->after_cr = *eol == '\r';
		rc = sse_line(s, s->line.data, s->line.len);
		s->line.len = 0;
		if (rc)
			return rc;
		buf = eol + 1;
	}
	return 0;
}

void remote_sse_reset(struct remote_sse *s)
{
	s->line.len = 0;
	s->data.len = 0;
	s->has_data = false;
	s->after_cr = false;
}

void remote_sse_free(struct remote_sse *s)
{
	buf_free(&s->line);
	buf_free(&s->data);
}

/* ---- JSON Lines --------------------------------------------------------------------- */

static int lines_emit(struct remote_lines *l)
{
	size_t n = l->line.len;
	int rc = 0;

	if (n && l->line.data[n - 1] == '\r')
		l->line.data[--n] = '\0';
	if (n)
		rc = l->on_line(l->ctx, l->line.data, n);
	l->line.len = 0;
	return rc;
}

int remote_lines_feed(struct remote_lines *l, const char *buf, size_t len)
{
	const char *end = buf + len;
	int rc;

	while (buf < end) {
		const char *eol = memchr(buf, '\n', (size_t)(end - buf));

		if (!remote_buf_add(&l->line, buf, (size_t)((eol ? eol : end) - buf)))
			return -1;
		if (!eol)
			return 0;
		if ((rc = lines_emit(l)))
			return rc;
		buf = eol + 1;
	}
	return 0;
}

int remote_lines_end(struct remote_lines *l)
{
	return l->line.len ? lines_emit(l) : 0;
}

void remote_lines_free(struct remote_lines *l)
{
	buf_free(&l->line);
}

/* ---- members of an object --------------------------------------------------------------- */

struct scan {
	const char *p, *end;
};

static void skip_space(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* Past a string whose opening quote s->p is at; its content in [*start, *stop). false if unterminated. */
static bool skip_string(struct scan *s, const char **start, const char **stop)
{
	*start = ++s->p;
	while (s->p < s->end && *s->p != '"')
		s->p += *s->p == '\\' && s->end - s->p > 1 ? 2 : 1;
	if (s->p >= s->end)
		return false;
	*stop = s->p++;
	return true;
}

/* Past one value (nested objects and arrays whole); its text in [*start, *stop). */
static bool skip_value(struct scan *s, const char **start, const char **stop)
{
	int depth = 0;
	const char *a, *b;

	skip_space(s);
	if (s->p < s->end && *s->p == '"')
		return skip_string(s, start, stop);
	*start = s->p;
	while (s->p < s->end) {
		char c = *s->p;

		if (c == '"') {
			if (!skip_string(s, &a, &b))
				return false;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && depth-- == 0)
			break;
		else if (c == ',' && depth == 0)
			break;
		s->p++;
	}
	*stop = s->p;
	while (*stop > *start && ((*stop)[-1] == ' ' || (*stop)[-1] == '\t'))
		(*stop)--;
	return depth <= 0 && *stop > *start;
}

bool remote_json_member(const char *obj, size_t len, const char *key, const char **value, size_t *vlen)
{
	struct scan s = { .p = obj, .end = obj + len };
	size_t key_len = strlen(key);
	const char *k, *k_end, *v, *v_end;

	skip_space(&s);
	if (s.p >= s.end || *s.p++ != '{')
		return false;
	for (;;) {
		skip_space(&s);
		if (s.p >= s.end || *s.p != '"' || !skip_string(&s, &k, &k_end))
			return false;
		skip_space(&s);
		if (s.p >= s.end || *s.p++ != ':' || !skip_value(&s, &v, &v_end))
			return false;
		if ((size_t)(k_end - k) == key_len && !memcmp(k, key, key_len)) {
			*value = v;
			*vlen = (size_t)(v_end - v);
			return true;
		}
		skip_space(&s);
		if (s.p >= s.end || *s.p++ != ',')
			return false;
	}
}
