// SPDX-License-Identifier: GPL-2.0
/*
 * A sample consumer of cosi.ko's in-kernel API (<cosi/kwatch.h>).
 *
 * On load it watches one (namespace, type) of a netns, optionally one id
 * and label terms, counts the events per kind and remembers the last one.
 * Each event is checked against a lookup of the same resource, which must
 * see exactly the committed state.  Read-only parameters show the state:
 *
 *   /sys/module/cosi_sample_watch/parameters/stats
 *	created=N updated=N destroyed=N lookup_ok=N lookup_bad=N
 *	netns_gone=N last_kind=K last_id=ID last_version=N last_revision=N
 *	last_field=V  (V: the u64 field named by field=, or "none")
 *
 * Writing an id to "lookup" looks it up (cosi_kres_lookup()); reading it
 * shows "id=ID version=N phase=P owner=O finalizers=N FIELD=V
 * labels=k=v,..." then each field of show= as " name=value" (bytes in
 * hex, string lists joined by '|', errors as a negative errno), or
 * "missing".
 *
 *   insmod cosi_sample_watch.ko type=Links.example.dev namespace=net \
 *	[id=eth0] [labels=role=uplink,tier] [field=mtu] [bootstrap=1] \
 *	[netns_pid=PID] [show=name:string,up:bool,tags:strings]
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <net/net_namespace.h>

#include <cosi/kwatch.h>

#define SAMPLE_MAX_LABELS	8

static char *ns_param = "default";
module_param_named(namespace, ns_param, charp, 0444);
MODULE_PARM_DESC(namespace, "Namespace to watch");

static char *type_param;
module_param_named(type, type_param, charp, 0444);
MODULE_PARM_DESC(type, "Type to watch (exact name, required)");

static char *id_param;
module_param_named(id, id_param, charp, 0444);
MODULE_PARM_DESC(id, "Only this resource id");

static char *labels_param;
module_param_named(labels, labels_param, charp, 0444);
MODULE_PARM_DESC(labels, "Label terms, ANDed: key=value or key (exists), comma-separated");

static char *field_param = "mtu";
module_param_named(field, field_param, charp, 0444);
MODULE_PARM_DESC(field, "A u64 spec field to read on each event");

static char *show_param;
module_param_named(show, show_param, charp, 0444);
MODULE_PARM_DESC(show, "Spec fields for lookup to show: name:TYPE,... (TYPE: u64 s64 bool string bytes strings)");

static bool bootstrap_param;
module_param_named(bootstrap, bootstrap_param, bool, 0444);
MODULE_PARM_DESC(bootstrap, "Report existing resources first");

static int netns_pid_param;
module_param_named(netns_pid, netns_pid_param, int, 0444);
MODULE_PARM_DESC(netns_pid, "Watch the netns of this pid (0: init_net)");

struct sample_state {
	unsigned long created;
	unsigned long updated;
	unsigned long destroyed;
	unsigned long lookup_ok;
	unsigned long lookup_bad;
	unsigned long netns_gone;
	int last_kind;
	u64 last_version;
	u64 last_revision;
	u64 last_field;
	bool have_field;
	char last_id[256];
};

/* The callback runs in atomic context: a spinlock guards the state. */
static DEFINE_SPINLOCK(sample_lock);
static struct sample_state sample;

/* The watched netns; NULL once it is gone (under sample_net_lock). */
static DEFINE_MUTEX(sample_net_lock);
static struct net *sample_net;
static struct cosi_kwatch *sample_kw;

static char sample_lookup_result[512] = "none";

/* Whether a lookup of the event's resource sees the event's state. */
static bool sample_lookup_agrees(const struct cosi_kevent *ev)
{
	struct cosi_kres *cur;
	bool ok;

	cur = cosi_kres_lookup(ev->net, ev->ns, ev->type, cosi_kres_id(ev->res));
	if (ev->kind == COSI_KEVENT_DESTROYED && !ev->old)
		ok = !cur;		/* really destroyed */
	else
		ok = cur && cosi_kres_version(cur) == cosi_kres_version(ev->res) &&
		     cosi_kres_revision(cur) == cosi_kres_revision(ev->res);
	cosi_kres_put(cur);
	return ok;
}

static void sample_changed(const struct cosi_kevent *ev, void *priv)
{
	struct sample_state *s = priv;
	bool agrees = sample_lookup_agrees(ev);
	u64 val;
	int err;

	err = cosi_kres_field_u64(ev->res, field_param, &val);

	spin_lock(&sample_lock);
	switch (ev->kind) {
	case COSI_KEVENT_CREATED:
		s->created++;
		break;
	case COSI_KEVENT_UPDATED:
		s->updated++;
		break;
	case COSI_KEVENT_DESTROYED:
		s->destroyed++;
		break;
	}
	if (agrees)
		s->lookup_ok++;
	else
		s->lookup_bad++;
	s->last_kind = ev->kind;
	s->last_version = cosi_kres_version(ev->res);
	s->last_revision = ev->revision;
	s->have_field = !err;
	s->last_field = err ? 0 : val;
	strscpy(s->last_id, cosi_kres_id(ev->res), sizeof(s->last_id));
	spin_unlock(&sample_lock);
}

static void sample_netns_gone(struct cosi_kwatch *kw, void *priv)
{
	struct sample_state *s = priv;

	mutex_lock(&sample_net_lock);
	sample_net = NULL;
	mutex_unlock(&sample_net_lock);
	spin_lock(&sample_lock);
	s->netns_gone++;
	spin_unlock(&sample_lock);
}

static const struct cosi_kwatch_ops sample_ops = {
	.changed	= sample_changed,
	.netns_gone	= sample_netns_gone,
};

static int sample_stats_get(char *buf, const struct kernel_param *kp)
{
	struct sample_state s;
	char field[24] = "none";

	spin_lock(&sample_lock);
	s = sample;
	spin_unlock(&sample_lock);
	if (s.have_field)
		snprintf(field, sizeof(field), "%llu", s.last_field);
	return sysfs_emit(buf,
			  "created=%lu updated=%lu destroyed=%lu lookup_ok=%lu lookup_bad=%lu netns_gone=%lu last_kind=%d last_id=%s last_version=%llu last_revision=%llu last_field=%s\n",
			  s.created, s.updated, s.destroyed, s.lookup_ok,
			  s.lookup_bad, s.netns_gone, s.last_kind,
			  s.last_id[0] ? s.last_id : "-", s.last_version,
			  s.last_revision, field);
}

static const struct kernel_param_ops sample_stats_ops = {
	.get	= sample_stats_get,
};
module_param_cb(stats, &sample_stats_ops, NULL, 0444);
MODULE_PARM_DESC(stats, "Event counters and the last event (read-only)");

/* Append " name=value" for one field of show= ("name:type"). */
static size_t sample_show_field(const struct cosi_kres *res, char *spec,
				char *p, size_t left)
{
	char *type = strchr(spec, ':');
	const char *str;
	const void *data;
	size_t len, n;
	unsigned int i;
	bool b;
	u64 u;
	s64 v;
	int err;

	if (!type)
		return 0;
	*type++ = '\0';
	n = scnprintf(p, left, " %s=", spec);
	if (!strcmp(type, "u64")) {
		err = cosi_kres_field_u64(res, spec, &u);
		if (!err)
			n += scnprintf(p + n, left - n, "%llu", u);
	} else if (!strcmp(type, "s64")) {
		err = cosi_kres_field_s64(res, spec, &v);
		if (!err)
			n += scnprintf(p + n, left - n, "%lld", v);
	} else if (!strcmp(type, "bool")) {
		err = cosi_kres_field_bool(res, spec, &b);
		if (!err)
			n += scnprintf(p + n, left - n, "%d", b);
	} else if (!strcmp(type, "string")) {
		err = cosi_kres_field_string(res, spec, &str);
		if (!err)
			n += scnprintf(p + n, left - n, "%s", str);
	} else if (!strcmp(type, "bytes")) {
		err = cosi_kres_field_bytes(res, spec, &data, &len);
		if (!err)
			n += scnprintf(p + n, left - n, "%*phN", (int)len, data);
	} else {
		for (i = 0; !(err = cosi_kres_field_string_at(res, spec, i,
							      &str)); i++)
			n += scnprintf(p + n, left - n, "%s%s", i ? "|" : "",
				       str);
		if (err == -ERANGE)
			err = 0;
	}
	if (err)
		n += scnprintf(p + n, left - n, "%d", err);
	return n;
}

static void sample_show_fields(const struct cosi_kres *res, char *p,
			       size_t left)
{
	char *buf, *cur, *spec;
	size_t n;

	buf = kstrdup(show_param, GFP_KERNEL);
	if (!buf)
		return;
	cur = buf;
	while ((spec = strsep(&cur, ",")) != NULL) {
		n = sample_show_field(res, spec, p, left);
		p += n;
		left -= n;
	}
	kfree(buf);
}

/* Describe a looked-up version into sample_lookup_result. */
static void sample_describe(const struct cosi_kres *res)
{
	char *p = sample_lookup_result;
	size_t left = sizeof(sample_lookup_result);
	const char *key, *value;
	unsigned int i;
	int n;
	u64 val;

	n = scnprintf(p, left,
		      "id=%s version=%llu phase=%s owner=%s finalizers=%u",
		      cosi_kres_id(res), cosi_kres_version(res),
		      cosi_kres_phase(res) == COSI_KPHASE_RUNNING ?
		      "running" : "tearing-down",
		      cosi_kres_owner(res)[0] ? cosi_kres_owner(res) : "-",
		      cosi_kres_n_finalizers(res));
	p += n;
	left -= n;
	if (!cosi_kres_field_u64(res, field_param, &val))
		n = scnprintf(p, left, " %s=%llu", field_param, val);
	else
		n = scnprintf(p, left, " %s=none", field_param);
	p += n;
	left -= n;
	n = scnprintf(p, left, " labels=");
	p += n;
	left -= n;
	for (i = 0; !cosi_kres_label_at(res, i, &key, &value); i++) {
		n = scnprintf(p, left, "%s%s=%s", i ? "," : "", key, value);
		p += n;
		left -= n;
	}
	if (show_param)
		sample_show_fields(res, p, left);
}

static int sample_lookup_set(const char *val, const struct kernel_param *kp)
{
	char id[256];
	struct cosi_kres *res;

	strscpy(id, val, sizeof(id));
	strim(id);
	mutex_lock(&sample_net_lock);
	if (!sample_net) {
		strscpy(sample_lookup_result, "netns-gone",
			sizeof(sample_lookup_result));
		goto out;
	}
	res = cosi_kres_lookup(sample_net, ns_param, type_param, id);
	if (res) {
		sample_describe(res);
		cosi_kres_put(res);
	} else {
		strscpy(sample_lookup_result, "missing",
			sizeof(sample_lookup_result));
	}
out:
	mutex_unlock(&sample_net_lock);
	return 0;
}

static int sample_lookup_get(char *buf, const struct kernel_param *kp)
{
	int n;

	mutex_lock(&sample_net_lock);
	n = sysfs_emit(buf, "%s\n", sample_lookup_result);
	mutex_unlock(&sample_net_lock);
	return n;
}

static const struct kernel_param_ops sample_lookup_ops = {
	.set	= sample_lookup_set,
	.get	= sample_lookup_get,
};
module_param_cb(lookup, &sample_lookup_ops, NULL, 0644);
MODULE_PARM_DESC(lookup, "Write an id to look it up; read the result");

/* Parse "k=v,k2" into label terms pointing into @buf. */
static int sample_parse_labels(char *buf, struct cosi_klabel *l)
{
	unsigned int n = 0;
	char *term, *eq;

	while ((term = strsep(&buf, ",")) != NULL) {
		if (!*term)
			continue;
		if (n == SAMPLE_MAX_LABELS)
			return -E2BIG;
		eq = strchr(term, '=');
		if (eq)
			*eq++ = '\0';
		l[n].key = term;
		l[n].value = eq;
		n++;
	}
	return n;
}

static int __init sample_init(void)
{
	struct cosi_klabel labels[SAMPLE_MAX_LABELS];
	struct cosi_kwatch_filter f = {
		.ns = ns_param,
		.type = type_param,
		.id = id_param && *id_param ? id_param : NULL,
		.labels = labels,
		.flags = bootstrap_param ? COSI_KWATCH_BOOTSTRAP : 0,
	};
	struct cosi_kwatch *kw;
	char *lbuf = NULL;
	struct net *net;
	int n;

	if (!type_param || !*type_param) {
		pr_err("cosi_sample_watch: type= is required\n");
		return -EINVAL;
	}
	if (labels_param && *labels_param) {
		lbuf = kstrdup(labels_param, GFP_KERNEL);
		if (!lbuf)
			return -ENOMEM;
		n = sample_parse_labels(lbuf, labels);
		if (n < 0) {
			kfree(lbuf);
			return n;
		}
		f.n_labels = n;
	}

	if (netns_pid_param) {
		net = get_net_ns_by_pid(netns_pid_param);
		if (IS_ERR(net)) {
			kfree(lbuf);
			return PTR_ERR(net);
		}
	} else {
		net = get_net(&init_net);
	}

	/*
	 * The watch does not keep the netns alive; our pointer is dropped
	 * by netns_gone, which comes before the netns is freed.
	 */
	mutex_lock(&sample_net_lock);
	sample_net = net;
	mutex_unlock(&sample_net_lock);
	kw = cosi_kwatch_register(net, &f, &sample_ops, &sample);
	put_net(net);
	kfree(lbuf);	/* the filter was copied */
	if (IS_ERR(kw)) {
		mutex_lock(&sample_net_lock);
		sample_net = NULL;
		mutex_unlock(&sample_net_lock);
		pr_err("cosi_sample_watch: cannot register: %ld\n", PTR_ERR(kw));
		return PTR_ERR(kw);
	}
	sample_kw = kw;
	return 0;
}

static void __exit sample_exit(void)
{
	cosi_kwatch_unregister(sample_kw);
}

module_init(sample_init);
module_exit(sample_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sample consumer of cosi.ko's in-kernel watch API");
