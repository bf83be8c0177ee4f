/* SPDX-License-Identifier: GPL-2.0 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include "families/signal_names.h"
#include "format/format.h"
#include "records.h"

static const struct ipcd_tok signal_names[] = {
	{ SIGHUP, "SIGHUP" }, { SIGINT, "SIGINT" }, { SIGQUIT, "SIGQUIT" }, { SIGILL, "SIGILL" },
	{ SIGTRAP, "SIGTRAP" }, { SIGABRT, "SIGABRT" }, { SIGBUS, "SIGBUS" }, { SIGFPE, "SIGFPE" },
	{ SIGKILL, "SIGKILL" }, { SIGUSR1, "SIGUSR1" }, { SIGSEGV, "SIGSEGV" }, { SIGUSR2, "SIGUSR2" },
	{ SIGPIPE, "SIGPIPE" }, { SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" }, { SIGSTKFLT, "SIGSTKFLT" },
	{ SIGCHLD, "SIGCHLD" }, { SIGCONT, "SIGCONT" }, { SIGSTOP, "SIGSTOP" }, { SIGTSTP, "SIGTSTP" },
	{ SIGTTIN, "SIGTTIN" }, { SIGTTOU, "SIGTTOU" }, { SIGURG, "SIGURG" }, { SIGXCPU, "SIGXCPU" },
	{ SIGXFSZ, "SIGXFSZ" }, { SIGVTALRM, "SIGVTALRM" }, { SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" }, { SIGIO, "SIGIO" }, { SIGPWR, "SIGPWR" }, { SIGSYS, "SIGSYS" },
	{ 0, NULL }
};

/*
 * Real-time signals by the names kill -l and glibc give them: glibc keeps
 * the kernel's first two (32 and 33) for itself, so SIGRTMIN is 34.  The
 * lower half counts up from SIGRTMIN, the upper half down from SIGRTMAX,
 * as bash and util-linux print them.
 */
#define USER_SIGRTMIN 34
#define USER_SIGRTMAX 64

static void rt_signal_name(int sig, char *buf, size_t len)
{
	int middle = (USER_SIGRTMIN + USER_SIGRTMAX) / 2;

	if (sig == USER_SIGRTMIN)
		snprintf(buf, len, "SIGRTMIN");
	else if (sig > USER_SIGRTMIN && sig <= middle)
		snprintf(buf, len, "SIGRTMIN+%d", sig - USER_SIGRTMIN);
	else if (sig > middle && sig < USER_SIGRTMAX)
		snprintf(buf, len, "SIGRTMAX-%d", USER_SIGRTMAX - sig);
	else if (sig == USER_SIGRTMAX)
		snprintf(buf, len, "SIGRTMAX");
	else
		snprintf(buf, len, "SIG%d", sig);
}

const char *ipcd_signal_name(int sig, char *buf, size_t len)
{
	const char *name = sig > 0 ? ipcd_tok_name(signal_names, sig, NULL) : NULL;

	if (name)
		return name;
	rt_signal_name(sig, buf, len);
	return buf;
}

/* "RTMIN+2", "SIGRTMAX-1", "rtmin": any offset kill -l would take, in range. */
static bool rt_signal_number(const char *name, int *sig)
{
	const char *rest;
	char *end;
	long off = 0;
	int sign;

	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	if (!strncasecmp(name, "RTMIN", 5))
		sign = 1;
	else if (!strncasecmp(name, "RTMAX", 5))
		sign = -1;
	else
		return false;
	rest = name + 5;
	if (*rest) {
		if (*rest != (sign > 0 ? '+' : '-') || !isdigit((unsigned char)rest[1]))
			return false;
		errno = 0;
		off = strtol(rest + 1, &end, 10);
		if (errno || *end || off > USER_SIGRTMAX - USER_SIGRTMIN)
			return false;
	}
	*sig = sign > 0 ? USER_SIGRTMIN + (int)off : USER_SIGRTMAX - (int)off;
	return true;
}

bool ipcd_signal_number(const char *name, int *sig)
{
	char buf[24];

	if (rt_signal_number(name, sig))
		return true;
	for (int n = 1; n <= USER_SIGRTMAX; n++) {
		const char *known = ipcd_signal_name(n, buf, sizeof(buf));

		if (!strcasecmp(name, known) || !strcasecmp(name, known + 3)) {
			*sig = n;
			return true;
		}
	}
	return false;
}

static const struct ipcd_tok signal_code_names[] = {
	{ 0, "SI_USER" }, { 0x80, "SI_KERNEL" }, { -1, "SI_QUEUE" }, { -2, "SI_TIMER" },
	{ -3, "SI_MESGQ" }, { -4, "SI_ASYNCIO" }, { -5, "SI_SIGIO" }, { -6, "SI_TKILL" },
	{ -7, "SI_DETHREAD" }, { -60, "SI_ASYNCNL" },
	{ 0, NULL }
};

const char *ipcd_signal_code_name(int code)
{
	/* a positive code is the kernel's own (a fault's, a child's), not one of the SI_ senders */
	return ipcd_tok_name(signal_code_names, code, code > 0 ? "kernel" : "unknown");
}

static const struct ipcd_tok signal_result_names[] = {
	{ IPCD_SIG_DELIVERED, "delivered" },
	{ IPCD_SIG_IGNORED, "ignored" },
	{ IPCD_SIG_ALREADY_PENDING, "already_pending" },
	{ IPCD_SIG_OVERFLOW_FAIL, "overflow_fail" },
	{ IPCD_SIG_LOSE_INFO, "lose_info" },
	{ IPCD_SIG_FAILED, "failed" },
	{ 0, NULL }
};

const char *ipcd_signal_result_name(int result)
{
	return ipcd_tok_name(signal_result_names, result, "unknown");
}
