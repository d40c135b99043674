/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the built-in controllers: type names and namespaces, each
 * controller's registration function, and small helpers for specs and
 * files (util.c).
 */
#ifndef _COSID_CONTROLLERS_BUILTIN_H
#define _COSID_CONTROLLERS_BUILTIN_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "controllers/controllers.h"
#include "runtime/transform.h"

#define ARRAY_LEN(a)		(sizeof(a) / sizeof((a)[0]))

/* Namespaces. */
#define NS_CONFIG		"config"
#define NS_RUNTIME		"runtime"
#define NS_NETWORK		"network"

/* Types. */
#define T_SYSCTL_CONFIG		"SysctlConfigs.cosi.dev"
#define T_SYSCTL_STATUS		"SysctlStatuses.cosi.dev"
#define T_HOSTNAME_CONFIG	"HostnameConfigs.cosi.dev"
#define T_HOSTNAME_STATUS	"HostnameStatuses.cosi.dev"
#define T_LINK_STATUS		"LinkStatuses.cosi.dev"
#define T_LINK_CONFIG		"LinkConfigs.cosi.dev"
#define T_LINK_CONFIG_STATUS	"LinkConfigStatuses.cosi.dev"
#define T_HOSTS_ENTRY		"HostsEntries.cosi.dev"
#define T_HOSTS_FILE_STATUS	"HostsFileStatuses.cosi.dev"
#define T_RUNTIME_STATUS	"RuntimeStatuses.cosi.dev"
#define T_FLEET_SYNC		"FleetSyncs.cosi.dev"

/* The one id of the singleton resources. */
#define HOSTNAME_ID		"hostname"
#define HOSTS_ID		"hosts"

/* Controller registration (one per file); the opts are already defaulted. */
int cosid_register_sysctl(struct cosi_runtime *rt,
			  const struct cosid_controllers_opts *o);
int cosid_register_hostname(struct cosi_runtime *rt,
			    const struct cosid_controllers_opts *o);
int cosid_register_link_status(struct cosi_runtime *rt,
			       const struct cosid_controllers_opts *o);
int cosid_register_link_config(struct cosi_runtime *rt,
			       const struct cosid_controllers_opts *o);
int cosid_register_hosts(struct cosi_runtime *rt,
			 const struct cosid_controllers_opts *o);
int cosid_register_runtime_status(struct cosi_runtime *rt,
				  const struct cosid_controllers_opts *o);

/*
 * Register @c with @data; when the controller did not get registered,
 * @data is freed with @free_data (a registered one frees it in fini).
 */
int cosid_register(struct cosi_runtime *rt, const struct cosi_controller *c,
		   void *data, void (*free_data)(void *));

/* Spec fields: the value, or NULL when absent or of another type. */
const char *spec_str(const struct cosi_resource *r, const char *name);
const struct cosi_strs *spec_strs(const struct cosi_resource *r,
				  const char *name);
bool spec_u64(const struct cosi_resource *r, const char *name, uint64_t *v);
bool spec_bool(const struct cosi_resource *r, const char *name, bool *v);

/* Files.  0 or a negative errno. */
/* The whole of @path, trailing newlines removed; *@out is malloc()ed. */
int read_text(const char *path, char **out);
/* One write(2) of @s (sysctl style: the write's errno is the answer). */
int write_text(const char *path, const char *s);

#endif /* _COSID_CONTROLLERS_BUILTIN_H */
