/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcgen: real processes doing real IPC, for the end-to-end tests.
 *
 *   ipcgen [--gate] SCENARIO [ARGS...]
 *
 * Each scenario names its processes (prctl PR_SET_NAME) so that tests can
 * check comms, and prints one JSON line on stdout with the pids, inodes and
 * paths involved.  With --gate it first prints {"pid":N} and waits for a
 * line on stdin, so a test can start the tracer (filtered on that pid) in
 * between.  Scenarios that hold state across the tracer's start (data
 * written before it, a reader blocked before it) wait on stdin themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "progutil.h"

static void make_pipe(int fds[2])
{
	if (pipe(fds))
		die("pipe");
}

/* A child that reads fd to the end under the name comm, then exits. */
static pid_t spawn_reader(const char *comm, int rfd, int close_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		set_comm(comm);
		if (close_fd >= 0)
			close(close_fd);
		read_until_eof(rfd);
		_exit(0);
	}
	return pid;
}

/* pipe PAYLOAD: ipct-writer writes it once, ipct-reader reads to EOF. */
static int scenario_pipe(int argc, char **argv)
{
	const char *payload = argc > 0 ? argv[0] : "hello, pipe!\n";
	int fds[2];
	unsigned long ino;
	pid_t reader;

	make_pipe(fds);
	ino = fd_ino(fds[0]);
	reader = spawn_reader("ipct-reader", fds[0], fds[1]);
	close(fds[0]);
	set_comm("ipct-writer");
	write_all(fds[1], payload, strlen(payload));
	close(fds[1]);
	wait_child(reader);
	printf("{\"writer\":%d,\"reader\":%d,\"ino\":%lu}\n", getpid(), reader, ino);
	return 0;
}

/*
 * short PAYLOAD: a writer that writes and exits at once, then a reader
 * that reads and exits at once; each lives well under a millisecond.
 */
static int scenario_short(int argc, char **argv)
{
	const char *payload = argc > 0 ? argv[0] : "brief";
	int fds[2];
	pid_t writer, reader;

	make_pipe(fds);
	writer = fork();
	if (writer < 0)
		die("fork");
	if (writer == 0) {
		set_comm("ipct-short-w");
		write_all(fds[1], payload, strlen(payload));
		_exit(0);
	}
	wait_child(writer);
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		char buf[256];

		set_comm("ipct-short-r");
		if (read(fds[0], buf, sizeof(buf)) < 0)
			_exit(1);
		_exit(0);
	}
	wait_child(reader);
	printf("{\"writer\":%d,\"reader\":%d,\"ino\":%lu}\n", writer, reader, fd_ino(fds[0]));
	return 0;
}

/*
 * multi N: N writers, one after another, each writes "msg-from-writer-I;",
 * then one reader takes all of it in a single read.
 */
static int scenario_multi(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 3;
	int fds[2];
	pid_t writers[64], reader;
	char msg[64];
	int status;

	if (n < 1 || n > 64)
		n = 3;
	make_pipe(fds);
	for (int i = 0; i < n; i++) {
		writers[i] = fork();
		if (writers[i] < 0)
			die("fork");
		if (writers[i] == 0) {
			char comm[16];

			snprintf(comm, sizeof(comm), "ipct-w%d", i);
			set_comm(comm);
			snprintf(msg, sizeof(msg), "msg-from-writer-%d;", i);
			write_all(fds[1], msg, strlen(msg));
			_exit(0);
		}
		wait_child(writers[i]);
	}
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		char buf[4096];
		ssize_t got;

		set_comm("ipct-reader");
		got = read(fds[0], buf, sizeof(buf));
		_exit(got > 0 ? 0 : 1);
	}
	waitpid(reader, &status, 0);
	printf("{\"reader\":%d,\"ino\":%lu,\"writers\":[", reader, fd_ino(fds[0]));
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", writers[i]);
	printf("]}\n");
	return 0;
}

/*
 * race N: two writers write N numbered messages each at the same time while
 * one reader drains the pipe; writer A writes 'A'-filled messages, B 'B'.
 */
static int scenario_race(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 200;
	int fds[2];
	pid_t w[2], reader;

	make_pipe(fds);
	reader = spawn_reader("ipct-reader", fds[0], fds[1]);
	for (int k = 0; k < 2; k++) {
		w[k] = fork();
		if (w[k] < 0)
			die("fork");
		if (w[k] == 0) {
			char msg[32];

			set_comm(k ? "ipct-race-b" : "ipct-race-a");
			memset(msg, k ? 'B' : 'A', sizeof(msg));
			for (int i = 0; i < n; i++)
				write_all(fds[1], msg, sizeof(msg));
			_exit(0);
		}
	}
	close(fds[0]);
	close(fds[1]);
	wait_child(w[0]);
	wait_child(w[1]);
	wait_child(reader);
	printf("{\"a\":%d,\"b\":%d,\"reader\":%d}\n", w[0], w[1], reader);
	return 0;
}

/* A reader of 32-byte messages that keeps what it read in a file, in order. */
static pid_t spawn_recording_reader(const char *comm, int rfd, int wfd, const char *path)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		char msg[32];
		int out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ssize_t n;

		set_comm(comm);
		close(wfd);
		if (out < 0)
			_exit(1);
		while ((n = read(rfd, msg, sizeof(msg))) > 0)
			write_all(out, msg, n);
		_exit(n < 0);
	}
	return pid;
}

/*
 * readrace N DIR: ipct-rr-w writes N distinct 32-byte messages while two
 * readers, ipct-rr-a and ipct-rr-b, take them 32 bytes at a time at the
 * same time, each keeping what it got in DIR/<its pid>.
 */
static int scenario_readrace(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 300;
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	char path_a[512], path_b[512], msg[32];
	int fds[2];
	pid_t a, b;

	unsigned long ino;

	make_pipe(fds);
	ino = fd_ino(fds[0]);
	snprintf(path_a, sizeof(path_a), "%s/a", dir);
	snprintf(path_b, sizeof(path_b), "%s/b", dir);
	a = spawn_recording_reader("ipct-rr-a", fds[0], fds[1], path_a);
	b = spawn_recording_reader("ipct-rr-b", fds[0], fds[1], path_b);
	close(fds[0]);
	set_comm("ipct-rr-w");
	for (int i = 0; i < n; i++) {
		/* "message 000042 " then a letter to the end: 32 bytes, no NUL */
		memset(msg, 'a' + i % 26, sizeof(msg));
		memcpy(msg, "message ", 8);
		for (int d = 13, v = i; d >= 8; d--, v /= 10)
			msg[d] = '0' + v % 10;
		msg[14] = ' ';
		write_all(fds[1], msg, sizeof(msg));
	}
	close(fds[1]);
	wait_child(a);
	wait_child(b);
	printf("{\"writer\":%d,\"a\":%d,\"b\":%d,\"ino\":%lu}\n", getpid(), a, b, ino);
	return 0;
}

/* fifo PATH PAYLOAD: ipct-fifo-w writes through a named pipe to ipct-fifo-r. */
static int scenario_fifo(int argc, char **argv)
{
	const char *path = argc > 0 ? argv[0] : "/tmp/ipct-fifo";
	const char *payload = argc > 1 ? argv[1] : "through the fifo";
	struct stat st;
	pid_t reader;
	int fd;

	unlink(path);
	if (mkfifo(path, 0600))
		die("mkfifo");
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		set_comm("ipct-fifo-r");
		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(1);
		read_until_eof(fd);
		_exit(0);
	}
	set_comm("ipct-fifo-w");
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("open fifo");
	write_all(fd, payload, strlen(payload));
	close(fd);
	wait_child(reader);
	stat(path, &st);
	unlink(path);
	printf("{\"writer\":%d,\"reader\":%d,\"ino\":%lu}\n", getpid(), reader, (unsigned long)st.st_ino);
	return 0;
}

/* writev: three iovecs "abc" "defg" "hi" in; readv into two iovecs out. */
static int scenario_writev(void)
{
	struct iovec out[3] = { { "abc", 3 }, { "defg", 4 }, { "hi", 2 } };
	int fds[2];
	pid_t reader;

	make_pipe(fds);
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		char a[4], b[16];
		struct iovec in[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

		set_comm("ipct-readv");
		close(fds[1]);
		while (readv(fds[0], in, 2) > 0)
			;
		_exit(0);
	}
	close(fds[0]);
	set_comm("ipct-writev");
	if (writev(fds[1], out, 3) != 9)
		die("writev");
	close(fds[1]);
	wait_child(reader);
	printf("{\"writer\":%d,\"reader\":%d}\n", getpid(), reader);
	return 0;
}

/*
 * splice|tee|vmsplice|sendfile PAYLOAD: the payload goes into pipe A (by
 * write, or by vmsplice), is moved or copied into pipe B by ipct-mover with
 * the named call, and ipct-sink reads B.  With tee, A is drained afterwards
 * by ipct-drain, since tee leaves it in A.
 */
static int scenario_move(const char *how, int argc, char **argv)
{
	const char *payload = argc > 0 ? argv[0] : "moved without copying";
	size_t len = strlen(payload);
	int a[2], b[2];
	pid_t sink, mover, drain = 0;
	struct iovec iov = { (void *)payload, len };
	char path[] = "/tmp/ipct-sendfile-XXXXXX";
	int file = -1;

	unsigned long ino_a, ino_b;

	make_pipe(a);
	make_pipe(b);
	ino_a = fd_ino(a[0]);
	ino_b = fd_ino(b[0]);
	set_comm("ipct-source");
	if (!strcmp(how, "vmsplice")) {
		if (vmsplice(a[1], &iov, 1, 0) != (ssize_t)len)
			die("vmsplice");
	} else if (!strcmp(how, "sendfile")) {
		file = mkstemp(path);
		if (file < 0)
			die("mkstemp");
		write_all(file, payload, len);
		unlink(path);
	} else {
		write_all(a[1], payload, len);
	}
	sink = spawn_reader("ipct-sink", b[0], b[1]);
	mover = fork();
	if (mover < 0)
		die("fork");
	if (mover == 0) {
		ssize_t n;
		off_t off = 0;

		set_comm("ipct-mover");
		if (!strcmp(how, "tee"))
			n = tee(a[0], b[1], len, 0);
		else if (!strcmp(how, "sendfile"))
			n = sendfile(b[1], file, &off, len);
		else
			n = splice(a[0], NULL, b[1], NULL, len, 0);
		_exit(n == (ssize_t)len ? 0 : 1);
	}
	wait_child(mover);
	close(b[1]);
	close(b[0]);
	wait_child(sink);
	if (!strcmp(how, "tee")) {
		drain = spawn_reader("ipct-drain", a[0], a[1]);
		close(a[1]);
		wait_child(drain);
	}
	printf("{\"source\":%d,\"mover\":%d,\"sink\":%d,\"drain\":%d,\"ino_a\":%lu,\"ino_b\":%lu}\n",
	       getpid(), mover, sink, drain, ino_a, ino_b);
	return 0;
}

/*
 * preexisting PAYLOAD: writes it into a pipe, prints the report, and after
 * the go-ahead a new child ipct-late-r reads it: bytes whose writer came
 * before the tracer did.
 */
static int scenario_preexisting(int argc, char **argv)
{
	const char *payload = argc > 0 ? argv[0] : "written before";
	int fds[2];
	pid_t reader;

	make_pipe(fds);
	write_all(fds[1], payload, strlen(payload));
	printf("{\"writer\":%d,\"ino\":%lu}\n", getpid(), fd_ino(fds[0]));
	wait_for_go();
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		char buf[256];

		set_comm("ipct-late-r");
		_exit(read(fds[0], buf, sizeof(buf)) > 0 ? 0 : 1);
	}
	wait_child(reader);
	printf("{\"reader\":%d}\n", reader);
	return 0;
}

/*
 * blocked PAYLOAD: ipct-blocked blocks in read() on an empty pipe; after
 * the go-ahead ipct-late-w writes: the read began before the tracer.
 */
static int scenario_blocked(int argc, char **argv)
{
	const char *payload = argc > 0 ? argv[0] : "wake up";
	int fds[2];
	pid_t reader;

	make_pipe(fds);
	reader = spawn_reader("ipct-blocked", fds[0], fds[1]);
	close(fds[0]);
	printf("{\"writer\":%d,\"reader\":%d,\"ino\":%lu}\n", getpid(), reader, fd_ino(fds[1]));
	wait_for_go();
	set_comm("ipct-late-w");
	write_all(fds[1], payload, strlen(payload));
	close(fds[1]);
	wait_child(reader);
	return 0;
}

/* unread PAYLOAD: ipct-lonely writes into a pipe nobody reads, and waits. */
static int scenario_unread(int argc, char **argv)
{
	const char *payload = argc > 0 ? argv[0] : "nobody reads this";
	int fds[2];

	set_comm("ipct-lonely");
	make_pipe(fds);
	write_all(fds[1], payload, strlen(payload));
	printf("{\"writer\":%d,\"ino\":%lu}\n", getpid(), fd_ino(fds[0]));
	wait_for_go();
	return 0;
}

/*
 * flood COUNT SIZE: writes COUNT messages of SIZE bytes through a pipe as
 * fast as it can, to overflow a small ring buffer.
 */
static int scenario_flood(int argc, char **argv)
{
	int count = argc > 0 ? atoi(argv[0]) : 2000;
	size_t size = argc > 1 ? (size_t)atoi(argv[1]) : 4096;
	char *msg = calloc(1, size);
	int fds[2];
	pid_t reader;

	if (!msg)
		die("calloc");
	make_pipe(fds);
	reader = spawn_reader("ipct-reader", fds[0], fds[1]);
	close(fds[0]);
	set_comm("ipct-flood");
	for (int i = 0; i < count; i++)
		write_all(fds[1], msg, size);
	close(fds[1]);
	wait_child(reader);
	free(msg);
	printf("{\"writer\":%d,\"reader\":%d}\n", getpid(), reader);
	return 0;
}

/*
 * signals: ipct-sigrecv blocks SIGUSR1, SIGUSR2 and SIGRTMIN+2, waits until
 * all are sent (so each is generated while blocked: sigwaitinfo would
 * unblock them while it waits) and takes them with sigwaitinfo; ipct-sigsend sends SIGUSR1 with kill() and
 * SIGRTMIN+2 with sigqueue() and the value 4242; ipct-sigshort, a child
 * that exits right after, sends SIGUSR2.
 */
static int scenario_signals(void)
{
	int rt = SIGRTMIN + 2;
	sigset_t set;
	pid_t recv, shorty;
	int ready[2], sent[2];
	char c;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, rt);
	sigprocmask(SIG_BLOCK, &set, NULL);
	make_pipe(ready);
	make_pipe(sent);
	recv = fork();
	if (recv < 0)
		die("fork");
	if (recv == 0) {
		set_comm("ipct-sigrecv");
		if (write(ready[1], "r", 1) != 1 || read(sent[0], &c, 1) != 1)
			_exit(1);
		for (int got = 0; got < 3;)
			if (sigwaitinfo(&set, NULL) > 0)
				got++;
		_exit(0);
	}
	if (read(ready[0], &c, 1) != 1)
		die("read");
	set_comm("ipct-sigsend");
	kill(recv, SIGUSR1);
	sigqueue(recv, rt, (union sigval){ .sival_int = 4242 });
	shorty = fork();
	if (shorty < 0)
		die("fork");
	if (shorty == 0) {
		set_comm("ipct-sigshort");
		kill(recv, SIGUSR2);
		_exit(0);
	}
	wait_child(shorty);
	write_all(sent[1], "s", 1);
	wait_child(recv);
	printf("{\"sender\":%d,\"receiver\":%d,\"short\":%d,\"rt\":%d}\n", getpid(), recv, shorty, rt);
	return 0;
}

/*
 * pingpong ROUNDS: ipct-ping and ipct-pong bounce a 64-byte message over two
 * pipes ROUNDS times, 200 us apart, so a tracer can start in the middle.
 */
static int scenario_pingpong(int argc, char **argv)
{
	int rounds = argc > 0 ? atoi(argv[0]) : 5000;
	int there[2], back[2];
	char msg[64];
	pid_t pong;

	make_pipe(there);
	make_pipe(back);
	memset(msg, 'p', sizeof(msg));
	printf("{\"ping\":%d,\"there\":%lu,\"back\":%lu}\n", getpid(), fd_ino(there[0]), fd_ino(back[0]));
	pong = fork();
	if (pong < 0)
		die("fork");
	if (pong == 0) {
		set_comm("ipct-pong");
		for (int i = 0; i < rounds; i++) {
			if (read(there[0], msg, sizeof(msg)) != sizeof(msg))
				_exit(1);
			write_all(back[1], msg, sizeof(msg));
		}
		_exit(0);
	}
	set_comm("ipct-ping");
	for (int i = 0; i < rounds; i++) {
		write_all(there[1], msg, sizeof(msg));
		if (read(back[0], msg, sizeof(msg)) != sizeof(msg))
			die("read");
		usleep(200);
	}
	wait_child(pong);
	printf("{\"pong\":%d}\n", pong);
	return 0;
}

/*
 * failkill: ipct-failkill sends SIGUSR1 to a child that has already been
 * reaped (ESRCH), and, as user nobody, to its root parent (EPERM).
 */
static int scenario_failkill(void)
{
	pid_t gone, sender;
	pid_t parent = getpid();

	signal(SIGUSR1, SIG_IGN);  /* in case the second send went through after all */
	gone = fork();
	if (gone < 0)
		die("fork");
	if (gone == 0)
		_exit(0);
	wait_child(gone);
	sender = fork();
	if (sender < 0)
		die("fork");
	if (sender == 0) {
		set_comm("ipct-failkill");
		if (kill(gone, SIGUSR1) == 0 || errno != ESRCH)
			_exit(1);
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (kill(parent, SIGUSR1) == 0 || errno != EPERM)
			_exit(3);
		_exit(0);
	}
	wait_child(sender);
	printf("{\"parent\":%d,\"gone\":%d,\"sender\":%d}\n", parent, gone, sender);
	return 0;
}

/* child: a child ipct-child that exits at once, so its parent gets SIGCHLD. */
static int scenario_child(void)
{
	pid_t child;

	set_comm("ipct-parent");
	signal(SIGCHLD, SIG_DFL);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		set_comm("ipct-child");
		_exit(0);
	}
	wait_child(child);
	printf("{\"parent\":%d,\"child\":%d}\n", getpid(), child);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: ipcgen [--gate] pipe|short|multi|race|fifo|writev|splice|tee|vmsplice|"
			"sendfile|preexisting|blocked|unread|flood|signals|child|pingpong|failkill|readrace [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *name;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--gate")) {
		printf("{\"pid\":%d}\n", getpid());
		wait_for_go();
		argv++;
		argc--;
	}
	if (argc < 2)
		return usage();
	name = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(name, "pipe")) return scenario_pipe(argc, argv);
	if (!strcmp(name, "short")) return scenario_short(argc, argv);
	if (!strcmp(name, "multi")) return scenario_multi(argc, argv);
	if (!strcmp(name, "race")) return scenario_race(argc, argv);
	if (!strcmp(name, "fifo")) return scenario_fifo(argc, argv);
	if (!strcmp(name, "writev")) return scenario_writev();
	if (!strcmp(name, "splice") || !strcmp(name, "tee") || !strcmp(name, "vmsplice") ||
	    !strcmp(name, "sendfile"))
		return scenario_move(name, argc, argv);
	if (!strcmp(name, "preexisting")) return scenario_preexisting(argc, argv);
	if (!strcmp(name, "blocked")) return scenario_blocked(argc, argv);
	if (!strcmp(name, "unread")) return scenario_unread(argc, argv);
	if (!strcmp(name, "flood")) return scenario_flood(argc, argv);
	if (!strcmp(name, "signals")) return scenario_signals();
	if (!strcmp(name, "child")) return scenario_child();
	if (!strcmp(name, "pingpong")) return scenario_pingpong(argc, argv);
	if (!strcmp(name, "failkill")) return scenario_failkill();
	if (!strcmp(name, "readrace")) return scenario_readrace(argc, argv);
	return usage();
}
