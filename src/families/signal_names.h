/* SPDX-License-Identifier: GPL-2.0 */
/* Signals by name: the printers' names, and the numbers the filter reads ("signal == USR1"). */
#ifndef IPCD_SIGNAL_NAMES_H
#define IPCD_SIGNAL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* "SIGUSR1", "SIGRTMIN+2"; buf holds the names made up on the spot. */
const char *ipcd_signal_name(int sig, char *buf, size_t len);
/* A signal's number from its name ("SIGUSR1", "usr1", "RTMIN+2", "SIGRTMAX"); false if unknown. */
bool ipcd_signal_number(const char *name, int *sig);
const char *ipcd_signal_code_name(int code);
const char *ipcd_signal_result_name(int result);

#endif /* IPCD_SIGNAL_NAMES_H */
