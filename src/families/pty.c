/* SPDX-License-Identifier: GPL-2.0 */
/* Pseudo-terminals: a write into one side, reported when the other side is next read. */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <bpf/bpf.h>
#include "engine/family.h"
#include "ipcdump.skel.h"  /* after records.h, whose types it uses */
#include "families/channel_keys.h"
#include "families/pty_events.h"

static void *pty_new(const struct ipcd_family_env *env)
{
	return pty_events_new(env->emit, env->emit_ctx);
}

static void pty_free(void *state)
{
	pty_events_free(state);
}

static void on_pty_io(void *state, const void *rec, size_t size)
{
	pty_events_io(state, rec, size);
}

static bool pty_io_channel(const void *rec, size_t size, uint64_t *key)
{
	if (size < sizeof(struct ipcd_pty_io))
		return false;
	*key = ipcd_pty_io_channel(rec);
	return true;
}

static void pty_expire(void *state, uint64_t now_ns, uint64_t max_age_ns)
{
	pty_events_expire(state, now_ns, max_age_ns);
}

static void pty_flush(void *state)
{
	pty_events_flush(state);
}

static uint64_t pty_dropped(const void *state)
{
	return pty_events_dropped(state);
}

/* The pseudo-terminal number of fd, if it is one side of a pseudo-terminal. */
static bool pty_index_of(int fd, const struct stat *st, uint32_t *index)
{
	unsigned int major = major(st->st_rdev), minor = minor(st->st_rdev);
	unsigned int n;

	if (!S_ISCHR(st->st_mode))
		return false;
	/* slaves: majors 136-143, 256 each; the master: /dev/ptmx, 5:2 */
	if (major >= 136 && major < 144) {
		*index = (major - 136) * 256 + minor;
		return true;
	}
	if (major == 5 && minor == 2 && !ioctl(fd, TIOCGPTN, &n)) {
		*index = n;
		return true;
	}
	return false;
}

static void pty_ignore_fd(struct ipcdump_bpf *skel, int fd, const struct stat *st)
{
	uint8_t one = 1;
	uint32_t index;

	if (pty_index_of(fd, st, &index))
		bpf_map_update_elem(bpf_map__fd(skel->maps.ignored_ptys), &index, &one, BPF_ANY);
}

static const struct ipcd_family_record pty_records[] = {
	{ IPCD_REC_PTY_IO, sizeof(struct ipcd_pty_io), "pty_io", on_pty_io, pty_io_channel },
	{ 0 },
};

static const struct ipcd_type_alias pty_aliases[] = {
	{ "t", "pty", NULL, IPCD_TYPE_BIT(IPCD_TYPE_PTY) },
	{ 0 },
};

/* Its event types, by the names every format prints. */
static const struct ipcd_type_label pty_type_labels[] = {
	{ IPCD_TYPE_PTY, "pty" },
	{ 0, NULL },
};

/* its printer: families/pty_print.c */
extern const struct ipcd_printer ipcd_pty_printer;

const struct ipcd_family ipcd_family_pty = {
	.name = "pty",
	.collector = IPCD_COLL_PTY,
	.prog_prefix = "ipcd_pty_",
	.types = IPCD_TYPE_BIT(IPCD_TYPE_PTY),
	.type_labels = pty_type_labels,
	.aliases = pty_aliases,
	.names_rank = 2,
	.records = pty_records,
	.printer = &ipcd_pty_printer,
	.ignore_fd = pty_ignore_fd,
	.new = pty_new,
	.free = pty_free,
	.expire = pty_expire,
	.flush = pty_flush,
	.dropped = pty_dropped,
};
