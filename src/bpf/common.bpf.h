/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every collector shares: the ring buffer, the loss counters, the
 * configuration that userspace fills in before load, the in-kernel filters
 * and the helpers that describe a task.
 *
 * The maps and globals are defined once, in common.bpf.c; the other objects
 * see them as externs and bpftool links all of them into one skeleton.
 */
#ifndef IPCD_COMMON_BPF_H
#define IPCD_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "../records.h"

#ifdef IPCD_DEFINE_SHARED
#define IPCD_SHARED
#else
#define IPCD_SHARED extern
#endif

/* Set by userspace between open and load; the verifier prunes what is off. */
IPCD_SHARED const volatile __u32 cfg_self_tgid;
IPCD_SHARED const volatile __u32 cfg_payload_max;  /* 0: no payload */
IPCD_SHARED const volatile __u32 cfg_filters;      /* enum ipcd_filter_flag */
IPCD_SHARED const volatile __u32 cfg_kernel_signals;
IPCD_SHARED const volatile __u64 cfg_wakeup_bytes; /* wake the reader at this much data */

IPCD_SHARED struct ipcd_counters counters;
/*
 * Set by userspace: live once every hook is attached, stopped when it
 * stops.  Hooks attach and detach one by one; this makes start and stop one
 * instant each, so no message is seen by one hook and missed by the next.
 * Calls in flight at the stop still get their exits.
 */
IPCD_SHARED volatile __u32 tracing_state;  /* enum ipcd_tracing_state */

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ipcd_comm_key);
	__type(value, __u8);
} comm_filter SEC(".maps");

/*
 * One big scratch record per CPU: records with payload are built here and
 * copied into the ring with their real length.  Twice the payload limit so
 * that "offset < MAX, length <= MAX" is provably in bounds for the verifier.
 * A plain array indexed by CPU, not a per-CPU array, because per-CPU values
 * are limited to 32 KiB; userspace sizes it to the number of possible CPUs.
 * Tracepoint programs do not migrate, so a CPU's slot is ours while we run.
 */
#define IPCD_SCRATCH_HEAD 256
struct ipcd_scratch {
	__u8 head[IPCD_SCRATCH_HEAD];     /* the record's fixed part ends here... */
	__u8 data[2 * IPCD_PAYLOAD_MAX];  /* ...and its payload follows it */
};

/* The fixed part of a record of this type, placed so that data is its payload. */
#define scratch_record(s, type) ((type *)((s)->data - sizeof(type)))

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipcd_scratch);
} scratch SEC(".maps");

static __always_inline struct ipcd_scratch *this_cpu_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

#define IPCD_IOV_MAX 64  /* iovecs whose payload is copied */

/*
 * Copies the first bytes a call sent (min(bytes, -B)) into this CPU's
 * scratch data: from buf, or with is_iov from the count iovecs at buf.
 * Returns how many it copied.  Global: verified once for every caller.
 */
__u32 copy_user_payload(__u64 buf, __u64 count, int is_iov, __u64 bytes);

/*
 * Fills path with the components of file's path, leaf first, up through
 * the mounts to the root.  Global, verified once.
 */
int fill_path(struct ipcd_path *path, __u64 file);

static __always_inline bool is_live(void)
{
	return tracing_state == IPCD_TRACING_LIVE;
}

static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == cfg_self_tgid;
}

/*
 * Flags for a ring-buffer write.  Waking the reader for every record costs
 * the traced process an interrupt and the reader a context switch per
 * event; userspace looks at the ring every few milliseconds anyway, so it
 * is woken only when the ring has filled up to cfg_wakeup_bytes.
 */
static __always_inline __u64 ring_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(enum ipcd_collector c)
{
	if (c < IPCD_COLL_MAX)
		__sync_fetch_and_add(&counters.lost[c], 1);
}

static __always_inline void fill_task(struct ipcd_task *t, struct task_struct *task)
{
	t->pid = BPF_CORE_READ(task, tgid);
	t->tid = BPF_CORE_READ(task, pid);
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	t->pad = 0;
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
}

static __always_inline void fill_current(struct ipcd_task *t)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	t->pid = id >> 32;
	t->tid = (__u32)id;
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	t->pad = 0;
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

/*
 * Reserves a record of type (which has hdr and task first), zeroed and
 * stamped with kind, size, time and the current task; NULL, and counted
 * lost for collector coll, if the ring is full.  The caller submits it (or
 * discards it, if the filters rule the current task out).
 */
#define record_begin(type, kind_, coll)                                             \
	({                                                                          \
		type *r__ = bpf_ringbuf_reserve(&events, sizeof(type), 0);          \
		if (r__) {                                                          \
			__builtin_memset(r__, 0, sizeof(type));                     \
			r__->hdr.kind = (kind_);                                    \
			r__->hdr.size = sizeof(type);                               \
			r__->hdr.ts_ns = bpf_ktime_get_ns();                        \
			fill_current(&r__->task);                                   \
		} else {                                                            \
			count_lost(coll);                                           \
		}                                                                   \
		r__;                                                                \
	})

/* A record begun for the current task, unless the source-side filters rule it out. */
#define record_begin_src(type, kind_, coll)                                         \
	({                                                                          \
		type *s__ = record_begin(type, kind_, coll);                        \
		if (s__ && !filter_may_pass_src(&s__->task)) {                      \
			bpf_ringbuf_discard(s__, 0);                                \
			s__ = NULL;                                                 \
		}                                                                   \
		s__;                                                                \
	})

static __always_inline __u8 pid_sides(__u32 pid)
{
	__u8 *sides = bpf_map_lookup_elem(&pid_filter, &pid);

	return sides ? *sides : 0;
}

static __always_inline __u8 comm_sides(const char *comm)
{
	struct ipcd_comm_key key = {};
	__u8 *sides;

	__builtin_memcpy(key.comm, comm, IPCD_COMM_LEN);
	sides = bpf_map_lookup_elem(&comm_filter, &key);
	return sides ? *sides : 0;
}

/*
 * Filters where only the source end is known yet (a write into a pipe whose
 * reader is still to come): drop only what the source alone rules out.
 * -p/-P, and a tree's "one end", may still be met by the destination, so
 * they cannot drop here.
 */
static __always_inline bool filter_may_pass_src(const struct ipcd_task *src)
{
	if (!cfg_filters)
		return true;
	if ((cfg_filters & IPCD_FILT_SRC_PID) && !(pid_sides(src->pid) & IPCD_SIDE_SRC))
		return false;
	if ((cfg_filters & IPCD_FILT_SRC_COMM) && !(comm_sides(src->comm) & IPCD_SIDE_SRC))
		return false;
	if ((cfg_filters & IPCD_FILT_TREE_BOTH) && !(pid_sides(src->pid) & IPCD_SIDE_TREE))
		return false;
	return true;
}

static __always_inline bool filter_may_pass_dst(const struct ipcd_task *dst)
{
	if (!cfg_filters)
		return true;
	if ((cfg_filters & IPCD_FILT_DST_PID) && !(pid_sides(dst->pid) & IPCD_SIDE_DST))
		return false;
	if ((cfg_filters & IPCD_FILT_DST_COMM) && !(comm_sides(dst->comm) & IPCD_SIDE_DST))
		return false;
	if ((cfg_filters & IPCD_FILT_TREE_BOTH) && !(pid_sides(dst->pid) & IPCD_SIDE_TREE))
		return false;
	return true;
}

/* Both ends known (signals): the whole IPCDump filter, decided here. */
static __always_inline bool filter_pass(const struct ipcd_task *src, const struct ipcd_task *dst)
{
	__u8 src_pid, dst_pid, src_comm, dst_comm;

	if (!cfg_filters)
		return true;
	if (!filter_may_pass_src(src) || !filter_may_pass_dst(dst))
		return false;
	if (cfg_filters & IPCD_FILT_ANY_PID) {
		src_pid = pid_sides(src->pid);
		dst_pid = pid_sides(dst->pid);
		if (!((src_pid | dst_pid) & IPCD_SIDE_ANY))
			return false;
	}
	if (cfg_filters & IPCD_FILT_ANY_COMM) {
		src_comm = comm_sides(src->comm);
		dst_comm = comm_sides(dst->comm);
		if (!((src_comm | dst_comm) & IPCD_SIDE_ANY))
			return false;
	}
	if ((cfg_filters & IPCD_FILT_TREE_ANY) && !((pid_sides(src->pid) | pid_sides(dst->pid)) & IPCD_SIDE_TREE))
		return false;
	return true;
}

/*
 * Datagrams and TCP streams have no counter userspace can read to learn
 * that a send was received unseen, so a receive goes out even when its
 * receiver fails the filters: a send that went out waits for it.
 * Channels whose sends all stayed here need no receive: sent_chans holds
 * those with a send that went out (an evicted one only makes such a send
 * be reported unread).  Keys: a unix sending socket (a kernel address),
 * a TCP sending address and port (hashed, with these top bits set).
 * Queues (message queues, unconnected UDP receivers) are paired in order,
 * so their collectors send every message up instead.
 */
#define IPCD_CHAN_INET     (4ull << 60)

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} sent_chans SEC(".maps");

static __always_inline void note_send_out(__u64 chan)
{
	__u8 one = 1;

	if (cfg_filters && !bpf_map_lookup_elem(&sent_chans, &chan))
		bpf_map_update_elem(&sent_chans, &chan, &one, BPF_ANY);
}

/* Must the receive of a message on chan by dst go out? */
static __always_inline bool message_recv_needed(const struct ipcd_task *dst, __u64 chan)
{
	return filter_may_pass_dst(dst) || bpf_map_lookup_elem(&sent_chans, &chan);
}


/* ---- the file behind an fd of the current task ---------------------- */

static __always_inline struct file *fd_to_file(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || fd >= (int)BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_core_read(&file, sizeof(file), &fds[fd]);
	return file;
}

/* The socket behind fd in the current task, or NULL if it is no socket. */
static __always_inline struct sock *fd_to_sock(int fd)
{
	struct file *file = fd_to_file(fd);
	struct socket *sock;

	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & 00170000) != 0140000 /* S_IFSOCK */)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* The first argument of the syscall the current task is in (often its fd). */
static __always_inline long syscall_arg1(void)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return PT_REGS_PARM1_CORE_SYSCALL(regs);
}

/* Syscall numbers of this architecture (userspace fills them in). */
IPCD_SHARED const volatile struct ipcd_syscall_nrs cfg_nr;

/* Per task: how far a sendmmsg/recvmmsg has got. */
struct ipcd_call_task {
	__u32 mmsg_index;    /* messages done so far in this call */
	__u32 pad;
};

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

/* At sendmmsg/recvmmsg entry: their messages are counted from the first. */
static __always_inline int mmsg_begin(void)
{
	struct ipcd_call_task *t;

	if (!is_live() || is_self())
		return 0;
	t = this_call_task();
	if (t)
		t->mmsg_index = 0;
	return 0;
}

/* ---- the syscall behind a socket send or receive ----------------------- */

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

/* The syscall number and sixth argument: not in this libbpf's PT_REGS macros. */
static __always_inline long syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(regs, syscallno);
#else
	return -1;
#endif
}

static __always_inline __u64 syscall_arg6(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return BPF_CORE_READ(regs, r9);
#elif defined(__TARGET_ARCH_arm64)
	return BPF_CORE_READ(regs, regs[5]);
#else
	return 0;
#endif
}

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
	if (BPF_CORE_READ(task, flags) & 0x00200000 /* PF_KTHREAD */)
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

/*
 * [*from, *to): bytes of a stream (pipe, unix stream) that send records
 * hold, one after the other with no byte missing, so that a receive whose
 * first -B bytes lie within need not copy its own (*to 0: none).  After a
 * send's record, the bytes it carried, [offset, offset + copied), extend
 * the range if they start where it ends, else replace it; a send of a
 * longer run than -B leaves the rest out, so the next one starts anew.
 * Sends that overlapped another only forget the range, so that one sender
 * at a time moves the two bounds and a receiver never sees them torn.
 * copied: the payload bytes the record carried, -1 if no record went out.
 */
static __always_inline void note_send_copied(__u64 *from, __u64 *to, __u64 offset, long ret, long copied,
					     __u32 flags)
{
	if (!cfg_payload_max)
		return;
	if (copied <= 0 || copied > ret || (flags & IPCD_F_ORDER_UNCERTAIN)) {
		*to = 0;
		return;
	}
	/* extended, unless it was no range (*to 0) and this send starts the stream */
	if (__sync_val_compare_and_swap(to, offset, offset + copied) == offset && offset)
		return;
	*to = 0;
	__sync_fetch_and_add(from, 0);  /* a full barrier: orders the stores */
	*from = offset;
	__sync_fetch_and_add(from, 0);
	*to = offset + copied;
}

/*
 * Must a receive of [offset, offset + ret) copy its own bytes?  Not when
 * the send records already hold its first -B bytes: the common case of a
 * receiver that keeps up with its sender, which then costs one copy, not two.
 */
static __always_inline bool recv_needs_copy(__u64 *from, __u64 *to, __u64 offset, long ret)
{
	__u64 want = (__u64)ret < cfg_payload_max ? (__u64)ret : cfg_payload_max;
	__u64 hi = *to, lo;

	if (!cfg_payload_max)
		return false;
	__sync_fetch_and_add(from, 0);
	lo = *from;
	__sync_fetch_and_add(from, 0);
	if (!hi || hi != *to)
		return true;
	return offset < lo || offset + want > hi;
}

#define IPCD_MSG_TRUNC 0x20

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
	__u32 len;

	if (!cfg_payload_max || ret <= 0 || !c->buf || (msg_flags & IPCD_MSG_TRUNC))
		return 0;
	len = copy_user_payload(c->buf, c->count, c->iov, ret);
	if (len < (__u32)ret)
		*flags |= IPCD_F_PAYLOAD_TRUNCATED;
	return len > IPCD_PAYLOAD_MAX ? IPCD_PAYLOAD_MAX : len;
}

#endif /* IPCD_COMMON_BPF_H */
