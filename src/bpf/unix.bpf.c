/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unix domain sockets, from the socket layer's own tracepoints.
 *
 * sock_send_length and sock_recv_length fire at the end of every sendmsg
 * and recvmsg on a socket, whatever led there (write, sendmsg, sendmmsg,
 * splice, io_uring), in the task that moved the bytes, with the socket and
 * the byte count.  The syscall's arguments, for the payload, the address
 * and the ancillary data, are in the task's saved user registers.
 *
 * Stream sockets are byte streams, numbered like pipes on the receiving
 * socket: its peer's sends advance w_off, its own receives r_off, and
 * userspace joins the ranges.  Datagrams and seqpackets are messages: the
 * message itself (its skb, seen by skb_copy_datagram_iovec while the
 * receiver copies it out) names the socket and process that sent it.
 */
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "sockcall.bpf.h"
#include "stream.bpf.h"
#include "task.bpf.h"

#define IPCD_AF_UNIX 1
#define IPCD_SOL_SOCKET 1
#define IPCD_SCM_RIGHTS 1
#define IPCD_SCM_CREDENTIALS 2
#define IPCD_CMSG_MAX 8          /* control messages looked at per send */
#define IPCD_QUEUE_SKBS_MAX 256  /* queued messages summed to find unread bytes */

/* Report connect/accept/shutdown/close (--lifecycle). */
const volatile __u32 cfg_unix_lifecycle = 0;
/* Socket types asked for (-t): bit 1 << SOCK_STREAM etc.  Others cost a lookup. */
const volatile __u32 cfg_unix_sock_types = ~0u;

static __always_inline bool type_wanted(__u8 type)
{
	return type < 32 && (cfg_unix_sock_types & (1u << type));
}

#define unix_state ipcd_unix_stream_state

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct unix_state);
} unix_states SEC(".maps");

/* Per task: what the socket layer said of the message being received. */
struct unix_task {
	__u64 skb_sender;    /* address of the socket that sent it */
	__u32 sender_pid;
	__u32 has_skb;
	__u32 skb_len;       /* the message's length */
	__s32 copy_len;      /* what the receiver took of it */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct unix_task);
} unix_tasks SEC(".maps");

/*
 * Sockets created while tracing, by kernel address.  Whatever sits in a
 * stream socket's queue when it is first seen came before tracing, unless
 * its sender was created since: then every byte of it was seen being sent.
 * An address freed and reused still names a socket created since.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} new_socks SEC(".maps");

static __always_inline bool created_while_tracing(struct sock *sk)
{
	__u64 key = (__u64)sk;

	return bpf_map_lookup_elem(&new_socks, &key) != NULL;
}

static __always_inline struct unix_task *this_unix_task(void)
{
	return bpf_task_storage_get(&unix_tasks, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
}

static __always_inline bool is_unix(struct sock *sk)
{
	return sk && BPF_CORE_READ(sk, __sk_common.skc_family) == IPCD_AF_UNIX;
}

static __always_inline __u64 sock_cookie(struct sock *sk)
{
	return sk ? bpf_get_socket_cookie(sk) : 0;
}

/*
 * Through the kernel's own type (not a CO-RE read) so that the verifier
 * still knows the result is a socket, as bpf_get_socket_cookie demands.
 */
static __always_inline struct sock *unix_peer_of(struct sock *sk)
{
	struct unix_sock *u = bpf_skc_to_unix_sock(sk);

	return u ? u->peer : NULL;
}

/* ---- bytes queued on a socket, for streams first seen mid-way -------- */

struct queue_walk {
	struct sk_buff *head;
	struct sk_buff *skb;
	__u64 total;
};

static long queue_step(__u32 i, struct queue_walk *w)
{
	struct sk_buff *skb = w->skb;
	struct unix_skb_parms cb = {};

	if (!skb || skb == w->head)
		return 1;
	bpf_probe_read_kernel(&cb, sizeof(cb), &skb->cb);
	w->total += BPF_CORE_READ(skb, len) - cb.consumed;
	w->skb = BPF_CORE_READ(skb, next);
	return 0;
}

static __always_inline __u64 queued_bytes(struct sock *sk)
{
	struct queue_walk w = {};

	w.head = (struct sk_buff *)&sk->sk_receive_queue;
	w.skb = BPF_CORE_READ(sk, sk_receive_queue.next);
	bpf_loop(IPCD_QUEUE_SKBS_MAX, queue_step, &w, 0);
	return w.total;
}

static __always_inline bool queue_empty(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_receive_queue.qlen) == 0;
}

/*
 * Sends are numbered when they end, and two that overlap may end in the
 * other order than they queued their bytes.  The socket knows how much is
 * queued (inq_len, on kernels that keep it): received plus queued is at
 * least everything queued so far, so more than the sends counted means a
 * send is between queueing and being counted, and the order of the sends
 * counted meanwhile is not certain.  Read the received count first, so
 * that the sum can only come out low.
 */
static __always_inline bool stream_send_uncertain(struct sock *peer, struct unix_state *st, __u64 start)
{
	struct unix_sock *u = (struct unix_sock *)peer;
	__u64 received, queued, counted, mark;

	received = st->r_off;
	barrier_var(received);
	if (!unix_stream_inq_len(u, &queued))
		return false;
	counted = st->w_off;
	if (received + queued > counted) {
		mark = received + queued;
		if (mark > st->uncertain_upto)
			st->uncertain_upto = mark;
		return true;
	}
	return start < st->uncertain_upto;
}

/* ---- names ----------------------------------------------------------- */

/* A bound socket's path (or abstract name) into dst; its length, 0 if unbound. */
static __always_inline int copy_addr_name(char *dst, struct unix_address *addr)
{
	int len;

	if (!addr)
		return 0;
	/* len counts sun_family and the path, without a terminating zero */
	len = BPF_CORE_READ(addr, len) - 2;
	if (len <= 0)
		return 0;
	if (len > IPCD_UNIX_ADDR_MAX - 2)
		len = IPCD_UNIX_ADDR_MAX - 2;
	bpf_probe_read_kernel(dst, len & 0x7f, (void *)addr->name + 2);
	return len;
}

static __always_inline void emit_name(struct sock *sk, __u64 cookie, __u64 ino, __u64 peer,
				      struct unix_address *addr)
{
	struct ipcd_unix_name *rec = ring_reserve(struct ipcd_unix_name, IPCD_REC_UNIX_NAME, IPCD_COLL_UNIX, true);

	if (!rec)
		return;
	rec->sock = cookie;
	rec->ino = ino;
	rec->peer = peer;
	rec->sock_type = BPF_CORE_READ(sk, sk_type);
	rec->name_len = copy_addr_name(rec->name, addr);
	bpf_ringbuf_submit(rec, ring_flags());
}

/*
 * The state of a socket, created when first seen.  Its name goes out then,
 * and again whenever its address, inode or peer changed (bind, accept,
 * connect of a datagram socket).
 */
static __always_inline struct unix_state *unix_state_of(struct sock *sk, __u64 cookie, bool report)
{
	struct unix_sock *u = (struct unix_sock *)sk;
	struct unix_address *addr = BPF_CORE_READ(u, addr);
	struct unix_state *st = bpf_map_lookup_elem(&unix_states, &cookie);
	struct unix_state init = {};
	__u64 ino, peer;

	if (!st) {
		bpf_map_update_elem(&unix_states, &cookie, &init, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&unix_states, &cookie);
		if (!st)
			return NULL;
		st->named = ~0ull;
	}
	if (!report)
		return st;
	ino = sock_ino(sk);
	peer = sock_cookie(unix_peer_of(sk));
	if (st->named != (__u64)addr || st->ino != ino || st->peer != peer) {
		st->named = (__u64)addr;
		st->ino = ino;
		st->peer = peer;
		emit_name(sk, cookie, ino, peer, addr);
	}
	return st;
}

/* ---- ancillary data ------------------------------------------------- */

struct cmsg_walk {
	__u64 at, end;
	__u32 tid;
	__u16 nfds;
	__u16 creds;
	__u32 cred_pid, cred_uid, cred_gid;
};

struct cmsg_head {
	__u64 len;
	__s32 level;
	__s32 type;
};

static __always_inline __u16 fd_kind(struct file *file, __u32 mode)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u64 magic = BPF_CORE_READ(inode, i_sb, s_magic);

	switch (mode & 00170000) {
	case 0140000:
		return IPCD_FD_SOCKET;
	case 0010000:
		return magic == IPCD_PIPEFS_MAGIC ? IPCD_FD_PIPE : IPCD_FD_FIFO;
	case 0100000:
		/* a memfd is an unlinked shmem file whose dentry is its own parent ("memfd:...") */
		if (magic == 0x01021994 /* TMPFS_MAGIC */ &&
		    BPF_CORE_READ(file, f_path.dentry) == BPF_CORE_READ(file, f_path.dentry, d_parent))
			return IPCD_FD_MEMFD;
		return IPCD_FD_FILE;
	case 0040000:
		return IPCD_FD_FILE;
	case 0:
		return IPCD_FD_ANON;
	default:
		return magic == 0x09041934 /* ANON_INODE_FS_MAGIC */ ? IPCD_FD_ANON : IPCD_FD_OTHER;
	}
}

/* Describes one passed descriptor.  Global: verified once. */
__noinline int emit_passed_fd(__u32 tid, __u32 index, int fd)
{
	struct ipcd_scratch *s = this_cpu_scratch();
	struct ipcd_passed_fd *rec;
	struct file *file;
	struct inode *inode;
	__u32 mode;

	if (!s)
		return 0;
	file = fd_to_file(fd);
	rec = (struct ipcd_passed_fd *)s->data;
	fill_path(&rec->path, (__u64)file);
	rec->tid = tid;
	rec->index = index;
	rec->fd = fd;
	rec->kind = 0;
	rec->dev = 0;
	rec->ino = 0;
	if (file) {
		inode = BPF_CORE_READ(file, f_inode);
		mode = BPF_CORE_READ(inode, i_mode);
		rec->kind = fd_kind(file, mode);
		rec->ino = BPF_CORE_READ(inode, i_ino);
		rec->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	}
	submit_scratch(&rec->hdr, IPCD_REC_PASSED_FD, 0, sizeof(*rec), IPCD_COLL_UNIX);
	return 0;
}

struct fds_walk {
	__u64 data;   /* the int array in user memory */
	__u32 n;
	__u32 tid;
	__u32 first;  /* index of data[0] in the message */
};

static long fds_step(__u32 i, struct fds_walk *w)
{
	int fd = -1;

	if (i >= w->n || w->first + i >= IPCD_PASSED_FDS_MAX)
		return 1;
	bpf_probe_read_user(&fd, sizeof(fd), (void *)(w->data + i * sizeof(int)));
	emit_passed_fd(w->tid, w->first + i, fd);
	return 0;
}

static long cmsg_step(__u32 i, struct cmsg_walk *w)
{
	struct cmsg_head h = {};
	struct fds_walk fds = {};
	__u64 data = w->at + sizeof(h);

	if (w->at + sizeof(h) > w->end || bpf_probe_read_user(&h, sizeof(h), (void *)w->at))
		return 1;
	if (h.len < sizeof(h) || w->at + h.len > w->end)
		return 1;
	if (h.level == IPCD_SOL_SOCKET && h.type == IPCD_SCM_RIGHTS) {
		fds.data = data;
		fds.n = (h.len - sizeof(h)) / sizeof(int);
		fds.tid = w->tid;
		fds.first = w->nfds;
		bpf_loop(IPCD_PASSED_FDS_MAX, fds_step, &fds, 0);
		w->nfds += fds.n;
	} else if (h.level == IPCD_SOL_SOCKET && h.type == IPCD_SCM_CREDENTIALS) {
		__u32 cred[3] = {};

		if (!bpf_probe_read_user(cred, sizeof(cred), (void *)data)) {
			w->creds = 1;
			w->cred_pid = cred[0];
			w->cred_uid = cred[1];
			w->cred_gid = cred[2];
		}
	}
	/* CMSG_NXTHDR: the next header starts at the aligned end of this one */
	w->at += (h.len + sizeof(__u64) - 1) & ~(__u64)(sizeof(__u64) - 1);
	return 0;
}

/* ---- records -------------------------------------------------------- */

static __always_inline __u32 copy_dest_addr(struct ipcd_scratch *s, __u32 at, const struct user_call *c)
{
	__u32 len = c->namelen;

	if (!c->name || !len)
		return 0;
	if (len > IPCD_UNIX_ADDR_MAX)
		len = IPCD_UNIX_ADDR_MAX;
	if (at > IPCD_PAYLOAD_MAX)
		return 0;
	if (bpf_probe_read_user(&s->data[at], len, (void *)c->name))
		return 0;
	return len;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(ipcd_unix_send, struct sock *sk, int ret, int flags)
{
	struct ipcd_scratch *s;
	struct ipcd_unix_io *rec;
	struct unix_state *st, *pst = NULL;
	struct user_call c = {};
	struct cmsg_walk cm = {};
	struct sock *peer;
	__u64 cookie, peer_cookie, size;
	__u32 len = 0, rflags = 0, alen;
	long copied;
	__u8 type;

	if (ret < 0 || !is_live() || is_self() || !is_unix(sk))
		return 0;
	type = BPF_CORE_READ(sk, sk_type);
	if ((type == IPCD_SOCK_STREAM && ret == 0) || !type_wanted(type))
		return 0;
	s = this_cpu_scratch();
	if (!s)
		return 0;
	rec = scratch_record(s, struct ipcd_unix_io);
	fill_current(&rec->task);
	if (!filter_may_pass_src(&rec->task))
		return 0;
	cookie = sock_cookie(sk);
	peer = unix_peer_of(sk);
	peer_cookie = sock_cookie(peer);
	st = unix_state_of(sk, cookie, true);
	rec->offset = 0;
	rec->base = 0;
	if (type == IPCD_SOCK_STREAM && peer) {
		/* the bytes are counted in the stream of the socket they went to */
		pst = unix_state_of(peer, peer_cookie, false);
		if (!pst)
			return 0;
		if (!pst->w_off && !pst->r_off && !pst->base && !created_while_tracing(sk)) {
			/* what is queued besides this send came before tracing */
			__u64 q = queued_bytes(peer);

			pst->base = q > (__u64)ret ? q - ret : 0;
			pst->w_off = pst->base;
		}
		rec->offset = __sync_fetch_and_add(&pst->w_off, ret);
		rec->base = pst->base;
		if (stream_send_uncertain(peer, pst, rec->offset))
			rflags |= IPCD_F_ORDER_UNCERTAIN;
	}
	current_call(&c, true);
	if (c.control && c.controllen) {
		cm.at = c.control;
		cm.end = c.control + c.controllen;
		cm.tid = rec->task.tid;
		bpf_loop(IPCD_CMSG_MAX, cmsg_step, &cm, 0);
		if (cm.creds)
			rflags |= IPCD_F_CREDS;
	}
	len = copy_send_payload(&c, ret, &rflags);
	/* an unconnected datagram names its destination by address */
	alen = peer ? 0 : copy_dest_addr(s, len, &c);
	rec->sock = cookie;
	rec->peer = peer_cookie;
	rec->sender_sk = (__u64)sk;
	rec->ino = st ? st->ino : sock_ino(sk);
	rec->bytes = ret;
	rec->sender_pid = rec->task.pid;
	rec->fd = c.fd;
	rec->dir = IPCD_PIPE_WRITE;
	rec->call = c.call;
	rec->sock_type = type;
	rec->addr_len = alen;
	rec->payload_len = len;
	rec->nfds = cm.nfds;
	rec->cred_pid = cm.cred_pid;
	rec->cred_uid = cm.cred_uid;
	rec->cred_gid = cm.cred_gid;
	rec->pad = 0;
	size = sizeof(*rec) + len + alen;
	if (size > sizeof(*rec) + IPCD_PAYLOAD_MAX + IPCD_UNIX_ADDR_MAX)
		return 0;
	if (type != IPCD_SOCK_STREAM)
		note_send_out((__u64)sk);
	copied = len;
	if (submit_scratch(&rec->hdr, IPCD_REC_UNIX_IO, rflags, size, IPCD_COLL_UNIX))
		copied = -1;
	if (type == IPCD_SOCK_STREAM && pst)
		note_send_copied(&pst->copied_from, &pst->copied_to, rec->offset, ret, copied, rflags);
	return 0;
}

/*
 * While a receiver copies a message out: the message's skb still says who
 * sent it.  Its owner is the sending socket (the sender's send buffer pays
 * for it) and its control block holds the sending process.
 */
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(ipcd_unix_skb_copy, const struct sk_buff *skb, int len)
{
	struct sock *from = skb->sk;
	struct unix_skb_parms cb = {};
	struct unix_task *t;

	if (!is_live() || is_self() || !is_unix(from))
		return 0;
	t = this_unix_task();
	if (!t)
		return 0;
	bpf_probe_read_kernel(&cb, sizeof(cb), &skb->cb);
	t->skb_sender = (__u64)from;
	t->skb_len = skb->len;
	t->copy_len = len;
	t->sender_pid = pid_nr(cb.pid);
	t->has_skb = 1;
	return 0;
}

/*
 * A receive that empties the socket took the last bytes sent: if the
 * counters put it earlier, the bytes in between were taken unseen (spliced
 * out of the socket).  Say so, and number this receive where it belongs.
 * Sends count once queued, so one still on its way only makes the check
 * cautious; a second reader in the middle of a read could make it a false
 * alarm, but readers of one stream socket seldom overlap.
 */
static __always_inline __u64 stream_resync_read(struct sock *sk, __u64 cookie, struct unix_state *st,
						__u64 off, int ret)
{
	__u64 w = st->w_off;

	if (!queue_empty(sk) || w < (__u64)ret || off >= w - ret)
		return off;
	if (__sync_val_compare_and_swap(&st->r_off, off + ret, w) != off + ret)
		return off;
	emit_stream_resync(cookie, 0, IPCD_STREAM_UNIX, off, w - ret, IPCD_COLL_UNIX);
	return w - ret;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(ipcd_unix_recv, struct sock *sk, int ret, int flags)
{
	struct ipcd_unix_io *rec;
	struct unix_state *st;
	struct unix_task *t;
	struct user_call c = {};
	__u64 cookie;
	__u32 rflags = 0, len = 0;
	__u8 type;

	if (ret < 0 || (flags & IPCD_MSG_PEEK) || !is_live() || is_self() || !is_unix(sk))
		return 0;
	type = BPF_CORE_READ(sk, sk_type);
	if (!type_wanted(type))
		return 0;
	t = this_unix_task();
	rec = scratch_begin(struct ipcd_unix_io);
	if (!t || !rec)
		return 0;
	if (type == IPCD_SOCK_STREAM ? ret == 0 : !t->has_skb)
		return 0;
	fill_current(&rec->task);
	cookie = sock_cookie(sk);
	st = unix_state_of(sk, cookie, true);
	if (!st)
		return 0;
	rec->offset = 0;
	rec->base = 0;
	rec->peer = 0;
	rec->sender_sk = 0;
	rec->sender_pid = 0;
	if (type == IPCD_SOCK_STREAM) {
		if (!st->w_off && !st->r_off && !st->base) {
			/* first seen now: what is still queued, and this read, came before */
			st->base = queued_bytes(sk) + ret;
			st->w_off = st->base;
		}
		rec->offset = __sync_fetch_and_add(&st->r_off, ret);
		rec->offset = stream_resync_read(sk, cookie, st, rec->offset, ret);
		rec->base = st->base;
	} else {
		rec->sender_sk = t->skb_sender;
		rec->sender_pid = t->sender_pid;
		t->has_skb = 0;
		if (t->copy_len >= 0 && t->skb_len > (__u32)t->copy_len)
			rflags |= IPCD_F_MSG_TRUNCATED;
	}
	/*
	 * A stream's kernel counters tell userspace which sends were read by
	 * receives dropped here; a message's receive goes out if its send did.
	 */
	if (type == IPCD_SOCK_STREAM ? !filter_may_pass_dst(&rec->task) :
	    !message_recv_needed(&rec->task, rec->sender_sk))
		return 0;
	current_call(&c, false);
	/*
	 * A message's bytes are its send's; a stream's receive may take a
	 * later piece of a send.  Under filters a sender left out is not
	 * numbered, so the range its peers' sends marked copied may not be
	 * these bytes: copy always.
	 */
	if (type == IPCD_SOCK_STREAM &&
	    (cfg_filters || recv_needs_copy(&st->copied_from, &st->copied_to, rec->offset, ret)))
		len = copy_recv_payload(&c, ret, flags, &rflags);
	rec->sock = cookie;
	rec->ino = st->ino;
	rec->bytes = ret;
	rec->fd = c.fd;
	rec->dir = IPCD_PIPE_READ;
	rec->call = c.call;
	rec->sock_type = type;
	rec->addr_len = 0;
	rec->payload_len = len;
	rec->nfds = 0;
	rec->cred_pid = rec->cred_uid = rec->cred_gid = 0;
	rec->pad = 0;
	submit_scratch(&rec->hdr, IPCD_REC_UNIX_IO, rflags, sizeof(*rec) + len, IPCD_COLL_UNIX);
	return 0;
}

/* ---- connection lifecycle (--lifecycle) ------------------------------ */

/* The unix socket behind fd in the current task, or NULL. */
static __always_inline struct sock *fd_unix_sock(int fd)
{
	struct sock *sk = fd_to_sock(fd);

	return is_unix(sk) ? sk : NULL;
}

static __always_inline int emit_conn(__u32 event, int fd, __s32 arg)
{
	struct sock *sk, *peer;
	struct unix_sock *u;
	struct ipcd_unix_conn *rec;

	if (!cfg_unix_lifecycle || !is_live() || is_self())
		return 0;
	sk = fd_unix_sock(fd);
	if (!sk || !type_wanted(BPF_CORE_READ(sk, sk_type)))
		return 0;
	rec = record_begin_src(struct ipcd_unix_conn, IPCD_REC_UNIX_CONN, IPCD_COLL_UNIX);
	if (!rec)
		return 0;
	u = (struct unix_sock *)sk;
	peer = BPF_CORE_READ(u, peer);
	rec->ino = sock_ino(sk);
	rec->peer_ino = peer ? sock_ino(peer) : 0;
	rec->event = event;
	rec->arg = arg;
	rec->fd = fd;
	rec->sock_type = BPF_CORE_READ(sk, sk_type);
	rec->peer_pid = BPF_CORE_READ(sk, sk_peer_pid, numbers[0].nr);
	/* a client is seldom bound: then the name is the server's */
	rec->name_len = copy_addr_name(rec->name, BPF_CORE_READ(u, addr));
	if (!rec->name_len && peer)
		rec->name_len = copy_addr_name(rec->name, BPF_CORE_READ((struct unix_sock *)peer, addr));
	bpf_ringbuf_submit(rec, ring_flags());
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_connect")
int ipcd_unix_life_connect(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret == 0 ? emit_conn(IPCD_CONN_CONNECT, syscall_arg1(), 0) : 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ipcd_unix_life_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret >= 0 ? emit_conn(IPCD_CONN_ACCEPT, ctx->ret, 0) : 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ipcd_unix_life_accept(struct trace_event_raw_sys_exit *ctx)
{
	return ctx->ret >= 0 ? emit_conn(IPCD_CONN_ACCEPT, ctx->ret, 0) : 0;
}

SEC("tracepoint/syscalls/sys_enter_shutdown")
int ipcd_unix_life_shutdown(struct trace_event_raw_sys_enter *ctx)
{
	return emit_conn(IPCD_CONN_SHUTDOWN, ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_close")
int ipcd_unix_life_close(struct trace_event_raw_sys_enter *ctx)
{
	return emit_conn(IPCD_CONN_CLOSE, ctx->args[0], 0);
}

/* ---- sockets created while tracing ------------------------------------ */

static __always_inline void note_new_sock(int fd)
{
	struct sock *sk = fd_unix_sock(fd);
	__u64 key = (__u64)sk;
	__u8 one = 1;

	if (sk)
		bpf_map_update_elem(&new_socks, &key, &one, BPF_ANY);
}

/* At the exit of a syscall that returns a new descriptor (socket, accept). */
static __always_inline int note_returned_sock(long ret)
{
	if (ret >= 0 && is_live())
		note_new_sock(ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_socket")
int ipcd_unix_exit_socket(struct trace_event_raw_sys_exit *ctx)
{
	return note_returned_sock(ctx->ret);
}

/* socketpair(domain, type, protocol, sv[2]) */
SEC("tracepoint/syscalls/sys_exit_socketpair")
int ipcd_unix_exit_socketpair(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = user_regs();
	int sv[2] = { -1, -1 };

	if (ctx->ret < 0 || !is_live())
		return 0;
	bpf_probe_read_user(sv, sizeof(sv), (void *)PT_REGS_PARM4_CORE_SYSCALL(regs));
	note_new_sock(sv[0]);
	note_new_sock(sv[1]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ipcd_unix_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return note_returned_sock(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ipcd_unix_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return note_returned_sock(ctx->ret);
}
