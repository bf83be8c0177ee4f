/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The current task and what it holds: who it is, its saved user registers
 * (the arguments of the syscall it is in), and the files behind its fds.
 */
#ifndef IPCD_TASK_BPF_H
#define IPCD_TASK_BPF_H

#include "common.bpf.h"

#define IPCD_PF_KTHREAD 0x00200000
#define IPCD_S_IFMT 00170000
#define IPCD_S_IFSOCK 0140000
#define IPCD_PIPEFS_MAGIC 0x50495045  /* the superblock of anonymous pipes */

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

/* A pid as its own namespace's first level numbers it (0 for none). */
static __always_inline __u32 pid_nr(struct pid *pid)
{
	return pid ? BPF_CORE_READ(pid, numbers[0].nr) : 0;
}

/* A kernel thread has no user registers: it is in no syscall. */
static __always_inline bool is_kthread(struct task_struct *task)
{
	return BPF_CORE_READ(task, flags) & IPCD_PF_KTHREAD;
}

/* The registers the current task entered the kernel with: its syscall's arguments. */
static __always_inline struct pt_regs *user_regs(void)
{
	return (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
}

/* The first argument of the syscall the current task is in (often its fd). */
static __always_inline long syscall_arg1(void)
{
	return PT_REGS_PARM1_CORE_SYSCALL(user_regs());
}

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

	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & IPCD_S_IFMT) != IPCD_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/* The name of file's dentry (its last path component) into dst. */
static __always_inline void read_file_name(char *dst, __u32 size, struct file *file)
{
	bpf_probe_read_kernel_str(dst, size, BPF_CORE_READ(file, f_path.dentry, d_name.name));
}

/* The inode of a socket's file (0 for a socket with no file, as a kernel one). */
static __always_inline __u64 sock_ino(struct sock *sk)
{
	struct socket *sock = BPF_CORE_READ(sk, sk_socket);
	struct file *file;

	if (!sock)
		return 0;
	file = BPF_CORE_READ(sock, file);
	return file ? BPF_CORE_READ(file, f_inode, i_ino) : 0;
}

/*
 * Fills path with the components of file's path, leaf first, up through
 * the mounts to the root.  Global, verified once (common.bpf.c).
 */
int fill_path(struct ipcd_path *path, __u64 file);

#endif /* IPCD_TASK_BPF_H */
