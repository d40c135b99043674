// SPDX-License-Identifier: GPL-2.0
/*
 * Registration of every built-in controller, with the options defaulted.
 * Each controller lives in its own file with its own state; this file only
 * knows the list.  The order does not matter to correctness (chained
 * controllers converge whatever the order), but producers are registered
 * before their consumers so a fresh start converges in fewer runs.
 */
#include "controllers/builtin.h"

#define DEFAULT_HOSTS_PATH	"/run/cosi/hosts"
#define DEFAULT_PROC_SYS	"/proc/sys"

int cosid_register_controllers(struct cosi_runtime *rt,
			       const struct cosid_controllers_opts *o)
{
	static int (*const reg[])(struct cosi_runtime *,
				  const struct cosid_controllers_opts *) = {
		cosid_register_sysctl,
		cosid_register_hostname,
		cosid_register_link_status,
		cosid_register_link_config,
		cosid_register_hosts,
		cosid_register_runtime_status,
	};
	struct cosid_controllers_opts d = { 0 };
	size_t i;
	int err = 0;

	if (o)
		d = *o;
	if (!d.hosts_path || !*d.hosts_path)
		d.hosts_path = DEFAULT_HOSTS_PATH;
	if (!d.proc_sys || !*d.proc_sys)
		d.proc_sys = DEFAULT_PROC_SYS;
	for (i = 0; !err && i < ARRAY_LEN(reg); i++)
		err = reg[i](rt, &d);
	return err;
}
