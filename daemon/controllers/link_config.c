// SPDX-License-Identifier: GPL-2.0
/*
 * link-config: applies LinkConfigs (config namespace, id = link name) to
 * the links of the netns, administrative state (up) and MTU, with
 * rtnetlink (libnl-route-3), and reports a LinkConfigStatus (runtime
 * namespace, same id): applied, or the error.
 *
 * A transform controller, per input (runtime/transform.h), keyed by link
 * name: each link is configured on its own, and LinkStatuses (written by
 * link-status) are an extra, weak input whose keys carry the same name.
 * So a link that appears after its config, or that someone changes
 * behind our back, requeues that config:
 * the config is the desired state and is applied again.  A missing link
 * is not a failure (no backoff): the status says "link not found" and the
 * link's appearance brings the key back.
 *
 * Teardown: the link is left as it is (there is no "before" worth
 * restoring for a link that may not even have existed: no undo); the
 * transform layer destroys the status, then releases the config.
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

/* A link's changes requeue its config (same id). */
static const struct cosi_input link_config_extra[] = {
	{ NS_NETWORK, T_LINK_STATUS, NULL, COSI_INPUT_WEAK },
};

static int link_config_spec(struct cosi_spec *spec, bool applied,
			    const char *error)
{
	return cosi_spec_add_bool(spec, "applied", applied) ?:
	       cosi_spec_add_string(spec, "error", error);
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

/* Apply @cfg to link @out->id; the outcome goes to the status. */
static int link_config_transform(struct cosi_ctl *ctl,
				 const struct cosi_resource *cfg,
				 struct cosi_tf_out *out)
{
	struct link_config_state *s = cosi_tf_data(ctl);
	struct rtnl_link *link = NULL, *chg = NULL;
	int err;

	err = rtnl_link_get_kernel(s->sk, 0, out->id, &link);
	if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
		return link_config_spec(&out->spec, false, "link not found");
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
	return link_config_spec(&out->spec, true, "");
fail:
	/* libnl reports kernel errors as NLE_* codes: say it as errno does. */
	cosi_ctl_log(ctl, "%s: %s", out->id, nl_geterror(err));
	return link_config_spec(&out->spec, false,
				strerror(cosi_nl_errno(err)));
}

static int link_config_init(struct cosi_ctl *ctl)
{
	struct link_config_state *s = cosi_tf_data(ctl);
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

/* Teardown leaves the link as it is: no undo. */
static const struct cosi_transform link_config_transform_decl = {
	.sz = sizeof(struct cosi_transform),
	.name = "link-config",
	.in_ns = NS_CONFIG, .in_type = T_LINK_CONFIG,
	.out_ns = NS_RUNTIME, .out_type = T_LINK_CONFIG_STATUS,
	.extra = link_config_extra,
	.n_extra = ARRAY_LEN(link_config_extra),
	.init = link_config_init,
	.transform = link_config_transform,
	.free_data = link_config_free,
};

int cosid_register_link_config(struct cosi_runtime *rt,
			       const struct cosid_controllers_opts *o)
{
	struct link_config_state *s = calloc(1, sizeof(*s));

	(void)o;
	if (!s)
		return -ENOMEM;
	return cosi_transform_register(rt, &link_config_transform_decl, s,
				       NULL);
}
