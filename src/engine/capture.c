/* SPDX-License-Identifier: GPL-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>
#include "engine/capture.h"
#include "records.h"
#include "util/zstd_file.h"
#include "engine/registry.h"

_Static_assert(sizeof(struct ipcd_capture_header) == 168, "capture header is the file format");

#define READ_BUFFER (1u << 20)

/* Queued and not yet written, at most: past it, records are dropped and counted. */
#define CAPTURE_QUEUE_MAX (256u << 20)
#define CAPTURE_CHUNK (1u << 20)

struct chunk {
	struct chunk *next;
	size_t used;
	uint64_t records;     /* the records in it, the schema not counted: what its loss costs */
	bool next_file;       /* starts a new file (-C/-G): the writer moves on first */
	uint8_t data[CAPTURE_CHUNK];
};

/*
 * A full disk: the writer thread writes each chunk whole or not at all.  A
 * write the disk cuts short is cut back (ftruncate) to where the file ended,
 * and the chunk's records are dropped and counted; the next chunk is tried
 * as it comes, so writing resumes by itself when space returns.  The file
 * then holds whole records only, and a compressed one whole zstd frames
 * only (each chunk is one frame), so that a reader reads every record the
 * file holds.  A chunk that starts a file (its header) is never dropped: it
 * waits, and the records after it are dropped until it is written.
 */
struct capture_writer {
	int fd;                      /* -1: none open (a next file not made yet, or one that broke) */
	bool own_fd;                 /* not stdout's */
	bool seekable;               /* a refused write can be cut back (not a pipe) */
	off_t good_end;              /* where the file ends: every write before it whole */
	ZSTD_CCtx *cctx;             /* compress: each write one zstd frame */
	void *zbuf;
	size_t zcap;
	char *path;                  /* the first file; the next ones are path.1, path.2, ... */
	char next_name[4096];        /* the file the waiting opening chunk goes to */
	uint32_t mode;               /* of the files it creates */
	void (*before_next)(void *ctx, const char *path);  /* NULL: path.1, path.2, ... */
	void *before_next_ctx;
	unsigned int files;          /* files opened so far */
	int64_t mono_to_real_ns;
	uint64_t file_bytes;         /* queued for the current file */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t more;
	struct chunk *head, *tail;   /* full or filling chunks, oldest first */
	struct chunk *opening;       /* the next file's first chunk, while the disk refuses it */
	size_t queued;               /* bytes in the chunks */
	bool closing;
	bool ended;                  /* the thread is done: what was queued went out */
	bool flushing;               /* capture_writer_flush: the chunk being filled goes out too */
	int error;                   /* first error that broke a file (not cut back), -errno */
	struct capture_writer_refusals refusals;  /* under the lock: the pipeline's thread reads them */
	uint64_t records, dropped;
};

static void fill_header(struct ipcd_capture_header *h, int64_t mono_to_real_ns)
{
	struct utsname u;
	struct timespec now;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, IPCD_CAPTURE_MAGIC, sizeof(IPCD_CAPTURE_MAGIC));
	h->version = IPCD_CAPTURE_VERSION;
	h->abi = IPCD_ABI_VERSION;
	h->bom = IPCD_CAPTURE_BOM;
	h->header_size = sizeof(*h);
	h->mono_to_real_ns = mono_to_real_ns;
	clock_gettime(CLOCK_REALTIME, &now);
	h->created_ns = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
	if (!uname(&u)) {
		/* cut to fit, still terminated: the header was zeroed */
		memcpy(h->host, u.nodename, strnlen(u.nodename, sizeof(h->host) - 1));
		memcpy(h->kernel, u.release, strnlen(u.release, sizeof(h->kernel) - 1));
	}
}

/* The records that are no family's: the engine's own. */
static const struct ipcd_family_record engine_records[] = {
	{ IPCD_REC_PROC, sizeof(struct ipcd_proc), "proc", NULL, NULL },
	{ IPCD_REC_SCHEMA, sizeof(struct ipcd_schema), "schema", NULL, NULL },
	{ IPCD_REC_TREE, sizeof(struct ipcd_tree_member), "tree_member", NULL, NULL },
};

static const struct ipcd_family_record *record_kind(uint16_t kind)
{
	const struct ipcd_family_record *rk = ipcd_family_record_of(kind);

	for (size_t i = 0; !rk && i < sizeof(engine_records) / sizeof(engine_records[0]); i++)
		if (engine_records[i].kind == kind)
			rk = &engine_records[i];
	return rk;
}

/* Record kinds are small numbers: the schema lists those known, in order. */
#define RECORD_KIND_MAX 255
/* The schema record, built once: header and text in one buffer (free it). */
static void *schema_record(size_t *size)
{
	char text[2048];
	size_t len = 0;
	struct ipcd_schema *rec;

	for (unsigned int kind = 1; kind <= RECORD_KIND_MAX; kind++) {
		const struct ipcd_family_record *rk = record_kind(kind);

		if (rk)
			len += snprintf(text + len, sizeof(text) - len, "%u %s %zu\n", kind, rk->name,
					(size_t)rk->min_size);
	}
	*size = (sizeof(*rec) + len + 7) & ~(size_t)7;
	rec = calloc(1, *size);
	if (!rec)
		return NULL;
	rec->hdr.kind = IPCD_REC_SCHEMA;
	rec->hdr.size = *size;
	rec->text_len = len;
	memcpy(rec->text, text, len);
	return rec;
}

/* Created (or truncated) with mode; forced: even an existing file's mode becomes mode.  -1 and errno. */
static int create_fd_with_mode(const char *path, uint32_t mode, bool forced)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd >= 0 && forced && fchmod(fd, mode)) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static FILE *create_with_mode(const char *path, uint32_t mode, bool forced)
{
	int fd = create_fd_with_mode(path, mode, forced);
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;

	if (fd >= 0 && !f) {
		int saved = errno;

		close(fd);
		errno = saved;
	}
	return f;
}

/*
 * Captures hold payloads (passwords pass through pipes too): a file made
 * for one is readable by its owner only, as tcpdump's are.  A file that
 * exists keeps the mode its owner gave it.
 */
FILE *capture_create_private(const char *path)
{
	return create_with_mode(path, 0600, false);
}

/* name opened for writing ("-": stdout); mode 0: 0600 if new.  0 or -errno. */
static int open_file(struct capture_writer *w, const char *name)
{
	off_t at;

	if (!strcmp(name, "-")) {
		w->fd = STDOUT_FILENO;
		w->own_fd = false;
	} else {
		w->fd = create_fd_with_mode(name, w->mode ? w->mode : 0600, w->mode != 0);
		w->own_fd = true;
	}
	if (w->fd < 0)
		return -(errno ? errno : EIO);
	at = lseek(w->fd, 0, SEEK_CUR);
	w->seekable = at >= 0;
	w->good_end = at >= 0 ? at : 0;
	return 0;
}

static void close_file(struct capture_writer *w)
{
	if (w->fd >= 0 && w->own_fd && close(w->fd) && !w->error)
		w->error = -(errno ? errno : EIO);
	w->fd = -1;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		/* a short write, then one that fails: the second says why (ENOSPC, EFBIG, EDQUOT) */
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* data as the file takes it: as it is, or one whole zstd frame.  NULL if the compressor fails. */
static const uint8_t *encoded(struct capture_writer *w, const void *data, size_t len, size_t *out_len)
{
	size_t n;

	if (!w->cctx) {
		*out_len = len;
		return data;
	}
	n = ZSTD_compress2(w->cctx, w->zbuf, w->zcap, data, len);
	if (ZSTD_isError(n))
		return NULL;
	*out_len = n;
	return w->zbuf;
}

/*
 * One write, whole or not at all (see struct capture_writer): 0, or -errno
 * with nothing of it left in the file.  A write that cannot be cut back (a
 * pipe) broke the file: that is w->error, and nothing more goes to it.
 */
static int write_whole(struct capture_writer *w, const void *data, size_t len)
{
	const uint8_t *bytes;
	size_t n;
	int rc;

	if (w->fd < 0)
		return -EBADF;
	if (!(bytes = encoded(w, data, len, &n)))
		return -ENOMEM;
	if (!(rc = write_all(w->fd, bytes, n))) {
		w->good_end += (off_t)n;
		return 0;
	}
	if (w->seekable && !ftruncate(w->fd, w->good_end) && lseek(w->fd, w->good_end, SEEK_SET) == w->good_end)
		return rc;
	if (!w->error)
		w->error = rc;
	close_file(w);
	return rc;
}

/* What became of a write: refused (rc), its records counted; or taken, and the file writes again. */
static void note_write(struct capture_writer *w, int rc, uint64_t records)
{
	pthread_mutex_lock(&w->lock);
	if (rc) {
		w->refusals.records += records;
		w->refusals.now = w->refusals.last = rc;
	} else {
		w->refusals.now = 0;
	}
	pthread_mutex_unlock(&w->lock);
}

static void drop_chunk(struct capture_writer *w, struct chunk *c, int rc)
{
	note_write(w, rc, c->records);
	free(c);
}

/* The current file ends; the next one's name is made (logrotate's shift, or path.N), to open with its chunk. */
static void end_file(struct capture_writer *w)
{
	close_file(w);
	if (w->before_next) {
		w->before_next(w->before_next_ctx, w->path);
		snprintf(w->next_name, sizeof(w->next_name), "%s", w->path);
		w->files++;
	} else {
		snprintf(w->next_name, sizeof(w->next_name), "%s.%u", w->path, w->files++);
	}
}

/* The waiting opening chunk into its new file; false while the disk refuses it (it waits on). */
static bool write_opening(struct capture_writer *w)
{
	int rc = 0;

	if (!w->opening)
		return true;
	if (w->fd < 0)
		rc = open_file(w, w->next_name);
	if (!rc)
		rc = write_whole(w, w->opening->data, w->opening->used);
	note_write(w, rc, 0);
	if (rc)
		return false;
	free(w->opening);
	w->opening = NULL;
	return true;
}

/* One chunk off the queue to the file, in the writer's thread. */
static void write_chunk(struct capture_writer *w, struct chunk *c)
{
	int rc;

	if (c->next_file) {
		/* a file that never opened gives way to the next: its records are lost */
		if (w->opening)
			drop_chunk(w, w->opening, w->refusals.last ? w->refusals.last : -EIO);
		end_file(w);
		w->opening = c;
		write_opening(w);
		return;
	}
	if (!write_opening(w)) {
		drop_chunk(w, c, w->refusals.last ? w->refusals.last : -EIO);
		return;
	}
	rc = write_whole(w, c->data, c->used);
	drop_chunk(w, c, rc);  /* counts it only if refused */
}

/* The writer thread: takes whole chunks off the queue and writes them out. */
static void *writer_main(void *arg)
{
	struct capture_writer *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct chunk *c = w->head;

		/* the chunk being filled goes out only when it is full, flushed, or at the end */
		if (!c || (c == w->tail && c->used < CAPTURE_CHUNK && !w->closing && !w->flushing)) {
			if (w->closing && !c)
				break;
			pthread_cond_wait(&w->more, &w->lock);
			continue;
		}
		w->head = c->next;
		if (!w->head)
			w->tail = NULL;
		w->queued -= c->used;
		pthread_mutex_unlock(&w->lock);
		write_chunk(w, c);
		pthread_mutex_lock(&w->lock);
		if (w->flushing && !w->head)
			w->flushing = false;
	}
	pthread_mutex_unlock(&w->lock);
	/* a last try for a file that never opened; then it is given up, and its records with it */
	if (!write_opening(w)) {
		drop_chunk(w, w->opening, w->refusals.last);
		w->opening = NULL;
	}
	return NULL;
}

static void add_schema(struct capture_writer *w);

/* Chunks never written: a writer whose thread did not start. */
static void free_chunks(struct capture_writer *w)
{
	struct chunk *c, *next;

	for (c = w->head; c; c = next) {
		next = c->next;
		free(c);
	}
	w->head = w->tail = NULL;
}


struct capture_writer *capture_writer_open(const char *path, int64_t mono_to_real_ns, bool compress, char *err,
					   size_t errlen)
{
	struct capture_writer_options o = { .compress = compress };

	return capture_writer_open_with(path, mono_to_real_ns, &o, err, errlen);
}

static void writer_free(struct capture_writer *w)
{
	close_file(w);
	ZSTD_freeCCtx(w->cctx);
	free(w->zbuf);
	free(w->path);
	free(w);
}

/* The compressor, when asked for: a frame per write needs room for the largest. */
static bool make_compressor(struct capture_writer *w)
{
	w->zcap = ZSTD_compressBound(CAPTURE_CHUNK);
	w->cctx = ZSTD_createCCtx();
	w->zbuf = malloc(w->zcap);
	return w->cctx && w->zbuf;
}

struct capture_writer *capture_writer_open_with(const char *path, int64_t mono_to_real_ns,
						const struct capture_writer_options *o, char *err, size_t errlen)
{
	struct capture_writer *w = calloc(1, sizeof(*w));
	struct ipcd_capture_header h;
	int rc;

	if (!w || !(w->path = strdup(path)) || (o->compress && !make_compressor(w))) {
		snprintf(err, errlen, "out of memory");
		if (w)
			writer_free(w);
		return NULL;
	}
	w->fd = -1;
	w->mode = o->mode;
	w->before_next = o->before_next;
	w->before_next_ctx = o->ctx;
	w->files = 1;
	w->mono_to_real_ns = mono_to_real_ns;
	fill_header(&h, mono_to_real_ns);
	if ((rc = open_file(w, path)) || (rc = write_whole(w, &h, sizeof(h)))) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
		writer_free(w);
		return NULL;
	}
	w->file_bytes = sizeof(h);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->more, NULL);
	add_schema(w);
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		snprintf(err, errlen, "cannot start the capture writer");
		free_chunks(w);
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->more);
		writer_free(w);
		return NULL;
	}
	return w;
}

/* Appends an empty chunk; the one before it is then complete.  Under the lock. */
static struct chunk *new_chunk(struct capture_writer *w, bool next_file)
{
	struct chunk *n = malloc(sizeof(*n));

	if (!n)
		return NULL;
	n->next = NULL;
	n->used = 0;
	n->records = 0;
	n->next_file = next_file;
	if (w->tail)
		w->tail->next = n;
	else
		w->head = n;
	w->tail = n;
	return n;
}

bool capture_writer_rotate(struct capture_writer *w)
{
	struct ipcd_capture_header h;
	struct chunk *c;

	if (!strcmp(w->path, "-"))
		return false;
	fill_header(&h, w->mono_to_real_ns);
	pthread_mutex_lock(&w->lock);
	c = new_chunk(w, true);
	if (c) {
		memcpy(c->data, &h, sizeof(h));
		c->used = sizeof(h);
		w->queued += sizeof(h);
		w->file_bytes = sizeof(h);
		pthread_cond_signal(&w->more);
	}
	pthread_mutex_unlock(&w->lock);
	if (c)
		add_schema(w);
	return c != NULL;
}

static void add_schema(struct capture_writer *w)
{
	size_t size;
	void *schema = schema_record(&size);

	if (schema)
		capture_writer_add(w, schema, size);
	free(schema);
}

void capture_writer_flush(struct capture_writer *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->head) {
		w->flushing = true;
		pthread_cond_signal(&w->more);
	}
	pthread_mutex_unlock(&w->lock);
}

uint64_t capture_writer_file_bytes(const struct capture_writer *w)
{
	return w ? w->file_bytes : 0;
}

bool capture_writer_add(struct capture_writer *w, const void *rec, size_t size)
{
	struct chunk *c;
	bool wake = false;

	if (size > CAPTURE_CHUNK)
		return false;
	pthread_mutex_lock(&w->lock);
	if (w->queued + size > CAPTURE_QUEUE_MAX) {
		w->dropped++;
		pthread_mutex_unlock(&w->lock);
		return false;
	}
	c = w->tail;
	if (!c || c->used + size > CAPTURE_CHUNK) {
		wake = c != NULL;  /* the previous chunk is full: the writer may take it */
		c = new_chunk(w, false);
		if (!c) {
			w->dropped++;
			pthread_mutex_unlock(&w->lock);
			return false;
		}
	}
	memcpy(c->data + c->used, rec, size);
	c->used += size;
	w->queued += size;
	w->file_bytes += size;
	if (((const struct ipcd_record_header *)rec)->kind != IPCD_REC_SCHEMA) {
		w->records++;
		c->records++;
	}
	if (wake)
		pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	return true;
}

int capture_writer_end(struct capture_writer *w)
{
	if (!w)
		return 0;
	if (!w->ended) {
		pthread_mutex_lock(&w->lock);
		w->closing = true;
		pthread_cond_signal(&w->more);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		w->ended = true;
		close_file(w);
	}
	return w->error;
}

int capture_writer_close(struct capture_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = capture_writer_end(w);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->more);
	writer_free(w);
	return rc;
}

uint64_t capture_writer_records(const struct capture_writer *w)
{
	return w ? w->records : 0;
}

uint64_t capture_writer_dropped(const struct capture_writer *w)
{
	return w ? w->dropped : 0;
}

void capture_writer_refusals(struct capture_writer *w, struct capture_writer_refusals *r)
{
	pthread_mutex_lock(&w->lock);
	*r = w->refusals;
	pthread_mutex_unlock(&w->lock);
}

/* ---- channels of records (the filter mode) ------------------------------- */

bool capture_record_channel(const void *data, size_t size, uint64_t *key)
{
	const struct ipcd_family_record *rk = ipcd_family_record_of(((const struct ipcd_record_header *)data)->kind);

	return rk && rk->channel_key && rk->channel_key(data, size, key);
}

/* ---- reading ---------------------------------------------------------- */

struct capture_reader {
	FILE *in;
	const char *path;
	struct ipcd_capture_header header;
	uint8_t *buf;
};

/* A directory opens for reading, and only the first read fails: say so before that. */
static bool is_directory(FILE *f)
{
	struct stat st;

	return !fstat(fileno(f), &st) && S_ISDIR(st.st_mode);
}

/*
 * The header's first fields (magic, versions, byte order, header size)
 * are read and checked before the rest, so that a header of another size
 * is named as such, not as another format.
 */
static bool check_header(struct capture_reader *r, char *err, size_t errlen)
{
	size_t head = offsetof(struct ipcd_capture_header, mono_to_real_ns);
	size_t got = fread(&r->header, 1, head, r->in);

	if (got < head || memcmp(r->header.magic, IPCD_CAPTURE_MAGIC, sizeof(IPCD_CAPTURE_MAGIC))) {
		snprintf(err, errlen, "%s: not an ipcdump capture file", r->path);
	} else if (r->header.bom != IPCD_CAPTURE_BOM) {
		snprintf(err, errlen, "%s: written on a machine of the other byte order", r->path);
	} else if (r->header.version != IPCD_CAPTURE_VERSION || r->header.abi != IPCD_ABI_VERSION) {
		snprintf(err, errlen, "%s: capture format %" PRIu32 " (records %" PRIu32 ") is not the one this "
			 "ipcdump reads (%d, records %d)", r->path, r->header.version, r->header.abi,
			 IPCD_CAPTURE_VERSION, IPCD_ABI_VERSION);
	} else if (r->header.header_size != sizeof(r->header)) {
		snprintf(err, errlen, "%s: damaged capture: header of %" PRIu32 " bytes, expected %zu", r->path,
			 r->header.header_size, sizeof(r->header));
	} else if (fread((char *)&r->header + head, 1, sizeof(r->header) - head, r->in) != sizeof(r->header) - head) {
		snprintf(err, errlen, "%s: truncated header", r->path);
	} else {
		return true;
	}
	return false;
}

struct capture_reader *capture_reader_open(const char *path, char *err, size_t errlen)
{
	struct capture_reader *r = calloc(1, sizeof(*r));
	FILE *raw;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->path = path;
	raw = strcmp(path, "-") ? fopen(path, "rbe") : stdin;
	if (!raw) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		free(r);
		return NULL;
	}
	if (is_directory(raw)) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(EISDIR));
		fclose(raw);
		free(r);
		return NULL;
	}
	/* records are read one by one: a big buffer makes that a memcpy, not a read(2) per 4 KiB */
	setvbuf(raw, NULL, _IOFBF, READ_BUFFER);
	/* zstd-compressed files (-z) read like the others */
	r->in = zstd_file_reader(raw);
	if (!r->in) {
		snprintf(err, errlen, "cannot read %s: out of memory", path);
		if (raw != stdin)
			fclose(raw);
		free(r);
		return NULL;
	}
	if (!check_header(r, err, errlen)) {
		/* said */
	} else if (!(r->buf = malloc(IPCD_CAPTURE_RECORD_MAX))) {
		snprintf(err, errlen, "out of memory");
	} else {
		return r;
	}
	capture_reader_close(r);
	return NULL;
}

const struct ipcd_capture_header *capture_reader_header(const struct capture_reader *r)
{
	return &r->header;
}

/* This build's size of a record kind, or 0 for a kind it does not know. */
static size_t known_record_size(unsigned int kind)
{
	const struct ipcd_family_record *rk = kind <= RECORD_KIND_MAX ? record_kind(kind) : NULL;

	return rk ? rk->min_size : 0;
}

/*
 * A schema that gives a known kind another size than this build's is a
 * file of another layout (or a damaged one): its records cannot be
 * trusted, so it is refused.  Kinds this build does not know are skipped,
 * as their records are.
 */
static bool schema_agrees(const void *rec, size_t size, char *why, size_t whylen)
{
	const struct ipcd_schema *schema = rec;
	const char *line, *end;

	if (size < sizeof(*schema) || schema->text_len > size - sizeof(*schema)) {
		snprintf(why, whylen, "schema of %zu bytes holds no %" PRIu32 " bytes of text", size,
			 size < sizeof(*schema) ? 0 : schema->text_len);
		return false;
	}
	end = schema->text + schema->text_len;
	for (line = schema->text; line < end;) {
		const char *eol = memchr(line, '\n', end - line);
		char text[128], name[64];
		unsigned int kind;
		size_t rec_size, want;

		if (!eol)
			eol = end;
		snprintf(text, sizeof(text), "%.*s", (int)(eol - line), line);
		line = eol + 1;
		if (sscanf(text, "%u %63s %zu", &kind, name, &rec_size) != 3) {
			snprintf(why, whylen, "schema line '%.60s' is not KIND NAME SIZE", text);
			return false;
		}
		want = known_record_size(kind);
		if (want && rec_size != want) {
			snprintf(why, whylen, "the schema gives %s (kind %u) %zu bytes, this ipcdump's are %zu", name,
				 kind, rec_size, want);
			return false;
		}
	}
	return true;
}

int capture_reader_run(struct capture_reader *r, capture_record_fn fn, void *ctx, char *err, size_t errlen)
{
	uint64_t offset = sizeof(r->header);
	struct ipcd_record_header *hdr = (struct ipcd_record_header *)r->buf;

	for (;;) {
		size_t got = fread(hdr, 1, sizeof(*hdr), r->in);
		int rc;

		if (got == 0 && ferror(r->in)) {
			snprintf(err, errlen, "%s: cannot decompress at offset %" PRIu64, r->path, offset);
			return -1;
		}
		if (got == 0 && feof(r->in))
			return 0;
		if (got < sizeof(*hdr)) {
			snprintf(err, errlen, "%s: truncated record at offset %" PRIu64, r->path, offset);
			return -1;
		}
		if (hdr->size < sizeof(*hdr)) {
			snprintf(err, errlen, "%s: corrupt record (size %u) at offset %" PRIu64, r->path, hdr->size,
				 offset);
			return -1;
		}
		if (fread(r->buf + sizeof(*hdr), 1, hdr->size - sizeof(*hdr), r->in) != hdr->size - sizeof(*hdr)) {
			snprintf(err, errlen, "%s: truncated record at offset %" PRIu64, r->path, offset);
			return -1;
		}
		/* the schema describes the records; the callers want the records */
		if (hdr->kind == IPCD_REC_SCHEMA) {
			char why[256];

			if (!schema_agrees(r->buf, hdr->size, why, sizeof(why))) {
				snprintf(err, errlen, "%s: damaged or incompatible capture at offset %" PRIu64 ": %s",
					 r->path, offset, why);
				return -1;
			}
			rc = 0;
		} else {
			rc = fn(ctx, r->buf, hdr->size);
		}
		if (rc)
			return rc;
		offset += hdr->size;
	}
}

void capture_reader_close(struct capture_reader *r)
{
	if (!r)
		return;
	/* closes the file too, unless it is stdin */
	if (r->in)
		fclose(r->in);
	free(r->buf);
	free(r);
}
