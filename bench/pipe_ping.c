/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pipe workload: one writer process, one reader process.
 *
 *   pipe_ping [-n MESSAGES] [-s BYTES] [-m pingpong|oneway]
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
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE 65536

enum mode { PINGPONG, ONEWAY };

struct config {
	long messages;
	size_t size;
	enum mode mode;
};

static void die(const char *what)
{
	fprintf(stderr, "pipe_ping: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		buf += n;
		len -= n;
	}
}

/* A short read only happens if a message was split; keep reading until whole. */
static void read_all(int fd, char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read");
		buf += n;
		len -= n;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: pipe_ping [-n MESSAGES] [-s BYTES (1..%d)] [-m pingpong|oneway]\n",
		MAX_MESSAGE);
	exit(2);
}

static struct config parse_args(int argc, char **argv)
{
	struct config cfg = { .messages = 100000, .size = 64, .mode = PINGPONG };
	int opt;

	while ((opt = getopt(argc, argv, "n:s:m:")) != -1) {
		switch (opt) {
		case 'n': cfg.messages = atol(optarg); break;
		case 's': cfg.size = (size_t)atol(optarg); break;
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
	return cfg;
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
	if (pipe(to_child) || pipe(to_parent))
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		run_reader(&cfg, to_child[0], to_parent[1], buf);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	start = now_ns();
	sent = run_writer(&cfg, to_child[1], to_parent[0], buf);
	elapsed = now_ns() - start;
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	printf("%.1f\n", (double)elapsed / sent);
	return 0;
}
