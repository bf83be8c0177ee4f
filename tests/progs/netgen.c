/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netgen: real processes talking over loopback TCP and UDP, for the
 * end-to-end tests.
 *
 *   netgen SCENARIO [ARGS...]
 *
 * Like ipcgen: each process names itself (prctl PR_SET_NAME) and the
 * scenario prints one JSON line with the pids and ports involved.  FAMILY
 * is 4 (127.0.0.1), 6 (::1), or one of this host's own addresses.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include "progutil.h"

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* "4" (127.0.0.1), "6" (::1), or an address of this host such as "192.0.2.2". */
static const char *host = "4";

static int family_of(const char *h)
{
	return strchr(h, ':') || !strcmp(h, "6") ? 6 : 4;
}

static struct addr loopback(int family, unsigned short port)
{
	struct addr a;
	bool literal = strlen(host) > 1;

	memset(&a, 0, sizeof(a));
	if (family == 6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		if (literal && inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			die("inet_pton");
		in6->sin6_port = htons(port);
		a.len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&a.ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (literal && inet_pton(AF_INET, host, &in->sin_addr) != 1)
			die("inet_pton");
		in->sin_port = htons(port);
		a.len = sizeof(*in);
	}
	return a;
}

static unsigned short port_of(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&ss, &len))
		die("getsockname");
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A socket bound to the loopback address on a port the kernel picks. */
static int bound(int family, int type)
{
	struct addr a = loopback(family, 0);
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, type, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a.ss, a.len))
		die("socket/bind");
	return fd;
}

static int connected(int family, int type, unsigned short port)
{
	struct addr a = loopback(family, port);
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, type, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&a.ss, a.len))
		die("socket/connect");
	return fd;
}

/*
 * tcp FAMILY N: a server (ipct-tsrv) that forks a handler (ipct-thandler)
 * per connection; N short-lived clients (ipct-tcli-I), one after another,
 * each connects, sends "request-I", reads the 8-byte reply "reply-I;" (I
 * one digit) and exits.  Clients print nothing; the server reports.
 */
static int scenario_tcp(int argc, char **argv)
{
	int family = family_of(argc > 0 ? argv[0] : "4");
	int n = argc > 1 ? atoi(argv[1]) : 2;
	int lfd, parent_closed[2];
	unsigned short port;
	pid_t clients[10], handlers[10];
	unsigned short cports[10];

	if (n < 1 || n > 10)
		n = 2;
	set_comm("ipct-tsrv");
	lfd = bound(family, SOCK_STREAM);
	if (listen(lfd, 16))
		die("listen");
	port = port_of(lfd, false);
	for (int i = 0; i < n; i++) {
		int conn;

		clients[i] = fork();
		if (clients[i] < 0)
			die("fork");
		if (clients[i] == 0) {
			char comm[16], msg[16], reply[8];
			int fd;

			snprintf(comm, sizeof(comm), "ipct-tcli-%d", i);
			set_comm(comm);
			fd = connected(family, SOCK_STREAM, port);
			snprintf(msg, sizeof(msg), "request-%d", i);
			write_all(fd, msg, strlen(msg));
			read_exactly(fd, reply, sizeof(reply));
			close(fd);
			_exit(0);
		}
		conn = accept(lfd, NULL, NULL);
		if (conn < 0 || pipe(parent_closed))
			die("accept/pipe");
		cports[i] = port_of(conn, true);
		handlers[i] = fork();
		if (handlers[i] < 0)
			die("fork");
		if (handlers[i] == 0) {
			char buf[16], reply[9], done;

			set_comm("ipct-thandler");
			close(parent_closed[1]);
			read_exactly(conn, buf, 9);
			snprintf(reply, sizeof(reply), "reply-%d;", i);
			write_all(conn, reply, 8);
			/* the socket closes at its last close: make that the handler's */
			read_exactly(parent_closed[0], &done, 1);
			close(conn);
			_exit(0);
		}
		close(conn);
		write_all(parent_closed[1], "c", 1);
		close(parent_closed[0]);
		close(parent_closed[1]);
		wait_child(clients[i]);
		wait_child(handlers[i]);
	}
	printf("{\"server\":%d,\"port\":%u,\"clients\":[", getpid(), port);
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", clients[i]);
	printf("],\"handlers\":[");
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", handlers[i]);
	printf("],\"client_ports\":[");
	for (int i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", cports[i]);
	printf("]}\n");
	return 0;
}

/*
 * udp FAMILY: a receiver (ipct-udprecv) on the loopback address; a sender
 * (ipct-udpto) sendto()s "by-sendto", then exits; a second (ipct-udpconn)
 * connect()s and send()s "by-connect", and gets "answer" back by send()
 * from the receiver, which recvfrom()s both.
 */
static int scenario_udp(int argc, char **argv)
{
	int family = family_of(argc > 0 ? argv[0] : "4");
	int rfd;
	unsigned short port, conn_port = 0;
	pid_t to, conn;
	int ready[2];
	char buf[64];
	struct sockaddr_storage from;
	socklen_t fromlen;

	set_comm("ipct-udprecv");
	rfd = bound(family, SOCK_DGRAM);
	port = port_of(rfd, false);
	if (pipe(ready))
		die("pipe");
	to = fork();
	if (to < 0)
		die("fork");
	if (to == 0) {
		struct addr a = loopback(family, port);
		int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);

		set_comm("ipct-udpto");
		if (fd < 0 || sendto(fd, "by-sendto", 9, 0, (struct sockaddr *)&a.ss, a.len) != 9)
			die("sendto");
		_exit(0);
	}
	wait_child(to);
	if (recvfrom(rfd, buf, sizeof(buf), 0, NULL, NULL) != 9)
		die("recvfrom");
	conn = fork();
	if (conn < 0)
		die("fork");
	if (conn == 0) {
		int fd;

		set_comm("ipct-udpconn");
		fd = connected(family, SOCK_DGRAM, port);
		if (send(fd, "by-connect", 10, 0) != 10)
			die("send");
		if (recv(fd, buf, sizeof(buf), 0) != 6)
			die("recv");
		_exit(0);
	}
	fromlen = sizeof(from);
	if (recvfrom(rfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fromlen) != 10)
		die("recvfrom");
	conn_port = ntohs(from.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&from)->sin6_port
						      : ((struct sockaddr_in *)&from)->sin_port);
	if (sendto(rfd, "answer", 6, 0, (struct sockaddr *)&from, fromlen) != 6)
		die("sendto");
	wait_child(conn);
	printf("{\"receiver\":%d,\"port\":%u,\"sendto\":%d,\"connected\":%d,\"connected_port\":%u}\n", getpid(),
	       port, to, conn, conn_port);
	return 0;
}

/*
 * sendfile FAMILY FILE: ipct-tsendf sends FILE over a TCP connection with
 * sendfile(2); ipct-trecvf reads it to the end.
 */
static int scenario_sendfile(int argc, char **argv)
{
	int family = family_of(argc > 0 ? argv[0] : "4");
	const char *path = argc > 1 ? argv[1] : "/etc/services";
	int lfd, conn, file;
	unsigned short port;
	struct stat st;
	pid_t sender;
	char buf[65536];
	size_t total = 0;
	ssize_t got;

	set_comm("ipct-trecvf");
	lfd = bound(family, SOCK_STREAM);
	if (listen(lfd, 1))
		die("listen");
	port = port_of(lfd, false);
	file = open(path, O_RDONLY);
	if (file < 0 || fstat(file, &st))
		die("open");
	sender = fork();
	if (sender < 0)
		die("fork");
	if (sender == 0) {
		int fd;
		off_t off = 0;

		set_comm("ipct-tsendf");
		fd = connected(family, SOCK_STREAM, port);
		while (off < st.st_size)
			if (sendfile(fd, file, &off, st.st_size - off) <= 0)
				die("sendfile");
		close(fd);
		_exit(0);
	}
	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept");
	while ((got = read(conn, buf, sizeof(buf))) > 0)
		total += got;
	wait_child(sender);
	printf("{\"receiver\":%d,\"sender\":%d,\"port\":%u,\"size\":%ld,\"read\":%zu}\n", getpid(), sender, port,
	       (long)st.st_size, total);
	return 0;
}

/*
 * established FAMILY: ipct-tearly connects to ipct-tlate's server and sends
 * "before;", says {"ready":...} and waits for a line on stdin (the tracer
 * starts in between); then it sends "after;" and the server reads both.
 */
static int scenario_established(int argc, char **argv)
{
	int family = family_of(argc > 0 ? argv[0] : "4");
	int lfd, cfd, conn;
	unsigned short port;
	pid_t reader;
	char buf[64];

	set_comm("ipct-tearly");
	lfd = bound(family, SOCK_STREAM);
	if (listen(lfd, 1))
		die("listen");
	port = port_of(lfd, false);
	cfd = connected(family, SOCK_STREAM, port);
	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept");
	write_all(cfd, "before;", 7);
	printf("{\"ready\":%d}\n", getpid());
	wait_for_go();
	write_all(cfd, "after;", 6);
	reader = fork();
	if (reader < 0)
		die("fork");
	if (reader == 0) {
		set_comm("ipct-tlate");
		read_exactly(conn, buf, 13);
		_exit(0);
	}
	wait_child(reader);
	printf("{\"writer\":%d,\"reader\":%d,\"port\":%u,\"writer_port\":%u}\n", getpid(), reader, port,
	       port_of(cfd, false));
	return 0;
}

/*
 * splice FAMILY: ipct-tsend writes "spliced-out-of-tcp;" to a connection;
 * ipct-tsplice splices it out of the socket into a pipe and reads the pipe.
 */
static int scenario_splice(int argc, char **argv)
{
	int family = family_of(argc > 0 ? argv[0] : "4");
	int lfd, conn, p[2];
	unsigned short port;
	pid_t sender;
	char buf[64];

	set_comm("ipct-tsplice");
	lfd = bound(family, SOCK_STREAM);
	if (listen(lfd, 1) || pipe(p))
		die("listen/pipe");
	port = port_of(lfd, false);
	sender = fork();
	if (sender < 0)
		die("fork");
	if (sender == 0) {
		int fd;

		set_comm("ipct-tsend");
		fd = connected(family, SOCK_STREAM, port);
		write_all(fd, "spliced-out-of-tcp;", 19);
		close(fd);
		_exit(0);
	}
	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept");
	if (splice(conn, NULL, p[1], NULL, 19, 0) != 19)
		die("splice");
	read_exactly(p[0], buf, 19);
	wait_child(sender);
	printf("{\"sender\":%d,\"receiver\":%d,\"port\":%u}\n", sender, getpid(), port);
	return 0;
}

/*
 * A non-blocking connect as hiredis makes it: connect() (EINPROGRESS),
 * poll for POLLOUT, connect() again (0 or EISCONN).  Returns the socket;
 * *first and *second get the two results (0 or an errno).
 */
static int connect_nonblocking(int family, unsigned short port, int *first, int *second)
{
	struct addr a = loopback(family, port);
	int fd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (fd < 0)
		die("socket");
	*first = connect(fd, (struct sockaddr *)&a.ss, a.len) ? errno : 0;
	if (*first && *first != EINPROGRESS)
		die("connect");
	if (poll(&pfd, 1, 10000) != 1)
		die("poll");
	*second = connect(fd, (struct sockaddr *)&a.ss, a.len) ? errno : 0;
	return fd;
}

/* A loopback port nobody listens on: bound, then closed. */
static unsigned short closed_port(int family)
{
	int fd = bound(family, SOCK_STREAM);
	unsigned short port = port_of(fd, false);

	close(fd);
	return port;
}

/*
 * nonblock FAMILY: ipct-tnbcli connects without blocking to a port where
 * nobody listens (refused), then to ipct-tnbsrv, sends "hello",
 * shutdown(SHUT_WR)s, reads the reply to its end and close()s.  The
 * server reads to the end, replies "bye" and closes.
 */
static int scenario_nonblock(int argc, char **argv)
{
	int family = family_of(argc > 0 ? argv[0] : "4");
	unsigned short port, refused = closed_port(family);
	int lfd, conn, r1 = 0, r2 = 0, f1 = 0, f2 = 0;
	pid_t client;
	char buf[64];

	set_comm("ipct-tnbsrv");
	lfd = bound(family, SOCK_STREAM);
	if (listen(lfd, 4))
		die("listen");
	port = port_of(lfd, false);
	client = fork();
	if (client < 0)
		die("fork");
	if (client == 0) {
		int fd, flags;
		unsigned short cport;

		set_comm("ipct-tnbcli");
		close(connect_nonblocking(family, refused, &f1, &f2));
		fd = connect_nonblocking(family, port, &r1, &r2);
		cport = port_of(fd, false);
		flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK))
			die("fcntl");
		write_all(fd, "hello", 5);
		if (shutdown(fd, SHUT_WR))
			die("shutdown");
		read_exactly(fd, buf, 3);
		if (read(fd, buf, sizeof(buf)) != 0)
			die("read to the end");
		close(fd);
		printf("{\"client\":%d,\"client_port\":%u,\"first\":%d,\"second\":%d,\"refused_port\":%u,"
		       "\"refused_first\":%d,\"refused_second\":%d}\n",
		       getpid(), cport, r1, r2, refused, f1, f2);
		_exit(0);
	}
	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept");
	read_exactly(conn, buf, 5);
	if (read(conn, buf, sizeof(buf)) != 0)
		die("read to the end");
	write_all(conn, "bye", 3);
	close(conn);
	wait_child(client);
	printf("{\"server\":%d,\"port\":%u}\n", getpid(), port);
	return 0;
}

/*
 * prelisten FAMILY: ipct-tplisten listens and forks ipct-tpaccept, which
 * accepts one connection; it says {"ready":...} and waits for a line on
 * stdin (the tracer starts in between).  Then ipct-tpcli connects twice:
 * the first connection is accepted by the child, which reads "hi" from it;
 * the second is never accepted.
 */
static int scenario_prelisten(int argc, char **argv)
{
	int family = family_of(argc > 0 ? argv[0] : "4");
	int lfd, ready[2];
	unsigned short port;
	pid_t acceptor, client;
	char buf[8];

	set_comm("ipct-tplisten");
	lfd = bound(family, SOCK_STREAM);
	if (listen(lfd, 4) || pipe(ready))
		die("listen/pipe");
	port = port_of(lfd, false);
	acceptor = fork();
	if (acceptor < 0)
		die("fork");
	if (acceptor == 0) {
		int conn;

		set_comm("ipct-tpaccept");
		conn = accept(lfd, NULL, NULL);
		if (conn < 0)
			die("accept");
		read_exactly(conn, buf, 2);
		_exit(0);
	}
	printf("{\"ready\":%d}\n", getpid());
	wait_for_go();
	client = fork();
	if (client < 0)
		die("fork");
	if (client == 0) {
		int first, second;

		set_comm("ipct-tpcli");
		first = connected(family, SOCK_STREAM, port);
		write_all(first, "hi", 2);
		second = connected(family, SOCK_STREAM, port);
		printf("{\"client\":%d,\"first_port\":%u,\"second_port\":%u}\n", getpid(), port_of(first, false),
		       port_of(second, false));
		_exit(0);
	}
	wait_child(client);
	wait_child(acceptor);
	printf("{\"listener\":%d,\"acceptor\":%d,\"port\":%u}\n", getpid(), acceptor, port);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: netgen tcp|udp|sendfile|established|splice|nonblock|prelisten FAMILY [ARGS...]\n");
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
	if (argc > 0)
		host = argv[0];
	if (!strcmp(name, "tcp")) return scenario_tcp(argc, argv);
	if (!strcmp(name, "udp")) return scenario_udp(argc, argv);
	if (!strcmp(name, "sendfile")) return scenario_sendfile(argc, argv);
	if (!strcmp(name, "established")) return scenario_established(argc, argv);
	if (!strcmp(name, "splice")) return scenario_splice(argc, argv);
	if (!strcmp(name, "nonblock")) return scenario_nonblock(argc, argv);
	if (!strcmp(name, "prelisten")) return scenario_prelisten(argc, argv);
	return usage();
}
