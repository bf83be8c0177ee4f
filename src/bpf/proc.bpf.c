/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process lifecycle: fork, exec and exit, so that userspace keeps a process
 * table that is right even for processes that live for a millisecond.
 */
#include "common.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "task.bpf.h"

static __always_inline struct ipcd_proc *emit_proc(struct task_struct *task, __u32 event, __s32 exit_code)
{
	struct ipcd_proc *rec;

	if (!is_live())
		return NULL;
	rec = record_reserve(struct ipcd_proc, IPCD_REC_PROC, IPCD_COLL_PROC);
	if (!rec)
		return NULL;
	fill_task(&rec->task, task);
	rec->event = event;
	rec->exit_code = exit_code;
	return rec;
}

static __always_inline void submit(struct ipcd_proc *rec)
{
	if (rec)
		bpf_ringbuf_submit(rec, ring_flags());
}

static __always_inline bool following_a_tree(void)
{
	return cfg_filters & (IPCD_FILT_TREE_ANY | IPCD_FILT_TREE_BOTH);
}

/*
 * A child of a tree member is a member from its first instruction: the
 * fork tracepoint runs before the child does, so nothing it says is missed.
 */
static __always_inline void tree_follow_fork(__u32 parent, __u32 child)
{
	__u8 *sides = bpf_map_lookup_elem(&pid_filter, &parent);
	__u8 member = IPCD_SIDE_TREE;

	if (!sides || !(*sides & IPCD_SIDE_TREE))
		return;
	sides = bpf_map_lookup_elem(&pid_filter, &child);
	if (sides)
		*sides |= IPCD_SIDE_TREE;
	else
		bpf_map_update_elem(&pid_filter, &child, &member, BPF_ANY);
}

/* An exited member leaves room for the next, and its pid to whoever gets it next. */
static __always_inline void tree_forget(__u32 pid)
{
	__u8 *sides = bpf_map_lookup_elem(&pid_filter, &pid);

	if (!sides || !(*sides & IPCD_SIDE_TREE))
		return;
	if (*sides == IPCD_SIDE_TREE)
		bpf_map_delete_elem(&pid_filter, &pid);
	else
		*sides &= ~IPCD_SIDE_TREE;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(ipcd_proc_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 parent_tgid = BPF_CORE_READ(parent, tgid);

	/* Only new processes, not new threads: threads share the process entry. */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	if (parent_tgid == cfg_self_tgid)
		return 0;
	if (following_a_tree())
		tree_follow_fork(parent_tgid, BPF_CORE_READ(child, tgid));
	submit(emit_proc(child, IPCD_PROC_FORK, 0));
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(ipcd_proc_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	if (is_self())
		return 0;
	submit(emit_proc(task, IPCD_PROC_EXEC, 0));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(ipcd_proc_exit, struct task_struct *task)
{
	/*
	 * The process is gone when its last thread goes, which need not be the
	 * leader (it may have called pthread_exit): do_exit counts the group's
	 * live threads down before this tracepoint, so the last one sees 0.
	 */
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0;
	if (is_self())
		return 0;
	if (following_a_tree())
		tree_forget(BPF_CORE_READ(task, tgid));
	submit(emit_proc(task, IPCD_PROC_EXIT, BPF_CORE_READ(task, exit_code)));
	return 0;
}

/* prctl(PR_SET_NAME) and writes to /proc/<pid>/comm: the comm changes without an exec. */
SEC("tp_btf/task_rename")
int BPF_PROG(ipcd_proc_rename, struct task_struct *task, const char *comm)
{
	struct ipcd_proc *rec;

	/* Only the main thread's name is the process's name. */
	if (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) || is_self())
		return 0;
	rec = emit_proc(task, IPCD_PROC_RENAME, 0);
	if (!rec)
		return 0;
	bpf_probe_read_kernel_str(rec->task.comm, sizeof(rec->task.comm), comm);
	bpf_ringbuf_submit(rec, ring_flags());
	return 0;
}
