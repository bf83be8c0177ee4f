/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The printers' API under its former name: the unit tests of the printers
 * include it.  New code includes format/output.h (and families/signal_names.h
 * for signals by name).
 */
#ifndef IPCD_SINKS_OUTPUT_H
#define IPCD_SINKS_OUTPUT_H

#include "families/signal_names.h"
#include "format/output.h"

#endif /* IPCD_SINKS_OUTPUT_H */
