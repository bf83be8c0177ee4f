/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Signals: every signal the kernel generates, with the task that caused it
 * and the task it targets, both read from task_structs at that moment.
 */
#include "common.bpf.h"

/* Values of the siginfo pointer that are not pointers (include/linux/sched/signal.h). */
#define IPCD_SEND_SIG_NOINFO ((struct kernel_siginfo *)0)
#define IPCD_SEND_SIG_PRIV ((struct kernel_siginfo *)1)

#define IPCD_SI_USER 0
#define IPCD_SI_KERNEL 0x80
#define IPCD_SI_QUEUE -1
#define IPCD_SI_TIMER -2
#define IPCD_SI_MESGQ -3
#define IPCD_SI_TKILL -6

/* kill(2), tkill/tgkill(2), sigqueue(2), pidfd_send_signal(2): one process to another. */
static __always_inline bool sent_by_process(int code)
{
	return code == IPCD_SI_USER || code == IPCD_SI_QUEUE || code == IPCD_SI_TKILL;
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

SEC("tp_btf/signal_generate")
int BPF_PROG(ipcd_signal_generate, int sig, struct kernel_siginfo *info,
	     struct task_struct *task, int group, int result)
{
	struct ipcd_signal *rec, tmp = {};

	if (is_self() || !is_live())
		return 0;
	read_siginfo(&tmp, info);
	if (!sent_by_process(tmp.code))
		tmp.sig_flags |= IPCD_SIGF_KERNEL;
	if ((tmp.sig_flags & IPCD_SIGF_KERNEL) && !cfg_kernel_signals)
		return 0;
	fill_current(&tmp.src);
	fill_task(&tmp.dst, task);
	if (!filter_pass(&tmp.src, &tmp.dst))
		return 0;

	tmp.sig = sig;
	tmp.result = result;
	if (group)
		tmp.sig_flags |= IPCD_SIGF_GROUP;
	if (is_blocked(task, sig))
		tmp.sig_flags |= IPCD_SIGF_BLOCKED;
	tmp.hdr.kind = IPCD_REC_SIGNAL;
	tmp.hdr.size = sizeof(tmp);
	tmp.hdr.ts_ns = bpf_ktime_get_ns();

	rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);
	if (!rec) {
		count_lost(IPCD_COLL_SIGNAL);
		return 0;
	}
	__builtin_memcpy(rec, &tmp, sizeof(tmp));
	bpf_ringbuf_submit(rec, 0);
	return 0;
}
