// SPDX-License-Identifier: GPL-2.0
/*
 * The socket table, fed with synthetic name records: how unix addresses
 * are formatted, what it tells of each socket, and how it names both ends
 * of an event.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine/event.h"
#include "records.h"
#include "families/sock_table.h"

/* The most sockets the table holds before it forgets the oldest half. */
#define TABLE_MAX 65536

/* ---- fixture ------------------------------------------------------------ */

static int fixture_setup(void **state)
{
	struct sock_table *t = sock_table_new();

	if (!t)
		return -1;
	*state = t;
	return 0;
}

static int fixture_teardown(void **state)
{
	sock_table_free(*state);
	return 0;
}

/* ---- synthetic name records -------------------------------------------- */

/* A name record of sock whose sun_path is the len bytes of name. */
static void record(struct sock_table *t, uint64_t sock, uint64_t ino, const char *name, size_t len)
{
	struct ipcd_unix_name rec;

	memset(&rec, 0, sizeof(rec));
	assert_true(len <= sizeof(rec.name));
	rec.hdr.kind = IPCD_REC_UNIX_NAME;
	rec.hdr.size = sizeof(rec);
	rec.sock = sock;
	rec.ino = ino;
	rec.sock_type = IPCD_SOCK_DGRAM;
	rec.name_len = (uint16_t)len;
	if (len)
		memcpy(rec.name, name, len);
	sock_table_record(t, &rec);
}

/* sock bound to a path, its name length counting the NUL. */
static void record_path(struct sock_table *t, uint64_t sock, uint64_t ino, const char *path)
{
	record(t, sock, ino, path, strlen(path) + 1);
}

/* sock bound to the abstract name "\0" name. */
static void record_abstract(struct sock_table *t, uint64_t sock, uint64_t ino, const char *name)
{
	char sun_path[IPCD_UNIX_ADDR_MAX - 2] = { 0 };
	size_t len = strlen(name);

	assert_true(len + 1 <= sizeof(sun_path));
	memcpy(sun_path + 1, name, len);
	record(t, sock, ino, sun_path, len + 1);
}

static void record_unbound(struct sock_table *t, uint64_t sock, uint64_t ino)
{
	record(t, sock, ino, NULL, 0);
}

/* An event between two sockets, with nothing else known of them. */
static struct ipcd_event unix_event(uint64_t src_sock, uint64_t dst_sock)
{
	struct ipcd_event e;

	memset(&e, 0, sizeof(e));
	e.type = IPCD_TYPE_UNIX_DGRAM;
	e.src_sock = src_sock;
	e.dst_sock = dst_sock;
	return e;
}

/* ---- formatting addresses ---------------------------------------------- */

static void test_format_path_stops_at_its_nul(void **state)
{
	char sun_path[IPCD_UNIX_ADDR_MAX - 2] = "/tmp/x";
	char buf[IPCD_UNIX_ADDR_MAX];

	(void)state;
	sock_name_format(sun_path, sizeof(sun_path), buf, sizeof(buf));
	assert_string_equal(buf, "/tmp/x");
	sock_name_format(sun_path, strlen("/tmp/x") + 1, buf, sizeof(buf));
	assert_string_equal(buf, "/tmp/x");
}

/* A path with no NUL within len: only len bytes count. */
static void test_format_path_takes_only_len_bytes(void **state)
{
	char buf[IPCD_UNIX_ADDR_MAX];

	(void)state;
	sock_name_format("/tmp/xyz", 4, buf, sizeof(buf));
	assert_string_equal(buf, "/tmp");
}

static void test_format_abstract_name_starts_with_at(void **state)
{
	char buf[IPCD_UNIX_ADDR_MAX];

	(void)state;
	sock_name_format("\0abc", 4, buf, sizeof(buf));
	assert_string_equal(buf, "@abc");
}

/* Every byte of an abstract name counts: its NULs show as '@', as ss(8) shows them. */
static void test_format_abstract_nuls_become_at(void **state)
{
	char buf[IPCD_UNIX_ADDR_MAX];

	(void)state;
	sock_name_format("\0a\0b\0", 5, buf, sizeof(buf));
	assert_string_equal(buf, "@a@b@");
	sock_name_format("\0", 1, buf, sizeof(buf));
	assert_string_equal(buf, "@");
}

static void test_format_empty_address(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	sock_name_format("", 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
	memset(buf, 'x', sizeof(buf));
	sock_name_format("/tmp/x", 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* The output never runs past the buffer, and always ends in a NUL. */
static void test_format_cut_to_the_buffer(void **state)
{
	char buf[8];

	(void)state;
	sock_name_format("/tmp/xyz", 9, buf, 4);
	assert_string_equal(buf, "/tm");
	sock_name_format("\0abcdef", 7, buf, 4);
	assert_string_equal(buf, "@ab");
	sock_name_format("/tmp/xyz", 9, buf, 1);
	assert_string_equal(buf, "");

	memset(buf, 'x', sizeof(buf));
	sock_name_format("/tmp/xyz", 9, buf, 0);
	assert_int_equal(buf[0], 'x');
}

/* ---- what the table tells ---------------------------------------------- */

static void test_record_then_name_and_inode(void **state)
{
	struct sock_table *t = *state;

	record_path(t, 101, 1001, "/run/app.sock");
	assert_string_equal(sock_table_name(t, 101), "/run/app.sock");
	assert_int_equal(sock_table_ino(t, 101), 1001);
	assert_int_equal(sock_table_size(t), 1);
}

static void test_record_of_abstract_name(void **state)
{
	struct sock_table *t = *state;

	record_abstract(t, 102, 1002, "abc");
	assert_string_equal(sock_table_name(t, 102), "@abc");
	assert_int_equal(sock_table_ino(t, 102), 1002);
}

/* The kernel pads a path with NULs up to the whole sun_path. */
static void test_record_of_padded_path(void **state)
{
	struct sock_table *t = *state;
	char sun_path[IPCD_UNIX_ADDR_MAX - 2] = "/tmp/x";

	record(t, 103, 1003, sun_path, sizeof(sun_path));
	assert_string_equal(sock_table_name(t, 103), "/tmp/x");
}

static void test_unbound_socket_has_no_name(void **state)
{
	struct sock_table *t = *state;

	record_unbound(t, 104, 1004);
	assert_null(sock_table_name(t, 104));
	assert_int_equal(sock_table_ino(t, 104), 1004);
	assert_int_equal(sock_table_size(t), 1);
}

/* A name as long as sun_path, with no NUL in it, is kept whole. */
static void test_longest_name_is_kept_whole(void **state)
{
	struct sock_table *t = *state;
	char sun_path[IPCD_UNIX_ADDR_MAX - 2];
	const char *name;

	memset(sun_path, 'p', sizeof(sun_path));
	sun_path[0] = '/';
	record(t, 105, 1005, sun_path, sizeof(sun_path));
	name = sock_table_name(t, 105);
	assert_non_null(name);
	assert_int_equal(strlen(name), sizeof(sun_path));
	assert_memory_equal(name, sun_path, sizeof(sun_path));
}

/* A name length past sun_path is held to sun_path. */
static void test_name_length_past_sun_path_is_clamped(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_unix_name rec;
	const char *name;

	memset(&rec, 0, sizeof(rec));
	rec.hdr.kind = IPCD_REC_UNIX_NAME;
	rec.hdr.size = sizeof(rec);
	rec.sock = 106;
	rec.ino = 1006;
	rec.name_len = 500;
	memset(rec.name, 'q', sizeof(rec.name));
	rec.name[0] = '\0';
	rec.pad3 = 0x41414141;
	sock_table_record(t, &rec);

	name = sock_table_name(t, 106);
	assert_non_null(name);
	assert_int_equal(strlen(name), sizeof(rec.name));
	assert_int_equal(name[0], '@');
	assert_int_equal(name[sizeof(rec.name) - 1], 'q');
}

/* A socket bound later (or its record seen again) takes its latest name. */
static void test_later_record_replaces_the_name(void **state)
{
	struct sock_table *t = *state;

	record_unbound(t, 107, 1007);
	assert_null(sock_table_name(t, 107));
	record_path(t, 107, 1007, "/tmp/first");
	assert_string_equal(sock_table_name(t, 107), "/tmp/first");
	record_abstract(t, 107, 1007, "second");
	assert_string_equal(sock_table_name(t, 107), "@second");
	assert_int_equal(sock_table_size(t), 1);
}

/* A record without an inode (not yet accepted) keeps the inode known. */
static void test_record_without_inode_keeps_the_known_one(void **state)
{
	struct sock_table *t = *state;

	record_path(t, 108, 1008, "/tmp/s");
	record_path(t, 108, 0, "/tmp/s");
	assert_int_equal(sock_table_ino(t, 108), 1008);
	record_path(t, 108, 2008, "/tmp/s");
	assert_int_equal(sock_table_ino(t, 108), 2008);
}

/* An io record's inode fills in a socket whose name record was lost. */
static void test_saw_ino_fills_an_inode(void **state)
{
	struct sock_table *t = *state;

	sock_table_saw_ino(t, 109, 1009);
	assert_int_equal(sock_table_ino(t, 109), 1009);
	assert_null(sock_table_name(t, 109));
	assert_int_equal(sock_table_size(t), 1);

	/* and keeps the name of a socket already known */
	record_path(t, 110, 0, "/tmp/named");
	assert_int_equal(sock_table_ino(t, 110), 0);
	sock_table_saw_ino(t, 110, 1010);
	assert_int_equal(sock_table_ino(t, 110), 1010);
	assert_string_equal(sock_table_name(t, 110), "/tmp/named");
	assert_int_equal(sock_table_size(t), 2);
}

/* No socket or no inode: nothing to learn. */
static void test_saw_ino_ignores_zeros(void **state)
{
	struct sock_table *t = *state;

	sock_table_saw_ino(t, 0, 1011);
	sock_table_saw_ino(t, 111, 0);
	assert_int_equal(sock_table_size(t), 0);
	assert_int_equal(sock_table_ino(t, 111), 0);

	sock_table_saw_ino(t, 111, 1011);
	sock_table_saw_ino(t, 111, 0);
	assert_int_equal(sock_table_ino(t, 111), 1011);
}

static void test_unknown_socket_has_no_name_nor_inode(void **state)
{
	struct sock_table *t = *state;

	record_path(t, 112, 1012, "/tmp/known");
	assert_null(sock_table_name(t, 999));
	assert_int_equal(sock_table_ino(t, 999), 0);
	assert_null(sock_table_name(t, 0));
	assert_int_equal(sock_table_ino(t, 0), 0);
}

/* ---- describing events -------------------------------------------------- */

static void test_describe_fills_names_and_inodes(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_event e = unix_event(201, 202);

	record_path(t, 201, 2001, "/tmp/client");
	record_abstract(t, 202, 2002, "server");
	sock_table_describe(t, &e);

	assert_string_equal(e.src_name, "/tmp/client");
	assert_string_equal(e.dst_name, "@server");
	assert_int_equal(e.src_ino, 2001);
	assert_int_equal(e.dst_ino, 2002);
	assert_int_equal(e.flags, 0);
}

/* Inodes the io records gave are kept. */
static void test_describe_keeps_inodes_already_known(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_event e = unix_event(203, 204);

	record_path(t, 203, 2003, "/tmp/a");
	record_path(t, 204, 2004, "/tmp/b");
	e.src_ino = 7003;
	sock_table_describe(t, &e);

	assert_int_equal(e.src_ino, 7003);
	assert_int_equal(e.dst_ino, 2004);
}

/* Two unbound sockets talking: only socketpair(2) makes such a pair. */
static void test_describe_two_unnamed_sockets_are_a_socketpair(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_event e = unix_event(205, 206);

	record_unbound(t, 205, 2005);
	record_unbound(t, 206, 2006);
	e.flags = IPCD_EF_HAS_LATENCY;
	sock_table_describe(t, &e);

	assert_null(e.src_name);
	assert_null(e.dst_name);
	assert_int_equal(e.src_ino, 2005);
	assert_int_equal(e.dst_ino, 2006);
	assert_int_equal(e.flags, IPCD_EF_HAS_LATENCY | IPCD_EF_SOCKETPAIR);
}

/* A client unbound, its server named: no socketpair, either way round. */
static void test_describe_one_named_end_is_no_socketpair(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_event to_server = unix_event(207, 208);
	struct ipcd_event to_client = unix_event(208, 207);

	record_unbound(t, 207, 2007);
	record_path(t, 208, 2008, "/tmp/server");
	sock_table_describe(t, &to_server);
	sock_table_describe(t, &to_client);

	assert_null(to_server.src_name);
	assert_string_equal(to_server.dst_name, "/tmp/server");
	assert_int_equal(to_server.flags, 0);
	assert_string_equal(to_client.src_name, "/tmp/server");
	assert_null(to_client.dst_name);
	assert_int_equal(to_client.flags, 0);
}

/* One end unknown: it may have a name, so no socketpair; the unknown end is left as it was. */
static void test_describe_one_unknown_end_is_no_socketpair(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_event e = unix_event(209, 999);
	struct ipcd_event reverse = unix_event(999, 209);

	record_unbound(t, 209, 2009);
	e.dst_name = "as-given";
	e.dst_ino = 9999;
	sock_table_describe(t, &e);
	sock_table_describe(t, &reverse);

	assert_null(e.src_name);
	assert_int_equal(e.src_ino, 2009);
	assert_string_equal(e.dst_name, "as-given");
	assert_int_equal(e.dst_ino, 9999);
	assert_int_equal(e.flags, 0);
	assert_null(reverse.src_name);
	assert_int_equal(reverse.src_ino, 0);
	assert_int_equal(reverse.dst_ino, 2009);
	assert_int_equal(reverse.flags, 0);
}

/* A send not connected to any socket (dst_sock 0) is no socketpair either. */
static void test_describe_no_destination_socket(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_event e = unix_event(210, 0);

	record_unbound(t, 210, 2010);
	sock_table_describe(t, &e);

	assert_int_equal(e.src_ino, 2010);
	assert_null(e.dst_name);
	assert_int_equal(e.dst_ino, 0);
	assert_int_equal(e.flags, 0);
}

static void test_describe_unknown_sockets_leave_event_alone(void **state)
{
	struct sock_table *t = *state;
	struct ipcd_event e = unix_event(998, 999);
	const char *src = "src", *dst = "dst";

	record_path(t, 211, 2011, "/tmp/other");
	e.src_name = src;
	e.dst_name = dst;
	e.src_ino = 5;
	e.flags = IPCD_EF_UNREAD;
	sock_table_describe(t, &e);

	assert_int_equal(e.src_sock, 998);
	assert_int_equal(e.dst_sock, 999);
	assert_ptr_equal(e.src_name, src);
	assert_ptr_equal(e.dst_name, dst);
	assert_int_equal(e.src_ino, 5);
	assert_int_equal(e.dst_ino, 0);
	assert_int_equal(e.flags, IPCD_EF_UNREAD);
}

/* ---- bounds ------------------------------------------------------------- */

/*
 * Sockets close unannounced: at TABLE_MAX sockets, a new one makes the
 * table forget the half heard of longest ago.
 */
static void test_full_table_forgets_the_oldest_half(void **state)
{
	struct sock_table *t = *state;

	for (uint64_t sock = 1; sock <= TABLE_MAX; sock++)
		sock_table_saw_ino(t, sock, sock + 100000);
	assert_int_equal(sock_table_size(t), TABLE_MAX);
	/* socket 1 is heard of again: now the newest */
	record_path(t, 1, 100001, "/tmp/first");
	assert_int_equal(sock_table_size(t), TABLE_MAX);

	sock_table_saw_ino(t, TABLE_MAX + 1, 1);
	assert_int_equal(sock_table_size(t), TABLE_MAX / 2 + 1);
	assert_string_equal(sock_table_name(t, 1), "/tmp/first");
	assert_int_equal(sock_table_ino(t, 1), 100001);
	assert_int_equal(sock_table_ino(t, 2), 0);
	assert_int_equal(sock_table_ino(t, TABLE_MAX / 2 + 1), 0);
	assert_int_equal(sock_table_ino(t, TABLE_MAX / 2 + 2), TABLE_MAX / 2 + 2 + 100000);
	assert_int_equal(sock_table_ino(t, TABLE_MAX), TABLE_MAX + 100000);
	assert_int_equal(sock_table_ino(t, TABLE_MAX + 1), 1);
}

#define TABLE_TEST(name) cmocka_unit_test_setup_teardown(name, fixture_setup, fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_path_stops_at_its_nul),
		cmocka_unit_test(test_format_path_takes_only_len_bytes),
		cmocka_unit_test(test_format_abstract_name_starts_with_at),
		cmocka_unit_test(test_format_abstract_nuls_become_at),
		cmocka_unit_test(test_format_empty_address),
		cmocka_unit_test(test_format_cut_to_the_buffer),
		TABLE_TEST(test_record_then_name_and_inode),
		TABLE_TEST(test_record_of_abstract_name),
		TABLE_TEST(test_record_of_padded_path),
		TABLE_TEST(test_unbound_socket_has_no_name),
		TABLE_TEST(test_longest_name_is_kept_whole),
		TABLE_TEST(test_name_length_past_sun_path_is_clamped),
		TABLE_TEST(test_later_record_replaces_the_name),
		TABLE_TEST(test_record_without_inode_keeps_the_known_one),
		TABLE_TEST(test_saw_ino_fills_an_inode),
		TABLE_TEST(test_saw_ino_ignores_zeros),
		TABLE_TEST(test_unknown_socket_has_no_name_nor_inode),
		TABLE_TEST(test_describe_fills_names_and_inodes),
		TABLE_TEST(test_describe_keeps_inodes_already_known),
		TABLE_TEST(test_describe_two_unnamed_sockets_are_a_socketpair),
		TABLE_TEST(test_describe_one_named_end_is_no_socketpair),
		TABLE_TEST(test_describe_one_unknown_end_is_no_socketpair),
		TABLE_TEST(test_describe_no_destination_socket),
		TABLE_TEST(test_describe_unknown_sockets_leave_event_alone),
		TABLE_TEST(test_full_table_forgets_the_oldest_half),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
