/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libipcdump: ipcdump's engine as a C library, the one the ipcdump command
 * and the ipcdumpd service run.  A session reads one source (the live
 * tracer, as root; a capture file written by ipcdump -w; a SQLite store
 * written by ipcdump -w FILE.db or ipcdumpd) and makes events of it, which
 * the caller takes one at a time (ipcdump_next) or through a callback
 * (ipcdump_run).
 *
 *     struct ipcdump_session *s;
 *     const struct ipcdump_event *e;
 *     char err[256];
 *     IPCDUMP_OPTS(opts, .filter = "type == pipe and bytes > 100");
 *
 *     if (ipcdump_open_capture(&s, "trace.ipcd", &opts, err, sizeof(err)) < 0)
 *             errx(1, "%s", err);
 *     while (ipcdump_next(s, &e, -1) > 0)
 *             printf("%s %lld > %lld\n", ipcdump_event_type(e),
 *                    (long long)ipcdump_event_pid(e, IPCDUMP_SRC),
 *                    (long long)ipcdump_event_pid(e, IPCDUMP_DST));
 *     ipcdump_close(s);
 *
 * The ABI, as libbpf's: every object is opaque and read through accessors;
 * the one struct the caller fills, struct ipcdump_opts, starts with its own
 * size and only grows at its end.  Functions that can fail return 0 (or a
 * count) on success and a negative errno on failure, with a one-line
 * message: in the caller's buffer where there is no session yet, else the
 * session's (ipcdump_errmsg).  Every symbol is prefixed ipcdump_ and
 * versioned (IPCDUMP_0.1); nothing else of ipcdump's is part of the library.
 *
 * Threads: one session is used by one thread at a time, except
 * ipcdump_stop and ipcdump_errmsg, which any thread (ipcdump_stop: a signal
 * handler too) may call while another reads.  Sessions are independent.
 */
#ifndef IPCDUMP_IPCDUMP_H
#define IPCDUMP_IPCDUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef IPCDUMP_API
#define IPCDUMP_API __attribute__((visibility("default")))
#endif

/* ---- version ------------------------------------------------------------- */

/* The version of this header; ipcdump_version() is the library's that runs. */
#define IPCDUMP_VERSION_MAJOR 0
#define IPCDUMP_VERSION_MINOR 1
#define IPCDUMP_VERSION_PATCH 0
#define IPCDUMP_VERSION_NUMBER(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define IPCDUMP_VERSION \
	IPCDUMP_VERSION_NUMBER(IPCDUMP_VERSION_MAJOR, IPCDUMP_VERSION_MINOR, IPCDUMP_VERSION_PATCH)

/* IPCDUMP_VERSION_NUMBER(major, minor, patch) of the library loaded. */
IPCDUMP_API unsigned int ipcdump_version(void);
/* "0.1.0", and the engine's build: "0.1.0 (979a6c6)". */
IPCDUMP_API const char *ipcdump_version_string(void);

/* ---- opening a session ---------------------------------------------------- */

struct ipcdump_session;

/*
 * What a session reads.  Fill it with IPCDUMP_OPTS, which sets sz: a
 * program built against an older header passes a smaller one, and the
 * fields it lacks count as zero; a newer header's fields that this library
 * does not know must be zero (else -EINVAL).
 */
struct ipcdump_opts {
	size_t sz;              /* sizeof(struct ipcdump_opts) */
	const char *types;      /* -t names, comma-separated ("pipe,signal,unix"); NULL: ipcdump's default */
	const char *filter;     /* a filter expression, ipcdump-filter(7); NULL: every event */
	uint32_t payload_size;  /* payload bytes kept per event (live: captured); 0: none */
	uint32_t :32;           /* the padding before since_ns, named as such: the layout is the ABI */
	int64_t since_ns;       /* capture and store: events at or after this wall time (ns since 1970); 0: any */
	int64_t until_ns;       /* capture and store: events at or before this wall time; 0: any */
};

#define IPCDUMP_OPTS(name, ...) \
	struct ipcdump_opts name = { .sz = sizeof(struct ipcdump_opts), __VA_ARGS__ }

/*
 * Opens a session on *session; opts may be NULL.  0, or a negative errno
 * with a one-line message in err (if not NULL): -EINVAL a bad type name or
 * filter (the message names the column), -ENOENT, -EACCES ... a file that
 * will not open, -EBADMSG a file that is not what it should be, -ENOMEM.
 *
 * live: the kernel's events as they happen (root: CAP_BPF and CAP_PERFMON);
 * tracing starts with ipcdump_start, or the first ipcdump_next or ipcdump_run.
 * The calling process's own IPC is left out, as ipcdump leaves out its own.
 * capture: a capture file (ipcdump -w, zstd-compressed or not); "-" is stdin.
 * store: a SQLite store (ipcdump -w FILE.db, ipcdumpd's sqlite output); the
 * filter, types and time window are pushed down to its SQL.
 */
IPCDUMP_API int ipcdump_open_live(struct ipcdump_session **session, const struct ipcdump_opts *opts, char *err,
				  size_t errlen);
IPCDUMP_API int ipcdump_open_capture(struct ipcdump_session **session, const char *path,
				     const struct ipcdump_opts *opts, char *err, size_t errlen);
IPCDUMP_API int ipcdump_open_store(struct ipcdump_session **session, const char *path,
				   const struct ipcdump_opts *opts, char *err, size_t errlen);

/* Stops the session if it runs, and frees it and its events (not from its own callback).  NULL: nothing. */
IPCDUMP_API void ipcdump_close(struct ipcdump_session *session);

/*
 * The session's last error: its negative errno (0: none) and, in buf (if
 * not NULL), its one-line message.  Any thread may ask.
 */
IPCDUMP_API int ipcdump_errmsg(const struct ipcdump_session *session, char *buf, size_t len);

/* ---- receiving events ----------------------------------------------------- */

struct ipcdump_event;

/*
 * Starts reading on a thread of the session's own, for ipcdump_next; a live
 * session returns once tracing is attached (a workload started after this
 * is seen whole).  0, or a negative errno: -EPERM not allowed to trace,
 * -EALREADY started before.  ipcdump_next starts a session not started.
 */
IPCDUMP_API int ipcdump_start(struct ipcdump_session *session);

/*
 * The next event in *event, valid until the next call on the session.
 * 1: an event; 0: the end (a file's end, or the end after ipcdump_stop);
 * -EAGAIN: none within timeout_ms (negative: wait for one; 0: do not wait);
 * another negative errno: the source failed (ipcdump_errmsg says how).
 * Events wait in a bounded queue: a reader that falls behind a live
 * session loses events in the kernel, reported as events of type "lost".
 */
IPCDUMP_API int ipcdump_next(struct ipcdump_session *session, const struct ipcdump_event **event, int timeout_ms);

/* A callback's event is valid during the call only. */
typedef void (*ipcdump_event_fn)(void *ctx, const struct ipcdump_event *event);

/*
 * Reads the whole source on the calling thread, each event to fn, until the
 * source ends or ipcdump_stop.  0, or a negative errno (as ipcdump_next's;
 * -EALREADY: run before).  After ipcdump_start (or ipcdump_next), it reads
 * the rest from the session's thread, fn still called on this one: a live
 * session started first sees a workload started after ipcdump_start whole.
 */
IPCDUMP_API int ipcdump_run(struct ipcdump_session *session, ipcdump_event_fn fn, void *ctx);

/*
 * Ends the session soon: the events the kernel and the joins still hold
 * come out, then the end.  From any thread, a callback, or a signal handler.
 */
IPCDUMP_API void ipcdump_stop(struct ipcdump_session *session);

/* ---- reading an event ----------------------------------------------------- */

/* Which end of an event. */
enum ipcdump_end {
	IPCDUMP_SRC = 0,  /* the sender: the writer, the signal's sender */
	IPCDUMP_DST = 1,  /* the receiver */
};

/* "pipe", "signal", "unix-stream", "loopback-tcp", "lost" ... as ipcdump prints it. */
IPCDUMP_API const char *ipcdump_event_type(const struct ipcdump_event *event);
/* CLOCK_MONOTONIC of the machine that traced, ns. */
IPCDUMP_API uint64_t ipcdump_event_time_ns(const struct ipcdump_event *event);
/* The same instant as wall time, ns since 1970 (that machine's clock). */
IPCDUMP_API int64_t ipcdump_event_wall_ns(const struct ipcdump_event *event);

/* An end's process id, thread id, parent's process id: -1 if unknown (a write never read). */
IPCDUMP_API int64_t ipcdump_event_pid(const struct ipcdump_event *event, enum ipcdump_end end);
IPCDUMP_API int64_t ipcdump_event_tid(const struct ipcdump_event *event, enum ipcdump_end end);
IPCDUMP_API int64_t ipcdump_event_ppid(const struct ipcdump_event *event, enum ipcdump_end end);
/* An end's command name, and its parent's: "" if unknown. */
IPCDUMP_API const char *ipcdump_event_comm(const struct ipcdump_event *event, enum ipcdump_end end);
IPCDUMP_API const char *ipcdump_event_parent_comm(const struct ipcdump_event *event, enum ipcdump_end end);

/* Bytes moved (0 for a signal, a lifecycle event). */
IPCDUMP_API uint64_t ipcdump_event_bytes(const struct ipcdump_event *event);
/* From the send's call to the receive's return, ns; -1 if not known. */
IPCDUMP_API int64_t ipcdump_event_latency_ns(const struct ipcdump_event *event);
/* The channel, as the filter's "channel" field: "pipe:[123]", "/tmp/sock", "127.0.0.1:80", "/dev/pts/3". */
IPCDUMP_API const char *ipcdump_event_channel(const struct ipcdump_event *event);
/* The same channel as a number, equal for one channel's events. */
IPCDUMP_API uint64_t ipcdump_event_channel_key(const struct ipcdump_event *event);
/* The bytes kept of the payload (opts.payload_size), *len of them; NULL (and *len 0) if none. */
IPCDUMP_API const void *ipcdump_event_payload(const struct ipcdump_event *event, size_t *len);
/* A signal's number (0: not a signal), and its name ("SIGUSR1"; NULL: not a signal). */
IPCDUMP_API int ipcdump_event_signal(const struct ipcdump_event *event);
IPCDUMP_API const char *ipcdump_event_signal_name(const struct ipcdump_event *event);
/*
 * An event of type "lost" (live only; it passes every filter and has no
 * ends): how many records the kernel could not deliver (else 0).
 */
IPCDUMP_API uint64_t ipcdump_event_lost(const struct ipcdump_event *event);

/* ---- formatting an event -------------------------------------------------- */

enum ipcdump_format {
	IPCDUMP_FORMAT_TEXT = 0,  /* ipcdump's line: "12:00:00.000000001 pipe cat (12) > wc (13): ..." */
	IPCDUMP_FORMAT_JSON = 1,  /* ipcdump -f json's object */
};

/* Format flags. */
#define IPCDUMP_FORMAT_PAYLOAD 0x1u  /* the payload too (ipcdump -x) */

/*
 * The event as ipcdump prints it, without the last newline, into buf (len
 * bytes, always NUL-terminated if len > 0): one line (text with
 * IPCDUMP_FORMAT_PAYLOAD: the line, then the payload's dump as ipcdump -x
 * prints it under the line).  As snprintf: the
 * length the whole line needs (a result >= len means it was cut), or a
 * negative errno (-EINVAL an unknown format or flag, -ENOMEM).
 */
IPCDUMP_API int ipcdump_event_format(const struct ipcdump_event *event, enum ipcdump_format format,
				     unsigned int flags, char *buf, size_t len);

/* ---- filters -------------------------------------------------------------- */

struct ipcdump_filter;

/*
 * Compiles an expression of the filter language ("comm == nginx* and bytes
 * > 100", ipcdump-filter(7)).  0, or -EINVAL with a one-line reason in err
 * and the 0-based column it points at in *column (if not NULL), -ENOMEM.
 */
IPCDUMP_API int ipcdump_filter_new(struct ipcdump_filter **filter, const char *expression, char *err,
				   size_t errlen, size_t *column);
/* The event passes the filter (a NULL filter passes every event). */
IPCDUMP_API bool ipcdump_filter_match(const struct ipcdump_filter *filter, const struct ipcdump_event *event);
IPCDUMP_API void ipcdump_filter_free(struct ipcdump_filter *filter);

#ifdef __cplusplus
}
#endif

#endif /* IPCDUMP_IPCDUMP_H */
