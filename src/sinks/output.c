/* SPDX-License-Identifier: GPL-2.0 */
#include <ctype.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "util/hexdump.h"
#include "sinks/output.h"
#include "util/put_num.h"

#define NSEC_PER_SEC 1000000000ll

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void ipcd_output_init(struct ipcd_output *o, FILE *out, enum ipcd_format format, bool dump_bytes)
{
	int64_t mono1 = clock_ns(CLOCK_MONOTONIC);
	int64_t real = clock_ns(CLOCK_REALTIME);
	int64_t mono2 = clock_ns(CLOCK_MONOTONIC);

	o->out = out;
	o->format = format;
	o->dump_bytes = dump_bytes;
	o->mono_to_real_ns = real - (mono1 + (mono2 - mono1) / 2);
	o->tm_sec = INT64_MIN;
	o->csv_header_done = false;
	o->time_mode = IPCD_TIME_CLOCK;
	o->ascii = o->numeric = o->printed_any = false;
	o->first_ns = o->prev_ns = 0;
	jw_init(&o->jw, out);
}

void ipcd_output_style(struct ipcd_output *o, const struct ipcd_options *opts)
{
	o->time_mode = opts->time_mode;
	o->ascii = opts->ascii;
	o->numeric = opts->numeric;
}

/* ---- names ---------------------------------------------------------- */

static const char *const signal_names[] = {
	[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
	[SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
	[SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM", [SIGSTKFLT] = "SIGSTKFLT",
	[SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",
	[SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
};

/*
 * Real-time signals by the names kill -l and glibc give them: glibc keeps
 * the kernel's first two (32 and 33) for itself, so SIGRTMIN is 34.  The
 * lower half counts up from SIGRTMIN, the upper half down from SIGRTMAX,
 * as bash and util-linux print them.
 */
#define USER_SIGRTMIN 34
#define USER_SIGRTMAX 64

const char *ipcd_signal_name(int sig, char *buf, size_t len)
{
	int middle = (USER_SIGRTMIN + USER_SIGRTMAX) / 2;

	if (sig > 0 && sig < (int)(sizeof(signal_names) / sizeof(signal_names[0])) && signal_names[sig])
		return signal_names[sig];
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

const char *ipcd_signal_code_name(int code)
{
	switch (code) {
	case 0: return "SI_USER";
	case 0x80: return "SI_KERNEL";
	case -1: return "SI_QUEUE";
	case -2: return "SI_TIMER";
	case -3: return "SI_MESGQ";
	case -4: return "SI_ASYNCIO";
	case -5: return "SI_SIGIO";
	case -6: return "SI_TKILL";
	case -7: return "SI_DETHREAD";
	case -60: return "SI_ASYNCNL";
	default: return code > 0 ? "kernel" : "unknown";
	}
}

const char *ipcd_signal_result_name(int result)
{
	switch (result) {
	case IPCD_SIG_DELIVERED: return "delivered";
	case IPCD_SIG_IGNORED: return "ignored";
	case IPCD_SIG_ALREADY_PENDING: return "already_pending";
	case IPCD_SIG_OVERFLOW_FAIL: return "overflow_fail";
	case IPCD_SIG_LOSE_INFO: return "lose_info";
	case IPCD_SIG_FAILED: return "failed";
	default: return "unknown";
	}
}

const char *ipcd_pipe_call_name(int call)
{
	static const char *const names[] = {
		[IPCD_CALL_READ] = "read", [IPCD_CALL_WRITE] = "write",
		[IPCD_CALL_READV] = "readv", [IPCD_CALL_WRITEV] = "writev",
		[IPCD_CALL_SPLICE] = "splice", [IPCD_CALL_TEE] = "tee",
		[IPCD_CALL_VMSPLICE] = "vmsplice", [IPCD_CALL_SENDFILE] = "sendfile",
		[IPCD_CALL_SENDTO] = "sendto", [IPCD_CALL_SENDMSG] = "sendmsg",
		[IPCD_CALL_SENDMMSG] = "sendmmsg", [IPCD_CALL_RECVFROM] = "recvfrom",
		[IPCD_CALL_RECVMSG] = "recvmsg", [IPCD_CALL_RECVMMSG] = "recvmmsg",
	};

	if (call > 0 && call < (int)(sizeof(names) / sizeof(names[0])) && names[call])
		return names[call];
	return NULL;
}

/* "ESRCH" for -ESRCH: the name, as strace prints it, not the sentence. */
static const char *error_name(int32_t error)
{
	const char *name = strerrorname_np(error < 0 ? -error : error);

	return name ? name : "unknown";
}

static const struct {
	uint32_t flag;
	const char *name;
} flag_names[] = {
	{ IPCD_F_ORDER_UNCERTAIN, "order_uncertain" },
	{ IPCD_F_PAYLOAD_TRUNCATED, "truncated" },
	{ IPCD_F_PAYLOAD_UNAVAILABLE, "payload_unavailable" },
	{ IPCD_F_STARTED_BEFORE, "started_before" },
	{ IPCD_F_BLOCKED, "blocked" },
	{ IPCD_F_FIFO, "fifo" },
	{ IPCD_EF_UNREAD, "unread" },
	{ IPCD_EF_WRITER_UNKNOWN, "writer_unknown" },
	{ IPCD_EF_READER_UNKNOWN, "reader_unknown" },
	{ IPCD_F_MSG_TRUNCATED, "msg_truncated" },
};

const char *ipcd_fd_kind_name(int kind)
{
	switch (kind) {
	case IPCD_FD_FILE: return "file";
	case IPCD_FD_PIPE: return "pipe";
	case IPCD_FD_FIFO: return "fifo";
	case IPCD_FD_SOCKET: return "socket";
	case IPCD_FD_MEMFD: return "memfd";
	case IPCD_FD_ANON: return "anon_inode";
	case IPCD_FD_OTHER: return "other";
	default: return "unknown";
	}
}

const char *ipcd_conn_event_name(int event)
{
	switch (event) {
	case IPCD_CONN_CONNECT: return "connect";
	case IPCD_CONN_ACCEPT: return "accept";
	case IPCD_CONN_SHUTDOWN: return "shutdown";
	case IPCD_CONN_CLOSE: return "close";
	default: return "unknown";
	}
}

static const char *sock_type_name(int type)
{
	switch (type) {
	case IPCD_SOCK_STREAM: return "stream";
	case IPCD_SOCK_DGRAM: return "dgram";
	case IPCD_SOCK_SEQPACKET: return "seqpacket";
	default: return "unknown";
	}
}

const char *ipcd_inet_conn_event_name(int event)
{
	switch (event) {
	case IPCD_INET_CONNECT: return "connect";
	case IPCD_INET_ACCEPT: return "accept";
	case IPCD_INET_CLOSE: return "close";
	case IPCD_INET_SHUTDOWN: return "shutdown";
	default: return "unknown";
	}
}

/* getservbyport reads /etc/services each time: each port is looked up once. */
static const char *port_service(uint16_t port, uint8_t proto)
{
	static char **cache[2];
	static const char none[] = "";
	int p = proto == IPCD_PROTO_UDP;
	struct servent *se;

	if (!port)
		return NULL;
	if (!cache[p] && !(cache[p] = calloc(65536, sizeof(char *))))
		return NULL;
	if (!cache[p][port]) {
		se = getservbyport(htons(port), p ? "udp" : "tcp");
		cache[p][port] = se ? strdup(se->s_name) : (char *)none;
		if (!cache[p][port])
			cache[p][port] = (char *)none;
	}
	return cache[p][port][0] ? cache[p][port] : NULL;
}

/* The service of a connection: its destination port's, else its source port's. */
const char *ipcd_inet_service(const struct ipcd_event *e)
{
	const char *name = port_service(e->inet.dport, e->inet_proto);

	return name ? name : port_service(e->inet.sport, e->inet_proto);
}

static bool addr_is_v4(const uint8_t *a)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, prefix, sizeof(prefix));
}

/* The name a unix event's channel goes by: the receiver's, else the sender's. */
static const char *unix_channel_name(const struct ipcd_event *e)
{
	if (e->dst_name)
		return e->dst_name;
	if (e->src_name)
		return e->src_name;
	return e->dest_addr;
}

/* ---- wall clock ----------------------------------------------------- */

static void wall_time(struct ipcd_output *o, uint64_t mono_ns, struct tm *tm, long *nsec)
{
	int64_t real;
	time_t sec;

	/* a damaged capture's offset can be anything: the clock stays within 1970 .. 2262 */
	if (__builtin_add_overflow((int64_t)mono_ns, o->mono_to_real_ns, &real))
		real = o->mono_to_real_ns < 0 ? 0 : INT64_MAX;
	if (real < 0)
		real = 0;
	sec = real / NSEC_PER_SEC;

	*nsec = real % NSEC_PER_SEC;
	if (sec != o->tm_sec) {
		localtime_r(&sec, &o->tm);
		o->tm_sec = sec;
	}
	*tm = o->tm;
}

/* ---- text ----------------------------------------------------------- */

/* The text path writes with the _unlocked stdio calls (see put_num.h). */
static void put_str(FILE *out, const char *s)
{
	fputs_unlocked(s, out);
}

/* Zero-padded to width digits, for the clock. */
static void put_padded(FILE *out, uint64_t v, int width)
{
	char buf[24];

	for (int i = width - 1; i >= 0; i--, v /= 10)
		buf[i] = (char)('0' + v % 10);
	fwrite_unlocked(buf, 1, (size_t)width, out);
}

/* comms and paths may hold anything: keep one event on one line */
static bool text_needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '\\';
}

/* s, up to its NUL or max bytes, control bytes and backslashes as \xNN; plain runs in one write. */
static void text_escaped(FILE *out, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	while (max && *p) {
		size_t run = 0;

		while (run < max && p[run] && !text_needs_escape(p[run]))
			run++;
		if (run) {
			fwrite_unlocked(p, 1, run, out);
			p += run;
			max -= run;
			continue;
		}
		char esc[4] = { '\\', 'x', hex[*p >> 4], hex[*p & 0xf] };

		fwrite_unlocked(esc, 1, sizeof(esc), out);
		p++;
		max--;
	}
}

static void text_endpoint(FILE *out, const struct ipcd_endpoint *ep)
{
	if (ep->pid < 0) {
		put_str(out, "<unknown>(<unknown>)");
		return;
	}
	put_i64(out, ep->pid);
	fputc_unlocked('(', out);
	if (ep->comm[0])
		text_escaped(out, ep->comm, sizeof(ep->comm));
	else
		put_str(out, "<unknown>");
	fputc_unlocked(')', out);
}

struct text_kv {
	FILE *out;
	bool first;
};

static void text_key(struct text_kv *kv, const char *key)
{
	put_str(kv->out, kv->first ? ": " : ", ");
	kv->first = false;
	put_str(kv->out, key);
	fputc_unlocked(' ', kv->out);
}

static void text_kv_str(struct text_kv *kv, const char *key, const char *value)
{
	text_key(kv, key);
	text_escaped(kv->out, value, SIZE_MAX);
}

static void text_kv_u64(struct text_kv *kv, const char *key, uint64_t value)
{
	text_key(kv, key);
	put_u64(kv->out, value);
}

static void text_kv_i64(struct text_kv *kv, const char *key, int64_t value)
{
	text_key(kv, key);
	put_i64(kv->out, value);
}

static void text_flags(struct text_kv *kv, uint32_t flags)
{
	bool any = false;

	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++) {
		if (!(flags & flag_names[i].flag) || flag_names[i].flag == IPCD_F_FIFO)
			continue;
		if (!any)
			text_key(kv, "flags");
		else
			fputc_unlocked('|', kv->out);
		put_str(kv->out, flag_names[i].name);
		any = true;
	}
}

static void text_pipe(struct text_kv *kv, const struct ipcd_event *e)
{
	text_kv_u64(kv, "pipe_inode", e->ino);
	if (e->path)
		text_kv_str(kv, "pipe_name", e->path);
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_flags(kv, e->flags);
}

static void text_signal(struct text_kv *kv, const struct ipcd_event *e)
{
	char buf[24];

	text_kv_i64(kv, "num", e->sig);
	text_kv_str(kv, "name", ipcd_signal_name(e->sig, buf, sizeof(buf)));
	text_kv_str(kv, "code", ipcd_signal_code_name(e->code));
	if (e->sig_flags & IPCD_SIGF_HAS_VALUE)
		text_kv_u64(kv, "value", e->value);
	text_kv_str(kv, "result", ipcd_signal_result_name(e->result));
	if (e->result == IPCD_SIG_FAILED)
		text_kv_str(kv, "error", error_name(e->error));
	if (e->sig_flags & IPCD_SIGF_BLOCKED)
		text_kv_str(kv, "blocked", "yes");
	if (e->sig_flags & IPCD_SIGF_KERNEL)
		text_kv_str(kv, "origin", "kernel");
}

/* " (/etc/passwd pipe:[123])": what each passed descriptor refers to */
static void text_passed_fds(struct text_kv *kv, const struct ipcd_sock_extra *x)
{
	text_kv_u64(kv, "fds", x->nfds);
	if (!x->ndesc)
		return;
	put_str(kv->out, " (");
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		if (i)
			fputc_unlocked(' ', kv->out);
		text_escaped(kv->out, x->fds[i].path ? x->fds[i].path : "?", SIZE_MAX);
	}
	if (x->nfds > x->ndesc)
		put_str(kv->out, " ...");
	fputc_unlocked(')', kv->out);
}

static void text_unix(struct text_kv *kv, const struct ipcd_event *e)
{
	const char *name = unix_channel_name(e);

	if (e->src_ino)
		text_kv_u64(kv, "src_inode", e->src_ino);
	if (e->dst_ino)
		text_kv_u64(kv, "dst_inode", e->dst_ino);
	if (name)
		text_kv_str(kv, "path", name);
	else if (e->flags & IPCD_EF_SOCKETPAIR)
		text_kv_str(kv, "path", "(socketpair)");
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	if (e->extra && e->extra->nfds)
		text_passed_fds(kv, e->extra);
	if (e->extra && e->extra->creds) {
		text_key(kv, "creds");
		put_str(kv->out, "pid=");
		put_u64(kv->out, e->extra->cred_pid);
		put_str(kv->out, ",uid=");
		put_u64(kv->out, e->extra->cred_uid);
		put_str(kv->out, ",gid=");
		put_u64(kv->out, e->extra->cred_gid);
	}
	text_flags(kv, e->flags);
}

static const char *shutdown_how_name(int32_t how)
{
	return how == 0 ? "read" : how == 1 ? "write" : "both";
}

static void text_unix_conn(struct text_kv *kv, const struct ipcd_event *e)
{
	text_kv_str(kv, "event", ipcd_conn_event_name(e->conn_event));
	text_kv_str(kv, "sock_type", sock_type_name(e->sock_type));
	if (e->src_ino)
		text_kv_u64(kv, "inode", e->src_ino);
	if (e->dst_ino)
		text_kv_u64(kv, "peer_inode", e->dst_ino);
	if (e->src_name)
		text_kv_str(kv, "path", e->src_name);
	if (e->conn_event == IPCD_CONN_SHUTDOWN)
		text_kv_str(kv, "how", shutdown_how_name(e->conn_arg));
}

/* A shutdown's how; a connect's error, when its handshake failed. */
static void text_inet_conn_arg(struct text_kv *kv, const struct ipcd_event *e)
{
	if (e->conn_event == IPCD_INET_SHUTDOWN)
		text_kv_str(kv, "how", shutdown_how_name(e->conn_arg));
	else if (e->conn_event == IPCD_INET_CONNECT && e->conn_arg < 0)
		text_kv_str(kv, "error", error_name(e->conn_arg));
}

/* numeric (-n): ports only, no /etc/services names */
static void text_inet(struct text_kv *kv, const struct ipcd_event *e, bool numeric)
{
	char addr[64];
	const char *service = numeric ? NULL : ipcd_inet_service(e);

	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN)
		text_kv_str(kv, "event", ipcd_inet_conn_event_name(e->conn_event));
	if (e->has_inet) {
		ipcd_inet_addr_format(e->inet.saddr, e->inet.sport, addr, sizeof(addr));
		text_kv_str(kv, "src", addr);
		ipcd_inet_addr_format(e->inet.daddr, e->inet.dport, addr, sizeof(addr));
		text_kv_str(kv, "dst", addr);
		if (service)
			text_kv_str(kv, "service", service);
	}
	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN) {
		text_inet_conn_arg(kv, e);
		return;
	}
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_flags(kv, e->flags);
}

static const char *pty_direction(const struct ipcd_event *e)
{
	return e->pty_writer_side == IPCD_PTY_SLAVE ? "output" : "input";
}

static void text_pty(struct text_kv *kv, const struct ipcd_event *e)
{
	char tty[32];

	snprintf(tty, sizeof(tty), "/dev/pts/%u", e->pty_index);
	text_kv_str(kv, "tty", tty);
	text_kv_str(kv, "direction", pty_direction(e));
	if (e->pty_session)
		text_kv_u64(kv, "session", e->pty_session);
	if (e->pty_fg_pgrp)
		text_kv_u64(kv, "fg_pgrp", e->pty_fg_pgrp);
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_flags(kv, e->flags);
}

static const char *mq_op_name(uint32_t op)
{
	switch (op) {
	case IPCD_MQOP_MSGGET: return "msgget";
	case IPCD_MQOP_MSGRMID: return "msgctl_rmid";
	case IPCD_MQOP_MQ_OPEN: return "mq_open";
	case IPCD_MQOP_MQ_UNLINK: return "mq_unlink";
	case IPCD_MQOP_MQ_NOTIFY: return "mq_notify";
	default: return "unknown";
	}
}

static void text_mq(struct text_kv *kv, const struct ipcd_event *e)
{
	char buf[IPCD_MQ_NAME_LEN + 2];

	if (e->type == IPCD_TYPE_MQ_OP)
		text_kv_str(kv, "op", mq_op_name(e->mq_op));
	if (e->mq_has_key) {
		snprintf(buf, sizeof(buf), "0x%08x", (uint32_t)e->mq_key);
		text_kv_str(kv, "key", buf);
	}
	if (e->mq_kind == IPCD_MQ_SYSV && e->type != IPCD_TYPE_MQ_OP)
		text_kv_i64(kv, "msqid", e->mq_id);
	if (e->mq_name) {
		snprintf(buf, sizeof(buf), "/%s", e->mq_name);
		text_kv_str(kv, "name", buf);
	}
	if (e->type == IPCD_TYPE_MQ_OP) {
		text_kv_i64(kv, "result", e->mq_id);
		return;
	}
	if (e->mq_type >= 0)
		text_kv_i64(kv, e->mq_kind == IPCD_MQ_SYSV ? "mtype" : "prio", e->mq_type);
	text_kv_u64(kv, "size", e->bytes);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		text_kv_u64(kv, "latency_ns", e->latency_ns);
	text_flags(kv, e->flags);
}

static const char *shm_op_name(uint32_t op)
{
	switch (op) {
	case IPCD_SHMOP_SHMGET: return "shmget";
	case IPCD_SHMOP_ATTACH: return "attach";
	case IPCD_SHMOP_DETACH: return "detach";
	case IPCD_SHMOP_REMOVE: return "remove";
	case IPCD_SHMOP_MEMFD: return "memfd_create";
	case IPCD_SHMOP_FUTEX_WAKE: return "futex_wake";
	case IPCD_SHMOP_SEM_POST: return "semop";
	default: return "unknown";
	}
}

/* The ops after which an event lists the processes mapping the object. */
static bool shm_op_has_sharers(uint32_t op)
{
	return op == IPCD_SHMOP_ATTACH || op == IPCD_SHMOP_DETACH || op == IPCD_SHMOP_FUTEX_WAKE;
}

static void text_shm(struct text_kv *kv, const struct ipcd_event *e)
{
	char buf[32];

	text_kv_str(kv, "op", shm_op_name(e->shm_op));
	if (e->shm_has_key) {
		snprintf(buf, sizeof(buf), "0x%08x", (uint32_t)e->shm_key);
		text_kv_str(kv, "key", buf);
	}
	if (e->shm_op == IPCD_SHMOP_SEM_POST) {
		text_kv_i64(kv, "semid", e->shm_id);
		text_kv_u64(kv, "semnum", e->shm_offset);
		text_kv_u64(kv, "latency_ns", e->latency_ns);
		return;
	}
	if (e->shm_sysv && e->shm_id >= 0)
		text_kv_i64(kv, "shmid", e->shm_id);
	if (e->shm_name && !e->shm_sysv)
		text_kv_str(kv, "name", e->shm_name);
	if (e->shm_op == IPCD_SHMOP_FUTEX_WAKE) {
		text_kv_u64(kv, "offset", e->shm_offset);
		if (e->flags & IPCD_EF_HAS_LATENCY)
			text_kv_u64(kv, "latency_ns", e->latency_ns);
	} else if (e->shm_size) {
		text_kv_u64(kv, "size", e->shm_size);
	}
	if (e->shm_nsharers) {
		text_key(kv, "sharers");
		for (uint32_t i = 0; i < e->shm_nsharers; i++) {
			if (i)
				fputc_unlocked(',', kv->out);
			put_u64(kv->out, e->shm_sharers[i]);
		}
	} else if (shm_op_has_sharers(e->shm_op)) {
		/* mapped before tracing began, or by processes gone: not "nobody" */
		text_kv_str(kv, "sharers", "unknown");
	}
	text_flags(kv, e->flags);
}

/* Seconds with nanoseconds, signed: "12.000000345", "-0.000001200". */
static void put_seconds(FILE *out, int64_t ns)
{
	uint64_t mag = ns < 0 ? (uint64_t)-(ns + 1) + 1 : (uint64_t)ns;

	if (ns < 0)
		fputc_unlocked('-', out);
	put_u64(out, mag / NSEC_PER_SEC);
	fputc_unlocked('.', out);
	put_padded(out, mag % NSEC_PER_SEC, 9);
}

/* Nanoseconds since 1970; unsigned sums, so a capture's nonsense time wraps rather than overflows. */
static int64_t epoch_ns(const struct ipcd_output *o, uint64_t mono_ns)
{
	return (int64_t)(mono_ns + (uint64_t)o->mono_to_real_ns);
}

/*
 * t minus since, both CLOCK_MONOTONIC: negative when an event was stamped
 * before its reference (the unsigned difference, read as signed: no
 * overflow whatever a capture holds).
 */
static int64_t ns_since(uint64_t t, uint64_t since)
{
	return (int64_t)(t - since);
}

static void put_clock(FILE *out, const struct tm *tm, long nsec)
{
	put_padded(out, tm->tm_hour, 2);
	fputc_unlocked(':', out);
	put_padded(out, tm->tm_min, 2);
	fputc_unlocked(':', out);
	put_padded(out, tm->tm_sec, 2);
	fputc_unlocked('.', out);
	put_padded(out, nsec, 9);
}

/* The time at the start of a text line, as --time asks, and the space after it. */
static void text_time(struct ipcd_output *o, uint64_t mono_ns)
{
	struct tm tm;
	long nsec;

	switch (o->time_mode) {
	case IPCD_TIME_NONE:
		return;
	case IPCD_TIME_EPOCH:
		put_seconds(o->out, epoch_ns(o, mono_ns));
		break;
	case IPCD_TIME_DELTA:
		put_seconds(o->out, ns_since(mono_ns, o->prev_ns));
		break;
	case IPCD_TIME_RELATIVE:
		put_seconds(o->out, ns_since(mono_ns, o->first_ns));
		break;
	case IPCD_TIME_DATE:
		wall_time(o, mono_ns, &tm, &nsec);
		put_padded(o->out, (uint64_t)tm.tm_year + 1900, 4);
		fputc_unlocked('-', o->out);
		put_padded(o->out, tm.tm_mon + 1, 2);
		fputc_unlocked('-', o->out);
		put_padded(o->out, tm.tm_mday, 2);
		fputc_unlocked(' ', o->out);
		put_clock(o->out, &tm, nsec);
		break;
	default:
		wall_time(o, mono_ns, &tm, &nsec);
		put_clock(o->out, &tm, nsec);
		break;
	}
	fputc_unlocked(' ', o->out);
}

/*
 * -A: a payload as tcpdump -A shows one, printable ASCII with every other
 * byte a '.', its line breaks kept (a CR before them dropped); each line
 * indented with a tab, as the hex dump's are, so no line passes for an event.
 */
static void ascii_write(FILE *out, const uint8_t *data, size_t len)
{
	bool line_start = true;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
			continue;
		if (line_start)
			fputc_unlocked('\t', out);
		line_start = data[i] == '\n';
		fputc_unlocked(line_start || (data[i] >= 0x20 && data[i] < 0x7f) ? data[i] : '.', out);
	}
	if (!line_start)
		fputc_unlocked('\n', out);
}

static bool is_mq_type(enum ipcd_type type)
{
	return type == IPCD_TYPE_MQ_SYSV || type == IPCD_TYPE_MQ_POSIX || type == IPCD_TYPE_MQ_OP;
}

static bool is_inet_type(enum ipcd_type type)
{
	return type == IPCD_TYPE_LOOPBACK_TCP || type == IPCD_TYPE_LOOPBACK_UDP ||
	       type == IPCD_TYPE_LOOPBACK_TCP_CONN;
}

static bool is_unix_data(enum ipcd_type type)
{
	return type == IPCD_TYPE_UNIX_STREAM || type == IPCD_TYPE_UNIX_DGRAM || type == IPCD_TYPE_UNIX_SEQPACKET;
}

static void output_text(struct ipcd_output *o, const struct ipcd_event *e)
{
	struct text_kv kv = { o->out, true };

	text_time(o, e->ts_ns);
	if (e->type == IPCD_TYPE_LOST) {
		put_str(o->out, "lost ");
		put_u64(o->out, e->lost_count);
		fputc_unlocked(' ', o->out);
		put_str(o->out, ipcd_collector_name(e->lost_collector));
		put_str(o->out, " events\n");
		return;
	}
	put_str(o->out, ipcd_type_name(e->type));
	fputc_unlocked(' ', o->out);
	text_endpoint(o->out, &e->src);
	if (e->type == IPCD_TYPE_SIGNAL && (e->sig_flags & IPCD_SIGF_TIMER_OWNER))
		put_str(o->out, " (timer owner)");
	put_str(o->out, " > ");
	text_endpoint(o->out, &e->dst);
	if (e->dst_is_listener)
		put_str(o->out, " (listener)");
	if (e->type == IPCD_TYPE_PIPE)
		text_pipe(&kv, e);
	else if (e->type == IPCD_TYPE_SIGNAL)
		text_signal(&kv, e);
	else if (is_unix_data(e->type))
		text_unix(&kv, e);
	else if (e->type == IPCD_TYPE_UNIX_CONN)
		text_unix_conn(&kv, e);
	else if (is_inet_type(e->type))
		text_inet(&kv, e, o->numeric);
	else if (e->type == IPCD_TYPE_PTY)
		text_pty(&kv, e);
	else if (is_mq_type(e->type))
		text_mq(&kv, e);
	else if (e->type == IPCD_TYPE_SHM)
		text_shm(&kv, e);
	fputc_unlocked('\n', o->out);
	if (o->dump_bytes && e->payload_len && o->ascii)
		ascii_write(o->out, e->payload, e->payload_len);
	else if (o->dump_bytes && e->payload_len)
		hexdump_write(o->out, e->payload, e->payload_len, "\t");
}

/* ---- JSON ----------------------------------------------------------- */

static void json_time(struct ipcd_output *o, uint64_t mono_ns)
{
	struct tm tm;
	long nsec;
	char buf[64], zone[8];

	wall_time(o, mono_ns, &tm, &nsec);
	strftime(zone, sizeof(zone), "%z", &tm);
	/* RFC 3339: +hh:mm, not +hhmm */
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%.3s:%.2s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 nsec, zone, zone + 3);
	jw_kv_string(&o->jw, "time", buf);
	/* monotonic nanoseconds as a string: jq reads big numbers as doubles */
	snprintf(buf, sizeof(buf), "%" PRIu64, mono_ns);
	jw_kv_string(&o->jw, "ts_ns", buf);
}

static void json_endpoint(struct json_writer *jw, const char *side, const struct ipcd_endpoint *ep)
{
	char key[16];

	snprintf(key, sizeof(key), "%s_pid", side);
	jw_kv_int(jw, key, ep->pid);
	snprintf(key, sizeof(key), "%s_tid", side);
	jw_kv_int(jw, key, ep->tid);
	snprintf(key, sizeof(key), "%s_ppid", side);
	jw_kv_int(jw, key, ep->ppid);
	snprintf(key, sizeof(key), "%s_comm", side);
	jw_key(jw, key);
	if (ep->pid < 0 || !ep->comm[0])
		jw_null(jw);
	else
		jw_string_n(jw, ep->comm, strnlen(ep->comm, sizeof(ep->comm)));
	snprintf(key, sizeof(key), "%s_pcomm", side);
	jw_key(jw, key);
	if (ep->pid < 0 || !ep->pcomm[0])
		jw_null(jw);
	else
		jw_string_n(jw, ep->pcomm, strnlen(ep->pcomm, sizeof(ep->pcomm)));
}

static void json_flags(struct json_writer *jw, uint32_t flags)
{
	jw_key(jw, "flags");
	jw_array_begin(jw);
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if (flags & flag_names[i].flag)
			jw_string(jw, flag_names[i].name);
	jw_array_end(jw);
}

static void json_calls(struct json_writer *jw, const struct ipcd_event *e)
{
	const char *call;

	if (e->src_fd >= 0)
		jw_kv_int(jw, "src_fd", e->src_fd);
	if (e->dst_fd >= 0)
		jw_kv_int(jw, "dst_fd", e->dst_fd);
	if ((call = ipcd_pipe_call_name(e->src_call)))
		jw_kv_string(jw, "src_call", call);
	if ((call = ipcd_pipe_call_name(e->dst_call)))
		jw_kv_string(jw, "dst_call", call);
}

static void json_pipe_meta(struct json_writer *jw, const struct ipcd_event *e)
{
	jw_kv_uint(jw, "pipe_inode", e->ino);
	if (e->path)
		jw_kv_string(jw, "pipe_name", e->path);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	json_flags(jw, e->flags);
}

static void json_string_or_null(struct json_writer *jw, const char *key, const char *value)
{
	jw_key(jw, key);
	if (value)
		jw_string(jw, value);
	else
		jw_null(jw);
}

static void json_passed_fds(struct json_writer *jw, const struct ipcd_sock_extra *x)
{
	jw_kv_uint(jw, "nfds", x->nfds);
	jw_key(jw, "fds");
	jw_array_begin(jw);
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		const struct ipcd_fd_desc *d = &x->fds[i];

		jw_object_begin(jw);
		jw_kv_int(jw, "fd", d->fd);
		jw_kv_string(jw, "kind", ipcd_fd_kind_name(d->kind));
		jw_kv_uint(jw, "inode", d->ino);
		json_string_or_null(jw, "path", d->path);
		jw_object_end(jw);
	}
	jw_array_end(jw);
}

static void json_unix_meta(struct json_writer *jw, const struct ipcd_event *e)
{
	if (e->src_ino)
		jw_kv_uint(jw, "src_inode", e->src_ino);
	if (e->dst_ino)
		jw_kv_uint(jw, "dst_inode", e->dst_ino);
	json_string_or_null(jw, "path", unix_channel_name(e));
	json_string_or_null(jw, "src_path", e->src_name);
	json_string_or_null(jw, "dst_path", e->dst_name);
	if (e->dest_addr)
		jw_kv_string(jw, "sendto_path", e->dest_addr);
	jw_kv_bool(jw, "socketpair", e->flags & IPCD_EF_SOCKETPAIR);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	if (e->extra && e->extra->nfds)
		json_passed_fds(jw, e->extra);
	if (e->extra && e->extra->creds) {
		jw_key(jw, "creds");
		jw_object_begin(jw);
		jw_kv_uint(jw, "pid", e->extra->cred_pid);
		jw_kv_uint(jw, "uid", e->extra->cred_uid);
		jw_kv_uint(jw, "gid", e->extra->cred_gid);
		jw_object_end(jw);
	}
	json_flags(jw, e->flags);
}

static void json_unix_conn_meta(struct json_writer *jw, const struct ipcd_event *e)
{
	jw_kv_string(jw, "event", ipcd_conn_event_name(e->conn_event));
	jw_kv_string(jw, "sock_type", sock_type_name(e->sock_type));
	if (e->src_ino)
		jw_kv_uint(jw, "inode", e->src_ino);
	if (e->dst_ino)
		jw_kv_uint(jw, "peer_inode", e->dst_ino);
	json_string_or_null(jw, "path", e->src_name);
	if (e->src_fd >= 0)
		jw_kv_int(jw, "fd", e->src_fd);
	if (e->conn_event == IPCD_CONN_SHUTDOWN)
		jw_kv_int(jw, "how", e->conn_arg);
}

static void json_inet_meta(struct json_writer *jw, const struct ipcd_event *e, bool numeric)
{
	char addr[64];

	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN) {
		jw_kv_string(jw, "event", ipcd_inet_conn_event_name(e->conn_event));
		if (e->conn_event == IPCD_INET_SHUTDOWN)
			jw_kv_int(jw, "how", e->conn_arg);
		if (e->conn_event == IPCD_INET_CONNECT) {
			json_string_or_null(jw, "error", e->conn_arg < 0 ? error_name(e->conn_arg) : NULL);
			jw_kv_bool(jw, "dst_is_listener", e->dst_is_listener);
		}
	}
	if (e->has_inet) {
		jw_kv_string(jw, "family", addr_is_v4(e->inet.daddr) ? "ipv4" : "ipv6");
		ipcd_inet_addr_format(e->inet.saddr, 0, addr, sizeof(addr));
		jw_kv_string(jw, "src_addr", addr);
		jw_kv_uint(jw, "src_port", e->inet.sport);
		ipcd_inet_addr_format(e->inet.daddr, 0, addr, sizeof(addr));
		jw_kv_string(jw, "dst_addr", addr);
		jw_kv_uint(jw, "dst_port", e->inet.dport);
		json_string_or_null(jw, "service", numeric ? NULL : ipcd_inet_service(e));
	}
	if (e->src_ino)
		jw_kv_uint(jw, "src_inode", e->src_ino);
	if (e->dst_ino)
		jw_kv_uint(jw, "dst_inode", e->dst_ino);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	json_flags(jw, e->flags);
}

static void json_pty_meta(struct json_writer *jw, const struct ipcd_event *e)
{
	char tty[32];

	snprintf(tty, sizeof(tty), "/dev/pts/%u", e->pty_index);
	jw_kv_string(jw, "tty", tty);
	jw_kv_string(jw, "direction", pty_direction(e));
	jw_kv_string(jw, "writer_side", e->pty_writer_side == IPCD_PTY_SLAVE ? "slave" : "master");
	jw_kv_uint(jw, "session", e->pty_session);
	jw_kv_uint(jw, "fg_pgrp", e->pty_fg_pgrp);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_calls(jw, e);
	json_flags(jw, e->flags);
}

static void json_mq_meta(struct json_writer *jw, const struct ipcd_event *e)
{
	char buf[IPCD_MQ_NAME_LEN + 2];

	if (e->type == IPCD_TYPE_MQ_OP)
		jw_kv_string(jw, "op", mq_op_name(e->mq_op));
	jw_key(jw, "key");
	if (e->mq_has_key)
		jw_int(jw, e->mq_key);
	else
		jw_null(jw);
	if (e->mq_kind == IPCD_MQ_SYSV && e->type != IPCD_TYPE_MQ_OP)
		jw_kv_int(jw, "msqid", e->mq_id);
	if (e->mq_name) {
		snprintf(buf, sizeof(buf), "/%s", e->mq_name);
		jw_kv_string(jw, "name", buf);
	}
	if (e->type == IPCD_TYPE_MQ_OP) {
		jw_kv_int(jw, "result", e->mq_id);
		return;
	}
	if (e->mq_kind == IPCD_MQ_SYSV)
		jw_kv_int(jw, "mtype", e->mq_type);
	else if (e->mq_type >= 0)
		jw_kv_int(jw, "prio", e->mq_type);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	json_flags(jw, e->flags);
}

static void json_shm_meta(struct json_writer *jw, const struct ipcd_event *e)
{
	jw_kv_string(jw, "op", shm_op_name(e->shm_op));
	if (e->shm_op == IPCD_SHMOP_SEM_POST) {
		jw_kv_int(jw, "semid", e->shm_id);
		jw_kv_uint(jw, "semnum", e->shm_offset);
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
		return;
	}
	jw_kv_string(jw, "kind", e->shm_sysv ? "sysv" : "file");
	jw_key(jw, "key");
	if (e->shm_has_key)
		jw_int(jw, e->shm_key);
	else
		jw_null(jw);
	if (e->shm_sysv && e->shm_id >= 0)
		jw_kv_int(jw, "shmid", e->shm_id);
	json_string_or_null(jw, "name", e->shm_sysv ? NULL : e->shm_name);
	jw_kv_uint(jw, "size", e->shm_size);
	if (e->shm_addr)
		jw_kv_uint(jw, "addr", e->shm_addr);
	if (e->shm_op == IPCD_SHMOP_FUTEX_WAKE)
		jw_kv_uint(jw, "offset", e->shm_offset);
	if (e->flags & IPCD_EF_HAS_LATENCY)
		jw_kv_uint(jw, "latency_ns", e->latency_ns);
	/* none known is not an empty list: the object may be mapped by processes not seen mapping it */
	jw_kv_bool(jw, "sharers_known", e->shm_nsharers > 0);
	jw_key(jw, "sharers");
	if (e->shm_nsharers) {
		jw_array_begin(jw);
		for (uint32_t i = 0; i < e->shm_nsharers; i++)
			jw_int(jw, e->shm_sharers[i]);
		jw_array_end(jw);
	} else {
		jw_null(jw);
	}
	json_flags(jw, e->flags);
}

static void json_signal_meta(struct json_writer *jw, const struct ipcd_event *e)
{
	char buf[24];

	jw_kv_int(jw, "num", e->sig);
	jw_kv_string(jw, "name", ipcd_signal_name(e->sig, buf, sizeof(buf)));
	jw_kv_int(jw, "code", e->code);
	jw_kv_string(jw, "code_name", ipcd_signal_code_name(e->code));
	if (e->sig_flags & IPCD_SIGF_HAS_VALUE)
		jw_kv_uint(jw, "value", e->value);
	jw_kv_string(jw, "result", ipcd_signal_result_name(e->result));
	if (e->result == IPCD_SIG_FAILED)
		jw_kv_string(jw, "error", error_name(e->error));
	jw_kv_bool(jw, "blocked", e->sig_flags & IPCD_SIGF_BLOCKED);
	jw_kv_bool(jw, "group", e->sig_flags & IPCD_SIGF_GROUP);
	jw_kv_bool(jw, "kernel", e->sig_flags & IPCD_SIGF_KERNEL);
	jw_kv_bool(jw, "src_is_timer_owner", e->sig_flags & IPCD_SIGF_TIMER_OWNER);
}

static void output_json(struct ipcd_output *o, const struct ipcd_event *e)
{
	struct json_writer *jw = &o->jw;

	jw_object_begin(jw);
	json_time(o, e->ts_ns);
	jw_kv_string(jw, "type", ipcd_type_name(e->type));
	if (e->type == IPCD_TYPE_LOST) {
		jw_kv_string(jw, "collector", ipcd_collector_name(e->lost_collector));
		jw_kv_uint(jw, "count", e->lost_count);
		jw_object_end(jw);
		jw_end_line(jw);
		return;
	}
	json_endpoint(jw, "src", &e->src);
	json_endpoint(jw, "dst", &e->dst);
	jw_kv_uint(jw, "size", e->bytes);
	jw_key(jw, "meta");
	jw_object_begin(jw);
	if (e->type == IPCD_TYPE_PIPE)
		json_pipe_meta(jw, e);
	else if (e->type == IPCD_TYPE_SIGNAL)
		json_signal_meta(jw, e);
	else if (is_unix_data(e->type))
		json_unix_meta(jw, e);
	else if (e->type == IPCD_TYPE_UNIX_CONN)
		json_unix_conn_meta(jw, e);
	else if (is_inet_type(e->type))
		json_inet_meta(jw, e, o->numeric);
	else if (e->type == IPCD_TYPE_PTY)
		json_pty_meta(jw, e);
	else if (is_mq_type(e->type))
		json_mq_meta(jw, e);
	else if (e->type == IPCD_TYPE_SHM)
		json_shm_meta(jw, e);
	jw_object_end(jw);
	if (o->dump_bytes && (e->payload_len || e->bytes)) {
		jw_key(jw, "bytes");
		jw_base64(jw, e->payload, e->payload_len);
	}
	jw_object_end(jw);
	jw_end_line(jw);
}

/* ---- CSV ------------------------------------------------------------ */

/*
 * Shared memory as its users know it: a SysV segment by key and id, a memfd
 * by its name, a shared mapping of /dev/zero or MAP_ANONYMOUS (the kernel
 * names its file "dev/zero") as anonymous, a file by its name.
 */
static void shm_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	if (e->shm_op == IPCD_SHMOP_SEM_POST)
		snprintf(buf, len, "sysv semid %" PRId64, e->shm_id);
	else if (e->shm_sysv && e->shm_has_key && e->shm_key && e->shm_id >= 0)
		snprintf(buf, len, "sysv key 0x%08x shmid %" PRId64, (uint32_t)e->shm_key, e->shm_id);
	else if (e->shm_sysv && e->shm_id >= 0)
		snprintf(buf, len, "sysv shmid %" PRId64, e->shm_id);   /* IPC_PRIVATE, or a key not seen */
	else if (e->shm_name && !strcmp(e->shm_name, "dev/zero"))
		snprintf(buf, len, "anonymous shared memory:[%" PRIu64 "]", e->chan_key);
	else if (e->shm_name)
		snprintf(buf, len, "%s", e->shm_name);
	else if (e->chan_key)
		snprintf(buf, len, "shared memory:[%" PRIu64 "]", e->chan_key);   /* mapped before tracing */
}

void ipcd_event_channel(const struct ipcd_event *e, char *buf, size_t len)
{
	char a[64], b[64];

	buf[0] = '\0';
	switch (e->type) {
	case IPCD_TYPE_PIPE:
		if (e->path)
			snprintf(buf, len, "%s", e->path);
		else
			snprintf(buf, len, "pipe:[%" PRIu64 "]", e->ino);
		break;
	case IPCD_TYPE_SIGNAL:
		snprintf(buf, len, "%s", ipcd_signal_name(e->sig, a, sizeof(a)));
		break;
	case IPCD_TYPE_UNIX_STREAM:
	case IPCD_TYPE_UNIX_DGRAM:
	case IPCD_TYPE_UNIX_SEQPACKET:
		if (unix_channel_name(e))
			snprintf(buf, len, "%s", unix_channel_name(e));
		else if (e->flags & IPCD_EF_SOCKETPAIR)
			snprintf(buf, len, "socketpair");
		break;
	case IPCD_TYPE_UNIX_CONN:
		snprintf(buf, len, "%s", e->src_name ? e->src_name : "");
		break;
	case IPCD_TYPE_LOOPBACK_TCP:
	case IPCD_TYPE_LOOPBACK_UDP:
	case IPCD_TYPE_LOOPBACK_TCP_CONN:
		if (e->has_inet) {
			ipcd_inet_addr_format(e->inet.saddr, e->inet.sport, a, sizeof(a));
			ipcd_inet_addr_format(e->inet.daddr, e->inet.dport, b, sizeof(b));
			snprintf(buf, len, "%s>%s", a, b);
		}
		break;
	case IPCD_TYPE_PTY:
		snprintf(buf, len, "/dev/pts/%u", e->pty_index);
		break;
	case IPCD_TYPE_MQ_SYSV:
		snprintf(buf, len, "msqid:%" PRId64, e->mq_id);
		break;
	case IPCD_TYPE_MQ_POSIX:
	case IPCD_TYPE_MQ_OP:
		if (e->mq_name)
			snprintf(buf, len, "/%s", e->mq_name);
		break;
	case IPCD_TYPE_SHM:
		shm_channel(e, buf, len);
		break;
	default:
		break;
	}
}

/* RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
static void csv_field(FILE *out, const char *s, bool first)
{
	if (!first)
		fputc_unlocked(',', out);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs_unlocked(s, out);
		return;
	}
	fputc_unlocked('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc_unlocked('"', out);
		fputc_unlocked(*s, out);
	}
	fputc_unlocked('"', out);
}

static void csv_int(FILE *out, int64_t v)
{
	fputc_unlocked(',', out);
	put_i64(out, v);
}

static void csv_endpoint(FILE *out, const struct ipcd_endpoint *ep)
{
	csv_int(out, ep->pid);
	csv_int(out, ep->tid);
	csv_int(out, ep->ppid);
	csv_field(out, ep->pid >= 0 ? ep->comm : "", false);
	csv_field(out, ep->pcomm, false);
}

/*
 * The time column, as --time asks: a row stands alone, so clock and date
 * both give the RFC 3339 date and time (as JSON's "time"); epoch, delta and
 * relative give seconds; none leaves the column empty (the columns stay).
 */
static void csv_time(struct ipcd_output *o, uint64_t mono_ns)
{
	struct tm tm;
	long nsec;
	char zone[8];

	switch (o->time_mode) {
	case IPCD_TIME_NONE:
		return;
	case IPCD_TIME_EPOCH:
		put_seconds(o->out, epoch_ns(o, mono_ns));
		return;
	case IPCD_TIME_DELTA:
		put_seconds(o->out, ns_since(mono_ns, o->prev_ns));
		return;
	case IPCD_TIME_RELATIVE:
		put_seconds(o->out, ns_since(mono_ns, o->first_ns));
		return;
	default:
		wall_time(o, mono_ns, &tm, &nsec);
		strftime(zone, sizeof(zone), "%z", &tm);
		fprintf(o->out, "%04d-%02d-%02dT%02d:%02d:%02d.%09ld%.3s:%.2s", tm.tm_year + 1900, tm.tm_mon + 1,
			tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec, zone, zone + 3);
		return;
	}
}

/*
 * The CSV columns, in this order, stable (new columns are only ever added
 * at the end).  A cell is empty where the JSON has no such key or null.
 *
 * time,ts_ns,type,src_pid,src_tid,src_ppid,src_comm,src_pcomm,dst_pid,
 * dst_tid,dst_ppid,dst_comm,dst_pcomm,size,channel,latency_ns,flags,
 * payload_hex: as JSON's keys of those names (time as --time asks;
 * size: a lost row's count; channel: as the filter's field, a lost row's
 * collector; flags: '|'-joined; payload_hex: the payload, with -x), then
 * one column for each key of JSON's "meta", by the same name:
 *
 * event,op,src_fd,dst_fd,src_call,dst_call,pipe_inode,pipe_name,num,name,
 * code,code_name,value,result,error,blocked,group,kernel,
 * src_is_timer_owner,src_inode,dst_inode,path,src_path,dst_path,
 * sendto_path,socketpair,nfds,fds,creds_pid,creds_uid,creds_gid,sock_type,
 * inode,peer_inode,fd,how,family,src_addr,src_port,dst_addr,dst_port,
 * service,dst_is_listener,tty,direction,writer_side,
 * session,fg_pgrp,key,msqid,mtype,prio,semid,semnum,kind,shmid,shm_size,
 * addr,offset,sharers,sharers_known,collector,count
 *
 * except: creds {pid, uid, gid} is creds_pid, creds_uid, creds_gid; shm's
 * "size" (the object's) is shm_size; fds is "fd:kind:inode:path" per
 * descriptor, ';'-separated; sharers are ';'-separated pids; booleans are
 * true or false.  One name, one meaning across types where JSON shares it
 * (name: the signal's, the queue's or the object's; result: a signal's
 * outcome or an mq-op's return value; event: connect, accept, shutdown or
 * close).
 */
enum csv_col {
	CC_EVENT, CC_OP, CC_SRC_FD, CC_DST_FD, CC_SRC_CALL, CC_DST_CALL, CC_PIPE_INODE, CC_PIPE_NAME,
	CC_NUM, CC_NAME, CC_CODE, CC_CODE_NAME, CC_VALUE, CC_RESULT, CC_ERROR, CC_BLOCKED, CC_GROUP, CC_KERNEL,
	CC_SRC_IS_TIMER_OWNER,
	CC_SRC_INODE, CC_DST_INODE, CC_PATH, CC_SRC_PATH, CC_DST_PATH, CC_SENDTO_PATH, CC_SOCKETPAIR,
	CC_NFDS, CC_FDS, CC_CREDS_PID, CC_CREDS_UID, CC_CREDS_GID,
	CC_SOCK_TYPE, CC_INODE, CC_PEER_INODE, CC_FD, CC_HOW,
	CC_FAMILY, CC_SRC_ADDR, CC_SRC_PORT, CC_DST_ADDR, CC_DST_PORT, CC_SERVICE, CC_DST_IS_LISTENER,
	CC_TTY, CC_DIRECTION, CC_WRITER_SIDE, CC_SESSION, CC_FG_PGRP,
	CC_KEY, CC_MSQID, CC_MTYPE, CC_PRIO,
	CC_SEMID, CC_SEMNUM, CC_KIND, CC_SHMID, CC_SHM_SIZE, CC_ADDR, CC_OFFSET, CC_SHARERS, CC_SHARERS_KNOWN,
	CC_COLLECTOR, CC_COUNT,
	CC_MAX
};

static const char *const csv_col_names[CC_MAX] = {
	"event", "op", "src_fd", "dst_fd", "src_call", "dst_call", "pipe_inode", "pipe_name",
	"num", "name", "code", "code_name", "value", "result", "error", "blocked", "group", "kernel",
	"src_is_timer_owner",
	"src_inode", "dst_inode", "path", "src_path", "dst_path", "sendto_path", "socketpair",
	"nfds", "fds", "creds_pid", "creds_uid", "creds_gid",
	"sock_type", "inode", "peer_inode", "fd", "how",
	"family", "src_addr", "src_port", "dst_addr", "dst_port", "service", "dst_is_listener",
	"tty", "direction", "writer_side", "session", "fg_pgrp",
	"key", "msqid", "mtype", "prio",
	"semid", "semnum", "kind", "shmid", "shm_size", "addr", "offset", "sharers", "sharers_known",
	"collector", "count",
};

/* One row's meta cells: text to print (NULL: empty); numbers are formatted into num. */
struct csv_row {
	const char *cell[CC_MAX];
	char num[CC_MAX][24];
	char addr[2][64];
	char text[IPCD_MQ_NAME_LEN + 34];
};

static void row_str(struct csv_row *r, enum csv_col c, const char *s)
{
	r->cell[c] = s;
}

static void row_u64(struct csv_row *r, enum csv_col c, uint64_t v)
{
	snprintf(r->num[c], sizeof(r->num[c]), "%" PRIu64, v);
	r->cell[c] = r->num[c];
}

static void row_i64(struct csv_row *r, enum csv_col c, int64_t v)
{
	snprintf(r->num[c], sizeof(r->num[c]), "%" PRId64, v);
	r->cell[c] = r->num[c];
}

static void row_bool(struct csv_row *r, enum csv_col c, bool v)
{
	r->cell[c] = v ? "true" : "false";
}

static void row_calls(struct csv_row *r, const struct ipcd_event *e)
{
	if (e->src_fd >= 0)
		row_i64(r, CC_SRC_FD, e->src_fd);
	if (e->dst_fd >= 0)
		row_i64(r, CC_DST_FD, e->dst_fd);
	row_str(r, CC_SRC_CALL, ipcd_pipe_call_name(e->src_call));
	row_str(r, CC_DST_CALL, ipcd_pipe_call_name(e->dst_call));
}

static void row_pipe(struct csv_row *r, const struct ipcd_event *e)
{
	row_u64(r, CC_PIPE_INODE, e->ino);
	row_str(r, CC_PIPE_NAME, e->path);
	row_calls(r, e);
}

static void row_signal(struct csv_row *r, const struct ipcd_event *e)
{
	row_i64(r, CC_NUM, e->sig);
	row_str(r, CC_NAME, ipcd_signal_name(e->sig, r->text, sizeof(r->text)));
	row_i64(r, CC_CODE, e->code);
	row_str(r, CC_CODE_NAME, ipcd_signal_code_name(e->code));
	if (e->sig_flags & IPCD_SIGF_HAS_VALUE)
		row_u64(r, CC_VALUE, e->value);
	row_str(r, CC_RESULT, ipcd_signal_result_name(e->result));
	if (e->result == IPCD_SIG_FAILED)
		row_str(r, CC_ERROR, error_name(e->error));
	row_bool(r, CC_BLOCKED, e->sig_flags & IPCD_SIGF_BLOCKED);
	row_bool(r, CC_GROUP, e->sig_flags & IPCD_SIGF_GROUP);
	row_bool(r, CC_KERNEL, e->sig_flags & IPCD_SIGF_KERNEL);
	row_bool(r, CC_SRC_IS_TIMER_OWNER, e->sig_flags & IPCD_SIGF_TIMER_OWNER);
}

static void row_unix(struct csv_row *r, const struct ipcd_event *e)
{
	if (e->src_ino)
		row_u64(r, CC_SRC_INODE, e->src_ino);
	if (e->dst_ino)
		row_u64(r, CC_DST_INODE, e->dst_ino);
	row_str(r, CC_PATH, unix_channel_name(e));
	row_str(r, CC_SRC_PATH, e->src_name);
	row_str(r, CC_DST_PATH, e->dst_name);
	row_str(r, CC_SENDTO_PATH, e->dest_addr);
	row_bool(r, CC_SOCKETPAIR, e->flags & IPCD_EF_SOCKETPAIR);
	row_calls(r, e);
	if (e->extra && e->extra->nfds)
		row_u64(r, CC_NFDS, e->extra->nfds);
	if (e->extra && e->extra->creds) {
		row_u64(r, CC_CREDS_PID, e->extra->cred_pid);
		row_u64(r, CC_CREDS_UID, e->extra->cred_uid);
		row_u64(r, CC_CREDS_GID, e->extra->cred_gid);
	}
}

static void row_unix_conn(struct csv_row *r, const struct ipcd_event *e)
{
	row_str(r, CC_EVENT, ipcd_conn_event_name(e->conn_event));
	row_str(r, CC_SOCK_TYPE, sock_type_name(e->sock_type));
	if (e->src_ino)
		row_u64(r, CC_INODE, e->src_ino);
	if (e->dst_ino)
		row_u64(r, CC_PEER_INODE, e->dst_ino);
	row_str(r, CC_PATH, e->src_name);
	if (e->src_fd >= 0)
		row_i64(r, CC_FD, e->src_fd);
	if (e->conn_event == IPCD_CONN_SHUTDOWN)
		row_i64(r, CC_HOW, e->conn_arg);
}

static void row_inet(struct csv_row *r, const struct ipcd_event *e, bool numeric)
{
	if (e->type == IPCD_TYPE_LOOPBACK_TCP_CONN) {
		row_str(r, CC_EVENT, ipcd_inet_conn_event_name(e->conn_event));
		if (e->conn_event == IPCD_INET_SHUTDOWN)
			row_i64(r, CC_HOW, e->conn_arg);
		if (e->conn_event == IPCD_INET_CONNECT) {
			if (e->conn_arg < 0)
				row_str(r, CC_ERROR, error_name(e->conn_arg));
			row_bool(r, CC_DST_IS_LISTENER, e->dst_is_listener);
		}
	}
	if (e->has_inet) {
		row_str(r, CC_FAMILY, addr_is_v4(e->inet.daddr) ? "ipv4" : "ipv6");
		ipcd_inet_addr_format(e->inet.saddr, 0, r->addr[0], sizeof(r->addr[0]));
		row_str(r, CC_SRC_ADDR, r->addr[0]);
		row_u64(r, CC_SRC_PORT, e->inet.sport);
		ipcd_inet_addr_format(e->inet.daddr, 0, r->addr[1], sizeof(r->addr[1]));
		row_str(r, CC_DST_ADDR, r->addr[1]);
		row_u64(r, CC_DST_PORT, e->inet.dport);
		row_str(r, CC_SERVICE, numeric ? NULL : ipcd_inet_service(e));
	}
	if (e->src_ino)
		row_u64(r, CC_SRC_INODE, e->src_ino);
	if (e->dst_ino)
		row_u64(r, CC_DST_INODE, e->dst_ino);
	row_calls(r, e);
}

static void row_pty(struct csv_row *r, const struct ipcd_event *e)
{
	snprintf(r->text, sizeof(r->text), "/dev/pts/%u", e->pty_index);
	row_str(r, CC_TTY, r->text);
	row_str(r, CC_DIRECTION, pty_direction(e));
	row_str(r, CC_WRITER_SIDE, e->pty_writer_side == IPCD_PTY_SLAVE ? "slave" : "master");
	row_u64(r, CC_SESSION, e->pty_session);
	row_u64(r, CC_FG_PGRP, e->pty_fg_pgrp);
	row_calls(r, e);
}

static void row_mq(struct csv_row *r, const struct ipcd_event *e)
{
	if (e->type == IPCD_TYPE_MQ_OP)
		row_str(r, CC_OP, mq_op_name(e->mq_op));
	if (e->mq_has_key)
		row_i64(r, CC_KEY, e->mq_key);
	if (e->mq_kind == IPCD_MQ_SYSV && e->type != IPCD_TYPE_MQ_OP)
		row_i64(r, CC_MSQID, e->mq_id);
	if (e->mq_name) {
		snprintf(r->text, sizeof(r->text), "/%s", e->mq_name);
		row_str(r, CC_NAME, r->text);
	}
	if (e->type == IPCD_TYPE_MQ_OP)
		row_i64(r, CC_RESULT, e->mq_id);
	else if (e->mq_kind == IPCD_MQ_SYSV)
		row_i64(r, CC_MTYPE, e->mq_type);
	else if (e->mq_type >= 0)
		row_i64(r, CC_PRIO, e->mq_type);
}

static void row_shm(struct csv_row *r, const struct ipcd_event *e)
{
	row_str(r, CC_OP, shm_op_name(e->shm_op));
	if (e->shm_op == IPCD_SHMOP_SEM_POST) {
		row_i64(r, CC_SEMID, e->shm_id);
		row_u64(r, CC_SEMNUM, e->shm_offset);
		return;
	}
	row_str(r, CC_KIND, e->shm_sysv ? "sysv" : "file");
	if (e->shm_has_key)
		row_i64(r, CC_KEY, e->shm_key);
	if (e->shm_sysv && e->shm_id >= 0)
		row_i64(r, CC_SHMID, e->shm_id);
	row_str(r, CC_NAME, e->shm_sysv ? NULL : e->shm_name);
	row_u64(r, CC_SHM_SIZE, e->shm_size);
	if (e->shm_addr)
		row_u64(r, CC_ADDR, e->shm_addr);
	if (e->shm_op == IPCD_SHMOP_FUTEX_WAKE)
		row_u64(r, CC_OFFSET, e->shm_offset);
	row_str(r, CC_SHARERS_KNOWN, e->shm_nsharers ? "true" : "false");
}

/* Part of a quoted cell: its quotes doubled. */
static void csv_quoted_part(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '"')
			fputc_unlocked('"', out);
		fputc_unlocked(*s, out);
	}
}

/* "3:file:1234:/etc/hostname;4:pipe:99:pipe:[99]", always quoted (paths hold anything). */
static void csv_fds(FILE *out, const struct ipcd_sock_extra *x)
{
	char head[64];

	fputc_unlocked('"', out);
	for (uint32_t i = 0; i < x->ndesc && i < IPCD_PASSED_FDS_MAX; i++) {
		const struct ipcd_fd_desc *d = &x->fds[i];

		snprintf(head, sizeof(head), "%s%d:%s:%" PRIu64 ":", i ? ";" : "", d->fd, ipcd_fd_kind_name(d->kind),
			 d->ino);
		fputs_unlocked(head, out);
		csv_quoted_part(out, d->path ? d->path : "");
	}
	fputc_unlocked('"', out);
}

static void csv_sharers(FILE *out, const struct ipcd_event *e)
{
	for (uint32_t i = 0; i < e->shm_nsharers; i++) {
		if (i)
			fputc_unlocked(';', out);
		put_u64(out, e->shm_sharers[i]);
	}
}

/* The meta columns of a row, each after its comma. */
static void csv_meta(struct ipcd_output *o, const struct ipcd_event *e)
{
	struct csv_row r;

	memset(r.cell, 0, sizeof(r.cell));
	if (e->type == IPCD_TYPE_PIPE)
		row_pipe(&r, e);
	else if (e->type == IPCD_TYPE_SIGNAL)
		row_signal(&r, e);
	else if (is_unix_data(e->type))
		row_unix(&r, e);
	else if (e->type == IPCD_TYPE_UNIX_CONN)
		row_unix_conn(&r, e);
	else if (is_inet_type(e->type))
		row_inet(&r, e, o->numeric);
	else if (e->type == IPCD_TYPE_PTY)
		row_pty(&r, e);
	else if (is_mq_type(e->type))
		row_mq(&r, e);
	else if (e->type == IPCD_TYPE_SHM)
		row_shm(&r, e);
	if (e->type == IPCD_TYPE_LOST) {
		row_str(&r, CC_COLLECTOR, ipcd_collector_name(e->lost_collector));
		row_u64(&r, CC_COUNT, e->lost_count);
	}
	for (int c = 0; c < CC_MAX; c++) {
		if (c == CC_FDS && e->extra && e->extra->nfds && is_unix_data(e->type)) {
			fputc_unlocked(',', o->out);
			csv_fds(o->out, e->extra);
		} else if (c == CC_SHARERS && e->type == IPCD_TYPE_SHM && e->shm_op != IPCD_SHMOP_SEM_POST) {
			fputc_unlocked(',', o->out);
			csv_sharers(o->out, e);
		} else {
			csv_field(o->out, r.cell[c] ? r.cell[c] : "", false);
		}
	}
}

static void csv_header(FILE *out)
{
	fputs_unlocked("time,ts_ns,type,src_pid,src_tid,src_ppid,src_comm,src_pcomm,dst_pid,dst_tid,dst_ppid,"
		       "dst_comm,dst_pcomm,size,channel,latency_ns,flags,payload_hex", out);
	for (int c = 0; c < CC_MAX; c++) {
		fputc_unlocked(',', out);
		fputs_unlocked(csv_col_names[c], out);
	}
	fputc_unlocked('\n', out);
}

static void output_csv(struct ipcd_output *o, const struct ipcd_event *e)
{
	static const char hex[] = "0123456789abcdef";
	char buf[IPCD_PATH_MAX + 160], ts[32];
	size_t used = 0;

	if (!o->csv_header_done) {
		csv_header(o->out);
		o->csv_header_done = true;
	}
	csv_time(o, e->ts_ns);
	snprintf(ts, sizeof(ts), "%" PRIu64, e->ts_ns);
	csv_field(o->out, ts, false);
	csv_field(o->out, ipcd_type_name(e->type), false);
	csv_endpoint(o->out, &e->src);
	csv_endpoint(o->out, &e->dst);
	csv_int(o->out, e->type == IPCD_TYPE_LOST ? (int64_t)e->lost_count : (int64_t)e->bytes);
	ipcd_event_channel(e, buf, sizeof(buf));
	if (e->type == IPCD_TYPE_LOST)
		snprintf(buf, sizeof(buf), "%s", ipcd_collector_name(e->lost_collector));
	csv_field(o->out, buf, false);
	fputc_unlocked(',', o->out);
	/* a semaphore post's latency is always there, as in JSON */
	if ((e->flags & IPCD_EF_HAS_LATENCY) || (e->type == IPCD_TYPE_SHM && e->shm_op == IPCD_SHMOP_SEM_POST))
		put_u64(o->out, e->latency_ns);
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if ((e->flags & flag_names[i].flag) && used + 32 < sizeof(buf))
			used += snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? "|" : "", flag_names[i].name);
	csv_field(o->out, buf, false);
	fputc_unlocked(',', o->out);
	if (o->dump_bytes)
		for (uint32_t i = 0; i < e->payload_len; i++) {
			fputc_unlocked(hex[e->payload[i] >> 4], o->out);
			fputc_unlocked(hex[e->payload[i] & 15], o->out);
		}
	csv_meta(o, e);
	fputc_unlocked('\n', o->out);
}

void ipcd_output_event(struct ipcd_output *o, const struct ipcd_event *e)
{
	/* the first event is its own reference: delta and relative start at 0 */
	if (!o->printed_any) {
		o->first_ns = o->prev_ns = e->ts_ns;
		o->printed_any = true;
	}
	if (o->format == IPCD_FORMAT_JSON)
		output_json(o, e);
	else if (o->format == IPCD_FORMAT_CSV)
		output_csv(o, e);
	else
		output_text(o, e);
	o->prev_ns = e->ts_ns;
}
