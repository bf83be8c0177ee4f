// SPDX-License-Identifier: GPL-2.0
/*
 * ipcdumpd's HTTP server (server.h) on libmicrohttpd: Debian packages it
 * with GnuTLS, it is a small C library made to be embedded (no event loop
 * of its own to adopt, no C++), it enforces the limits a hostile client
 * tests (connections in all and per address, idle timeouts, the memory a
 * request's headers may take: 431), and its thread per connection lets a
 * streamed reply block in produce() without holding up any other client.
 *
 * Each listen address is one MHD daemon on a socket bound here (TCP, IPv6,
 * or a unix socket).  The request target is read raw (the URI log
 * callback) and decoded here (api/url.c): a malformed one is a 400, and
 * the path matches a route exactly or is a 404: nothing is ever looked up
 * on a file system.  Then the caller: the route's least role against the
 * caller's (api/auth.c), or a unix socket's peer uid (SO_PEERCRED).
 */
#include "api/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "api/auth.h"
#include "api/context.h"
#include "api/url.h"

/* TLS 1.2 and 1.3 only; GnuTLS's NORMAL ciphers otherwise. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define STREAM_BLOCK (32 * 1024)
#define LISTEN_BACKLOG 128
#define PEM_MAX (1 << 20)

struct listener {
	struct ipcda_server *srv;
	struct MHD_Daemon *daemon;
	const char *unix_path;   /* NULL: TCP */
};

struct ipcda_server {
	const struct ipcda_config *cfg;
	struct ipcda_context *ctx;
	struct ipcda_auth *auth;
	const struct ipcda_route *routes;
	char *cert_pem, *key_pem;
	atomic_bool stopping;     /* streams end at their next block */
	size_t count;
	struct listener listeners[IPCDA_LISTEN_MAX];
};

/* headers one handler adds to its reply, at most (X-Next-Cursor, X-More) */
#define REPLY_HEADERS_MAX 8

struct ipcda_request {
	struct ipcda_server *srv;
	struct listener *ls;
	struct MHD_Connection *conn;
	char *target;             /* as the client sent it */
	struct ipcda_url url;
	const struct ipcda_route *route;
	bool headers_seen;        /* the first call (the headers are in) is over */
	bool admitted;            /* the checks passed */
	bool answered;
	uint64_t body_bytes;
	/* the handler's own headers for its reply (ipcda_reply_header) */
	struct reply_header {
		char *name, *value;
	} reply_headers[REPLY_HEADERS_MAX];
	size_t nreply_headers;
};

struct stream {
	struct ipcda_server *srv;
	ipcda_produce_fn produce;
	void *ctx;
	void (*done)(void *ctx);
};

/* ---- the listen addresses ---------------------------------------------------------- */

bool ipcda_listen_is_unix(const char *listen, const char **path)
{
	if (strncmp(listen, "unix:", 5))
		return false;
	if (path)
		*path = listen + 5;
	return true;
}

int ipcda_listen_parse(const char *listen, char *host, size_t hostlen, uint16_t *port, char *why, size_t whylen)
{
	const char *colon, *host_start = listen, *host_end;
	struct in6_addr addr;
	char *end;
	unsigned long p;

	if (listen[0] == '[') {
		host_start = listen + 1;
		if (!(host_end = strchr(listen, ']')) || host_end[1] != ':') {
			snprintf(why, whylen, "'%s' is not [IPV6]:PORT", listen);
			return -1;
		}
		colon = host_end + 1;
	} else if (!(colon = strrchr(listen, ':')) || memchr(listen, ':', (size_t)(colon - listen))) {
		snprintf(why, whylen, "'%s' is not HOST:PORT, [IPV6]:PORT or unix:PATH", listen);
		return -1;
	} else {
		host_end = colon;
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || p == 0 || p > 65535) {
		snprintf(why, whylen, "'%s': the port is 1..65535", listen);
		return -1;
	}
	if ((size_t)(host_end - host_start) >= hostlen || host_end == host_start) {
		snprintf(why, whylen, "'%s': no host (0.0.0.0 or [::] for every address)", listen);
		return -1;
	}
	memcpy(host, host_start, (size_t)(host_end - host_start));
	host[host_end - host_start] = '\0';
	/* numeric only: a name would be looked up at start, and could change under the daemon */
	if (inet_pton(listen[0] == '[' ? AF_INET6 : AF_INET, host, &addr) != 1) {
		snprintf(why, whylen, "'%s': the host is an IPv4 address or [IPV6]", listen);
		return -1;
	}
	*port = (uint16_t)p;
	return 0;
}

static int finish_listen_socket(int fd, const struct sockaddr *sa, socklen_t len, const char *what, FILE *err)
{
	if (bind(fd, sa, len) || listen(fd, LISTEN_BACKLOG)) {
		fprintf(err, "ipcdumpd: error: api: cannot listen on %s: %s\n", what, strerror(errno));
		close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static int tcp_socket(const char *listen, FILE *err)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM }, *ai;
	char host[128], why[256], port_text[8];
	uint16_t port;
	int fd, one = 1, rc;

	if (ipcda_listen_parse(listen, host, sizeof(host), &port, why, sizeof(why))) {
		fprintf(err, "ipcdumpd: error: api: %s\n", why);
		return -1;
	}
	snprintf(port_text, sizeof(port_text), "%u", port);
	if ((rc = getaddrinfo(host, port_text, &hints, &ai))) {
		fprintf(err, "ipcdumpd: error: api: %s: %s\n", listen, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(err, "ipcdumpd: error: api: %s: %s\n", listen, strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	fd = finish_listen_socket(fd, ai->ai_addr, ai->ai_addrlen, listen, err);
	freeaddrinfo(ai);
	return fd;
}

/* /run/ipcdump for /run/ipcdump/api.sock, when it is not there (a tmpfs after boot); one level only. */
static void make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0755);
	}
}

/* A stale socket of a previous run goes; any other file there is left alone (bind fails). */
static int unix_socket(const char *path, FILE *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(err, "ipcdumpd: error: api: unix:%s: the path is too long\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	make_parent(path);
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(err, "ipcdumpd: error: api: unix:%s: %s\n", path, strerror(errno));
		return -1;
	}
	fd = finish_listen_socket(fd, (struct sockaddr *)&sun, sizeof(sun), path, err);
	/* anyone may connect: who gets in is the peer's uid and credentials' call, not the mode's */
	if (fd >= 0)
		chmod(path, 0666);
	return fd;
}

/* ---- replies ---------------------------------------------------------------------- */

/* Headers every reply has: nothing cached, nothing sniffed. */
static void common_headers(struct MHD_Response *resp, const char *content_type)
{
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
}

int ipcda_reply_header(struct ipcda_request *rq, const char *name, const char *value)
{
	struct reply_header *h;

	if (rq->nreply_headers >= REPLY_HEADERS_MAX || strpbrk(name, "\r\n:") || strpbrk(value, "\r\n"))
		return -1;
	h = &rq->reply_headers[rq->nreply_headers];
	if (!(h->name = strdup(name)) || !(h->value = strdup(value))) {
		free(h->name);
		return -1;
	}
	rq->nreply_headers++;
	return 0;
}

static void free_reply_headers(struct ipcda_request *rq)
{
	for (size_t i = 0; i < rq->nreply_headers; i++) {
		free(rq->reply_headers[i].name);
		free(rq->reply_headers[i].value);
	}
	rq->nreply_headers = 0;
}

/* Queues resp (and drops our reference); 0, or -1 when MHD would not (the connection is gone). */
static int queue(struct ipcda_request *rq, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result r;

	if (!resp)
		return -1;
	for (size_t i = 0; i < rq->nreply_headers; i++)
		MHD_add_response_header(resp, rq->reply_headers[i].name, rq->reply_headers[i].value);
	free_reply_headers(rq);
	r = MHD_queue_response(rq->conn, status, resp);
	MHD_destroy_response(resp);
	rq->answered = true;
	return r == MHD_YES ? 0 : -1;
}

static struct MHD_Response *buffer_response(const char *content_type, const void *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

	if (resp)
		common_headers(resp, content_type);
	return resp;
}

int ipcda_reply(struct ipcda_request *rq, unsigned status, const char *content_type, const void *body,
		size_t len)
{
	if (rq->answered)
		return -1;
	return queue(rq, status, buffer_response(content_type, body, len));
}

/* The message as a JSON string's inside: quotes, backslashes and control bytes escaped. */
static void json_escape(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static struct MHD_Response *error_response(const char *message)
{
	char escaped[2048], body[2100];
	int n;

	json_escape(message, escaped, sizeof(escaped));
	n = snprintf(body, sizeof(body), "{\"error\": \"%s\"}\n", escaped);
	return buffer_response("application/json", body, (size_t)n);
}

int ipcda_reply_error(struct ipcda_request *rq, unsigned status, const char *message)
{
	if (rq->answered)
		return -1;
	return queue(rq, status, error_response(message));
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *st = cls;
	ssize_t n;

	(void)pos;
	if (atomic_load(&st->srv->stopping))
		return MHD_CONTENT_READER_END_OF_STREAM;
	n = st->produce(st->ctx, buf, max);
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	if (st->done)
		st->done(st->ctx);
	free(st);
}

int ipcda_reply_stream(struct ipcda_request *rq, unsigned status, const char *content_type,
		       ipcda_produce_fn produce, void *ctx, void (*done)(void *ctx))
{
	struct stream *st = calloc(1, sizeof(*st));
	struct MHD_Response *resp;

	if (!st || rq->answered) {
		free(st);
		if (done)
			done(ctx);
		return -1;
	}
	*st = (struct stream){ .srv = rq->srv, .produce = produce, .ctx = ctx, .done = done };
	/* from here on stream_free runs done, whatever happens */
	if (!(resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, st,
						      stream_free))) {
		stream_free(st);
		return -1;
	}
	common_headers(resp, content_type);
	return queue(rq, status, resp);
}

/* ---- the request, as handlers see it ------------------------------------------------ */

const char *ipcda_arg(const struct ipcda_request *rq, const char *name)
{
	return ipcda_url_arg(&rq->url, name);
}

const char *ipcda_header(const struct ipcda_request *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

struct ipcda_context *ipcda_context_of(const struct ipcda_request *rq)
{
	return rq->srv->ctx;
}

/* ---- who calls ------------------------------------------------------------------------ */

/* A unix socket's caller: its uid, from the kernel; false when unknown. */
static bool peer_uid(struct ipcda_request *rq, uid_t *uid)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!ci || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || len != sizeof(cred))
		return false;
	*uid = cred.uid;
	return true;
}

/* The caller's address as text, the key of its failed attempts. */
static void client_name(struct ipcda_request *rq, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	uid_t uid;

	if (rq->ls->unix_path) {
		if (peer_uid(rq, &uid))
			snprintf(buf, len, "uid:%u", (unsigned)uid);
		else
			snprintf(buf, len, "uid:?");
		return;
	}
	snprintf(buf, len, "?");
	ci = MHD_get_connection_info(rq->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, buf, (socklen_t)len);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, buf, (socklen_t)len);
}

/* A unix socket's caller whose uid the configuration lets in: its role; NONE otherwise. */
static enum ipcda_role unix_role(struct ipcda_request *rq)
{
	const struct ipcda_config *cfg = rq->srv->cfg;
	uid_t uid;

	if (!rq->ls->unix_path || !peer_uid(rq, &uid))
		return IPCDA_ROLE_NONE;
	for (size_t i = 0; i < cfg->unix_uid_count; i++)
		if (cfg->unix_uids[i] == uid)
			return cfg->unix_role;
	return IPCDA_ROLE_NONE;
}

static int reply_unauthorized(struct ipcda_request *rq)
{
	struct MHD_Response *resp = error_response("unauthorized");

	if (!resp)
		return -1;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"ipcdumpd\"");
	if (ipcda_auth_has_users(rq->srv->auth))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"ipcdumpd\", charset=\"UTF-8\"");
	return queue(rq, MHD_HTTP_UNAUTHORIZED, resp);
}

static int reply_limited(struct ipcda_request *rq, unsigned retry_after)
{
	struct MHD_Response *resp = error_response("too many failed attempts");
	char seconds[16];

	if (!resp)
		return -1;
	snprintf(seconds, sizeof(seconds), "%u", retry_after ? retry_after : 1);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, seconds);
	return queue(rq, MHD_HTTP_TOO_MANY_REQUESTS, resp);
}

/* The caller may call the route: true; false with the reply (401, 403, 429) queued. */
static bool caller_may(struct ipcda_request *rq)
{
	enum ipcda_role need = rq->route->role, role;
	char client[INET6_ADDRSTRLEN + 8];
	unsigned retry_after;

	if (need == IPCDA_ROLE_NONE)
		return true;
	role = unix_role(rq);
	if (role == IPCDA_ROLE_NONE && ipcda_auth_open(rq->srv->auth))
		role = IPCDA_ROLE_ADMIN;
	if (role == IPCDA_ROLE_NONE) {
		client_name(rq, client, sizeof(client));
		switch (ipcda_auth_check(rq->srv->auth, client, ipcda_header(rq, MHD_HTTP_HEADER_AUTHORIZATION),
					 (uint64_t)time(NULL), &role, &retry_after)) {
		case IPCDA_AUTH_OK: break;
		case IPCDA_AUTH_LIMITED: reply_limited(rq, retry_after); return false;
		default: reply_unauthorized(rq); return false;
		}
	}
	if (role < need) {
		ipcda_reply_error(rq, MHD_HTTP_FORBIDDEN, "forbidden");
		return false;
	}
	return true;
}

/* ---- the route ---------------------------------------------------------------------------- */

/* The route of path and method; NULL with a 404 or 405 queued. */
static const struct ipcda_route *find_route(struct ipcda_request *rq, const char *method)
{
	char allow[64] = "";
	struct MHD_Response *resp;

	for (const struct ipcda_route *r = rq->srv->routes; r->path; r++) {
		if (strcmp(r->path, rq->url.path))
			continue;
		if (!strcmp(r->method, method))
			return r;
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s", allow[0] ? ", " : "", r->method);
	}
	if (!allow[0]) {
		ipcda_reply_error(rq, MHD_HTTP_NOT_FOUND, "not found");
		return NULL;
	}
	if ((resp = error_response("method not allowed"))) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
		queue(rq, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
	}
	return NULL;
}

/* A body announced larger than the limit. */
static bool body_too_large(struct ipcda_request *rq)
{
	const char *length = ipcda_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!length)
		return false;
	errno = 0;
	n = strtoull(length, &end, 10);
	return errno || *end || n > rq->srv->cfg->max_body_bytes;
}

/* The request has a body to read (announced, or chunked). */
static bool has_body(struct ipcda_request *rq)
{
	const char *length = ipcda_header(rq, MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (length && strcmp(length, "0")) || ipcda_header(rq, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* The checks made once the headers are in: false with the reply queued. */
static bool admit(struct ipcda_request *rq, const char *method)
{
	int rc;

	if (!rq->target || (rc = ipcda_url_parse(rq->target, &rq->url)) == -2) {
		ipcda_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
		return false;
	}
	if (rc) {
		ipcda_reply_error(rq, MHD_HTTP_BAD_REQUEST, "malformed request target");
		return false;
	}
	if (body_too_large(rq)) {
		ipcda_reply_error(rq, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
		return false;
	}
	if (!(rq->route = find_route(rq, method)))
		return false;
	return caller_may(rq);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct ipcda_request *rq = *req_cls;

	(void)cls;
	(void)url;
	(void)version;
	(void)upload_data;
	if (!rq)
		return MHD_NO;
	rq->conn = conn;
	if (!rq->headers_seen) {
		rq->headers_seen = true;
		/*
		 * A reply queued now, before the body, closes the connection: a
		 * request without a body is checked at the next call instead, so
		 * that a client's 401 or 404 keeps its connection alive.
		 */
		if (!has_body(rq))
			return MHD_YES;
		rq->admitted = admit(rq, method);
		return rq->admitted || rq->answered ? MHD_YES : MHD_NO;
	}
	if (*upload_data_size) {
		/* no route takes a body: it is counted and dropped */
		rq->body_bytes += *upload_data_size;
		*upload_data_size = 0;
		/*
		 * A chunked body past the limit: MHD would send a reply queued now
		 * only after the whole body, so the connection is closed instead.
		 */
		return rq->body_bytes > rq->srv->cfg->max_body_bytes ? MHD_NO : MHD_YES;
	}
	if (rq->answered)
		return MHD_YES;
	if (!rq->admitted && !(rq->admitted = admit(rq, method)))
		return rq->answered ? MHD_YES : MHD_NO;
	rq->route->handler(rq);
	if (!rq->answered)
		ipcda_reply_error(rq, MHD_HTTP_INTERNAL_SERVER_ERROR, "no reply");
	return MHD_YES;
}

/* Before the request is parsed: the target as sent, where our own decoder reads it. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct listener *ls = cls;
	struct ipcda_request *rq = calloc(1, sizeof(*rq));

	if (!rq)
		return NULL;
	rq->srv = ls->srv;
	rq->ls = ls;
	rq->conn = conn;
	rq->target = strdup(uri);
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ipcda_request *rq = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!rq)
		return;
	ipcda_url_free(&rq->url);
	free_reply_headers(rq);
	free(rq->target);
	free(rq);
	*req_cls = NULL;
}

/* ---- start and stop ------------------------------------------------------------------------ */

/* A PEM file whole, NUL-terminated; NULL after a line on err. */
static char *read_pem(const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (!f) {
		fprintf(err, "ipcdumpd: error: api: tls: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (!(buf = malloc(PEM_MAX + 1)) || (n = fread(buf, 1, PEM_MAX + 1, f)) > PEM_MAX || ferror(f)) {
		fprintf(err, "ipcdumpd: error: api: tls: %s: %s\n", path, buf ? "unreadable or too large" :
			"out of memory");
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int start_listener(struct ipcda_server *srv, struct listener *ls, const char *listen, FILE *err)
{
	const struct ipcda_config *cfg = srv->cfg;
	const char *path = NULL;
	bool tls = !ipcda_listen_is_unix(listen, &path) && srv->cert_pem;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | (tls ? MHD_USE_TLS : 0);
	unsigned per_ip = path ? 0 : cfg->max_connections_per_ip;
	int fd = path ? unix_socket(path, err) : tcp_socket(listen, err);

	if (fd < 0)
		return -1;
	ls->srv = srv;
	ls->unix_path = path;
	ls->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, ls,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout_secs,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->max_header_bytes,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, ls,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, ls,
		/* without TLS the list ends here */
		tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, srv->cert_pem,
		MHD_OPTION_HTTPS_MEM_KEY, srv->key_pem,
		MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
		MHD_OPTION_END);
	if (!ls->daemon) {
		fprintf(err, "ipcdumpd: error: api: cannot serve %s%s\n", listen,
			tls ? " (is the TLS certificate or key wrong?)" : "");
		close(fd);
		if (path)
			unlink(path);
		return -1;
	}
	return 0;
}

struct ipcda_server *ipcda_server_start(const struct ipcda_config *cfg, struct ipcda_context *ctx, FILE *err)
{
	return ipcda_server_start_routes(cfg, ctx, ipcda_routes, err);
}

struct ipcda_server *ipcda_server_start_routes(const struct ipcda_config *cfg, struct ipcda_context *ctx,
					       const struct ipcda_route *routes, FILE *err)
{
	struct ipcda_server *srv = calloc(1, sizeof(*srv));

	if (!srv || !(srv->auth = ipcda_auth_new(cfg))) {
		fprintf(err, "ipcdumpd: error: api: out of memory\n");
		free(srv);
		return NULL;
	}
	srv->cfg = cfg;
	srv->ctx = ctx;
	srv->routes = routes;
	if (cfg->tls_cert && (!(srv->cert_pem = read_pem(cfg->tls_cert, err)) ||
			      !(srv->key_pem = read_pem(cfg->tls_key, err)))) {
		ipcda_server_stop(srv);
		return NULL;
	}
	for (size_t i = 0; i < cfg->listen_count; i++, srv->count++) {
		if (start_listener(srv, &srv->listeners[i], cfg->listen[i], err)) {
			ipcda_server_stop(srv);
			return NULL;
		}
	}
	ipcda_context_set_auth(ctx, srv->auth);
	return srv;
}

int ipcda_server_set_credentials(struct ipcda_server *srv, const struct ipcda_config *cfg)
{
	return ipcda_auth_set_credentials(srv->auth, cfg);
}

void ipcda_server_stop(struct ipcda_server *srv)
{
	if (!srv)
		return;
	atomic_store(&srv->stopping, true);
	for (size_t i = 0; i < srv->count; i++) {
		struct listener *ls = &srv->listeners[i];

		/* waits for every connection's thread: a stream ends at its next block */
		MHD_stop_daemon(ls->daemon);
		if (ls->unix_path)
			unlink(ls->unix_path);
	}
	if (srv->ctx)
		ipcda_context_set_auth(srv->ctx, NULL);
	ipcda_auth_free(srv->auth);
	if (srv->key_pem)
		explicit_bzero(srv->key_pem, strlen(srv->key_pem));
	free(srv->key_pem);
	free(srv->cert_pem);
	free(srv);
}
