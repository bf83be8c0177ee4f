/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The IPC families (engine/family.h), one line each in registry.c, and the
 * loops over them that the rest of ipcdump calls instead of naming a
 * family: which family makes an event type, a record kind or a collector;
 * the joins of one run (a family set); the -t names.
 */
#ifndef IPCD_ENGINE_REGISTRY_H
#define IPCD_ENGINE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "engine/family.h"

/* The families, in the order of their collectors' numbers: the order their joins expire and flush in. */
extern const struct ipcd_family *const ipcd_families[];
extern const size_t ipcd_family_count;

/* The family that makes events of this type; NULL for lost (the engine's own). */
const struct ipcd_family *ipcd_family_of_type(enum ipcd_type type);
/* The family whose collector is c; NULL for the process collector (the engine's own). */
const struct ipcd_family *ipcd_family_of_collector(enum ipcd_collector c);
/* A family's record kind (its size, schema name, channel key), NULL if no family has it. */
const struct ipcd_family_record *ipcd_family_record_of(uint16_t kind);

/* A filter field a family declares, by its name; NULL if none has it. */
const struct ipcd_filter_field *ipcd_filter_field_named(const char *name, size_t len);

/* ---- the joins of one run -------------------------------------------------- */

struct ipcd_family_set;

/* Each family's join, made with env (which it keeps a copy of); NULL out of memory. */
struct ipcd_family_set *ipcd_family_set_new(const struct ipcd_family_env *env);
void ipcd_family_set_free(struct ipcd_family_set *set);

/*
 * One record to the join of its kind, if it is whole (its kind's minimum
 * size); false if no family knows the kind (the engine's own records).
 */
bool ipcd_family_set_dispatch(struct ipcd_family_set *set, const void *rec, size_t size);
/* Pending halves older than max_age_ns go out as they are, join after join. */
void ipcd_family_set_expire(struct ipcd_family_set *set, uint64_t now_ns, uint64_t max_age_ns);
/* Every second or so: memory to give back. */
void ipcd_family_set_collect(struct ipcd_family_set *set);
/* At the end: everything pending goes out. */
void ipcd_family_set_flush(struct ipcd_family_set *set);
/* The names the event's join knows and its records did not carry. */
void ipcd_family_set_describe(const struct ipcd_family_set *set, struct ipcd_event *e);
/* A process exited (the last thread of its group). */
void ipcd_family_set_process_exited(struct ipcd_family_set *set, uint32_t pid);
/* Events lost for want of memory, and writes reported early to bound it: all joins' totals. */
uint64_t ipcd_family_set_dropped(const struct ipcd_family_set *set);
uint64_t ipcd_family_set_evicted(const struct ipcd_family_set *set);

#endif /* IPCD_ENGINE_REGISTRY_H */
