// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli/launch.h"

/* Who the command runs as; change is false when it stays ourselves. */
struct identity {
	bool change;
	uid_t uid;
	gid_t gid;
	char name[256];   /* for the supplementary groups; "" if the user has no entry */
};

static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out < (1ul << 31);
}

static void from_passwd(struct identity *id, const struct passwd *pw)
{
	id->change = true;
	id->uid = pw->pw_uid;
	id->gid = pw->pw_gid;
	snprintf(id->name, sizeof(id->name), "%s", pw->pw_name);
}

/* -u USER (a name, or a number), or sudo's invoking user, or nobody else. */
static int resolve_identity(struct identity *id, const char *user, char *err, size_t errlen)
{
	const struct passwd *pw;
	unsigned long n, g;

	memset(id, 0, sizeof(*id));
	if (user) {
		pw = getpwnam(user);
		if (!pw && parse_id(user, &n))
			pw = getpwuid((uid_t)n);
		if (!pw) {
			snprintf(err, errlen, "unknown user '%s'", user);
			return -1;
		}
		from_passwd(id, pw);
		return 0;
	}
	/* sudo ipcdump -- make: make runs as whoever typed it, as strace -u would have it */
	if (getuid() != 0 || !parse_id(getenv("SUDO_UID"), &n))
		return 0;
	pw = getpwuid((uid_t)n);
	if (pw)
		from_passwd(id, pw);
	id->change = true;
	id->uid = (uid_t)n;
	if (parse_id(getenv("SUDO_GID"), &g))
		id->gid = (gid_t)g;
	else if (!pw)
		id->gid = (gid_t)n;
	return 0;
}

static int become(const struct identity *id)
{
	if (!id->change)
		return 0;
	if (id->name[0] ? initgroups(id->name, id->gid) : setgroups(0, NULL))
		return -1;
	if (setgid(id->gid) || setuid(id->uid))
		return -1;
	return 0;
}

/* The child: its user, the signals as a fresh process has them, stop, then exec. */
static void child_main(char **argv, const struct identity *id)
{
	static const int reset[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD };

	for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		signal(reset[i], SIG_DFL);
	if (become(id)) {
		fprintf(stderr, "ipcdump: cannot run %s as uid %u: %s\n", argv[0], (unsigned)id->uid, strerror(errno));
		_exit(127);
	}
	raise(SIGSTOP);
	execvp(argv[0], argv);
	fprintf(stderr, "ipcdump: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int launch_stopped(struct launched *l, char **argv, const char *user, char *err, size_t errlen)
{
	struct identity id;
	int status;

	memset(l, 0, sizeof(*l));
	if (resolve_identity(&id, user, err, errlen))
		return -1;
	fflush(NULL);  /* or the child's exit would write our buffers twice */
	l->pid = fork();
	if (l->pid < 0) {
		snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (l->pid == 0)
		child_main(argv, &id);
	while (waitpid(l->pid, &status, WUNTRACED) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(errno));
			return -1;
		}
	if (!WIFSTOPPED(status)) {
		/* it said why on stderr */
		l->exited = true;
		l->status = status;
		snprintf(err, errlen, "%s did not start", argv[0]);
		return -1;
	}
	return 0;
}

void launch_release(const struct launched *l)
{
	kill(l->pid, SIGCONT);
}

void launch_forward(const struct launched *l, int sig)
{
	if (!l->exited)
		kill(l->pid, sig);
}

bool launch_done(struct launched *l)
{
	int status;

	if (!l->exited && waitpid(l->pid, &status, WNOHANG) == l->pid && !WIFSTOPPED(status)) {
		l->exited = true;
		l->status = status;
	}
	return l->exited;
}

void launch_wait(struct launched *l)
{
	int status;

	while (!l->exited) {
		if (waitpid(l->pid, &status, 0) == l->pid) {
			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				l->exited = true;
				l->status = status;
			}
		} else if (errno != EINTR) {
			l->exited = true;
			l->status = 0;
		}
	}
}

int launch_exit_code(const struct launched *l)
{
	if (WIFEXITED(l->status))
		return WEXITSTATUS(l->status);
	if (WIFSIGNALED(l->status))
		return 128 + WTERMSIG(l->status);
	return 1;
}

int follow_open(struct followed *f, const uint32_t *pids, size_t count, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->fds = calloc(count ? count : 1, sizeof(*f->fds));
	if (!f->fds) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (; f->count < count; f->count++) {
		int fd = (int)syscall(SYS_pidfd_open, (pid_t)pids[f->count], 0);

		if (fd < 0) {
			snprintf(err, errlen, "cannot follow pid %u: %s", pids[f->count],
				 errno == ESRCH ? "no such process" : strerror(errno));
			follow_close(f);
			return -1;
		}
		f->fds[f->count] = fd;
	}
	return 0;
}

/* A pidfd polls readable once its process has exited. */
bool follow_all_exited(const struct followed *f)
{
	for (size_t i = 0; i < f->count; i++) {
		struct pollfd p = { .fd = f->fds[i], .events = POLLIN };

		if (poll(&p, 1, 0) <= 0)
			return false;
	}
	return f->count > 0;
}

void follow_close(struct followed *f)
{
	for (size_t i = 0; i < f->count; i++)
		close(f->fds[i]);
	free(f->fds);
	memset(f, 0, sizeof(*f));
}
