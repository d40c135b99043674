// SPDX-License-Identifier: GPL-2.0
/*
 * The resource definitions of the built-in controllers, as one table, and
 * cosid_define_types() which sets them in the kernel.  Setting an
 * unchanged definition is accepted by the kernel, so the daemon simply
 * sets them all at every start; new optional fields are compatible
 * changes.  Documentation/controllers.rst describes each type.
 *
 * Each type declares what writing it takes (write-access, enforced by the
 * kernel): a type whose content drives a host-wide effect (the hostname,
 * the hosts file, the original value a sysctl is restored to) needs
 * CAP_SYS_ADMIN; the others CAP_NET_ADMIN over the netns.  SysctlConfigs
 * stay net-admin: the sysctl controller itself applies a key outside the
 * netns's net.* only for a writer that held CAP_SYS_ADMIN (writer-caps).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/builtin.h"
#include "controllers/types.h"

#define STR	COSI_FIELD_TYPE_STRING
#define U64	COSI_FIELD_TYPE_U64
#define BOOL	COSI_FIELD_TYPE_BOOL
#define LIST	COSI_FIELD_TYPE_STRING_LIST
#define NET_ADMIN	COSI_WRITE_ACCESS_NET_ADMIN
#define SYS_ADMIN	COSI_WRITE_ACCESS_SYS_ADMIN
#define REQ(n, t)	{ n, t, true }
#define OPT(n, t)	{ n, t, false }

struct tfield {
	const char *name;
	enum cosi_field_type type;
	bool required;
};

struct tcolumn {
	const char *name;
	const char *field;
};

struct tdef {
	const char *type;
	const char *ns;
	const char *aliases[5];
	struct tfield fields[16];
	struct tcolumn columns[9];
	enum cosi_write_access access;
};

static const struct tdef cosid_types[] = {
	{
		T_SYSCTL_CONFIG, NS_CONFIG,
		{ "sysctl", "sysctls", "sysctlconfig", "sysctlconfigs" },
		{ REQ("value", STR) },
		{ { "VALUE", "value" } },
		NET_ADMIN,	/* the controller checks writer-caps per key */
	}, {
		T_SYSCTL_STATUS, NS_RUNTIME,
		{ "sysctlstatus", "sysctlstatuses" },
		{ OPT("value", STR), OPT("original", STR), OPT("error", STR) },
		{ { "VALUE", "value" }, { "ORIGINAL", "original" },
		  { "ERROR", "error" } },
		SYS_ADMIN,	/* "original" is written back on delete */
	}, {
		T_HOSTNAME_CONFIG, NS_CONFIG,
		{ "hostname", "hostnames", "hostnameconfig", "hostnameconfigs" },
		{ REQ("hostname", STR), OPT("domainname", STR) },
		{ { "HOSTNAME", "hostname" }, { "DOMAIN", "domainname" } },
		SYS_ADMIN,
	}, {
		T_HOSTNAME_STATUS, NS_RUNTIME,
		{ "hostnamestatus", "hostnamestatuses" },
		{ OPT("hostname", STR), OPT("domainname", STR), OPT("error", STR) },
		{ { "HOSTNAME", "hostname" }, { "DOMAIN", "domainname" },
		  { "ERROR", "error" } },
		SYS_ADMIN,	/* the hosts controller writes it to the file */
	}, {
		T_LINK_STATUS, NS_NETWORK,
		{ "link", "links", "linkstatus", "linkstatuses" },
		{ OPT("index", U64), OPT("mtu", U64), OPT("operstate", STR),
		  OPT("mac", STR), OPT("flags", LIST), OPT("kind", STR) },
		{ { "INDEX", "index" }, { "MTU", "mtu" },
		  { "STATE", "operstate" }, { "MAC", "mac" } },
		NET_ADMIN,
	}, {
		T_LINK_CONFIG, NS_CONFIG,
		{ "linkconfig", "linkconfigs" },
		{ OPT("up", BOOL), OPT("mtu", U64) },
		{ { "UP", "up" }, { "MTU", "mtu" } },
		NET_ADMIN,
	}, {
		T_LINK_CONFIG_STATUS, NS_RUNTIME,
		{ "linkconfigstatus", "linkconfigstatuses" },
		{ OPT("applied", BOOL), OPT("error", STR) },
		{ { "APPLIED", "applied" }, { "ERROR", "error" } },
		NET_ADMIN,
	}, {
		T_HOSTS_ENTRY, NS_CONFIG,
		{ "hostsentry", "hostsentries" },
		{ REQ("address", STR), REQ("names", LIST) },
		{ { "ADDRESS", "address" }, { "NAMES", "names" } },
		SYS_ADMIN,
	}, {
		T_HOSTS_FILE_STATUS, NS_RUNTIME,
		{ "hostsfilestatus", "hostsfilestatuses" },
		{ OPT("path", STR), OPT("entries", U64), OPT("skipped", U64),
		  OPT("bytes", U64), OPT("content", STR),
		  OPT("truncated", BOOL), OPT("error", STR) },
		{ { "PATH", "path" }, { "ENTRIES", "entries" },
		  { "ERROR", "error" } },
		NET_ADMIN,
	}, {
		T_RUNTIME_STATUS, NS_RUNTIME,
		{ "runtimestatus", "runtimestatuses", "controller",
		  "controllers" },
		{ OPT("runs", U64), OPT("errors", U64), OPT("wakeups", U64),
		  OPT("writes", U64), OPT("throttled", U64),
		  OPT("backoff-ms", U64), OPT("queued", U64),
		  OPT("last-error", STR) },
		{ { "RUNS", "runs" }, { "ERRORS", "errors" },
		  { "QUEUED", "queued" }, { "BACKOFF-MS", "backoff-ms" },
		  { "LAST-ERROR", "last-error" } },
		NET_ADMIN,
	}, {
		/* cosid --etcd: one per node, id = the node name. */
		T_FLEET_SYNC, NS_RUNTIME,
		{ "fleetsync", "fleetsyncs" },
		{ OPT("connected", BOOL), OPT("revision", U64),
		  OPT("resyncs", U64), OPT("applied", U64),
		  OPT("skipped", U64), OPT("refused", U64),
		  OPT("registered", BOOL),
		  OPT("endpoint", STR), OPT("last-error", STR),
		  OPT("lag", U64), OPT("published", U64), OPT("pending", U64),
		  OPT("publish-errors", U64), OPT("publish-revision", U64),
		  OPT("publish-overflow", U64) },
		{ { "CONNECTED", "connected" }, { "REVISION", "revision" },
		  { "APPLIED", "applied" }, { "SKIPPED", "skipped" },
		  { "REFUSED", "refused" }, { "RESYNCS", "resyncs" },
		  { "LAG", "lag" }, { "PUBLISHED", "published" },
		  { "LAST-ERROR", "last-error" } },
		NET_ADMIN,
	},
};

const char *const cosid_config_types[] = {
	T_SYSCTL_CONFIG,
	T_HOSTNAME_CONFIG,
	T_LINK_CONFIG,
	T_HOSTS_ENTRY,
	NULL,
};

/* *@out: the definition (the caller frees it, also on failure). */
static int cosid_build_def(struct cosi_definition **out, const struct tdef *t)
{
	struct cosi_definition *d;
	size_t i;
	int err;

	d = *out = cosi_def_new(t->type);
	if (!d)
		return -ENOMEM;
	err = cosi_def_set_default_ns(d, t->ns);
	d->write_access = t->access;
	for (i = 0; !err && i < ARRAY_LEN(t->aliases) && t->aliases[i]; i++)
		err = cosi_def_add_alias(d, t->aliases[i]);
	for (i = 0; !err && i < ARRAY_LEN(t->fields) && t->fields[i].name; i++)
		err = cosi_def_add_field(d, t->fields[i].name, t->fields[i].type,
					 t->fields[i].required);
	for (i = 0; !err && i < ARRAY_LEN(t->columns) && t->columns[i].name;
	     i++)
		err = cosi_def_add_column(d, t->columns[i].name,
					  t->columns[i].field);
	return err;
}

int cosid_builtin_definitions(struct cosi_definitions *out)
{
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->v = calloc(ARRAY_LEN(cosid_types), sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (i = 0; !err && i < ARRAY_LEN(cosid_types); i++) {
		err = cosid_build_def(&out->v[i], &cosid_types[i]);
		if (out->v[i])
			out->n++;
	}
	if (err)
		cosi_definitions_clear(out);
	return err;
}

bool cosid_output_type(size_t i, const char **ns, const char **type)
{
	size_t k;

	for (k = 0; k < ARRAY_LEN(cosid_types); k++) {
		if (!strcmp(cosid_types[k].ns, NS_CONFIG) || i--)
			continue;
		*ns = cosid_types[k].ns;
		*type = cosid_types[k].type;
		return true;
	}
	return false;
}

int cosid_define_types(struct cosi *c)
{
	struct cosi_definition *d;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < ARRAY_LEN(cosid_types); i++) {
		d = NULL;
		err = cosid_build_def(&d, &cosid_types[i]);
		if (!err) {
			err = cosi_definition_set(c, d, NULL);
			if (err)
				fprintf(stderr, "cosid: %s\n",
					cosi_strerror(c, d->type));
		}
		cosi_definition_free(d);
	}
	return err;
}
