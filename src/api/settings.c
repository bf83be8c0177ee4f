// SPDX-License-Identifier: GPL-2.0
/* The `api:` section's own helpers (server.h): roles, listen addresses, freeing. */
#include <stdlib.h>
#include <string.h>
#include "api/server.h"

void ipcda_config_free(struct ipcda_config *cfg)
{
	for (size_t i = 0; i < cfg->listen_count; i++)
		free(cfg->listen[i]);
	for (size_t i = 0; i < cfg->token_count; i++)
		free(cfg->tokens[i].name);
	for (size_t i = 0; i < cfg->user_count; i++) {
		free(cfg->users[i].name);
		free(cfg->users[i].password_hash);
	}
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->token_file);
	memset(cfg, 0, sizeof(*cfg));
}

const char *ipcda_role_name(enum ipcda_role role)
{
	switch (role) {
	case IPCDA_ROLE_READ: return "read";
	case IPCDA_ROLE_ADMIN: return "admin";
	default: return "none";
	}
}

enum ipcda_role ipcda_role_parse(const char *name)
{
	if (!strcmp(name, "read"))
		return IPCDA_ROLE_READ;
	if (!strcmp(name, "admin"))
		return IPCDA_ROLE_ADMIN;
	return IPCDA_ROLE_NONE;
}
