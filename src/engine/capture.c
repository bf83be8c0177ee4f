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
	bool next_file;       /* starts a new file (-C/-G): the writer moves on first */
	uint8_t data[CAPTURE_CHUNK];
};

struct capture_writer {
	FILE *out;
	bool own_out;
	char *path;                  /* the first file; the next ones are path.1, path.2, ... */
	bool compress;               /* zstd */
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
	size_t queued;               /* bytes in the chunks */
	bool closing;
	bool flushing;               /* capture_writer_flush: the chunk being filled goes out too */
	int error;                   /* first write error, -errno */
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

/* The writer thread closes one file and opens path.N: the chunk that follows starts with its header. */
/* Created (or truncated) with mode; forced: even an existing file's mode becomes mode. */
static FILE *create_with_mode(const char *path, uint32_t mode, bool forced)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f = NULL;

	if (fd < 0)
		return NULL;
	if (!forced || !fchmod(fd, mode))
		f = fdopen(fd, "wb");
	if (!f) {
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

/* path opened for writing ("-": stdout), through zstd if asked; mode 0: 0600 if new. */
static FILE *open_output(const char *path, bool compress, uint32_t mode)
{
	FILE *raw, *out;

	if (!strcmp(path, "-"))
		raw = stdout;
	else
		raw = mode ? create_with_mode(path, mode, true) : capture_create_private(path);
	if (!raw || !compress)
		return raw;
	out = zstd_file_writer(raw);
	if (!out && raw != stdout)
		fclose(raw);
	return out;
}

static void next_file(struct capture_writer *w)
{
	char name[4096];

	if (w->out && fclose(w->out) && !w->error)
		w->error = -(errno ? errno : EIO);
	if (w->before_next) {
		w->before_next(w->before_next_ctx, w->path);
		snprintf(name, sizeof(name), "%s", w->path);
		w->files++;
	} else {
		snprintf(name, sizeof(name), "%s.%u", w->path, w->files++);
	}
	w->out = open_output(name, w->compress, w->mode);
	if (!w->out && !w->error)
		w->error = -(errno ? errno : EIO);
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
		if (c->next_file)
			next_file(w);
		if (w->out && fwrite(c->data, 1, c->used, w->out) != c->used && !w->error)
			w->error = -(errno ? errno : EIO);
		free(c);
		pthread_mutex_lock(&w->lock);
		if (w->flushing && !w->head) {
			w->flushing = false;
			pthread_mutex_unlock(&w->lock);
			if (w->out && fflush(w->out) && !w->error)
				w->error = -(errno ? errno : EIO);
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (w->out && fflush(w->out) && !w->error)
		w->error = -(errno ? errno : EIO);
	return NULL;
}

static void add_schema(struct capture_writer *w);

struct capture_writer *capture_writer_open(const char *path, int64_t mono_to_real_ns, bool compress, char *err,
					   size_t errlen)
{
	struct capture_writer_options o = { .compress = compress };

	return capture_writer_open_with(path, mono_to_real_ns, &o, err, errlen);
}

struct capture_writer *capture_writer_open_with(const char *path, int64_t mono_to_real_ns,
						const struct capture_writer_options *o, char *err, size_t errlen)
{
	struct capture_writer *w = calloc(1, sizeof(*w));
	struct ipcd_capture_header h;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* compressed, even stdout is ours to close: the frame must end */
	w->own_out = strcmp(path, "-") != 0 || o->compress;
	w->compress = o->compress;
	w->mode = o->mode;
	w->before_next = o->before_next;
	w->before_next_ctx = o->ctx;
	w->out = open_output(path, o->compress, o->mode);
	w->files = 1;
	w->mono_to_real_ns = mono_to_real_ns;
	w->path = strdup(path);
	if (!w->out || !w->path) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (w->out && w->own_out)
			fclose(w->out);
		free(w->path);
		free(w);
		return NULL;
	}
	fill_header(&h, mono_to_real_ns);
	if (fwrite(&h, sizeof(h), 1, w->out) != 1) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		if (w->own_out)
			fclose(w->out);
		free(w->path);
		free(w);
		return NULL;
	}
	w->file_bytes = sizeof(h);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->more, NULL);
	add_schema(w);
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		snprintf(err, errlen, "cannot start the capture writer");
		if (w->own_out)
			fclose(w->out);
		free(w->path);
		free(w);
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
	w->records += ((const struct ipcd_record_header *)rec)->kind != IPCD_REC_SCHEMA;
	if (wake)
		pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	return true;
}

int capture_writer_close(struct capture_writer *w)
{
	int rc;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->closing = true;
	pthread_cond_signal(&w->more);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	rc = w->error;
	if (w->own_out && w->out && fclose(w->out) && !rc)
		rc = -errno;
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->more);
	free(w->path);
	free(w);
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
