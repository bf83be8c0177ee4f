/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unixgen: real processes talking over unix domain sockets, for the
 * end-to-end tests.
 *
 *   unixgen SCENARIO [ARGS...]
 *
 * Like ipcgen: each process names itself (prctl PR_SET_NAME) and the
 * scenario prints one JSON line with the pids, inodes and names involved.
 * Scenarios that need the tracer started half-way print a first line and
 * wait for a line on stdin.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <fcntl.h>
#include "progutil.h"

/* A unix address for "path", or "@name" for an abstract one. */
static socklen_t make_addr(struct sockaddr_un *addr, const char *name)
{
	size_t len = strlen(name);

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	if (len >= sizeof(addr->sun_path))
		len = sizeof(addr->sun_path) - 1;
	memcpy(addr->sun_path, name, len);
	if (name[0] == '@') {
		addr->sun_path[0] = '\0';
		return offsetof(struct sockaddr_un, sun_path) + len;
	}
	return sizeof(*addr);
}

static int socket_of(int type)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static int listening(int type, const char *name)
{
	struct sockaddr_un addr;
	socklen_t len = make_addr(&addr, name);
	int fd = socket_of(type);

	if (name[0] != '@')
		unlink(name);
	if (bind(fd, (struct sockaddr *)&addr, len))
		die("bind");
	if (type != SOCK_DGRAM && listen(fd, 16))
		die("listen");
	return fd;
}

static void connect_to(int fd, const char *name)
{
	struct sockaddr_un addr;
	socklen_t len = make_addr(&addr, name);

	if (connect(fd, (struct sockaddr *)&addr, len))
		die("connect");
}

static int type_of(const char *name)
{
	if (!strcmp(name, "dgram"))
		return SOCK_DGRAM;
	if (!strcmp(name, "seqpacket"))
		return SOCK_SEQPACKET;
	return SOCK_STREAM;
}

/*
 * conn TYPE NAME N: a client child (ipct-uclient) connects to a server
 * (ipct-userver) listening on NAME ("/path", "@abstract", or "pair" for a
 * socketpair), sends N messages "msg-I;" one write each, shuts down and
 * closes its socket and exits at once; the server reads them all.  TYPE:
 * stream or seqpacket.
 */
static int scenario_conn(int argc, char **argv)
{
	int type = type_of(argc > 0 ? argv[0] : "stream");
	const char *name = argc > 1 ? argv[1] : "pair";
	int n = argc > 2 ? atoi(argv[2]) : 3;
	bool pair = !strcmp(name, "pair");
	int lfd = -1, conn = -1, client, sv[2];
	unsigned long client_ino;
	pid_t child;

	set_comm("ipct-userver");
	if (pair) {
		if (socketpair(AF_UNIX, type, 0, sv))
			die("socketpair");
		conn = sv[0];
		client = sv[1];
	} else {
		lfd = listening(type, name);
		client = socket_of(type);
	}
	client_ino = fd_ino(client);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		set_comm("ipct-uclient");
		if (!pair)
			connect_to(client, name);
		for (int i = 0; i < n; i++) {
			char msg[32];

			snprintf(msg, sizeof(msg), "msg-%d;", i);
			write_all(client, msg, strlen(msg));
		}
		shutdown(client, SHUT_WR);
		close(client);
		_exit(0);
	}
	close(client);
	if (!pair) {
		conn = accept(lfd, NULL, NULL);
		if (conn < 0)
			die("accept");
	}
	if (type == SOCK_STREAM) {
		read_until_eof(conn);
	} else {
		char buf[256];

		for (int i = 0; i < n; i++)
			if (recv(conn, buf, sizeof(buf), 0) < 0)
				die("recv");
	}
	wait_child(child);
	printf("{\"server\":%d,\"client\":%d,\"server_ino\":%lu,\"client_ino\":%lu}\n", getpid(), child,
	       fd_ino(conn), client_ino);
	if (!pair && name[0] != '@')
		unlink(name);
	return 0;
}

/*
 * dgram NAME N: N sender children (ipct-uds-I), one after another, each
 * sendto()s "dgram-from-I" to a socket bound at NAME and exits at once;
 * the receiver (ipct-udrecv) then receives all N.
 */
static int scenario_dgram(int argc, char **argv)
{
	const char *name = argc > 0 ? argv[0] : "@ipct-dgram";
	int n = argc > 1 ? atoi(argv[1]) : 3;
	struct sockaddr_un addr;
	socklen_t len;
	int rfd;
	pid_t senders[32];
	char buf[256];

	if (n < 1 || n > 32)
		n = 3;
	set_comm("ipct-udrecv");
	rfd = listening(SOCK_DGRAM, name);
	len = make_addr(&addr, name);
	for (int i = 0; i < n; i++) {
		senders[i] = fork();
		if (senders[i] < 0)
			die("fork");
		if (senders[i] == 0) {
			char comm[16], msg[32];
			int s = socket_of(SOCK_DGRAM);

			snprintf(comm, sizeof(comm), "ipct-uds-%d", i);
			set_comm(comm);
			snprintf(msg, sizeof(msg), "dgram-from-%d", i);
			if (sendto(s, msg, strlen(msg), 0, (struct sockaddr *)&addr, len) < 0)
				die("sendto");
			_exit(0);
		}
		wait_child(senders[i]);
	}
	for (int i = 0; i < n; i++)
		if (recv(rfd, buf, sizeof(buf), 0) < 0)
			die("recv");
	printf("{\"receiver\":%d,\"ino\":%lu,\"senders\":[", getpid(), fd_ino(rfd));
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", senders[i]);
	printf("]}\n");
	if (name[0] != '@')
		unlink(name);
	return 0;
}

/*
 * inherit: ipct-uparent makes a socketpair and forks ipct-uheir, which
 * sends "from-the-heir" (writev, two iovecs) on the parent's end of it; the
 * parent receives it with readv.
 * The sender is the heir, whatever SO_PEERCRED of that end says.
 */
static int scenario_inherit(void)
{
	int sv[2];
	pid_t heir;
	char buf[64];

	set_comm("ipct-uparent");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	heir = fork();
	if (heir < 0)
		die("fork");
	if (heir == 0) {
		struct iovec iov[2] = { { "from-", 5 }, { "the-heir", 8 } };

		set_comm("ipct-uheir");
		if (writev(sv[0], iov, 2) != 13)
			die("writev");
		_exit(0);
	}
	wait_child(heir);
	{
		struct iovec iov[2] = { { buf, 4 }, { buf + 4, sizeof(buf) - 4 } };

		if (readv(sv[1], iov, 2) != 13)
			die("readv");
	}
	printf("{\"parent\":%d,\"heir\":%d}\n", getpid(), heir);
	return 0;
}

static void send_fds(int sock, const int *fds, int nfds, const char *data)
{
	char control[CMSG_SPACE(8 * sizeof(int))];
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = CMSG_SPACE(nfds * sizeof(int)) };
	struct cmsghdr *cm;

	memset(control, 0, sizeof(control));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	if (sendmsg(sock, &msg, 0) < 0)
		die("sendmsg");
}

static int recv_fd(int sock)
{
	char control[CMSG_SPACE(8 * sizeof(int))], data[64];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(sock, &msg, 0) < 0)
		die("recvmsg");
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		die("no SCM_RIGHTS");
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));  /* the first: the pipe's write end */
	return fd;
}

/*
 * passfd FILE: ipct-upass-a passes ipct-upass-b a pipe's write end, FILE
 * opened read-only, a memfd named "ipct-memfd" and a socket, over a
 * socketpair; b writes "via-passed-fd" into the pipe it got and a reads it.
 */
static int scenario_passfd(int argc, char **argv)
{
	const char *file = argc > 0 ? argv[0] : "/etc/hostname";
	int sv[2], p[2], fds[4], other[2];
	pid_t b;
	char buf[64];

	set_comm("ipct-upass-a");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p))
		die("socketpair/pipe");
	fds[0] = p[1];
	fds[1] = open(file, O_RDONLY);
	fds[2] = memfd_create("ipct-memfd", 0);
	if (fds[1] < 0 || fds[2] < 0 || socketpair(AF_UNIX, SOCK_DGRAM, 0, other))
		die("open/memfd_create/socketpair");
	fds[3] = other[0];
	b = fork();
	if (b < 0)
		die("fork");
	if (b == 0) {
		int wfd;

		set_comm("ipct-upass-b");
		close(p[1]);
		wfd = recv_fd(sv[1]);
		write_all(wfd, "via-passed-fd", 13);
		_exit(0);
	}
	send_fds(sv[0], fds, 4, "fds");
	close(p[1]);
	if (read(p[0], buf, sizeof(buf)) != 13)
		die("read");
	wait_child(b);
	printf("{\"a\":%d,\"b\":%d,\"pipe_ino\":%lu,\"file_ino\":%lu,\"memfd_ino\":%lu,\"sock_ino\":%lu}\n",
	       getpid(), b, fd_ino(p[0]), fd_ino(fds[1]), fd_ino(fds[2]), fd_ino(fds[3]));
	return 0;
}

/* creds: a socketpair message with SCM_CREDENTIALS (our pid, uid, gid). */
static int scenario_creds(void)
{
	int sv[2], on = 1;
	char control[CMSG_SPACE(sizeof(struct ucred))], buf[64];
	struct ucred cred = { getpid(), getuid(), getgid() };
	struct iovec iov = { "with-creds", 10 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;

	set_comm("ipct-ucreds");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("socketpair");
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
	memset(control, 0, sizeof(control));
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
	if (sendmsg(sv[0], &msg, 0) < 0)
		die("sendmsg");
	if (recv(sv[1], buf, sizeof(buf), 0) != 10)
		die("recv");
	printf("{\"pid\":%d,\"uid\":%d,\"gid\":%d}\n", getpid(), getuid(), getgid());
	return 0;
}

/*
 * mmsg [ROUNDS]: ipct-ummsg-s sends three datagrams in one sendmmsg over a
 * socketpair, each of two iovecs, ROUNDS times (default 1); ipct-ummsg-r
 * takes each three in one recvmmsg.  A second round is a second call of
 * the same task, whose messages are counted from the first again.
 */
static int scenario_mmsg(int argc, char **argv)
{
	int rounds = argc > 0 ? atoi(argv[0]) : 1;
	int sv[2];
	pid_t sender;
	struct iovec iov[3][2] = {
		{ { "one-", 4 }, { "a", 1 } }, { { "two-", 4 }, { "bb", 2 } }, { { "three-", 6 }, { "ccc", 3 } },
	};
	struct mmsghdr msgs[3];
	char bufs[3][32];
	struct iovec riov[3];

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("socketpair");
	sender = fork();
	if (sender < 0)
		die("fork");
	if (sender == 0) {
		set_comm("ipct-ummsg-s");
		for (int r = 0; r < rounds; r++) {
			memset(msgs, 0, sizeof(msgs));
			for (int i = 0; i < 3; i++) {
				msgs[i].msg_hdr.msg_iov = iov[i];
				msgs[i].msg_hdr.msg_iovlen = 2;
			}
			if (sendmmsg(sv[0], msgs, 3, 0) != 3)
				die("sendmmsg");
		}
		_exit(0);
	}
	set_comm("ipct-ummsg-r");
	wait_child(sender);
	for (int r = 0; r < rounds; r++) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < 3; i++) {
			riov[i].iov_base = bufs[i];
			riov[i].iov_len = sizeof(bufs[i]);
			msgs[i].msg_hdr.msg_iov = &riov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
		if (recvmmsg(sv[1], msgs, 3, 0, NULL) != 3)
			die("recvmmsg");
	}
	printf("{\"sender\":%d,\"receiver\":%d}\n", sender, getpid());
	return 0;
}

/*
 * queued: ipct-uq-w writes "queued-before;" into a socketpair, says so
 * ({"ready":...}) and waits for a line on stdin (the tracer starts in
 * between); then it writes "after;" and ipct-uq-r reads everything.
 */
static int scenario_queued(void)
{
	int sv[2];
	pid_t reader;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	set_comm("ipct-uq-w");
	write_all(sv[0], "queued-before;", 14);
	printf("{\"ready\":%d}\n", getpid());
	wait_for_go();
	write_all(sv[0], "after;", 6);
	close(sv[0]);
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		set_comm("ipct-uq-r");
		read_until_eof(sv[1]);
		_exit(0);
	}
	wait_child(reader);
	printf("{\"writer\":%d,\"reader\":%d}\n", getpid(), reader);
	return 0;
}

/*
 * spliceout: ipct-usp-w sends "spliced-away;" over a socketpair and
 * ipct-usp-r splices it out of the socket into a pipe (no read of the
 * socket); then the writer sends "seen;" and the reader reads it.
 */
static int scenario_spliceout(void)
{
	int sv[2], p[2];
	pid_t reader;
	char buf[64];
	int go[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(p) || pipe(go))
		die("socketpair/pipe");
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		set_comm("ipct-usp-r");
		if (splice(sv[1], NULL, p[1], NULL, 13, 0) != 13)
			die("splice");
		write_all(go[1], "k", 1);
		if (read(sv[1], buf, sizeof(buf)) != 5)
			die("read");
		_exit(0);
	}
	set_comm("ipct-usp-w");
	write_all(sv[0], "spliced-away;", 13);
	if (read(go[0], buf, 1) != 1)
		die("read");
	write_all(sv[0], "seen;", 5);
	wait_child(reader);
	printf("{\"writer\":%d,\"reader\":%d}\n", getpid(), reader);
	return 0;
}

/*
 * race N: ipct-urace-a and ipct-urace-b send N 32-byte messages each at the
 * same time on one end of a stream socketpair they both hold ('A'-filled
 * and 'B'-filled); ipct-urace-r reads the other end to its end.
 */
static int scenario_race(int argc, char **argv)
{
	int n = argc > 0 ? atoi(argv[0]) : 300;
	int sv[2];
	pid_t w[2], reader;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	for (int k = 0; k < 2; k++) {
		w[k] = fork();
		if (w[k] < 0)
			die("fork");
		if (w[k] == 0) {
			char msg[32];

			set_comm(k ? "ipct-urace-b" : "ipct-urace-a");
			close(sv[1]);
			memset(msg, k ? 'B' : 'A', sizeof(msg));
			for (int i = 0; i < n; i++)
				write_all(sv[0], msg, sizeof(msg));
			_exit(0);
		}
	}
	close(sv[0]);
	set_comm("ipct-urace-r");
	reader = getpid();
	read_until_eof(sv[1]);
	wait_child(w[0]);
	wait_child(w[1]);
	printf("{\"a\":%d,\"b\":%d,\"reader\":%d}\n", w[0], w[1], reader);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: unixgen conn|dgram|inherit|passfd|creds|mmsg|queued|spliceout|race [ARGS...]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *name;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage();
	name = argv[1];
	argc -= 2;
	argv += 2;
	if (!strcmp(name, "conn")) return scenario_conn(argc, argv);
	if (!strcmp(name, "dgram")) return scenario_dgram(argc, argv);
	if (!strcmp(name, "inherit")) return scenario_inherit();
	if (!strcmp(name, "passfd")) return scenario_passfd(argc, argv);
	if (!strcmp(name, "creds")) return scenario_creds();
	if (!strcmp(name, "mmsg")) return scenario_mmsg(argc, argv);
	if (!strcmp(name, "queued")) return scenario_queued();
	if (!strcmp(name, "spliceout")) return scenario_spliceout();
	if (!strcmp(name, "race")) return scenario_race(argc, argv);
	return usage();
}
