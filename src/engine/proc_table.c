/* SPDX-License-Identifier: GPL-2.0 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "engine/proc_table.h"

struct proc_entry {
	uint32_t pid;
	uint32_t ppid;
	char comm[IPCD_COMM_LEN];
	uint64_t exited_ns;   /* 0 while alive */
	bool in_tree;         /* of the traced tree (-- CMD, --follow), from its fork on */
	UT_hash_handle hh;
};

struct proc_table {
	struct proc_entry *procs;
};

struct proc_table *proc_table_new(void)
{
	return calloc(1, sizeof(struct proc_table));
}

void proc_table_free(struct proc_table *pt)
{
	struct proc_entry *p, *tmp;

	if (!pt)
		return;
	HASH_ITER(hh, pt->procs, p, tmp) {
		HASH_DEL(pt->procs, p);
		free(p);
	}
	free(pt);
}

static struct proc_entry *proc_get(struct proc_table *pt, uint32_t pid)
{
	struct proc_entry *p;

	HASH_FIND(hh, pt->procs, &pid, sizeof(pid), p);
	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	HASH_ADD(hh, pt->procs, pid, sizeof(pid), p);
	return p;
}

static void set_comm(struct proc_entry *p, const char *comm)
{
	size_t n = strnlen(comm, sizeof(p->comm) - 1);

	memset(p->comm, 0, sizeof(p->comm));
	memcpy(p->comm, comm, n);
}

/*
 * /proc/<pid>/stat is "pid (comm) state ppid ...", and comm may itself hold
 * spaces and parentheses: it ends at the last ')'.
 */
static int parse_stat(const char *line, char *comm, size_t comm_len, uint32_t *ppid)
{
	const char *open = strchr(line, '('), *close = strrchr(line, ')');
	size_t n;
	char state;
	unsigned int parent;

	if (!open || !close || close < open)
		return -1;
	n = (size_t)(close - open - 1);
	if (n >= comm_len)
		n = comm_len - 1;
	memcpy(comm, open + 1, n);
	comm[n] = '\0';
	if (sscanf(close + 1, " %c %u", &state, &parent) != 2)
		return -1;
	*ppid = parent;
	return 0;
}

static void scan_one(struct proc_table *pt, const char *proc_root, const char *name)
{
	char path[512], line[512], comm[IPCD_COMM_LEN];
	struct proc_entry *p;
	uint32_t ppid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/stat", proc_root, name);
	f = fopen(path, "re");
	if (!f)
		return;  /* gone since readdir: nothing to know */
	if (fgets(line, sizeof(line), f) && !parse_stat(line, comm, sizeof(comm), &ppid)) {
		p = proc_get(pt, (uint32_t)strtoul(name, NULL, 10));
		if (p) {
			set_comm(p, comm);
			p->ppid = ppid;
		}
	}
	fclose(f);
}

int proc_table_scan(struct proc_table *pt, const char *proc_root)
{
	struct dirent *de;
	DIR *dir = opendir(proc_root);

	if (!dir)
		return -1;
	while ((de = readdir(dir)))
		if (isdigit((unsigned char)de->d_name[0]))
			scan_one(pt, proc_root, de->d_name);
	closedir(dir);
	return 0;
}

static const struct proc_entry *proc_find(const struct proc_table *pt, int64_t pid);

void proc_table_record(struct proc_table *pt, const struct ipcd_proc *rec)
{
	struct proc_entry *p = proc_get(pt, rec->task.pid);

	if (!p)
		return;
	switch (rec->event) {
	case IPCD_PROC_FORK: {
		const struct proc_entry *parent = proc_find(pt, rec->task.ppid);

		/* a pid used again is a new process: it is what its parent is */
		p->in_tree = parent && parent->in_tree;
	}
		/* fall through */
	case IPCD_PROC_EXEC:
	case IPCD_PROC_RENAME:
		set_comm(p, rec->task.comm);
		p->ppid = rec->task.ppid;
		p->exited_ns = 0;
		break;
	case IPCD_PROC_EXIT:
		p->exited_ns = rec->hdr.ts_ns ? rec->hdr.ts_ns : 1;
		break;
	default:
		break;
	}
}

void proc_table_expire(struct proc_table *pt, uint64_t now_ns, uint64_t keep_ns)
{
	struct proc_entry *p, *tmp;

	HASH_ITER(hh, pt->procs, p, tmp) {
		if (p->exited_ns && now_ns > p->exited_ns && now_ns - p->exited_ns > keep_ns) {
			HASH_DEL(pt->procs, p);
			free(p);
		}
	}
}

static const struct proc_entry *proc_find(const struct proc_table *pt, int64_t pid)
{
	struct proc_entry *p;
	uint32_t key = (uint32_t)pid;

	if (pid <= 0)
		return NULL;
	HASH_FIND(hh, pt->procs, &key, sizeof(key), p);
	return p;
}

const char *proc_table_comm(const struct proc_table *pt, int64_t pid)
{
	const struct proc_entry *p = proc_find(pt, pid);

	return p ? p->comm : NULL;
}

const char *proc_table_live_comm(const struct proc_table *pt, int64_t pid)
{
	const struct proc_entry *p = proc_find(pt, pid);

	return p && !p->exited_ns ? p->comm : NULL;
}

size_t proc_table_size(const struct proc_table *pt)
{
	return HASH_COUNT(pt->procs);
}

void proc_table_foreach_alive(const struct proc_table *pt,
			      void (*fn)(void *ctx, uint32_t pid, uint32_t ppid, const char *comm), void *ctx)
{
	const struct proc_entry *e, *tmp;

	HASH_ITER(hh, pt->procs, e, tmp)
		if (!e->exited_ns)
			fn(ctx, e->pid, e->ppid, e->comm);
}

bool proc_table_join_tree(struct proc_table *pt, uint32_t pid)
{
	struct proc_entry *p = proc_get(pt, pid);

	if (p)
		p->in_tree = true;
	return p != NULL;
}

/* Until nothing changes: a chain of n generations takes at most n rounds. */
void proc_table_tree_descendants(struct proc_table *pt)
{
	struct proc_entry *p, *tmp;
	bool changed = true;

	while (changed) {
		changed = false;
		HASH_ITER(hh, pt->procs, p, tmp) {
			const struct proc_entry *parent;

			if (p->in_tree || p->exited_ns || p->ppid == p->pid)
				continue;
			parent = proc_find(pt, p->ppid);
			if (parent && parent->in_tree) {
				p->in_tree = true;
				changed = true;
			}
		}
	}
}

bool proc_table_in_tree(const struct proc_table *pt, int64_t pid)
{
	const struct proc_entry *p = proc_find(pt, pid);

	return p && p->in_tree;
}

void proc_table_foreach_tree_member(const struct proc_table *pt, void (*fn)(void *ctx, uint32_t pid), void *ctx)
{
	const struct proc_entry *e, *tmp;

	HASH_ITER(hh, pt->procs, e, tmp)
		if (e->in_tree && !e->exited_ns)
			fn(ctx, e->pid);
}
