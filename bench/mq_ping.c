/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message-queue round trips: the parent sends S bytes on one queue, the
 * child receives them and sends them back on a second, N messages in all
 * (a round trip is two).
 *
 *   mq_ping [-n MESSAGES] [-s BYTES] [-c posix|sysv]
 *
 * posix: two POSIX queues (mq_send / mq_receive), unlinked at the start so
 * nothing is left behind.  sysv: two private SysV queues (msgsnd / msgrcv),
 * removed at the end.  Prints the wall time per message in nanoseconds, as
 * pipe_ping does.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdbool.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include "bench_util.h"

#define MAX_MESSAGE 8192

struct sysv_msg {
	long mtype;
	char text[MAX_MESSAGE];
};

/* One queue, whichever kind: the descriptor and how to use it. */
struct queue {
	bool sysv;
	mqd_t mq;
	int msqid;
};

static struct queue make_queue(bool sysv, size_t size, int n)
{
	struct queue q = { .sysv = sysv };
	struct mq_attr attr = { .mq_maxmsg = 10, .mq_msgsize = (long)size };
	char name[64];

	if (sysv) {
		q.msqid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
		if (q.msqid < 0)
			die("msgget");
		return q;
	}
	snprintf(name, sizeof(name), "/ipcd-bench-%d-%d", (int)getpid(), n);
	q.mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q.mq == (mqd_t)-1)
		die("mq_open");
	mq_unlink(name);
	return q;
}

static void send_msg(const struct queue *q, struct sysv_msg *m, size_t size)
{
	if (q->sysv) {
		m->mtype = 1;
		while (msgsnd(q->msqid, m, size, 0))
			if (errno != EINTR)
				die("msgsnd");
		return;
	}
	while (mq_send(q->mq, m->text, size, 0))
		if (errno != EINTR)
			die("mq_send");
}

static void receive_msg(const struct queue *q, struct sysv_msg *m, size_t size)
{
	ssize_t n;

	do {
		n = q->sysv ? msgrcv(q->msqid, m, size, 0, 0) : mq_receive(q->mq, m->text, MAX_MESSAGE, NULL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)size)
		die("receive");
}

int main(int argc, char **argv)
{
	static struct sysv_msg msg;
	long messages = 100000;
	size_t size = 64;
	bool sysv = false;
	struct queue to_child, to_parent;
	unsigned long long start, elapsed;
	int opt, status;
	pid_t child;

	while ((opt = getopt(argc, argv, "n:s:c:")) != -1) {
		if (opt == 'n')
			messages = atol(optarg);
		else if (opt == 's')
			size = (size_t)atol(optarg);
		else if (opt == 'c' && (!strcmp(optarg, "posix") || !strcmp(optarg, "sysv")))
			sysv = !strcmp(optarg, "sysv");
		else
			goto usage;
	}
	if (messages < 2 || size < 1 || size > MAX_MESSAGE)
		goto usage;
	memset(msg.text, 'q', sizeof(msg.text));
	to_child = make_queue(sysv, size, 0);
	to_parent = make_queue(sysv, size, 1);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		for (long i = 0; i < messages / 2; i++) {
			receive_msg(&to_child, &msg, size);
			send_msg(&to_parent, &msg, size);
		}
		_exit(0);
	}
	start = now_ns();
	for (long i = 0; i < messages / 2; i++) {
		send_msg(&to_child, &msg, size);
		receive_msg(&to_parent, &msg, size);
	}
	elapsed = now_ns() - start;
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	if (sysv) {
		msgctl(to_child.msqid, IPC_RMID, NULL);
		msgctl(to_parent.msqid, IPC_RMID, NULL);
	}
	printf("%.1f\n", (double)elapsed / (messages / 2 * 2));
	return 0;
usage:
	fprintf(stderr, "usage: mq_ping [-n MESSAGES] [-s BYTES (1..%d)] [-c posix|sysv]\n", MAX_MESSAGE);
	return 2;
}
