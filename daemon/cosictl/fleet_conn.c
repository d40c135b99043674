// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl --etcd: from the command line to a checked cluster, node and
 * group and a client of the fleet's etcd (fleet.h).  One place for
 * fleet_get.c and fleet_write.c.
 */
#include <errno.h>
#include <stdio.h>

#include "common/etcd.h"
#include "common/fleet_check.h"
#include "common/fleet_name.h"
#include "common/secret.h"
#include "cosictl/cosictl.h"
#include "cosictl/fleet.h"

int cosictl_fleet_names(const struct cosictl_args *a, const char *cluster)
{
	char msg[256];

	if (cosi_fleet_name_check("--cluster", cluster, msg, sizeof(msg)) ||
	    (a->node && cosi_fleet_name_check("--node", a->node, msg,
					       sizeof(msg))) ||
	    (a->group && cosi_fleet_name_check("--group", a->group, msg,
						sizeof(msg)))) {
		ctl_err("%s", msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cosictl_fleet_connect(const struct cosictl_args *a, struct etcd **e)
{
	struct etcd_opts o = {
		.endpoints = a->etcd, .ca_file = a->etcd_ca,
		.cert_file = a->etcd_cert, .key_file = a->etcd_key,
		.user = a->etcd_user,
	};
	char msg[ETCD_MSG_LEN], *password = NULL;
	int err;

	*e = NULL;
	/* cosid --etcd's check of the same options. */
	if (cosi_fleet_tls_check(a->etcd, a->etcd_ca, a->etcd_cert,
				 a->etcd_key, msg, sizeof(msg))) {
		ctl_err("%s", msg);
		return EXIT_USAGE;
	}
	/*
	 * wait --timeout DUR bounds its requests too (the client's default
	 * is 5 s a request, 2 s a connection): a silent etcd ends it then.
	 */
	if (a->cmd == COSICTL_WAIT && a->timeout_ms > 0 &&
	    a->timeout_ms < 5000) {
		o.timeout_usec = (uint64_t)a->timeout_ms * 1000;
		o.connect_timeout_usec = a->timeout_ms < 2000 ?
					 o.timeout_usec : 2000000;
	}
	if (a->etcd_password_file) {
		err = cosi_secret_read("--etcd-password-file",
				       a->etcd_password_file, &password, msg,
				       sizeof(msg));
		if (err) {
			ctl_err("%s", msg);
			return EXIT_USAGE;
		}
		o.password = password;
	}
	/* The client keeps its own copy of the password. */
	err = etcd_new(e, NULL, &o, msg, sizeof(msg));
	cosi_secret_free(password);
	if (err) {
		ctl_err("--etcd %s: %s", a->etcd, msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

void cosictl_fleet_explain(const struct cosictl_args *a, struct etcd *e,
			   int err, const char *op, const char *key,
			   bool prefix, const char *msg, char *buf, size_t len)
{
	const char *ep = etcd_endpoint(e);

	if (err == -EACCES && !a->etcd_user)
		snprintf(buf, len, "etcd %s requires authentication (%s): give --etcd-user USER --etcd-password-file FILE",
			 ep, msg);
	else if (err == -EPERM)
		snprintf(buf, len, "etcd %s: %s %s%s refused to %s%s (%s): the user's roles do not grant it (Documentation/fleet.rst, security)",
			 ep, op, key, prefix ? "*" : "",
			 a->etcd_user ? "user " : "a client without --etcd-user",
			 a->etcd_user ?: "", msg);
	else
		snprintf(buf, len, "etcd %s: %s", ep, msg);
}

int cosictl_fleet_err(const struct cosictl_args *a, struct etcd *e, int err,
		      const char *op, const char *key, bool prefix,
		      const char *msg)
{
	char buf[ETCD_MSG_LEN + 512];

	cosictl_fleet_explain(a, e, err, op, key, prefix, msg, buf,
			      sizeof(buf));
	return ctl_err("%s", buf);
}
