// SPDX-License-Identifier: GPL-2.0
/*
 * link-config: applies LinkConfigs (config namespace, id = link name) to
 * the links of the netns, administrative state (up) and MTU, with
 * rtnetlink (libnl-route-3), and reports a LinkConfigStatus (runtime
 * namespace, same id): applied, or the error.
 *
 * Why a queue controller keyed by link name: each link is configured on
 * its own, and LinkStatuses (written by link-status) are a weak input
 * whose keys carry the same name.  So a link that appears after its
 * config, or that someone changes behind our back, requeues that config:
 * the config is the desired state and is applied again.  A missing link
 * is not a failure (no backoff): the status says "link not found" and the
 * link's appearance brings the key back.
 *
 * Teardown: the link is left as it is (there is no "before" worth
 * restoring for a link that may not even have existed), the status is
 * destroyed, then the config released.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "controllers/builtin.h"

struct link_config_state {
	struct nl_sock *sk;
};

static const struct cosi_input link_config_inputs[] = {
	{ NS_CONFIG, T_LINK_CONFIG, NULL, COSI_INPUT_STRONG },
	{ NS_NETWORK, T_LINK_STATUS, NULL, COSI_INPUT_WEAK },
	{ NS_RUNTIME, T_LINK_CONFIG_STATUS, NULL, COSI_INPUT_DESTROY_READY },
};

static const struct cosi_output link_config_outputs[] = {
	{ T_LINK_CONFIG_STATUS, COSI_OUTPUT_EXCLUSIVE },
};

static int link_config_put_status(struct cosi_ctl *ctl, const char *id,
				  bool applied, const char *error)
{
	struct cosi_spec spec = { 0 };
	int err;

	err = cosi_spec_add_bool(&spec, "applied", applied) ?:
	      cosi_spec_add_string(&spec, "error", error);
	if (!err)
		err = cosi_ctl_apply(ctl, NS_RUNTIME, T_LINK_CONFIG_STATUS, id,
				     NULL, &spec);
	cosi_spec_clear(&spec);
	return err;
}

/*
 * The changes @cfg asks of @link, in @chg; false when there are none.
 */
static bool link_config_changes(const struct cosi_resource *cfg,
				struct rtnl_link *link, struct rtnl_link *chg)
{
	bool up, is_up, changed = false;
	uint64_t mtu;

	is_up = rtnl_link_get_flags(link) & IFF_UP;
	if (spec_bool(cfg, "up", &up) && up != is_up) {
		if (up)
			rtnl_link_set_flags(chg, IFF_UP);
		else
			rtnl_link_unset_flags(chg, IFF_UP);
		changed = true;
	}
	if (spec_u64(cfg, "mtu", &mtu) && mtu != rtnl_link_get_mtu(link)) {
		rtnl_link_set_mtu(chg, mtu > UINT32_MAX ? UINT32_MAX : mtu);
		changed = true;
	}
	return changed;
}

/* Apply @cfg to link @id; the outcome goes to the status. */
static int link_config_apply(struct cosi_ctl *ctl, const char *id,
			     const struct cosi_resource *cfg)
{
	struct link_config_state *s = cosi_ctl_data(ctl);
	struct rtnl_link *link = NULL, *chg = NULL;
	int err;

	err = rtnl_link_get_kernel(s->sk, 0, id, &link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		return link_config_put_status(ctl, id, false, "link not found");
	if (err < 0)
		goto fail;
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(link);
		return -ENOMEM;
	}
	err = 0;
	if (link_config_changes(cfg, link, chg))
		err = rtnl_link_change(s->sk, link, chg, 0);
	rtnl_link_put(chg);
	rtnl_link_put(link);
	if (err < 0)
		goto fail;
	return link_config_put_status(ctl, id, true, "");
fail:
	/* libnl reports kernel errors as NLE_* codes: say it as errno does. */
	cosi_ctl_log(ctl, "%s: %s", id, nl_geterror(err));
	return link_config_put_status(ctl, id, false,
				      strerror(cosi_nl_errno(err)));
}

/* The config is tearing down (@cfg), or gone (NULL). */
static int link_config_remove(struct cosi_ctl *ctl, const char *id,
			      const struct cosi_resource *cfg)
{
	int ret = cosi_ctl_destroy(ctl, NS_RUNTIME, T_LINK_CONFIG_STATUS, id);

	if (ret <= 0)
		return ret;	/* 0: the destroy-ready input requeues us */
	return cfg ? cosi_ctl_release(ctl, cfg) : 0;
}

/* A status left tearing down by an earlier config of this id goes first. */
static int link_config_old_status(struct cosi_ctl *ctl, const char *id)
{
	struct cosi_resource *st = NULL;
	int err;

	err = cosi_ctl_get(ctl, NS_RUNTIME, T_LINK_CONFIG_STATUS, id, &st);
	if (err == -ENOENT)
		return 1;
	if (!err && !cosi_res_tearing_down(st))
		err = 1;
	else if (!err)
		err = cosi_ctl_destroy(ctl, NS_RUNTIME, T_LINK_CONFIG_STATUS,
				       id);
	cosi_resource_free(st);
	return err;
}

static int link_config_running(struct cosi_ctl *ctl, const char *id,
			       const struct cosi_resource *cfg)
{
	int err = cosi_ctl_hold(ctl, cfg);

	if (err == -ESTALE || err == -ENOENT)
		return 0;	/* going away: its event requeues the key */
	if (err)
		return err;
	err = link_config_old_status(ctl, id);
	if (err <= 0)
		return err;	/* 0: the destroy-ready input requeues us */
	return link_config_apply(ctl, id, cfg);
}

/* Every key's id is a link name, whichever input queued it. */
static int link_config_reconcile(struct cosi_ctl *ctl, const char *ns,
				 const char *type, const char *id)
{
	struct cosi_resource *cfg = NULL;
	int err;

	(void)ns;
	(void)type;
	err = cosi_ctl_get(ctl, NS_CONFIG, T_LINK_CONFIG, id, &cfg);
	if (err == -ENOENT)
		return link_config_remove(ctl, id, NULL);
	if (err)
		return err;
	if (cosi_res_tearing_down(cfg))
		err = link_config_remove(ctl, id, cfg);
	else
		err = link_config_running(ctl, id, cfg);
	cosi_resource_free(cfg);
	return err;
}

static int link_config_init(struct cosi_ctl *ctl)
{
	struct link_config_state *s = cosi_ctl_data(ctl);
	int err;

	s->sk = nl_socket_alloc();
	if (!s->sk)
		return -ENOMEM;
	err = nl_connect(s->sk, NETLINK_ROUTE);
	if (err) {
		cosi_ctl_log(ctl, "rtnetlink: %s", nl_geterror(err));
		return -cosi_nl_errno(err);
	}
	return 0;
}

static void link_config_free(void *p)
{
	struct link_config_state *s = p;

	nl_socket_free(s->sk);
	free(s);
}

static void link_config_fini(struct cosi_ctl *ctl)
{
	link_config_free(cosi_ctl_data(ctl));
}

static const struct cosi_controller link_config_controller = {
	.name = "link-config",
	.inputs = link_config_inputs,
	.n_inputs = ARRAY_LEN(link_config_inputs),
	.outputs = link_config_outputs,
	.n_outputs = ARRAY_LEN(link_config_outputs),
	.init = link_config_init,
	.reconcile = link_config_reconcile,
	.fini = link_config_fini,
};

int cosid_register_link_config(struct cosi_runtime *rt,
			       const struct cosid_controllers_opts *o)
{
	struct link_config_state *s = calloc(1, sizeof(*s));

	(void)o;
	if (!s)
		return -ENOMEM;
	return cosid_register(rt, &link_config_controller, s,
			      link_config_free);
}
