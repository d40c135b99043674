/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The built-in controllers of cosid and the resource types they read and
 * write.  The daemon defines the types (cosid_define_types()) on its
 * libcosi handle, then registers the controllers with its runtime
 * (cosid_register_controllers()).  See Documentation/controllers.rst.
 */
#ifndef _COSID_CONTROLLERS_H
#define _COSID_CONTROLLERS_H

#include "cosi.h"
#include "runtime/runtime.h"

struct cosid_controllers_opts {
	const char *hosts_path;		/* NULL: "/run/cosi/hosts" */
	const char *proc_sys;		/* NULL: "/proc/sys" (tests redirect) */
	/*
	 * Sysctls the sysctl controller may write although they are on its
	 * list of unsafe ones (dotted or slash form); NULL-ended, or NULL.
	 */
	const char *const *allow_unsafe_sysctls;
};

/*
 * Set (create, or re-set unchanged) the definition of every type the
 * built-in controllers use.  0 or the kernel's negative errno.
 */
int cosid_define_types(struct cosi *c);

/*
 * The identity of the kernel store @c talks to, for the state file: the
 * creation time (ns) of the RuntimeStatus of "runtime-status", which
 * cosid writes at its first start on a store and never deletes, so it
 * changes with the store (a reboot, a module reload, a new netns) and
 * with nothing else.  0, -ENOENT before that first write, or a negative
 * errno.
 */
int cosid_store_id(struct cosi *c, uint64_t *id);

/*
 * Register the built-in controllers: sysctl, hostname, link-status,
 * link-config, hosts, runtime-status.  @o may be NULL (defaults).  The
 * option strings are copied.  0 or a negative errno (the controllers
 * registered before the failure stay registered).
 */
int cosid_register_controllers(struct cosi_runtime *rt,
			       const struct cosid_controllers_opts *o);

/*
 * The @i-th type the built-in controllers write (every type cosid
 * defines outside the config namespace: the statuses, RuntimeStatus and
 * FleetSync) and its namespace; false past the last.
 */
bool cosid_output_type(size_t i, const char **ns, const char **type);

/* The config-namespace types the daemon persists to disk; NULL-ended. */
extern const char *const cosid_config_types[];

#endif /* _COSID_CONTROLLERS_H */
