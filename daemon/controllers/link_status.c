// SPDX-License-Identifier: GPL-2.0
/*
 * link-status: one LinkStatus (network namespace, id = link name) per
 * network interface of the netns, kept current: index, MTU, operational
 * state, MAC address, IFF_* flags and kind (dummy, veth, ...).
 *
 * Why a run controller with a full dump: link notifications can be lost
 * (socket overflow) and links can be renamed; listing every link and
 * letting output tracking destroy the statuses of the links that are gone
 * is simple and always right.  The notifications (RTNLGRP_LINK, on a
 * non-blocking libnl-route socket watched by the runtime) only say when
 * to run; they are drained and the dump, on a second socket, is the
 * truth.  An unchanged status costs no write (cosi_ctl_apply() compares),
 * so the frequent notifications that change nothing we report (counters,
 * carrier probing) do not churn the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/rtnl.h>
#include <netlink/socket.h>

#include "controllers/builtin.h"

#define LINK_RCVBUF	(1 << 20)
#define LINK_DRAIN_MAX	1024	/* reads per run: the dump catches up */

struct link_status_state {
	struct nl_sock *events;		/* RTNLGRP_LINK notifications */
	struct nl_sock *query;		/* dumps */
	struct nl_cb *cb;
};

static const struct cosi_output link_status_outputs[] = {
	{ T_LINK_STATUS, COSI_OUTPUT_EXCLUSIVE },
};

static const struct {
	unsigned int flag;
	const char *name;
} link_flag_names[] = {
	{ IFF_UP, "UP" },		{ IFF_BROADCAST, "BROADCAST" },
	{ IFF_DEBUG, "DEBUG" },		{ IFF_LOOPBACK, "LOOPBACK" },
	{ IFF_POINTOPOINT, "POINTOPOINT" },
	{ IFF_NOTRAILERS, "NOTRAILERS" },
	{ IFF_RUNNING, "RUNNING" },	{ IFF_NOARP, "NOARP" },
	{ IFF_PROMISC, "PROMISC" },	{ IFF_ALLMULTI, "ALLMULTI" },
	{ IFF_MASTER, "MASTER" },	{ IFF_SLAVE, "SLAVE" },
	{ IFF_MULTICAST, "MULTICAST" },	{ IFF_PORTSEL, "PORTSEL" },
	{ IFF_AUTOMEDIA, "AUTOMEDIA" },	{ IFF_DYNAMIC, "DYNAMIC" },
	{ IFF_LOWER_UP, "LOWER_UP" },	{ IFF_DORMANT, "DORMANT" },
	{ IFF_ECHO, "ECHO" },
};

static int link_spec_flags(struct cosi_spec *spec, unsigned int flags)
{
	const char *names[ARRAY_LEN(link_flag_names)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_LEN(link_flag_names); i++)
		if (flags & link_flag_names[i].flag)
			names[n++] = link_flag_names[i].name;
	return cosi_spec_add_strings(spec, "flags", names, n);
}

static int link_spec(struct rtnl_link *l, struct cosi_spec *spec)
{
	struct nl_addr *addr = rtnl_link_get_addr(l);
	char state[32], mac[128] = "";
	const char *kind = rtnl_link_get_type(l);

	rtnl_link_operstate2str(rtnl_link_get_operstate(l), state,
				sizeof(state));
	if (addr && nl_addr_get_len(addr))
		nl_addr2str(addr, mac, sizeof(mac));
	return cosi_spec_add_u64(spec, "index", rtnl_link_get_ifindex(l)) ?:
	       cosi_spec_add_u64(spec, "mtu", rtnl_link_get_mtu(l)) ?:
	       cosi_spec_add_string(spec, "operstate", state) ?:
	       cosi_spec_add_string(spec, "mac", mac) ?:
	       link_spec_flags(spec, rtnl_link_get_flags(l)) ?:
	       cosi_spec_add_string(spec, "kind", kind ?: "");
}

static int link_status_put(struct cosi_ctl *ctl, struct rtnl_link *l)
{
	const char *name = rtnl_link_get_name(l);
	struct cosi_spec spec = { 0 };
	int err;

	if (!name)
		return 0;
	err = link_spec(l, &spec);
	if (!err)
		err = cosi_ctl_apply(ctl, NS_NETWORK, T_LINK_STATUS, name, NULL,
				     &spec);
	cosi_spec_clear(&spec);
	if (err == -EINVAL) {
		/* A name the store does not take as an id: skip the link. */
		cosi_ctl_log(ctl, "link %s skipped", name);
		err = 0;
	}
	return err;
}

/* Read what the notification socket holds; the dump that follows is the truth. */
static void link_status_drain(struct link_status_state *s)
{
	int i, n;

	for (i = 0; i < LINK_DRAIN_MAX; i++) {
		n = nl_recvmsgs_report(s->events, s->cb);
		/* 0: nothing left; -NLE_NOMEM: overflow (ENOBUFS), read on. */
		if (n == 0 || (n < 0 && n != -NLE_NOMEM))
			break;
	}
}

static int link_status_run(struct cosi_ctl *ctl)
{
	struct link_status_state *s = cosi_ctl_data(ctl);
	struct nl_cache *cache;
	struct nl_object *o;
	int err;

	link_status_drain(s);
	err = rtnl_link_alloc_cache(s->query, AF_UNSPEC, &cache);
	if (err < 0) {
		cosi_ctl_log(ctl, "link dump: %s", nl_geterror(err));
		return -cosi_nl_errno(err);
	}
	cosi_ctl_track_outputs(ctl);
	for (o = nl_cache_get_first(cache); o && !err; o = nl_cache_get_next(o))
		err = link_status_put(ctl, (struct rtnl_link *)o);
	nl_cache_free(cache);
	if (err)
		return err;
	/* The statuses of links that are gone. */
	err = cosi_ctl_cleanup_outputs(ctl);
	if (err == 1)	/* held by someone: look again later */
		err = cosi_ctl_wake_after(ctl, 1000);
	return err < 0 ? err : 0;
}

static int link_status_init(struct cosi_ctl *ctl)
{
	struct link_status_state *s = cosi_ctl_data(ctl);
	int err;

	s->events = nl_socket_alloc();
	s->query = nl_socket_alloc();
	if (!s->events || !s->query)
		return -ENOMEM;
	nl_socket_disable_seq_check(s->events);
	err = nl_connect(s->events, NETLINK_ROUTE) ?:
	      nl_socket_add_membership(s->events, RTNLGRP_LINK) ?:
	      nl_socket_set_nonblocking(s->events) ?:
	      nl_connect(s->query, NETLINK_ROUTE);
	if (err) {
		cosi_ctl_log(ctl, "rtnetlink: %s", nl_geterror(err));
		return -cosi_nl_errno(err);
	}
	/* Fewer overflows; when it happens anyway, the dump recovers. */
	nl_socket_set_buffer_size(s->events, LINK_RCVBUF, 0);
	s->cb = nl_socket_get_cb(s->events);
	if (!s->cb)
		return -ENOMEM;
	return cosi_ctl_watch_fd(ctl, nl_socket_get_fd(s->events));
}

static void link_status_free(void *p)
{
	struct link_status_state *s = p;

	if (s->cb)
		nl_cb_put(s->cb);
	nl_socket_free(s->events);
	nl_socket_free(s->query);
	free(s);
}

static void link_status_fini(struct cosi_ctl *ctl)
{
	link_status_free(cosi_ctl_data(ctl));
}

static const struct cosi_controller link_status_controller = {
	.sz = sizeof(struct cosi_controller),
	.name = "link-status",
	.outputs = link_status_outputs,
	.n_outputs = ARRAY_LEN(link_status_outputs),
	.init = link_status_init,
	.run = link_status_run,
	.fini = link_status_fini,
};

int cosid_register_link_status(struct cosi_runtime *rt,
			       const struct cosid_controllers_opts *o)
{
	struct link_status_state *s = calloc(1, sizeof(*s));

	(void)o;
	if (!s)
		return -ENOMEM;
	return cosid_register(rt, &link_status_controller, s,
			      link_status_free);
}
