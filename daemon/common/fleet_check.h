/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cosid --etcd and cosictl --etcd check alike (Documentation/
 * fleet.rst): a desired document against the limits cosid applies it
 * under, and the TLS options against the endpoints.  One definition of
 * each, so that cosictl apply refuses what cosid would skip.
 */
#ifndef _COSI_COMMON_FLEET_CHECK_H
#define _COSI_COMMON_FLEET_CHECK_H

#include <stddef.h>

struct cosi_doc;

/* The label and annotation cosid adds to each document it applies. */
#define COSI_FLEET_SOURCE_LABEL		"cosi.dev/fleet-source"
#define COSI_FLEET_KEY_ANNOTATION	"cosi.dev/fleet-key"

/* An etcd value cosid takes: one document in one netlink message. */
#define COSI_FLEET_VALUE_MAX		(60 * 1024)
/*
 * Labels, and annotations, per resource: the kernel's max_labels
 * (Documentation/design.rst, its default).  cosid adds 2 labels
 * (COSI_SOURCE_LABEL, COSI_FLEET_SOURCE_LABEL) and 1 annotation
 * (COSI_FLEET_KEY_ANNOTATION) to each document.
 */
#define COSI_FLEET_LABELS_MAX		64
#define COSI_FLEET_LABELS_ADDED		2
#define COSI_FLEET_ANNOTATIONS_ADDED	1

/*
 * @d as cosid applies it: its id within the kernel's COSI_ID_MAX_LEN,
 * its labels and annotations (not counting cosid's own, which cosid
 * replaces) with cosid's within COSI_FLEET_LABELS_MAX.  0, or -EINVAL
 * (-E2BIG over a count) with a one-line @msg naming the limit.
 */
int cosi_fleet_doc_check(const struct cosi_doc *d, char *msg, size_t len);

/*
 * --etcd-ca, --etcd-cert, --etcd-key (each may be NULL) with the
 * --etcd @endpoints: each file readable, and a client certificate or key
 * only with an https:// endpoint (over http:// it would never be sent).
 * 0, or a negative errno with a one-line @msg naming the option.
 */
int cosi_fleet_tls_check(const char *endpoints, const char *ca,
			 const char *cert, const char *key, char *msg,
			 size_t len);

#endif /* _COSI_COMMON_FLEET_CHECK_H */
