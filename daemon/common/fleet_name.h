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

/* --node-label KEY=VALUE: labels per node, a key's and a value's bytes. */
#define COSI_FLEET_NODE_LABELS_MAX	64
#define COSI_FLEET_NODE_LABEL_KEY_MAX	63
#define COSI_FLEET_NODE_LABEL_VALUE_MAX	255

/*
 * A node label "KEY=VALUE" (the registration's "labels", as a resource's
 * labels are in the kernel): KEY 1..63 printable ASCII bytes but '=',
 * VALUE up to 255 bytes of printable ASCII or space.  0, or -EINVAL with
 * a one-line @msg naming @kv.
 */
int cosi_fleet_label_check(const char *kv, char *msg, size_t len);

#endif /* _COSI_COMMON_FLEET_NAME_H */
