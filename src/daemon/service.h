/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipcdumpd's run: the pipeline its configuration describes, each output
 * behind its own queue (sinks/queue.c), and what happens while it runs:
 * SIGHUP reloads the configuration, SIGUSR1 reopens the outputs' files,
 * outputs that drop events say so (at most every 10 s), and the end
 * summary has one line per output.
 */
#ifndef IPCD_DAEMON_SERVICE_H
#define IPCD_DAEMON_SERVICE_H

#include "daemon/config.h"

/*
 * Traces into cfg's outputs until ipcdd_service_stop; the exit code.  cfg
 * is the configuration read from config_path; the run owns it from now on
 * (frees it, and the configurations reloaded after it).
 */
int ipcdd_service_run(const char *config_path, struct ipcdd_config *cfg);

/* Safe in a signal handler: SIGTERM and SIGINT end the run (every output flushed). */
void ipcdd_service_stop(void);
/* Safe in a signal handler: SIGHUP, the configuration read again at the next poll. */
void ipcdd_service_reload(void);
/* Safe in a signal handler: SIGUSR1, every output reopened at the next poll. */
void ipcdd_service_reopen(void);

#endif /* IPCD_DAEMON_SERVICE_H */
