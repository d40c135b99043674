/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fleet's names (Documentation/fleet.rst): a node, group or cluster
 * name is one etcd key segment.  One check for cosid --etcd and cosictl
 * --etcd.
 */
#ifndef _COSI_COMMON_FLEET_NAME_H
#define _COSI_COMMON_FLEET_NAME_H

#include <stddef.h>

/* The namespace of the documents the fleet writes (cosid's config). */
#define COSI_FLEET_NS	"config"

/*
 * 1..63 of [A-Za-z0-9._-], not "." or "..".  0, or -EINVAL with a
 * one-line @msg naming @what (the option) and @name.
 */
int cosi_fleet_name_check(const char *what, const char *name, char *msg,
			  size_t len);

#endif /* _COSI_COMMON_FLEET_NAME_H */
