// SPDX-License-Identifier: GPL-2.0
/*
 * Built-in controller tests, in the VM as root with cosi.ko loaded.  Each
 * test runs in fresh network, UTS and mount namespaces (a fresh cosi
 * store, its own per-netns sysctls, hostname and links, and a sysfs that
 * shows those links), runs the runtime with every built-in controller on
 * its own sd-event loop, and acts as a user would: config resources are
 * written on a separate libcosi socket and deleted by teardown, then
 * destroy once the controllers released them.  Assertions are on what
 * the OS shows (/proc/sys, uname, /sys/class/net, the hosts file) and on
 * the statuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <netlink/errno.h>

#include "kselftest_harness.h"
#include "cosi_params.h"
#include "controllers/controllers.h"

#define SYSCTL_CFG	"SysctlConfigs.cosi.dev"
#define SYSCTL_ST	"SysctlStatuses.cosi.dev"
#define HOSTNAME_CFG	"HostnameConfigs.cosi.dev"
#define HOSTNAME_ST	"HostnameStatuses.cosi.dev"
#define LINK_ST		"LinkStatuses.cosi.dev"
#define LINK_CFG	"LinkConfigs.cosi.dev"
#define LINK_CFG_ST	"LinkConfigStatuses.cosi.dev"
#define HOSTS_ENTRY	"HostsEntries.cosi.dev"
#define HOSTS_ST	"HostsFileStatuses.cosi.dev"

#define WAIT_MS		10000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Run the loop until @cond holds or @ms passed; the value of @cond. */
#define WAIT_FOR(cond, ms) ({						\
	uint64_t _end = now_ms() + (ms);				\
	bool _ok;							\
	while (!(_ok = (cond)) && now_ms() < _end)			\
		sd_event_run(self->ev, 50000);				\
	_ok;								\
})

/*
 * Run the loop until nothing is due and nothing happened for a while, so
 * that what follows cannot be mistaken for the tail of earlier work.
 */
static void settle(sd_event *ev, struct cosi_runtime *rt)
{
	uint64_t end = now_ms() + WAIT_MS;
	int quiet = 0;

	while (now_ms() < end && quiet < 5) {
		if (sd_event_run(ev, 50000) == 0 && cosi_runtime_idle(rt))
			quiet++;
		else
			quiet = 0;
	}
}

/* Create or update a user resource; @spec is cleared. */
static int put(struct cosi *c, const char *ns, const char *type,
	       const char *id, struct cosi_spec *spec)
{
	COSI_OPTS(cosi_req, r, .ns = ns, .type = type, .id = id, .spec = spec);
	struct cosi_resource *cur = NULL;
	int err;

	err = cosi_resource_get(c, ns, type, id, &cur);
	if (err == -ENOENT)
		err = cosi_resource_create(c, &r, NULL);
	else if (!err)
		err = cosi_resource_update(c, &r, NULL);
	cosi_resource_free(cur);
	cosi_spec_clear(spec);
	return err;
}

static int put_sysctl(struct cosi *c, const char *id, const char *value)
{
	struct cosi_spec s = { 0 };

	cosi_spec_add_string(&s, "value", value);
	return put(c, "config", SYSCTL_CFG, id, &s);
}

/* @dom NULL: no domainname field. */
static int put_hostname(struct cosi *c, const char *name, const char *dom)
{
	struct cosi_spec s = { 0 };

	cosi_spec_add_string(&s, "hostname", name);
	if (dom)
		cosi_spec_add_string(&s, "domainname", dom);
	return put(c, "config", HOSTNAME_CFG, "hostname", &s);
}

/* @up < 0, @mtu 0: field left out. */
static int put_link(struct cosi *c, const char *id, int up, uint64_t mtu)
{
	struct cosi_spec s = { 0 };

	if (up >= 0)
		cosi_spec_add_bool(&s, "up", up);
	if (mtu)
		cosi_spec_add_u64(&s, "mtu", mtu);
	return put(c, "config", LINK_CFG, id, &s);
}

static int put_entry(struct cosi *c, const char *id, const char *addr,
		     const char *const *names, size_t n)
{
	struct cosi_spec s = { 0 };

	cosi_spec_add_string(&s, "address", addr);
	cosi_spec_add_strings(&s, "names", names, n);
	return put(c, "config", HOSTS_ENTRY, id, &s);
}

static int teardown(struct cosi *c, const char *ns, const char *type,
		    const char *id)
{
	COSI_OPTS(cosi_req, r, .ns = ns, .type = type, .id = id);

	return cosi_resource_teardown(c, &r, NULL, NULL);
}

/* Try to destroy: true once it is gone (the controllers let it go). */
static bool destroyed(struct cosi *c, const char *ns, const char *type,
		      const char *id)
{
	COSI_OPTS(cosi_req, r, .ns = ns, .type = type, .id = id);
	int err = cosi_resource_destroy(c, &r, NULL);

	return !err || err == -ENOENT;
}

static bool exists(struct cosi *c, const char *ns, const char *type,
		   const char *id)
{
	struct cosi_resource *r = NULL;
	int err = cosi_resource_get(c, ns, type, id, &r);

	cosi_resource_free(r);
	return !err;
}

/*
 * A spec field as text (u64 in decimal, bool as true/false, lists joined
 * with ','); "<unset>" when the field is absent, NULL when the resource
 * is.  malloc()ed.
 */
static char *field(struct cosi *c, const char *ns, const char *type,
		   const char *id, const char *name)
{
	const struct cosi_field *f;
	struct cosi_resource *r;
	char *out = NULL;
	size_t i, len;

	if (cosi_resource_get(c, ns, type, id, &r))
		return NULL;
	f = cosi_spec_get(&r->spec, name);
	if (!f)
		out = strdup("<unset>");
	else if (f->type == COSI_FIELD_TYPE_STRING)
		out = strdup(f->str);
	else if (f->type == COSI_FIELD_TYPE_U64 &&
		 asprintf(&out, "%llu", (unsigned long long)f->u64) < 0)
		out = NULL;
	else if (f->type == COSI_FIELD_TYPE_BOOL)
		out = strdup(f->b ? "true" : "false");
	else if (f->type == COSI_FIELD_TYPE_STRING_LIST) {
		for (i = 0, len = 1; i < f->strs.n; i++)
			len += strlen(f->strs.v[i]) + 1;
		out = calloc(1, len);
		for (i = 0; out && i < f->strs.n; i++) {
			if (i)
				strcat(out, ",");
			strcat(out, f->strs.v[i]);
		}
	}
	cosi_resource_free(r);
	return out;
}

/* @want NULL: the resource is absent. */
static bool field_is(struct cosi *c, const char *ns, const char *type,
		     const char *id, const char *name, const char *want)
{
	char *v = field(c, ns, type, id, name);
	bool ok = want ? v && !strcmp(v, want) : !v;

	free(v);
	return ok;
}

/* @item is one of the ','-separated items of a list field. */
static bool field_has(struct cosi *c, const char *ns, const char *type,
		      const char *id, const char *name, const char *item)
{
	char *v = field(c, ns, type, id, name), *tok, *save = NULL;
	bool ok = false;

	for (tok = v ? strtok_r(v, ",", &save) : NULL; tok && !ok;
	     tok = strtok_r(NULL, ",", &save))
		ok = !strcmp(tok, item);
	free(v);
	return ok;
}

/* A file's content without trailing newlines; NULL when unreadable. */
static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r"), *m;
	int ch;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	while (m && (ch = fgetc(f)) != EOF)
		fputc(ch, m);
	fclose(f);
	if (!m || fclose(m))
		return NULL;
	while (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return buf;
}

static bool file_is(const char *path, const char *want)
{
	char *v = slurp(path);
	bool ok = want ? v && !strcmp(v, want) : !v;

	free(v);
	return ok;
}

static bool file_has(const char *path, const char *needle)
{
	char *v = slurp(path);
	bool ok = v && strstr(v, needle);

	free(v);
	return ok;
}

/* A string field contains @needle. */
static bool field_contains(struct cosi *c, const char *ns, const char *type,
			   const char *id, const char *name, const char *needle)
{
	char *v = field(c, ns, type, id, name);
	bool ok = v && strstr(v, needle);

	free(v);
	return ok;
}

/* IFF_UP in /sys/class/net/@link/flags. */
static bool sysfs_up(const char *link)
{
	char path[64], *v;
	bool up;

	snprintf(path, sizeof(path), "/sys/class/net/%s/flags", link);
	v = slurp(path);
	up = v && (strtoul(v, NULL, 16) & 1);
	free(v);
	return up;
}

static const char *uts_node(void)
{
	static struct utsname u;

	uname(&u);
	return u.nodename;
}

static const char *uts_domain(void)
{
	static struct utsname u;

	uname(&u);
	return u.domainname;
}

static const struct cosi_ctl_stats *stats(struct cosi_runtime *rt,
					  const char *name)
{
	static const struct cosi_ctl_stats none = { .failures = 999 };
	struct cosi_ctl *ctl = cosi_runtime_find(rt, name);

	return ctl ? cosi_ctl_stats(ctl) : &none;
}

FIXTURE(ctl) {
	sd_event *ev;
	struct cosi_runtime *rt;
	struct cosi *user;
	char dir[64];
	char hosts[128];
	char sys[128];		/* a fake /proc/sys (start_fake_sys()) */
};

static int start(struct _test_data_ctl *self)
{
	struct cosid_controllers_opts o = { .hosts_path = self->hosts };
	int err;

	self->rt = cosi_runtime_new(self->ev, NULL);
	if (!self->rt)
		return -ENOMEM;
	err = cosid_register_controllers(self->rt, &o);
	return err ?: cosi_runtime_start(self->rt);
}

FIXTURE_SETUP(ctl)
{
	ASSERT_EQ(0, unshare(CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS));
	/* A sysfs of this netns, for /sys/class/net. */
	ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	ASSERT_EQ(0, mount("sysfs", "/sys", "sysfs", 0, NULL));
	snprintf(self->dir, sizeof(self->dir), "/tmp/cosi-ctl-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	/* A directory that does not exist yet: the controller makes it. */
	snprintf(self->hosts, sizeof(self->hosts), "%s/run/cosi/hosts",
		 self->dir);
	self->user = cosi_open();
	ASSERT_NE(NULL, self->user);
	ASSERT_EQ(0, cosid_define_types(self->user));
	ASSERT_LE(0, sd_event_default(&self->ev));
	self->rt = NULL;
	ASSERT_EQ(0, start(self));
}

FIXTURE_TEARDOWN(ctl)
{
	char cmd[128];

	cosi_runtime_free(self->rt);
	sd_event_unref(self->ev);
	cosi_close(self->user);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	if (system(cmd))
		TH_LOG("could not remove %s", self->dir);
}

TEST_F(ctl, definitions_and_aliases)
{
	static const struct {
		const char *alias, *type, *ns;
	} want[] = {
		{ "sysctl", SYSCTL_CFG, "config" },
		{ "sysctls", SYSCTL_CFG, "config" },
		{ "sysctlstatus", SYSCTL_ST, "runtime" },
		{ "hostnameconfig", HOSTNAME_CFG, "config" },
		{ "hostnamestatuses", HOSTNAME_ST, "runtime" },
		{ "links", LINK_ST, "network" },
		{ "linkconfig", LINK_CFG, "config" },
		{ "linkconfigstatus", LINK_CFG_ST, "runtime" },
		{ "hostsentries", HOSTS_ENTRY, "config" },
		{ "hostsfilestatus", HOSTS_ST, "runtime" },
	};
	struct cosi_definition *d;
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(want); i++) {
		ASSERT_EQ(0, cosi_definition_get(self->user, want[i].alias,
						  &d)) TH_LOG("%s", want[i].alias);
		EXPECT_STREQ(want[i].type, d->type);
		EXPECT_STREQ(want[i].ns, d->default_ns);
		cosi_definition_free(d);
	}
	ASSERT_EQ(0, cosi_definition_get(self->user, LINK_ST, &d));
	EXPECT_EQ(6, d->n_fields);
	EXPECT_EQ(4, d->n_columns);
	cosi_definition_free(d);
	/* Idempotent: the daemon sets them at every start. */
	EXPECT_EQ(0, cosid_define_types(self->user));
	for (n = 0; cosid_config_types[n]; n++) {
		ASSERT_EQ(0, cosi_definition_get(self->user,
						  cosid_config_types[n], &d));
		EXPECT_STREQ("config", d->default_ns);
		cosi_definition_free(d);
	}
	EXPECT_EQ(4, n);
}

TEST_F(ctl, sysctl_applied_then_restored)
{
	const char *path = "/proc/sys/net/ipv4/ip_forward";
	char *orig = slurp(path);
	const char *want;

	ASSERT_NE(NULL, orig);
	want = strcmp(orig, "1") ? "1" : "0";
	ASSERT_EQ(0, put_sysctl(self->user, "net.ipv4.ip_forward", want));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "net.ipv4.ip_forward", "value", want),
			     WAIT_MS));
	EXPECT_TRUE(file_is(path, want));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST,
			     "net.ipv4.ip_forward", "original", orig));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST,
			     "net.ipv4.ip_forward", "error", ""));
	/* Held: a plain destroy is refused. */
	EXPECT_FALSE(destroyed(self->user, "config", SYSCTL_CFG,
			       "net.ipv4.ip_forward"));

	ASSERT_EQ(0, teardown(self->user, "config", SYSCTL_CFG,
			      "net.ipv4.ip_forward"));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", SYSCTL_CFG,
				       "net.ipv4.ip_forward"), WAIT_MS));
	EXPECT_TRUE(file_is(path, orig));
	EXPECT_FALSE(exists(self->user, "runtime", SYSCTL_ST,
			    "net.ipv4.ip_forward"));
	EXPECT_EQ(0, stats(self->rt, "sysctl")->failures);
	free(orig);
}

TEST_F(ctl, sysctl_slash_form_update_keeps_original)
{
	const char *path = "/proc/sys/net/core/somaxconn";
	const char *id = "net/core/somaxconn";
	char *orig = slurp(path);

	ASSERT_NE(NULL, orig);
	ASSERT_STRNE("1000", orig);
	ASSERT_EQ(0, put_sysctl(self->user, id, "1000"));
	ASSERT_EQ(0, put_sysctl(self->user, "net.ipv4.conf.all.forwarding",
				"1"));
	ASSERT_TRUE(WAIT_FOR(file_is(path, "1000"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(file_is("/proc/sys/net/ipv4/conf/all/forwarding",
				     "1"), WAIT_MS));
	ASSERT_EQ(0, put_sysctl(self->user, id, "1001"));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST, id,
				      "value", "1001"), WAIT_MS));
	EXPECT_TRUE(file_is(path, "1001"));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST, id, "original",
			     orig));

	ASSERT_EQ(0, teardown(self->user, "config", SYSCTL_CFG, id));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", SYSCTL_CFG, id),
			     WAIT_MS));
	EXPECT_TRUE(file_is(path, orig));
	/* The other one is untouched. */
	EXPECT_TRUE(file_is("/proc/sys/net/ipv4/conf/all/forwarding", "1"));
	free(orig);
}

TEST_F(ctl, sysctl_errors_are_reported_not_retried)
{
	char *before = slurp("/proc/sys/net/ipv4/ip_forward");

	ASSERT_NE(NULL, before);
	ASSERT_EQ(0, put_sysctl(self->user, "net.ipv4.no_such_knob", "1"));
	ASSERT_EQ(0, put_sysctl(self->user, "net..ipv4", "1"));
	ASSERT_EQ(0, put_sysctl(self->user, "/etc/passwd", "x"));
	ASSERT_EQ(0, put_sysctl(self->user, "net.ipv4.ip_forward", "banana"));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "net.ipv4.no_such_knob", "error",
				      strerror(ENOENT)), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "net..ipv4", "error",
				      "invalid sysctl name"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "/etc/passwd", "error",
				      "invalid sysctl name"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "net.ipv4.ip_forward", "error",
				      strerror(EINVAL)), WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST,
			     "net.ipv4.ip_forward", "value", before));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST,
			     "net.ipv4.no_such_knob", "original", "<unset>"));
	EXPECT_EQ(0, stats(self->rt, "sysctl")->failures);

	/* A failed config still goes away cleanly. */
	ASSERT_EQ(0, teardown(self->user, "config", SYSCTL_CFG,
			      "net.ipv4.no_such_knob"));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", SYSCTL_CFG,
				       "net.ipv4.no_such_knob"), WAIT_MS));
	EXPECT_FALSE(exists(self->user, "runtime", SYSCTL_ST,
			    "net.ipv4.no_such_knob"));
	free(before);
}

TEST_F(ctl, sysctl_original_survives_restart)
{
	const char *path = "/proc/sys/net/core/somaxconn";
	const char *id = "net.core.somaxconn";
	char *orig = slurp(path);

	ASSERT_NE(NULL, orig);
	ASSERT_EQ(0, put_sysctl(self->user, id, "1234"));
	ASSERT_TRUE(WAIT_FOR(file_is(path, "1234"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST, id,
				      "value", "1234"), WAIT_MS));

	/* The daemon restarts: /proc/sys now holds cosid's value. */
	cosi_runtime_free(self->rt);
	self->rt = NULL;
	ASSERT_EQ(0, start(self));
	ASSERT_EQ(0, put_sysctl(self->user, id, "1235"));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST, id,
				      "value", "1235"), WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST, id, "original",
			     orig));

	ASSERT_EQ(0, teardown(self->user, "config", SYSCTL_CFG, id));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", SYSCTL_CFG, id),
			     WAIT_MS));
	EXPECT_TRUE(file_is(path, orig));
	free(orig);
}

/*
 * Privileges.  The sysctl controller runs on a fake /proc/sys under the
 * test's directory (so that kernel.* keys can be tried safely), with
 * @allow as --allow-unsafe-sysctl.
 */
static void fake_file(const char *dir, const char *rel, const char *value)
{
	char path[256], *slash;
	FILE *f;

	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (slash = strchr(path + strlen(dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%s\n", value);
		fclose(f);
	}
}

static int start_fake_sys(struct _test_data_ctl *self,
			  const char *const *allow)
{
	struct cosid_controllers_opts o = {
		.hosts_path = self->hosts, .proc_sys = self->sys,
		.allow_unsafe_sysctls = allow,
	};
	int err;

	snprintf(self->sys, sizeof(self->sys), "%s/sys", self->dir);
	fake_file(self->sys, "kernel/core_pattern", "core");
	fake_file(self->sys, "kernel/foo", "0");
	fake_file(self->sys, "net/ipv4/ip_forward", "0");
	fake_file(self->sys, "net/core/bpf_jit_harden", "2");
	cosi_runtime_free(self->rt);
	self->rt = cosi_runtime_new(self->ev, NULL);
	if (!self->rt)
		return -ENOMEM;
	err = cosid_register_controllers(self->rt, &o);
	return err ?: cosi_runtime_start(self->rt);
}

static bool sys_is(struct _test_data_ctl *self, const char *rel,
		   const char *want)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", self->sys, rel);
	return file_is(path, want);
}

/* uid/gid 65534 with CAP_NET_ADMIN only, as cosi_priv does. */
static int drop_to_net_admin(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (prctl(PR_SET_KEEPCAPS, 1) || setgroups(0, NULL) ||
	    setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -1;
	d[0].effective = d[0].permitted = 1u << CAP_NET_ADMIN;
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* Write sysctl configs as uid 65534 with CAP_NET_ADMIN: "id", "value", ... */
static int put_sysctls_as_net_admin(const char *const *kv)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct cosi *c;

		if (drop_to_net_admin())
			_exit(1);
		c = cosi_open();
		if (!c)
			_exit(2);
		for (; *kv; kv += 2)
			if (put_sysctl(c, kv[0], kv[1])) {
				fprintf(stderr, "# %s\n", cosi_strerror(c, kv[0]));
				_exit(3);
			}
		cosi_close(c);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(ctl, sysctl_outside_net_needs_a_sys_admin_writer)
{
	static const char *const kv[] = {
		"kernel.foo", "1",
		"kernel.core_pattern", "|/tmp/x %p",
		"net.core.bpf_jit_harden", "0",
		"net.ipv4.ip_forward", "1",
		NULL,
	};

	ASSERT_EQ(0, start_fake_sys(self, NULL));
	ASSERT_EQ(0, put_sysctls_as_net_admin(kv));
	/* Its own netns's net.* is the writer's to set. */
	ASSERT_TRUE(WAIT_FOR(sys_is(self, "net/ipv4/ip_forward", "1"),
			     WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "net.ipv4.ip_forward", "error", ""),
			     WAIT_MS));
	/* Anything else is refused, with the reason, and nothing written. */
	ASSERT_TRUE(WAIT_FOR(field_contains(self->user, "runtime", SYSCTL_ST,
					    "kernel.foo", "error",
					    "CAP_SYS_ADMIN"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_contains(self->user, "runtime", SYSCTL_ST,
					    "kernel.core_pattern", "error",
					    "CAP_SYS_ADMIN"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_contains(self->user, "runtime", SYSCTL_ST,
					    "net.core.bpf_jit_harden", "error",
					    "CAP_SYS_ADMIN"), WAIT_MS));
	settle(self->ev, self->rt);
	EXPECT_TRUE(sys_is(self, "kernel/foo", "0"));
	EXPECT_TRUE(sys_is(self, "kernel/core_pattern", "core"));
	EXPECT_TRUE(sys_is(self, "net/core/bpf_jit_harden", "2"));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST, "kernel.foo",
			     "original", "<unset>"));

	/* The same spec written by root is applied. */
	ASSERT_EQ(0, put_sysctl(self->user, "kernel.foo", "1"));
	ASSERT_TRUE(WAIT_FOR(sys_is(self, "kernel/foo", "1"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "kernel.foo", "error", ""), WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST, "kernel.foo",
			     "original", "0"));
	/*
	 * What root wrote, the unprivileged writer cannot change at all (the
	 * kernel refuses it: a teardown would have the controller restore
	 * the original with root's rights)...
	 */
	EXPECT_NE(0, put_sysctls_as_net_admin((const char *const[]){
		"kernel.foo", "2", NULL }));
	settle(self->ev, self->rt);
	EXPECT_TRUE(sys_is(self, "kernel/foo", "1"));
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST, "kernel.foo",
			     "error", ""));
	/* ... keeping the original, which the delete restores. */
	EXPECT_TRUE(field_is(self->user, "runtime", SYSCTL_ST, "kernel.foo",
			     "original", "0"));
	ASSERT_EQ(0, teardown(self->user, "config", SYSCTL_CFG, "kernel.foo"));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", SYSCTL_CFG,
				       "kernel.foo"), WAIT_MS));
	EXPECT_TRUE(sys_is(self, "kernel/foo", "0"));
	EXPECT_EQ(0, stats(self->rt, "sysctl")->failures);
}

TEST_F(ctl, sysctl_unsafe_keys_refused_unless_allowed)
{
	static const char *const allow[] = { "kernel.core_pattern", NULL };

	ASSERT_EQ(0, start_fake_sys(self, NULL));
	/* Root, but not allowed: refused, nothing written. */
	ASSERT_EQ(0, put_sysctl(self->user, "kernel.core_pattern",
				"|/tmp/x %p"));
	ASSERT_EQ(0, put_sysctl(self->user, "kernel/usermodehelper/bset",
				"0 0"));
	ASSERT_TRUE(WAIT_FOR(field_contains(self->user, "runtime", SYSCTL_ST,
					    "kernel.core_pattern", "error",
					    "unsafe"), WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_contains(self->user, "runtime", SYSCTL_ST,
					    "kernel/usermodehelper/bset",
					    "error", "unsafe"), WAIT_MS));
	ASSERT_EQ(0, put_sysctl(self->user, "dev.tty.ldisc_autoload", "1"));
	ASSERT_TRUE(WAIT_FOR(field_contains(self->user, "runtime", SYSCTL_ST,
					    "dev.tty.ldisc_autoload", "error",
					    "unsafe"), WAIT_MS));
	settle(self->ev, self->rt);
	EXPECT_TRUE(sys_is(self, "kernel/core_pattern", "core"));

	/* Allowed by name: applied, and restored on delete. */
	ASSERT_EQ(0, start_fake_sys(self, allow));
	ASSERT_EQ(0, put_sysctl(self->user, "kernel.core_pattern",
				"|/tmp/y %p"));
	ASSERT_TRUE(WAIT_FOR(sys_is(self, "kernel/core_pattern", "|/tmp/y %p"),
			     WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", SYSCTL_ST,
				      "kernel.core_pattern", "error", ""),
			     WAIT_MS));
	/* Only that one. */
	EXPECT_TRUE(field_contains(self->user, "runtime", SYSCTL_ST,
				   "kernel/usermodehelper/bset", "error",
				   "unsafe"));
	ASSERT_EQ(0, teardown(self->user, "config", SYSCTL_CFG,
			      "kernel.core_pattern"));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", SYSCTL_CFG,
				       "kernel.core_pattern"), WAIT_MS));
	EXPECT_TRUE(sys_is(self, "kernel/core_pattern", "core"));
	EXPECT_EQ(0, stats(self->rt, "sysctl")->failures);
}

TEST_F(ctl, host_wide_types_need_sys_admin)
{
	static const char *const sys_admin[] = {
		HOSTNAME_CFG, HOSTNAME_ST, HOSTS_ENTRY, SYSCTL_ST,
	};
	static const char *const net_admin[] = {
		SYSCTL_CFG, LINK_ST, LINK_CFG, LINK_CFG_ST, HOSTS_ST,
	};
	struct cosi_definition *d;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sys_admin); i++) {
		ASSERT_EQ(0, cosi_definition_get(self->user, sys_admin[i], &d));
		EXPECT_EQ(COSI_WRITE_ACCESS_SYS_ADMIN, d->write_access)
			TH_LOG("%s", sys_admin[i]);
		cosi_definition_free(d);
	}
	for (i = 0; i < ARRAY_SIZE(net_admin); i++) {
		ASSERT_EQ(0, cosi_definition_get(self->user, net_admin[i], &d));
		EXPECT_EQ(COSI_WRITE_ACCESS_NET_ADMIN, d->write_access)
			TH_LOG("%s", net_admin[i]);
		cosi_definition_free(d);
	}
}

TEST_F(ctl, hostname_set_and_reported)
{
	ASSERT_EQ(0, put_hostname(self->user, "node1", "example.org"));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTNAME_ST,
				      "hostname", "hostname", "node1"),
			     WAIT_MS));
	EXPECT_STREQ("node1", uts_node());
	EXPECT_STREQ("example.org", uts_domain());
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTNAME_ST, "hostname",
			     "domainname", "example.org"));
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTNAME_ST, "hostname",
			     "error", ""));

	/* Invalid: reported, the hostname stays. */
	ASSERT_EQ(0, put_hostname(self->user, "bad name!", NULL));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTNAME_ST,
				      "hostname", "error",
				      "invalid hostname \"bad name!\""),
			     WAIT_MS));
	EXPECT_STREQ("node1", uts_node());

	ASSERT_EQ(0, put_hostname(self->user, "node2", NULL));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTNAME_ST,
				      "hostname", "hostname", "node2"),
			     WAIT_MS));
	EXPECT_STREQ("node2", uts_node());
	/* No domainname field: the domain is not managed, it stays. */
	EXPECT_STREQ("example.org", uts_domain());
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTNAME_ST, "hostname",
			     "error", ""));

	/* Teardown keeps the hostname and the status. */
	ASSERT_EQ(0, teardown(self->user, "config", HOSTNAME_CFG, "hostname"));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", HOSTNAME_CFG,
				       "hostname"), WAIT_MS));
	EXPECT_STREQ("node2", uts_node());
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTNAME_ST, "hostname",
			     "hostname", "node2"));
	EXPECT_EQ(0, stats(self->rt, "hostname")->failures);
}

TEST_F(ctl, hostname_status_follows_changes_without_config)
{
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTNAME_ST,
				      "hostname", "hostname", uts_node()),
			     WAIT_MS));
	/* Behind the controller's back: noticed through POLLPRI. */
	settle(self->ev, self->rt);
	ASSERT_EQ(0, sethostname("manual", 6));
	EXPECT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTNAME_ST,
				      "hostname", "hostname", "manual"),
			     3000));
	ASSERT_EQ(0, setdomainname("dom.test", 8));
	EXPECT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTNAME_ST,
				      "hostname", "domainname", "dom.test"),
			     3000));
}

TEST_F(ctl, hosts_file_chained_from_hostname)
{
	static const char *const db[] = { "db", "db.lan" };
	static const char *const gw[] = { "gw" };
	static const char *const x[] = { "x" };
	const char *head = "# Generated by cosid (hosts controller); do not edit.\n"
			   "127.0.0.1 localhost\n";
	char want[512];
	char *content;

	ASSERT_EQ(0, put_hostname(self->user, "alpha", "lan"));
	ASSERT_EQ(0, put_entry(self->user, "db", "10.0.0.5", db, 2));
	ASSERT_EQ(0, put_entry(self->user, "aa-gw", "fd00::1", gw, 1));
	ASSERT_EQ(0, put_entry(self->user, "bad", "nope", x, 1));
	snprintf(want, sizeof(want), "%s127.0.1.1 alpha alpha.lan\n"
		 "fd00::1 gw\n# bad: skipped, invalid address\n"
		 "10.0.0.5 db db.lan", head);
	ASSERT_TRUE(WAIT_FOR(file_is(self->hosts, want), WAIT_MS))
		TH_LOG("%s", slurp(self->hosts) ?: "(no file)");
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTS_ST, "hosts",
				      "entries", "2"), WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTS_ST, "hosts", "path",
			     self->hosts));
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTS_ST, "hosts", "error",
			     ""));
	content = field(self->user, "runtime", HOSTS_ST, "hosts", "content");
	ASSERT_NE(NULL, content);
	EXPECT_EQ(0, strncmp(content, want, strlen(want)));
	EXPECT_STREQ("\n", content + strlen(want));
	free(content);

	/* config -> hostname -> HostnameStatus -> hosts -> file */
	ASSERT_EQ(0, put_hostname(self->user, "beta", ""));
	snprintf(want, sizeof(want), "%s127.0.1.1 beta\n"
		 "fd00::1 gw\n# bad: skipped, invalid address\n"
		 "10.0.0.5 db db.lan", head);
	ASSERT_TRUE(WAIT_FOR(file_is(self->hosts, want), WAIT_MS))
		TH_LOG("%s", slurp(self->hosts) ?: "(no file)");

	/* A removed entry leaves the file before it is released. */
	ASSERT_EQ(0, teardown(self->user, "config", HOSTS_ENTRY, "db"));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", HOSTS_ENTRY,
				       "db"), WAIT_MS));
	EXPECT_FALSE(file_has(self->hosts, "10.0.0.5"));
	EXPECT_TRUE(file_has(self->hosts, "fd00::1 gw"));
	EXPECT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTS_ST, "hosts",
				      "entries", "1"), WAIT_MS));
	EXPECT_EQ(0, stats(self->rt, "hosts")->failures);
}

TEST_F(ctl, link_status_follows_links)
{
	uint64_t t0;

	ASSERT_TRUE(WAIT_FOR(exists(self->user, "network", LINK_ST, "lo"),
			     WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "network", LINK_ST, "lo", "index",
			     "1"));
	EXPECT_TRUE(field_is(self->user, "network", LINK_ST, "lo", "mac",
			     "00:00:00:00:00:00"));
	EXPECT_TRUE(field_is(self->user, "network", LINK_ST, "lo", "kind",
			     ""));
	EXPECT_TRUE(field_has(self->user, "network", LINK_ST, "lo", "flags",
			      "LOOPBACK"));
	EXPECT_FALSE(field_has(self->user, "network", LINK_ST, "lo", "flags",
			       "UP"));

	ASSERT_EQ(0, system("ip link add d0 type dummy"));
	ASSERT_TRUE(WAIT_FOR(exists(self->user, "network", LINK_ST, "d0"),
			     WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "network", LINK_ST, "d0", "kind",
			     "dummy"));
	EXPECT_TRUE(field_is(self->user, "network", LINK_ST, "d0", "operstate",
			     "down"));
	EXPECT_TRUE(field_has(self->user, "network", LINK_ST, "d0", "flags",
			      "BROADCAST"));

	/* A change shows up within a second. */
	settle(self->ev, self->rt);
	ASSERT_EQ(0, system("ip link set d0 mtu 1300 up"));
	t0 = now_ms();
	EXPECT_TRUE(WAIT_FOR(field_is(self->user, "network", LINK_ST, "d0",
				      "mtu", "1300") &&
			     field_has(self->user, "network", LINK_ST, "d0",
				       "flags", "UP"), 1000))
		TH_LOG("after %llu ms", (unsigned long long)(now_ms() - t0));

	ASSERT_EQ(0, system("ip link del d0"));
	EXPECT_TRUE(WAIT_FOR(!exists(self->user, "network", LINK_ST, "d0"),
			     WAIT_MS));
	EXPECT_TRUE(exists(self->user, "network", LINK_ST, "lo"));
	EXPECT_EQ(0, stats(self->rt, "link-status")->failures);
}

TEST_F(ctl, link_config_up_and_mtu)
{
	ASSERT_EQ(0, system("ip link add d0 type dummy"));
	ASSERT_EQ(0, put_link(self->user, "d0", 1, 1400));
	ASSERT_TRUE(WAIT_FOR(file_is("/sys/class/net/d0/mtu", "1400"),
			     WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", LINK_CFG_ST, "d0",
				      "applied", "true"), WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "runtime", LINK_CFG_ST, "d0",
			     "error", ""));
	EXPECT_TRUE(sysfs_up("d0"));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "network", LINK_ST, "d0",
				      "mtu", "1400") &&
			     field_has(self->user, "network", LINK_ST, "d0",
				       "flags", "UP"), WAIT_MS));

	/* Changed behind its back: the config is applied again. */
	settle(self->ev, self->rt);
	ASSERT_EQ(0, system("ip link set d0 mtu 1500"));
	EXPECT_TRUE(WAIT_FOR(file_is("/sys/class/net/d0/mtu", "1400"),
			     WAIT_MS));

	/* Down. */
	ASSERT_EQ(0, put_link(self->user, "d0", 0, 0));
	EXPECT_TRUE(WAIT_FOR(!sysfs_up("d0"), WAIT_MS));
	EXPECT_TRUE(WAIT_FOR(!field_has(self->user, "network", LINK_ST, "d0",
					"flags", "UP"), WAIT_MS));
	EXPECT_TRUE(file_is("/sys/class/net/d0/mtu", "1400"));

	/* Teardown leaves the link as it is. */
	ASSERT_EQ(0, put_link(self->user, "d0", 1, 0));
	ASSERT_TRUE(WAIT_FOR(field_has(self->user, "network", LINK_ST, "d0",
				       "flags", "UP"), WAIT_MS));
	ASSERT_EQ(0, teardown(self->user, "config", LINK_CFG, "d0"));
	ASSERT_TRUE(WAIT_FOR(destroyed(self->user, "config", LINK_CFG, "d0"),
			     WAIT_MS));
	EXPECT_FALSE(exists(self->user, "runtime", LINK_CFG_ST, "d0"));
	EXPECT_TRUE(file_is("/sys/class/net/d0/mtu", "1400"));
	EXPECT_TRUE(sysfs_up("d0"));
	EXPECT_EQ(0, stats(self->rt, "link-config")->failures);
}

TEST_F(ctl, link_config_applied_when_link_appears)
{
	ASSERT_EQ(0, put_link(self->user, "d1", 1, 1300));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", LINK_CFG_ST, "d1",
				      "error", "link not found"), WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "runtime", LINK_CFG_ST, "d1",
			     "applied", "false"));

	settle(self->ev, self->rt);
	ASSERT_EQ(0, system("ip link add d1 type dummy"));
	ASSERT_TRUE(WAIT_FOR(file_is("/sys/class/net/d1/mtu", "1300"),
			     WAIT_MS));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", LINK_CFG_ST, "d1",
				      "applied", "true"), WAIT_MS));
	EXPECT_TRUE(WAIT_FOR(field_has(self->user, "network", LINK_ST, "d1",
				       "flags", "UP"), WAIT_MS));

	/* And when it goes away again, the status says so. */
	ASSERT_EQ(0, system("ip link del d1"));
	EXPECT_TRUE(WAIT_FOR(field_is(self->user, "runtime", LINK_CFG_ST, "d1",
				      "error", "link not found"), WAIT_MS));
	EXPECT_EQ(0, stats(self->rt, "link-config")->failures);
}

TEST_F(ctl, link_config_reports_kernel_errors)
{
	ASSERT_EQ(0, system("ip link add v0 type veth peer name v1"));
	/* Below the minimum MTU of an Ethernet device. */
	ASSERT_EQ(0, put_link(self->user, "v0", -1, 10));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", LINK_CFG_ST, "v0",
				      "error", strerror(EINVAL)), WAIT_MS));
	EXPECT_TRUE(field_is(self->user, "runtime", LINK_CFG_ST, "v0",
			     "applied", "false"));
	EXPECT_TRUE(file_is("/sys/class/net/v0/mtu", "1500"));
	EXPECT_EQ(0, stats(self->rt, "link-config")->failures);
}

TEST_F_TIMEOUT(ctl, hosts_status_bounded_and_deletes_finish, 120)
{
	char id[16], name[64], alias[16], addr[32], want[16], *content;
	const char *names[2] = { name, alias };
	int i;

	/* ~45 bytes a line: the file is far beyond max_spec_size (16 KiB). */
	for (i = 0; i < 600; i++) {
		snprintf(id, sizeof(id), "e%03d", i);
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, i % 250 + 1);
		snprintf(name, sizeof(name), "host-%03d.example.internal", i);
		snprintf(alias, sizeof(alias), "alias-%03d", i);
		ASSERT_EQ(0, put_entry(self->user, id, addr, names, 2));
	}
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTS_ST, "hosts",
				      "entries", "600"), 30000));
	EXPECT_TRUE(file_has(self->hosts, "10.1.2.100 host-599.example.internal alias-599"));
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTS_ST, "hosts",
			     "truncated", "true"));
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTS_ST, "hosts",
			     "skipped", "0"));
	content = field(self->user, "runtime", HOSTS_ST, "hosts", "content");
	ASSERT_NE(NULL, content);
	EXPECT_GE(4096, strlen(content));
	EXPECT_LT(1000, strlen(content));
	/* Whole lines only. */
	EXPECT_EQ('\n', content[strlen(content) - 1]);
	free(content);
	content = field(self->user, "runtime", HOSTS_ST, "hosts", "bytes");
	ASSERT_NE(NULL, content);
	EXPECT_LT(16384, strtoull(content, NULL, 10));
	free(content);

	/* Deletes finish, and the file and status follow. */
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "e%03d", i);
		ASSERT_EQ(0, teardown(self->user, "config", HOSTS_ENTRY, id));
	}
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "e%03d", i);
		EXPECT_TRUE(WAIT_FOR(destroyed(self->user, "config",
					       HOSTS_ENTRY, id), WAIT_MS));
	}
	EXPECT_FALSE(file_has(self->hosts, "host-000."));
	snprintf(want, sizeof(want), "%d", 590);
	EXPECT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTS_ST, "hosts",
				      "entries", want), WAIT_MS));
	EXPECT_EQ(0, stats(self->rt, "hosts")->failures);
}

TEST_F(ctl, failed_status_write_keeps_the_status)
{
	static const char *const db[] = { "db" };
	char *max;

	ASSERT_EQ(0, put_hostname(self->user, "one", NULL));
	ASSERT_EQ(0, put_entry(self->user, "db", "10.0.0.5", db, 1));
	ASSERT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTS_ST, "hosts",
				      "entries", "1") &&
			     file_has(self->hosts, "127.0.1.1 one"), WAIT_MS));
	ASSERT_TRUE(field_is(self->user, "runtime", HOSTNAME_ST, "hostname",
			     "hostname", "one"));
	settle(self->ev, self->rt);
	/* Changes of held configs; then no status write can succeed. */
	ASSERT_EQ(0, put_hostname(self->user, "two", NULL));
	ASSERT_EQ(0, put_entry(self->user, "db", "10.0.0.6", db, 1));
	max = get_param("max_spec_size");
	ASSERT_NE(NULL, max);
	ASSERT_EQ(0, set_param("max_spec_size", "16"));
	WAIT_FOR(file_has(self->hosts, "10.0.0.6") &&
		 stats(self->rt, "hostname")->failures &&
		 stats(self->rt, "hosts")->failures, WAIT_MS);
	/* The old statuses stay until a write succeeds. */
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTNAME_ST, "hostname",
			     "hostname", "one"));
	EXPECT_TRUE(field_is(self->user, "runtime", HOSTS_ST, "hosts",
			     "entries", "1"));
	EXPECT_LT(0, stats(self->rt, "hostname")->failures);
	EXPECT_LT(0, stats(self->rt, "hosts")->failures);
	ASSERT_EQ(0, set_param("max_spec_size", max));
	free(max);
	EXPECT_TRUE(WAIT_FOR(field_is(self->user, "runtime", HOSTNAME_ST,
				      "hostname", "hostname", "two") &&
			     field_contains(self->user, "runtime", HOSTS_ST,
					    "hosts", "content", "10.0.0.6 db"),
			     WAIT_MS));
}

/* One mapping of libnl's codes, libcosi's, for it and the controllers. */
TEST(nl_errors_have_one_mapping)
{
	EXPECT_EQ(ENOENT, cosi_nl_errno(-NLE_OBJ_NOTFOUND));
	EXPECT_EQ(ENOENT, cosi_nl_errno(NLE_OBJ_NOTFOUND));
	EXPECT_EQ(ENODEV, cosi_nl_errno(-NLE_NODEV));
	EXPECT_EQ(EEXIST, cosi_nl_errno(-NLE_EXIST));
	EXPECT_EQ(EBUSY, cosi_nl_errno(-NLE_BUSY));
	EXPECT_EQ(EMSGSIZE, cosi_nl_errno(-NLE_MSG_TRUNC));
	EXPECT_EQ(EIO, cosi_nl_errno(-NLE_FAILURE));
	EXPECT_EQ(0, cosi_nl_errno(0));
}

TEST_HARNESS_MAIN
