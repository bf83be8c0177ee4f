/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GET /api/v1/graph?since=&until=&group=comm|pid|container&filter=EXPR
 *
 * Who talks to whom in the store's events since a time (the last hour
 * unless said): nodes are processes grouped by comm (the default), by pid,
 * or by container where one is known (none is yet: such nodes group by
 * comm); edges go from the sending group to the receiving one, one per
 * event type, with messages, bytes and latency percentiles as --stats
 * gives them.  An end the tracer could not name is the node "unknown".
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uthash.h>
#include "api/api.h"
#include "api/query.h"
#include "api/reply.h"
#include "api/totals.h"

#define SINCE_DEFAULT_NS (3600ll * 1000000000)
/* pids listed per node, at most */
#define NODE_PIDS 64
#define KEY_MAX (IPCD_COMM_LEN + 32)

enum grouping { GROUP_COMM, GROUP_PID, GROUP_CONTAINER };

struct node {
	char key[KEY_MAX];
	UT_hash_handle hh;
	char comm[IPCD_COMM_LEN + 1];
	int64_t pids[NODE_PIDS];
	size_t npids;
	bool more_pids;             /* more than NODE_PIDS: the list is the first ones */
	uint64_t sent, received, bytes_sent, bytes_received;
};

struct edge {
	char key[2 * KEY_MAX + 32];   /* "src\tdst\ttype" */
	UT_hash_handle hh;
	const struct node *src, *dst;
	enum ipcd_type type;
	struct ipcda_totals totals;
};

struct graph {
	enum grouping group;
	struct node *nodes;
	struct edge *edges;
	bool failed;
};

static void node_key(const struct graph *g, const struct ipcd_endpoint *ep, char *key)
{
	if (ep->pid < 0)
		snprintf(key, KEY_MAX, "unknown");
	else if (g->group == GROUP_PID)
		snprintf(key, KEY_MAX, "pid:%" PRId64, ep->pid);
	else   /* GROUP_CONTAINER: no event knows its container yet */
		snprintf(key, KEY_MAX, "comm:%.*s", IPCD_COMM_LEN, ep->comm);
}

static void note_pid(struct node *n, int64_t pid)
{
	for (size_t i = 0; i < n->npids; i++)
		if (n->pids[i] == pid)
			return;
	if (n->npids < NODE_PIDS)
		n->pids[n->npids++] = pid;
	else
		n->more_pids = true;
}

static struct node *node_of(struct graph *g, const struct ipcd_endpoint *ep)
{
	char key[KEY_MAX];
	struct node *n;

	node_key(g, ep, key);
	HASH_FIND_STR(g->nodes, key, n);
	if (!n) {
		if (!(n = calloc(1, sizeof(*n)))) {
			g->failed = true;
			return NULL;
		}
		memcpy(n->key, key, sizeof(key));
		if (ep->pid >= 0)
			snprintf(n->comm, sizeof(n->comm), "%.*s", IPCD_COMM_LEN, ep->comm);
		HASH_ADD_STR(g->nodes, key, n);
	}
	if (ep->pid >= 0)
		note_pid(n, ep->pid);
	return n;
}

static struct edge *edge_of(struct graph *g, const struct node *src, const struct node *dst, enum ipcd_type type)
{
	char key[sizeof(((struct edge *)0)->key)];
	struct edge *e;

	snprintf(key, sizeof(key), "%s\t%s\t%s", src->key, dst->key, ipcd_type_name(type));
	HASH_FIND_STR(g->edges, key, e);
	if (e)
		return e;
	if (!(e = calloc(1, sizeof(*e)))) {
		g->failed = true;
		return NULL;
	}
	memcpy(e->key, key, sizeof(key));
	e->src = src;
	e->dst = dst;
	e->type = type;
	HASH_ADD_STR(g->edges, key, e);
	return e;
}

static void add_event(void *ctx, const struct ipcd_event *ev, int64_t mono_to_real_ns)
{
	struct graph *g = ctx;
	struct node *src = node_of(g, &ev->src), *dst = node_of(g, &ev->dst);
	struct edge *e;

	(void)mono_to_real_ns;
	if (!src || !dst || !(e = edge_of(g, src, dst, ev->type)))
		return;
	ipcda_totals_add(&e->totals, ev);
	src->sent++;
	src->bytes_sent += ev->bytes;
	dst->received++;
	dst->bytes_received += ev->bytes;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct node *)a)->key, ((const struct node *)b)->key);
}

static int by_traffic(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	if (x->totals.bytes != y->totals.bytes)
		return x->totals.bytes < y->totals.bytes ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void json_node(struct json_writer *jw, const struct node *n)
{
	jw_object_begin(jw);
	jw_kv_string(jw, "id", n->key);
	jw_key(jw, "comm");
	if (n->comm[0])
		jw_string(jw, n->comm);
	else
		jw_null(jw);
	jw_key(jw, "container");
	jw_null(jw);
	jw_key(jw, "pids");
	jw_array_begin(jw);
	for (size_t i = 0; i < n->npids; i++)
		jw_int(jw, n->pids[i]);
	jw_array_end(jw);
	jw_key(jw, "more_pids");
	jw_bool(jw, n->more_pids);
	jw_kv_uint(jw, "messages_sent", n->sent);
	jw_kv_uint(jw, "bytes_sent", n->bytes_sent);
	jw_kv_uint(jw, "messages_received", n->received);
	jw_kv_uint(jw, "bytes_received", n->bytes_received);
	jw_object_end(jw);
}

static void json_edge(struct json_writer *jw, const struct edge *e)
{
	jw_object_begin(jw);
	jw_kv_string(jw, "src", e->src->key);
	jw_kv_string(jw, "dst", e->dst->key);
	jw_kv_string(jw, "type", ipcd_type_name(e->type));
	ipcda_totals_json(jw, &e->totals, 0);
	jw_object_end(jw);
}

static const char *group_name(enum grouping g)
{
	return g == GROUP_PID ? "pid" : g == GROUP_CONTAINER ? "container" : "comm";
}

static void graph_json(struct graph *g, FILE *out)
{
	struct json_writer jw;
	struct node *n, *ntmp;
	struct edge *e, *etmp;

	HASH_SORT(g->nodes, by_key);
	HASH_SORT(g->edges, by_traffic);
	jw_init(&jw, out);
	jw_object_begin(&jw);
	jw_kv_string(&jw, "group", group_name(g->group));
	jw_key(&jw, "nodes");
	jw_array_begin(&jw);
	HASH_ITER(hh, g->nodes, n, ntmp)
		json_node(&jw, n);
	jw_array_end(&jw);
	jw_key(&jw, "edges");
	jw_array_begin(&jw);
	HASH_ITER(hh, g->edges, e, etmp)
		json_edge(&jw, e);
	jw_array_end(&jw);
	jw_object_end(&jw);
	jw_end_line(&jw);
}

static void graph_free(struct graph *g)
{
	struct node *n, *ntmp;
	struct edge *e, *etmp;

	HASH_ITER(hh, g->edges, e, etmp) {
		HASH_DEL(g->edges, e);
		free(e);
	}
	HASH_ITER(hh, g->nodes, n, ntmp) {
		HASH_DEL(g->nodes, n);
		free(n);
	}
}

static bool parse_group(struct ipcda_request *rq, struct graph *g)
{
	const char *group = ipcda_arg(rq, "group");

	if (!group || !strcmp(group, "comm"))
		g->group = GROUP_COMM;
	else if (!strcmp(group, "pid"))
		g->group = GROUP_PID;
	else if (!strcmp(group, "container"))
		g->group = GROUP_CONTAINER;
	else {
		ipcda_reply_error(rq, 400, "group: comm, pid or container");
		return false;
	}
	return true;
}

void ipcda_get_graph(struct ipcda_request *rq)
{
	char *path = ipcda_store_path(ipcda_context_of(rq)), *body = NULL;
	struct graph g = { 0 };
	struct ipcd_options *opts = NULL;
	struct ipcd_store_range all = { 0 };
	struct timespec now;
	size_t len = 0;
	FILE *out;

	if (!path) {
		ipcda_reply_error(rq, 404, "no store: ipcdumpd keeps events for the API in a sqlite output");
		return;
	}
	if (parse_group(rq, &g) && (opts = ipcda_options_from_request(rq, path))) {
		if (!opts->since_ns) {
			clock_gettime(CLOCK_REALTIME, &now);
			opts->since_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec - SINCE_DEFAULT_NS;
		}
		if (ipcda_store_read(opts, &all, add_event, &g, NULL) || g.failed || !(out = open_memstream(&body, &len))) {
			ipcda_reply_error(rq, 500, "the store cannot be read");
		} else {
			graph_json(&g, out);
			ipcda_reply_memstream(rq, 200, "application/json", out, &body, &len);
		}
	}
	free(body);
	graph_free(&g);
	ipcda_options_free(opts);
	free(path);
}
