/* SPDX-License-Identifier: GPL-2.0 */
#include <stdio.h>
#include "cli/tree.h"
#include "engine/proc_table.h"

/*
 * The roots: --follow's processes, and the command, started stopped so that
 * tracing is attached before its first instruction.  Their descendants alive
 * now join; those to come, the kernel adds as they fork.
 */
int cli_tree_prepare(struct cli_tree *t, struct ipcd_pipeline *p)
{
	const struct ipcd_options *o = t->opts;
	struct proc_table *procs = ipcd_pipeline_procs(p);
	char err[512];

	ipcd_pipeline_trace_tree(p, o->inside);
	if (follow_open(&t->followed, o->follow_pids.ids, o->follow_pids.count, err, sizeof(err)))
		goto fail;
	for (size_t i = 0; i < o->follow_pids.count; i++)
		proc_table_join_tree(procs, o->follow_pids.ids[i]);
	if (o->command) {
		if (launch_stopped(&t->command, o->command, o->run_as_user, err, sizeof(err)))
			goto fail;
		proc_table_join_tree(procs, (uint32_t)t->command.pid);
	}
	proc_table_scan(procs, "/proc");
	proc_table_tree_descendants(procs);
	return 0;
fail:
	fprintf(stderr, "ipcdump: %s\n", err);
	return IPCD_EXIT_FAILURE;
}

/* Tracing is attached: the command goes on into exec, and the first stop signal is its. */
static void release_command(void *ctx)
{
	struct cli_tree *t = ctx;

	if (!t->opts->command)
		return;
	t->command_takes_signal = 1;
	launch_release(&t->command);
}

/* The command ends the run; without one, --follow's processes all gone do. */
static bool tree_finished(struct cli_tree *t)
{
	if (t->opts->command)
		return launch_done(&t->command);
	return t->followed.count && follow_all_exited(&t->followed);
}

static bool forward_and_check(void *ctx)
{
	struct cli_tree *t = ctx;

	if (tree_finished(t))
		return true;
	if (t->signal_to_forward) {
		launch_forward(&t->command, t->signal_to_forward);
		t->signal_to_forward = 0;
	}
	return false;
}

static void stop_forwarding(void *ctx)
{
	struct cli_tree *t = ctx;

	t->command_takes_signal = 0;
}

struct ipcd_live_hooks cli_tree_hooks(struct cli_tree *t)
{
	return (struct ipcd_live_hooks){
		.ctx = t,
		.started = release_command,
		.poll = forward_and_check,
		.stopping = stop_forwarding,
	};
}

/*
 * With a command, ipcdump exits with its status once it has exited; if
 * tracing ended first (-c, a second interrupt, output closed) the command
 * goes on untraced.  ipcdump's own failure comes first.
 */
int cli_tree_end(struct cli_tree *t, int rc)
{
	follow_close(&t->followed);
	if (!t->opts->command || !t->command.pid)
		return rc;
	if (rc && !t->command.exited) {
		launch_forward(&t->command, SIGKILL);
		launch_release(&t->command);
		launch_wait(&t->command);
	}
	if (rc)
		return rc;
	if (!launch_done(&t->command)) {
		/* -c, a second interrupt, or the output closed: the command is still someone's work */
		fprintf(stderr, "ipcdump: tracing stopped; %s (pid %d) goes on running, untraced\n",
			t->opts->command[0], (int)t->command.pid);
		return rc;
	}
	return launch_exit_code(&t->command);
}
