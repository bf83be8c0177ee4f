// SPDX-License-Identifier: GPL-2.0
/*
 * capture_summary: what a capture file (ipcdump -w) or a store (FILE.db)
 * holds, per type and per pair of processes: the events and the bytes,
 * read with libipcdump's callback.
 *
 *   capture_summary FILE [FILTER]
 *
 * Prints tab-separated lines:
 *   events  N  bytes  B  lost  L
 *   type    TYPE  EVENTS  BYTES
 *   pair    TYPE  SRC_PID  SRC_COMM  DST_PID  DST_COMM  EVENTS  BYTES
 */
#include <ipcdump/ipcdump.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUCKETS 4096

/* One row: a type alone (pids 0, comms "") or a pair of one type. */
struct row {
	char type[32];
	int64_t src_pid, dst_pid;
	char src_comm[32], dst_comm[32];
	uint64_t events, bytes;
	struct row *next;       /* in its bucket */
	struct row *next_made;  /* in the order rows were made */
};

struct summary {
	struct row *buckets[BUCKETS];
	struct row *first, **last;
	uint64_t events, bytes, lost;
	int failed;
};

static unsigned int hash(const struct row *key)
{
	unsigned int h = 2166136261u;

	for (const char *s = key->type; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ (unsigned int)key->src_pid) * 16777619u;
	h = (h ^ (unsigned int)key->dst_pid) * 16777619u;
	for (const char *s = key->src_comm; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = key->dst_comm; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % BUCKETS;
}

static int same(const struct row *a, const struct row *b)
{
	return !strcmp(a->type, b->type) && a->src_pid == b->src_pid && a->dst_pid == b->dst_pid &&
	       !strcmp(a->src_comm, b->src_comm) && !strcmp(a->dst_comm, b->dst_comm);
}

/* The row of key, made if new; NULL if out of memory. */
static struct row *row_of(struct summary *sum, const struct row *key)
{
	unsigned int h = hash(key);
	struct row *r;

	for (r = sum->buckets[h]; r; r = r->next)
		if (same(r, key))
			return r;
	if (!(r = malloc(sizeof(*r))))
		return NULL;
	*r = *key;
	r->events = r->bytes = 0;
	r->next = sum->buckets[h];
	r->next_made = NULL;
	sum->buckets[h] = r;
	*sum->last = r;
	sum->last = &r->next_made;
	return r;
}

static void count(struct summary *sum, const struct row *key, uint64_t bytes)
{
	struct row *r = row_of(sum, key);

	if (!r) {
		sum->failed = 1;
		return;
	}
	r->events++;
	r->bytes += bytes;
}

static void on_event(void *ctx, const struct ipcdump_event *e)
{
	struct summary *sum = ctx;
	uint64_t bytes = ipcdump_event_bytes(e);
	struct row key = { 0 };

	if (!strcmp(ipcdump_event_type(e), "lost")) {
		sum->lost += ipcdump_event_lost(e);
		return;
	}
	sum->events++;
	sum->bytes += bytes;
	snprintf(key.type, sizeof(key.type), "%s", ipcdump_event_type(e));
	count(sum, &key, bytes);
	key.src_pid = ipcdump_event_pid(e, IPCDUMP_SRC);
	key.dst_pid = ipcdump_event_pid(e, IPCDUMP_DST);
	snprintf(key.src_comm, sizeof(key.src_comm), "%s", ipcdump_event_comm(e, IPCDUMP_SRC));
	snprintf(key.dst_comm, sizeof(key.dst_comm), "%s", ipcdump_event_comm(e, IPCDUMP_DST));
	/* a pair row is told from a type row by its pids: unknown is -1, never 0 */
	count(sum, &key, bytes);
}

static void print_summary(const struct summary *sum)
{
	printf("events\t%llu\tbytes\t%llu\tlost\t%llu\n", (unsigned long long)sum->events,
	       (unsigned long long)sum->bytes, (unsigned long long)sum->lost);
	for (const struct row *r = sum->first; r; r = r->next_made) {
		if (!r->src_pid && !r->dst_pid)
			printf("type\t%s\t%llu\t%llu\n", r->type, (unsigned long long)r->events,
			       (unsigned long long)r->bytes);
	}
	for (const struct row *r = sum->first; r; r = r->next_made) {
		if (r->src_pid || r->dst_pid)
			printf("pair\t%s\t%lld\t%s\t%lld\t%s\t%llu\t%llu\n", r->type, (long long)r->src_pid,
			       r->src_comm, (long long)r->dst_pid, r->dst_comm, (unsigned long long)r->events,
			       (unsigned long long)r->bytes);
	}
}

static void free_summary(struct summary *sum)
{
	struct row *r = sum->first, *next;

	for (; r; r = next) {
		next = r->next_made;
		free(r);
	}
}

/* A store is a SQLite file: ipcdump -w FILE.db writes one. */
static int is_store(const char *path)
{
	size_t n = strlen(path);

	return (n > 3 && !strcmp(path + n - 3, ".db")) || (n > 7 && !strcmp(path + n - 7, ".sqlite"));
}

int main(int argc, char **argv)
{
	IPCDUMP_OPTS(opts, .filter = argc > 2 ? argv[2] : NULL);
	struct summary sum = { .last = &sum.first };
	struct ipcdump_session *s;
	char err[512];
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: capture_summary FILE [FILTER]\n");
		return 2;
	}
	rc = is_store(argv[1]) ? ipcdump_open_store(&s, argv[1], &opts, err, sizeof(err))
			       : ipcdump_open_capture(&s, argv[1], &opts, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "capture_summary: %s\n", err);
		return 1;
	}
	if ((rc = ipcdump_run(s, on_event, &sum)) < 0) {
		ipcdump_errmsg(s, err, sizeof(err));
		fprintf(stderr, "capture_summary: %s\n", err);
	} else if (sum.failed) {
		fprintf(stderr, "capture_summary: out of memory\n");
		rc = -1;
	} else {
		print_summary(&sum);
	}
	ipcdump_close(s);
	free_summary(&sum);
	return rc < 0;
}
