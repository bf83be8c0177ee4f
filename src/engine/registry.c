/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine/options.h"
#include "engine/registry.h"

/*
 * The families, in collector order (the order the joins flush in).  A new
 * family: its files in src/families/ and src/bpf/, and one line here.
 */
#define FAMILIES(X) \
	X(pipe)     \
	X(signal)   \
	X(unix)     \
	X(inet)     \
	X(pty)      \
	X(mq)       \
	X(shm)

#define DECLARE(name) extern const struct ipcd_family ipcd_family_##name;
#define LIST(name) &ipcd_family_##name,
FAMILIES(DECLARE)
const struct ipcd_family *const ipcd_families[] = { FAMILIES(LIST) };
const size_t ipcd_family_count = sizeof(ipcd_families) / sizeof(ipcd_families[0]);

const struct ipcd_family *ipcd_family_of_type(enum ipcd_type type)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->types & IPCD_TYPE_BIT(type))
			return ipcd_families[i];
	return NULL;
}

/* The engine's own names: lost records, and the process collector. */
const char *ipcd_type_name(enum ipcd_type type)
{
	const struct ipcd_family *f;

	if (type == IPCD_TYPE_LOST)
		return "lost";
	if ((unsigned)type >= IPCD_TYPE_COUNT || !(f = ipcd_family_of_type(type)))
		return "unknown";
	for (const struct ipcd_type_label *l = f->type_labels; l && l->name; l++)
		if (l->type == type)
			return l->name;
	return "unknown";
}

const char *ipcd_collector_name(enum ipcd_collector c)
{
	const struct ipcd_family *f;

	if (c == IPCD_COLL_PROC)
		return "process";
	f = ipcd_family_of_collector(c);
	return f ? f->name : "unknown";
}

const struct ipcd_family *ipcd_family_of_collector(enum ipcd_collector c)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->collector == c)
			return ipcd_families[i];
	return NULL;
}

const struct ipcd_family_record *ipcd_family_record_of(uint16_t kind)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		for (const struct ipcd_family_record *rk = ipcd_families[i]->records; rk && rk->kind; rk++)
			if (rk->kind == kind)
				return rk;
	return NULL;
}

const struct ipcd_filter_field *ipcd_filter_field_named(const char *name, size_t len)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		for (const struct ipcd_filter_field *f = ipcd_families[i]->filter_fields; f && f->name; f++)
			if (strlen(f->name) == len && !strncmp(f->name, name, len))
				return f;
	return NULL;
}

/* ---- the joins of one run -------------------------------------------------- */

/* Record kinds are small numbers (records.h): a table by kind makes dispatch one lookup. */
#define KIND_TABLE_SIZE 256

struct ipcd_family_set {
	struct ipcd_family_env env;
	const struct ipcd_family_record *by_kind[KIND_TABLE_SIZE];
	uint8_t family_of_kind[KIND_TABLE_SIZE];   /* index into ipcd_families and states */
	void *states[];   /* one per family, as ipcd_families */
};

static void index_record_kinds(struct ipcd_family_set *set)
{
	for (size_t i = 0; i < ipcd_family_count; i++) {
		for (const struct ipcd_family_record *rk = ipcd_families[i]->records; rk && rk->kind; rk++) {
			if (rk->kind < KIND_TABLE_SIZE) {
				set->by_kind[rk->kind] = rk;
				set->family_of_kind[rk->kind] = (uint8_t)i;
			}
		}
	}
}

struct ipcd_family_set *ipcd_family_set_new(const struct ipcd_family_env *env)
{
	struct ipcd_family_set *set = calloc(1, sizeof(*set) + ipcd_family_count * sizeof(set->states[0]));

	if (!set)
		return NULL;
	set->env = *env;
	index_record_kinds(set);
	for (size_t i = 0; i < ipcd_family_count; i++) {
		if (ipcd_families[i]->new && !(set->states[i] = ipcd_families[i]->new(&set->env))) {
			ipcd_family_set_free(set);
			return NULL;
		}
	}
	return set;
}

void ipcd_family_set_free(struct ipcd_family_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < ipcd_family_count; i++)
		if (set->states[i] && ipcd_families[i]->free)
			ipcd_families[i]->free(set->states[i]);
	free(set);
}

bool ipcd_family_set_dispatch(struct ipcd_family_set *set, const void *rec, size_t size)
{
	const struct ipcd_record_header *hdr = rec;
	const struct ipcd_family_record *rk;

	if (size < sizeof(*hdr) || hdr->kind >= KIND_TABLE_SIZE || !(rk = set->by_kind[hdr->kind]))
		return false;
	if (size >= rk->min_size)
		rk->on_record(set->states[set->family_of_kind[hdr->kind]], rec, size);
	return true;
}

void ipcd_family_set_expire(struct ipcd_family_set *set, uint64_t now_ns, uint64_t max_age_ns)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->expire)
			ipcd_families[i]->expire(set->states[i], now_ns, max_age_ns);
}

void ipcd_family_set_collect(struct ipcd_family_set *set)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->collect)
			ipcd_families[i]->collect(set->states[i]);
}

void ipcd_family_set_flush(struct ipcd_family_set *set)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->flush)
			ipcd_families[i]->flush(set->states[i]);
}

void ipcd_family_set_describe(const struct ipcd_family_set *set, struct ipcd_event *e)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		if ((ipcd_families[i]->types & IPCD_TYPE_BIT(e->type)) && ipcd_families[i]->describe)
			ipcd_families[i]->describe(set->states[i], e);
}

void ipcd_family_set_process_exited(struct ipcd_family_set *set, uint32_t pid)
{
	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->process_exited)
			ipcd_families[i]->process_exited(set->states[i], pid);
}

uint64_t ipcd_family_set_dropped(const struct ipcd_family_set *set)
{
	uint64_t total = 0;

	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->dropped)
			total += ipcd_families[i]->dropped(set->states[i]);
	return total;
}

uint64_t ipcd_family_set_evicted(const struct ipcd_family_set *set)
{
	uint64_t total = 0;

	for (size_t i = 0; i < ipcd_family_count; i++)
		if (ipcd_families[i]->evicted)
			total += ipcd_families[i]->evicted(set->states[i]);
	return total;
}

/* ---- the -t names ---------------------------------------------------------- */

/* The registry's own name: every family's data (the lifecycle types are --lifecycle's). */
static const struct ipcd_type_alias all_alias = { "a", "all", NULL, 0 };

uint32_t ipcd_all_types(void)
{
	uint32_t types = 0;

	for (size_t i = 0; i < ipcd_family_count; i++)
		types |= ipcd_families[i]->types & ~ipcd_families[i]->lifecycle_types;
	return types;
}

/*
 * Every -t name in the order --help lists them: "all", then each family's
 * by its names_rank.  fn returns false to stop.
 */
static bool foreach_alias(bool (*fn)(void *ctx, const struct ipcd_type_alias *a, uint32_t types), void *ctx)
{
	if (!fn(ctx, &all_alias, ipcd_all_types()))
		return false;
	for (size_t rank = 0; rank < ipcd_family_count; rank++) {
		for (size_t i = 0; i < ipcd_family_count; i++) {
			const struct ipcd_type_alias *a = ipcd_families[i]->aliases;

			if (ipcd_families[i]->names_rank != rank)
				continue;
			for (; a && a->long_name; a++)
				if (!fn(ctx, a, a->types))
					return false;
		}
	}
	return true;
}

struct parse_ctx {
	const char *name;
	uint32_t mask;
};

static bool match_alias(void *ctx, const struct ipcd_type_alias *a, uint32_t types)
{
	struct parse_ctx *p = ctx;

	if (strcmp(p->name, a->short_name) && strcmp(p->name, a->long_name) &&
	    !(a->other_name && !strcmp(p->name, a->other_name)))
		return true;
	p->mask = types;
	return false;
}

uint32_t ipcd_parse_type(const char *name)
{
	struct parse_ctx p = { .name = name };

	foreach_alias(match_alias, &p);
	return p.mask;
}

/*
 * What "type == name" matches: the types -t name selects, with the
 * lifecycle events of a whole family (unix: unix-conn; msgqueue: mq-op), or
 * one event type by its printed name (unix-conn, loopback-tcp-conn, lost).
 */
uint32_t ipcd_type_family(const char *name)
{
	uint32_t mask = ipcd_parse_type(name);

	for (size_t i = 0; i < ipcd_family_count; i++) {
		const struct ipcd_family *f = ipcd_families[i];
		uint32_t data = f->types & ~f->lifecycle_types;

		if (f->lifecycle_types && (mask & data) == data)
			mask |= f->lifecycle_types;
	}
	for (uint32_t type = 0; !mask && type < IPCD_TYPE_COUNT; type++)
		if (!strcmp(name, ipcd_type_name(type)))
			mask = IPCD_TYPE_BIT(type);
	return mask;
}

struct names_buf {
	char *buf;
	size_t len, used;
};

static bool append_alias(void *ctx, const struct ipcd_type_alias *a, uint32_t types)
{
	struct names_buf *b = ctx;

	(void)types;
	b->used += snprintf(b->buf + b->used, b->len - b->used, "%s%s", b->used ? ", " : "", a->long_name);
	if (a->other_name && b->used < b->len)
		b->used += snprintf(b->buf + b->used, b->len - b->used, ", %s", a->other_name);
	return b->used < b->len;
}

/* Every name ipcd_type_family knows, comma-separated: the -t names, then the other printed ones. */
void ipcd_type_names(char *buf, size_t len)
{
	struct names_buf b = { buf, len, 0 };

	buf[0] = '\0';
	foreach_alias(append_alias, &b);
	for (uint32_t type = 0; type < IPCD_TYPE_COUNT && b.used < len; type++)
		if (!ipcd_parse_type(ipcd_type_name(type)))
			b.used += snprintf(buf + b.used, len - b.used, ", %s", ipcd_type_name(type));
}

struct names_list {
	const char **names;
	size_t max, count;
	bool abbreviations;
};

static bool list_alias(void *ctx, const struct ipcd_type_alias *a, uint32_t types)
{
	struct names_list *l = ctx;

	(void)types;
	if (l->count + 3 > l->max)
		return false;
	if (l->abbreviations)
		l->names[l->count++] = a->short_name;
	l->names[l->count++] = a->long_name;
	if (a->other_name)
		l->names[l->count++] = a->other_name;
	return true;
}

size_t ipcd_type_alias_names(const char **names, size_t max, bool abbreviations)
{
	struct names_list l = { names, max, 0, abbreviations };

	foreach_alias(list_alias, &l);
	return l.count;
}

uint32_t ipcd_lifecycle_types(uint32_t types)
{
	uint32_t life = 0;

	for (size_t i = 0; i < ipcd_family_count; i++) {
		const struct ipcd_family *f = ipcd_families[i];

		if (types & f->types & ~f->lifecycle_types)
			life |= f->lifecycle_types;
	}
	return life;
}

uint32_t ipcd_types_collected_with(uint32_t types)
{
	uint32_t with = types;

	for (size_t i = 0; i < ipcd_family_count; i++) {
		const struct ipcd_family *f = ipcd_families[i];

		if (types & f->lifecycle_types)
			with |= f->types & ~f->lifecycle_types;
	}
	return with;
}
