// SPDX-License-Identifier: GPL-2.0
/*
 * sd_notify(3) through libsystemd: it already speaks the protocol's corners
 * (abstract socket names, WATCHDOG_PID, credentials), and journald's output
 * links it anyway.
 */
#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include "daemon/notify.h"

/* 0: no watchdog asked for, or not of us */
static uint64_t watchdog_every_ns;
static uint64_t watchdog_last_ns;
static bool watchdog_pinged;

void ipcdd_notify_init(void)
{
	uint64_t usec = 0;

	watchdog_every_ns = 0;
	/* > 0 only when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is ours */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
		watchdog_every_ns = usec * 1000 / 2;  /* half, as sd_watchdog_enabled(3) advises */
	watchdog_pinged = false;
}

/* A message of several lines, with STATUS= last when there is one. */
static void send_state(const char *state, const char *status)
{
	if (status)
		sd_notifyf(0, "%s\nSTATUS=%s", state, status);
	else
		sd_notify(0, state);
}

void ipcdd_notify_ready(const char *status)
{
	send_state("READY=1", status);
}

void ipcdd_notify_reloading(void)
{
	send_state("RELOADING=1", "Reloading the configuration");
}

void ipcdd_notify_stopping(void)
{
	send_state("STOPPING=1", "Stopping: writing out the events still held");
}

void ipcdd_notify_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void ipcdd_notify_watchdog(uint64_t now_ns)
{
	if (!watchdog_every_ns)
		return;
	if (watchdog_pinged && now_ns - watchdog_last_ns < watchdog_every_ns)
		return;
	sd_notify(0, "WATCHDOG=1");
	watchdog_last_ns = now_ns;
	watchdog_pinged = true;
}
