/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Socket bookkeeping: what the unix collector told of each socket (by
 * cookie): its inode, its peer and its name, to name both ends of events.
 */
#ifndef IPCD_SOCK_TABLE_H
#define IPCD_SOCK_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"

struct sock_table;

struct sock_table *sock_table_new(void);
void sock_table_free(struct sock_table *t);

void sock_table_record(struct sock_table *t, const struct ipcd_unix_name *rec);
/* An inode seen in an io record, for sockets whose name record was lost. */
void sock_table_saw_ino(struct sock_table *t, uint64_t sock, uint64_t ino);

/* The socket's bound name ("/path", "@abstract"), NULL if unbound or unknown. */
const char *sock_table_name(const struct sock_table *t, uint64_t sock);
uint64_t sock_table_ino(const struct sock_table *t, uint64_t sock);
size_t sock_table_size(const struct sock_table *t);

/*
 * Formats the sun_path part of a unix address (len bytes): a path up to
 * its first NUL, or "@name" for an abstract name, whose NULs become '@' as
 * ss(8) shows them.  "" when len is 0.
 */
void sock_name_format(const char *sun_path, size_t len, char *buf, size_t size);

/* Fills in the names and inodes of a unix event's sockets, and the socketpair flag. */
void sock_table_describe(const struct sock_table *t, struct ipcd_event *e);

#endif /* IPCD_SOCK_TABLE_H */
