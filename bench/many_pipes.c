/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Many-pipes workload: K pipes open at once, little traffic on each.
 *
 *   many_pipes [-k PIPES] [-n MESSAGES] [-s BYTES] [-j GROUPS]
 *
 * A writer writes S-byte messages to the pipes in turn (message i goes to
 * pipe i % K), its child reads them in the same order.  What this stresses
 * is not the bytes but the number of distinct pipes: a tracer that keeps
 * per-pipe state has K entries to create, find and keep.
 *
 * With -j, GROUPS such writer/reader pairs share the pipes and the messages
 * out and run at once: one process may hold only so many descriptors (the
 * hard limit, which only CAP_SYS_RESOURCE raises), so 100 000 pipes take
 * several processes.
 *
 * Prints the wall time per message in nanoseconds and nothing else, from
 * the moment every group is ready until every message is read.  Setup
 * (creating the pipes and passing them over) is outside the clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

#define MAX_MESSAGE 4096   /* up to PIPE_BUF, so every write is atomic */
#define SPARE_FDS 64       /* stdio, the control pipe and the socket */
#define FD_BATCH 250       /* descriptors per SCM_RIGHTS message (the kernel allows 253) */

struct config {
	long pipes;
	long messages;
	size_t size;
	long groups;
};

static void usage(void)
{
	fprintf(stderr, "usage: many_pipes [-k PIPES] [-n MESSAGES] [-s BYTES (1..%d)] [-j GROUPS]\n", MAX_MESSAGE);
	exit(2);
}

static struct config parse_args(int argc, char **argv)
{
	struct config cfg = { .pipes = 10000, .messages = 100000, .size = 64, .groups = 1 };
	int opt;

	while ((opt = getopt(argc, argv, "k:n:s:j:")) != -1) {
		switch (opt) {
		case 'k': cfg.pipes = atol(optarg); break;
		case 'n': cfg.messages = atol(optarg); break;
		case 's': cfg.size = (size_t)atol(optarg); break;
		case 'j': cfg.groups = atol(optarg); break;
		default: usage();
		}
	}
	if (cfg.pipes < 1 || cfg.messages < 1 || cfg.size < 1 || cfg.size > MAX_MESSAGE || cfg.groups < 1 ||
	    cfg.groups > cfg.pipes || cfg.groups > cfg.messages)
		usage();
	return cfg;
}

/* One end of every pipe per process: the default soft limit of 1024 is too low. */
static void raise_fd_limit(long pipes)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)pipes + SPARE_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	if (rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;   /* needs CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE (too many pipes for the fd limit)");
}

/*
 * Creates the pipes in the parent and hands each read end to the child over
 * a unix socket (SCM_RIGHTS), closing it here.  Neither process ever holds
 * both ends of all K pipes, so K up to the fd limit works, not half of it.
 */
static void send_read_ends(int sock, int *write_ends, long count)
{
	for (long done = 0; done < count; done += FD_BATCH) {
		int batch = count - done < FD_BATCH ? (int)(count - done) : FD_BATCH;
		int read_ends[FD_BATCH];
		union { char buf[CMSG_SPACE(sizeof(read_ends))]; struct cmsghdr align; } u;
		char byte = 'f';
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = u.buf, .msg_controllen = CMSG_SPACE(batch * sizeof(int)) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

		for (int i = 0; i < batch; i++) {
			int fds[2];

			if (pipe(fds))
				die("pipe");
			read_ends[i] = fds[0];
			write_ends[done + i] = fds[1];
		}
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(batch * sizeof(int));
		memcpy(CMSG_DATA(cm), read_ends, batch * sizeof(int));
		if (sendmsg(sock, &msg, 0) != 1)
			die("sendmsg");
		for (int i = 0; i < batch; i++)
			close(read_ends[i]);
	}
}

static void receive_read_ends(int sock, int *read_ends, long count)
{
	long got = 0;

	while (got < count) {
		union { char buf[CMSG_SPACE(FD_BATCH * sizeof(int))]; struct cmsghdr align; } u;
		char byte;
		struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
		struct cmsghdr *cm;
		size_t n;

		if (recvmsg(sock, &msg, 0) != 1)
			die("recvmsg");
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm || cm->cmsg_type != SCM_RIGHTS || (msg.msg_flags & MSG_CTRUNC)) {
			errno = EPROTO;
			die("recvmsg: descriptors missing");
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (got + (long)n > count) {
			errno = EPROTO;
			die("recvmsg: too many descriptors");
		}
		memcpy(read_ends + got, CMSG_DATA(cm), n * sizeof(int));
		got += n;
	}
}

static void run_reader(const struct config *cfg, const int *read_ends, int control, char *buf)
{
	write_all(control, "r", 1);   /* ready: the clock starts now */
	for (long i = 0; i < cfg->messages; i++)
		read_all(read_ends[i % cfg->pipes], buf, cfg->size);
	write_all(control, "d", 1);   /* done: everything was read */
}

static void run_writer(const struct config *cfg, const int *write_ends, char *buf)
{
	for (long i = 0; i < cfg->messages; i++)
		write_all(write_ends[i % cfg->pipes], buf, cfg->size);
}

/*
 * One writer and its reader over cfg->pipes pipes.  Says "ready" on ready
 * (once the reader holds its ends), waits for a byte on go, and says
 * "done" on ready once the reader has read everything.
 */
static void run_group(const struct config *cfg, int ready, int go)
{
	static char buf[MAX_MESSAGE];
	int control[2], sock[2], status;
	int *ends = calloc(cfg->pipes, sizeof(int));   /* the child's read ends, the writer's write ends */
	pid_t child;

	if (!ends)
		die("calloc");
	memset(buf, 'm', sizeof(buf));
	raise_fd_limit(cfg->pipes);
	if (pipe(control) || socketpair(AF_UNIX, SOCK_DGRAM, 0, sock))
		die("pipe or socketpair");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(control[0]);
		close(sock[0]);
		receive_read_ends(sock[1], ends, cfg->pipes);
		close(sock[1]);
		run_reader(cfg, ends, control[1], buf);
		_exit(0);
	}
	close(control[1]);
	close(sock[1]);
	send_read_ends(sock[0], ends, cfg->pipes);
	close(sock[0]);
	read_all(control[0], buf, 1);
	write_all(ready, "r", 1);
	read_all(go, buf, 1);
	run_writer(cfg, ends, buf);
	read_all(control[0], buf, 1);
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		exit(1);
	write_all(ready, "d", 1);
	free(ends);
}

int main(int argc, char **argv)
{
	struct config cfg = parse_args(argc, argv);
	unsigned long long start, elapsed;
	int ready[2], go[2], status, failed = 0;
	char byte;

	if (pipe(ready) || pipe(go))
		die("pipe");
	for (long g = 0; g < cfg.groups; g++) {
		struct config part = cfg;
		pid_t pid;

		/* the pipes and messages shared out, the first groups taking the remainders */
		part.pipes = cfg.pipes / cfg.groups + (g < cfg.pipes % cfg.groups);
		part.messages = cfg.messages / cfg.groups + (g < cfg.messages % cfg.groups);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			close(ready[0]);
			close(go[1]);
			run_group(&part, ready[1], go[0]);
			_exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	for (long g = 0; g < cfg.groups; g++)
		read_all(ready[0], &byte, 1);
	start = now_ns();
	for (long g = 0; g < cfg.groups; g++)
		write_all(go[1], "g", 1);
	for (long g = 0; g < cfg.groups; g++)
		read_all(ready[0], &byte, 1);
	elapsed = now_ns() - start;
	while (wait(&status) > 0)
		failed |= !WIFEXITED(status) || WEXITSTATUS(status);
	if (failed)
		return 1;
	printf("%.1f\n", (double)elapsed / cfg.messages);
	return 0;
}
