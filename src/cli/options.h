/* SPDX-License-Identifier: GPL-2.0 */
/* The command line: IPCDump's flags, and ours beside them, into struct ipcd_options. */
#ifndef IPCD_CLI_OPTIONS_H
#define IPCD_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>
#include "engine/options.h"

/*
 * Parses argv into opts.  Returns -1 to go on (check show_help and
 * show_version), or IPCD_EXIT_USAGE after a one-line error on err.
 */
int ipcd_parse_options(int argc, char **argv, struct ipcd_options *opts, FILE *err);
void ipcd_print_usage(FILE *out);

/* Frees what parsing allocated (the filter). */
void ipcd_options_free(struct ipcd_options *opts);

/* The name in names[] closest to typed (edit distance), if close enough to suggest; else NULL. */
const char *ipcd_closest_name(const char *typed, const char *const *names, size_t count);

/* arg is an option whose value is the next argument ("-w", "--read", "-xw"; not "-wFILE"). */
bool ipcd_option_takes_value(const char *arg);

#endif /* IPCD_CLI_OPTIONS_H */
