// SPDX-License-Identifier: GPL-2.0
/* Test-side netlink helpers; see cosi_nl.h. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include "cosi_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int ct_open(struct ct *ct)
{
	int one = 1;

	memset(ct, 0, sizeof(*ct));
	ct->sk = nl_socket_alloc();
	if (!ct->sk)
		return -ENOMEM;
	if (genl_connect(ct->sk))
		return -ENOTCONN;
	nl_socket_disable_msg_peek(ct->sk);
	nl_socket_set_msg_buf_size(ct->sk, 64 * 1024);
	nl_socket_disable_auto_ack(ct->sk);
	setsockopt(nl_socket_get_fd(ct->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(ct->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	ct->family = genl_ctrl_resolve(ct->sk, COSI_FAMILY_NAME);
	if (ct->family < 0)
		return ct->family;
	ct->group = genl_ctrl_resolve_grp(ct->sk, COSI_FAMILY_NAME,
					  COSI_MCGRP_EVENTS);
	return 0;
}

void ct_close(struct ct *ct)
{
	if (ct->sk)
		nl_socket_free(ct->sk);
	ct->sk = NULL;
}

struct nl_msg *ct_msg(struct ct *ct, uint8_t cmd, int flags)
{
	struct nl_msg *m = nlmsg_alloc_size(64 * 1024);

	genlmsg_put(m, NL_AUTO_PORT, NL_AUTO_SEQ, ct->family, 0, flags, cmd,
		    COSI_FAMILY_VERSION);
	return m;
}

void ct_put_key(struct nl_msg *m, const char *ns, const char *type,
		const char *id)
{
	if (ns)
		nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, ns);
	if (type)
		nla_put_string(m, COSI_A_RESOURCE_TYPE, type);
	if (id)
		nla_put_string(m, COSI_A_RESOURCE_ID, id);
}

void ct_put_labels(struct nl_msg *m, int attr, int n, const char *const *kv)
{
	struct nlattr *nest = nla_nest_start(m, attr), *item;
	int i;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char key[128];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - kv[i]), kv[i]);
		item = nla_nest_start(m, COSI_A_LABELS_LABEL);
		nla_put_string(m, COSI_A_LABEL_KEY, key);
		nla_put_string(m, COSI_A_LABEL_VALUE, eq + 1);
		nla_nest_end(m, item);
	}
	nla_nest_end(m, nest);
}

int ct_put_spec(struct nl_msg *m, int n, const char *const *fields)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_RESOURCE_SPEC), *f;
	int i;

	for (i = 0; i < n; i++) {
		char name[128], type[16], val[4096];

		if (sscanf(fields[i], "%127[^=]=%15[^:]:%4095[^\n]", name, type,
			   val) != 3)
			return -EINVAL;
		f = nla_nest_start(m, COSI_A_SPEC_FIELD);
		nla_put_string(m, COSI_A_SPEC_FIELD_NAME, name);
		if (!strcmp(type, "u64"))
			nla_put_u64(m, COSI_A_SPEC_FIELD_U64, strtoull(val, NULL, 0));
		else if (!strcmp(type, "s64"))
			nla_put_s64(m, COSI_A_SPEC_FIELD_S64, strtoll(val, NULL, 0));
		else if (!strcmp(type, "bool"))
			nla_put_u8(m, COSI_A_SPEC_FIELD_BOOL, atoi(val));
		else if (!strcmp(type, "bytes"))
			nla_put(m, COSI_A_SPEC_FIELD_BYTES, strlen(val), val);
		else
			nla_put_string(m, COSI_A_SPEC_FIELD_STRING, val);
		nla_nest_end(m, f);
	}
	nla_nest_end(m, nest);
	return 0;
}

void ct_put_finalizers(struct nl_msg *m, int n, const char *const *names)
{
	struct nlattr *nest = nla_nest_start(m, COSI_A_RESOURCE_FINALIZERS);
	int i;

	for (i = 0; i < n; i++)
		nla_put_string(m, COSI_A_FINALIZERS_FINALIZER, names[i]);
	nla_nest_end(m, nest);
}

static const char *const ct_ops[] = {
	"exists", "equal", "in", "lt", "lte", "lt-numeric", "lte-numeric",
};

int ct_put_query(struct nl_msg *m, int n, const char *const *terms)
{
	struct nlattr *q = nla_nest_start(m, COSI_A_RESOURCE_LABEL_QUERY), *t;
	int i, op;

	for (i = 0; i < n; i++) {
		char key[64], opname[16], vals[512] = "", inv[4] = "";
		char *v, *save = NULL;

		if (sscanf(terms[i], "%63s %15s %511s %3s", key, opname, vals,
			   inv) < 2)
			return -EINVAL;
		for (op = 0; op < 7; op++)
			if (!strcmp(ct_ops[op], opname))
				break;
		t = nla_nest_start(m, COSI_A_LABEL_QUERY_TERM);
		nla_put_string(m, COSI_A_LABEL_TERM_KEY, key);
		nla_put_u32(m, COSI_A_LABEL_TERM_OP, op);
		if (strcmp(vals, "-"))
			for (v = strtok_r(vals, ",", &save); v;
			     v = strtok_r(NULL, ",", &save))
				nla_put_string(m, COSI_A_LABEL_TERM_VALUE, v);
		if (!strcmp(inv, "!"))
			nla_put_flag(m, COSI_A_LABEL_TERM_INVERT);
		nla_nest_end(m, t);
	}
	nla_nest_end(m, q);
	return 0;
}

static void ct_parse_labels(struct nlattr *nest, struct ct_obj *o, bool old)
{
	struct nlattr *item, *tb[COSI_A_LABEL_MAX + 1];
	int rem;

	nla_for_each_nested(item, nest, rem) {
		if (old) {
			o->n_old_labels++;
			continue;
		}
		if (o->n_labels >= 8) {
			o->n_labels++;
			continue;
		}
		nla_parse_nested(tb, COSI_A_LABEL_MAX, item, NULL);
		snprintf(o->label_key[o->n_labels], 64, "%s",
			 nla_get_string(tb[COSI_A_LABEL_KEY]));
		snprintf(o->label_val[o->n_labels], 256, "%s",
			 tb[COSI_A_LABEL_VALUE] ?
			 nla_get_string(tb[COSI_A_LABEL_VALUE]) : "");
		o->n_labels++;
	}
}

static void ct_parse_spec(struct nlattr *nest, struct ct_obj *o)
{
	struct nlattr *f, *tb[COSI_A_SPEC_FIELD_MAX + 1];
	int rem;

	o->has_spec = true;
	nla_for_each_nested(f, nest, rem) {
		nla_parse_nested(tb, COSI_A_SPEC_FIELD_MAX, f, NULL);
		o->n_fields++;
		if (tb[COSI_A_SPEC_FIELD_NAME] && tb[COSI_A_SPEC_FIELD_U64] &&
		    !strcmp(nla_get_string(tb[COSI_A_SPEC_FIELD_NAME]), "n"))
			o->u64_field = nla_get_u64(tb[COSI_A_SPEC_FIELD_U64]);
	}
}

static void ct_parse_obj(struct nlmsghdr *nlh, struct ct_obj *o)
{
	struct genlmsghdr *g = nlmsg_data(nlh);
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1], *a;
	int rem;

	memset(o, 0, sizeof(*o));
	o->cmd = g->cmd;
	if (g->cmd == COSI_CMD_DEFINITION_GET ||
	    g->cmd == COSI_CMD_DEFINITION_SET ||
	    g->cmd == COSI_CMD_DEFINITION_DELETE) {
		struct nlattr *dt[COSI_A_DEFINITION_MAX + 1];

		genlmsg_parse(nlh, 0, dt, COSI_A_DEFINITION_MAX, NULL);
		if (dt[COSI_A_DEFINITION_TYPE])
			snprintf(o->type, sizeof(o->type), "%s",
				 nla_get_string(dt[COSI_A_DEFINITION_TYPE]));
		if (dt[COSI_A_DEFINITION_REVISION])
			o->revision = nla_get_u64(dt[COSI_A_DEFINITION_REVISION]);
		if (dt[COSI_A_DEFINITION_RESOURCES])
			o->resources = nla_get_u32(dt[COSI_A_DEFINITION_RESOURCES]);
		return;
	}
	genlmsg_parse(nlh, 0, tb, COSI_A_RESOURCE_MAX, NULL);
#define STR(attr, field) \
	do { if (tb[attr]) snprintf(o->field, sizeof(o->field), "%s", \
				    nla_get_string(tb[attr])); } while (0)
	STR(COSI_A_RESOURCE_NAMESPACE, ns);
	STR(COSI_A_RESOURCE_TYPE, type);
	STR(COSI_A_RESOURCE_ID, id);
	STR(COSI_A_RESOURCE_OWNER, owner);
#undef STR
	if (tb[COSI_A_RESOURCE_VERSION])
		o->version = nla_get_u64(tb[COSI_A_RESOURCE_VERSION]);
	if (tb[COSI_A_RESOURCE_REVISION])
		o->revision = nla_get_u64(tb[COSI_A_RESOURCE_REVISION]);
	if (tb[COSI_A_RESOURCE_PHASE])
		o->phase = nla_get_u32(tb[COSI_A_RESOURCE_PHASE]);
	if (tb[COSI_A_RESOURCE_EVENT])
		o->event = nla_get_u32(tb[COSI_A_RESOURCE_EVENT]);
	if (tb[COSI_A_RESOURCE_WATCH_ID])
		o->watch_id = nla_get_u32(tb[COSI_A_RESOURCE_WATCH_ID]);
	if (tb[COSI_A_RESOURCE_DESTROY_READY])
		o->destroy_ready = nla_get_u8(tb[COSI_A_RESOURCE_DESTROY_READY]);
	if (tb[COSI_A_RESOURCE_LABELS])
		ct_parse_labels(tb[COSI_A_RESOURCE_LABELS], o, false);
	if (tb[COSI_A_RESOURCE_OLD_LABELS]) {
		o->n_old_labels = 0;
		ct_parse_labels(tb[COSI_A_RESOURCE_OLD_LABELS], o, true);
		o->n_old_labels++;	/* present, even when empty */
	}
	if (tb[COSI_A_RESOURCE_SPEC])
		ct_parse_spec(tb[COSI_A_RESOURCE_SPEC], o);
	if (tb[COSI_A_RESOURCE_FINALIZERS])
		nla_for_each_nested(a, tb[COSI_A_RESOURCE_FINALIZERS], rem) {
			if (o->n_finalizers < 8)
				snprintf(o->finalizers[o->n_finalizers], 128,
					 "%s", nla_get_string(a));
			o->n_finalizers++;
		}
}

static void ct_list_add(struct ct_list *l, struct nlmsghdr *nlh)
{
	if (!l)
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
	}
	ct_parse_obj(nlh, &l->v[l->n++]);
}

void ct_list_free(struct ct_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

struct ct_ctx {
	struct ct *ct;
	struct ct_list *out;
	bool done;
};

static int ct_valid_cb(struct nl_msg *msg, void *arg)
{
	struct ct_ctx *c = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		c->ct->dump_intr = true;
	ct_list_add(c->out, nlh);
	return NL_OK;
}

/* The extack TLVs follow the (capped) request header in the error. */
static void ct_extack(struct ct *ct, struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = nlmsg_data(nlh);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)e + off),
		      nlmsg_datalen(nlh) - off, NULL))
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(ct->extack, sizeof(ct->extack), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
}

static int ct_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct ct_ctx *c = arg;

	(void)nla;
	c->ct->err = e->error;
	ct_extack(c->ct, (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN));
	c->done = true;
	return NL_STOP;
}

static int ct_ack_cb(struct nl_msg *msg, void *arg)
{
	struct ct_ctx *c = arg;

	(void)msg;
	c->done = true;
	return NL_STOP;
}

static int ct_finish_cb(struct nl_msg *msg, void *arg)
{
	struct ct_ctx *c = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/* A dump that failed carries its errno (and extack) in DONE. */
	if (nlmsg_datalen(nlh) >= (int)sizeof(int) && *(int *)nlmsg_data(nlh) < 0) {
		c->ct->err = *(int *)nlmsg_data(nlh);
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
			struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

			if (!nla_parse(tb, NLMSGERR_ATTR_MAX,
				       (struct nlattr *)((char *)nlmsg_data(nlh) + sizeof(int)),
				       nlmsg_datalen(nlh) - sizeof(int), NULL) &&
			    tb[NLMSGERR_ATTR_MSG])
				snprintf(c->ct->extack, sizeof(c->ct->extack),
					 "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
		}
	}
	c->done = true;
	return NL_STOP;
}

static int ct_intr_cb(struct nl_msg *msg, void *arg)
{
	struct ct_ctx *c = arg;

	(void)msg;
	c->ct->dump_intr = true;
	return NL_OK;
}

static int ct_noseq_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_OK;
}

static struct nl_cb *ct_cb(struct ct_ctx *c)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);

	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, ct_valid_cb, c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, ct_ack_cb, c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, ct_finish_cb, c);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, ct_intr_cb, c);
	nl_cb_err(cb, NL_CB_CUSTOM, ct_err_cb, c);
	return cb;
}

int ct_req(struct ct *ct, struct nl_msg *m, struct ct_list *out)
{
	struct ct_ctx c = { .ct = ct, .out = out };
	struct nl_cb *cb = ct_cb(&c);
	int err;

	ct->err = 0;
	ct->extack[0] = '\0';
	ct->dump_intr = false;
	nlmsg_hdr(m)->nlmsg_flags |= NLM_F_ACK;
	err = nl_send_auto(ct->sk, m);
	nlmsg_free(m);
	if (err < 0) {
		nl_cb_put(cb);
		return ct->err = -EIO;
	}
	while (!c.done) {
		err = nl_recvmsgs(ct->sk, cb);
		if (err < 0 && !c.done) {
			ct->err = err == -NLE_NOMEM ? -ENOBUFS : -EIO;
			break;
		}
	}
	nl_cb_put(cb);
	return ct->err;
}

int ct_recv_events(struct ct *ct, struct ct_list *out, int ms)
{
	struct ct_ctx c = { .ct = ct, .out = out };
	struct nl_cb *cb = ct_cb(&c);
	struct pollfd p = { .fd = nl_socket_get_fd(ct->sk), .events = POLLIN };
	int err = 0;

	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, ct_noseq_cb, NULL);
	while (poll(&p, 1, ms) > 0) {
		err = nl_recvmsgs(ct->sk, cb);
		if (err < 0) {
			/* libnl maps ENOBUFS (overflow) to NLE_NOMEM */
			err = err == -NLE_NOMEM ? -ENOBUFS : -EIO;
			break;
		}
	}
	nl_cb_put(cb);
	return err;
}

int ct_define(struct ct *ct, const char *type, bool sensitive)
{
	struct nl_msg *m = ct_msg(ct, COSI_CMD_DEFINITION_SET, 0);
	struct nlattr *f;

	nla_put_string(m, COSI_A_DEFINITION_TYPE, type);
	nla_put_u32(m, COSI_A_DEFINITION_SENSITIVITY,
		    sensitive ? COSI_SENSITIVITY_SENSITIVE : COSI_SENSITIVITY_PUBLIC);
	f = nla_nest_start(m, COSI_A_DEFINITION_FIELD);
	nla_put_string(m, COSI_A_SCHEMA_FIELD_NAME, "n");
	nla_put_u32(m, COSI_A_SCHEMA_FIELD_TYPE, COSI_FIELD_TYPE_U64);
	nla_nest_end(m, f);
	f = nla_nest_start(m, COSI_A_DEFINITION_FIELD);
	nla_put_string(m, COSI_A_SCHEMA_FIELD_NAME, "s");
	nla_put_u32(m, COSI_A_SCHEMA_FIELD_TYPE, COSI_FIELD_TYPE_STRING);
	nla_nest_end(m, f);
	return ct_req(ct, m, NULL);
}

static int ct_write(struct ct *ct, uint8_t cmd, const char *ns,
		    const char *type, const char *id, uint64_t n, int nlabels,
		    const char *const *labels, struct ct_obj *out)
{
	struct nl_msg *m = ct_msg(ct, cmd, 0);
	struct ct_list l = {};
	char field[64];
	const char *f = field;
	int err;

	ct_put_key(m, ns, type, id);
	snprintf(field, sizeof(field), "n=u64:%llu", (unsigned long long)n);
	ct_put_spec(m, 1, &f);
	if (nlabels >= 0)
		ct_put_labels(m, COSI_A_RESOURCE_LABELS, nlabels, labels);
	err = ct_req(ct, m, &l);
	if (!err && out && l.n)
		*out = l.v[0];
	ct_list_free(&l);
	return err;
}

int ct_create(struct ct *ct, const char *ns, const char *type, const char *id,
	      uint64_t n, int nlabels, const char *const *labels,
	      struct ct_obj *out)
{
	return ct_write(ct, COSI_CMD_RESOURCE_CREATE, ns, type, id, n, nlabels,
			labels, out);
}

int ct_update(struct ct *ct, const char *ns, const char *type, const char *id,
	      uint64_t n, int nlabels, const char *const *labels,
	      struct ct_obj *out)
{
	return ct_write(ct, COSI_CMD_RESOURCE_UPDATE, ns, type, id, n, nlabels,
			labels, out);
}

int ct_get(struct ct *ct, const char *ns, const char *type, const char *id,
	   struct ct_obj *out)
{
	struct nl_msg *m = ct_msg(ct, COSI_CMD_RESOURCE_GET, 0);
	struct ct_list l = {};
	int err;

	ct_put_key(m, ns, type, id);
	err = ct_req(ct, m, &l);
	if (!err && out && l.n)
		*out = l.v[0];
	ct_list_free(&l);
	return err;
}

int ct_destroy(struct ct *ct, const char *ns, const char *type, const char *id)
{
	struct nl_msg *m = ct_msg(ct, COSI_CMD_RESOURCE_DESTROY, 0);

	ct_put_key(m, ns, type, id);
	return ct_req(ct, m, NULL);
}

int ct_list(struct ct *ct, const char *ns, const char *type,
	    struct ct_list *out)
{
	struct nl_msg *m = ct_msg(ct, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);

	ct_put_key(m, ns, type, NULL);
	return ct_req(ct, m, out);
}
