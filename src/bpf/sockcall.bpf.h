/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The syscall behind a socket send or receive, for the unix and loopback
 * collectors: the socket layer's tracepoints give the socket and the byte
 * count; the buffer, the address and the ancillary data are in the
 * syscall's arguments, read back from the task's saved registers.
 */
#ifndef IPCD_SOCKCALL_BPF_H
#define IPCD_SOCKCALL_BPF_H

#include "common.bpf.h"
#include "ring.bpf.h"
#include "task.bpf.h"

#define IPCD_MSG_PEEK 0x2
#define IPCD_MSG_TRUNC 0x20

/* Syscall numbers of this architecture (userspace fills them in). */
IPCD_SHARED const volatile struct ipcd_syscall_nrs cfg_nr;

/* Per task: how far a sendmmsg/recvmmsg has got. */
struct ipcd_call_task {
	__u32 mmsg_index;    /* messages done so far in this call */
	__u32 pad;
};

/* Reset at each sendmmsg/recvmmsg entry by the ipcd_sock_ programs (sockcall.bpf.c). */
IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ipcd_call_task);
} call_tasks SEC(".maps");

static __always_inline struct ipcd_call_task *this_call_task(void)
{
	return bpf_task_storage_get(&call_tasks, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

struct user_call {
	__u64 buf;        /* a buffer, or an iovec array */
	__u64 count;      /* its length, or the iovec count */
	__u64 name;       /* destination address */
	__u64 namelen;
	__u64 control;    /* ancillary data */
	__u64 controllen;
	__s32 fd;
	__u8 call;        /* enum ipcd_pipe_call */
	__u8 iov;         /* buf is an iovec array */
};

static __always_inline void read_msghdr(struct user_call *c, __u64 uptr)
{
	struct user_msghdr m = {};

	if (bpf_probe_read_user(&m, sizeof(m), (void *)uptr))
		return;
	c->buf = (__u64)m.msg_iov;
	c->count = m.msg_iovlen;
	c->iov = 1;
	c->name = (__u64)m.msg_name;
	c->namelen = m.msg_namelen;
	c->control = (__u64)m.msg_control;
	c->controllen = m.msg_controllen;
}

/*
 * Which syscall this task is in and its arguments.  sendmmsg/recvmmsg send
 * one message per sendmsg; the task's count of messages done picks its
 * msghdr.  sendfile and splice name themselves but have no user buffer;
 * anything else (io_uring, the kernel) is "other".
 */
static __always_inline void current_call(struct user_call *c, bool send)
{
	struct ipcd_call_task *t = this_call_task();
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs;
	long nr;
	__u64 a1, a2, a3, a5, a6;

	c->fd = -1;
	c->call = IPCD_CALL_OTHER;
	if (is_kthread(task))
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	nr = syscall_nr(regs);
	a1 = PT_REGS_PARM1_CORE_SYSCALL(regs);
	a2 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	a3 = PT_REGS_PARM3_CORE_SYSCALL(regs);
	a5 = PT_REGS_PARM5_CORE_SYSCALL(regs);
	a6 = syscall_arg6(regs);
	if (send && (nr == cfg_nr.write || nr == cfg_nr.sendto)) {
		c->call = nr == cfg_nr.write ? IPCD_CALL_WRITE : IPCD_CALL_SENDTO;
		c->buf = a2;
		c->count = a3;
		if (nr == cfg_nr.sendto) {
			c->name = a5;
			c->namelen = a6;
		}
	} else if (!send && (nr == cfg_nr.read || nr == cfg_nr.recvfrom)) {
		c->call = nr == cfg_nr.read ? IPCD_CALL_READ : IPCD_CALL_RECVFROM;
		c->buf = a2;
		c->count = a3;
	} else if (nr == (send ? cfg_nr.writev : cfg_nr.readv)) {
		c->call = send ? IPCD_CALL_WRITEV : IPCD_CALL_READV;
		c->buf = a2;
		c->count = a3;
		c->iov = 1;
	} else if (nr == (send ? cfg_nr.sendmsg : cfg_nr.recvmsg)) {
		c->call = send ? IPCD_CALL_SENDMSG : IPCD_CALL_RECVMSG;
		read_msghdr(c, a2);
	} else if (nr == (send ? cfg_nr.sendmmsg : cfg_nr.recvmmsg)) {
		c->call = send ? IPCD_CALL_SENDMMSG : IPCD_CALL_RECVMMSG;
		if (t) {
			read_msghdr(c, a2 + (__u64)t->mmsg_index * sizeof(struct mmsghdr));
			t->mmsg_index++;
		}
	} else if (send && nr == cfg_nr.sendfile) {
		/* sendfile(out_fd, in_fd, ...): the bytes come from a file, not user memory */
		c->call = IPCD_CALL_SENDFILE;
	} else if (send && nr == cfg_nr.splice) {
		/* splice(fd_in, off_in, fd_out, ...): the socket is fd_out */
		c->call = IPCD_CALL_SPLICE;
		c->fd = a3;
		return;
	} else {
		return;
	}
	c->fd = a1;
}

/* The first -B of the ret bytes in c's buffer, into scratch data; fewer than ret: truncated. */
static __always_inline __u32 copy_call_payload(const struct user_call *c, int ret, __u32 *flags)
{
	__u32 len = copy_user_payload(c->buf, c->count, c->iov, ret);

	if (len < (__u32)ret)
		*flags |= IPCD_F_PAYLOAD_TRUNCATED;
	return len > IPCD_PAYLOAD_MAX ? IPCD_PAYLOAD_MAX : len;
}

/*
 * The first -B bytes a send of ret bytes queued, copied from the sender's
 * buffer into scratch data.  A send with no user buffer (sendfile,
 * splice, io_uring) has none to copy: its record says so.
 */
static __always_inline __u32 copy_send_payload(const struct user_call *c, int ret, __u32 *flags)
{
	if (!cfg_payload_max || ret <= 0)
		return 0;
	if (!c->buf) {
		*flags |= IPCD_F_PAYLOAD_UNAVAILABLE;
		return 0;
	}
	return copy_call_payload(c, ret, flags);
}

/*
 * The first -B bytes a receive on a byte stream took, copied from the
 * receiver's buffer into scratch data: a write's copy holds only its own
 * first bytes, and a receive may take a later piece of it.  Called when
 * the receive returns (sock_recv_length), the bytes are in the buffer by
 * then.  A receive with no user buffer (splice, io_uring) or that
 * discarded what it took (MSG_TRUNC) copies nothing: its events keep the
 * send's copy.
 */
static __always_inline __u32 copy_recv_payload(const struct user_call *c, int ret, int msg_flags, __u32 *flags)
{
	if (!cfg_payload_max || ret <= 0 || !c->buf || (msg_flags & IPCD_MSG_TRUNC))
		return 0;
	return copy_call_payload(c, ret, flags);
}

#endif /* IPCD_SOCKCALL_BPF_H */
