/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Records into the ring buffer: the ring itself, the per-CPU scratch
 * record that records with payload are built in, the loss counters, and
 * the one way each kind of record is reserved, stamped and sent.
 */
#ifndef IPCD_RING_BPF_H
#define IPCD_RING_BPF_H

#include "common.bpf.h"
#include "filter.bpf.h"
#include "task.bpf.h"

IPCD_SHARED struct ipcd_counters counters;

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/*
 * One big scratch record per CPU: records with payload are built here and
 * copied into the ring with their real length.  Twice the payload limit so
 * that "offset < MAX, length <= MAX" is provably in bounds for the verifier.
 * A plain array indexed by CPU, not a per-CPU array, because per-CPU values
 * are limited to 32 KiB; userspace sizes it to the number of possible CPUs.
 * Tracepoint programs do not migrate, so a CPU's slot is ours while we run.
 */
#define IPCD_SCRATCH_HEAD 256
struct ipcd_scratch {
	__u8 head[IPCD_SCRATCH_HEAD];     /* the record's fixed part ends here... */
	__u8 data[2 * IPCD_PAYLOAD_MAX];  /* ...and its payload follows it */
};

/* The fixed part of a record of this type, placed so that data is its payload. */
#define scratch_record(s, type)                                                               \
	({                                                                                    \
		_Static_assert(sizeof(type) <= IPCD_SCRATCH_HEAD, "record fits the scratch head"); \
		(type *)((s)->data - sizeof(type));                                           \
	})

IPCD_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ipcd_scratch);
} scratch SEC(".maps");

static __always_inline struct ipcd_scratch *this_cpu_scratch(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

/* A record of type begun in this CPU's scratch, its payload to follow; NULL if there is none. */
#define scratch_begin(type)                                                                   \
	({                                                                                    \
		struct ipcd_scratch *sb__ = this_cpu_scratch();                               \
		type *sr__ = NULL;                                                            \
		if (sb__)                                                                     \
			sr__ = scratch_record(sb__, type);                                    \
		sr__;                                                                         \
	})

#define IPCD_IOV_MAX 64  /* iovecs whose payload is copied */

/*
 * Copies the first bytes a call sent (min(bytes, -B)) into this CPU's
 * scratch data: from buf, or with is_iov from the count iovecs at buf.
 * Returns how many it copied.  Global: verified once for every caller
 * (common.bpf.c).
 */
__u32 copy_user_payload(__u64 buf, __u64 count, int is_iov, __u64 bytes);

/*
 * Flags for a ring-buffer write.  Waking the reader for every record costs
 * the traced process an interrupt and the reader a context switch per
 * event; userspace looks at the ring every few milliseconds anyway, so it
 * is woken only when the ring has filled up to cfg_wakeup_bytes.
 */
static __always_inline __u64 ring_flags(void)
{
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void count_lost(enum ipcd_collector c)
{
	if (c < IPCD_COLL_MAX)
		__sync_fetch_and_add(&counters.lost[c], 1);
}

static __always_inline void stamp_header(struct ipcd_record_header *hdr, __u16 kind, __u32 flags, __u64 size)
{
	hdr->kind = kind;
	hdr->size = size;
	hdr->flags = flags;
	hdr->ts_ns = bpf_ktime_get_ns();
}

/*
 * Sends a record built in this CPU's scratch, size bytes from hdr (its
 * fixed part and the payload after it), stamped with kind, flags and the
 * time; counted lost for coll if the ring is full.  Returns 0, or -1 if
 * it was lost.
 */
static __always_inline int submit_scratch(struct ipcd_record_header *hdr, __u16 kind, __u32 flags, __u64 size,
					  enum ipcd_collector coll)
{
	stamp_header(hdr, kind, flags, size);
	/*
	 * A no-op (size <= the fixed part + IPCD_PAYLOAD_MAX) for the
	 * verifier, which loses the bound of a payload length on the
	 * compiler's way; the barrier keeps the compiler from dropping it.
	 */
	barrier_var(size);
	size &= 2 * IPCD_PAYLOAD_MAX - 1;
	if (bpf_ringbuf_output(&events, hdr, size, ring_flags())) {
		count_lost(coll);
		return -1;
	}
	return 0;
}

/*
 * Reserves a record of type (which has hdr first), zeroed if asked, its
 * header stamped with kind, size and time; NULL, and counted lost for
 * collector coll, if the ring is full.  The caller fills the rest and
 * submits it.  (Zeroed whole, through the record's own type: a memset of
 * part of it loses the alignment and costs a store per byte.)
 */
#define ring_reserve(type, kind_, coll, zeroed)                                               \
	({                                                                                    \
		type *r__ = bpf_ringbuf_reserve(&events, sizeof(type), 0);                    \
		if (r__) {                                                                    \
			if (zeroed)                                                           \
				__builtin_memset(r__, 0, sizeof(type));                       \
			stamp_header(&r__->hdr, (kind_), 0, sizeof(type));                    \
		} else {                                                                      \
			count_lost(coll);                                                     \
		}                                                                             \
		r__;                                                                          \
	})

/* A record whose every field the caller sets. */
#define record_reserve(type, kind_, coll) ring_reserve(type, kind_, coll, false)

/*
 * Reserves a record of type (which has hdr and task first), zeroed and
 * stamped with kind, size, time and the current task; NULL, and counted
 * lost for collector coll, if the ring is full.  The caller submits it (or
 * discards it, if the filters rule the current task out).
 */
#define record_begin(type, kind_, coll)                                                       \
	({                                                                                    \
		type *b__ = ring_reserve(type, kind_, coll, true);                            \
		if (b__)                                                                      \
			fill_current(&b__->task);                                             \
		b__;                                                                          \
	})

/* A record begun for the current task, unless the source-side filters rule it out. */
#define record_begin_src(type, kind_, coll)                                                   \
	({                                                                                    \
		type *s__ = record_begin(type, kind_, coll);                                  \
		if (s__ && !filter_may_pass_src(&s__->task)) {                                \
			bpf_ringbuf_discard(s__, 0);                                          \
			s__ = NULL;                                                           \
		}                                                                             \
		s__;                                                                          \
	})

#endif /* IPCD_RING_BPF_H */
