// SPDX-License-Identifier: GPL-2.0
/*
 * who_talks: who talks to my pid.  Traces live (as root) for a while, then
 * lists, for each process that exchanged something with PID, the events
 * and bytes in each direction; read with libipcdump's iterator.
 *
 *   who_talks PID [SECONDS]     (10 seconds by default; Ctrl-C ends sooner)
 *
 * Says "who_talks: tracing" on stderr once tracing is attached, then, at
 * the end, prints tab-separated lines:
 *   DIRECTION  PEER_PID  PEER_COMM  TYPE  EVENTS  BYTES
 * DIRECTION is "in" (the peer sent to PID), "out" (PID sent to the peer).
 */
#include <errno.h>
#include <ipcdump/ipcdump.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct peer {
	int out;               /* PID sent, the peer received */
	int64_t pid;
	char comm[32], type[32];
	uint64_t events, bytes;
};

struct peers {
	struct peer *list;
	size_t count, cap;
	uint64_t lost;  /* events the kernel could not deliver: some talk may be missing */
};

static struct ipcdump_session *session;

static void on_signal(int sig)
{
	(void)sig;
	ipcdump_stop(session);
}

static struct peer *peer_of(struct peers *p, const struct peer *key)
{
	for (size_t i = 0; i < p->count; i++) {
		struct peer *q = &p->list[i];

		if (q->out == key->out && q->pid == key->pid && !strcmp(q->comm, key->comm) &&
		    !strcmp(q->type, key->type))
			return q;
	}
	if (p->count == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct peer *list = realloc(p->list, cap * sizeof(*list));

		if (!list)
			return NULL;
		p->list = list;
		p->cap = cap;
	}
	p->list[p->count] = *key;
	return &p->list[p->count++];
}

/* An event of PID's: counted under its other end. */
static int count(struct peers *p, const struct ipcdump_event *e, int64_t pid)
{
	struct peer key = { 0 }, *q;
	enum ipcdump_end peer_end;

	if (!strcmp(ipcdump_event_type(e), "lost")) {
		p->lost += ipcdump_event_lost(e);
		return 0;
	}
	key.out = ipcdump_event_pid(e, IPCDUMP_SRC) == pid;
	peer_end = key.out ? IPCDUMP_DST : IPCDUMP_SRC;
	key.pid = ipcdump_event_pid(e, peer_end);
	snprintf(key.comm, sizeof(key.comm), "%s", ipcdump_event_comm(e, peer_end));
	snprintf(key.type, sizeof(key.type), "%s", ipcdump_event_type(e));
	if (!(q = peer_of(p, &key)))
		return -1;
	q->events++;
	q->bytes += ipcdump_event_bytes(e);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Events until the end; ipcdump_stop once the time is up, then what remains. */
static int read_events(struct peers *p, int64_t pid, double seconds)
{
	double end = now_s() + seconds;
	const struct ipcdump_event *e;
	int rc, stopped = 0;

	while ((rc = ipcdump_next(session, &e, 100)) != 0) {
		if (rc == 1 && count(p, e, pid))
			return -ENOMEM;
		if (rc < 0 && rc != -EAGAIN)
			return rc;
		if (!stopped && now_s() >= end) {
			ipcdump_stop(session);
			stopped = 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char filter[64], err[512], *endp;
	struct peers peers = { 0 };
	double seconds = argc > 2 ? atof(argv[2]) : 10;
	long long pid = argc > 1 ? strtoll(argv[1], &endp, 10) : 0;
	IPCDUMP_OPTS(opts, .filter = filter);
	int rc;

	if (argc < 2 || argc > 3 || *endp || pid <= 0 || seconds <= 0) {
		fprintf(stderr, "usage: who_talks PID [SECONDS]\n");
		return 2;
	}
	/* either end: "pid" without src. or dst. */
	snprintf(filter, sizeof(filter), "pid == %lld", pid);
	if (ipcdump_open_live(&session, &opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "who_talks: %s\n", err);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if ((rc = ipcdump_start(session)) == 0) {
		fprintf(stderr, "who_talks: tracing pid %lld for %g s\n", pid, seconds);
		rc = read_events(&peers, pid, seconds);
	}
	if (rc < 0) {
		ipcdump_errmsg(session, err, sizeof(err));
		fprintf(stderr, "who_talks: %s\n", rc == -ENOMEM ? "out of memory" : err);
	}
	for (size_t i = 0; rc == 0 && i < peers.count; i++) {
		const struct peer *q = &peers.list[i];

		printf("%s\t%lld\t%s\t%s\t%llu\t%llu\n", q->out ? "out" : "in", (long long)q->pid, q->comm, q->type,
		       (unsigned long long)q->events, (unsigned long long)q->bytes);
	}
	if (peers.lost)
		fprintf(stderr, "who_talks: %llu events lost: the counts may be short\n",
			(unsigned long long)peers.lost);
	ipcdump_close(session);
	free(peers.list);
	return rc < 0;
}
