// SPDX-License-Identifier: GPL-2.0
/*
 * cosi.ko: COSI resources held by the kernel, per network namespace, and
 * served over the "cosi" generic netlink family.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <net/netns/generic.h>

#include "cosi.h"

unsigned int cosi_max_resources = 262144;
module_param_named(max_resources, cosi_max_resources, uint, 0644);
MODULE_PARM_DESC(max_resources, "Resources per netns (ENOSPC beyond)");

unsigned int cosi_max_spec_size = 16384;
module_param_named(max_spec_size, cosi_max_spec_size, uint, 0644);
MODULE_PARM_DESC(max_spec_size, "Bytes of a canonical spec (E2BIG beyond)");

unsigned int cosi_max_labels = 64;
module_param_named(max_labels, cosi_max_labels, uint, 0644);
MODULE_PARM_DESC(max_labels, "Labels, and annotations, per resource");

unsigned int cosi_max_finalizers = 32;
module_param_named(max_finalizers, cosi_max_finalizers, uint, 0644);
MODULE_PARM_DESC(max_finalizers, "Finalizers per resource");

unsigned int cosi_max_definitions = 1024;
module_param_named(max_definitions, cosi_max_definitions, uint, 0644);
MODULE_PARM_DESC(max_definitions, "Resource definitions per netns");

unsigned int cosi_max_watchers = 4096;
module_param_named(max_watchers, cosi_max_watchers, uint, 0644);
MODULE_PARM_DESC(max_watchers, "Watches per netns");

unsigned int cosi_max_unpriv_watchers = 1024;
module_param_named(max_unpriv_watchers, cosi_max_unpriv_watchers, uint, 0644);
MODULE_PARM_DESC(max_unpriv_watchers,
		 "Of max_watchers, those watchers without CAP_NET_ADMIN over the netns may hold");

unsigned int cosi_max_socket_watchers = 256;
module_param_named(max_socket_watchers, cosi_max_socket_watchers, uint, 0644);
MODULE_PARM_DESC(max_socket_watchers, "Watches per socket");

unsigned int cosi_history_size = 4096;
module_param_named(history_size, cosi_history_size, uint, 0644);
MODULE_PARM_DESC(history_size,
		 "Events kept per netns to resume watches (read at netns setup)");

unsigned int cosi_history_bytes = 32 << 20;
module_param_named(history_bytes, cosi_history_bytes, uint, 0644);
MODULE_PARM_DESC(history_bytes,
		 "Bytes of resource versions the history may hold per netns (read at netns setup)");

atomic_long_t cosi_nr_objects = ATOMIC_LONG_INIT(0);

static unsigned int cosi_net_id __read_mostly;

struct cosi_net *cosi_pernet(const struct net *net)
{
	return net_generic(net, cosi_net_id);
}

static int __net_init cosi_pernet_init(struct net *net)
{
	return cosi_net_init(cosi_pernet(net), net);
}

static void __net_exit cosi_pernet_exit(struct net *net)
{
	cosi_net_exit(cosi_pernet(net));
}

static struct pernet_operations cosi_net_ops = {
	.init	= cosi_pernet_init,
	.exit	= cosi_pernet_exit,
	.id	= &cosi_net_id,
	.size	= sizeof(struct cosi_net),
};

/*
 * A closed socket drops its owner claim and its watches.  The notifier
 * runs after netlink has unhashed the socket, so another socket may hold
 * the portid by then: cosi_sock_release() matches the closed one.
 */
static int cosi_netlink_event(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    n->portid)
		cosi_sock_release(cosi_pernet(n->net), n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block cosi_netlink_notifier = {
	.notifier_call = cosi_netlink_event,
};

static int __init cosi_init(void)
{
	int err;

	/* First: kfunc sets cannot be unregistered, and need nothing else. */
	err = cosi_bpf_register();
	if (err)
		return err;
	err = register_pernet_subsys(&cosi_net_ops);
	if (err)
		return err;
	err = netlink_register_notifier(&cosi_netlink_notifier);
	if (err)
		goto err_pernet;
	err = cosi_nl_register();
	if (err)
		goto err_notifier;
	return 0;
err_notifier:
	netlink_unregister_notifier(&cosi_netlink_notifier);
err_pernet:
	unregister_pernet_subsys(&cosi_net_ops);
	return err;
}

static void __exit cosi_exit(void)
{
	long left;

	cosi_nl_unregister();
	netlink_unregister_notifier(&cosi_netlink_notifier);
	unregister_pernet_subsys(&cosi_net_ops);
	rcu_barrier();	/* RCU callbacks free objects and run module code */
	left = atomic_long_read(&cosi_nr_objects);
	if (left)
		pr_err("cosi: leaked %ld objects\n", left);
}

module_init(cosi_init);
module_exit(cosi_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(COSI_VERSION);
MODULE_DESCRIPTION("COSI: typed, versioned, watchable OS resources over generic netlink");
MODULE_ALIAS_GENL_FAMILY(COSI_FAMILY_NAME);
