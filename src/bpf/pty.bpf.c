/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pseudo-terminals, from the exits of read, write, readv and writev: the
 * fd is resolved to its tty (a /dev/pts/N slave or a /dev/ptmx master,
 * told apart by device number, so that private_data is surely a tty's),
 * and the call reported with the terminal's number, session and
 * foreground process group.  The arguments are in the saved registers;
 * at the exit of a write the user buffer still holds what was written.
 *
 * The line discipline rewrites bytes on their way (\\n to \\r\\n, echo),
 * so bytes are not counted across the terminal: a write is paired in
 * userspace with the next read of the other side, whose task took them.
 */
#include "common.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "task.bpf.h"

#define IPCD_S_IFCHR 0020000
#define IPCD_PTY_SLAVE_MAJOR_FIRST 136   /* UNIX98_PTY_SLAVE_MAJOR */
#define IPCD_PTY_SLAVE_MAJORS 8
#define IPCD_TTYAUX_MAJOR 5              /* /dev/ptmx is 5:2 */
#define IPCD_PTMX_MINOR 2
#define IPCD_MINORBITS 20

/* Terminals carrying ipcdump's own output: never traced, or it would trace itself. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u8);
} ignored_ptys SEC(".maps");

struct pty_info {
	struct tty_struct *slave;
	__u32 index;
	__u8 side;
};

/* Is fd a pseudo-terminal side?  By device number first: only then is private_data a tty's. */
static __always_inline bool fd_pty(int fd, struct pty_info *p)
{
	struct file *file = fd_to_file(fd);
	struct inode *inode;
	struct tty_file_private *priv;
	struct tty_struct *tty, *slave;
	__u32 rdev, major, minor;

	if (!file)
		return false;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & IPCD_S_IFMT) != IPCD_S_IFCHR)
		return false;
	rdev = BPF_CORE_READ(inode, i_rdev);
	major = rdev >> IPCD_MINORBITS;
	minor = rdev & ((1u << IPCD_MINORBITS) - 1);
	if (major - IPCD_PTY_SLAVE_MAJOR_FIRST < IPCD_PTY_SLAVE_MAJORS)
		p->side = IPCD_PTY_SLAVE;
	else if (major == IPCD_TTYAUX_MAJOR && minor == IPCD_PTMX_MINOR)
		p->side = IPCD_PTY_MASTER;
	else
		return false;
	priv = BPF_CORE_READ(file, private_data);
	tty = BPF_CORE_READ(priv, tty);
	if (!tty)
		return false;
	/* locals: CO-RE reads must not go through fields of our own structs */
	slave = p->side == IPCD_PTY_MASTER ? BPF_CORE_READ(tty, link) : tty;
	if (!slave)
		return false;
	p->slave = slave;
	p->index = BPF_CORE_READ(slave, index);
	return true;
}

static __always_inline int pty_exit(__u8 call, long ret)
{
	struct pt_regs *regs;
	struct ipcd_pty_io *rec;
	struct pty_info p = {};
	struct tty_struct *slave;
	bool write = call == IPCD_CALL_WRITE || call == IPCD_CALL_WRITEV;
	__u32 len = 0, flags = 0;
	__u64 buf, count;
	int fd;

	if (ret <= 0 || !is_live() || is_self())
		return 0;
	regs = user_regs();
	fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	if (!fd_pty(fd, &p) || bpf_map_lookup_elem(&ignored_ptys, &p.index))
		return 0;
	rec = scratch_begin(struct ipcd_pty_io);
	if (!rec)
		return 0;
	fill_current(&rec->task);
	if (write && !filter_may_pass_src(&rec->task))
		return 0;
	if (write && cfg_payload_max) {
		buf = PT_REGS_PARM2_CORE_SYSCALL(regs);
		count = PT_REGS_PARM3_CORE_SYSCALL(regs);
		len = copy_user_payload(buf, count, call == IPCD_CALL_WRITEV, ret);
		if (len < (__u64)ret)
			flags |= IPCD_F_PAYLOAD_TRUNCATED;
	}
	if (len > IPCD_PAYLOAD_MAX)
		len = IPCD_PAYLOAD_MAX;
	rec->index = p.index;
	rec->side = p.side;
	rec->dir = write ? IPCD_PIPE_WRITE : IPCD_PIPE_READ;
	rec->call = call;
	rec->pad = 0;
	slave = p.slave;
	rec->session = pid_nr(BPF_CORE_READ(slave, ctrl.session));
	rec->fg_pgrp = pid_nr(BPF_CORE_READ(slave, ctrl.pgrp));
	rec->fd = fd;
	rec->payload_len = len;
	rec->pad2 = 0;
	rec->bytes = ret;
	submit_scratch(&rec->hdr, IPCD_REC_PTY_IO, flags, sizeof(*rec) + len, IPCD_COLL_PTY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_write")
int ipcd_pty_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return pty_exit(IPCD_CALL_WRITE, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_writev")
int ipcd_pty_exit_writev(struct trace_event_raw_sys_exit *ctx)
{
	return pty_exit(IPCD_CALL_WRITEV, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_read")
int ipcd_pty_exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return pty_exit(IPCD_CALL_READ, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_readv")
int ipcd_pty_exit_readv(struct trace_event_raw_sys_exit *ctx)
{
	return pty_exit(IPCD_CALL_READV, ctx->ret);
}
