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
	IPCD_REC_UNIX_IO = 6,     /* struct ipcd_unix_io */
	IPCD_REC_UNIX_NAME = 7,   /* struct ipcd_unix_name */
	IPCD_REC_PASSED_FD = 8,   /* struct ipcd_passed_fd */
	IPCD_REC_UNIX_CONN = 9,   /* struct ipcd_unix_conn */
	IPCD_REC_INET_IO = 10,    /* struct ipcd_inet_io */
	IPCD_REC_INET_CONN = 11,  /* struct ipcd_inet_conn */
	IPCD_REC_PTY_IO = 12,     /* struct ipcd_pty_io */
	IPCD_REC_MQ_IO = 13,      /* struct ipcd_mq_io */
	IPCD_REC_MQ_OP = 14,      /* struct ipcd_mq_op */
	IPCD_REC_SHM_OP = 15,     /* struct ipcd_shm_op */
	IPCD_REC_FUTEX = 16,      /* struct ipcd_futex */
	IPCD_REC_SEMOP = 17,      /* struct ipcd_semop */
	IPCD_REC_SCHEMA = 18,     /* capture files only: struct ipcd_schema */
	IPCD_REC_TREE = 19,       /* capture files only: struct ipcd_tree_member */
};

/* Collectors, as indexes into the per-collector loss counters. */
enum ipcd_collector {
	IPCD_COLL_PROC = 0,
	IPCD_COLL_PIPE = 1,
	IPCD_COLL_SIGNAL = 2,
	IPCD_COLL_UNIX = 3,
	IPCD_COLL_INET = 4,       /* loopback TCP and UDP */
	IPCD_COLL_PTY = 5,
	IPCD_COLL_MQ = 6,         /* SysV and POSIX message queues */
	IPCD_COLL_SHM = 7,        /* shared memory and its futexes */
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
	/* A datagram longer than the receiver's buffer: the rest was discarded. */
	IPCD_F_MSG_TRUNCATED = 1u << 7,
	/* Credentials were sent explicitly (SCM_CREDENTIALS): see creds. */
	IPCD_F_CREDS = 1u << 8,
	/* The SysV queue's key is known (struct ipcd_mq_io.key). */
	IPCD_F_MQ_KEY = 1u << 9,
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
	IPCD_CALL_SENDTO,
	IPCD_CALL_SENDMSG,
	IPCD_CALL_SENDMMSG,
	IPCD_CALL_RECVFROM,
	IPCD_CALL_RECVMSG,
	IPCD_CALL_RECVMMSG,
	IPCD_CALL_OTHER,     /* reached the socket another way (io_uring, a kernel user) */
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
 * The pipe (or unix stream socket) was found empty with nothing in flight
 * while its counters said bytes [from, to) were still unread: they were
 * consumed or discarded in a way no collector saw (the FIFO was closed and
 * reopened, a splice out of a socket).
 */
struct ipcd_pipe_resync {
	struct ipcd_record_header hdr;
	__u64 ino;
	__u32 dev;
	__u32 kind;       /* enum ipcd_stream_kind, as in struct ipcd_pipe_key */
	__u64 from;
	__u64 to;
};

#define IPCD_PATH_DEPTH 16
#define IPCD_NAME_LEN 64
/* A path as its components from the leaf up; userspace joins them. */
struct ipcd_path {
	__u16 depth;      /* components used */
	__u16 truncated;  /* deeper than IPCD_PATH_DEPTH */
	__u32 pad;
	char names[IPCD_PATH_DEPTH][IPCD_NAME_LEN];  /* names[0] is the leaf */
};

/*
 * The path of a FIFO, sent once per FIFO inode: its components from the leaf
 * up to the root of the mount tree, which userspace joins into a path.
 */
struct ipcd_fifo_path {
	struct ipcd_record_header hdr;
	__u64 ino;
	__u32 dev;
	__u32 pad;
	struct ipcd_path path;
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
	/* src is the process whose timer fired (alarm, setitimer, timer_create), not a sender */
	IPCD_SIGF_TIMER_OWNER = 1u << 4,
};

/* The source of a kernel signal that no process caused (src.pid 0). */
#define IPCD_KERNEL_COMM "<kernel>"

struct ipcd_signal {
	struct ipcd_record_header hdr;
	struct ipcd_task src;   /* the task that caused the signal, its timer's owner, or pid 0: the kernel */
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

/* Socket types, as the kernel numbers them. */
enum ipcd_sock_type {
	IPCD_SOCK_STREAM = 1,
	IPCD_SOCK_DGRAM = 2,
	IPCD_SOCK_SEQPACKET = 5,
};

#define IPCD_UNIX_ADDR_MAX 110  /* sizeof(struct sockaddr_un) */

/*
 * One send on, or one receive from, a unix domain socket.  Sockets are named
 * by their cookie (unique while the system runs, unlike addresses and inode
 * numbers, and known before accept gives a socket an inode).
 *
 * Stream sockets are byte streams like pipes, numbered per receiving socket:
 * a send's [offset, offset + bytes) lies in its peer's stream, a receive's
 * in its own.  Datagrams and seqpackets are messages: a receive names the
 * socket (peer) and process (sender_pid) that sent the message it got.
 */
struct ipcd_unix_io {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	__u64 sock;         /* this side's socket */
	__u64 peer;         /* send: the receiving socket (0: not connected); receive: 0 */
	/*
	 * The kernel address of the sending socket, in a send and in the
	 * receive of a message: it pairs the two, since a queued message holds
	 * its sender's socket alive, so no other socket has that address then.
	 */
	__u64 sender_sk;
	__u64 ino;          /* this side's socket inode */
	__u64 offset;       /* streams: offset of the first byte in the receiving socket's stream */
	__u64 bytes;        /* bytes sent or received (a datagram's full length if truncated) */
	__u64 base;         /* streams: bytes queued in the receiving socket when first traced */
	__u32 sender_pid;   /* message receives: the sending process, as stamped on the message */
	__s32 fd;           /* -1 when not reached through a syscall on an fd */
	__u8 dir;           /* enum ipcd_pipe_dir */
	__u8 call;          /* enum ipcd_pipe_call */
	__u8 sock_type;     /* enum ipcd_sock_type */
	__u8 addr_len;      /* bytes of destination address after the payload */
	__u16 payload_len;  /* bytes of payload after this struct */
	__u16 nfds;         /* file descriptors passed with the message (SCM_RIGHTS) */
	__u32 cred_pid;     /* SCM_CREDENTIALS, when IPCD_F_CREDS */
	__u32 cred_uid;
	__u32 cred_gid;
	__u32 pad;
	__u8 data[];        /* payload, then the destination sockaddr_un of an unconnected send */
};

/* A socket's name, sent when a socket is first seen and when it changes. */
struct ipcd_unix_name {
	struct ipcd_record_header hdr;
	__u64 sock;
	__u64 ino;
	__u64 peer;         /* the connected peer's socket, 0 if none */
	__u8 sock_type;
	__u8 pad;
	__u16 name_len;     /* bytes of sun_path; 0: unbound; name[0] == 0: abstract */
	__u32 pad2;
	char name[IPCD_UNIX_ADDR_MAX - 2];
	__u32 pad3;
};

/* What a file descriptor passed with SCM_RIGHTS refers to. */
enum ipcd_fd_kind {
	IPCD_FD_FILE = 1,    /* a file or directory: path */
	IPCD_FD_PIPE = 2,    /* an anonymous pipe: ino */
	IPCD_FD_FIFO = 3,    /* a named pipe: path */
	IPCD_FD_SOCKET = 4,  /* a socket: ino */
	IPCD_FD_MEMFD = 5,   /* memfd_create: its name */
	IPCD_FD_ANON = 6,    /* another anonymous inode (eventfd, epoll...): its name */
	IPCD_FD_OTHER = 7,   /* a device or anything else: path */
};

/*
 * One file descriptor of an SCM_RIGHTS message, sent just before the
 * ipcd_unix_io record of its send (same tid), one record per descriptor.
 */
#define IPCD_PASSED_FDS_MAX 8   /* descriptors described per message */
struct ipcd_passed_fd {
	struct ipcd_record_header hdr;
	__u32 tid;
	__u16 index;      /* this descriptor's place in the message */
	__u16 kind;       /* enum ipcd_fd_kind */
	__s32 fd;         /* in the sender */
	__u32 dev;
	__u64 ino;
	struct ipcd_path path;
};

enum ipcd_conn_event {
	IPCD_CONN_CONNECT = 1,   /* task connected sock to peer */
	IPCD_CONN_ACCEPT = 2,    /* task accepted sock, whose peer is the connector */
	IPCD_CONN_SHUTDOWN = 3,  /* how: SHUT_RD/WR/RDWR in arg */
	IPCD_CONN_CLOSE = 4,     /* the task closed its descriptor of the socket */
};

/* Connection lifecycle of unix sockets (--lifecycle). */
struct ipcd_unix_conn {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	__u64 ino;          /* the task's socket */
	__u64 peer_ino;     /* its peer's, 0 if none */
	__u32 event;        /* enum ipcd_conn_event */
	__s32 arg;          /* shutdown: how */
	__s32 fd;
	__u8 sock_type;
	__u8 pad;
	__u16 name_len;     /* the socket's name, or its peer's if it has none */
	char name[IPCD_UNIX_ADDR_MAX - 2];
	/*
	 * The process at the other end as the kernel recorded it at connect
	 * (SO_PEERCRED): for a connect, the one that called listen(); for an
	 * accept (and later shutdowns and closes), the one that connected.
	 */
	__u32 peer_pid;
};

/* The unix collector's state of a socket (its unix_states map, by cookie). */
struct ipcd_unix_stream_state {
	__u64 w_off;   /* streams: offset the next byte sent to this socket gets */
	__u64 r_off;   /* streams: offset the next byte this socket receives has */
	__u64 base;    /* streams: bytes queued when the socket was first seen */
	__u64 named;   /* the address last reported, to notice a bind */
	__u64 ino;     /* the inode last reported, to notice an accept */
	__u64 peer;    /* the peer last reported */
	__u64 uncertain_upto;  /* streams: sends counted below this may be out of order */
	__u64 copied_from;     /* streams: bytes whose send records hold them all (note_send_copied) */
	__u64 copied_to;
};

/*
 * Loopback TCP and UDP: both ends on this host.  Addresses are IPv6, IPv4
 * ones v4-mapped (::ffff:a.b.c.d), so that a dual-stack socket and an IPv4
 * one name the same connection alike; ports are in host order.  src/dst
 * are the direction the bytes went: for a send, this socket to its peer;
 * for a receive, the peer to this socket.
 */
struct ipcd_inet_tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
};

enum ipcd_inet_proto {
	IPCD_PROTO_TCP = 6,
	IPCD_PROTO_UDP = 17,
};

/*
 * One send or receive on a loopback TCP or UDP socket.  TCP bytes are
 * numbered by TCP itself: seq is the sequence number of the first byte
 * (the sender's write_seq, the receiver's copied_seq, which count the same
 * bytes), so sends join to receives as on pipes.  UDP datagrams pair by
 * their 4-tuple and order.
 */
struct ipcd_inet_io {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	struct ipcd_inet_tuple t;
	__u8 proto;         /* enum ipcd_inet_proto */
	__u8 dir;           /* enum ipcd_pipe_dir */
	__u8 call;          /* enum ipcd_pipe_call */
	__u8 v6;            /* the socket is AF_INET6 */
	__u32 seq;          /* TCP: sequence number of the first byte */
	__u64 bytes;
	__u64 sock;         /* this side's socket cookie */
	__u64 ino;          /* this side's socket inode */
	__s32 fd;
	__u16 payload_len;
	__u16 pad;
	__u8 payload[];
};

enum ipcd_inet_conn_event {
	IPCD_INET_CONNECT = 1,  /* task connected: t is its side (local -> remote) */
	IPCD_INET_ACCEPT = 2,   /* task accepted: t is the connector's side */
	IPCD_INET_CLOSE = 3,    /* task closed its descriptor of the socket: t local -> remote */
	IPCD_INET_SHUTDOWN = 4, /* task shut its side down: arg is how (SHUT_RD, SHUT_WR, SHUT_RDWR) */
};

/* TCP connection lifecycle on loopback. */
struct ipcd_inet_conn {
	struct ipcd_record_header hdr;
	struct ipcd_task task;   /* who acted */
	struct ipcd_task peer;   /* the other end, if known (peer.pid 0: not) */
	struct ipcd_inet_tuple t;
	__u32 event;             /* enum ipcd_inet_conn_event */
	__s32 fd;
	__u64 ino;
	__u8 v6;
	__u8 pad[3];
	__s32 arg;               /* SHUTDOWN: how; CONNECT: 0, or -errno if the connection failed */
};

/* Which side of a pseudo-terminal a task used. */
enum ipcd_pty_side {
	IPCD_PTY_MASTER = 1,  /* the terminal emulator's, sshd's, tmux's side */
	IPCD_PTY_SLAVE = 2,   /* /dev/pts/N, the program's side */
};

/*
 * One write into (dir IPCD_PIPE_WRITE) or read out of (IPCD_PIPE_READ) one
 * side of a pseudo-terminal.  A write to the master is input to the
 * program on the slave; a write to the slave is that program's output.
 * Reads are sent without payload, to name who took the bytes written to
 * the other side.
 */
struct ipcd_pty_io {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	__u32 index;        /* N of /dev/pts/N */
	__u8 side;          /* enum ipcd_pty_side: the side this task used */
	__u8 dir;           /* enum ipcd_pipe_dir */
	__u8 call;          /* enum ipcd_pipe_call */
	__u8 pad;
	__u32 session;      /* the terminal's session (its leader's pid), 0 if none */
	__u32 fg_pgrp;      /* its foreground process group, 0 if none */
	__s32 fd;
	__u16 payload_len;
	__u16 pad2;
	__u64 bytes;
	__u8 payload[];
};

enum ipcd_mq_kind {
	IPCD_MQ_SYSV = 1,
	IPCD_MQ_POSIX = 2,
};

#define IPCD_MQ_PRINT_MAX 32    /* bytes of every message kept to tell messages apart */
#define IPCD_MQ_NAME_LEN 64

/*
 * One message sent to or received from a message queue, at the exit of
 * msgsnd/msgrcv or mq_timedsend/mq_timedreceive.  The first bytes of every
 * message travel as its print, with or without -x: a receive is paired with
 * the oldest send of the same queue, type (or priority), size and print.
 */
struct ipcd_mq_io {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	__u8 kind;          /* enum ipcd_mq_kind */
	__u8 dir;           /* enum ipcd_pipe_dir */
	__u16 payload_len;  /* bytes of payload after this struct */
	__s32 id;           /* SysV: msqid; POSIX: the descriptor */
	__u64 ino;          /* POSIX: the queue's inode */
	__s64 type;         /* SysV: mtype; POSIX: priority (-1 unknown) */
	__u64 bytes;        /* the message's size */
	__u32 print_len;
	__s32 key;          /* SysV: the queue's key, when IPCD_F_MQ_KEY */
	__u8 print[IPCD_MQ_PRINT_MAX];
	char name[IPCD_MQ_NAME_LEN];  /* POSIX: the queue's name, without '/' */
	__u8 payload[];
};

enum ipcd_mq_op_kind {
	IPCD_MQOP_MSGGET = 1,     /* key -> id (a queue created or opened) */
	IPCD_MQOP_MSGRMID = 2,    /* msgctl(IPC_RMID) */
	IPCD_MQOP_MQ_OPEN = 3,    /* name -> descriptor */
	IPCD_MQOP_MQ_UNLINK = 4,  /* name */
	IPCD_MQOP_MQ_NOTIFY = 5,  /* a process asked to be told of the next message */
};

/* Queue lifecycle (--lifecycle): who created, opened, removed which queue. */
struct ipcd_mq_op {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	__u32 op;           /* enum ipcd_mq_op_kind */
	__s32 key;          /* SysV key */
	__s64 result;       /* id, descriptor, or -errno */
	char name[IPCD_MQ_NAME_LEN];
};

/* A shared memory object: the inode behind the mapping (SysV, POSIX and memfd are all shmem files). */
struct ipcd_shm_obj {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

enum ipcd_shm_op_kind {
	IPCD_SHMOP_SHMGET = 1,   /* key, size -> id */
	IPCD_SHMOP_ATTACH = 2,   /* shmat, or mmap(MAP_SHARED) of a file */
	IPCD_SHMOP_DETACH = 3,   /* shmdt, or munmap of such a mapping */
	IPCD_SHMOP_REMOVE = 4,   /* shmctl(IPC_RMID) */
	IPCD_SHMOP_MEMFD = 5,    /* memfd_create: name -> descriptor */
	IPCD_SHMOP_FUTEX_WAKE = 6,  /* (events only) a futex wake ended a wait */
	IPCD_SHMOP_SEM_POST = 7,    /* (events only) a semop increment ended a semop wait */
};

/* Who maps what: the sharing relationship, since the data moves without syscalls. */
struct ipcd_shm_op {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	struct ipcd_shm_obj obj;  /* ino 0: not known (shmget, IPC_RMID) */
	__u32 op;                 /* enum ipcd_shm_op_kind */
	__s32 key;                /* SysV key (shmget) */
	__s64 id;                 /* SysV shmid, descriptor, or -errno */
	__u64 size;
	__u64 addr;               /* where it is mapped in this process */
	__u32 sysv;               /* the object is a SysV segment */
	__u32 pad;
	char name[IPCD_NAME_LEN]; /* file name (/dev/shm/NAME, memfd:NAME, SYSV<key>) */
};

enum ipcd_futex_op {
	IPCD_FUTEX_WAITED = 1,   /* a wait on a shared futex ended, woken (result 0) */
	IPCD_FUTEX_WOKE = 2,     /* a wake on a shared futex woke result tasks */
};

/* A futex handoff through shared memory, keyed by the object and offset, not the address. */
struct ipcd_futex {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	struct ipcd_shm_obj obj;
	__u64 offset;
	__u64 start_ns;          /* the call's entry */
	__u32 op;                /* enum ipcd_futex_op */
	__s32 result;
};

/* A semop(2)/semtimedop(2) on a SysV semaphore set that succeeded. */
struct ipcd_semop {
	struct ipcd_record_header hdr;
	struct ipcd_task task;
	__s32 semid;
	__u16 semnum;       /* of the first operation */
	__s16 op;           /* its sem_op: > 0 releases, <= 0 waits */
	__u64 start_ns;     /* the call's entry */
};

/*
 * A capture file's first record: what the record kinds are, one line per
 * kind, "KIND NAME SIZE" (SIZE: the fixed part), so a file says what it
 * holds.  Readers skip kinds they do not know.
 */
struct ipcd_schema {
	struct ipcd_record_header hdr;
	__u32 text_len;
	__u32 pad;
	char text[];
};

/*
 * Capture files of a traced tree (-- CMD, --follow): one record per member
 * alive when the file begins; the fork records say who joins after.
 */
struct ipcd_tree_member {
	struct ipcd_record_header hdr;
	__u32 pid;
	__u32 inside;       /* --inside: both ends must be members */
};

/* Syscall numbers of this architecture, given by userspace at load. */
struct ipcd_syscall_nrs {
	__s32 read, write, readv, writev;
	__s32 sendto, sendmsg, sendmmsg;
	__s32 recvfrom, recvmsg, recvmmsg;
	__s32 sendfile, splice;    /* bytes a file or pipe hands to a socket */
	__s32 close, shutdown;     /* who ends a TCP connection */
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
	__u32 kind;   /* 0 in the kernel's map; userspace keys other byte streams too */
};

/* Byte streams userspace joins (struct ipcd_pipe_key.kind). */
enum ipcd_stream_kind {
	IPCD_STREAM_PIPE = 0,  /* ino/dev: the pipe's inode */
	IPCD_STREAM_UNIX = 1,  /* ino: the receiving unix socket's cookie */
	IPCD_STREAM_TCP = 2,   /* ino: a hash of the direction's 4-tuple, dev: its ports */
};

struct ipcd_pipe_state {
	__u64 w_off;      /* offset the next written byte gets */
	__u64 r_off;      /* offset the next read byte has */
	__u64 base;       /* bytes that were in the pipe when first seen */
	__u64 w_enters;   /* writes begun, to tell overlaps */
	__u64 r_enters;
	__s64 w_inflight; /* writes begun and not yet ended */
	__s64 r_inflight;
	/*
	 * [copied_from, copied_to): bytes whose write records hold every one
	 * of them (payloads wanted), so a read within them need not copy its
	 * own.  copied_to 0: none.
	 */
	__u64 copied_from;
	__u64 copied_to;
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
	IPCD_FILT_TREE_ANY = 1u << 6,  /* -- CMD, --follow: one end in the tree */
	IPCD_FILT_TREE_BOTH = 1u << 7, /* the same with --inside: both ends */
};

/* Values of pid_filter / comm_filter: which lists name this pid or comm. */
enum ipcd_filter_side {
	IPCD_SIDE_SRC = 1u << 0,
	IPCD_SIDE_DST = 1u << 1,
	IPCD_SIDE_ANY = 1u << 2,
	IPCD_SIDE_TREE = 1u << 3,  /* a process of the traced tree (the kernel adds its children) */
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
_Static_assert(sizeof(struct ipcd_path) == 8 + IPCD_PATH_DEPTH * IPCD_NAME_LEN, "path is ABI");
_Static_assert(sizeof(struct ipcd_fifo_path) == 32 + sizeof(struct ipcd_path), "fifo record is ABI");
_Static_assert(sizeof(struct ipcd_unix_io) == 136, "unix record is ABI");
_Static_assert(sizeof(struct ipcd_unix_name) == 160, "unix name record is ABI");
_Static_assert(sizeof(struct ipcd_passed_fd) == 40 + sizeof(struct ipcd_path), "passed fd record is ABI");
_Static_assert(sizeof(struct ipcd_unix_conn) == 192, "unix conn record is ABI");
_Static_assert(sizeof(struct ipcd_inet_tuple) == 36, "inet tuple is ABI");
_Static_assert(sizeof(struct ipcd_inet_io) == 128, "inet record is ABI");
_Static_assert(sizeof(struct ipcd_inet_conn) == 144, "inet conn record is ABI");
_Static_assert(sizeof(struct ipcd_pty_io) == 80, "pty record is ABI");
_Static_assert(sizeof(struct ipcd_mq_io) == 184, "mq record is ABI");
_Static_assert(sizeof(struct ipcd_mq_op) == 128, "mq op record is ABI");
_Static_assert(sizeof(struct ipcd_shm_op) == 168, "shm op record is ABI");
_Static_assert(sizeof(struct ipcd_futex) == 88, "futex record is ABI");
_Static_assert(sizeof(struct ipcd_semop) == 64, "semop record is ABI");
_Static_assert(sizeof(struct ipcd_signal) == 120, "signal record is ABI");
_Static_assert(sizeof(struct ipcd_proc) == 56, "proc record is ABI");
_Static_assert(sizeof(struct ipcd_tree_member) == 24, "tree member record is ABI");
#endif

#endif /* IPCDUMP_ABI_H */
