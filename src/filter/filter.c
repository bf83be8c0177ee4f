/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter/filter.h"
#include "filter/filter_expr.h"

bool ipcd_filter_active(const struct ipcd_options *opts)
{
	return opts->any_pids.count || opts->src_pids.count || opts->dst_pids.count ||
	       opts->any_comms.count || opts->src_comms.count || opts->dst_comms.count || opts->filter_text;
}

/* A growing string; on running out of memory it stays NULL. */
struct text {
	char *s;
	size_t len, cap;
};

static void put(struct text *t, const char *s, size_t n)
{
	char *grown;

	if (!t->s && t->cap)
		return;
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		grown = realloc(t->s, t->cap);
		if (!grown) {
			free(t->s);
			t->s = NULL;
			return;
		}
		t->s = grown;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void puts_(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

/*
 * A comm as a literal in the language: quoted, and with what the string
 * syntax or the wildcard match would read as special escaped twice over
 * (once for the string, once for fnmatch).
 */
static void put_comm(struct text *t, const char *comm)
{
	puts_(t, "\"");
	for (size_t i = 0; i < IPCD_COMM_LEN && comm[i]; i++) {
		char c = comm[i];

		if (c == '*' || c == '?' || c == '[' || c == '\\')
			puts_(t, "\\\\");
		if (c == '"' || c == '\\')
			puts_(t, "\\");
		put(t, &c, 1);
	}
	puts_(t, "\"");
}

/* "(field == a or field == b)" ANDed onto t, for one flag's values. */
static void put_pids(struct text *t, const char *field, const struct ipcd_id_list *l)
{
	char num[32];

	if (!l->count)
		return;
	puts_(t, t->len ? " and (" : "(");
	for (size_t i = 0; i < l->count; i++) {
		snprintf(num, sizeof(num), "%s%s == %u", i ? " or " : "", field, l->ids[i]);
		puts_(t, num);
	}
	puts_(t, ")");
}

static void put_comms(struct text *t, const char *field, const struct ipcd_comm_list *l)
{
	if (!l->count)
		return;
	puts_(t, t->len ? " and (" : "(");
	for (size_t i = 0; i < l->count; i++) {
		if (i)
			puts_(t, " or ");
		puts_(t, field);
		puts_(t, " == ");
		put_comm(t, l->comms[i]);
	}
	puts_(t, ")");
}

bool ipcd_filter_compile(struct ipcd_options *opts)
{
	struct text t = { 0 };
	char err[256];
	size_t col;

	put_pids(&t, "pid", &opts->any_pids);
	put_pids(&t, "src.pid", &opts->src_pids);
	put_pids(&t, "dst.pid", &opts->dst_pids);
	put_comms(&t, "comm", &opts->any_comms);
	put_comms(&t, "src.comm", &opts->src_comms);
	put_comms(&t, "dst.comm", &opts->dst_comms);
	if (opts->filter_text) {
		puts_(&t, t.len ? " and (" : "(");
		puts_(&t, opts->filter_text);
		puts_(&t, ")");
	}
	fexpr_free(opts->filter);
	opts->filter = NULL;
	if (!t.len)
		return true;
	if (!t.s)
		return false;
	opts->filter = fexpr_parse(t.s, err, sizeof(err), &col);
	free(t.s);
	return opts->filter != NULL;
}

bool ipcd_filter_match(const struct ipcd_options *opts, const struct ipcd_event *e)
{
	return e->type == IPCD_TYPE_LOST || !opts->filter || fexpr_match(opts->filter, e);
}
