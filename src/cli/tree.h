/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line's traced tree: the command after "--", started stopped
 * until tracing is attached, and --follow's processes; the run ends when
 * they do.  The pipeline keeps the tree's membership; this starts, watches
 * and ends its roots.
 */
#ifndef IPCD_CLI_TREE_H
#define IPCD_CLI_TREE_H

#include <signal.h>
#include "cli/launch.h"
#include "engine/pipeline.h"

struct cli_tree {
	const struct ipcd_options *opts;
	struct launched command;   /* -- CMD */
	struct followed followed;  /* --follow */
	/* a stop signal while the command runs: for it, passed on (set by the signal handler) */
	volatile sig_atomic_t command_takes_signal, signal_to_forward;
};

/* The roots join p's tree; 0, or an exit code after a one-line error. */
int cli_tree_prepare(struct cli_tree *t, struct ipcd_pipeline *p);
/* The hooks that release the command, pass signals on and end the run with it. */
struct ipcd_live_hooks cli_tree_hooks(struct cli_tree *t);
/* After the run: ipcdump's exit code rc, or the command's. */
int cli_tree_end(struct cli_tree *t, int rc);

#endif /* IPCD_CLI_TREE_H */
