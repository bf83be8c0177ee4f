/* SPDX-License-Identifier: GPL-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/registry.h"
#include "filter/filter_expr.h"
#include "engine/options.h"
#include "families/signal_names.h"
#include "format/channel.h"

/*
 * Regular expressions are PCRE2's, not glibc's regcomp: glibc has no limit
 * of its own, and patterns such as "p+++...+e" or "((a{255}){255}){255}"
 * take it minutes and gigabytes to compile.  Rules about which patterns
 * are safe for it would be a parser of their own, and would still leave
 * matching unbounded.  PCRE2 bounds both: the compiled size (64 KiB with
 * Debian's link size) and parenthesis nesting when compiling, and the
 * steps, depth and memory of each match, so a filter costs at most so much
 * per event whatever its pattern.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define REGEX_MAX_LEN 1024            /* bytes of pattern */
#define REGEX_MAX_NESTING 32          /* parentheses inside parentheses */
#define REGEX_MATCH_LIMIT 1000000     /* backtracking steps per match (milliseconds) */
#define REGEX_DEPTH_LIMIT 10000       /* nested backtracking points per match */
#define REGEX_HEAP_LIMIT_KIB 8192     /* memory for them */

#define STR_(x) #x
#define STR(x) STR_(x)

/* A parser recurses once per "(" and "not": the stack bounds the nesting. */
#define FILTER_MAX_NESTING 256
/* Matching and freeing recurse through and/or chains: so many comparisons at most. */
#define FILTER_MAX_COMPARISONS 4096

enum field {
	F_TYPE, F_PID, F_SRC_PID, F_DST_PID, F_TID, F_PPID, F_COMM, F_SRC_COMM, F_DST_COMM,
	F_BYTES, F_LATENCY, F_FAMILY, F_PORT, F_SRC_PORT, F_DST_PORT, F_CHANNEL, F_PAYLOAD, F_KEY,
};

enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_RE, OP_NRE, OP_CONTAINS };

enum node_kind { N_AND, N_OR, N_NOT, N_CMP };

struct fexpr {
	enum node_kind kind;
	struct fexpr *left, *right;   /* AND/OR; NOT uses left */
	enum field field;
	enum op op;
	bool numeric;                  /* the value is a number */
	bool is_unsigned;              /* a u64 field: the value is unum */
	int64_t num;
	uint64_t unum;
	char *text;
	pcre2_code *re;
	pcre2_match_data *re_match;
	pcre2_match_context *re_limits;
	uint32_t types;                /* type == NAME: the IPCD_TYPE_BIT mask NAME stands for */
	const struct ipcd_filter_field *family_field;  /* F_FAMILY: a field a family declares */
};

static const struct {
	const char *name;
	enum field field;
	bool numeric;                  /* compared as numbers */
} fields[] = {
	{ "type", F_TYPE, false }, { "pid", F_PID, true }, { "src.pid", F_SRC_PID, true },
	{ "dst.pid", F_DST_PID, true }, { "tid", F_TID, true }, { "ppid", F_PPID, true },
	{ "comm", F_COMM, false }, { "src.comm", F_SRC_COMM, false }, { "dst.comm", F_DST_COMM, false },
	{ "bytes", F_BYTES, true }, { "size", F_BYTES, true }, { "latency", F_LATENCY, true },
	{ "port", F_PORT, true }, { "src.port", F_SRC_PORT, true },
	{ "dst.port", F_DST_PORT, true }, { "channel", F_CHANNEL, false }, { "path", F_CHANNEL, false },
	{ "payload", F_PAYLOAD, false }, { "key", F_KEY, true },
};

/* The fields that are u64 in events: their values go up to 2^64 - 1, with no sign. */
static bool field_is_u64(enum field f)
{
	return f == F_BYTES || f == F_LATENCY;
}

/* ---- the lexer --------------------------------------------------------- */

struct parser {
	const char *text;
	size_t pos;
	char *err;
	size_t errlen;
	size_t err_col;
	bool failed;
	unsigned int nesting;          /* "(" and "not" open around the current point */
	unsigned int comparisons;
};

static void fail(struct parser *p, size_t col, const char *fmt, const char *arg)
{
	if (p->failed)
		return;
	p->failed = true;
	p->err_col = col;
	snprintf(p->err, p->errlen, fmt, arg);
}

static void skip_space(struct parser *p)
{
	while (isspace((unsigned char)p->text[p->pos]))
		p->pos++;
}

static bool word_char(char c)
{
	/* strchr finds the terminating NUL too */
	return c && (isalnum((unsigned char)c) || strchr("._-/*?[]:@+%", c));
}

/* Consumes keyword (a word, or punctuation) if it comes next. */
static bool accept_kw(struct parser *p, const char *kw)
{
	size_t len = strlen(kw);

	skip_space(p);
	if (strncmp(p->text + p->pos, kw, len))
		return false;
	if (isalpha((unsigned char)kw[0]) && word_char(p->text[p->pos + len]))
		return false;
	p->pos += len;
	return true;
}

/* A bare word or a quoted string; NULL (after failing) if neither. */
static char *read_value(struct parser *p)
{
	size_t start, len = 0;
	char *out;

	skip_space(p);
	start = p->pos;
	if (p->text[p->pos] == '"') {
		out = malloc(strlen(p->text + p->pos) + 1);
		if (!out)
			return NULL;
		for (p->pos++; p->text[p->pos] && p->text[p->pos] != '"'; p->pos++) {
			if (p->text[p->pos] == '\\' && p->text[p->pos + 1])
				p->pos++;
			out[len++] = p->text[p->pos];
		}
		if (p->text[p->pos] != '"') {
			free(out);
			fail(p, start, "unterminated string%s", "");
			return NULL;
		}
		p->pos++;
		out[len] = '\0';
		return out;
	}
	while (word_char(p->text[p->pos]))
		p->pos++;
	if (p->pos == start) {
		fail(p, start, p->text[start] ? "expected a value%s" : "expected a value at the end%s", "");
		return NULL;
	}
	return strndup(p->text + start, p->pos - start);
}

/* ---- the parser -------------------------------------------------------- */

static struct fexpr *parse_or(struct parser *p);

static struct fexpr *node(enum node_kind kind, struct fexpr *left, struct fexpr *right)
{
	struct fexpr *n = calloc(1, sizeof(*n));

	if (!n) {
		fexpr_free(left);
		fexpr_free(right);
		return NULL;
	}
	n->kind = kind;
	n->left = left;
	n->right = right;
	return n;
}

static bool parse_op(struct parser *p, enum op *op)
{
	static const struct { const char *kw; enum op op; } ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE }, { "!~", OP_NRE },
		{ "=", OP_EQ }, { "<", OP_LT }, { ">", OP_GT }, { "~", OP_RE }, { "contains", OP_CONTAINS },
		{ "matches", OP_RE },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (accept_kw(p, ops[i].kw)) {
			*op = ops[i].op;
			return true;
		}
	}
	return false;
}

/* 0: a number; -ERANGE: a number beyond the field's type; -EINVAL: not a number. */
static int parse_number(const char *text, int64_t *num)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 0);
	if (end == text || *end)
		return -EINVAL;
	if (errno)
		return -ERANGE;
	*num = v;
	return 0;
}

/* As parse_number, for the u64 fields (bytes, latency): no sign, up to 2^64 - 1. */
static int parse_unsigned(const char *text, uint64_t *num)
{
	const char *digits = text;
	char *end;
	unsigned long long v;

	while (isspace((unsigned char)*digits))
		digits++;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (end == text || *end)
		return -EINVAL;
	/* strtoull takes "-1" as 2^64 - 1 */
	if (errno || *digits == '-')
		return -ERANGE;
	*num = v;
	return 0;
}

/* A number for n's field, or a one-line reason naming the field's range. */
static bool parse_field_number(struct parser *p, struct fexpr *n, size_t col, bool is_unsigned)
{
	const char *range = is_unsigned ? "'%s' is out of range (0 to 18446744073709551615)"
					: "'%s' is out of range (-9223372036854775808 to 9223372036854775807)";
	int rc;

	if (is_unsigned) {
		rc = parse_unsigned(n->text, &n->unum);
	} else {
		rc = parse_number(n->text, &n->num);
		if (rc == -EINVAL && n->family_field && n->family_field->word &&
		    n->family_field->word(n->text, &n->num))
			rc = 0;
	}
	if (!rc) {
		n->numeric = true;
		n->is_unsigned = is_unsigned;
		return true;
	}
	fail(p, col, rc == -ERANGE ? range : "expected a number, got '%s'", n->text);
	return false;
}

/* Compiles n's pattern with PCRE2's limits; false (after failing) if it is refused. */
static bool compile_regex(struct parser *p, struct fexpr *n, size_t col)
{
	pcre2_compile_context *cc;
	char msg[256], why[512];
	int code;
	PCRE2_SIZE at;

	if (strlen(n->text) > REGEX_MAX_LEN) {
		snprintf(why, sizeof(why), "regular expression longer than %d bytes%s", REGEX_MAX_LEN, "");
		fail(p, col, "%s", why);
		return false;
	}
	cc = pcre2_compile_context_create(NULL);
	n->re_limits = pcre2_match_context_create(NULL);
	if (!cc || !n->re_limits) {
		pcre2_compile_context_free(cc);
		fail(p, col, "out of memory%s", "");
		return false;
	}
	pcre2_set_parens_nest_limit(cc, REGEX_MAX_NESTING);
	pcre2_set_match_limit(n->re_limits, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(n->re_limits, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(n->re_limits, REGEX_HEAP_LIMIT_KIB);
	n->re = pcre2_compile((PCRE2_SPTR)n->text, PCRE2_ZERO_TERMINATED, 0, &code, &at, cc);
	pcre2_compile_context_free(cc);
	if (!n->re) {
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(why, sizeof(why), "invalid regular expression '%.200s': %s", n->text, msg);
		fail(p, col, "%s", why);
		return false;
	}
	n->re_match = pcre2_match_data_create_from_pattern(n->re, NULL);
	if (!n->re_match) {
		fail(p, col, "out of memory%s", "");
		return false;
	}
	return true;
}

/* A wildcard pattern that matches no event type is as unknown as a misspelt name. */
static bool pattern_names_a_type(const char *pattern)
{
	for (uint32_t type = 0; type < IPCD_TYPE_COUNT; type++)
		if (!fnmatch(pattern, ipcd_type_name(type), 0))
			return true;
	return false;
}

/* type == NAME takes what -t takes, with the same meaning; anything else is refused with the list. */
static bool check_type(struct parser *p, struct fexpr *n, size_t col)
{
	char msg[512], names[400];

	if (n->op != OP_EQ && n->op != OP_NE)
		return true;
	if (strpbrk(n->text, "*?[") ? pattern_names_a_type(n->text) : (n->types = ipcd_type_family(n->text)) != 0)
		return true;
	ipcd_type_names(names, sizeof(names));
	snprintf(msg, sizeof(msg), "unknown type '%.40s': expected %s", n->text, names);
	fail(p, col, "%s", msg);
	return false;
}

/* Checks that field, op and value go together, and prepares the value. */
static bool check_comparison(struct parser *p, struct fexpr *n, size_t col, bool numeric_field,
			     bool unsigned_field)
{
	if (n->op == OP_RE || n->op == OP_NRE) {
		if (numeric_field) {
			fail(p, col, "~ needs a text field, not a number%s", "");
			return false;
		}
		return compile_regex(p, n, col);
	}
	if (n->op == OP_CONTAINS) {
		if (n->field != F_PAYLOAD && numeric_field) {
			fail(p, col, "contains needs a text field%s", "");
			return false;
		}
		return true;
	}
	if (n->field == F_PAYLOAD) {
		fail(p, col, "payload takes contains, ~ or !~%s", "");
		return false;
	}
	if (numeric_field)
		return parse_field_number(p, n, col, unsigned_field);
	if (n->op != OP_EQ && n->op != OP_NE) {
		fail(p, col, "text compares with ==, !=, ~, !~ or contains only%s", "");
		return false;
	}
	return n->field != F_TYPE || check_type(p, n, col);
}

static struct fexpr *parse_comparison(struct parser *p)
{
	struct fexpr *n;
	size_t start, value_col, i;
	const struct ipcd_filter_field *family_field = NULL;

	skip_space(p);
	start = p->pos;
	while (word_char(p->text[p->pos]))
		p->pos++;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (p->pos - start == strlen(fields[i].name) &&
		    !strncmp(p->text + start, fields[i].name, p->pos - start))
			break;
	if (i == sizeof(fields) / sizeof(fields[0]) && p->pos > start)
		family_field = ipcd_filter_field_named(p->text + start, p->pos - start);
	if (p->pos == start) {
		fail(p, start, p->text[start] ? "expected a field%s" : "expected a field at the end%s", "");
		return NULL;
	}
	if (i == sizeof(fields) / sizeof(fields[0]) && !family_field) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(p->pos - start), p->text + start);
		fail(p, start, "unknown field '%s'", name);
		return NULL;
	}
	if (++p->comparisons > FILTER_MAX_COMPARISONS) {
		fail(p, start, "more than %s comparisons in one filter", STR(FILTER_MAX_COMPARISONS));
		return NULL;
	}
	n = node(N_CMP, NULL, NULL);
	if (!n)
		return NULL;
	n->field = family_field ? F_FAMILY : fields[i].field;
	n->family_field = family_field;
	if (!parse_op(p, &n->op)) {
		skip_space(p);
		fail(p, p->pos, "expected an operator (==, !=, <, <=, >, >=, ~, !~, contains)%s", "");
		fexpr_free(n);
		return NULL;
	}
	skip_space(p);
	value_col = p->pos;
	n->text = read_value(p);
	if (!n->text || !check_comparison(p, n, value_col, family_field || fields[i].numeric,
					  !family_field && field_is_u64(fields[i].field))) {
		fexpr_free(n);
		return NULL;
	}
	return n;
}

/* One more "(" or "not" around what follows; false (after failing) past the limit. */
static bool enter_nesting(struct parser *p, size_t col)
{
	if (++p->nesting <= FILTER_MAX_NESTING)
		return true;
	fail(p, col, "nested more than %s deep (parentheses and not)", STR(FILTER_MAX_NESTING));
	return false;
}

static struct fexpr *parse_unary(struct parser *p)
{
	struct fexpr *inner;
	size_t open;

	skip_space(p);
	open = p->pos;
	if (accept_kw(p, "not") || accept_kw(p, "!")) {
		if (!enter_nesting(p, open))
			return NULL;
		inner = parse_unary(p);
		p->nesting--;
		return inner ? node(N_NOT, inner, NULL) : NULL;
	}
	if (accept_kw(p, "(")) {
		if (!enter_nesting(p, open))
			return NULL;
		inner = parse_or(p);
		p->nesting--;
		if (!inner)
			return NULL;
		if (!accept_kw(p, ")")) {
			fail(p, open, "unbalanced parenthesis%s", "");
			fexpr_free(inner);
			return NULL;
		}
		return inner;
	}
	return parse_comparison(p);
}

static struct fexpr *parse_and(struct parser *p)
{
	struct fexpr *left = parse_unary(p), *right;

	while (left && (accept_kw(p, "and") || accept_kw(p, "&&"))) {
		right = parse_unary(p);
		if (!right) {
			fexpr_free(left);
			return NULL;
		}
		left = node(N_AND, left, right);
	}
	return left;
}

static struct fexpr *parse_or(struct parser *p)
{
	struct fexpr *left = parse_and(p), *right;

	while (left && (accept_kw(p, "or") || accept_kw(p, "||"))) {
		right = parse_and(p);
		if (!right) {
			fexpr_free(left);
			return NULL;
		}
		left = node(N_OR, left, right);
	}
	return left;
}

struct fexpr *fexpr_parse(const char *text, char *err, size_t errlen, size_t *col)
{
	struct parser p = { .text = text, .err = err, .errlen = errlen };
	struct fexpr *e = parse_or(&p);

	skip_space(&p);
	if (e && text[p.pos]) {
		fail(&p, p.pos, text[p.pos] == ')' ? "unbalanced parenthesis%s" : "expected and, or or the end%s",
		     "");
		fexpr_free(e);
		e = NULL;
	}
	if (!e && !p.failed)
		fail(&p, p.pos, "out of memory%s", "");
	if (!e)
		*col = p.err_col;
	return e;
}

void fexpr_free(struct fexpr *e)
{
	if (!e)
		return;
	fexpr_free(e->left);
	fexpr_free(e->right);
	pcre2_match_data_free(e->re_match);
	pcre2_match_context_free(e->re_limits);
	pcre2_code_free(e->re);
	free(e->text);
	free(e);
}

static const char *field_name(const struct fexpr *n)
{
	if (n->family_field)
		return n->family_field->name;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].field == n->field)
			return fields[i].name;
	return "";
}

void fexpr_each_required(const struct fexpr *e, void (*fn)(void *ctx, const char *field, const char *value),
			 void *ctx)
{
	if (e->kind == N_AND) {
		fexpr_each_required(e->left, fn, ctx);
		fexpr_each_required(e->right, fn, ctx);
	} else if (e->kind == N_CMP && e->op == OP_EQ) {
		fn(ctx, field_name(e), e->text);
	}
}

/* ---- matching ---------------------------------------------------------- */

static bool compare_num(enum op op, int64_t have, int64_t want)
{
	switch (op) {
	case OP_EQ: return have == want;
	case OP_NE: return have != want;
	case OP_LT: return have < want;
	case OP_LE: return have <= want;
	case OP_GT: return have > want;
	case OP_GE: return have >= want;
	default: return false;
	}
}

static bool compare_unsigned(enum op op, uint64_t have, uint64_t want)
{
	switch (op) {
	case OP_EQ: return have == want;
	case OP_NE: return have != want;
	case OP_LT: return have < want;
	case OP_LE: return have <= want;
	case OP_GT: return have > want;
	case OP_GE: return have >= want;
	default: return false;
	}
}

/* A u64 field against the value, as parsed for it. */
static bool compare_field_u64(const struct fexpr *n, uint64_t have)
{
	if (n->is_unsigned)
		return compare_unsigned(n->op, have, n->unum);
	return compare_num(n->op, (int64_t)have, n->num);
}

/*
 * Whether n's pattern matches subject.  A match that reaches a limit is
 * taken as no match, and said once: the filter goes on, bounded.
 */
static bool regex_hit(const struct fexpr *n, const char *subject, size_t len)
{
	/* the process's: filters run in several threads (the daemon's, the API's requests) */
	static atomic_bool warned;
	int rc = pcre2_match(n->re, (PCRE2_SPTR)subject, len, 0, 0, n->re_match, n->re_limits);

	if (rc >= 0)
		return true;
	if (rc != PCRE2_ERROR_NOMATCH && !atomic_exchange(&warned, true)) {
		char msg[256];

		pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof(msg));
		fprintf(stderr, "ipcdump: a regular expression gave up on an event (%s): taken as no match\n", msg);
	}
	return false;
}

static bool compare_text(const struct fexpr *n, const char *have)
{
	if (!have)
		return n->op == OP_NE || n->op == OP_NRE;
	switch (n->op) {
	case OP_EQ: return !fnmatch(n->text, have, 0);
	case OP_NE: return fnmatch(n->text, have, 0) != 0;
	case OP_RE: return regex_hit(n, have, strlen(have));
	case OP_NRE: return !regex_hit(n, have, strlen(have));
	case OP_CONTAINS: return strstr(have, n->text) != NULL;
	default: return false;
	}
}

static bool match_payload(const struct fexpr *n, const struct ipcd_event *ev)
{
	char *copy;
	bool hit;

	if (n->op == OP_CONTAINS)
		return ev->payload_len && memmem(ev->payload, ev->payload_len, n->text, strlen(n->text));
	/* a regex runs over text: NUL bytes end nothing here */
	copy = malloc(ev->payload_len + 1);
	if (!copy)
		return false;
	for (uint32_t i = 0; i < ev->payload_len; i++)
		copy[i] = ev->payload[i] ? (char)ev->payload[i] : ' ';
	copy[ev->payload_len] = '\0';
	hit = regex_hit(n, copy, ev->payload_len);
	free(copy);
	return n->op == OP_NRE ? !hit : hit;
}

static const char *comm_of(const struct ipcd_endpoint *ep)
{
	return ep->pid >= 0 && ep->comm[0] ? ep->comm : NULL;
}

static bool has_ports(const struct ipcd_event *ev)
{
	return ev->has_inet;
}

/* A field of either end: "==" if one end matches, "!=" if neither does. */
static bool either_num(const struct fexpr *n, int64_t a, bool a_known, int64_t b, bool b_known)
{
	bool hit;

	if (n->op == OP_NE)
		return !((a_known && a == n->num) || (b_known && b == n->num));
	hit = (a_known && compare_num(n->op, a, n->num)) || (b_known && compare_num(n->op, b, n->num));
	return hit;
}

static bool either_text(const struct fexpr *n, const char *a, const char *b)
{
	struct fexpr positive = *n;

	if (n->op == OP_NE || n->op == OP_NRE) {
		positive.op = n->op == OP_NE ? OP_EQ : OP_RE;
		return !(a && compare_text(&positive, a)) && !(b && compare_text(&positive, b));
	}
	return (a && compare_text(n, a)) || (b && compare_text(n, b));
}

static bool match_cmp(const struct fexpr *n, const struct ipcd_event *ev)
{
	char channel[IPCD_PATH_MAX + 160];

	switch (n->field) {
	case F_TYPE:
		if (n->types)
			return ((n->types & IPCD_TYPE_BIT(ev->type)) != 0) == (n->op == OP_EQ);
		return compare_text(n, ipcd_type_name(ev->type));
	case F_PID: return either_num(n, ev->src.pid, ev->src.pid >= 0, ev->dst.pid, ev->dst.pid >= 0);
	case F_SRC_PID: return ev->src.pid >= 0 && compare_num(n->op, ev->src.pid, n->num);
	case F_DST_PID: return ev->dst.pid >= 0 && compare_num(n->op, ev->dst.pid, n->num);
	case F_TID: return either_num(n, ev->src.tid, ev->src.tid >= 0, ev->dst.tid, ev->dst.tid >= 0);
	case F_PPID: return either_num(n, ev->src.ppid, ev->src.ppid >= 0, ev->dst.ppid, ev->dst.ppid >= 0);
	case F_COMM: return either_text(n, comm_of(&ev->src), comm_of(&ev->dst));
	case F_SRC_COMM: return compare_text(n, comm_of(&ev->src));
	case F_DST_COMM: return compare_text(n, comm_of(&ev->dst));
	case F_BYTES: return compare_field_u64(n, ev->bytes);
	case F_LATENCY: return (ev->flags & IPCD_EF_HAS_LATENCY) && compare_field_u64(n, ev->latency_ns);
	case F_FAMILY: {
		int64_t value;

		return n->family_field->value(ev, &value) && compare_num(n->op, value, n->num);
	}
	case F_PORT:
		return either_num(n, ev->inet.sport, has_ports(ev), ev->inet.dport, has_ports(ev));
	case F_SRC_PORT: return has_ports(ev) && compare_num(n->op, ev->inet.sport, n->num);
	case F_DST_PORT: return has_ports(ev) && compare_num(n->op, ev->inet.dport, n->num);
	case F_CHANNEL:
		ipcd_event_channel(ev, channel, sizeof(channel));
		return compare_text(n, channel);
	case F_PAYLOAD: return match_payload(n, ev);
	case F_KEY:
		/* a SysV message queue's or shared memory segment's key */
		if (ev->mq_has_key)
			return compare_num(n->op, (uint32_t)ev->mq_key, n->num);
		return ev->shm_has_key && compare_num(n->op, (uint32_t)ev->shm_key, n->num);
	}
	return false;
}

bool fexpr_match(const struct fexpr *e, const struct ipcd_event *ev)
{
	switch (e->kind) {
	case N_AND: return fexpr_match(e->left, ev) && fexpr_match(e->right, ev);
	case N_OR: return fexpr_match(e->left, ev) || fexpr_match(e->right, ev);
	case N_NOT: return !fexpr_match(e->left, ev);
	case N_CMP: return match_cmp(e, ev);
	}
	return false;
}
