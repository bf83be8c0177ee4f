/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stdio streams through zstd (libzstd's streaming API behind fopencookie),
 * so that the capture writer and reader stay plain fwrite/fread code.
 */
#ifndef IPCD_ZSTD_FILE_H
#define IPCD_ZSTD_FILE_H

#include <stdio.h>

/* A stream that compresses what is written to it into raw; closing it ends the frame and closes raw. */
FILE *zstd_file_writer(FILE *raw);
/*
 * A stream reading raw: decompressed if raw starts with a zstd frame, as is
 * otherwise.  Closing it closes raw unless raw is stdin.
 */
FILE *zstd_file_reader(FILE *raw);

#endif /* IPCD_ZSTD_FILE_H */
