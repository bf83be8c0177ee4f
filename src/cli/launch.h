/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The processes a traced tree starts from: a command ipcdump runs
 * (ipcdump -- CMD) or processes already running (--follow PID).
 *
 * A command is started stopped: it is forked, becomes its user, and stops
 * itself before exec, so tracing is attached before its first instruction;
 * launch_release lets it go on into exec.
 */
#ifndef IPCD_LAUNCH_H
#define IPCD_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct launched {
	pid_t pid;
	int status;      /* as waitpid gives it, once exited */
	bool exited;
};

/*
 * Starts argv stopped, as user (a name or a number), or under sudo as the
 * invoking user (SUDO_UID, SUDO_GID), or else as ourselves.  Returns 0, or
 * -1 with a one-line reason in err.
 */
int launch_stopped(struct launched *l, char **argv, const char *user, char *err, size_t errlen);
void launch_release(const struct launched *l);
/* Forwards a signal (SIGINT, SIGTERM, SIGHUP) to the command. */
void launch_forward(const struct launched *l, int sig);
/* True once the command has exited (reaped, status kept). */
bool launch_done(struct launched *l);
/* Waits for the command to exit. */
void launch_wait(struct launched *l);
/* The shell's view of its status: the exit code, or 128 + the signal that ended it. */
int launch_exit_code(const struct launched *l);

/* Processes followed by pid (--follow): one pidfd each, to know when they are all gone. */
struct followed {
	size_t count;
	int *fds;
};

/* Returns 0, or -1 with a one-line reason in err (a pid that does not exist). */
int follow_open(struct followed *f, const uint32_t *pids, size_t count, char *err, size_t errlen);
bool follow_all_exited(const struct followed *f);
void follow_close(struct followed *f);

#endif /* IPCD_LAUNCH_H */
