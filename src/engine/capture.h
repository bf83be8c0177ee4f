/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture files (-w, -r): the kernel's records as they came, so that
 * reading a file back runs them through the same joins, filters and
 * outputs as live tracing.
 *
 * Format: a header (struct ipcd_capture_header: magic, format and record
 * ABI versions, a byte-order mark, host, kernel, the offset from the
 * capturing machine's CLOCK_MONOTONIC to wall time), a schema record (the
 * record kinds, their names and sizes), then records exactly as in
 * records.h, each self-delimiting by its header's size.  Numbers are in
 * the capturing machine's byte order, which the mark records; a reader of
 * the other order refuses the file.  A capture opens with one process
 * record per process alive at the start, so names resolve on reading.
 */
#ifndef IPCD_CAPTURE_H
#define IPCD_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IPCD_CAPTURE_MAGIC "IPCDCAP"
#define IPCD_CAPTURE_VERSION 1
#define IPCD_CAPTURE_BOM 0x01020304u
/* A record's size is 16 bits: no record is bigger. */
#define IPCD_CAPTURE_RECORD_MAX (1u << 16)

struct ipcd_capture_header {
	char magic[8];            /* "IPCDCAP\\0" */
	uint32_t version;         /* IPCD_CAPTURE_VERSION */
	uint32_t abi;             /* IPCD_ABI_VERSION of the records */
	uint32_t bom;             /* IPCD_CAPTURE_BOM as the writer stored it */
	uint32_t header_size;     /* sizeof this struct, for later versions to grow */
	int64_t mono_to_real_ns;  /* add to a record's ts_ns for wall time */
	uint64_t created_ns;      /* wall time of the capture's start */
	char host[64];
	char kernel[64];
};

/* ---- writing ---------------------------------------------------------- */

struct capture_writer;

/* Creates (or truncates) path for writing, mode 0600 if new: what ipcdump writes holds payloads. */
FILE *capture_create_private(const char *path);

/*
 * path "-": stdout.  A thread writes, so tracing never waits on the disk.
 * compress: the file is zstd frames, one per write (the reader tells by
 * its magic; zstd -d reads them as one stream).
 */
struct capture_writer *capture_writer_open(const char *path, int64_t mono_to_real_ns, bool compress, char *err,
					   size_t errlen);
/* How a writer makes its files, beyond capture_writer_open's defaults. */
struct capture_writer_options {
	bool compress;      /* each file one zstd stream */
	uint32_t mode;      /* of the files it creates, whatever the umask; 0: 0600 */
	/*
	 * At a rotation, in the writer's thread, once the current file is
	 * closed: renames it out of the way (logrotate's PATH.1, ...); the
	 * next file is then path again.  NULL: the next files are path.1,
	 * path.2, ... (tcpdump's -C).
	 */
	void (*before_next)(void *ctx, const char *path);
	void *ctx;
};

/* capture_writer_open, with its files made as o says. */
struct capture_writer *capture_writer_open_with(const char *path, int64_t mono_to_real_ns,
						const struct capture_writer_options *o, char *err, size_t errlen);
/* Queues one record (copied); false if it had to be dropped (the disk is too slow). */
bool capture_writer_add(struct capture_writer *w, const void *rec, size_t size);
/*
 * Ends the current file and starts the next (path.1, path.2, ...) with its
 * own header; the caller then adds what a file opens with (the process
 * snapshot).  false for stdout.
 */
bool capture_writer_rotate(struct capture_writer *w);
/*
 * What is queued goes to the file now rather than when a chunk fills (a
 * service that writes a capture for days); it returns without waiting.
 */
void capture_writer_flush(struct capture_writer *w);
/* Bytes queued for the current file so far, its header included. */
uint64_t capture_writer_file_bytes(const struct capture_writer *w);
/*
 * Writes what is queued and ends the writer's thread; its counts stay
 * readable until the close.  0, or -errno of the first error that broke a
 * file (a write that could not be cut back, a close); a full disk is not
 * one: see capture_writer_refusals.
 */
int capture_writer_end(struct capture_writer *w);
/* capture_writer_end, then frees it; the same return. */
int capture_writer_close(struct capture_writer *w);
/* Records queued (the schema not counted), written or not. */
uint64_t capture_writer_records(const struct capture_writer *w);
/* Records dropped because the queue was full (the disk too slow). */
uint64_t capture_writer_dropped(const struct capture_writer *w);

/*
 * A full disk: each write goes in whole or is cut back to where the file
 * ended, so a file holds whole records only (a compressed one whole zstd
 * frames); the records of a refused write are dropped and counted, and
 * writing resumes when space returns.  A file's header is never dropped:
 * it waits, and what follows it is dropped until it is written.
 */
struct capture_writer_refusals {
	uint64_t records;   /* dropped because the file refused them */
	int now;            /* -errno while writes are refused; 0 once one went through */
	int last;           /* -errno of the last refusal (0: none yet) */
};
/* Safe while the writer runs. */
void capture_writer_refusals(struct capture_writer *w, struct capture_writer_refusals *r);

/*
 * The channel a data record belongs to, keyed as the events made of it
 * name theirs (struct ipcd_event.chan_key); false for what every capture
 * keeps (processes, names, paths, lifecycle).  The filter mode copies the
 * records of the channels with a matching event.
 */
bool capture_record_channel(const void *rec, size_t size, uint64_t *key);

/* ---- reading ---------------------------------------------------------- */

struct capture_reader;

typedef int (*capture_record_fn)(void *ctx, void *rec, size_t size);

/* Opens and checks the header; NULL with a one-line reason in err. */
struct capture_reader *capture_reader_open(const char *path, char *err, size_t errlen);
const struct ipcd_capture_header *capture_reader_header(const struct capture_reader *r);
/*
 * Hands every record (the schema excepted) to fn until the end (returns 0), fn returning
 * non-zero (returns it), or damage: every whole record before it is
 * handed over, then -1 with a one-line reason naming the offset in err.
 */
int capture_reader_run(struct capture_reader *r, capture_record_fn fn, void *ctx, char *err, size_t errlen);
void capture_reader_close(struct capture_reader *r);

#endif /* IPCD_CAPTURE_H */
