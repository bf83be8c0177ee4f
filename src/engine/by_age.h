/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tables of things that end without a word to userspace (sockets,
 * connections, terminals) are trimmed by age: past a size, the half seen
 * longest ago is forgotten.  This lists a uthash table oldest first.
 */
#ifndef IPCD_BY_AGE_H
#define IPCD_BY_AGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The count elements of a uthash table, as a malloc'd array sorted by the
 * uint64_t at seen_offset in each, smallest first; NULL if out of memory.
 * hh_offset: where the element's UT_hash_handle is.
 */
void **uthash_by_age(void *table, size_t count, size_t hh_offset, size_t seen_offset);

#endif /* IPCD_BY_AGE_H */
