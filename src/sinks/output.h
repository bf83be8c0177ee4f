/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The printers' API under its former name, for the code that still
 * includes it (the printers' unit tests, the print sink).  New code
 * includes format/output.h, and a family's names from its header.
 */
#ifndef IPCD_SINKS_OUTPUT_H
#define IPCD_SINKS_OUTPUT_H

#include "families/inet_names.h"
#include "families/signal_names.h"
#include "families/unix_types.h"
#include "format/output.h"

#endif /* IPCD_SINKS_OUTPUT_H */
