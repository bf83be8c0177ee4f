/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The record stream between the BPF collectors and userspace.
 *
 * Every record in the ring buffer starts with struct ipcd_record_header; its
 * kind says which struct follows.  Records hold fixed-width types only and
 * explicit padding, because this layout is also the capture-file format: it
 * is versioned by IPCD_ABI_VERSION and pinned by the static asserts below.
 *
 * Raw records are what one side of the kernel saw (one write into a pipe,
 * one read out of it).  Userspace joins them into IPC events (event.h).
 */
#ifndef IPCDUMP_ABI_H
#define IPCDUMP_ABI_H

#ifdef __BPF__
/* vmlinux.h provides the __u8..__u64 types on the BPF side. */
#else
#include <linux/types.h>
#endif

#define IPCD_ABI_VERSION 1
#define IPCD_COMM_LEN 16
/* Largest payload one record carries; -B is clamped to it. Power of two. */
#define IPCD_PAYLOAD_MAX 16384

enum ipcd_record_kind {
	IPCD_REC_PIPE_IO = 1,     /* struct ipcd_pipe_io */
	IPCD_REC_PIPE_RESYNC = 2, /* struct ipcd_pipe_resync */
	IPCD_REC_FIFO_PATH = 3,   /* struct ipcd_fifo_path */
	IPCD_REC_SIGNAL = 4,      /* struct ipcd_signal */
	IPCD_REC_PROC = 5,        /* struct ipcd_proc */
};

/* Collectors, as indexes into the per-collector loss counters. */
enum ipcd_collector {
	IPCD_COLL_PROC = 0,
	IPCD_COLL_PIPE = 1,
	IPCD_COLL_SIGNAL = 2,
	IPCD_COLL_MAX = 8,
};

/* Record flags (struct ipcd_record_header.flags). */
enum ipcd_record_flag {
	/* Another operation of the same direction on this pipe overlapped in
	 * time, so the byte order between the two cannot be known. */
	IPCD_F_ORDER_UNCERTAIN = 1u << 0,
	/* The payload is shorter than the bytes moved (-B limit). */
	IPCD_F_PAYLOAD_TRUNCATED = 1u << 1,
	/* Bytes were moved but their content is not in user memory
	 * (splice, tee, sendfile). */
	IPCD_F_PAYLOAD_UNAVAILABLE = 1u << 2,
	/* The syscall began before tracing started. */
	IPCD_F_STARTED_BEFORE = 1u << 3,
	/* The pipe was full when the write began: the writer had to wait. */
	IPCD_F_BLOCKED = 1u << 4,
	/* The pipe is a FIFO (named pipe), not an anonymous pipe. */
	IPCD_F_FIFO = 1u << 5,
	/* The syscall failed; ipcd_pipe_io.error holds -errno. */
	IPCD_F_ERROR = 1u << 6,
};

struct ipcd_record_header {
	__u16 kind;   /* enum ipcd_record_kind */
	__u16 size;   /* whole record, header and payload included */
	__u32 flags;  /* enum ipcd_record_flag */
	__u64 ts_ns;  /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
};

/* One task as seen in the kernel at the time of the record. */
struct ipcd_task {
	__u32 pid;   /* thread group id, what userspace calls the pid */
	__u32 tid;
	__u32 ppid;  /* real parent's thread group id */
	__u32 pad;
	char comm[IPCD_COMM_LEN];
};

enum ipcd_pipe_dir {
	IPCD_PIPE_WRITE = 1,
	IPCD_PIPE_READ = 2,
};

/* Which syscall moved the bytes. */
enum ipcd_pipe_call {
	IPCD_CALL_READ = 1,
	IPCD_CALL_WRITE,
	IPCD_CALL_READV,
	IPCD_CALL_WRITEV,
	IPCD_CALL_SPLICE,
	IPCD_CALL_TEE,
	IPCD_CALL_VMSPLICE,
	IPCD_CALL_SENDFILE,
};

/*
 * One write into, or one read out of, a pipe or FIFO.  Each pipe is a byte
 * stream: the collector numbers its bytes, so [offset, offset + bytes) names
 * exactly which bytes this operation moved, and userspace joins write ranges
 * to read ranges to find who read what from whom.
 */
struct ipcd_pipe_io {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	__u64 ino;          /* pipe inode number */
	__u32 dev;          /* device of that inode (FIFOs live on filesystems) */
	__u8 dir;           /* enum ipcd_pipe_dir */
	__u8 call;          /* enum ipcd_pipe_call */
	__u16 payload_len;  /* bytes of payload after this struct */
	__u64 offset;       /* stream offset of the first byte moved */
	__u64 bytes;        /* bytes moved (the syscall's result) */
	__u64 start_ns;     /* syscall entry (0 if it began before tracing) */
	__u64 base;         /* bytes already in the pipe when first traced */
	__s32 fd;
	__s32 error;        /* -errno when IPCD_F_ERROR */
	__u8 payload[];
};

/*
 * The pipe was found empty with nothing in flight while its counters said
 * bytes [from, to) were still unread: they were consumed or discarded in a
 * way no collector saw (the FIFO was closed and reopened, a lost record).
 */
struct ipcd_pipe_resync {
	struct ipcd_record_header hdr;
	__u64 ino;
	__u32 dev;
	__u32 pad;
	__u64 from;
	__u64 to;
};

/*
 * The path of a FIFO, sent once per FIFO inode: its components from the leaf
 * up to the root of the mount tree, which userspace joins into a path.
 */
#define IPCD_PATH_DEPTH 16
#define IPCD_NAME_LEN 64
struct ipcd_fifo_path {
	struct ipcd_record_header hdr;
	__u64 ino;
	__u32 dev;
	__u16 depth;      /* components used; IPCD_F_PAYLOAD_TRUNCATED if deeper */
	__u16 pad;
	char names[IPCD_PATH_DEPTH][IPCD_NAME_LEN];  /* names[0] is the leaf */
};

/* Result of generating a signal, as the kernel's trace_signal_generate. */
enum ipcd_signal_result {
	IPCD_SIG_DELIVERED = 0,
	IPCD_SIG_IGNORED = 1,
	IPCD_SIG_ALREADY_PENDING = 2,
	IPCD_SIG_OVERFLOW_FAIL = 3,
	IPCD_SIG_LOSE_INFO = 4,
	IPCD_SIG_FAILED = 5,        /* the sending syscall failed: see error */
};

enum ipcd_signal_flag {
	IPCD_SIGF_GROUP = 1u << 0,     /* sent to the whole thread group */
	IPCD_SIGF_KERNEL = 1u << 1,    /* originated in the kernel, not kill/sigqueue */
	IPCD_SIGF_BLOCKED = 1u << 2,   /* blocked by the target: left pending */
	IPCD_SIGF_HAS_VALUE = 1u << 3, /* value holds the sigqueue value */
};

struct ipcd_signal {
	struct ipcd_record_header hdr;
	struct ipcd_task src;   /* the task that caused the signal */
	struct ipcd_task dst;   /* the target task */
	__s32 sig;
	__s32 code;             /* si_code */
	__s32 result;           /* enum ipcd_signal_result */
	__u32 sig_flags;        /* enum ipcd_signal_flag */
	__u64 value;            /* si_value (sigqueue) */
	__u32 sender_pid;       /* sender pid as claimed in siginfo */
	__u32 sender_uid;
	__s32 error;            /* -errno when result is IPCD_SIG_FAILED */
	__s32 target;           /* the pid/tid the sender named (kill's argument) */
};

enum ipcd_proc_event {
	IPCD_PROC_FORK = 1,
	IPCD_PROC_EXEC = 2,
	IPCD_PROC_EXIT = 3,
	IPCD_PROC_RENAME = 4,  /* task.comm is the new name */
};

/* Process lifecycle, for the process table in userspace. */
struct ipcd_proc {
	struct ipcd_record_header hdr;
	struct ipcd_task task;   /* for FORK: the child */
	__u32 event;             /* enum ipcd_proc_event */
	__s32 exit_code;         /* for EXIT */
};

/*
 * Per-pipe byte counters, kept by the pipe collector in its pipe_states map
 * and read by userspace to settle writes whose reads it did not see.
 */
struct ipcd_pipe_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct ipcd_pipe_state {
	__u64 w_off;      /* offset the next written byte gets */
	__u64 r_off;      /* offset the next read byte has */
	__u64 base;       /* bytes that were in the pipe when first seen */
	__u64 w_enters;   /* writes begun, to tell overlaps */
	__u64 r_enters;
	__s64 w_inflight; /* writes begun and not yet ended */
	__s64 r_inflight;
};

/*
 * How userspace configures and steers the collectors: the in-kernel filters
 * (cfg_filters, the pid_filter and comm_filter maps) and tracing_state.
 */
/* Which of the IPCDump-style filters are in force (cfg_filters). */
enum ipcd_filter_flag {
	IPCD_FILT_SRC_PID = 1u << 0,   /* -s */
	IPCD_FILT_DST_PID = 1u << 1,   /* -d */
	IPCD_FILT_ANY_PID = 1u << 2,   /* -p */
	IPCD_FILT_SRC_COMM = 1u << 3,  /* -S */
	IPCD_FILT_DST_COMM = 1u << 4,  /* -D */
	IPCD_FILT_ANY_COMM = 1u << 5,  /* -P */
};

/* Values of pid_filter / comm_filter: which lists name this pid or comm. */
enum ipcd_filter_side {
	IPCD_SIDE_SRC = 1u << 0,
	IPCD_SIDE_DST = 1u << 1,
	IPCD_SIDE_ANY = 1u << 2,
};

struct ipcd_comm_key {
	char comm[IPCD_COMM_LEN];
};

enum ipcd_tracing_state {
	IPCD_TRACING_ATTACHING = 0,
	IPCD_TRACING_LIVE = 1,
	IPCD_TRACING_STOPPED = 2,
};

/* Counters that the BPF side keeps and userspace reports. */
struct ipcd_counters {
	__u64 lost[IPCD_COLL_MAX];  /* records that did not fit in the ring */
};

#ifndef __BPF__
_Static_assert(sizeof(struct ipcd_record_header) == 16, "record header is ABI");
_Static_assert(sizeof(struct ipcd_task) == 32, "task is ABI");
_Static_assert(sizeof(struct ipcd_pipe_io) == 104, "pipe record is ABI");
_Static_assert(sizeof(struct ipcd_pipe_resync) == 48, "resync record is ABI");
_Static_assert(sizeof(struct ipcd_fifo_path) == 32 + IPCD_PATH_DEPTH * IPCD_NAME_LEN, "fifo record is ABI");
_Static_assert(sizeof(struct ipcd_signal) == 120, "signal record is ABI");
_Static_assert(sizeof(struct ipcd_proc) == 56, "proc record is ABI");
#endif

#endif /* IPCDUMP_ABI_H */
