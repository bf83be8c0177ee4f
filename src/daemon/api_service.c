// SPDX-License-Identifier: GPL-2.0
/* The REST API inside ipcdumpd's run (api_service.h). */
#include "daemon/api_service.h"

#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "api/context.h"
#include "api/metrics.h"
#include "sinks/sink.h"

struct ipcdd_api {
	const struct ipcda_config *cfg;
	struct ipcda_live *live;
	struct ipcda_metrics *metrics;
	struct ipcda_context *ctx;
	struct ipcda_server *server;
	struct ipcd_sink *sinks[IPCDD_API_SINKS];
};

struct ipcdd_api *ipcdd_api_new(const struct ipcda_config *cfg)
{
	struct ipcdd_api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cfg = cfg;
	if (!(a->live = ipcda_live_new()) || !(a->metrics = ipcda_metrics_new(cfg->metrics_pairs, cfg->metrics_pairs_max)) ||
	    !(a->ctx = ipcda_context_new(a->live, a->metrics)) || !(a->sinks[0] = ipcda_live_sink_new(a->live)) ||
	    !(a->sinks[1] = ipcda_metrics_sink_new(a->metrics))) {
		ipcd_sink_free(a->sinks[0]);
		ipcdd_api_free(a);
		return NULL;
	}
	return a;
}

size_t ipcdd_api_sinks(struct ipcdd_api *a, struct ipcd_sink **sinks)
{
	memcpy(sinks, a->sinks, sizeof(a->sinks));
	return IPCDD_API_SINKS;
}

struct ipcda_context *ipcdd_api_context(struct ipcdd_api *a)
{
	return a->ctx;
}

int ipcdd_api_start(struct ipcdd_api *a, FILE *err)
{
	a->server = ipcda_server_start(a->cfg, a->ctx, err);
	return a->server ? 0 : -1;
}

void ipcdd_api_stop(struct ipcdd_api *a)
{
	/* a handler waiting for a reload would hold the server's stop */
	if (a->ctx)
		ipcda_context_close(a->ctx);
	ipcda_server_stop(a->server);
	a->server = NULL;
}

void ipcdd_api_free(struct ipcdd_api *a)
{
	if (!a)
		return;
	ipcdd_api_stop(a);
	ipcda_context_free(a->ctx);
	ipcda_metrics_free(a->metrics);
	ipcda_live_free(a->live);
	free(a);
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The same but for the tokens and users (which a reload may change while the API runs). */
static bool same_but_credentials(const struct ipcda_config *a, const struct ipcda_config *b)
{
	if (a->enabled != b->enabled || a->listen_count != b->listen_count || a->unix_uid_count != b->unix_uid_count ||
	    a->unix_role != b->unix_role || a->insecure != b->insecure || a->max_connections != b->max_connections ||
	    a->max_connections_per_ip != b->max_connections_per_ip || a->timeout_secs != b->timeout_secs ||
	    a->max_header_bytes != b->max_header_bytes || a->max_body_bytes != b->max_body_bytes ||
	    a->auth_failures != b->auth_failures || a->auth_window_secs != b->auth_window_secs ||
	    a->metrics_pairs != b->metrics_pairs || a->metrics_pairs_max != b->metrics_pairs_max ||
	    !same_text(a->tls_cert, b->tls_cert) || !same_text(a->tls_key, b->tls_key) ||
	    memcmp(a->unix_uids, b->unix_uids, sizeof(a->unix_uids)))
		return false;
	for (size_t i = 0; i < a->listen_count; i++)
		if (strcmp(a->listen[i], b->listen[i]))
			return false;
	/* secure by default: credentials that come or go change what insecure allows */
	return (a->token_count || a->user_count) == (b->token_count || b->user_count);
}

static bool same_credentials(const struct ipcda_config *a, const struct ipcda_config *b)
{
	if (a->token_count != b->token_count || a->user_count != b->user_count || !same_text(a->token_file, b->token_file))
		return false;
	for (size_t i = 0; i < a->token_count; i++)
		if (strcmp(a->tokens[i].name, b->tokens[i].name) || a->tokens[i].role != b->tokens[i].role ||
		    memcmp(a->tokens[i].sha256, b->tokens[i].sha256, IPCDA_SHA256_LEN))
			return false;
	for (size_t i = 0; i < a->user_count; i++)
		if (strcmp(a->users[i].name, b->users[i].name) || a->users[i].role != b->users[i].role ||
		    strcmp(a->users[i].password_hash, b->users[i].password_hash))
			return false;
	return true;
}

bool ipcdd_api_same(const struct ipcda_config *a, const struct ipcda_config *b)
{
	return same_but_credentials(a, b) && same_credentials(a, b);
}

/* a's and b's tokens and users trade places. */
static void swap_credentials(struct ipcda_config *a, struct ipcda_config *b)
{
	struct ipcda_config t;

	memcpy(t.tokens, a->tokens, sizeof(t.tokens));
	memcpy(a->tokens, b->tokens, sizeof(t.tokens));
	memcpy(b->tokens, t.tokens, sizeof(t.tokens));
	memcpy(t.users, a->users, sizeof(t.users));
	memcpy(a->users, b->users, sizeof(t.users));
	memcpy(b->users, t.users, sizeof(t.users));
	t.token_count = a->token_count, a->token_count = b->token_count, b->token_count = t.token_count;
	t.user_count = a->user_count, a->user_count = b->user_count, b->user_count = t.user_count;
	t.token_file = a->token_file, a->token_file = b->token_file, b->token_file = t.token_file;
}

enum ipcdd_api_reload ipcdd_api_reload(struct ipcdd_api *a, struct ipcda_config *running, struct ipcda_config *next)
{
	if (!a || !same_but_credentials(running, next))
		return a || next->enabled ? IPCDD_API_RESTART : IPCDD_API_SAME;
	if (same_credentials(running, next))
		return IPCDD_API_SAME;
	if (a->server && ipcda_server_set_credentials(a->server, next))
		return IPCDD_API_FAILED;
	/* the server no longer reads them from running: next's go there, running's are freed with next */
	swap_credentials(running, next);
	return IPCDD_API_CREDENTIALS;
}
