/* SPDX-License-Identifier: GPL-2.0 */
#include "util/rotate_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util/zstd_file.h"

/* PATH.index, with ".zst" if zst. */
static void numbered(char *name, size_t size, const char *path, uint32_t index, bool zst)
{
	snprintf(name, size, "%s.%u%s", path, index, zst ? ".zst" : "");
}

static bool numbered_exists(const char *path, uint32_t index)
{
	char name[PATH_MAX];
	struct stat st;

	numbered(name, sizeof(name), path, index, false);
	if (!lstat(name, &st))
		return true;
	numbered(name, sizeof(name), path, index, true);
	return !lstat(name, &st);
}

/* Both spellings of PATH.from (plain, or left plain by a stop mid-compression) move to PATH.to. */
static int move_numbered(const char *path, uint32_t from, uint32_t to)
{
	char old_name[PATH_MAX], new_name[PATH_MAX];
	int rc = 0;

	for (int zst = 0; zst <= 1; zst++) {
		numbered(old_name, sizeof(old_name), path, from, zst);
		numbered(new_name, sizeof(new_name), path, to, zst);
		if (rename(old_name, new_name) && errno != ENOENT && !rc)
			rc = -errno;
	}
	return rc;
}

static void remove_numbered(const char *path, uint32_t index)
{
	char name[PATH_MAX];

	for (int zst = 0; zst <= 1; zst++) {
		numbered(name, sizeof(name), path, index, zst);
		unlink(name);
	}
}

int rotate_files_shift(const char *path, uint32_t keep)
{
	char first[PATH_MAX];
	uint32_t last = 0;
	int rc = 0;

	while (last < UINT32_MAX - 1 && numbered_exists(path, last + 1))
		last++;
	for (uint32_t i = last; i >= 1; i--) {
		int moved;

		if (keep && i >= keep) {
			remove_numbered(path, i);
			continue;
		}
		moved = move_numbered(path, i, i + 1);
		if (moved && !rc)
			rc = moved;
	}
	numbered(first, sizeof(first), path, 1, false);
	if (rename(path, first) && errno != ENOENT && !rc)
		rc = -errno;
	return rc;
}

/* Copies in through the compressor into out; 0 or -errno. */
static int compress_stream(FILE *in, FILE *out)
{
	char buf[64 * 1024];
	size_t got;

	while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, got, out) != got)
			return -(errno ? errno : EIO);
	return ferror(in) ? -(errno ? errno : EIO) : 0;
}

int rotate_files_compress(const char *src)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	FILE *in = fopen(src, "rb"), *raw = NULL, *out = NULL;
	struct stat st;
	int fd = -1, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.zst.tmp", src);
	snprintf(dst, sizeof(dst), "%s.zst", src);
	if (!in || fstat(fileno(in), &st))
		rc = -errno;
	/* the rotated file's mode from the start: it holds the same payloads */
	else if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777)) < 0 ||
		 fchmod(fd, st.st_mode & 07777) || !(raw = fdopen(fd, "wb")))
		rc = -errno;
	else if (!(out = zstd_file_writer(raw)))
		rc = -ENOMEM;
	else
		rc = compress_stream(in, out);
	if (out) {
		if (fclose(out) && !rc)
			rc = -(errno ? errno : EIO);
	} else if (raw) {
		fclose(raw);
	} else if (fd >= 0) {
		close(fd);
	}
	if (in)
		fclose(in);
	if (!rc && rename(tmp, dst))
		rc = -errno;
	if (rc)
		unlink(tmp);
	else
		unlink(src);
	return rc;
}
