// SPDX-License-Identifier: GPL-2.0
#include "api/reply.h"

#include <stdlib.h>
#include "api/api.h"

void ipcda_reply_memstream(struct ipcda_request *rq, unsigned status, const char *content_type, FILE *f,
			   char **buf, size_t *len)
{
	if (fclose(f) || !*buf)
		ipcda_reply_error(rq, 500, "out of memory");
	else
		ipcda_reply(rq, status, content_type, *buf, *len);
	free(*buf);
	*buf = NULL;
}
