/* SPDX-License-Identifier: GPL-2.0 */
/* The one definition of the maps and globals that every collector shares. */
#define IPCD_DEFINE_SHARED
#include "common.bpf.h"

const volatile __u32 cfg_self_tgid = 0;
const volatile __u32 cfg_payload_max = 0;
const volatile __u32 cfg_filters = 0;
const volatile __u32 cfg_kernel_signals = 0;
const volatile __u64 cfg_wakeup_bytes = 0;

struct ipcd_counters counters = {};
volatile __u32 tracing_state = IPCD_TRACING_ATTACHING;

char LICENSE[] SEC("license") = "GPL";
