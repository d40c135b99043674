// SPDX-License-Identifier: GPL-2.0
/* The fleet's node, group and cluster names (fleet_name.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/fleet_name.h"

int cosi_fleet_name_check(const char *what, const char *name, char *msg,
			  size_t len)
{
	size_t i, n = strlen(name);

	for (i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		      ch == '_'))
			break;
	}
	if (n && n <= 63 && i == n && strcmp(name, ".") && strcmp(name, ".."))
		return 0;
	snprintf(msg, len, "%s '%s': expected 1 to 63 of A-Z a-z 0-9 . - _ (one etcd key segment)",
		 what, name);
	return -EINVAL;
}

int cosi_fleet_label_check(const char *kv, char *msg, size_t len)
{
	const char *eq = strchr(kv, '='), *p;
	size_t klen = eq ? (size_t)(eq - kv) : 0;

	if (!eq || !klen || klen > COSI_FLEET_NODE_LABEL_KEY_MAX) {
		snprintf(msg, len, "--node-label '%.300s': expected KEY=VALUE, KEY 1 to %d bytes",
			 kv, COSI_FLEET_NODE_LABEL_KEY_MAX);
		return -EINVAL;
	}
	for (p = kv; p < eq; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			goto bad;
	if (strlen(eq + 1) > COSI_FLEET_NODE_LABEL_VALUE_MAX) {
		snprintf(msg, len, "--node-label '%.80s...': the value is over %d bytes",
			 kv, COSI_FLEET_NODE_LABEL_VALUE_MAX);
		return -EINVAL;
	}
	for (p = eq + 1; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			goto bad;
	return 0;
bad:
	snprintf(msg, len, "--node-label '%.300s': printable ASCII only (and no space in the key)",
		 kv);
	return -EINVAL;
}
