/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared-memory collector's records made into events: who created,
 * mapped, unmapped and removed which object, with the processes sharing it
 * after each change, and handoffs through the kernel: a futex wake paired
 * with the waits it ended on the same object and offset, and a SysV
 * semaphore release with the semop waits it ended.
 */
#ifndef IPCD_SHM_EVENTS_H
#define IPCD_SHM_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include "engine/event.h"
#include "engine/stream_join.h"

#define IPCD_SHARERS_MAX 16   /* processes listed per object in an event */

struct shm_events;

struct shm_events *shm_events_new(ipcd_emit_fn emit, void *emit_ctx);
void shm_events_free(struct shm_events *s);

void shm_events_op(struct shm_events *s, const struct ipcd_shm_op *rec);
void shm_events_futex(struct shm_events *s, const struct ipcd_futex *rec);
/* A semop: a release paired with the waits it ended on the same semaphore. */
void shm_events_semop(struct shm_events *s, const struct ipcd_semop *rec);
/* A process exited: it shares nothing any more. */
void shm_events_exited(struct shm_events *s, uint32_t pid);

/* Waits whose wake was not seen in max_age_ns: reported with an unknown waker. */
void shm_events_expire(struct shm_events *s, uint64_t now_ns, uint64_t max_age_ns);
void shm_events_flush(struct shm_events *s);

#endif /* IPCD_SHM_EVENTS_H */
