// SPDX-License-Identifier: GPL-2.0
/* What cosid --etcd and cosictl --etcd check alike (fleet_check.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/cosi.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/apply.h"
#include "common/fleet_check.h"
#include "common/manifest.h"

/* @s's entries but cosid's own (@own, NULL-terminated). */
static size_t count_but(const struct cosi_kvs *s, const char *const *own)
{
	size_t i, j, n = 0;

	for (i = 0; i < s->n; i++) {
		for (j = 0; own[j] && strcmp(own[j], s->v[i].key); j++)
			;
		n += !own[j];
	}
	return n;
}

int cosi_fleet_doc_check(const struct cosi_doc *d, char *msg, size_t len)
{
	static const char *const labels[] = {
		COSI_SOURCE_LABEL, COSI_FLEET_SOURCE_LABEL, NULL,
	};
	static const char *const annotations[] = {
		COSI_FLEET_KEY_ANNOTATION, NULL,
	};
	size_t nl = count_but(&d->labels, labels);
	size_t na = count_but(&d->annotations, annotations);

	if (strlen(d->id) > COSI_ID_MAX_LEN) {
		snprintf(msg, len, "an id of %zu characters, over the kernel's %d",
			 strlen(d->id), COSI_ID_MAX_LEN);
		return -EINVAL;
	}
	if (nl + COSI_FLEET_LABELS_ADDED > COSI_FLEET_LABELS_MAX) {
		snprintf(msg, len, "%zu labels: the fleet adds %d and a resource holds %d",
			 nl, COSI_FLEET_LABELS_ADDED, COSI_FLEET_LABELS_MAX);
		return -E2BIG;
	}
	if (na + COSI_FLEET_ANNOTATIONS_ADDED > COSI_FLEET_LABELS_MAX) {
		snprintf(msg, len, "%zu annotations: the fleet adds %d and a resource holds %d",
			 na, COSI_FLEET_ANNOTATIONS_ADDED,
			 COSI_FLEET_LABELS_MAX);
		return -E2BIG;
	}
	return 0;
}

static int readable(const char *opt, const char *path, char *msg, size_t len)
{
	int fd;

	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		snprintf(msg, len, "%s %s: %s", opt, path, strerror(-err));
		return err;
	}
	close(fd);
	return 0;
}

int cosi_fleet_tls_check(const char *endpoints, const char *ca,
			 const char *cert, const char *key, char *msg,
			 size_t len)
{
	const char *p = endpoints ?: "";
	bool https = false;
	int err;

	for (; *p; p += strcspn(p, ","), p += *p == ',')
		https = https || !strncmp(p, "https://", 8);
	if ((cert || key) && !https) {
		snprintf(msg, len, "%s is for https:// endpoints: --etcd %s has none (the client certificate would not be sent)",
			 cert ? "--etcd-cert" : "--etcd-key", endpoints ?: "");
		return -EINVAL;
	}
	err = readable("--etcd-ca", ca, msg, len);
	err = err ?: readable("--etcd-cert", cert, msg, len);
	return err ?: readable("--etcd-key", key, msg, len);
}
