// SPDX-License-Identifier: GPL-2.0
/*
 * The API's request parsing and auth (api/url.c, api/auth.c, api/settings.c,
 * api/server.c's listen parser): percent-decoding that refuses what is
 * malformed, exact argument values, base64, token digests and the token
 * file, bearer and basic checks against their roles, and the per-client
 * limit on failed attempts with its bounded table.
 */
#include <crypt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/auth.h"
#include "util/base64.h"
#include "api/server.h"
#include "api/url.h"

static void test_percent_decode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(ipcda_percent_decode("a%20b%2Fc", 9, out, false), 0);
	assert_string_equal(out, "a b/c");
	assert_int_equal(ipcda_percent_decode("a+b", 3, out, true), 0);
	assert_string_equal(out, "a b");
	assert_int_equal(ipcda_percent_decode("a+b", 3, out, false), 0);
	assert_string_equal(out, "a+b");
	assert_int_equal(ipcda_percent_decode("%e2%82%AC", 9, out, false), 0);
	assert_string_equal(out, "\xe2\x82\xac");
	/* malformed: a '%' cut short, not hex, or a NUL */
	assert_int_equal(ipcda_percent_decode("%", 1, out, false), -1);
	assert_int_equal(ipcda_percent_decode("ab%2", 4, out, false), -1);
	assert_int_equal(ipcda_percent_decode("%zz", 3, out, false), -1);
	assert_int_equal(ipcda_percent_decode("%g0", 3, out, false), -1);
	assert_int_equal(ipcda_percent_decode("a%00b", 5, out, false), -1);
}

static void test_url_parse(void **state)
{
	struct ipcda_url url;

	(void)state;
	assert_int_equal(ipcda_url_parse("/api/v1/events?filter=comm%20%3D%3D%20%22a%26b%22&limit=10&flag", &url), 0);
	assert_string_equal(url.path, "/api/v1/events");
	assert_string_equal(ipcda_url_arg(&url, "filter"), "comm == \"a&b\"");
	assert_string_equal(ipcda_url_arg(&url, "limit"), "10");
	assert_string_equal(ipcda_url_arg(&url, "flag"), "");
	assert_null(ipcda_url_arg(&url, "since"));
	ipcda_url_free(&url);

	/* the path is decoded once, and never resolved: ".." stays as it is, for an exact match to miss */
	assert_int_equal(ipcda_url_parse("/api/v1/%2e%2e/status", &url), 0);
	assert_string_equal(url.path, "/api/v1/../status");
	ipcda_url_free(&url);

	assert_int_equal(ipcda_url_parse("/x?a=%zz", &url), -1);
	ipcda_url_free(&url);
	assert_int_equal(ipcda_url_parse("/x%2", &url), -1);
	ipcda_url_free(&url);
	assert_int_equal(ipcda_url_parse("x", &url), -1);
	ipcda_url_free(&url);
}

static void test_url_too_many_args(void **state)
{
	char target[IPCDA_ARGS_MAX * 8 + 16] = "/x?";
	struct ipcda_url url;

	(void)state;
	for (int i = 0; i <= IPCDA_ARGS_MAX; i++)
		snprintf(target + strlen(target), sizeof(target) - strlen(target), "a%d=1&", i);
	assert_int_equal(ipcda_url_parse(target, &url), -1);
	ipcda_url_free(&url);
}

/* Basic credentials decode through util/base64.c: padding required, nothing past the room given. */
static ssize_t decode(const char *src, char *out, size_t cap)
{
	ssize_t n = ipcd_base64_decode(src, strlen(src), out, cap - 1);

	if (n >= 0)
		out[n] = '\0';
	return n;
}

static void test_base64(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(decode("YWxpY2U6cHc=", out, sizeof(out)), 8);
	assert_string_equal(out, "alice:pw");
	assert_int_equal(decode("YQ==", out, sizeof(out)), 1);
	assert_string_equal(out, "a");
	assert_int_equal(decode("YWJj", out, sizeof(out)), 3);
	assert_int_equal(decode("YQ=", out, sizeof(out)), -1);
	assert_int_equal(decode("Y=Q=", out, sizeof(out)), -1);
	assert_int_equal(decode("YW!j", out, sizeof(out)), -1);
	/* does not fit */
	assert_int_equal(decode("YWJjZGVm", out, 4), -1);
}

static void test_sha256_and_equal(void **state)
{
	uint8_t a[IPCDA_SHA256_LEN], b[IPCDA_SHA256_LEN];

	(void)state;
	/* sha256("abc") */
	assert_int_equal(ipcda_sha256_parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", a), 0);
	ipcda_sha256("abc", 3, b);
	assert_true(ipcda_equal_ct(a, b, sizeof(a)));
	b[31] ^= 1;
	assert_false(ipcda_equal_ct(a, b, sizeof(a)));
	assert_int_equal(ipcda_sha256_parse("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", b), 0);
	assert_true(ipcda_equal_ct(a, b, sizeof(a)));
	assert_int_equal(ipcda_sha256_parse("ba78", a), -1);
	assert_int_equal(ipcda_sha256_parse("xa7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", a), -1);
}

static void test_listen_parse(void **state)
{
	char host[64], why[128];
	uint16_t port;
	const char *path;

	(void)state;
	assert_int_equal(ipcda_listen_parse("127.0.0.1:9477", host, sizeof(host), &port, why, sizeof(why)), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9477);
	assert_int_equal(ipcda_listen_parse("[::1]:80", host, sizeof(host), &port, why, sizeof(why)), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 80);
	assert_int_equal(ipcda_listen_parse("::1:80", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_int_equal(ipcda_listen_parse("127.0.0.1:0", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_int_equal(ipcda_listen_parse("127.0.0.1:70000", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_int_equal(ipcda_listen_parse(":80", host, sizeof(host), &port, why, sizeof(why)), -1);
	assert_true(ipcda_listen_is_unix("unix:/run/ipcdump/api.sock", &path));
	assert_string_equal(path, "/run/ipcdump/api.sock");
	assert_false(ipcda_listen_is_unix("127.0.0.1:1", &path));
}

/* A configuration with a read token "r3ad", an admin token "adm1n", and alice (admin) by sha512-crypt. */
static struct ipcda_config *config_new(void)
{
	struct ipcda_config *cfg = calloc(1, sizeof(*cfg));
	struct crypt_data cd;

	memset(&cd, 0, sizeof(cd));
	cfg->tokens[0].name = strdup("ci");
	ipcda_sha256("r3ad", 4, cfg->tokens[0].sha256);
	cfg->tokens[0].role = IPCDA_ROLE_READ;
	cfg->tokens[1].name = strdup("ops");
	ipcda_sha256("adm1n", 5, cfg->tokens[1].sha256);
	cfg->tokens[1].role = IPCDA_ROLE_ADMIN;
	cfg->token_count = 2;
	cfg->users[0].name = strdup("alice");
	cfg->users[0].password_hash = strdup(crypt_r("wonderland", "$6$saltsaltsalt$", &cd));
	cfg->users[0].role = IPCDA_ROLE_ADMIN;
	cfg->user_count = 1;
	cfg->auth_failures = 3;
	cfg->auth_window_secs = 60;
	return cfg;
}

static void config_free(struct ipcda_config *cfg)
{
	ipcda_config_free(cfg);
	free(cfg);
}

static enum ipcda_auth_result check(struct ipcda_auth *a, const char *client, const char *authorization,
				    uint64_t now, enum ipcda_role *role)
{
	unsigned retry_after;

	return ipcda_auth_check(a, client, authorization, now, role, &retry_after);
}

static void test_auth_roles(void **state)
{
	struct ipcda_config *cfg = config_new();
	struct ipcda_auth *a = ipcda_auth_new(cfg);
	enum ipcda_role role;

	(void)state;
	assert_false(ipcda_auth_open(a));
	assert_int_equal(check(a, "c1", "Bearer r3ad", 100, &role), IPCDA_AUTH_OK);
	assert_int_equal(role, IPCDA_ROLE_READ);
	assert_int_equal(check(a, "c1", "bearer   adm1n", 100, &role), IPCDA_AUTH_OK);
	assert_int_equal(role, IPCDA_ROLE_ADMIN);
	/* "alice:wonderland" */
	assert_int_equal(check(a, "c1", "Basic YWxpY2U6d29uZGVybGFuZA==", 100, &role), IPCDA_AUTH_OK);
	assert_int_equal(role, IPCDA_ROLE_ADMIN);
	assert_int_equal(check(a, "c1", NULL, 100, &role), IPCDA_AUTH_MISSING);
	assert_int_equal(check(a, "c1", "", 100, &role), IPCDA_AUTH_MISSING);
	ipcda_auth_free(a);
	config_free(cfg);
}

static void test_auth_failures_limited_per_client(void **state)
{
	struct ipcda_config *cfg = config_new();
	struct ipcda_auth *a = ipcda_auth_new(cfg);
	enum ipcda_role role;
	unsigned retry_after;
	uint64_t failed, limited;

	(void)state;
	/* wrong token, unknown user, wrong password, an unknown scheme */
	assert_int_equal(check(a, "c1", "Bearer r3ad!", 100, &role), IPCDA_AUTH_BAD);
	assert_int_equal(check(a, "c1", "Basic Ym9iOndvbmRlcmxhbmQ=", 101, &role), IPCDA_AUTH_BAD);
	assert_int_equal(check(a, "c1", "Basic YWxpY2U6d29uZGVybGFuZQ==", 102, &role), IPCDA_AUTH_BAD);
	/* three failures: c1 waits for the end of its window, even with a right token */
	assert_int_equal(ipcda_auth_check(a, "c1", "Bearer r3ad", 110, &role, &retry_after), IPCDA_AUTH_LIMITED);
	assert_int_equal(retry_after, 50);
	/* another client is not held */
	assert_int_equal(check(a, "c2", "Bearer r3ad", 110, &role), IPCDA_AUTH_OK);
	/* the window ends */
	assert_int_equal(check(a, "c1", "Bearer r3ad", 160, &role), IPCDA_AUTH_OK);
	ipcda_auth_counts(a, &failed, &limited);
	assert_int_equal(failed, 3);
	assert_int_equal(limited, 1);
	ipcda_auth_free(a);
	config_free(cfg);
}

static void test_auth_table_is_bounded(void **state)
{
	struct ipcda_config *cfg = config_new();
	struct ipcda_auth *a = ipcda_auth_new(cfg);
	enum ipcda_role role;
	char client[32];

	(void)state;
	cfg->auth_failures = 1;
	/* more clients than the table holds: the stalest go, the newest are held */
	for (int i = 0; i < 3 * IPCDA_AUTH_CLIENTS_MAX; i++) {
		snprintf(client, sizeof(client), "10.0.%d.%d", i / 256, i % 256);
		assert_int_equal(check(a, client, "Bearer nope", 1000 + (uint64_t)i / 100, &role), IPCDA_AUTH_BAD);
	}
	assert_int_equal(check(a, client, "Bearer r3ad", 1000 + 3 * IPCDA_AUTH_CLIENTS_MAX / 100, &role),
			 IPCDA_AUTH_LIMITED);
	ipcda_auth_free(a);
	config_free(cfg);
}

static void test_auth_credentials_replaced(void **state)
{
	struct ipcda_config *cfg = config_new(), *next = config_new();
	struct ipcda_auth *a = ipcda_auth_new(cfg);
	enum ipcda_role role;

	(void)state;
	ipcda_sha256("n3w", 3, next->tokens[0].sha256);
	free(next->users[0].name);
	free(next->users[0].password_hash);
	next->user_count = 0;
	assert_int_equal(ipcda_auth_set_credentials(a, next), 0);
	/* a copy: the configurations may go */
	config_free(next);
	assert_int_equal(check(a, "c1", "Bearer r3ad", 100, &role), IPCDA_AUTH_BAD);
	assert_int_equal(check(a, "c1", "Bearer n3w", 100, &role), IPCDA_AUTH_OK);
	assert_int_equal(role, IPCDA_ROLE_READ);
	assert_int_equal(check(a, "c1", "Basic YWxpY2U6d29uZGVybGFuZA==", 100, &role), IPCDA_AUTH_BAD);
	assert_false(ipcda_auth_has_users(a));
	ipcda_auth_free(a);
	config_free(cfg);
}

static void test_auth_open_without_credentials(void **state)
{
	struct ipcda_config cfg = { .auth_failures = 3, .auth_window_secs = 60 };
	struct ipcda_auth *a = ipcda_auth_new(&cfg);

	(void)state;
	/* a unix socket alone needs no credentials configured: that lets no one in by itself */
	assert_false(ipcda_auth_open(a));
	cfg.insecure = true;
	assert_true(ipcda_auth_open(a));
	ipcda_auth_free(a);
}

static void test_token_file(void **state)
{
	char path[] = "/tmp/ipcd-tokens-XXXXXX", err_text[1024] = "";
	struct ipcda_config cfg = { 0 };
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w"), *err = fmemopen(err_text, sizeof(err_text), "w");

	(void)state;
	fprintf(f, "# name role sha256\n\nci read ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
		   "ops  admin   BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n"
		   "bad root ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n"
		   "short read abcd\n"
		   "lonely\n");
	fclose(f);
	assert_int_equal(ipcda_token_file_load(path, &cfg, err), 3);
	fclose(err);
	assert_int_equal(cfg.token_count, 2);
	assert_string_equal(cfg.tokens[0].name, "ci");
	assert_int_equal(cfg.tokens[0].role, IPCDA_ROLE_READ);
	assert_int_equal(cfg.tokens[1].role, IPCDA_ROLE_ADMIN);
	assert_non_null(strstr(err_text, ":5:5: error: unknown role 'root'"));
	assert_non_null(strstr(err_text, ":6:12: error: the token's SHA-256"));
	assert_non_null(strstr(err_text, ":7:1: error: a token line is NAME ROLE SHA256HEX"));
	unlink(path);
	ipcda_config_free(&cfg);
}

static void test_password_hash_ok(void **state)
{
	(void)state;
	assert_true(ipcda_password_hash_ok("$6$saltsaltsalt$8fEcTdVNlFjH3jl8h8t1X4pVzQ7MPDEQW7Rq8H5kq5wN3Ov6RzQbF0m6dHZ0T5dP1j9s3t0q2rEo6xk8Jw1s0."));
	assert_true(ipcda_password_hash_ok("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"));
	assert_false(ipcda_password_hash_ok("wonderland"));
	assert_false(ipcda_password_hash_ok(""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent_decode),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_url_too_many_args),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_sha256_and_equal),
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_auth_roles),
		cmocka_unit_test(test_auth_failures_limited_per_client),
		cmocka_unit_test(test_auth_table_is_bounded),
		cmocka_unit_test(test_auth_credentials_replaced),
		cmocka_unit_test(test_auth_open_without_credentials),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_password_hash_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
