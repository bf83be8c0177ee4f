/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Message queues, SysV and POSIX, from the syscall exits alone: at the exit
 * of a send or receive, the arguments are in the saved registers and the
 * message in the user buffer (the sender's, still; the receiver's, now).
 * No kernel structure is needed: the queue is the msqid or the descriptor's
 * inode, and userspace pairs each receive with the oldest send of the same
 * queue, type or priority, size and first bytes.
 */
#include "common.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "task.bpf.h"

/* Report msgget, msgctl(IPC_RMID), mq_open, mq_unlink, mq_notify (--lifecycle). */
const volatile __u32 cfg_mq_lifecycle = 0;
/* Kinds asked for (-t): bit 1 << IPCD_MQ_*. */
const volatile __u32 cfg_mq_kinds = ~0u;

#define IPCD_IPC_RMID 0

/* SysV queue ids and their keys: from msgget, and from /proc/sysvipc/msg at start. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __s32);
	__type(value, __s32);
} sysv_keys SEC(".maps");
#define IPCD_MSGTYPE_LEN 8   /* the long mtype before a SysV message's text */

static __always_inline bool kind_wanted(__u8 kind)
{
	return cfg_mq_kinds & (1u << kind);
}

/* Fills the fixed part; the message text is at text (user memory), bytes long. */
static __always_inline int emit_mq(__u8 kind, __u8 dir, int id, __u64 ino, __s64 type, __u64 text,
				   __u64 bytes, struct file *file)
{
	struct ipcd_mq_io *rec = scratch_begin(struct ipcd_mq_io);
	__u32 len = 0, flags = 0, print;
	bool filtered_out;

	if (!rec)
		return 0;
	fill_current(&rec->task);
	/*
	 * A receive takes the oldest message (of its type): userspace pairs in
	 * that order, by the first bytes, so every send and receive goes up,
	 * and only the payload of those the filters rule out stays here.
	 */
	filtered_out = dir == IPCD_PIPE_WRITE ? !filter_may_pass_src(&rec->task) : !filter_may_pass_dst(&rec->task);
	print = bytes < IPCD_MQ_PRINT_MAX ? bytes : IPCD_MQ_PRINT_MAX;
	__builtin_memset(rec->print, 0, sizeof(rec->print));
	/* said again past a barrier: the compiler would drop it, the verifier needs it */
	barrier_var(print);
	if (print > IPCD_MQ_PRINT_MAX)
		return 0;
	bpf_probe_read_user(rec->print, print, (void *)text);
	if (cfg_payload_max && bytes && !filtered_out) {
		len = copy_user_payload(text, 0, 0, bytes);
		if (len < bytes)
			flags |= IPCD_F_PAYLOAD_TRUNCATED;
	}
	if (len > IPCD_PAYLOAD_MAX)
		len = IPCD_PAYLOAD_MAX;
	__builtin_memset(rec->name, 0, sizeof(rec->name));
	if (file)
		read_file_name(rec->name, sizeof(rec->name), file);
	rec->kind = kind;
	rec->dir = dir;
	rec->payload_len = len;
	rec->id = id;
	rec->ino = ino;
	rec->type = type;
	rec->bytes = bytes;
	rec->print_len = print;
	rec->key = 0;
	if (kind == IPCD_MQ_SYSV) {
		__s32 *key = bpf_map_lookup_elem(&sysv_keys, &id);

		if (key) {
			rec->key = *key;
			flags |= IPCD_F_MQ_KEY;
		}
	}
	submit_scratch(&rec->hdr, IPCD_REC_MQ_IO, flags, sizeof(*rec) + len, IPCD_COLL_MQ);
	return 0;
}

static __always_inline bool mq_ready(__u8 kind)
{
	return is_live() && !is_self() && kind_wanted(kind);
}

/* msgsnd(msqid, msgp, msgsz, msgflg): msgp holds a long mtype, then msgsz bytes. */
SEC("tracepoint/syscalls/sys_exit_msgsnd")
int ipcd_mq_exit_msgsnd(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	__u64 msgp;
	__s64 mtype = 0;

	if (ctx->ret != 0 || !mq_ready(IPCD_MQ_SYSV))
		return 0;
	regs = user_regs();
	msgp = PT_REGS_PARM2_CORE_SYSCALL(regs);
	bpf_probe_read_user(&mtype, sizeof(mtype), (void *)msgp);
	return emit_mq(IPCD_MQ_SYSV, IPCD_PIPE_WRITE, PT_REGS_PARM1_CORE_SYSCALL(regs), 0, mtype,
		       msgp + IPCD_MSGTYPE_LEN, PT_REGS_PARM3_CORE_SYSCALL(regs), NULL);
}

/* msgrcv(msqid, msgp, msgsz, msgtyp, msgflg) returns the text's size; msgp now holds the message. */
SEC("tracepoint/syscalls/sys_exit_msgrcv")
int ipcd_mq_exit_msgrcv(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	__u64 msgp;
	__s64 mtype = 0;

	if (ctx->ret < 0 || !mq_ready(IPCD_MQ_SYSV))
		return 0;
	regs = user_regs();
	msgp = PT_REGS_PARM2_CORE_SYSCALL(regs);
	bpf_probe_read_user(&mtype, sizeof(mtype), (void *)msgp);
	return emit_mq(IPCD_MQ_SYSV, IPCD_PIPE_READ, PT_REGS_PARM1_CORE_SYSCALL(regs), 0, mtype,
		       msgp + IPCD_MSGTYPE_LEN, ctx->ret, NULL);
}

/* mq_timedsend(mqdes, msg_ptr, msg_len, msg_prio, abs_timeout) */
SEC("tracepoint/syscalls/sys_exit_mq_timedsend")
int ipcd_mq_exit_mq_timedsend(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	struct file *file;
	int fd;

	if (ctx->ret != 0 || !mq_ready(IPCD_MQ_POSIX))
		return 0;
	regs = user_regs();
	fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	file = fd_to_file(fd);
	if (!file)
		return 0;
	return emit_mq(IPCD_MQ_POSIX, IPCD_PIPE_WRITE, fd, BPF_CORE_READ(file, f_inode, i_ino),
		       (__u32)PT_REGS_PARM4_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
		       PT_REGS_PARM3_CORE_SYSCALL(regs), file);
}

/* mq_timedreceive(mqdes, msg_ptr, msg_len, msg_prio *, abs_timeout) returns the message's size. */
SEC("tracepoint/syscalls/sys_exit_mq_timedreceive")
int ipcd_mq_exit_mq_timedreceive(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs;
	struct file *file;
	__u64 prio_ptr;
	__u32 prio = 0;
	__s64 type = -1;
	int fd;

	if (ctx->ret < 0 || !mq_ready(IPCD_MQ_POSIX))
		return 0;
	regs = user_regs();
	fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	file = fd_to_file(fd);
	if (!file)
		return 0;
	prio_ptr = PT_REGS_PARM4_CORE_SYSCALL(regs);
	if (prio_ptr && !bpf_probe_read_user(&prio, sizeof(prio), (void *)prio_ptr))
		type = prio;
	return emit_mq(IPCD_MQ_POSIX, IPCD_PIPE_READ, fd, BPF_CORE_READ(file, f_inode, i_ino), type,
		       PT_REGS_PARM2_CORE_SYSCALL(regs), ctx->ret, file);
}

/* ---- lifecycle (--lifecycle) -------------------------------------------- */

static __always_inline int emit_op(__u32 op, __s32 key, __s64 result, __u64 uname, struct file *file)
{
	struct ipcd_mq_op *rec;

	if (!cfg_mq_lifecycle || !is_live() || is_self())
		return 0;
	rec = record_begin(struct ipcd_mq_op, IPCD_REC_MQ_OP, IPCD_COLL_MQ);
	if (!rec)
		return 0;
	rec->op = op;
	rec->key = key;
	rec->result = result;
	if (uname)
		bpf_probe_read_user_str(rec->name, sizeof(rec->name), (void *)uname);
	else if (file)
		read_file_name(rec->name, sizeof(rec->name), file);
	bpf_ringbuf_submit(rec, ring_flags());
	return 0;
}

/* Always loaded: it teaches sysv_keys the key of every queue; an event only with --lifecycle. */
SEC("tracepoint/syscalls/sys_exit_msgget")
int ipcd_mq_exit_msgget(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;  /* first: the context is read before anything moves it */
	__s32 id = ret, key;

	if (!kind_wanted(IPCD_MQ_SYSV))
		return 0;
	key = PT_REGS_PARM1_CORE_SYSCALL(user_regs());
	if (id >= 0)
		bpf_map_update_elem(&sysv_keys, &id, &key, BPF_ANY);
	return emit_op(IPCD_MQOP_MSGGET, key, ret, 0, NULL);
}

SEC("tracepoint/syscalls/sys_exit_msgctl")
int ipcd_mq_life_msgctl(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = user_regs();

	if (!kind_wanted(IPCD_MQ_SYSV) || PT_REGS_PARM2_CORE_SYSCALL(regs) != IPCD_IPC_RMID)
		return 0;
	return emit_op(IPCD_MQOP_MSGRMID, 0, ctx->ret ? ctx->ret : PT_REGS_PARM1_CORE_SYSCALL(regs), 0, NULL);
}

SEC("tracepoint/syscalls/sys_exit_mq_open")
int ipcd_mq_life_mq_open(struct trace_event_raw_sys_exit *ctx)
{
	if (!kind_wanted(IPCD_MQ_POSIX))
		return 0;
	return emit_op(IPCD_MQOP_MQ_OPEN, 0, ctx->ret, PT_REGS_PARM1_CORE_SYSCALL(user_regs()), NULL);
}

SEC("tracepoint/syscalls/sys_exit_mq_unlink")
int ipcd_mq_life_mq_unlink(struct trace_event_raw_sys_exit *ctx)
{
	if (!kind_wanted(IPCD_MQ_POSIX))
		return 0;
	return emit_op(IPCD_MQOP_MQ_UNLINK, 0, ctx->ret, PT_REGS_PARM1_CORE_SYSCALL(user_regs()), NULL);
}

SEC("tracepoint/syscalls/sys_exit_mq_notify")
int ipcd_mq_life_mq_notify(struct trace_event_raw_sys_exit *ctx)
{
	int fd;

	if (!kind_wanted(IPCD_MQ_POSIX))
		return 0;
	fd = PT_REGS_PARM1_CORE_SYSCALL(user_regs());
	return emit_op(IPCD_MQOP_MQ_NOTIFY, 0, ctx->ret ? ctx->ret : fd, 0, fd_to_file(fd));
}
