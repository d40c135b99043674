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
