/* SPDX-License-Identifier: GPL-2.0 */
#include <stdlib.h>
#include <uthash.h>
#include "engine/by_age.h"

struct aged {
	void *el;
	uint64_t seen;
};

static int by_seen(const void *a, const void *b)
{
	uint64_t x = ((const struct aged *)a)->seen, y = ((const struct aged *)b)->seen;

	return x < y ? -1 : x > y;
}

void **uthash_by_age(void *table, size_t count, size_t hh_offset, size_t seen_offset)
{
	struct aged *aged = malloc((count ? count : 1) * sizeof(*aged));
	void **all = malloc((count ? count : 1) * sizeof(*all));
	size_t n = 0;

	if (!aged || !all) {
		free(aged);
		free(all);
		return NULL;
	}
	/* the elements in the table's order: each handle's next is the next element */
	for (void *el = table; el && n < count; el = ((UT_hash_handle *)((char *)el + hh_offset))->next) {
		aged[n].el = el;
		aged[n++].seen = *(const uint64_t *)((const char *)el + seen_offset);
	}
	qsort(aged, n, sizeof(*aged), by_seen);
	for (size_t i = 0; i < n; i++)
		all[i] = aged[i].el;
	free(aged);
	return all;
}
