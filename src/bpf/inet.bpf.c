/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loopback TCP and UDP, from the socket layer's tracepoints, as for unix
 * sockets: sock_send_length and sock_recv_length fire in the task that
 * moved the bytes (never the softirq that carried them), whatever syscall
 * led there.
 *
 * TCP numbers its bytes already: the sender's write_seq and the receiver's
 * copied_seq count the same stream, so each record says which bytes it
 * moved and userspace joins sends to receives as for pipes.  A UDP receive
 * is paired with its send by addresses: a connected socket's peer is the
 * sender; an unconnected one takes the oldest datagram sent to its address.
 *
 * Only traffic with both ends on this host: 127.0.0.0/8, ::1, and the
 * host's own addresses (local_addrs, filled in by userspace).
 *
 * Lifecycle: connect and accept at their syscall exits, with the process at
 * the other end from what the kernel said at listen and connect; closes
 * from inet_sock_set_state, where the state changes in the closing task.
 */
#include "common.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "sockcall.bpf.h"
#include "task.bpf.h"
#include <bpf/bpf_endian.h>

#define IPCD_AF_INET 2
#define IPCD_AF_INET6 10
#define IPCD_EINPROGRESS 115
#define IPCD_TCP_ESTABLISHED 1
#define IPCD_TCP_SYN_SENT 2
#define IPCD_TCP_FIN_WAIT1 4
#define IPCD_TCP_CLOSE 7
#define IPCD_TCP_LAST_ACK 9
#define IPCD_TCP_CLOSE_WAIT 8
#define IPCD_TCP_CLOSING 11

/* Protocols asked for (-t): bit 1 << IPCD_PROTO_*. */
const volatile __u64 cfg_inet_protos = ~0ull;

/* The host's own addresses, v4-mapped for IPv4. */
struct ipcd_addr_key {
	__u8 a[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct ipcd_addr_key);
	__type(value, __u8);
} local_addrs SEC(".maps");

/* Listening ports (by port and protocol) and their process; connections and who connected. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ipcd_task);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ipcd_inet_tuple);
	__type(value, struct ipcd_task);
} connectors SEC(".maps");

static __always_inline bool proto_wanted(__u16 proto)
{
	return proto < 64 && (cfg_inet_protos & (1ull << proto));
}

static __always_inline bool is_inet(struct sock *sk)
{
	__u16 family;

	if (!sk)
		return false;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return family == IPCD_AF_INET || family == IPCD_AF_INET6;
}

static __always_inline void map_v4(__u8 *dst, __be32 addr)
{
	__builtin_memset(dst, 0, 10);
	dst[10] = 0xff;
	dst[11] = 0xff;
	__builtin_memcpy(dst + 12, &addr, 4);
}

/* The socket's addresses, local -> remote. */
static __always_inline void sock_tuple(struct sock *sk, struct ipcd_inet_tuple *t)
{
	if (BPF_CORE_READ(sk, __sk_common.skc_family) == IPCD_AF_INET) {
		map_v4(t->saddr, BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr));
		map_v4(t->daddr, BPF_CORE_READ(sk, __sk_common.skc_daddr));
	} else {
		BPF_CORE_READ_INTO(&t->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&t->daddr, sk, __sk_common.skc_v6_daddr);
	}
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	/*
	 * A connection that reached CLOSE gave its local port back (inet_put_port
	 * zeroes inet_num) while bytes may still wait to be read; inet_sport
	 * still says which port it was.
	 */
	if (!t->sport)
		t->sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

static __always_inline void tuple_reverse(struct ipcd_inet_tuple *t)
{
	struct ipcd_inet_tuple r;

	__builtin_memcpy(r.saddr, t->daddr, 16);
	__builtin_memcpy(r.daddr, t->saddr, 16);
	r.sport = t->dport;
	r.dport = t->sport;
	*t = r;
}

static __always_inline bool addr_is_any(const __u8 *a)
{
	__u64 hi, lo;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	/* :: or ::ffff:0.0.0.0 */
	return !hi && (!lo || lo == 0x00000000ffff0000ull);
}

/* 127.0.0.0/8 (v4-mapped), ::1, or one of this host's own addresses. */
static __always_inline bool addr_is_local(const __u8 *a)
{
	struct ipcd_addr_key key;
	__u64 hi, lo;

	__builtin_memcpy(&hi, a, 8);
	__builtin_memcpy(&lo, a + 8, 8);
	if (!hi && lo == 0x0100000000000000ull)  /* ::1 */
		return true;
	if (!hi && (lo & 0xffffffffull) == 0xffff0000ull && a[12] == 127)
		return true;
	__builtin_memcpy(key.a, a, 16);
	return bpf_map_lookup_elem(&local_addrs, &key) != NULL;
}

/* Both ends on this host; an unbound source goes out from a local address too. */
static __always_inline bool tuple_is_loopback(const struct ipcd_inet_tuple *t)
{
	return addr_is_local(t->daddr) && (addr_is_any(t->saddr) || addr_is_local(t->saddr));
}

static __always_inline __u16 sock_proto(struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_protocol);
}

/* An unconnected UDP send's destination, from its sockaddr_in/in6. */
static __always_inline bool dest_from_user(struct ipcd_inet_tuple *t, __u64 uaddr, __u64 len)
{
	struct sockaddr_in6 sa = {};

	if (!uaddr || len < sizeof(struct sockaddr_in))
		return false;
	if (bpf_probe_read_user(&sa, len < sizeof(sa) ? sizeof(struct sockaddr_in) : sizeof(sa), (void *)uaddr))
		return false;
	if (sa.sin6_family == IPCD_AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		map_v4(t->daddr, in->sin_addr.s_addr);
		t->dport = bpf_ntohs(in->sin_port);
		return true;
	}
	if (sa.sin6_family == IPCD_AF_INET6) {
		__builtin_memcpy(t->daddr, &sa.sin6_addr, 16);
		t->dport = bpf_ntohs(sa.sin6_port);
		return true;
	}
	return false;
}

/* ---- data ------------------------------------------------------------- */

/*
 * The protocol of a send or receive of ret bytes worth a record: TCP or UDP
 * as asked for, not ipcdump's own, not a TCP end of file; 0 otherwise.
 */
static __always_inline __u16 traced_proto(struct sock *sk, int ret)
{
	__u16 proto;

	if (ret < 0 || !is_live() || is_self() || !is_inet(sk))
		return 0;
	proto = sock_proto(sk);
	if ((proto != IPCD_PROTO_TCP && proto != IPCD_PROTO_UDP) || !proto_wanted(proto))
		return 0;
	if (proto == IPCD_PROTO_TCP && ret == 0)
		return 0;
	return proto;
}

static __always_inline int submit_io(struct ipcd_inet_io *rec, struct sock *sk,
				     __u64 cookie, __u8 proto, __u8 dir, const struct user_call *c, int ret,
				     __u32 len, __u32 flags)
{
	rec->proto = proto;
	rec->dir = dir;
	rec->call = c->call;
	rec->v6 = BPF_CORE_READ(sk, __sk_common.skc_family) == IPCD_AF_INET6;
	rec->bytes = ret;
	rec->sock = cookie;
	rec->ino = sock_ino(sk);
	rec->fd = c->fd;
	rec->payload_len = len;
	rec->pad = 0;
	submit_scratch(&rec->hdr, IPCD_REC_INET_IO, flags, sizeof(*rec) + len, IPCD_COLL_INET);
	return 0;
}

/* The sending end of t (address and port), as a sent_chans key; 0 if unknown. */
static __always_inline __u64 inet_sender_chan(const struct ipcd_inet_tuple *t, __u16 proto)
{
	__u64 lo, hi;

	if (!t->sport)
		return 0;
	__builtin_memcpy(&lo, t->saddr, 8);
	__builtin_memcpy(&hi, t->saddr + 8, 8);
	return IPCD_CHAN_INET | ((lo ^ (hi * 0x9e3779b97f4a7c15ull) ^ ((__u64)t->sport << 40) ^ proto) &
				 ((1ull << 60) - 1));
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(ipcd_inet_send, struct sock *sk, int ret, int flags)
{
	struct ipcd_inet_io *rec;
	struct user_call c = {};
	__u32 len = 0, rflags = 0;
	bool filtered_out = false;
	__u16 proto;

	proto = traced_proto(sk, ret);
	if (!proto)
		return 0;
	rec = scratch_begin(struct ipcd_inet_io);
	if (!rec)
		return 0;
	sock_tuple(sk, &rec->t);
	current_call(&c, true);
	/* an unconnected datagram: its destination is in the call */
	if (proto == IPCD_PROTO_UDP && c.name)
		dest_from_user(&rec->t, c.name, c.namelen);
	if (!tuple_is_loopback(&rec->t))
		return 0;
	fill_current(&rec->task);
	/*
	 * An unconnected UDP receiver takes the oldest datagram sent to it,
	 * from anyone: userspace pairs in that order, so every send goes up,
	 * those the filters rule out without their bytes.  A TCP stream is
	 * numbered: a gap in it is only bytes whose writer is unknown.
	 */
	if (!filter_may_pass_src(&rec->task)) {
		if (proto == IPCD_PROTO_TCP)
			return 0;
		filtered_out = true;
	} else if (proto == IPCD_PROTO_TCP) {
		note_send_out(inet_sender_chan(&rec->t, proto));
	}
	/* the bytes just queued end at write_seq */
	rec->seq = proto == IPCD_PROTO_TCP ? BPF_CORE_READ((struct tcp_sock *)sk, write_seq) - ret : 0;
	if (!filtered_out)
		len = copy_send_payload(&c, ret, &rflags);
	return submit_io(rec, sk, bpf_get_socket_cookie(sk), proto, IPCD_PIPE_WRITE, &c, ret, len, rflags);
}

/*
 * Where the bytes a receive took end: copied_seq, less the FIN's sequence
 * number if the receive went past it (a FIN counts one, and reading up to
 * it consumes it).  The peer's FIN has come in these states, and in CLOSE
 * when this side had shut down first (FIN_WAIT2, then the FIN: TIME_WAIT,
 * which leaves the socket CLOSE) rather than by a reset, which sets sk_err.
 */
static __always_inline __u32 tcp_received_end(struct sock *sk)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u32 end = BPF_CORE_READ(tp, copied_seq);
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	bool fin_in = state == IPCD_TCP_CLOSE_WAIT || state == IPCD_TCP_LAST_ACK || state == IPCD_TCP_CLOSING ||
		      (state == IPCD_TCP_CLOSE && !BPF_CORE_READ(sk, sk_err));

	if (fin_in && end == BPF_CORE_READ(tp, rcv_nxt))
		end--;
	return end;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(ipcd_inet_recv, struct sock *sk, int ret, int flags)
{
	struct ipcd_inet_io *rec;
	struct user_call c = {};
	__u32 len = 0, rflags = 0;
	__u16 proto;

	if (flags & IPCD_MSG_PEEK)
		return 0;
	proto = traced_proto(sk, ret);
	if (!proto)
		return 0;
	rec = scratch_begin(struct ipcd_inet_io);
	if (!rec)
		return 0;
	/*
	 * Remote -> local.  An unconnected UDP socket takes datagrams from
	 * anyone and its remote end is zero: userspace then pairs the receive
	 * by where the datagram went, this socket's address and port.
	 */
	sock_tuple(sk, &rec->t);
	tuple_reverse(&rec->t);
	rec->seq = proto == IPCD_PROTO_TCP ? tcp_received_end(sk) - ret : 0;
	if (!addr_is_any(rec->t.daddr) ? !tuple_is_loopback(&rec->t) :
	    !(addr_is_any(rec->t.saddr) || addr_is_local(rec->t.saddr)))
		return 0;
	/*
	 * A send that went out waits in userspace for its receive, which must
	 * come even when the filters will not print it: every UDP send does,
	 * and a TCP stream's if a send of it did.
	 */
	fill_current(&rec->task);
	if (proto == IPCD_PROTO_TCP && !message_recv_needed(&rec->task, inet_sender_chan(&rec->t, proto)))
		return 0;
	current_call(&c, false);
	/* a datagram's bytes are its send's; a TCP receive may take a later piece of a send */
	if (proto == IPCD_PROTO_TCP)
		len = copy_recv_payload(&c, ret, flags, &rflags);
	return submit_io(rec, sk, bpf_get_socket_cookie(sk), proto, IPCD_PIPE_READ, &c, ret, len, rflags);
}

/* ---- TCP lifecycle ------------------------------------------------------ */

static __always_inline struct sock *fd_inet_tcp_sock(int fd)
{
	struct sock *sk = fd_to_sock(fd);

	return is_inet(sk) && sock_proto(sk) == IPCD_PROTO_TCP ? sk : NULL;
}

static __always_inline __u32 listener_key(__u16 port)
{
	return port;
}

/*
 * A lifecycle record by who (the current task if NULL), unless the
 * source-side filters rule it out.
 */
static __always_inline void emit_conn_by(const struct ipcd_task *who, __u32 event, struct sock *sk,
					 const struct ipcd_inet_tuple *t, const struct ipcd_task *peer, int fd,
					 __s32 arg)
{
	struct ipcd_inet_conn *rec = record_begin(struct ipcd_inet_conn, IPCD_REC_INET_CONN, IPCD_COLL_INET);

	if (!rec)
		return;
	if (who)
		rec->task = *who;
	if (!filter_may_pass_src(&rec->task)) {
		bpf_ringbuf_discard(rec, 0);
		return;
	}
	if (peer)
		rec->peer = *peer;
	rec->t = *t;
	rec->event = event;
	rec->fd = fd;
	rec->arg = arg;
	rec->ino = sock_ino(sk);
	rec->v6 = BPF_CORE_READ(sk, __sk_common.skc_family) == IPCD_AF_INET6;
	bpf_ringbuf_submit(rec, ring_flags());
}

static __always_inline void emit_conn(__u32 event, struct sock *sk, const struct ipcd_inet_tuple *t,
				      const struct ipcd_task *peer, int fd)
{
	emit_conn_by(NULL, event, sk, t, peer, fd, 0);
}

/* A process listens: remember it, to name it when someone connects. */
SEC("tracepoint/syscalls/sys_exit_listen")
int ipcd_inet_conn_listen(struct trace_event_raw_sys_exit *ctx)
{
	struct sock *sk;
	struct ipcd_task who;
	__u32 key;

	if (ctx->ret != 0 || !is_live() || !proto_wanted(IPCD_PROTO_TCP))
		return 0;
	sk = fd_inet_tcp_sock(syscall_arg1());
	if (!sk)
		return 0;
	key = listener_key(BPF_CORE_READ(sk, __sk_common.skc_num));
	fill_current(&who);
	bpf_map_update_elem(&listeners, &key, &who, BPF_ANY);
	return 0;
}

/*
 * A non-blocking connect (EINPROGRESS) is one connection, reported once:
 * when the handshake ends (established, or failed with its error), in the
 * name of the task that called connect, whichever of the state change and
 * a later connect() (0, EALREADY, EISCONN) comes first.  By socket address.
 */
struct pending_connect {
	struct ipcd_task task;
	__s32 fd;
	__u32 pad;
	/* incremented by whoever reports: the first sees 0 (64 bits: a 32-bit add has no fetch here) */
	__u64 reported;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pending_connect);
} pending_connects SEC(".maps");

/* Claims the report of a pending connect: true for the first caller only. */
static __always_inline bool claim_connect(struct pending_connect *p)
{
	return __sync_fetch_and_add(&p->reported, 1) == 0;
}

static __always_inline struct ipcd_task *listener_of(__u16 port)
{
	__u32 key = listener_key(port);

	return bpf_map_lookup_elem(&listeners, &key);
}

/* The handshake of a non-blocking connect ended, in a softirq or the connecting task. */
static __always_inline void connect_settled(struct sock *sk, int newstate)
{
	struct ipcd_inet_tuple t = {};
	struct pending_connect *p;
	struct ipcd_task who;
	__u64 key = (__u64)sk;
	__s32 error = 0;
	int fd;

	p = bpf_map_lookup_elem(&pending_connects, &key);
	if (!p || !claim_connect(p))
		return;
	who = p->task;
	fd = p->fd;
	if (newstate == IPCD_TCP_CLOSE) {
		error = -BPF_CORE_READ(sk, sk_err);
		bpf_map_delete_elem(&pending_connects, &key);
	}
	sock_tuple(sk, &t);
	if (!tuple_is_loopback(&t))
		return;
	emit_conn_by(&who, IPCD_INET_CONNECT, sk, &t, listener_of(t.dport), fd, error);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int ipcd_inet_conn_connect(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct ipcd_inet_tuple t = {};
	struct pending_connect *p, fresh = {};
	struct ipcd_task who;
	struct sock *sk;
	__u64 key;
	int fd, state;

	if ((ret != 0 && ret != -IPCD_EINPROGRESS) || !is_live() || is_self() || !proto_wanted(IPCD_PROTO_TCP))
		return 0;
	fd = syscall_arg1();
	sk = fd_inet_tcp_sock(fd);
	if (!sk)
		return 0;
	sock_tuple(sk, &t);
	if (!tuple_is_loopback(&t))
		return 0;
	/* remembered for the accept, which then names the connector */
	fill_current(&who);
	bpf_map_update_elem(&connectors, &t, &who, BPF_ANY);
	key = (__u64)sk;
	if (ret == -IPCD_EINPROGRESS) {
		fresh.task = who;
		fresh.fd = fd;
		bpf_map_update_elem(&pending_connects, &key, &fresh, BPF_ANY);
		/* on loopback the handshake often ends (or fails) before connect() returns */
		state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (state == IPCD_TCP_CLOSE) {
			connect_settled(sk, state);
			return 0;
		}
		if (state != IPCD_TCP_ESTABLISHED)
			return 0;
	}
	p = bpf_map_lookup_elem(&pending_connects, &key);
	if (p) {
		bool mine = claim_connect(p);

		/* connect() said 0: the task knows it is connected, no later call will say more */
		if (ret == 0)
			bpf_map_delete_elem(&pending_connects, &key);
		if (!mine)
			return 0;
	}
	emit_conn(IPCD_INET_CONNECT, sk, &t, listener_of(t.dport), fd);
	return 0;
}

static __always_inline int accepted(int fd)
{
	struct ipcd_inet_tuple t = {}, theirs;
	struct ipcd_task *connector;
	struct sock *sk;

	if (fd < 0 || !is_live() || is_self() || !proto_wanted(IPCD_PROTO_TCP))
		return 0;
	sk = fd_inet_tcp_sock(fd);
	if (!sk)
		return 0;
	sock_tuple(sk, &t);
	if (!tuple_is_loopback(&t))
		return 0;
	theirs = t;
	tuple_reverse(&theirs);
	connector = bpf_map_lookup_elem(&connectors, &theirs);
	emit_conn(IPCD_INET_ACCEPT, sk, &t, connector, fd);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int ipcd_inet_conn_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int ipcd_inet_conn_accept(struct trace_event_raw_sys_exit *ctx)
{
	return accepted(ctx->ret);
}

/* A connected loopback TCP socket behind fd, with its tuple; NULL otherwise. */
static __always_inline struct sock *loopback_conn_sock(int fd, struct ipcd_inet_tuple *t)
{
	struct sock *sk;

	if (!is_live() || is_self() || !proto_wanted(IPCD_PROTO_TCP))
		return NULL;
	sk = fd_inet_tcp_sock(fd);
	if (!sk)
		return NULL;
	sock_tuple(sk, t);
	/* a connection that never was (refused, reset) has lost its ports */
	return t->dport && tuple_is_loopback(t) ? sk : NULL;
}

/* close(2) of a descriptor of a connection: each process that closes one, once. */
SEC("tracepoint/syscalls/sys_enter_close")
int ipcd_inet_conn_close(struct trace_event_raw_sys_enter *ctx)
{
	struct ipcd_inet_tuple t = {};
	int fd = ctx->args[0];
	struct sock *sk = loopback_conn_sock(fd, &t);

	if (sk)
		emit_conn(IPCD_INET_CLOSE, sk, &t, NULL, fd);
	return 0;
}

/* shutdown(2) is not a close: it says how (SHUT_RD, SHUT_WR, SHUT_RDWR), and the socket stays open. */
SEC("tracepoint/syscalls/sys_exit_shutdown")
int ipcd_inet_conn_shutdown(struct trace_event_raw_sys_exit *ctx)
{
	struct pt_regs *regs = user_regs();
	struct ipcd_inet_tuple t = {};
	int fd, how;
	struct sock *sk;

	if (ctx->ret != 0)
		return 0;
	fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	how = PT_REGS_PARM2_CORE_SYSCALL(regs);
	sk = loopback_conn_sock(fd, &t);
	if (sk)
		emit_conn_by(NULL, IPCD_INET_SHUTDOWN, sk, &t, NULL, fd, how);
	return 0;
}

/* close(2) and shutdown(2) report themselves: a state change in them is theirs. */
static __always_inline bool in_close_or_shutdown(void)
{
	long nr;

	if (is_kthread(bpf_get_current_task_btf()))
		return false;
	nr = syscall_nr(user_regs());
	return nr == cfg_nr.close || nr == cfg_nr.shutdown;
}

/*
 * The last descriptor of a connection closed some other way (the process
 * exits, dup2, close_range): tcp_close moves an established connection to
 * FIN_WAIT1, a half-closed one to LAST_ACK, and leaves FIN_WAIT1, FIN_WAIT2
 * and CLOSING where they are (a change to the same state), in the task
 * that closes it.  The other changes happen in softirqs, on behalf of
 * nobody in particular; of those, the end of a non-blocking connect's
 * handshake is its connect event.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(ipcd_inet_conn_state, const struct sock *csk, const int oldstate, const int newstate)
{
	struct sock *sk = (struct sock *)csk;
	struct ipcd_inet_tuple t = {};

	if (!is_inet(sk) || sock_proto(sk) != IPCD_PROTO_TCP || !proto_wanted(IPCD_PROTO_TCP))
		return 0;
	if (oldstate == IPCD_TCP_SYN_SENT && (newstate == IPCD_TCP_ESTABLISHED || newstate == IPCD_TCP_CLOSE)) {
		connect_settled(sk, newstate);
		return 0;
	}
	if (newstate == IPCD_TCP_CLOSE) {
		/* the socket may be freed now, and its address reused by another */
		__u64 key = (__u64)sk;

		bpf_map_delete_elem(&pending_connects, &key);
		return 0;
	}
	if (newstate != IPCD_TCP_FIN_WAIT1 && newstate != IPCD_TCP_LAST_ACK && oldstate != newstate)
		return 0;
	if (!is_live() || is_self() || in_close_or_shutdown())
		return 0;
	sock_tuple(sk, &t);
	if (!tuple_is_loopback(&t))
		return 0;
	bpf_map_delete_elem(&connectors, &t);
	emit_conn(IPCD_INET_CLOSE, sk, &t, NULL, -1);
	return 0;
}

/*
 * splice(fd_in, off_in, fd_out, off_out, len, flags) out of a TCP socket:
 * tcp_splice_read takes the bytes without a recvmsg, so no sock_recv_length;
 * copied_seq still says where they end.  (Into a socket, splice is a send.)
 */
SEC("tracepoint/syscalls/sys_exit_splice")
int ipcd_inet_exit_splice(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;  /* first: the context is read before anything moves it */
	struct user_call c = { .call = IPCD_CALL_SPLICE };
	struct ipcd_inet_io *rec;
	struct sock *sk;

	if (ret <= 0 || !is_live() || is_self() || !proto_wanted(IPCD_PROTO_TCP))
		return 0;
	c.fd = syscall_arg1();
	sk = fd_inet_tcp_sock(c.fd);
	rec = scratch_begin(struct ipcd_inet_io);
	if (!sk || !rec)
		return 0;
	sock_tuple(sk, &rec->t);
	tuple_reverse(&rec->t);
	if (!tuple_is_loopback(&rec->t))
		return 0;
	rec->seq = tcp_received_end(sk) - ret;
	fill_current(&rec->task);
	/* a socket reached by its fd here: the cookie helper wants a pointer the kernel vouches for */
	return submit_io(rec, sk, 0, IPCD_PROTO_TCP, IPCD_PIPE_READ, &c, ret, 0, 0);
}
