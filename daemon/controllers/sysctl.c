// SPDX-License-Identifier: GPL-2.0
/*
 * sysctl: applies SysctlConfigs (config namespace) to /proc/sys and
 * reports each one as a SysctlStatus (runtime namespace, same id).
 *
 * A transform controller, per input (runtime/transform.h): every sysctl
 * is independent, so each config is reconciled on its own key, and one
 * that keeps failing backs off alone.
 *
 * The id names the sysctl: dotted ("net.ipv4.ip_forward", dots become
 * slashes) or, when it contains a slash, the path under /proc/sys
 * ("net/ipv4/conf/eth0.1/forwarding", for names with dots in them).
 *
 * The value the sysctl had before cosid first changed it is kept in the
 * status ("original"): a restarted daemon reads it back from there, not
 * from /proc/sys (which then holds cosid's own value), and restores it
 * when the config goes away.  Errors of the OS (unknown sysctl, value
 * refused) are reported in the status, not returned: retrying would not
 * help until the config changes, which requeues the key anyway.
 *
 * Privileges: cosid never does for a writer what the writer could not do
 * itself.  A CAP_NET_ADMIN holder may write the sysctls of its netns
 * (net.*), so those are applied for any writer; any other key is applied
 * only when the config's spec was written with CAP_SYS_ADMIN (writer-caps,
 * recorded by the kernel).  Independently of the writer, keys that grant
 * code execution or turn off a protection (sysctl_unsafe[]) are refused
 * unless cosid was started with --allow-unsafe-sysctl KEY.  A refused
 * config is reported in the status's error and nothing is written.
 *
 * Teardown (the undo): when the config is tearing down the original value
 * is written back; the transform layer then destroys the status (waiting
 * for whoever holds it) and only then releases the config.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "controllers/builtin.h"

struct sysctl_state {
	char *proc_sys;
	char **allowed;			/* unsafe keys allowed, slash form */
	size_t n_allowed;
};

/*
 * Keys that grant code execution as root or disable a protection, refused
 * whatever the writer unless allowed by name.  A trailing '/' covers a
 * whole directory.  See Documentation/controllers.rst.
 */
static const char *const sysctl_unsafe[] = {
	/* Programs the kernel runs as root. */
	"kernel/core_pattern",
	"kernel/modprobe",
	"kernel/usermodehelper/",
	"kernel/poweroff_cmd",
	"kernel/hotplug",
	"fs/binfmt_misc/",
	/* Protections. */
	"kernel/kexec_load_disabled",
	"kernel/modules_disabled",
	"kernel/unprivileged_bpf_disabled",
	"kernel/yama/",
	"kernel/kptr_restrict",
	"kernel/dmesg_restrict",
	"kernel/perf_event_paranoid",
	"kernel/randomize_va_space",
	"kernel/sysrq",
	"kernel/io_uring_disabled",
	"kernel/unprivileged_userns_clone",	/* Debian */
	"user/max_user_namespaces",
	"fs/suid_dumpable",
	"fs/protected_",
	"vm/mmap_min_addr",
	"vm/unprivileged_userfaultfd",
	"dev/tty/ldisc_autoload",
	"dev/tty/legacy_tiocsti",
	"net/core/bpf_jit_",
};

/* Every component of @rel is a name: not empty, not ".". */
static bool sysctl_rel_ok(const char *rel)
{
	const char *p = rel, *e;

	do {
		e = strchrnul(p, '/');
		if (e == p || (e == p + 1 && *p == '.'))
			return false;
		p = e + 1;
	} while (*e);
	return true;
}

/* Validate @id and make its path under /proc/sys; -EINVAL for a bad name. */
static int sysctl_rel(const char *id, char **out)
{
	char *rel, *p;

	if (!*id || id[0] == '/' || strstr(id, ".."))
		return -EINVAL;
	rel = strdup(id);
	if (!rel)
		return -ENOMEM;
	if (!strchr(rel, '/'))
		for (p = rel; *p; p++)
			if (*p == '.')
				*p = '/';
	if (!sysctl_rel_ok(rel)) {
		free(rel);
		return -EINVAL;
	}
	*out = rel;
	return 0;
}

/* Validate @id and make its /proc/sys path; -EINVAL for a bad name. */
static int sysctl_path(const struct sysctl_state *st, const char *id,
		       char **out)
{
	char *rel;
	int err;

	err = sysctl_rel(id, &rel);
	if (err)
		return err;
	if (asprintf(out, "%s/%s", st->proc_sys, rel) < 0)
		err = -ENOMEM;
	free(rel);
	return err;
}

/* Whether @rel (slash form) is on the unsafe list. */
static bool sysctl_is_unsafe(const char *rel)
{
	size_t i, n;

	for (i = 0; i < ARRAY_LEN(sysctl_unsafe); i++) {
		const char *u = sysctl_unsafe[i];
		bool prefix;

		n = strlen(u);
		prefix = u[n - 1] == '/' || u[n - 1] == '_';
		if (prefix ? !strncmp(rel, u, n) : !strcmp(rel, u))
			return true;
	}
	return false;
}

/*
 * Why @cfg must not be applied, or NULL.  The sysctls of the netns
 * (net.*) are the writer's own to set with CAP_NET_ADMIN; the BPF JIT
 * knobs under net.core need CAP_SYS_ADMIN even there.
 */
static const char *sysctl_refusal(const struct sysctl_state *s,
				  const char *rel,
				  const struct cosi_resource *cfg)
{
	bool netns = !strncmp(rel, "net/", 4) &&
		     strncmp(rel, "net/core/bpf_jit_", 17);
	size_t i;

	if (!netns && !(cfg->writer_caps & COSI_WRITER_CAPS_SYS_ADMIN))
		return "refused: outside net.*, the writer needs CAP_SYS_ADMIN";
	if (!sysctl_is_unsafe(rel))
		return NULL;
	for (i = 0; i < s->n_allowed; i++)
		if (!strcmp(rel, s->allowed[i]))
			return NULL;
	return "refused: unsafe sysctl (cosid --allow-unsafe-sysctl allows it)";
}

/* @s with whitespace runs made one space, and trimmed; NULL: no memory. */
static char *sysctl_squash(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (!isspace((unsigned char)*s)) {
			*o++ = *s++;
			continue;
		}
		while (isspace((unsigned char)*s))
			s++;
		if (o != out && *s)
			*o++ = ' ';
	}
	*o = '\0';
	return out;
}

/* Values are equal when they differ only in whitespace ("1 2", "1\t2"). */
static bool sysctl_same(const char *a, const char *b)
{
	char *x = sysctl_squash(a), *y = sysctl_squash(b);
	bool same = x && y && !strcmp(x, y);

	free(x);
	free(y);
	return same;
}

/* The status's spec; @original NULL: not known (left out of it). */
static int sysctl_spec(struct cosi_spec *spec, const char *value,
		       const char *original, const char *error)
{
	return cosi_spec_add_string(spec, "value", value) ?:
	       (original ? cosi_spec_add_string(spec, "original", original)
			 : 0) ?:
	       cosi_spec_add_string(spec, "error", error);
}

/*
 * Record the original before changing anything: if we die (or are
 * throttled) after the write, a retry would read our own value back and
 * take it for the original.
 */
static int sysctl_record(struct cosi_ctl *ctl, const char *id,
			 const char *cur, const char *orig)
{
	struct cosi_spec spec = { 0 };
	int err;

	err = sysctl_spec(&spec, cur, orig, "") ?:
	      cosi_ctl_apply(ctl, NS_RUNTIME, T_SYSCTL_STATUS, id, NULL, &spec);
	cosi_spec_clear(&spec);
	return err;
}

static int sysctl_write(struct cosi_ctl *ctl, const struct cosi_resource *cfg,
			struct cosi_tf_out *out, const char *path)
{
	const char *want = spec_str(cfg, "value") ?: "";
	const char *kept = out->cur ? spec_str(out->cur, "original") : NULL;
	char *cur = NULL, *orig = NULL;
	int err, rerr;

	rerr = read_text(path, &cur);
	if (kept)
		orig = strdup(kept);
	else if (!rerr)
		orig = strdup(cur);
	if ((kept || !rerr) && !orig) {
		free(cur);
		return -ENOMEM;
	}
	err = rerr;
	if (!err && !sysctl_same(cur, want) && !kept) {
		err = sysctl_record(ctl, out->id, cur, orig);
		if (err) {
			free(cur);
			free(orig);
			return err;
		}
	}
	if (!err && !sysctl_same(cur, want)) {
		err = write_text(path, want);
		free(cur);
		cur = NULL;
		rerr = read_text(path, &cur);
		if (!err)
			err = rerr;
	}
	if (err)
		cosi_ctl_log(ctl, "%s: %s", path, strerror(-err));
	err = sysctl_spec(&out->spec, cur ?: "", orig,
			  err ? strerror(-err) : "");
	free(cur);
	free(orig);
	return err;
}

static int sysctl_transform(struct cosi_ctl *ctl,
			    const struct cosi_resource *cfg,
			    struct cosi_tf_out *out)
{
	struct sysctl_state *s = cosi_tf_data(ctl);
	char *path = NULL, *rel = NULL;
	const char *why;
	int err;

	err = sysctl_rel(out->id, &rel);
	if (err == -EINVAL) {
		err = sysctl_spec(&out->spec, "", NULL, "invalid sysctl name");
	} else if (!err && (why = sysctl_refusal(s, rel, cfg))) {
		/* Nothing written; an original recorded earlier is kept. */
		cosi_ctl_log(ctl, "%s: %s", out->id, why);
		err = sysctl_spec(&out->spec, "",
				  out->cur ? spec_str(out->cur, "original")
					   : NULL, why);
	} else if (!err) {
		err = sysctl_path(s, out->id, &path);
		if (!err)
			err = sysctl_write(ctl, cfg, out, path);
	}
	free(rel);
	free(path);
	return err;
}

/*
 * The config is tearing down or gone: put the original value back.  A
 * sysctl that cannot be written back is logged, not retried: it would
 * not get better, and the config would never go.
 */
static int sysctl_undo(struct cosi_ctl *ctl, const char *id,
		       const struct cosi_resource *cfg,
		       const struct cosi_resource *st)
{
	struct sysctl_state *s = cosi_tf_data(ctl);
	const char *orig = spec_str(st, "original");
	char *path = NULL;
	int err;

	(void)cfg;
	if (orig && !sysctl_path(s, id, &path)) {
		err = write_text(path, orig);
		if (err)
			cosi_ctl_log(ctl, "restoring %s: %s", path,
				     strerror(-err));
	}
	free(path);
	return 0;
}

static void sysctl_free(void *p)
{
	struct sysctl_state *s = p;
	size_t i;

	for (i = 0; i < s->n_allowed; i++)
		free(s->allowed[i]);
	free(s->allowed);
	free(s->proc_sys);
	free(s);
}

static const struct cosi_transform sysctl_transform_decl = {
	.sz = sizeof(struct cosi_transform),
	.name = "sysctl",
	.in_ns = NS_CONFIG, .in_type = T_SYSCTL_CONFIG,
	.out_ns = NS_RUNTIME, .out_type = T_SYSCTL_STATUS,
	.transform = sysctl_transform,
	.undo = sysctl_undo,
	.free_data = sysctl_free,
};

int cosid_register_sysctl(struct cosi_runtime *rt,
			  const struct cosid_controllers_opts *o)
{
	const char *const *allow = o->allow_unsafe_sysctls;
	struct sysctl_state *s = calloc(1, sizeof(*s));
	size_t n = 0;
	int err;

	if (!s)
		return -ENOMEM;
	s->proc_sys = strdup(o->proc_sys);
	while (allow && allow[n])
		n++;
	s->allowed = calloc(n ?: 1, sizeof(*s->allowed));
	if (!s->proc_sys || !s->allowed) {
		sysctl_free(s);
		return -ENOMEM;
	}
	for (; s->n_allowed < n; s->n_allowed++) {
		err = sysctl_rel(allow[s->n_allowed], &s->allowed[s->n_allowed]);
		if (err) {
			sysctl_free(s);
			return err;
		}
	}
	return cosi_transform_register(rt, &sysctl_transform_decl, s, NULL);
}
