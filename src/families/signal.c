/* SPDX-License-Identifier: GPL-2.0 */
/* Signals: kill, tgkill, sigqueue and the kernel's own, each one event. */
#include "engine/family.h"
#include "ipcdump.skel.h"  /* after records.h, whose types it uses */
#include "families/channel_keys.h"
#include "families/signal_join.h"
#include "families/signal_names.h"

static void *signal_new(const struct ipcd_family_env *env)
{
	return signal_join_new(env->emit, env->emit_ctx, env->procs);
}

static void signal_free(void *state)
{
	signal_join_free(state);
}

static void on_signal(void *state, const void *rec, size_t size)
{
	(void)size;
	signal_join_record(state, rec);
}

/* Kept by the size of a header alone, as before the registry: a signal's key is its time. */
static bool signal_channel(const void *rec, size_t size, uint64_t *key)
{
	(void)size;
	*key = ipcd_signal_channel(rec);
	return true;
}

static void signal_configure(struct ipcdump_bpf *skel, const struct ipcd_options *opts, bool enabled)
{
	(void)enabled;
	skel->rodata->cfg_kernel_signals = opts->kernel_signals;
}

/* signal == N: the signal sent; other events have none. */
static bool signal_value(const struct ipcd_event *e, int64_t *num)
{
	if (e->type != IPCD_TYPE_SIGNAL)
		return false;
	*num = e->sig;
	return true;
}

/* A signal by name, as output prints it or kill -l takes it: "SIGUSR1", "USR1", "RTMIN+2". */
static bool signal_word(const char *text, int64_t *num)
{
	int sig;

	if (!ipcd_signal_number(text, &sig))
		return false;
	*num = sig;
	return true;
}

static const struct ipcd_filter_field signal_fields[] = {
	{ "signal", signal_value, signal_word },
	{ 0 },
};

static const struct ipcd_family_record signal_records[] = {
	{ IPCD_REC_SIGNAL, sizeof(struct ipcd_signal), "signal", on_signal, signal_channel },
	{ 0 },
};

static const struct ipcd_type_alias signal_aliases[] = {
	{ "k", "signal", "kill", IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL) },
	{ 0 },
};

/* Its event types, by the names every format prints. */
static const struct ipcd_type_label signal_type_labels[] = {
	{ IPCD_TYPE_SIGNAL, "signal" },
	{ 0, NULL },
};

/* its printer: families/signal_print.c */
extern const struct ipcd_printer ipcd_signal_printer;

const struct ipcd_family ipcd_family_signal = {
	.name = "signal",
	.collector = IPCD_COLL_SIGNAL,
	.prog_prefix = "ipcd_signal_",
	.types = IPCD_TYPE_BIT(IPCD_TYPE_SIGNAL),
	.type_labels = signal_type_labels,
	.aliases = signal_aliases,
	.names_rank = 0,
	.records = signal_records,
	.filter_fields = signal_fields,
	.printer = &ipcd_signal_printer,
	.configure = signal_configure,
	.new = signal_new,
	.free = signal_free,
};
