// SPDX-License-Identifier: GPL-2.0
/*
 * Who calls (auth.h).  A token is hashed and compared with every configured
 * digest, each comparison in full, so that the time says nothing of which
 * or how much matched; a user's password goes through crypt(3) even when
 * the user is unknown, for the same reason.
 */
#include "api/auth.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util/base64.h"

/* An unknown user's password is checked against this, so that it costs what a known one's does. */
#define DUMMY_SETTING "$6$ipcdumpdnouser$"
#define PASSWORD_MAX 1024

struct client {
	char addr[64];
	uint64_t window_start;   /* seconds */
	uint32_t failures;
};

/* The credentials the auth checks against: its own copy, which a reload replaces whole. */
struct creds {
	size_t token_count;
	struct ipcda_token *tokens;   /* digests and roles; no names */
	size_t user_count;
	struct ipcda_user *users;
};

struct ipcda_auth {
	const struct ipcda_config *cfg;   /* its limits and insecure, fixed while it runs */
	pthread_rwlock_t creds_lock;      /* a check reads, a reload writes */
	struct creds creds;
	pthread_mutex_t lock;
	struct client clients[IPCDA_AUTH_CLIENTS_MAX];
	uint64_t failed, limited;
};

/* ---- the pieces ----------------------------------------------------------- */

bool ipcda_equal_ct(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int ipcda_sha256_parse(const char *hex, uint8_t out[IPCDA_SHA256_LEN])
{
	if (strlen(hex) != 2 * IPCDA_SHA256_LEN)
		return -1;
	for (size_t i = 0; i < IPCDA_SHA256_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void ipcda_sha256(const void *data, size_t len, uint8_t out[IPCDA_SHA256_LEN])
{
	gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out);
}

bool ipcda_password_hash_ok(const char *hash)
{
	return crypt_checksalt(hash) == CRYPT_SALT_OK && hash[0] == '$';
}

/* ---- the token file ---------------------------------------------------------- */

/* One line "NAME ROLE SHA256HEX" into the next token; false after an error on err. */
static bool token_line(const char *path, unsigned lineno, char *line, struct ipcda_config *cfg, FILE *err)
{
	char *fields[4], *save = NULL;
	int n = 0;
	struct ipcda_token *t;

	for (char *f = strtok_r(line, " \t\r\n", &save); f && n < 4; f = strtok_r(NULL, " \t\r\n", &save))
		fields[n++] = f;
	if (!n || fields[0][0] == '#')
		return true;
	if (n != 3) {
		fprintf(err, "%s:%u:1: error: a token line is NAME ROLE SHA256HEX\n", path, lineno);
		return false;
	}
	if (cfg->token_count == IPCDA_TOKENS_MAX) {
		fprintf(err, "%s:%u:1: error: more than %d tokens\n", path, lineno, IPCDA_TOKENS_MAX);
		return false;
	}
	t = &cfg->tokens[cfg->token_count];
	if ((t->role = ipcda_role_parse(fields[1])) == IPCDA_ROLE_NONE) {
		fprintf(err, "%s:%u:%zu: error: unknown role '%s' (read or admin)\n", path, lineno,
			(size_t)(fields[1] - line) + 1, fields[1]);
		return false;
	}
	if (ipcda_sha256_parse(fields[2], t->sha256)) {
		fprintf(err, "%s:%u:%zu: error: the token's SHA-256 is 64 hex digits\n", path, lineno,
			(size_t)(fields[2] - line) + 1);
		return false;
	}
	if (!(t->name = strdup(fields[0])))
		return false;
	cfg->token_count++;
	return true;
}

int ipcda_token_file_load(const char *path, struct ipcda_config *cfg, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int errors = 0;

	if (!f) {
		fprintf(err, "ipcdumpd: error: api.token_file %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, f) >= 0)
		errors += !token_line(path, ++lineno, line, cfg, err);
	free(line);
	fclose(f);
	return errors;
}

/* ---- the failed attempts of each client -------------------------------------- */

/* client's entry, made (over the stalest) when new; under lock. */
static struct client *client_entry(struct ipcda_auth *a, const char *addr, uint64_t now)
{
	struct client *stalest = &a->clients[0];

	for (size_t i = 0; i < IPCDA_AUTH_CLIENTS_MAX; i++) {
		struct client *c = &a->clients[i];

		if (c->addr[0] && !strcmp(c->addr, addr))
			return c;
		if (c->window_start < stalest->window_start || (!c->addr[0] && stalest->addr[0]))
			stalest = c;
	}
	memset(stalest, 0, sizeof(*stalest));
	snprintf(stalest->addr, sizeof(stalest->addr), "%s", addr);
	stalest->window_start = now;
	return stalest;
}

/* The seconds addr waits before it may try again; 0: it may now. */
static unsigned limited_for(struct ipcda_auth *a, const char *addr, uint64_t now)
{
	uint64_t window = a->cfg->auth_window_secs;
	unsigned wait = 0;

	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < IPCDA_AUTH_CLIENTS_MAX; i++) {
		struct client *c = &a->clients[i];

		if (!c->addr[0] || strcmp(c->addr, addr))
			continue;
		if (now >= c->window_start + window)
			memset(c, 0, sizeof(*c));  /* its window is over: a clean slate */
		else if (c->failures >= a->cfg->auth_failures)
			wait = (unsigned)(c->window_start + window - now);
		break;
	}
	if (wait)
		a->limited++;
	pthread_mutex_unlock(&a->lock);
	return wait;
}

static void count_failure(struct ipcda_auth *a, const char *addr, uint64_t now)
{
	pthread_mutex_lock(&a->lock);
	client_entry(a, addr, now)->failures++;
	a->failed++;
	pthread_mutex_unlock(&a->lock);
}

/* ---- the checks ------------------------------------------------------------------ */

/* The token's role; NONE when no digest matches.  Every digest is compared. */
static enum ipcda_role token_role(const struct creds *cfg, const char *token)
{
	uint8_t digest[IPCDA_SHA256_LEN];
	enum ipcda_role role = IPCDA_ROLE_NONE;

	ipcda_sha256(token, strlen(token), digest);
	for (size_t i = 0; i < cfg->token_count; i++)
		if (ipcda_equal_ct(digest, cfg->tokens[i].sha256, sizeof(digest)))
			role = cfg->tokens[i].role;
	return role;
}

/* password checked against hash (crypt(3)); false when it does not match or crypt fails. */
static bool password_matches(const char *password, const char *hash)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	const char *out;
	bool ok = false;

	if (!data)
		return false;
	out = crypt_rn(password, hash, data, sizeof(*data));
	/* crypt_rn's failure is NULL or a string starting with '*' */
	if (out && out[0] != '*' && strlen(out) == strlen(hash))
		ok = ipcda_equal_ct(out, hash, strlen(hash));
	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}

/* "user:password", base64: the user's role; NONE when unknown or wrong. */
static enum ipcda_role basic_role(const struct creds *cfg, const char *encoded)
{
	char decoded[PASSWORD_MAX + 256], *colon;
	const struct ipcda_user *user = NULL;
	enum ipcda_role role = IPCDA_ROLE_NONE;
	ssize_t n = ipcd_base64_decode(encoded, strlen(encoded), decoded, sizeof(decoded) - 1);

	if (n < 0)
		return IPCDA_ROLE_NONE;
	decoded[n] = '\0';
	if (!(colon = strchr(decoded, ':')))
		return IPCDA_ROLE_NONE;
	*colon = '\0';
	for (size_t i = 0; i < cfg->user_count; i++)
		if (!strcmp(cfg->users[i].name, decoded))
			user = &cfg->users[i];
	if (password_matches(colon + 1, user ? user->password_hash : DUMMY_SETTING) && user)
		role = user->role;
	explicit_bzero(decoded, sizeof(decoded));
	return role;
}

/* "Bearer X" or "Basic X": the scheme's word (case-insensitive) and what follows its spaces. */
static const char *credentials_of(const char *authorization, const char *scheme)
{
	size_t n = strlen(scheme);

	if (strncasecmp(authorization, scheme, n) || authorization[n] != ' ')
		return NULL;
	authorization += n;
	while (*authorization == ' ')
		authorization++;
	return authorization;
}

enum ipcda_auth_result ipcda_auth_check(struct ipcda_auth *a, const char *client, const char *authorization,
					uint64_t now, enum ipcda_role *role, unsigned *retry_after)
{
	const char *cred;

	*role = IPCDA_ROLE_NONE;
	*retry_after = 0;
	if ((*retry_after = limited_for(a, client, now)))
		return IPCDA_AUTH_LIMITED;
	if (!authorization || !*authorization)
		return IPCDA_AUTH_MISSING;
	pthread_rwlock_rdlock(&a->creds_lock);
	if ((cred = credentials_of(authorization, "Bearer")))
		*role = token_role(&a->creds, cred);
	else if ((cred = credentials_of(authorization, "Basic")))
		*role = basic_role(&a->creds, cred);
	pthread_rwlock_unlock(&a->creds_lock);
	if (*role != IPCDA_ROLE_NONE)
		return IPCDA_AUTH_OK;
	count_failure(a, client, now);
	return IPCDA_AUTH_BAD;
}

static void creds_free(struct creds *c)
{
	for (size_t i = 0; i < c->user_count; i++) {
		free(c->users[i].name);
		free(c->users[i].password_hash);
	}
	free(c->users);
	free(c->tokens);
	memset(c, 0, sizeof(*c));
}

/* cfg's tokens and users into c; false if out of memory (c freed). */
static bool creds_copy(struct creds *c, const struct ipcda_config *cfg)
{
	memset(c, 0, sizeof(*c));
	if ((cfg->token_count && !(c->tokens = calloc(cfg->token_count, sizeof(*c->tokens)))) ||
	    (cfg->user_count && !(c->users = calloc(cfg->user_count, sizeof(*c->users)))))
		goto fail;
	for (size_t i = 0; i < cfg->token_count; i++) {
		memcpy(c->tokens[i].sha256, cfg->tokens[i].sha256, IPCDA_SHA256_LEN);
		c->tokens[i].role = cfg->tokens[i].role;
	}
	c->token_count = cfg->token_count;
	for (size_t i = 0; i < cfg->user_count; i++, c->user_count++) {
		c->users[i].role = cfg->users[i].role;
		if (!(c->users[i].name = strdup(cfg->users[i].name)) ||
		    !(c->users[i].password_hash = strdup(cfg->users[i].password_hash))) {
			c->user_count++;
			goto fail;
		}
	}
	return true;
fail:
	creds_free(c);
	return false;
}

int ipcda_auth_set_credentials(struct ipcda_auth *a, const struct ipcda_config *cfg)
{
	struct creds fresh, old;

	if (!creds_copy(&fresh, cfg))
		return -ENOMEM;
	pthread_rwlock_wrlock(&a->creds_lock);
	old = a->creds;
	a->creds = fresh;
	pthread_rwlock_unlock(&a->creds_lock);
	creds_free(&old);
	return 0;
}

struct ipcda_auth *ipcda_auth_new(const struct ipcda_config *cfg)
{
	struct ipcda_auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cfg = cfg;
	pthread_mutex_init(&a->lock, NULL);
	pthread_rwlock_init(&a->creds_lock, NULL);
	if (ipcda_auth_set_credentials(a, cfg)) {
		ipcda_auth_free(a);
		return NULL;
	}
	return a;
}

void ipcda_auth_free(struct ipcda_auth *a)
{
	if (!a)
		return;
	creds_free(&a->creds);
	pthread_rwlock_destroy(&a->creds_lock);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

bool ipcda_auth_open(struct ipcda_auth *a)
{
	bool none;

	pthread_rwlock_rdlock(&a->creds_lock);
	none = !a->creds.token_count && !a->creds.user_count;
	pthread_rwlock_unlock(&a->creds_lock);
	/* no credentials without insecure: true (a unix socket alone) lets in only unix_uids */
	return none && a->cfg->insecure;
}

bool ipcda_auth_has_users(struct ipcda_auth *a)
{
	bool any;

	pthread_rwlock_rdlock(&a->creds_lock);
	any = a->creds.user_count > 0;
	pthread_rwlock_unlock(&a->creds_lock);
	return any;
}

void ipcda_auth_counts(struct ipcda_auth *a, uint64_t *failed, uint64_t *limited)
{
	pthread_mutex_lock(&a->lock);
	*failed = a->failed;
	*limited = a->limited;
	pthread_mutex_unlock(&a->lock);
}
