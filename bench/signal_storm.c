/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Signal workload: the parent sigqueue()s real-time signals to a child,
 * which acknowledges each one with a real-time signal back.
 *
 *   signal_storm [-n SIGNALS] [-w WINDOW]
 *
 * Up to WINDOW signals are in flight at once (real-time signals queue,
 * so none is merged away); WINDOW 1 is a strict ping-pong.  Both sides
 * block the signals and take them with sigwaitinfo(), so the cost measured
 * is generation and queueing, not handler entry.  Each signal carries its
 * sequence number, which the child checks.
 *
 * Prints the wall time per signal in nanoseconds (requests and
 * acknowledgements both count) and nothing else.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

struct config {
	long requests;  /* signals parent -> child; as many come back */
	long window;
};

static void usage(void)
{
	fprintf(stderr, "usage: signal_storm [-n SIGNALS] [-w WINDOW]\n");
	exit(2);
}

static struct config parse_args(int argc, char **argv)
{
	struct config cfg = { .requests = 50000, .window = 16 };
	int opt;

	while ((opt = getopt(argc, argv, "n:w:")) != -1) {
		switch (opt) {
		case 'n': cfg.requests = atol(optarg) / 2; break;
		case 'w': cfg.window = atol(optarg); break;
		default: usage();
		}
	}
	if (cfg.requests < 1 || cfg.window < 1)
		usage();
	return cfg;
}

static int request_signal(void) { return SIGRTMIN; }
static int ack_signal(void) { return SIGRTMIN + 1; }

static void send_value(pid_t to, int sig, long value)
{
	union sigval v = { .sival_ptr = (void *)value };

	/* EAGAIN: the receiver's queue is full (RLIMIT_SIGPENDING); let it drain */
	while (sigqueue(to, sig, v)) {
		if (errno != EAGAIN)
			die("sigqueue");
		sched_yield();
	}
}

static long wait_value(const sigset_t *set)
{
	siginfo_t info;

	while (sigwaitinfo(set, &info) < 0)
		if (errno != EINTR)
			die("sigwaitinfo");
	return (long)info.si_value.sival_ptr;
}

static void run_child(const struct config *cfg, pid_t parent)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, request_signal());
	for (long i = 0; i < cfg->requests; i++) {
		long seq = wait_value(&set);

		if (seq != i) {
			fprintf(stderr, "signal_storm: expected signal %ld, got %ld\n", i, seq);
			_exit(1);
		}
		send_value(parent, ack_signal(), seq);
	}
}

/* Keeps up to window requests unacknowledged. */
static void run_parent(const struct config *cfg, pid_t child)
{
	sigset_t set;
	long sent = 0, acked = 0;

	sigemptyset(&set);
	sigaddset(&set, ack_signal());
	while (acked < cfg->requests) {
		while (sent < cfg->requests && sent - acked < cfg->window)
			send_value(child, request_signal(), sent++);
		wait_value(&set);
		acked++;
	}
}

int main(int argc, char **argv)
{
	struct config cfg = parse_args(argc, argv);
	unsigned long long start, elapsed;
	sigset_t blocked;
	pid_t child, parent = getpid();
	int status;

	/* Blocked before fork, so no signal can arrive before its sigwaitinfo. */
	sigemptyset(&blocked);
	sigaddset(&blocked, request_signal());
	sigaddset(&blocked, ack_signal());
	if (sigprocmask(SIG_BLOCK, &blocked, NULL))
		die("sigprocmask");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		run_child(&cfg, parent);
		_exit(0);
	}
	start = now_ns();
	run_parent(&cfg, child);
	elapsed = now_ns() - start;
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return 1;
	printf("%.1f\n", (double)elapsed / (2.0 * cfg.requests));
	return 0;
}
