/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message workload over a pipe or a unix socket: one writer process, one
 * reader process.
 *
 *   pipe_ping [-n MESSAGES] [-s BYTES] [-m pingpong|oneway] [-c CHANNEL]
 *   pipe_ping -m oneway -r RATE [-d SECONDS] [-b BATCH] [-s BYTES]
 *
 * CHANNEL: pipe (default), unix-stream or unix-dgram (a socketpair used
 * one way, like a pipe; each message one datagram), tcp or udp (a loopback
 * connection, 127.0.0.1).  Paced runs need an end of file, which datagrams
 * do not give: pipe, unix-stream or tcp.
 *
 * pingpong: the parent writes S bytes, the child reads them and writes S
 * bytes back over a second pipe; latency-bound, two context switches per
 * round trip.  oneway: the parent streams S-byte messages, the child reads
 * them; throughput-bound, the pipe buffer lets the writer run ahead.
 *
 * Prints the wall time per message in nanoseconds (a round trip is two
 * messages) and nothing else, so the harness can read it as a number.
 * Every read asks for exactly one message, so a tracer sees one write and
 * one read per message.
 *
 * Paced (-r, oneway only): the writer sends RATE messages per second for
 * SECONDS (default 3), in batches of BATCH messages (default: enough for
 * at most 10 000 batches a second, so high rates need no finer sleeps than
 * the kernel can give) on a fixed schedule: batch k is due at
 * start + k * BATCH / RATE, waited for with clock_nanosleep(TIMER_ABSTIME),
 * so a late wake-up is made up for by the next batches instead of adding
 * up.  A writer that falls behind does not sleep until it is back on
 * schedule; it stops at SECONDS in any case, however many it has sent, and
 * the reader reads until end of file.  Prints one line instead of the
 * ns/message:
 *
 *   messages N elapsed_ns E rate R target T behind_max_us B
 *
 * R is what was achieved, N / E, from the first write to the reader's
 * acknowledgement that it has read everything; B is how far the writer was
 * ever behind its schedule when it started a batch.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

#define MAX_MESSAGE 65536

enum mode { PINGPONG, ONEWAY };
enum channel { PIPE, UNIX_STREAM, UNIX_DGRAM, TCP, UDP };

struct config {
	long messages;
	size_t size;
	enum mode mode;
	double rate;     /* paced: messages per second, 0 for as fast as it goes */
	double seconds;  /* paced: how long */
	long batch;      /* paced: messages per wake-up, 0 for the default */
	enum channel channel;
};

struct paced_result {
	long sent;
	unsigned long long behind_max_ns;
};

/* A short read only happens if a message was split; keep reading until whole. */
static void usage(void)
{
	fprintf(stderr, "usage: pipe_ping [-n MESSAGES] [-s BYTES (1..%d)] [-m pingpong|oneway]\n"
			"                 [-c pipe|unix-stream|unix-dgram|tcp|udp]\n"
			"       pipe_ping -m oneway -r RATE [-d SECONDS] [-b BATCH] [-s BYTES]\n",
		MAX_MESSAGE);
	exit(2);
}

static struct config parse_args(int argc, char **argv)
{
	struct config cfg = { .messages = 100000, .size = 64, .mode = PINGPONG, .seconds = 3 };
	int opt;

	while ((opt = getopt(argc, argv, "n:s:m:r:d:b:c:")) != -1) {
		switch (opt) {
		case 'n': cfg.messages = atol(optarg); break;
		case 's': cfg.size = (size_t)atol(optarg); break;
		case 'r': cfg.rate = atof(optarg); if (!(cfg.rate > 0)) usage(); break;
		case 'd': cfg.seconds = atof(optarg); if (!(cfg.seconds > 0)) usage(); break;
		case 'b': cfg.batch = atol(optarg); if (cfg.batch < 1) usage(); break;
		case 'c':
			if (!strcmp(optarg, "pipe"))
				cfg.channel = PIPE;
			else if (!strcmp(optarg, "unix-stream"))
				cfg.channel = UNIX_STREAM;
			else if (!strcmp(optarg, "unix-dgram"))
				cfg.channel = UNIX_DGRAM;
			else if (!strcmp(optarg, "tcp"))
				cfg.channel = TCP;
			else if (!strcmp(optarg, "udp"))
				cfg.channel = UDP;
			else
				usage();
			break;
		case 'm':
			if (!strcmp(optarg, "pingpong"))
				cfg.mode = PINGPONG;
			else if (!strcmp(optarg, "oneway"))
				cfg.mode = ONEWAY;
			else
				usage();
			break;
		default: usage();
		}
	}
	if (cfg.messages < 2 || cfg.size < 1 || cfg.size > MAX_MESSAGE)
		usage();
	if (cfg.rate > 0 && (cfg.mode != ONEWAY || cfg.channel == UNIX_DGRAM || cfg.channel == UDP))
		usage();
	if (cfg.rate > 0 && !cfg.batch)
		cfg.batch = (long)(cfg.rate / 10000) + 1;
	return cfg;
}

/* Paced: the number of messages is up to the writer; read them until end of file. */
static void run_paced_reader(const struct config *cfg, int in, int out, char *buf)
{
	for (;;) {
		ssize_t n = read(in, buf, cfg->size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n == 0)
			break;
		if ((size_t)n < cfg->size)
			read_all(in, buf + n, cfg->size - n);
	}
	write_all(out, buf, 1);
}

/* The child: echo each message back (pingpong) or just consume it (oneway). */
static void run_reader(const struct config *cfg, int in, int out, char *buf)
{
	long rounds = cfg->mode == PINGPONG ? cfg->messages / 2 : cfg->messages;

	for (long i = 0; i < rounds; i++) {
		read_all(in, buf, cfg->size);
		if (cfg->mode == PINGPONG)
			write_all(out, buf, cfg->size);
	}
	/* oneway: one byte back says everything was read, so the clock can stop */
	if (cfg->mode == ONEWAY)
		write_all(out, buf, 1);
}

static long run_writer(const struct config *cfg, int out, int in, char *buf)
{
	long rounds = cfg->mode == PINGPONG ? cfg->messages / 2 : cfg->messages;

	for (long i = 0; i < rounds; i++) {
		write_all(out, buf, cfg->size);
		if (cfg->mode == PINGPONG)
			read_all(in, buf, cfg->size);
	}
	if (cfg->mode == ONEWAY)
		read_all(in, buf, 1);
	return cfg->mode == PINGPONG ? rounds * 2 : rounds;
}

/* Batches of cfg->batch messages on a fixed schedule, until rate * seconds are sent or time is up. */
static struct paced_result run_paced_writer(const struct config *cfg, int out, int in, char *buf,
					    unsigned long long start)
{
	struct paced_result res = { 0, 0 };
	long total = (long)(cfg->rate * cfg->seconds + 0.5);
	unsigned long long end = start + (unsigned long long)(cfg->seconds * 1e9);

	if (total < 1)
		total = 1;
	for (long k = 0; res.sent < total; k++) {
		unsigned long long due = start + (unsigned long long)((double)k * cfg->batch / cfg->rate * 1e9);
		unsigned long long now = now_ns();

		if (now < due) {
			struct timespec ts = { (time_t)(due / 1000000000ull), (long)(due % 1000000000ull) };

			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		} else {
			if (now - due > res.behind_max_ns)
				res.behind_max_ns = now - due;
			if (now >= end)
				break;
		}
		for (long i = 0; i < cfg->batch && res.sent < total; i++, res.sent++)
			write_all(out, buf, cfg->size);
	}
	close(out);
	read_all(in, buf, 1);
	return res;
}

static int loopback_socket(int type, struct sockaddr_in *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, type, 0);

	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    getsockname(fd, (struct sockaddr *)addr, &len))
		die("socket/bind");
	return fd;
}

/* A loopback TCP connection or pair of connected UDP sockets: fds[0] reads, fds[1] writes. */
static void make_inet(int type, int fds[2])
{
	struct sockaddr_in a, b;
	int one = 1, srv;

	fds[0] = loopback_socket(type, &a);
	if (type == SOCK_STREAM) {
		if (listen(fds[0], 1))
			die("listen");
		fds[1] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[1] < 0 || connect(fds[1], (struct sockaddr *)&a, sizeof(a)))
			die("connect");
		srv = accept(fds[0], NULL, NULL);
		if (srv < 0)
			die("accept");
		close(fds[0]);
		fds[0] = srv;
		/* small messages go out at once, as on a pipe */
		setsockopt(fds[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fds[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return;
	}
	fds[1] = loopback_socket(SOCK_DGRAM, &b);
	if (connect(fds[1], (struct sockaddr *)&a, sizeof(a)) || connect(fds[0], (struct sockaddr *)&b, sizeof(b)))
		die("connect");
}

/* fds[0] to read, fds[1] to write, as pipe(2) gives them. */
static void make_channel(enum channel channel, int fds[2])
{
	int rc = 0;

	if (channel == PIPE)
		rc = pipe(fds);
	else if (channel == TCP || channel == UDP)
		make_inet(channel == TCP ? SOCK_STREAM : SOCK_DGRAM, fds);
	else
		rc = socketpair(AF_UNIX, channel == UNIX_STREAM ? SOCK_STREAM : SOCK_DGRAM, 0, fds);
	if (rc)
		die("pipe/socketpair");
}

int main(int argc, char **argv)
{
	struct config cfg = parse_args(argc, argv);
	int to_child[2], to_parent[2], status;
	static char buf[MAX_MESSAGE];
	unsigned long long start, elapsed;
	long sent;
	pid_t child;

	/* Printable bytes without NULs, so string-based tracers print all of them. */
	memset(buf, 'p', sizeof(buf));
	make_channel(cfg.channel, to_child);
	make_channel(cfg.channel, to_parent);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		if (cfg.rate > 0)
			run_paced_reader(&cfg, to_child[0], to_parent[1], buf);
		else
			run_reader(&cfg, to_child[0], to_parent[1], buf);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	start = now_ns();
	if (cfg.rate > 0) {
		struct paced_result res = run_paced_writer(&cfg, to_child[1], to_parent[0], buf, start);

		elapsed = now_ns() - start;
		if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			return 1;
		printf("messages %ld elapsed_ns %llu rate %.1f target %.1f behind_max_us %.1f\n",
		       res.sent, elapsed, res.sent / (elapsed / 1e9), cfg.rate, res.behind_max_ns / 1e3);
		return 0;
	}
	sent = run_writer(&cfg, to_child[1], to_parent[0], buf);
	elapsed = now_ns() - start;
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	printf("%.1f\n", (double)elapsed / sent);
	return 0;
}
