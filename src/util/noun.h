/* SPDX-License-Identifier: GPL-2.0 */
/* Plurals in messages: the one helper every summary and report line uses. */
#ifndef IPCD_UTIL_NOUN_H
#define IPCD_UTIL_NOUN_H

#include <stdint.h>

/* "1 peer", "2 peers": one or many, by n. */
static inline const char *noun_for(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

#endif /* IPCD_UTIL_NOUN_H */
