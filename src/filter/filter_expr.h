/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The filter language (-F 'EXPR', or the trailing arguments, as tcpdump):
 *
 *   expr   := or
 *   or     := and { ("or" | "||") and }
 *   and    := unary { ("and" | "&&") unary }
 *   unary  := ("not" | "!") unary | "(" expr ")" | field op value
 *   op     := == (= too) != < <= > >= ~ (regex, or "matches") !~ contains
 *   value  := number | "quoted string" | bare-word
 *
 * type takes every name -t takes, with its meaning (type == unix: every
 * unix type and unix-conn; type == us: unix-stream), and the printed type
 * names (unix-conn, loopback-tcp-conn, mq-op, lost); an unknown name is an
 * error.  signal takes a number or a name as kill -l gives it (USR1,
 * SIGRTMIN+2, RTMAX-1).
 *
 * Fields: type, pid, src.pid, dst.pid, tid, ppid, comm, src.comm, dst.comm,
 * bytes (or size), latency (ns), signal (number or name), port, src.port,
 * dst.port, channel (or path: the event's channel as CSV shows it), key (a
 * SysV queue's or segment's key), and payload (contains, ~).  A field without src./dst. is either end: "pid ==
 * 5" holds if one end is 5, "pid != 5" if neither is.  == and != on text
 * take shell wildcards (comm == "py*"); ~ takes a Perl-compatible regex
 * (PCRE2), bounded: 1024 bytes of pattern, parentheses 32 deep, and a
 * match that takes more than 1000000 steps counts as no match.  Nesting
 * (parentheses and not) stops at 256 levels, a filter at 4096 comparisons.
 */
#ifndef IPCD_FILTER_EXPR_H
#define IPCD_FILTER_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include "engine/event.h"

struct fexpr;

/* NULL on error: a one-line reason in err and the 0-based column in *col. */
struct fexpr *fexpr_parse(const char *text, char *err, size_t errlen, size_t *col);
bool fexpr_match(const struct fexpr *e, const struct ipcd_event *ev);
void fexpr_free(struct fexpr *e);

/*
 * Calls fn with each "field == value" the expression requires: the
 * comparisons joined by its top-level "and"s (field names as in the
 * language, src./dst. kept; the value as written).  What every matching
 * event must satisfy can be decided earlier, in the kernel.
 */
void fexpr_each_required(const struct fexpr *e, void (*fn)(void *ctx, const char *field, const char *value),
			 void *ctx);

#endif /* IPCD_FILTER_EXPR_H */
