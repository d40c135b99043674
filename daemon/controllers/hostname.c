// SPDX-License-Identifier: GPL-2.0
/*
 * hostname: sets the hostname (and NIS domain name) of the UTS namespace
 * from the HostnameConfig "hostname", and reports what uname() says in the
 * HostnameStatus "hostname".
 *
 * A transform controller in the aggregate form (runtime/transform.h):
 * zero or one config -> the one status.  The status describes the host,
 * not the config: it exists whenever the controller runs, config or not,
 * so consumers (the hosts controller) always have a hostname.  For the same reason a config going away leaves
 * the hostname as it is (there is no "previous" hostname worth going back
 * to) and the status stays; teardown only releases the config.
 *
 * The controller also notices changes made behind its back (hostname(1),
 * another daemon): /proc/sys/kernel/{hostname,domainname} signal every
 * change with POLLPRI, which wakes the controller to report it.  With a
 * config present, such a change is undone (the config is the desired
 * state).  Errors (invalid name, EPERM) are reported in the status.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "controllers/builtin.h"

#define HOSTNAME_MAX	64	/* the kernel's __NEW_UTS_LEN */

struct hostname_state {
	char *proc_sys;
	sd_event_source *poll[2];
};

/* Letters, digits, '-' and '.', not starting with either sign. */
static bool hostname_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (!n || n > HOSTNAME_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/* The kernel's initial domain name means "none". */
static const char *hostname_domain(const struct utsname *u)
{
	return strcmp(u->domainname, "(none)") ? u->domainname : "";
}

/* Make the UTS names what @cfg says; failures go to @error. */
static void hostname_set(const struct cosi_resource *cfg, char *error,
			 size_t len)
{
	const char *name = spec_str(cfg, "hostname") ?: "";
	const char *dom = spec_str(cfg, "domainname");
	struct utsname u;

	if (!hostname_valid(name)) {
		snprintf(error, len, "invalid hostname \"%s\"", name);
		return;
	}
	if (dom && *dom && !hostname_valid(dom)) {
		snprintf(error, len, "invalid domainname \"%s\"", dom);
		return;
	}
	if (uname(&u)) {
		snprintf(error, len, "uname: %s", strerror(errno));
		return;
	}
	if (strcmp(u.nodename, name) && sethostname(name, strlen(name))) {
		snprintf(error, len, "sethostname: %s", strerror(errno));
		return;
	}
	/* No domainname field: the domain name is not managed. */
	if (dom && strcmp(hostname_domain(&u), dom) &&
	    setdomainname(dom, strlen(dom)))
		snprintf(error, len, "setdomainname: %s", strerror(errno));
}

/*
 * Make the UTS names what the config says (none: leave them), and report
 * what they are.  A config tearing down is left as it is: the transform
 * layer releases it.
 */
static int hostname_transform(struct cosi_ctl *ctl,
			      const struct cosi_resource *const *cfg, size_t n,
			      struct cosi_tf_out *out)
{
	char error[128] = "";
	struct utsname u;

	if (n) {
		hostname_set(cfg[0], error, sizeof(error));
		if (*error)
			cosi_ctl_log(ctl, "%s", error);
	}
	if (uname(&u))
		return -errno;
	return cosi_spec_add_string(&out->spec, "hostname", u.nodename) ?:
	       cosi_spec_add_string(&out->spec, "domainname",
				    hostname_domain(&u)) ?:
	       cosi_spec_add_string(&out->spec, "error", error);
}

static int hostname_changed(sd_event_source *s, int fd, uint32_t revents,
			    void *data)
{
	(void)s;
	(void)fd;
	(void)revents;
	cosi_ctl_wake(data);
	return 0;
}

/* Wake on changes of /proc/sys/kernel/@name (POLLPRI); best effort. */
static void hostname_poll(struct cosi_ctl *ctl, sd_event_source **src,
			  const char *name)
{
	struct hostname_state *s = cosi_tf_data(ctl);
	char *path;
	int fd, err;

	if (asprintf(&path, "%s/kernel/%s", s->proc_sys, name) < 0)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? -errno :
	      sd_event_add_io(cosi_ctl_event(ctl), src, fd, EPOLLPRI,
			      hostname_changed, ctl);
	if (!err)
		err = sd_event_source_set_io_fd_own(*src, true);
	if (err) {
		cosi_ctl_log(ctl, "not watching %s: %s", path, strerror(-err));
		*src = sd_event_source_disable_unref(*src);
		if (fd >= 0)
			close(fd);
	}
	free(path);
}

static int hostname_init(struct cosi_ctl *ctl)
{
	struct hostname_state *s = cosi_tf_data(ctl);

	hostname_poll(ctl, &s->poll[0], "hostname");
	hostname_poll(ctl, &s->poll[1], "domainname");
	return 0;
}

static void hostname_free(void *p)
{
	struct hostname_state *s = p;

	sd_event_source_disable_unref(s->poll[0]);
	sd_event_source_disable_unref(s->poll[1]);
	free(s->proc_sys);
	free(s);
}

static const struct cosi_transform hostname_transform_decl = {
	.sz = sizeof(struct cosi_transform),
	.name = "hostname",
	.in_ns = NS_CONFIG, .in_type = T_HOSTNAME_CONFIG, .in_id = HOSTNAME_ID,
	.out_ns = NS_RUNTIME, .out_type = T_HOSTNAME_STATUS,
	.out_id = HOSTNAME_ID,
	.init = hostname_init,
	.aggregate = hostname_transform,
	.free_data = hostname_free,
};

int cosid_register_hostname(struct cosi_runtime *rt,
			    const struct cosid_controllers_opts *o)
{
	struct hostname_state *s = calloc(1, sizeof(*s));

	if (s)
		s->proc_sys = strdup(o->proc_sys);
	if (!s || !s->proc_sys) {
		free(s);
		return -ENOMEM;
	}
	return cosi_transform_register(rt, &hostname_transform_decl, s, NULL);
}
