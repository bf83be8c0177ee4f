// SPDX-License-Identifier: GPL-2.0
/*
 * A capture output: the capture writer that ipcdump -w uses, given the
 * output's path, rotation and compression instead of the command line's.
 * compress: zstd compresses every file as it is written, the live one
 * too (as -z does): a capture is read with ipcdump -r, which tells a
 * compressed file by its magic, never with tail -f.
 */
#include "daemon/capture_output.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "sinks/sinks.h"
#include "util/rotate_files.h"

/* A capture file starts with its header: a new run cannot append to the last one's, so that one moves to PATH.1. */
static int keep_earlier_capture(const struct ipcdd_output *out)
{
	struct stat st;

	if (stat(out->path, &st) || !S_ISREG(st.st_mode) || st.st_size == 0)
		return 0;
	return rotate_files_shift(out->path, out->rotate_keep);
}

struct ipcd_sink *ipcdd_capture_output_new(const struct ipcdd_output *out, FILE *err)
{
	struct ipcd_capture_target t = {
		.path = out->path,
		.rotate_bytes = out->rotate_size,
		.rotate_secs = out->rotate_interval,
		.keep = out->rotate_keep,
		.compress = out->compress,
		.mode = out->mode,
	};
	struct ipcd_sink *s;
	int rc = keep_earlier_capture(out);

	if (rc) {
		fprintf(err, "ipcdumpd: error: cannot rotate %s: %s\n", out->path, strerror(-rc));
		return NULL;
	}
	if (!(s = ipcd_capture_sink_to(&t)))
		fprintf(err, "ipcdumpd: error: out of memory\n");
	return s;
}
