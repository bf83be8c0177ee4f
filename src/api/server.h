/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdumpd's HTTP server (api/server.c): its configuration (the `api:`
 * section, read by daemon/config.c), and its start and stop.  libmicrohttpd
 * serves each listen address with a thread per connection; the server
 * parses the request itself (percent-decoding, exact routes), checks who
 * calls (api/auth.c) and hands the request to its route's handler (api.h).
 */
#ifndef IPCD_API_SERVER_H
#define IPCD_API_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "api/api.h"

#define IPCDA_LISTEN_MAX 8
#define IPCDA_TOKENS_MAX 256
#define IPCDA_USERS_MAX 64
#define IPCDA_UIDS_MAX 32
#define IPCDA_SHA256_LEN 32

struct ipcda_token {
	char *name;
	uint8_t sha256[IPCDA_SHA256_LEN];   /* of the token itself: the configuration never holds it */
	enum ipcda_role role;
};

struct ipcda_user {
	char *name;
	char *password_hash;   /* crypt(3): $y$ (yescrypt), $6$ (sha512-crypt), ... */
	enum ipcda_role role;
};

struct ipcda_config {
	bool enabled;                       /* the section is there */
	size_t listen_count;
	char *listen[IPCDA_LISTEN_MAX];     /* "127.0.0.1:9477", "[::1]:9477", "unix:/run/ipcdump/api.sock" */
	unsigned listen_line[IPCDA_LISTEN_MAX], listen_column[IPCDA_LISTEN_MAX];
	char *tls_cert, *tls_key;           /* PEM files; both or neither */
	size_t token_count;
	struct ipcda_token tokens[IPCDA_TOKENS_MAX];
	char *token_file;                   /* lines "NAME ROLE SHA256HEX", merged into tokens */
	size_t user_count;
	struct ipcda_user users[IPCDA_USERS_MAX];
	size_t unix_uid_count;
	uint32_t unix_uids[IPCDA_UIDS_MAX]; /* callers on a unix socket let in by their uid alone */
	enum ipcda_role unix_role;          /* ... with this role */
	bool insecure;                      /* TCP without TLS, or without auth, written out */
	uint32_t max_connections;           /* per listen address */
	uint32_t max_connections_per_ip;
	uint64_t timeout_secs;              /* a connection idle this long is closed */
	uint64_t max_header_bytes;          /* a request's line and headers: more is a 431 */
	uint64_t max_body_bytes;            /* a request's body: more is a 413 */
	uint32_t auth_failures;             /* failed attempts per client in auth_window ... */
	uint64_t auth_window_secs;          /* ... before it gets 429 until the window ends */
	bool metrics_pairs;                 /* /metrics: per-pair series (comm to comm, by type) */
	uint32_t metrics_pairs_max;         /* at most this many pairs; the rest in one "_other" series */
};

void ipcda_config_free(struct ipcda_config *cfg);
/* A role's name ("read", "admin"), and back (IPCDA_ROLE_NONE: unknown). */
const char *ipcda_role_name(enum ipcda_role role);
enum ipcda_role ipcda_role_parse(const char *name);
/* listen is a unix socket ("unix:PATH"); *path gets PATH. */
bool ipcda_listen_is_unix(const char *listen, const char **path);
/* A TCP listen address "HOST:PORT", "[V6]:PORT": 0, or -1 with a reason in why. */
int ipcda_listen_parse(const char *listen, char *host, size_t hostlen, uint16_t *port, char *why, size_t whylen);

struct ipcda_server;
struct ipcda_context;

/*
 * Listens on every cfg->listen address and serves the routes (api/routes.c).
 * cfg and ctx outlive the server.  NULL after one line per failure on err.
 */
struct ipcda_server *ipcda_server_start(const struct ipcda_config *cfg, struct ipcda_context *ctx, FILE *err);
/* The same with a route table of its own (the tests'); routes outlives the server. */
struct ipcda_server *ipcda_server_start_routes(const struct ipcda_config *cfg, struct ipcda_context *ctx,
					       const struct ipcda_route *routes, FILE *err);
/* cfg's tokens and users from now on (a reload); 0, or -ENOMEM with the old ones kept. */
int ipcda_server_set_credentials(struct ipcda_server *srv, const struct ipcda_config *cfg);
/* Stops listening, ends the replies under way (streams within about a second) and frees it. */
void ipcda_server_stop(struct ipcda_server *srv);

/* The routes: method, exact path, least role, handler; ends with a NULL path. */
extern const struct ipcda_route ipcda_routes[];

#endif /* IPCD_API_SERVER_H */
