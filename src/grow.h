/* SPDX-License-Identifier: GPL-2.0 */
/* Growing a malloc'd array by doubling, for the joins' pending lists. */
#ifndef IPCD_GROW_H
#define IPCD_GROW_H

#include <stdbool.h>
#include <stdlib.h>

/* Makes *arr (of *cap elements of elem bytes) hold at least need; false if out of memory. */
static inline bool grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

#endif /* IPCD_GROW_H */
