/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every collector includes first: the kernel's types, the record
 * layouts, the run's configuration (filled in by userspace before load)
 * and whether tracing is live.  The other headers each bring one concern:
 *
 *   ring.bpf.h        the ring buffer, scratch records, loss counters
 *   filter.bpf.h      the in-kernel filters and the channels sends went out on
 *   task.bpf.h        the current task's registers and files
 *   sockcall.bpf.h    the syscall behind a socket send or receive (unix, inet)
 *   stream.bpf.h      byte streams (pipes, unix streams): copied ranges, resyncs
 *   core_fixes.bpf.h  kernel-version differences
 *
 * The maps and globals are defined once, in common.bpf.c (IPCD_DEFINE_SHARED);
 * the other objects see them as externs and bpftool links all of them into
 * one skeleton.
 */
#ifndef IPCD_COMMON_BPF_H
#define IPCD_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "../records.h"

#ifdef IPCD_DEFINE_SHARED
#define IPCD_SHARED
#else
#define IPCD_SHARED extern
#endif

/* Set by userspace between open and load; the verifier prunes what is off. */
IPCD_SHARED const volatile __u32 cfg_self_tgid;
IPCD_SHARED const volatile __u32 cfg_payload_max;  /* 0: no payload */
IPCD_SHARED const volatile __u32 cfg_filters;      /* enum ipcd_filter_flag */
IPCD_SHARED const volatile __u32 cfg_kernel_signals;
IPCD_SHARED const volatile __u64 cfg_wakeup_bytes; /* wake the reader at this much data */

/*
 * Set by userspace: live once every hook is attached, stopped when it
 * stops.  Hooks attach and detach one by one; this makes start and stop one
 * instant each, so no message is seen by one hook and missed by the next.
 * Calls in flight at the stop still get their exits.
 */
IPCD_SHARED volatile __u32 tracing_state;  /* enum ipcd_tracing_state */

static __always_inline bool is_live(void)
{
	return tracing_state == IPCD_TRACING_LIVE;
}

static __always_inline bool is_self(void)
{
	return (bpf_get_current_pid_tgid() >> 32) == cfg_self_tgid;
}

#endif /* IPCD_COMMON_BPF_H */
