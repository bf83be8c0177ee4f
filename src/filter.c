/* SPDX-License-Identifier: GPL-2.0 */
#include <string.h>
#include "filter.h"

static bool pid_in(const struct ipcd_id_list *list, const struct ipcd_endpoint *ep)
{
	if (ep->pid < 0)
		return false;
	for (size_t i = 0; i < list->count; i++)
		if (list->ids[i] == (uint32_t)ep->pid)
			return true;
	return false;
}

static bool comm_in(const struct ipcd_comm_list *list, const struct ipcd_endpoint *ep)
{
	if (ep->pid < 0)
		return false;
	for (size_t i = 0; i < list->count; i++)
		if (!strncmp(list->comms[i], ep->comm, IPCD_COMM_LEN))
			return true;
	return false;
}

bool ipcd_filter_active(const struct ipcd_options *opts)
{
	return opts->any_pids.count || opts->src_pids.count || opts->dst_pids.count ||
	       opts->any_comms.count || opts->src_comms.count || opts->dst_comms.count;
}

bool ipcd_filter_match(const struct ipcd_options *opts, const struct ipcd_event *e)
{
	if (e->type == IPCD_TYPE_LOST)
		return true;
	if (opts->any_pids.count && !pid_in(&opts->any_pids, &e->src) && !pid_in(&opts->any_pids, &e->dst))
		return false;
	if (opts->src_pids.count && !pid_in(&opts->src_pids, &e->src))
		return false;
	if (opts->dst_pids.count && !pid_in(&opts->dst_pids, &e->dst))
		return false;
	if (opts->any_comms.count && !comm_in(&opts->any_comms, &e->src) &&
	    !comm_in(&opts->any_comms, &e->dst))
		return false;
	if (opts->src_comms.count && !comm_in(&opts->src_comms, &e->src))
		return false;
	if (opts->dst_comms.count && !comm_in(&opts->dst_comms, &e->dst))
		return false;
	return true;
}
