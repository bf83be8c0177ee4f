/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process bookkeeping: pid -> comm and parent, from a /proc scan at start
 * and the kernel's fork/exec/exit records after it.  Events carry what the
 * kernel saw of each end; this adds what it did not (the parent's name),
 * and stays right for processes that lived a millisecond, because the
 * records come from the kernel as it happens, not from /proc later.
 */
#ifndef IPCD_PROC_TABLE_H
#define IPCD_PROC_TABLE_H

#include <stdbool.h>
#include <stdint.h>
#include "records.h"

struct proc_table;

struct proc_table *proc_table_new(void);
void proc_table_free(struct proc_table *pt);

/* Reads /proc/<pid>/stat for every process; proc_root is "/proc" but for tests. */
int proc_table_scan(struct proc_table *pt, const char *proc_root);
void proc_table_record(struct proc_table *pt, const struct ipcd_proc *rec);
/* Forgets processes that exited more than keep_ns before now_ns. */
void proc_table_expire(struct proc_table *pt, uint64_t now_ns, uint64_t keep_ns);

/* The comm of pid (alive or lately exited), or NULL if unknown. */
const char *proc_table_comm(const struct proc_table *pt, int64_t pid);
/* The same, for a pid that has not exited. */
const char *proc_table_live_comm(const struct proc_table *pt, int64_t pid);
size_t proc_table_size(const struct proc_table *pt);
/* Calls fn for every process still alive. */
void proc_table_foreach_alive(const struct proc_table *pt,
			      void (*fn)(void *ctx, uint32_t pid, uint32_t ppid, const char *comm), void *ctx);

/*
 * The traced tree (-- CMD, --follow): its roots join by hand, and a process
 * forked by a member is a member, even once reparented (a daemon's double
 * fork).  Membership is kept until the process is forgotten.
 */
bool proc_table_join_tree(struct proc_table *pt, uint32_t pid);
/* Every live process whose parent is a member joins, down the generations (after a scan). */
void proc_table_tree_descendants(struct proc_table *pt);
bool proc_table_in_tree(const struct proc_table *pt, int64_t pid);
/* Calls fn for every member still alive. */
void proc_table_foreach_tree_member(const struct proc_table *pt, void (*fn)(void *ctx, uint32_t pid), void *ctx);

#endif /* IPCD_PROC_TABLE_H */
