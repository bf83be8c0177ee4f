/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mqgen: real processes talking over message queues, for the end-to-end
 * tests.
 *
 *   mqgen sysv|posix|notify
 *
 * Like ipcgen: each process names itself and the scenario prints one JSON
 * line with the pids and the queue's key or name.
 */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include "progutil.h"

struct sysv_msg {
	long mtype;
	char text[64];
};

static pid_t spawn(const char *comm, void (*body)(int, int), int a, int b)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		set_comm(comm);
		body(a, b);
		_exit(0);
	}
	return pid;
}

static void sysv_send(int q, int who)
{
	struct sysv_msg m;

	/* both send type 1; sender 1 also a type 2 */
	m.mtype = 1;
	snprintf(m.text, sizeof(m.text), "from-sender-%d-type-1", who);
	if (msgsnd(q, &m, strlen(m.text), 0))
		die("msgsnd");
	if (who == 1) {
		m.mtype = 2;
		snprintf(m.text, sizeof(m.text), "type-2-from-1");
		if (msgsnd(q, &m, strlen(m.text), 0))
			die("msgsnd");
	}
}

static void sysv_recv(int q, int type)
{
	struct sysv_msg m;
	int n = type == 1 ? 2 : 1;

	for (int i = 0; i < n; i++)
		if (msgrcv(q, &m, sizeof(m.text), type, 0) < 0)
			die("msgrcv");
}

/*
 * sysv: ipct-mqs-s0 sends "from-sender-0-type-1" (mtype 1) and exits, then
 * ipct-mqs-s1 sends "from-sender-1-type-1" (1) and "type-2-from-1" (2);
 * ipct-mqs-r2 takes type 2, ipct-mqs-r1 both of type 1.
 */
static int scenario_sysv(void)
{
	key_t key = 0x49500000 | (getpid() & 0xffff);
	int q = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	pid_t s0, s1, r1, r2;

	if (q < 0)
		die("msgget");
	set_comm("ipct-mqs-main");
	s0 = spawn("ipct-mqs-s0", sysv_send, q, 0);
	wait_child(s0);
	s1 = spawn("ipct-mqs-s1", sysv_send, q, 1);
	wait_child(s1);
	r2 = spawn("ipct-mqs-r2", sysv_recv, q, 2);
	wait_child(r2);
	r1 = spawn("ipct-mqs-r1", sysv_recv, q, 1);
	wait_child(r1);
	msgctl(q, IPC_RMID, NULL);
	printf("{\"key\":%d,\"msqid\":%d,\"s0\":%d,\"s1\":%d,\"r1\":%d,\"r2\":%d}\n", key, q, s0, s1, r1, r2);
	return 0;
}

static char posix_name[64];

static void posix_send(int prio, int unused)
{
	mqd_t q = mq_open(posix_name, O_WRONLY);
	char text[32];

	(void)unused;
	snprintf(text, sizeof(text), "prio-%d", prio);
	if (q == (mqd_t)-1 || mq_send(q, text, strlen(text), prio))
		die("mq_send");
}

static void posix_recv(int n, int unused)
{
	mqd_t q = mq_open(posix_name, O_RDONLY);
	char buf[128];
	unsigned int prio;

	(void)unused;
	for (int i = 0; i < n; i++)
		if (q == (mqd_t)-1 || mq_receive(q, buf, sizeof(buf), &prio) < 0)
			die("mq_receive");
}

/*
 * posix: ipct-mqp-lo sends "prio-1" at priority 1, ipct-mqp-hi "prio-5" at
 * 5, each exiting at once; ipct-mqp-r receives both (the 5 first).
 */
static int scenario_posix(void)
{
	struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = 128 };
	mqd_t q;
	pid_t lo, hi, r;

	snprintf(posix_name, sizeof(posix_name), "/ipct-mq-%d", getpid());
	q = mq_open(posix_name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	if (q == (mqd_t)-1)
		die("mq_open");
	set_comm("ipct-mqp-main");
	lo = spawn("ipct-mqp-lo", posix_send, 1, 0);
	wait_child(lo);
	hi = spawn("ipct-mqp-hi", posix_send, 5, 0);
	wait_child(hi);
	r = spawn("ipct-mqp-r", posix_recv, 2, 0);
	wait_child(r);
	mq_close(q);
	mq_unlink(posix_name);
	printf("{\"name\":\"%s\",\"lo\":%d,\"hi\":%d,\"r\":%d}\n", posix_name, lo, hi, r);
	return 0;
}

/*
 * notify: ipct-mqp-n asks to be told (SIGUSR1, mq_notify) when the empty
 * queue gets a message, and waits for the signal; ipct-mqp-s then sends one.
 */
static int scenario_notify(void)
{
	struct mq_attr attr = { .mq_maxmsg = 8, .mq_msgsize = 128 };
	int ready[2];
	mqd_t q;
	pid_t n, sender;
	char c;

	snprintf(posix_name, sizeof(posix_name), "/ipct-mqn-%d", getpid());
	q = mq_open(posix_name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
	if (q == (mqd_t)-1 || pipe(ready))
		die("mq_open/pipe");
	n = fork();
	if (n < 0)
		die("fork");
	if (n == 0) {
		struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
		sigset_t set;
		siginfo_t info;

		set_comm("ipct-mqp-n");
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		if (mq_notify(q, &ev))
			die("mq_notify");
		write_all(ready[1], "r", 1);
		if (sigwaitinfo(&set, &info) != SIGUSR1)
			die("sigwaitinfo");
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		die("read");
	sender = spawn("ipct-mqp-s", posix_send, 3, 0);
	wait_child(sender);
	wait_child(n);
	mq_close(q);
	mq_unlink(posix_name);
	printf("{\"name\":\"%s\",\"notified\":%d,\"sender\":%d}\n", posix_name, n, sender);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "sysv"))
		return scenario_sysv();
	if (argc == 2 && !strcmp(argv[1], "posix"))
		return scenario_posix();
	if (argc == 2 && !strcmp(argv[1], "notify"))
		return scenario_notify();
	fprintf(stderr, "usage: mqgen sysv|posix|notify\n");
	return 2;
}
