/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pipes and FIFOs, from the syscall tracepoints alone.
 *
 * At syscall entry the fd is resolved to its inode; if it is a pipe the call
 * is remembered per thread.  At exit the bytes moved are numbered: each pipe
 * keeps a write counter and a read counter, so a write record says "bytes
 * [off, off+n) came from me" and a read record "bytes [off, off+n) went to
 * me".  Userspace joins the two.  Calls of one direction that overlap in
 * time on one pipe are flagged, because their exits may come in another
 * order than their bytes went into the pipe.
 */
#include "common.bpf.h"
#include "filter.bpf.h"
#include "ring.bpf.h"
#include "stream.bpf.h"
#include "task.bpf.h"

#define IPCD_S_IFIFO 0010000
#define IPCD_FMODE_WRITE 0x2
#define IPCD_UNREAD_BUFS_MAX 64  /* pipe buffers summed to find unread bytes */


/* One pipe touched by a call in flight. */
struct pipe_end {
	struct ipcd_pipe_key key;
	__u64 pipe;      /* struct pipe_inode_info *, to look at it again at exit */
	__u64 seq;       /* w_enters/r_enters value this call took */
	__s32 fd;
	__u32 flags;     /* enum ipcd_record_flag */
};

struct pipe_call {
	__u64 start_ns;
	__u64 buf;       /* user buffer, or iovec array */
	__u64 count;     /* buffer length, or iovec count */
	struct pipe_end rd;  /* key.ino == 0: no pipe read */
	struct pipe_end wr;  /* key.ino == 0: no pipe written */
	__u8 call;       /* enum ipcd_pipe_call */
	__u8 iov;        /* buf is an iovec array */
	__u8 user_data;  /* the bytes written are in user memory */
	__u8 pad[5];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ipcd_pipe_key);
	__type(value, struct ipcd_pipe_state);
} pipe_states SEC(".maps");

/*
 * Calls in flight, by thread.  A plain hash, not LRU: an evicted entry would
 * leave its in-flight count behind for good; a full map only means a call
 * is picked up at its exit, as one begun before tracing.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct pipe_call);
} pipe_calls SEC(".maps");

/* Pipes that carry ipcdump's own output: never traced, or it would trace itself. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct ipcd_pipe_key);
	__type(value, __u8);
} ignored_pipes SEC(".maps");

/* Fills the key of the pipe behind file; false if it is no pipe or FIFO. */
static __always_inline bool file_pipe_key(struct file *file, struct ipcd_pipe_key *key, __u32 *flags)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	umode_t mode = BPF_CORE_READ(inode, i_mode);

	if ((mode & IPCD_S_IFMT) != IPCD_S_IFIFO)
		return false;
	key->ino = BPF_CORE_READ(inode, i_ino);
	key->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	key->kind = 0;
	if (BPF_CORE_READ(inode, i_sb, s_magic) != IPCD_PIPEFS_MAGIC)
		*flags |= IPCD_F_FIFO;
	return true;
}

/*
 * Loops run under bpf_loop(): the verifier checks a callback once, where an
 * unrolled or bounded loop is checked once per iteration and path, which
 * made loading take seconds.
 */
struct unread_walk {
	struct pipe_buffer *bufs;
	__u32 tail, head, mask;
	__u64 total;
};

static long unread_step(__u32 i, struct unread_walk *w)
{
	/* the kernel's size of a pipe_buffer, not this build's */
	struct pipe_buffer *buf = (void *)w->bufs +
				  ((w->tail + i) & w->mask) * bpf_core_type_size(struct pipe_buffer);

	if (w->tail + i == w->head)
		return 1;
	w->total += BPF_CORE_READ(buf, len);
	return 0;
}

static __always_inline __u64 pipe_unread_bytes(struct pipe_inode_info *pipe)
{
	struct unread_walk w = {};

	if (!pipe)
		return 0;
	w.head = BPF_CORE_READ(pipe, head);
	w.tail = BPF_CORE_READ(pipe, tail);
	w.mask = BPF_CORE_READ(pipe, ring_size) - 1;
	w.bufs = BPF_CORE_READ(pipe, bufs);
	bpf_loop(IPCD_UNREAD_BUFS_MAX, unread_step, &w, 0);
	return w.total;
}

static __always_inline bool pipe_is_empty(struct pipe_inode_info *pipe)
{
	return BPF_CORE_READ(pipe, head) == BPF_CORE_READ(pipe, tail);
}

static __always_inline bool pipe_is_full(struct pipe_inode_info *pipe)
{
	__u32 used = BPF_CORE_READ(pipe, head) - BPF_CORE_READ(pipe, tail);

	return used >= BPF_CORE_READ(pipe, max_usage);
}

static __always_inline void emit_fifo_path(struct file *file, const struct ipcd_pipe_key *key)
{
	struct ipcd_scratch *s = this_cpu_scratch();
	struct ipcd_fifo_path *rec;

	if (!s)
		return;
	rec = (struct ipcd_fifo_path *)s->data;
	rec->ino = key->ino;
	rec->dev = key->dev;
	rec->pad = 0;
	fill_path(&rec->path, (__u64)file);
	submit_scratch(&rec->hdr, IPCD_REC_FIFO_PATH, 0, sizeof(*rec), IPCD_COLL_PIPE);
}

static __always_inline void emit_resync(const struct ipcd_pipe_key *key, __u64 from, __u64 to)
{
	emit_stream_resync(key->ino, key->dev, IPCD_STREAM_PIPE, from, to, IPCD_COLL_PIPE);
}

/*
 * An empty pipe with nothing in flight must have read every byte written.
 * If the counters disagree, bytes went by unseen (a FIFO closed with data in
 * it and reopened, a kernel writer): say so and start both counters afresh.
 */
static __always_inline void pipe_check_sync(const struct ipcd_pipe_key *key, struct ipcd_pipe_state *st,
					    struct pipe_inode_info *pipe)
{
	__u64 w_enters = st->w_enters, r_enters = st->r_enters;
	__u64 w, r;

	/*
	 * A call moves its counter before it stops being in flight, and is
	 * counted as begun before it moves bytes.  So: nothing in flight, the
	 * pipe empty, and no call begun since the start of this check mean
	 * the counters below are final for the bytes that were there.
	 */
	if (st->w_inflight > 0 || st->r_inflight > 0)
		return;
	if (!pipe || !pipe_is_empty(pipe))
		return;
	w = st->w_off;
	r = st->r_off;
	if (w == r || st->w_enters != w_enters || st->r_enters != r_enters)
		return;
	/* compare-and-swap: a call that begins meanwhile moves the counter itself */
	if (w > r) {
		if (__sync_val_compare_and_swap(&st->r_off, r, w) == r)
			emit_resync(key, r, w);
	} else {
		if (__sync_val_compare_and_swap(&st->w_off, w, r) == w)
			emit_resync(key, w, r);
	}
}

static __always_inline struct ipcd_pipe_state *pipe_state_get(struct file *file, const struct ipcd_pipe_key *key,
							 __u32 flags, bool recovering, bool write, long done)
{
	struct pipe_inode_info *pipe = BPF_CORE_READ(file, f_inode, i_pipe);
	struct ipcd_pipe_state *st = bpf_map_lookup_elem(&pipe_states, key);
	struct ipcd_pipe_state init = {};

	if (st) {
		if (!recovering)
			pipe_check_sync(key, st, pipe);
		return st;
	}
	init.base = pipe_unread_bytes(pipe);
	/*
	 * A call found only at its exit has already moved its bytes: a read
	 * took them out of what was there before, a write put them in.
	 */
	if (recovering && done > 0) {
		if (write)
			init.base = init.base > (__u64)done ? init.base - done : 0;
		else
			init.base += done;
	}
	init.w_off = init.base;
	bpf_map_update_elem(&pipe_states, key, &init, BPF_NOEXIST);
	if (flags & IPCD_F_FIFO)
		emit_fifo_path(file, key);
	return bpf_map_lookup_elem(&pipe_states, key);
}

/*
 * Resolves fd; on a pipe, registers one more call in flight on it.
 * A global function, verified once: inlined twice per call (read end and
 * write end), its branches multiply past the verifier's limit.
 */
__noinline int pipe_end_begin(struct pipe_end *end, int fd, int write, int recovering, long done)
{
	struct file *file;
	struct ipcd_pipe_state *st;
	struct pipe_inode_info *pipe;
	__s64 before;

	if (!end)
		return false;
	end->key.ino = 0;
	if (fd < 0)
		return false;
	file = fd_to_file(fd);
	if (!file)
		return false;
	end->flags = 0;
	end->fd = fd;
	if (!file_pipe_key(file, &end->key, &end->flags))
		return false;
	if (bpf_map_lookup_elem(&ignored_pipes, &end->key)) {
		end->key.ino = 0;
		return false;
	}
	st = pipe_state_get(file, &end->key, end->flags, recovering, write, done);
	end->pipe = (__u64)BPF_CORE_READ(file, f_inode, i_pipe);
	if (!st) {
		end->key.ino = 0;
		return false;
	}
	pipe = BPF_CORE_READ(file, f_inode, i_pipe);
	if (write) {
		before = __sync_fetch_and_add(&st->w_inflight, 1);
		end->seq = __sync_fetch_and_add(&st->w_enters, 1);
		if (pipe && !recovering && pipe_is_full(pipe))
			end->flags |= IPCD_F_BLOCKED;
	} else {
		before = __sync_fetch_and_add(&st->r_inflight, 1);
		end->seq = __sync_fetch_and_add(&st->r_enters, 1);
	}
	if (before > 0)
		end->flags |= IPCD_F_ORDER_UNCERTAIN;
	if (recovering)
		end->flags |= IPCD_F_STARTED_BEFORE;
	return true;
}

/* Writers that found a pipe end by fd mode (vmsplice goes either way). */
static __always_inline bool fd_is_writable(int fd)
{
	struct file *file = fd_to_file(fd);

	return file && (BPF_CORE_READ(file, f_mode) & IPCD_FMODE_WRITE);
}

static __always_inline bool pipe_call_setup(struct pipe_call *c, __u8 call, int rfd, int wfd,
					    __u64 buf, __u64 count, bool recovering, long done)
{
	bool has_rd, has_wr;

	c->call = call;
	c->buf = buf;
	c->count = count;
	c->iov = call == IPCD_CALL_READV || call == IPCD_CALL_WRITEV || call == IPCD_CALL_VMSPLICE;
	c->user_data = call == IPCD_CALL_WRITE || call == IPCD_CALL_WRITEV || call == IPCD_CALL_VMSPLICE;
	c->start_ns = recovering ? 0 : bpf_ktime_get_ns();
	has_rd = pipe_end_begin(&c->rd, rfd, false, recovering, done);
	has_wr = pipe_end_begin(&c->wr, wfd, true, recovering, done);
	return has_rd || has_wr;
}

/* Takes back the in-flight count of a call that could not be remembered. */
static __always_inline void pipe_end_abandon(const struct pipe_end *end, bool write)
{
	struct ipcd_pipe_state *st;

	if (!end->key.ino || !(st = bpf_map_lookup_elem(&pipe_states, &end->key)))
		return;
	if (write)
		__sync_fetch_and_add(&st->w_inflight, -1);
	else
		__sync_fetch_and_add(&st->r_inflight, -1);
}

static __always_inline int pipe_call_enter(__u8 call, int rfd, int wfd, __u64 buf, __u64 count)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pipe_call c = {}, *stale;

	if (is_self() || !is_live())
		return 0;
	if (call == IPCD_CALL_VMSPLICE) {
		/* vmsplice moves user pages into a pipe open for writing, else out of it. */
		if (fd_is_writable(rfd)) {
			wfd = rfd;
			rfd = -1;
		}
	}
	if (!pipe_call_setup(&c, call, rfd, wfd, buf, count, false, 0))
		return 0;
	/* A call of this thread whose exit we never saw: give its counts back. */
	stale = bpf_map_lookup_elem(&pipe_calls, &tid);
	if (stale) {
		pipe_end_abandon(&stale->rd, false);
		pipe_end_abandon(&stale->wr, true);
	}
	if (bpf_map_update_elem(&pipe_calls, &tid, &c, BPF_ANY)) {
		pipe_end_abandon(&c.rd, false);
		pipe_end_abandon(&c.wr, true);
	}
	return 0;
}

/* The reading call has a user buffer that now holds the bytes it read. */
static __always_inline bool reader_has_buffer(const struct pipe_call *c)
{
	return c->call == IPCD_CALL_READ || c->call == IPCD_CALL_READV || c->call == IPCD_CALL_VMSPLICE;
}

/*
 * Copies the first -B bytes a call moved into scratch: a write's from what
 * it wrote, a read's (when copy_read) from what it read.  A read through
 * splice or sendfile has no user buffer: its events keep the write's copy.
 */
static __always_inline __u32 copy_io_payload(const struct pipe_call *c, __u8 dir, long ret, bool copy_read,
					     __u32 *flags)
{
	__u32 len = 0;

	if (!cfg_payload_max)
		return 0;
	if (dir == IPCD_PIPE_WRITE) {
		if (!c->user_data) {
			*flags |= IPCD_F_PAYLOAD_UNAVAILABLE;
			return 0;
		}
	} else if (!copy_read || !reader_has_buffer(c)) {
		return 0;
	}
	len = copy_user_payload(c->buf, c->count, c->iov, ret);
	if (len < (__u64)ret)
		*flags |= IPCD_F_PAYLOAD_TRUNCATED;
	return len;
}

/* Sends the record of one end of a call; returns the payload bytes it carried, -1 if none went out. */
static __always_inline long emit_pipe_io(const struct pipe_call *c, const struct pipe_end *end, __u8 dir,
					 __u64 offset, long ret, __u64 base, __u32 flags, bool copy_read)
{
	struct ipcd_pipe_io *rec = scratch_begin(struct ipcd_pipe_io);
	__u32 len;

	if (!rec)
		return -1;
	fill_current(&rec->task);
	if (dir == IPCD_PIPE_WRITE ? !filter_may_pass_src(&rec->task) : !filter_may_pass_dst(&rec->task))
		return -1;
	len = copy_io_payload(c, dir, ret, copy_read, &flags);
	if (len > IPCD_PAYLOAD_MAX)
		len = IPCD_PAYLOAD_MAX;
	rec->ino = end->key.ino;
	rec->dev = end->key.dev;
	rec->dir = dir;
	rec->call = c->call;
	rec->payload_len = len;
	rec->offset = offset;
	rec->bytes = ret;
	rec->start_ns = c->start_ns;
	rec->base = base;
	rec->fd = end->fd;
	rec->error = 0;
	if (submit_scratch(&rec->hdr, IPCD_REC_PIPE_IO, flags, sizeof(*rec) + len, IPCD_COLL_PIPE))
		return -1;
	return len;
}

/* Numbers the bytes one end of a call moved, and reports them.  Global: see pipe_end_begin. */
__noinline int pipe_end_finish(const struct pipe_call *c, const struct pipe_end *end, int dir, long ret)
{
	struct ipcd_pipe_state *st;
	__u32 flags;
	__u64 offset = 0, base = 0;
	long copied;

	if (!c || !end)
		return 0;
	st = bpf_map_lookup_elem(&pipe_states, &end->key);
	flags = end->flags;
	if (!st)
		return 0;
	/*
	 * The counter moves before the call leaves "in flight": a check that
	 * sees nothing in flight must see every byte counted.
	 */
	if (dir == IPCD_PIPE_WRITE) {
		if (ret > 0)
			offset = __sync_fetch_and_add(&st->w_off, ret);
		if (st->w_enters != end->seq + 1)
			flags |= IPCD_F_ORDER_UNCERTAIN;
		__sync_fetch_and_add(&st->w_inflight, -1);
	} else {
		if (ret > 0)
			offset = __sync_fetch_and_add(&st->r_off, ret);
		if (st->r_enters != end->seq + 1)
			flags |= IPCD_F_ORDER_UNCERTAIN;
		__sync_fetch_and_add(&st->r_inflight, -1);
	}
	/* Counts only go negative if an LRU eviction lost a begin; heal them. */
	if (st->w_inflight < 0)
		st->w_inflight = 0;
	if (st->r_inflight < 0)
		st->r_inflight = 0;
	base = st->base;
	if (ret <= 0)
		return 0;
	if (dir == IPCD_PIPE_WRITE) {
		copied = emit_pipe_io(c, end, dir, offset, ret, base, flags, false);
		note_send_copied(&st->copied_from, &st->copied_to, offset, ret, copied, flags);
	} else {
		emit_pipe_io(c, end, dir, offset, ret, base, flags,
			     recv_needs_copy(&st->copied_from, &st->copied_to, offset, ret));
	}
	/*
	 * A read that may have emptied the pipe is a moment to check the
	 * counters; after its record, so userspace has it when told of a gap.
	 */
	if (dir == IPCD_PIPE_READ)
		pipe_check_sync(&end->key, st, (struct pipe_inode_info *)end->pipe);
	return 0;
}

static __always_inline void pipe_call_finish(const struct pipe_call *c, long ret)
{
	if (c->wr.key.ino)
		pipe_end_finish(c, &c->wr, IPCD_PIPE_WRITE, ret);
	if (c->rd.key.ino)
		pipe_end_finish(c, &c->rd, IPCD_PIPE_READ, ret);
}

/*
 * A call that was already in the kernel when tracing began (a reader blocked
 * on an empty pipe) has no entry record: rebuild it from the saved registers.
 */
static __always_inline void pipe_call_recover(__u8 call, long ret)
{
	struct pt_regs *regs = user_regs();
	int fd = PT_REGS_PARM1_CORE_SYSCALL(regs);
	__u64 buf = PT_REGS_PARM2_CORE_SYSCALL(regs);
	__u64 count = PT_REGS_PARM3_CORE_SYSCALL(regs);
	struct pipe_call c = {};
	bool is_read = call == IPCD_CALL_READ || call == IPCD_CALL_READV;

	if (ret <= 0)
		return;
	if (pipe_call_setup(&c, call, is_read ? fd : -1, is_read ? -1 : fd, buf, count, true, ret))
		pipe_call_finish(&c, ret);
}

static __always_inline int pipe_call_exit(__u8 call, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pipe_call *c;

	if (is_self())
		return 0;
	c = bpf_map_lookup_elem(&pipe_calls, &tid);
	if (!c) {
		if (!is_live())
			return 0;
		if (call == IPCD_CALL_READ || call == IPCD_CALL_WRITE ||
		    call == IPCD_CALL_READV || call == IPCD_CALL_WRITEV)
			pipe_call_recover(call, ret);
		return 0;
	}
	pipe_call_finish(c, ret);
	bpf_map_delete_elem(&pipe_calls, &tid);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int ipcd_pipe_enter_write(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_WRITE, -1, ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_write")
int ipcd_pipe_exit_write(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_WRITE, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_read")
int ipcd_pipe_enter_read(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_READ, ctx->args[0], -1, ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_read")
int ipcd_pipe_exit_read(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_READ, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_writev")
int ipcd_pipe_enter_writev(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_WRITEV, -1, ctx->args[0], ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_writev")
int ipcd_pipe_exit_writev(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_WRITEV, ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_readv")
int ipcd_pipe_enter_readv(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_READV, ctx->args[0], -1, ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_readv")
int ipcd_pipe_exit_readv(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_READV, ctx->ret);
}

/* splice(fd_in, off_in, fd_out, off_out, len, flags) */
SEC("tracepoint/syscalls/sys_enter_splice")
int ipcd_pipe_enter_splice(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_SPLICE, ctx->args[0], ctx->args[2], 0, ctx->args[4]);
}

SEC("tracepoint/syscalls/sys_exit_splice")
int ipcd_pipe_exit_splice(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_SPLICE, ctx->ret);
}

/* tee(fd_in, fd_out, len, flags) copies without consuming: only a write. */
SEC("tracepoint/syscalls/sys_enter_tee")
int ipcd_pipe_enter_tee(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_TEE, -1, ctx->args[1], 0, ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_tee")
int ipcd_pipe_exit_tee(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_TEE, ctx->ret);
}

/* vmsplice(fd, iov, nr_segs, flags) */
SEC("tracepoint/syscalls/sys_enter_vmsplice")
int ipcd_pipe_enter_vmsplice(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_VMSPLICE, ctx->args[0], -1, ctx->args[1], ctx->args[2]);
}

SEC("tracepoint/syscalls/sys_exit_vmsplice")
int ipcd_pipe_exit_vmsplice(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_VMSPLICE, ctx->ret);
}

/* sendfile(out_fd, in_fd, offset, count) */
SEC("tracepoint/syscalls/sys_enter_sendfile64")
int ipcd_pipe_enter_sendfile(struct trace_event_raw_sys_enter *ctx)
{
	return pipe_call_enter(IPCD_CALL_SENDFILE, ctx->args[1], ctx->args[0], 0, ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_exit_sendfile64")
int ipcd_pipe_exit_sendfile(struct trace_event_raw_sys_exit *ctx)
{
	return pipe_call_exit(IPCD_CALL_SENDFILE, ctx->ret);
}
