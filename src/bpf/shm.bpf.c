/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared memory.  The data moves without syscalls, so what is observed is
 * what goes through the kernel: who maps which object (shmget/shmat/shmdt,
 * mmap(MAP_SHARED) of a file, munmap, memfd_create), and the futex
 * handoffs on addresses inside shared mappings (waker -> woken), which is
 * how processes synchronise over shared memory (pthread process-shared
 * mutexes and condition variables, POSIX semaphores).
 *
 * A futex address means nothing across processes; the object behind it
 * does: bpf_find_vma gives the mapping's file and offset, so a wait and a
 * wake in two processes name the same (inode, offset).
 */
#include "common.bpf.h"
#include "ring.bpf.h"
#include "task.bpf.h"

#define IPCD_MAP_SHARED 0x01
#define IPCD_IPC_RMID 0
#define IPCD_FUTEX_WAIT 0
#define IPCD_FUTEX_WAKE 1
#define IPCD_FUTEX_WAIT_BITSET 9
#define IPCD_FUTEX_WAKE_BITSET 10
#define IPCD_FUTEX_PRIVATE_FLAG 128
#define IPCD_FUTEX_CMD_MASK 0x7f
#define IPCD_VM_SHARED 0x00000008
#define IPCD_PAGE_SHIFT 12

/* Per task: the shared futex a call in flight is on. */
struct futex_call {
	struct ipcd_shm_obj obj;
	__u64 offset;
	__u64 start_ns;
	__u32 cmd;
	__u32 active;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct futex_call);
} futex_calls SEC(".maps");

struct vma_lookup {
	__u64 addr;
	struct ipcd_shm_obj obj;
	__u64 offset;
	__u64 start, end;
	__u32 found;
	char name[IPCD_NAME_LEN];
};

/* "bpf-map": the file of a mapped BPF map (another BPF tool's ring buffer, say). */
static __always_inline bool is_bpf_map_name(const char *n)
{
	return n[0] == 'b' && n[1] == 'p' && n[2] == 'f' && n[3] == '-' && n[4] == 'm' && n[5] == 'a' &&
	       n[6] == 'p' && n[7] == '\0';
}

/*
 * The file and offset behind addr, if it is a shared file mapping.  A
 * mapped BPF map is memory shared with the kernel, not between processes:
 * it is left out.
 */
static long vma_step(struct task_struct *task, struct vm_area_struct *vma, struct vma_lookup *l)
{
	struct file *file = vma->vm_file;
	struct inode *inode;

	if (!file || !(vma->vm_flags & IPCD_VM_SHARED))
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	l->obj.ino = BPF_CORE_READ(inode, i_ino);
	l->obj.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	l->offset = l->addr - vma->vm_start + (vma->vm_pgoff << IPCD_PAGE_SHIFT);
	l->start = vma->vm_start;
	l->end = vma->vm_end;
	read_file_name(l->name, sizeof(l->name), file);
	l->found = !is_bpf_map_name(l->name);
	return 0;
}

static __always_inline bool shared_object_at(__u64 addr, struct vma_lookup *l)
{
	l->addr = addr;
	l->found = 0;
	bpf_find_vma(bpf_get_current_task_btf(), addr, vma_step, l, 0);
	return l->found;
}

static __always_inline void emit_op(__u32 op, const struct vma_lookup *l, __s32 key, __s64 id, __u64 size,
				    __u64 addr, bool sysv)
{
	struct ipcd_shm_op *rec;

	if (!is_live() || is_self())
		return;
	rec = record_begin_src(struct ipcd_shm_op, IPCD_REC_SHM_OP, IPCD_COLL_SHM);
	if (!rec)
		return;
	if (l) {
		rec->obj = l->obj;
		__builtin_memcpy(rec->name, l->name, sizeof(rec->name));
	}
	rec->op = op;
	rec->key = key;
	rec->id = id;
	rec->size = size;
	rec->addr = addr;
	rec->sysv = sysv;
	bpf_ringbuf_submit(rec, ring_flags());
}

/* shmget(key, size, flags) */
SEC("tracepoint/syscalls/sys_exit_shmget")
int ipcd_shm_exit_shmget(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct pt_regs *regs = user_regs();

	if (ret >= 0)
		emit_op(IPCD_SHMOP_SHMGET, NULL, PT_REGS_PARM1_CORE_SYSCALL(regs), ret,
			PT_REGS_PARM2_CORE_SYSCALL(regs), 0, true);
	return 0;
}

/* shmat(shmid, addr, flags) returns where it mapped the segment. */
SEC("tracepoint/syscalls/sys_exit_shmat")
int ipcd_shm_exit_shmat(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct vma_lookup l = {};

	if (ret < 0 && ret > -4096)
		return 0;
	if (shared_object_at(ret, &l))
		emit_op(IPCD_SHMOP_ATTACH, &l, 0, PT_REGS_PARM1_CORE_SYSCALL(user_regs()), l.end - l.start, ret, true);
	return 0;
}

/* shmdt(addr): the mapping is still there at entry. */
SEC("tracepoint/syscalls/sys_enter_shmdt")
int ipcd_shm_enter_shmdt(struct trace_event_raw_sys_enter *ctx)
{
	struct vma_lookup l = {};
	__u64 addr = ctx->args[0];

	if (is_live() && shared_object_at(addr, &l))
		emit_op(IPCD_SHMOP_DETACH, &l, 0, -1, l.end - l.start, addr, true);
	return 0;
}

/* shmctl(shmid, cmd, buf) */
SEC("tracepoint/syscalls/sys_exit_shmctl")
int ipcd_shm_exit_shmctl(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct pt_regs *regs = user_regs();

	if (ret == 0 && (PT_REGS_PARM2_CORE_SYSCALL(regs) & 0xff) == IPCD_IPC_RMID)
		emit_op(IPCD_SHMOP_REMOVE, NULL, 0, PT_REGS_PARM1_CORE_SYSCALL(regs), 0, 0, true);
	return 0;
}

/* mmap(addr, len, prot, flags, fd, off): a shared mapping of a file. */
SEC("tracepoint/syscalls/sys_exit_mmap")
int ipcd_shm_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct pt_regs *regs;
	struct vma_lookup l = {};

	if ((ret < 0 && ret > -4096) || !is_live())
		return 0;
	regs = user_regs();
	if (!(PT_REGS_PARM4_CORE_SYSCALL(regs) & IPCD_MAP_SHARED) || (long)PT_REGS_PARM5_CORE_SYSCALL(regs) < 0)
		return 0;
	if (shared_object_at(ret, &l))
		emit_op(IPCD_SHMOP_ATTACH, &l, 0, PT_REGS_PARM5_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs),
			ret, false);
	return 0;
}

/* munmap(addr, len) of a shared file mapping. */
SEC("tracepoint/syscalls/sys_enter_munmap")
int ipcd_shm_enter_munmap(struct trace_event_raw_sys_enter *ctx)
{
	struct vma_lookup l = {};
	__u64 addr = ctx->args[0];

	if (is_live() && !is_self() && shared_object_at(addr, &l))
		emit_op(IPCD_SHMOP_DETACH, &l, 0, -1, ctx->args[1], addr, false);
	return 0;
}

/* memfd_create(name, flags) */
SEC("tracepoint/syscalls/sys_exit_memfd_create")
int ipcd_shm_exit_memfd_create(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct vma_lookup l = {};
	struct file *file;

	if (ret < 0 || !is_live())
		return 0;
	file = fd_to_file(ret);
	if (!file)
		return 0;
	l.obj.ino = BPF_CORE_READ(file, f_inode, i_ino);
	l.obj.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	read_file_name(l.name, sizeof(l.name), file);
	emit_op(IPCD_SHMOP_MEMFD, &l, 0, ret, 0, 0, false);
	return 0;
}

/* ---- futexes on shared mappings -------------------------------------- */

/* futex(uaddr, op, val, timeout, uaddr2, val3): remember a shared wait or wake. */
SEC("tracepoint/syscalls/sys_enter_futex")
int ipcd_shm_enter_futex(struct trace_event_raw_sys_enter *ctx)
{
	__u32 op = ctx->args[1], cmd = op & IPCD_FUTEX_CMD_MASK;
	struct vma_lookup l = {};
	struct futex_call *c;

	/* private futexes never cross processes: the common case leaves here */
	if ((op & IPCD_FUTEX_PRIVATE_FLAG) || !is_live() || is_self())
		return 0;
	if (cmd != IPCD_FUTEX_WAIT && cmd != IPCD_FUTEX_WAIT_BITSET && cmd != IPCD_FUTEX_WAKE &&
	    cmd != IPCD_FUTEX_WAKE_BITSET)
		return 0;
	if (!shared_object_at(ctx->args[0], &l))
		return 0;
	c = bpf_task_storage_get(&futex_calls, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		return 0;
	c->obj = l.obj;
	c->offset = l.offset;
	c->start_ns = bpf_ktime_get_ns();
	c->cmd = cmd;
	c->active = 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_futex")
int ipcd_shm_exit_futex(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct futex_call *c = bpf_task_storage_get(&futex_calls, bpf_get_current_task_btf(), 0, 0);
	struct ipcd_futex *rec;
	bool wake;

	if (!c || !c->active)
		return 0;
	c->active = 0;
	wake = c->cmd == IPCD_FUTEX_WAKE || c->cmd == IPCD_FUTEX_WAKE_BITSET;
	/* a wait that ended for another reason, or a wake that woke nobody, is no handoff */
	if (wake ? ret <= 0 : ret != 0)
		return 0;
	rec = record_begin(struct ipcd_futex, IPCD_REC_FUTEX, IPCD_COLL_SHM);
	if (!rec)
		return 0;
	rec->obj = c->obj;
	rec->offset = c->offset;
	rec->start_ns = c->start_ns;
	rec->op = wake ? IPCD_FUTEX_WOKE : IPCD_FUTEX_WAITED;
	rec->result = ret;
	bpf_ringbuf_submit(rec, ring_flags());
	return 0;
}

/* ---- SysV semaphores ---------------------------------------------------- */

struct sem_call {
	__u64 start_ns;
	__s32 semid;
	__u16 semnum;
	__s16 op;
	__u32 active;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sem_call);
} sem_calls SEC(".maps");

/* semop(semid, sops, nsops) and semtimedop(semid, sops, nsops, timeout): the first operation. */
static __always_inline int sem_enter(int semid, __u64 sops)
{
	struct { __u16 num; __s16 op; __s16 flg; } sb = {};
	struct sem_call *c;

	if (!is_live() || is_self() || bpf_probe_read_user(&sb, sizeof(sb), (void *)sops))
		return 0;
	c = bpf_task_storage_get(&sem_calls, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		return 0;
	c->start_ns = bpf_ktime_get_ns();
	c->semid = semid;
	c->semnum = sb.num;
	c->op = sb.op;
	c->active = 1;
	return 0;
}

static __always_inline int sem_exit(long ret)
{
	struct sem_call *c = bpf_task_storage_get(&sem_calls, bpf_get_current_task_btf(), 0, 0);
	struct ipcd_semop *rec;

	if (!c || !c->active)
		return 0;
	c->active = 0;
	if (ret != 0)
		return 0;
	rec = record_begin(struct ipcd_semop, IPCD_REC_SEMOP, IPCD_COLL_SHM);
	if (!rec)
		return 0;
	rec->semid = c->semid;
	rec->semnum = c->semnum;
	rec->op = c->op;
	rec->start_ns = c->start_ns;
	bpf_ringbuf_submit(rec, ring_flags());
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_semop")
int ipcd_shm_enter_semop(struct trace_event_raw_sys_enter *ctx)
{
	return sem_enter(ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_semop")
int ipcd_shm_exit_semop(struct trace_event_raw_sys_exit *ctx)
{
	return sem_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_semtimedop")
int ipcd_shm_enter_semtimedop(struct trace_event_raw_sys_enter *ctx)
{
	return sem_enter(ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_semtimedop")
int ipcd_shm_exit_semtimedop(struct trace_event_raw_sys_exit *ctx)
{
	return sem_exit(ctx->ret);
}
