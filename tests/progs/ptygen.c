/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ptygen: real processes on pseudo-terminals, for the end-to-end tests.
 *
 *   ptygen SCENARIO
 *
 * Like ipcgen: each process names itself and the scenario prints one JSON
 * line with the pids and the terminal's number.
 */
#include <pty.h>
#include <sys/ioctl.h>
#include <termios.h>
#include "progutil.h"

static int pts_index(int master)
{
	unsigned int n;

	if (ioctl(master, TIOCGPTN, &n))
		die("TIOCGPTN");
	return (int)n;
}

/* Reads from fd until the text in buf contains want. */
static void read_until(int fd, const char *want)
{
	char buf[256];
	size_t used = 0;

	while (used < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + used, sizeof(buf) - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read");
		used += n;
		buf[used] = '\0';
		if (strstr(buf, want))
			return;
	}
	die("read_until");
}

/* A child that makes the slave its controlling terminal, so it has a session and a foreground group. */
static void become_terminal_owner(int slave)
{
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0))
		die("setsid/TIOCSCTTY");
}

/*
 * talk: ipct-ptychild, on the slave, writes "out-from-child\n"; ipct-ptyterm,
 * on the master, reads it and writes "input-line\n"; the child reads that
 * line and exits.
 */
static int scenario_talk(void)
{
	int master, slave;
	pid_t child;
	struct termios raw;

	if (openpty(&master, &slave, NULL, NULL, NULL))
		die("openpty");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		set_comm("ipct-ptychild");
		close(master);
		become_terminal_owner(slave);
		write_all(slave, "out-from-child\n", 15);
		read_until(slave, "input-line");
		_exit(0);
	}
	set_comm("ipct-ptyterm");
	close(slave);
	/* no echo: the terminal side reads only what the child wrote */
	if (!tcgetattr(master, &raw)) {
		raw.c_lflag &= ~(ECHO | ECHONL);
		tcsetattr(master, TCSANOW, &raw);
	}
	read_until(master, "out-from-child");
	write_all(master, "input-line\n", 11);
	wait_child(child);
	printf("{\"term\":%d,\"child\":%d,\"pts\":%d}\n", getpid(), child, pts_index(master));
	return 0;
}

/* brief: ipct-ptybrief writes "brief\n" to the slave and exits at once; ipct-ptyterm reads it later. */
static int scenario_brief(void)
{
	int master, slave;
	pid_t child;

	if (openpty(&master, &slave, NULL, NULL, NULL))
		die("openpty");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		set_comm("ipct-ptybrief");
		write_all(slave, "brief\n", 6);
		_exit(0);
	}
	set_comm("ipct-ptyterm");
	wait_child(child);
	read_until(master, "brief");
	printf("{\"term\":%d,\"child\":%d,\"pts\":%d}\n", getpid(), child, pts_index(master));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "talk"))
		return scenario_talk();
	if (argc == 2 && !strcmp(argv[1], "brief"))
		return scenario_brief();
	fprintf(stderr, "usage: ptygen talk|brief\n");
	return 2;
}
