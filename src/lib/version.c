/* SPDX-License-Identifier: GPL-2.0 */
/* The library's version at run time, beside the header's IPCDUMP_VERSION_* at build time. */
#include "lib/lib.h"

#define STR(x) #x
#define XSTR(x) STR(x)

unsigned int ipcdump_version(void)
{
	return IPCDUMP_VERSION;
}

const char *ipcdump_version_string(void)
{
	return XSTR(IPCDUMP_VERSION_MAJOR) "." XSTR(IPCDUMP_VERSION_MINOR) "." XSTR(IPCDUMP_VERSION_PATCH)
		" (" IPCD_VERSION ")";
}
