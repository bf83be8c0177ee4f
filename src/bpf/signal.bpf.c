/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Signals: every signal the kernel generates, with the task that caused it
 * and the task it targets, both read from task_structs at that moment.
 */
#include "common.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "task.bpf.h"

/* Values of the siginfo pointer that are not pointers (include/linux/sched/signal.h). */
#define IPCD_SEND_SIG_NOINFO ((struct kernel_siginfo *)0)
#define IPCD_SEND_SIG_PRIV ((struct kernel_siginfo *)1)

#define IPCD_SI_USER 0
#define IPCD_SI_KERNEL 0x80
#define IPCD_SI_QUEUE -1
#define IPCD_SI_TIMER -2
#define IPCD_SI_MESGQ -3
#define IPCD_SI_TKILL -6

/*
 * kill(2), tkill/tgkill(2), sigqueue(2), pidfd_send_signal(2): one process
 * to another; and a POSIX message queue's notification (mq_notify), sent
 * in the task whose mq_send made the queue non-empty.
 */
static __always_inline bool sent_by_process(int code)
{
	return code == IPCD_SI_USER || code == IPCD_SI_QUEUE || code == IPCD_SI_TKILL || code == IPCD_SI_MESGQ;
}

#define IPCD_SIGCHLD 17
#define IPCD_SIGALRM 14
#define IPCD_SIGVTALRM 26
#define IPCD_SIGPROF 27

/*
 * A timer's expiry: a POSIX timer (SI_TIMER), or an itimer (alarm and
 * setitimer send SIGALRM, SIGVTALRM or SIGPROF as SEND_SIG_PRIV, which is
 * SI_KERNEL).  Either fires in an interrupt, where the current task is
 * whoever the interrupt happened to stop.
 */
static __always_inline bool from_timer(int code, int sig)
{
	if (code == IPCD_SI_TIMER)
		return true;
	return code == IPCD_SI_KERNEL && (sig == IPCD_SIGALRM || sig == IPCD_SIGVTALRM || sig == IPCD_SIGPROF);
}

/*
 * The source of a signal the kernel generated.  A timer belongs to the
 * target's thread group (timers are per process, and a POSIX timer may only
 * aim at a thread of its own process), so its owner is the group leader.
 * A fault (SIGSEGV, SIGBUS, SIGXCPU...) is raised in the faulting process,
 * and a SIGCHLD in the child that exited, stopped or was continued: there
 * the current task is the cause.  Anything else may come from an interrupt,
 * whose current task is a bystander, so the source is the kernel.  (Telling
 * an interrupt apart would need the per-CPU preempt count, whose address
 * the kernel gives BPF only with CONFIG_KALLSYMS_ALL.)
 */
static __always_inline void fill_kernel_source(struct ipcd_signal *rec, struct task_struct *target, int sig)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();

	if (from_timer(rec->code, sig)) {
		fill_task(&rec->src, BPF_CORE_READ(target, group_leader));
		rec->sig_flags |= IPCD_SIGF_TIMER_OWNER;
		return;
	}
	if (sig == IPCD_SIGCHLD || BPF_CORE_READ(cur, tgid) == BPF_CORE_READ(target, tgid)) {
		fill_current(&rec->src);
		return;
	}
	__builtin_memset(&rec->src, 0, sizeof(rec->src));
	__builtin_memcpy(rec->src.comm, IPCD_KERNEL_COMM, sizeof(IPCD_KERNEL_COMM));
}

static __always_inline bool carries_value(int code)
{
	return code == IPCD_SI_QUEUE || code == IPCD_SI_TIMER || code == IPCD_SI_MESGQ;
}

static __always_inline bool is_blocked(struct task_struct *task, int sig)
{
	unsigned long word = 0;

	if (sig < 1 || sig > 64)
		return false;
	bpf_core_read(&word, sizeof(word), &task->blocked.sig[0]);
	return (word >> (sig - 1)) & 1;
}

static __always_inline void read_siginfo(struct ipcd_signal *rec, struct kernel_siginfo *info)
{
	struct task_struct *cur = (struct task_struct *)bpf_get_current_task();

	if (info == IPCD_SEND_SIG_NOINFO) {
		rec->code = IPCD_SI_USER;
		rec->sender_pid = BPF_CORE_READ(cur, tgid);
		rec->sender_uid = BPF_CORE_READ(cur, cred, uid.val);
		return;
	}
	if (info == IPCD_SEND_SIG_PRIV) {
		rec->code = IPCD_SI_KERNEL;
		return;
	}
	rec->code = BPF_CORE_READ(info, si_code);
	rec->sender_pid = BPF_CORE_READ(info, _sifields._kill._pid);
	rec->sender_uid = BPF_CORE_READ(info, _sifields._kill._uid);
	if (carries_value(rec->code)) {
		rec->value = (__u64)BPF_CORE_READ(info, _sifields._rt._sigval.sival_ptr);
		rec->sig_flags |= IPCD_SIGF_HAS_VALUE;
	}
}

/* Copies a signal record built on the stack into the ring, under the header the ring stamped. */
static __always_inline void submit_signal(struct ipcd_signal *tmp)
{
	struct ipcd_signal *rec = record_reserve(struct ipcd_signal, IPCD_REC_SIGNAL, IPCD_COLL_SIGNAL);

	if (!rec)
		return;
	tmp->hdr = rec->hdr;
	__builtin_memcpy(rec, tmp, sizeof(*tmp));
	bpf_ringbuf_submit(rec, ring_flags());
}

SEC("tp_btf/signal_generate")
int BPF_PROG(ipcd_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct ipcd_signal tmp = {};

	if (!is_live())
		return 0;
	read_siginfo(&tmp, info);
	/*
	 * Our own kill()s are our business; a kernel signal is not, even when
	 * it fires in an interrupt that stopped ipcdump (a timer often does).
	 */
	if (!sent_by_process(tmp.code))
		tmp.sig_flags |= IPCD_SIGF_KERNEL;
	else if (is_self())
		return 0;
	if ((tmp.sig_flags & IPCD_SIGF_KERNEL) && !cfg_kernel_signals)
		return 0;
	if (tmp.sig_flags & IPCD_SIGF_KERNEL)
		fill_kernel_source(&tmp, task, sig);
	else
		fill_current(&tmp.src);
	fill_task(&tmp.dst, task);
	/* signals to ipcdump (its Ctrl-C) are its own business too */
	if (tmp.dst.pid == cfg_self_tgid || !filter_pass(&tmp.src, &tmp.dst))
		return 0;

	tmp.sig = sig;
	tmp.result = result;
	if (group)
		tmp.sig_flags |= IPCD_SIGF_GROUP;
	if (is_blocked(task, sig))
		tmp.sig_flags |= IPCD_SIGF_BLOCKED;
	submit_signal(&tmp);
	return 0;
}

/*
 * Signals that were never generated because the sending syscall failed
 * (EPERM, ESRCH, EINVAL): seen only at the syscall, so kill, tkill, tgkill
 * and the sigqueue calls are followed from entry to exit, and reported
 * when they fail.
 */
struct signal_call {
	__s32 sig;
	__s32 target;   /* pid, tid, or for kill() a group as the caller wrote it */
	__s32 code;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct signal_call);
} signal_calls SEC(".maps");

static __always_inline int signal_call_enter(__s32 target, __s32 sig, __s32 code)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct signal_call call = { .sig = sig, .target = target, .code = code };

	/* kill(pid, 0) only asks whether pid exists: no signal is meant */
	if (is_self() || !is_live() || sig == 0)
		return 0;
	bpf_map_update_elem(&signal_calls, &tid, &call, BPF_ANY);
	return 0;
}

static __always_inline int signal_call_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct signal_call *call = bpf_map_lookup_elem(&signal_calls, &tid);
	struct ipcd_signal tmp = {};

	if (!call)
		return 0;
	tmp.sig = call->sig;
	tmp.target = call->target;
	tmp.code = call->code;
	bpf_map_delete_elem(&signal_calls, &tid);
	if (ret >= 0)
		return 0;  /* generated: signal_generate reported it */
	fill_current(&tmp.src);
	/* the target may not exist: its pid is all there is; userspace names it */
	tmp.dst.pid = tmp.target > 0 ? tmp.target : 0;
	tmp.dst.tid = tmp.dst.pid;
	if (!filter_may_pass_src(&tmp.src))
		return 0;
	tmp.result = IPCD_SIG_FAILED;
	tmp.error = ret;
	submit_signal(&tmp);
	return 0;
}

/* kill(pid, sig) */
SEC("tracepoint/syscalls/sys_enter_kill")
int ipcd_signal_enter_kill(struct trace_event_raw_sys_enter *ctx)
{
	return signal_call_enter(ctx->args[0], ctx->args[1], IPCD_SI_USER);
}

SEC("tracepoint/syscalls/sys_exit_kill")
int ipcd_signal_exit_kill(struct trace_event_raw_sys_exit *ctx)
{
	return signal_call_exit(ctx->ret);
}

/* tkill(tid, sig) */
SEC("tracepoint/syscalls/sys_enter_tkill")
int ipcd_signal_enter_tkill(struct trace_event_raw_sys_enter *ctx)
{
	return signal_call_enter(ctx->args[0], ctx->args[1], IPCD_SI_TKILL);
}

SEC("tracepoint/syscalls/sys_exit_tkill")
int ipcd_signal_exit_tkill(struct trace_event_raw_sys_exit *ctx)
{
	return signal_call_exit(ctx->ret);
}

/* tgkill(tgid, tid, sig) */
SEC("tracepoint/syscalls/sys_enter_tgkill")
int ipcd_signal_enter_tgkill(struct trace_event_raw_sys_enter *ctx)
{
	return signal_call_enter(ctx->args[1], ctx->args[2], IPCD_SI_TKILL);
}

SEC("tracepoint/syscalls/sys_exit_tgkill")
int ipcd_signal_exit_tgkill(struct trace_event_raw_sys_exit *ctx)
{
	return signal_call_exit(ctx->ret);
}

/* rt_sigqueueinfo(tgid, sig, info): what sigqueue(3) calls */
SEC("tracepoint/syscalls/sys_enter_rt_sigqueueinfo")
int ipcd_signal_enter_sigqueue(struct trace_event_raw_sys_enter *ctx)
{
	return signal_call_enter(ctx->args[0], ctx->args[1], IPCD_SI_QUEUE);
}

SEC("tracepoint/syscalls/sys_exit_rt_sigqueueinfo")
int ipcd_signal_exit_sigqueue(struct trace_event_raw_sys_exit *ctx)
{
	return signal_call_exit(ctx->ret);
}

/* rt_tgsigqueueinfo(tgid, tid, sig, info) */
SEC("tracepoint/syscalls/sys_enter_rt_tgsigqueueinfo")
int ipcd_signal_enter_tgsigqueue(struct trace_event_raw_sys_enter *ctx)
{
	return signal_call_enter(ctx->args[1], ctx->args[2], IPCD_SI_QUEUE);
}

SEC("tracepoint/syscalls/sys_exit_rt_tgsigqueueinfo")
int ipcd_signal_exit_tgsigqueue(struct trace_event_raw_sys_exit *ctx)
{
	return signal_call_exit(ctx->ret);
}
