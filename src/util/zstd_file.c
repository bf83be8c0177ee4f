/* SPDX-License-Identifier: GPL-2.0 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "util/zstd_file.h"

#define ZSTD_MAGIC "\x28\xb5\x2f\xfd"

struct zwriter {
	FILE *raw;
	ZSTD_CCtx *cctx;
	void *buf;
	size_t cap;
};

/* Runs the compressor over in (may be empty) and writes what it gives out. */
static int compress_out(struct zwriter *z, ZSTD_inBuffer *in, ZSTD_EndDirective mode)
{
	size_t left;

	do {
		ZSTD_outBuffer out = { z->buf, z->cap, 0 };

		left = ZSTD_compressStream2(z->cctx, &out, in, mode);
		if (ZSTD_isError(left) || fwrite(z->buf, 1, out.pos, z->raw) != out.pos)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in->pos < in->size);
	return 0;
}

static ssize_t zw_write(void *cookie, const char *data, size_t len)
{
	struct zwriter *z = cookie;
	ZSTD_inBuffer in = { data, len, 0 };

	if (compress_out(z, &in, ZSTD_e_continue)) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)len;
}

static int zw_close(void *cookie)
{
	struct zwriter *z = cookie;
	ZSTD_inBuffer in = { NULL, 0, 0 };
	int rc = compress_out(z, &in, ZSTD_e_end);

	if (fclose(z->raw))
		rc = -1;
	ZSTD_freeCCtx(z->cctx);
	free(z->buf);
	free(z);
	return rc;
}

FILE *zstd_file_writer(FILE *raw)
{
	struct zwriter *z = calloc(1, sizeof(*z));
	cookie_io_functions_t io = { .write = zw_write, .close = zw_close };
	FILE *f;

	if (!z)
		return NULL;
	z->raw = raw;
	z->cctx = ZSTD_createCCtx();
	z->cap = ZSTD_CStreamOutSize();
	z->buf = malloc(z->cap);
	if (!z->cctx || !z->buf || (f = fopencookie(z, "w", io)) == NULL) {
		ZSTD_freeCCtx(z->cctx);
		free(z->buf);
		free(z);
		return NULL;
	}
	return f;
}

struct zreader {
	FILE *raw;
	ZSTD_DCtx *dctx;         /* NULL: not compressed */
	unsigned char *in;
	size_t in_cap;
	ZSTD_inBuffer buf;       /* compressed input not yet used */
	bool eof;
	bool mid_frame;          /* the last frame is not whole yet: an end here is a cut file */
};

static ssize_t zr_read(void *cookie, char *data, size_t len)
{
	struct zreader *z = cookie;
	ZSTD_outBuffer out = { data, len, 0 };

	while (out.pos == 0) {
		size_t ret;

		if (z->buf.pos == z->buf.size) {
			if (!z->eof) {
				z->buf.size = fread(z->in, 1, z->in_cap, z->raw);
				z->buf.pos = 0;
				z->eof = z->buf.size == 0;
			}
			if (z->eof && z->mid_frame) {
				errno = EIO;
				return -1;
			}
			if (z->eof)
				return 0;
		}
		if (!z->dctx) {
			size_t n = z->buf.size - z->buf.pos < len ? z->buf.size - z->buf.pos : len;

			memcpy(data, (const char *)z->buf.src + z->buf.pos, n);
			z->buf.pos += n;
			return (ssize_t)n;
		}
		ret = ZSTD_decompressStream(z->dctx, &out, &z->buf);
		if (ZSTD_isError(ret)) {
			errno = EIO;
			return -1;
		}
		/* a file is whole frames: one cut short is damage, not the end */
		z->mid_frame = ret != 0;
	}
	return (ssize_t)out.pos;
}

static int zr_close(void *cookie)
{
	struct zreader *z = cookie;
	int rc = z->raw != stdin ? fclose(z->raw) : 0;

	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
	return rc;
}

FILE *zstd_file_reader(FILE *raw)
{
	struct zreader *z = calloc(1, sizeof(*z));
	cookie_io_functions_t io = { .read = zr_read, .close = zr_close };
	FILE *f;

	if (!z)
		return NULL;
	z->raw = raw;
	z->in_cap = ZSTD_DStreamInSize();
	z->in = malloc(z->in_cap);
	if (!z->in)
		goto fail;
	/* the first bytes say whether it is compressed; they stay the first input */
	z->buf.src = z->in;
	z->buf.size = fread(z->in, 1, 4, raw);
	z->buf.pos = 0;
	if (z->buf.size == 4 && !memcmp(z->in, ZSTD_MAGIC, 4) && !(z->dctx = ZSTD_createDCtx()))
		goto fail;
	f = fopencookie(z, "r", io);
	if (f)
		return f;
fail:
	ZSTD_freeDCtx(z->dctx);
	free(z->in);
	free(z);
	return NULL;
}
