// SPDX-License-Identifier: GPL-2.0
/*
 * The syslog sink: each event one RFC 5424 datagram with structured data
 * on the syslog daemon's unix socket.  syslog(3) can carry neither
 * structured data nor another socket, so the sink writes the datagram
 * itself.  The socket is non-blocking: a syslog daemon that cannot keep up
 * (a full socket buffer) costs events, counted, never the pipeline's time.
 * A socket that is not there (the daemon not started yet, or restarting)
 * is looked for again at most ten times a second, the events in between
 * dropped and counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "engine/pipeline.h"
#include "sinks/syslog.h"

/* often enough that a restarted daemon misses little, seldom enough to cost nothing while it is away */
#define RECONNECT_NS 100000000ull

struct syslog_sink {
	char *socket_path;
	char *app_name;
	char *prog;
	struct ipcd_syslog_header header;
	char hostname[256];
	struct ipcd_line_printer *line;
	int fd;                 /* connected, or -1 */
	uint64_t retry_ns;      /* when a missing socket is looked for again */
	bool said_missing;      /* the warning for this absence is out */
};

static void say_missing(struct syslog_sink *ss, int err)
{
	if (ss->said_missing)
		return;
	fprintf(stderr, "%s: warning: syslog socket %s: %s; events to it are dropped and counted until it is back\n",
		ss->prog, ss->socket_path, strerror(err));
	ss->said_missing = true;
}

/* 0, or -errno: the socket is not there (yet). */
static int syslog_connect(struct syslog_sink *ss)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(ss->socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, ss->socket_path, strlen(ss->socket_path) + 1);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		close(fd);
		return -err;
	}
	ss->fd = fd;
	if (ss->said_missing)
		fprintf(stderr, "%s: info: syslog socket %s is back\n", ss->prog, ss->socket_path);
	ss->said_missing = false;
	return 0;
}

static void syslog_disconnect(struct syslog_sink *ss)
{
	if (ss->fd >= 0)
		close(ss->fd);
	ss->fd = -1;
}

/* Connected, or a try if the last was long enough ago; false: the event is dropped. */
static bool syslog_ready(struct syslog_sink *ss)
{
	uint64_t now;
	int err;

	if (ss->fd >= 0)
		return true;
	now = ipcd_monotonic_ns();
	if (now < ss->retry_ns)
		return false;
	if (!(err = syslog_connect(ss)))
		return true;
	ss->retry_ns = now + RECONNECT_NS;
	say_missing(ss, -err);
	return false;
}

/* The peer is gone: the daemon stopped, or restarted with a new socket at the same path. */
static bool peer_gone(int err)
{
	return err == ECONNREFUSED || err == ENOTCONN || err == ECONNRESET || err == EPIPE || err == ENOENT;
}

static int send_datagram(struct syslog_sink *ss, const char *msg, size_t len)
{
	return send(ss->fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void head(FILE *out, const struct ipcd_event *e, void *ctx)
{
	struct syslog_sink *ss = ctx;

	ipcd_syslog_head(out, &ss->header, e, (int64_t)(e->ts_ns + (uint64_t)ipcd_line_printer_clock(ss->line)));
}

static int syslog_open(struct ipcd_sink *s, struct ipcd_pipeline *p)
{
	struct syslog_sink *ss = s->ctx;
	int err;

	ipcd_line_printer_open(ss->line, p);
	if ((err = syslog_connect(ss))) {
		ss->retry_ns = ipcd_monotonic_ns() + RECONNECT_NS;
		say_missing(ss, -err);
	}
	return 0;
}

static enum ipcd_sink_result syslog_event(struct ipcd_sink *s, const struct ipcd_event *e)
{
	struct syslog_sink *ss = s->ctx;
	const char *msg;
	size_t len;
	int err;

	if (!syslog_ready(ss))
		return IPCD_SINK_DROPPED_WRITE;
	if (!(msg = ipcd_line_printer_print(ss->line, e, head, ss, &len)))
		return IPCD_SINK_DROPPED;
	if (!(err = send_datagram(ss, msg, len)))
		return IPCD_SINK_WRITTEN;
	if (!peer_gone(-err))
		return IPCD_SINK_DROPPED_WRITE;  /* EAGAIN: the daemon is behind; EMSGSIZE: too long for it */
	/* the path again at once: a restarted daemon's new socket is likely there already */
	syslog_disconnect(ss);
	if (!(err = syslog_connect(ss)) && !(err = send_datagram(ss, msg, len)))
		return IPCD_SINK_WRITTEN;
	ss->retry_ns = ipcd_monotonic_ns() + RECONNECT_NS;
	say_missing(ss, -err);
	return IPCD_SINK_DROPPED_WRITE;
}

/* SIGUSR1: connected again by the path, as files are opened again (a daemon moved to a new socket). */
static void syslog_reopen(struct ipcd_sink *s)
{
	struct syslog_sink *ss = s->ctx;

	syslog_disconnect(ss);
	ss->retry_ns = 0;
}

static void syslog_ctx_free(struct syslog_sink *ss)
{
	syslog_disconnect(ss);
	ipcd_line_printer_free(ss->line);
	free(ss->socket_path);
	free(ss->app_name);
	free(ss->prog);
	free(ss);
}

static void syslog_free(struct ipcd_sink *s)
{
	syslog_ctx_free(s->ctx);
}

/* RFC 5424's HOSTNAME is printable ASCII: anything else in ours becomes '-'. */
static void local_hostname(char *buf, size_t len)
{
	if (gethostname(buf, len - 1))
		buf[0] = '\0';
	buf[len - 1] = '\0';
	for (char *c = buf; *c; c++)
		if (*c < 33 || *c > 126)
			*c = '-';
}

static struct syslog_sink *syslog_ctx_new(const struct ipcd_syslog_config *cfg)
{
	struct syslog_sink *ss = calloc(1, sizeof(*ss));

	if (!ss)
		return NULL;
	ss->fd = -1;
	ss->socket_path = strdup(cfg->socket_path ? cfg->socket_path : IPCD_SYSLOG_SOCKET);
	ss->app_name = strdup(cfg->app_name);
	ss->prog = strdup(cfg->prog);
	ss->line = ipcd_line_printer_new(cfg->format);
	if (!ss->socket_path || !ss->app_name || !ss->prog || !ss->line) {
		syslog_ctx_free(ss);
		return NULL;
	}
	local_hostname(ss->hostname, sizeof(ss->hostname));
	ss->header = (struct ipcd_syslog_header){
		.facility = cfg->facility,
		.severity = cfg->severity,
		.hostname = ss->hostname,
		.app_name = ss->app_name,
		.procid = (long)getpid(),
	};
	return ss;
}

struct ipcd_sink *ipcd_syslog_sink_new(const struct ipcd_syslog_config *cfg)
{
	struct ipcd_sink *s = ipcd_sink_new("syslog");
	struct syslog_sink *ss = syslog_ctx_new(cfg);

	if (!s || !ss) {
		free(s);
		if (ss)
			syslog_ctx_free(ss);
		return NULL;
	}
	s->ctx = ss;
	s->fate = "sent to syslog";
	s->time_ordered = true;
	s->reports_losses = true;
	s->open = syslog_open;
	s->event = syslog_event;
	s->reopen = syslog_reopen;
	s->free = syslog_free;
	return s;
}
