/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ipcdumpd tells systemd (sd_notify(3), Type=notify): ready once every
 * collector is attached, a status line, watchdog pings while the loop
 * turns, stopping and reloading.  When systemd did not start it (no
 * NOTIFY_SOCKET), every call does nothing.
 */
#ifndef IPCD_DAEMON_NOTIFY_H
#define IPCD_DAEMON_NOTIFY_H

#include <stdint.h>

/* Reads the watchdog interval systemd asks for (WATCHDOG_USEC, for us if WATCHDOG_PID says so). */
void ipcdd_notify_init(void);

/* READY=1 with status as STATUS=: at start, and again after a reload. */
void ipcdd_notify_ready(const char *status);
/* RELOADING=1: a SIGHUP's reload begins (ipcdd_notify_ready when it is done). */
void ipcdd_notify_reloading(void);
/* STOPPING=1: the loop is over, what is left is being written out. */
void ipcdd_notify_stopping(void);
/* STATUS= alone: what systemctl status shows. */
void ipcdd_notify_status(const char *status);
/* WATCHDOG=1 if half the interval has passed since the last; call it from the loop, now by CLOCK_MONOTONIC. */
void ipcdd_notify_watchdog(uint64_t now_ns);

#endif /* IPCD_DAEMON_NOTIFY_H */
