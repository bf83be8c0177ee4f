/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The file under a file output: takes whole events (one or more lines of
 * text each) and writes them with write(2) in whole events, never half of
 * one, so that a full disk drops events rather than cutting a line.  It
 * rotates by size and interval (logrotate's names: util/rotate_files.h),
 * compresses rotated files with zstd in the background, recreates its file
 * when it is deleted, and reopens it on request (SIGUSR1).
 */
#ifndef IPCD_DAEMON_ROTATING_FILE_H
#define IPCD_DAEMON_ROTATING_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rotating_file_options {
	const char *path;
	uint32_t mode;         /* of the files it creates, whatever the umask */
	uint64_t rotate_size;  /* bytes, 0: never */
	uint64_t rotate_secs;  /* 0: never */
	uint32_t keep;         /* rotated files kept, 0: all */
	bool compress;         /* rotated files to PATH.N.zst */
};

struct rotating_file;

/* Opens (appends to) path; NULL with errno set. */
struct rotating_file *rotating_file_open(const struct rotating_file_options *o);
/*
 * One whole event's text, queued and written with the ones before it.
 * 0; -EAGAIN: dropped, for the file refuses writes and the queue is full;
 * -ENOMEM: dropped, no memory.
 */
int rotating_file_add(struct rotating_file *f, const char *text, size_t len);
/* Nothing in the current file yet, written or queued (a CSV header goes first). */
bool rotating_file_at_start(const struct rotating_file *f);
/* Every so often, by the run's clock: writes what waits, rotates by interval, recreates a deleted file. */
void rotating_file_tick(struct rotating_file *f, uint64_t now_ns);
/* SIGUSR1: what waits goes to the old file, then the path is opened again (logrotate moved it). */
void rotating_file_reopen(struct rotating_file *f);
/* Writes what waits; the number of events that could not be written (the disk is still full). */
uint64_t rotating_file_flush(struct rotating_file *f);
/* Closes and frees; -errno of a failed close, or 0. */
int rotating_file_close(struct rotating_file *f);

#endif /* IPCD_DAEMON_ROTATING_FILE_H */
