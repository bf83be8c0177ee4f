/* SPDX-License-Identifier: GPL-2.0 */
/* Growing a malloc'd array by doubling, for the joins' pending lists. */
#ifndef IPCD_GROW_H
#define IPCD_GROW_H

#include <stdbool.h>
#include <stdlib.h>

/*
 * Makes *arr (of *cap elements of elem bytes) hold at least need, starting
 * at first elements; false if out of memory.
 */
static inline bool grow_array_from(void **arr, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : first;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

static inline bool grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	return grow_array_from(arr, cap, need, elem, 8);
}

#endif /* IPCD_GROW_H */
