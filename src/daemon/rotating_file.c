// SPDX-License-Identifier: GPL-2.0
/*
 * Events wait in a small queue and go out in one write(2) each batch.  A
 * write that the disk cuts short (ENOSPC) is undone with ftruncate, so the
 * file only ever holds whole events; the queue is kept and tried again at
 * the next tick, and once it is full new events are dropped and counted.
 * The live file stays plain even with compress: zstd, so that tail -f and
 * grep read it while it grows; only rotated files are compressed, by a
 * thread, so that the sink never waits on the compressor.
 */
#include "daemon/rotating_file.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/noun.h"
#include "util/rotate_files.h"

#define QUEUE_WRITE_AT (16u << 10)  /* a write per this much: few syscalls, little held back */
#define QUEUE_MAX (64u << 10)       /* past this, while the disk refuses, events are dropped */
#define NS_PER_SEC 1000000000ull

struct rotating_file {
	struct rotating_file_options o;
	char *path;
	int fd;                   /* -1: not open (could not be recreated); tried again each tick */
	dev_t dev;
	ino_t ino;                /* of what fd has open: the path naming another file means it moved */
	uint64_t file_bytes;      /* written to the current file */
	char *queue;              /* whole events waiting for a write */
	size_t queued, cap;
	uint64_t queued_events;
	bool refusing;            /* writes fail: said once, and once again when they work */
	bool hold;                /* the last write failed: none tried again before the next tick */
	uint64_t dropped_while_refused;
	uint64_t now_ns, file_start_ns;  /* by the ticks' clock; interval rotation counts from file_start */
	pthread_t compressor;
	bool compressing;
};

static int open_path(struct rotating_file *f)
{
	struct stat st;
	int fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, f->o.mode);

	/* the output's mode whatever the umask: events hold payloads */
	if (fd < 0 || fchmod(fd, f->o.mode) || fstat(fd, &st)) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		return -saved;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->file_bytes = (uint64_t)st.st_size;
	return 0;
}

static void close_fd(struct rotating_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static void note_refused(struct rotating_file *f, int err)
{
	if (!f->refusing)
		fprintf(stderr, "ipcdumpd: warning: cannot write %s: %s; its events are dropped and counted "
			"until it can\n", f->path, strerror(err));
	f->refusing = true;
	f->hold = true;
}

static void note_recovered(struct rotating_file *f)
{
	if (f->dropped_while_refused)
		fprintf(stderr, "ipcdumpd: note: writing %s again; %" PRIu64 " %s dropped while it could not\n",
			f->path, f->dropped_while_refused, noun_for(f->dropped_while_refused, "event", "events"));
	f->refusing = false;
	f->dropped_while_refused = 0;
}

/* A write cut short left part of an event at end: cut it off, or, if that fails, finish it later. */
static void undo_short_write(struct rotating_file *f, off_t end, size_t written)
{
	f->file_bytes = end < 0 ? 0 : (uint64_t)end;
	if (!written || (end >= 0 && !ftruncate(f->fd, end)))
		return;
	memmove(f->queue, f->queue + written, f->queued - written);
	f->queued -= written;
	f->file_bytes += written;
}

/* The queue, all of it or none; false if the file refused it (the queue is kept). */
static bool write_queue(struct rotating_file *f)
{
	size_t written = 0;
	off_t end;

	if (!f->queued)
		return true;
	if (f->fd < 0) {
		note_refused(f, ENOENT);
		return false;
	}
	/* where the file ends now: someone may have truncated it (logrotate's copytruncate); a FIFO has no end */
	if ((end = lseek(f->fd, 0, SEEK_END)) < 0 && errno != ESPIPE) {
		note_refused(f, errno);
		return false;
	}
	while (written < f->queued) {
		/* a short write, then one that fails: the second says why (ENOSPC, EFBIG, EDQUOT) */
		ssize_t n = write(f->fd, f->queue + written, f->queued - written);

		if (n <= 0)
			break;
		written += (size_t)n;
	}
	if (written == f->queued) {
		f->file_bytes = end < 0 ? 0 : (uint64_t)end + written;
		f->queued = 0;
		f->queued_events = 0;
		if (f->refusing)
			note_recovered(f);
		return true;
	}
	note_refused(f, errno ? errno : EIO);
	undo_short_write(f, end, written);
	return false;
}

static void *compress_main(void *arg)
{
	char *name = arg;
	int rc = rotate_files_compress(name);

	if (rc)
		fprintf(stderr, "ipcdumpd: warning: cannot compress %s: %s; it is kept as it is\n", name,
			strerror(-rc));
	free(name);
	return NULL;
}

static void wait_for_compressor(struct rotating_file *f)
{
	if (f->compressing)
		pthread_join(f->compressor, NULL);
	f->compressing = false;
}

/* PATH.1, just rotated, to PATH.1.zst in the background (here if no thread can start). */
static void compress_rotated(struct rotating_file *f)
{
	size_t size = strlen(f->path) + 3;
	char *name = malloc(size);

	if (!name)
		return;
	snprintf(name, size, "%s.1", f->path);
	if (pthread_create(&f->compressor, NULL, compress_main, name))
		compress_main(name);
	else
		f->compressing = true;
}

/* The current file becomes PATH.1 (older ones move up) and a new one starts at PATH. */
static void rotate(struct rotating_file *f)
{
	int rc;

	/* while the disk refuses, a rotation would only make empty files and push real ones out of keep */
	if (f->hold || !write_queue(f))
		return;
	/* the last rotated file must be PATH.1.zst before the names move */
	wait_for_compressor(f);
	close_fd(f);
	rc = rotate_files_shift(f->path, f->o.keep);
	if (rc)
		fprintf(stderr, "ipcdumpd: warning: rotating %s: %s\n", f->path, strerror(-rc));
	if ((rc = open_path(f)))
		note_refused(f, -rc);
	if (f->o.compress)
		compress_rotated(f);
	f->file_start_ns = f->now_ns;
}

struct rotating_file *rotating_file_open(const struct rotating_file_options *o)
{
	struct rotating_file *f = calloc(1, sizeof(*f));
	int rc;

	if (!f || !(f->path = strdup(o->path))) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	f->o = *o;
	f->o.path = f->path;
	f->fd = -1;
	if ((rc = open_path(f))) {
		free(f->path);
		free(f);
		errno = -rc;
		return NULL;
	}
	return f;
}

static bool queue_append(struct rotating_file *f, const char *text, size_t len)
{
	if (f->queued + len > f->cap) {
		size_t cap = f->queued + len > QUEUE_MAX ? f->queued + len : QUEUE_MAX;
		char *grown = realloc(f->queue, cap);

		if (!grown)
			return false;
		f->queue = grown;
		f->cap = cap;
	}
	memcpy(f->queue + f->queued, text, len);
	f->queued += len;
	f->queued_events++;
	return true;
}

int rotating_file_add(struct rotating_file *f, const char *text, size_t len)
{
	if (f->queued + len > QUEUE_MAX && !f->hold)
		write_queue(f);
	/* one event bigger than the queue still goes, alone */
	if (f->queued && f->queued + len > QUEUE_MAX) {
		f->dropped_while_refused++;
		return -EAGAIN;
	}
	if (!queue_append(f, text, len))
		return -ENOMEM;
	if (f->queued >= QUEUE_WRITE_AT && !f->hold)
		write_queue(f);
	if (f->o.rotate_size && f->file_bytes + f->queued >= f->o.rotate_size)
		rotate(f);
	return 0;
}

bool rotating_file_at_start(const struct rotating_file *f)
{
	return !f->file_bytes && !f->queued;
}

/* Deleted (no link left) or moved away (the path names another file, or none): open the path again. */
static bool file_gone(const struct rotating_file *f)
{
	struct stat st;

	if (f->fd < 0)
		return true;
	if (!fstat(f->fd, &st) && st.st_nlink == 0)
		return true;
	return stat(f->path, &st) || st.st_dev != f->dev || st.st_ino != f->ino;
}

/* The file's size as it is: someone may have truncated it (logrotate's copytruncate). */
static void sync_size(struct rotating_file *f)
{
	struct stat st;

	if (f->fd >= 0 && !fstat(f->fd, &st))
		f->file_bytes = (uint64_t)st.st_size;
}

static void recreate_if_gone(struct rotating_file *f)
{
	struct stat st;
	bool deleted = f->fd >= 0 && !fstat(f->fd, &st) && st.st_nlink == 0;
	int rc;

	if (!file_gone(f))
		return;
	if (f->fd >= 0) {
		if (deleted)
			fprintf(stderr, "ipcdumpd: warning: %s was deleted; writing a new one\n", f->path);
		else
			write_queue(f);  /* moved away by hand: what it took before goes with it */
		close_fd(f);
	}
	if ((rc = open_path(f)))
		note_refused(f, -rc);
}

void rotating_file_tick(struct rotating_file *f, uint64_t now_ns)
{
	f->now_ns = now_ns;
	if (!f->file_start_ns)
		f->file_start_ns = now_ns;
	recreate_if_gone(f);
	f->hold = false;  /* a new tick, a new try */
	sync_size(f);
	write_queue(f);
	if (f->o.rotate_secs && now_ns - f->file_start_ns >= f->o.rotate_secs * NS_PER_SEC) {
		/* an empty file is not worth a rotated name: it would push a real one out of keep */
		if (!rotating_file_at_start(f))
			rotate(f);
		f->file_start_ns = now_ns;
	}
}

void rotating_file_reopen(struct rotating_file *f)
{
	int rc;

	write_queue(f);
	close_fd(f);
	if ((rc = open_path(f)))
		note_refused(f, -rc);
}

uint64_t rotating_file_flush(struct rotating_file *f)
{
	uint64_t lost;

	recreate_if_gone(f);
	f->hold = false;
	if (write_queue(f))
		return 0;
	lost = f->queued_events;
	f->queued = 0;
	f->queued_events = 0;
	return lost;
}

int rotating_file_close(struct rotating_file *f)
{
	int rc = 0;

	if (!f)
		return 0;
	write_queue(f);
	wait_for_compressor(f);
	if (f->fd >= 0 && close(f->fd))
		rc = -errno;
	free(f->queue);
	free(f->path);
	free(f);
	return rc;
}
