/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Who calls (api/auth.c): bearer tokens, known by their SHA-256 alone;
 * basic auth users, known by their crypt(3) hash; each with a role.  Every
 * comparison takes the same time whatever matches; failed attempts are
 * counted per client, and a client with too many in its window is refused
 * (429) until the window ends, credentials or not.
 */
#ifndef IPCD_API_AUTH_H
#define IPCD_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "api/server.h"

enum ipcda_auth_result {
	IPCDA_AUTH_OK = 0,
	IPCDA_AUTH_MISSING,   /* no credentials: a 401 */
	IPCDA_AUTH_BAD,       /* wrong ones: a 401, counted against the client */
	IPCDA_AUTH_LIMITED,   /* too many wrong ones lately: a 429 */
};

/* The table of failed attempts keeps this many clients; the stalest goes first. */
#define IPCDA_AUTH_CLIENTS_MAX 1024

struct ipcda_auth;

/* A copy of cfg's tokens and users; cfg (its limits) outlives it.  NULL if out of memory. */
struct ipcda_auth *ipcda_auth_new(const struct ipcda_config *cfg);
void ipcda_auth_free(struct ipcda_auth *a);
/*
 * cfg's tokens and users replace the ones a checks against (a reload: a
 * token revoked is refused from the next check on).  0, or -ENOMEM with
 * the old ones kept.  Safe while checks run.
 */
int ipcda_auth_set_credentials(struct ipcda_auth *a, const struct ipcda_config *cfg);
/* insecure: true, and no token and no user configured: every caller has the admin role. */
bool ipcda_auth_open(struct ipcda_auth *a);
/* Basic auth users are configured (a 401 names the scheme). */
bool ipcda_auth_has_users(struct ipcda_auth *a);
/*
 * The Authorization header (NULL: none) of client (its address, "uid:N"
 * on a unix socket) at now (seconds): its role, or why not; *retry_after
 * the seconds a limited client waits.
 */
enum ipcda_auth_result ipcda_auth_check(struct ipcda_auth *a, const char *client, const char *authorization,
					uint64_t now, enum ipcda_role *role, unsigned *retry_after);
/* Failed attempts so far, and those refused for the limit (for /metrics). */
void ipcda_auth_counts(struct ipcda_auth *a, uint64_t *failed, uint64_t *limited);

/* ---- the pieces, for the configuration and the tests ---------------------- */

/* a and b equal, in a time that depends on n only. */
bool ipcda_equal_ct(const void *a, const void *b, size_t n);
/* 64 hex digits into 32 bytes: 0, or -1. */
int ipcda_sha256_parse(const char *hex, uint8_t out[IPCDA_SHA256_LEN]);
void ipcda_sha256(const void *data, size_t len, uint8_t out[IPCDA_SHA256_LEN]);
/* A crypt(3) hash libcrypt can check (yescrypt, sha512-crypt, ...). */
bool ipcda_password_hash_ok(const char *hash);
/*
 * token_file's lines "NAME ROLE SHA256HEX" ('#' comments, blank lines) into
 * cfg's tokens; one "FILE:LINE:COLUMN: error: ..." line per error on err;
 * the count of errors (-1: unreadable, said on err).
 */
int ipcda_token_file_load(const char *path, struct ipcda_config *cfg, FILE *err);

#endif /* IPCD_API_AUTH_H */
