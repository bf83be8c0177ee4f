/* SPDX-License-Identifier: GPL-2.0 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/grow.h"
#include "families/tcp_listeners.h"

#define TCP_LISTEN 0x0a   /* the st column of /proc/net/tcp */

struct listening {
	uint64_t ino;
	uint16_t port;
	bool found;
	uint64_t start;         /* the holder's start time, in clock ticks since boot */
	struct ipcd_task task;
};

struct listening_set {
	struct listening *all;
	size_t count, cap;
};

/* The LISTEN rows of one of /proc/net/tcp, tcp6: "sl local rem st ... uid timeout inode". */
static void read_listening(const char *path, struct listening_set *set)
{
	FILE *f = fopen(path, "re");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned int port, state;
		uint64_t ino;

		if (sscanf(line, " %*u: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*u %*u %" SCNu64, local, &port, &state,
			   &ino) != 4)
			continue;  /* the header */
		if (state != TCP_LISTEN || !ino || port > UINT16_MAX)
			continue;
		if (!grow_array((void **)&set->all, &set->cap, set->count + 1, sizeof(*set->all)))
			break;
		set->all[set->count++] = (struct listening){ .ino = ino, .port = (uint16_t)port };
	}
	fclose(f);
}

static int by_ino(const void *a, const void *b)
{
	const struct listening *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static struct listening *find_ino(struct listening_set *set, uint64_t ino)
{
	struct listening key = { .ino = ino };

	return bsearch(&key, set->all, set->count, sizeof(*set->all), by_ino);
}

/* A process as /proc/PID/stat has it: comm, parent and start time. */
static bool read_process(const char *proc, uint32_t pid, struct ipcd_task *task, uint64_t *start)
{
	char path[64], buf[1024], *open_paren, *close_paren;
	unsigned long long starttime;
	int ppid;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/stat", proc, pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	/* the comm may hold spaces and parentheses: it ends at the last ')' */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren ||
	    sscanf(close_paren + 1, " %*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &ppid, &starttime) != 2)
		return false;
	memset(task, 0, sizeof(*task));
	task->pid = task->tid = pid;
	task->ppid = (uint32_t)ppid;
	len = (size_t)(close_paren - open_paren - 1);
	memcpy(task->comm, open_paren + 1, len < IPCD_COMM_LEN - 1 ? len : IPCD_COMM_LEN - 1);
	*start = starttime;
	return true;
}

/* The listening sockets among one process's descriptors take it as their holder if it started first. */
static void scan_process_fds(const char *proc, uint32_t pid, struct listening_set *set)
{
	char path[64], link[64];
	struct ipcd_task task;
	uint64_t start = 0;
	bool known = false;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%" PRIu32 "/fd", proc, pid);
	dir = opendir(path);
	if (!dir)
		return;  /* gone, or a kernel thread */
	while ((d = readdir(dir))) {
		unsigned long long ino;
		struct listening *l;
		ssize_t n = readlinkat(dirfd(dir), d->d_name, link, sizeof(link) - 1);

		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1 || !(l = find_ino(set, ino)))
			continue;
		if (!known && !(known = read_process(proc, pid, &task, &start)))
			break;
		if (!l->found || start < l->start || (start == l->start && pid < l->task.pid)) {
			l->found = true;
			l->start = start;
			l->task = task;
		}
	}
	closedir(dir);
}

size_t tcp_listeners_scan(const char *proc, tcp_listener_fn fn, void *ctx)
{
	struct listening_set set = { 0 };
	char path[64];
	struct dirent *d;
	size_t found = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/net/tcp", proc);
	read_listening(path, &set);
	snprintf(path, sizeof(path), "%s/net/tcp6", proc);
	read_listening(path, &set);
	if (!set.count || !(dir = opendir(proc))) {
		free(set.all);
		return 0;
	}
	qsort(set.all, set.count, sizeof(*set.all), by_ino);
	while ((d = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (isdigit((unsigned char)d->d_name[0]) && !*end && pid <= UINT32_MAX)
			scan_process_fds(proc, (uint32_t)pid, &set);
	}
	closedir(dir);
	for (size_t i = 0; i < set.count; i++) {
		if (!set.all[i].found)
			continue;
		fn(ctx, set.all[i].port, &set.all[i].task);
		found++;
	}
	free(set.all);
	return found;
}
