/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rotated files named as logrotate names them: PATH is the live file,
 * PATH.1 the newest rotated one, PATH.2 the one before, ...; a rotated
 * file may be compressed (PATH.1.zst).  The live file keeps its name, so
 * `tail -F PATH` follows the output across rotations.
 */
#ifndef IPCD_UTIL_ROTATE_FILES_H
#define IPCD_UTIL_ROTATE_FILES_H

#include <stdint.h>

/*
 * Makes room for a newly rotated file: PATH.N[.zst] becomes PATH.N+1[.zst],
 * oldest first, those that would pass keep are deleted (keep 0: all kept),
 * then PATH becomes PATH.1.  0, or -errno of the first rename that failed.
 */
int rotate_files_shift(const char *path, uint32_t keep);

/*
 * src compressed into src.zst (written as src.zst.tmp and renamed when
 * whole, with src's mode), then src removed.  0, or -errno (src is then kept).
 */
int rotate_files_compress(const char *src);

#endif /* IPCD_UTIL_ROTATE_FILES_H */
