/* SPDX-License-Identifier: GPL-2.0 */
/* libipcdump's filters: the engine's expressions (filter/filter_expr.h), tested on an event view. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/lib.h"
#include "filter/filter_expr.h"

struct ipcdump_filter {
	struct fexpr *expr;
};

int ipcdump_filter_new(struct ipcdump_filter **filter, const char *expression, char *err, size_t errlen,
		       size_t *column)
{
	char why[512] = "out of memory";
	size_t col = 0;
	struct ipcdump_filter *f;

	if (!filter || !expression)
		return -EINVAL;
	*filter = NULL;
	if (!(f = calloc(1, sizeof(*f)))) {
		if (err && errlen)
			snprintf(err, errlen, "%s", why);
		return -ENOMEM;
	}
	if (!(f->expr = fexpr_parse(expression, why, sizeof(why), &col))) {
		free(f);
		if (err && errlen)
			snprintf(err, errlen, "%s", why);
		if (column)
			*column = col;
		return -EINVAL;
	}
	*filter = f;
	return 0;
}

bool ipcdump_filter_match(const struct ipcdump_filter *filter, const struct ipcdump_event *event)
{
	return !filter || fexpr_match(filter->expr, event->e);
}

void ipcdump_filter_free(struct ipcdump_filter *filter)
{
	if (!filter)
		return;
	fexpr_free(filter->expr);
	free(filter);
}
