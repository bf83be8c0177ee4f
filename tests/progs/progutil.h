/* SPDX-License-Identifier: GPL-2.0 */
/* What the test programs share: dying loudly, naming themselves, waiting. */
#ifndef IPCD_PROGUTIL_H
#define IPCD_PROGUTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
	exit(1);
}

static inline void set_comm(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

static inline unsigned long fd_ino(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	return st.st_ino;
}

static inline void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write");
		p += n;
		len -= n;
	}
}

static inline void wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
}

/* Waits for a line on stdin: the test's go-ahead. */
static inline void wait_for_go(void)
{
	char line[16];

	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(1);
}

/* Reads fd to its end; returns how many bytes. */
static inline size_t read_until_eof(int fd)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		total += n;
	}
	return total;
}

/* Reads exactly len bytes, or dies. */
static inline void read_exactly(int fd, char *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("read");
		buf += n;
		len -= n;
	}
}

#endif /* IPCD_PROGUTIL_H */
