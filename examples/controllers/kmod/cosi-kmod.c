// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * cosi-kmod: an external COSI controller ("plugin") on libcosi-runtime.
 * It loads the kernel modules that ModuleConfigs name and reports each
 * one as a ModuleStatus; deleting the config unloads the module again
 * if, and only if, cosi-kmod loaded it.  Module work is done by libkmod,
 * as modprobe and rmmod do it.
 *
 *   ModuleConfigs.example.org    namespace config, id = the module's name
 *                                as the kernel spells it ('_', never '-':
 *                                libkmod takes both for one module),
 *                                spec: parameters (optional string, as
 *                                modprobe takes them; used at load)
 *   ModuleStatuses.example.org   namespace runtime, same id, spec:
 *                                loaded, ours (cosi-kmod loaded it: it
 *                                unloads it at delete), parameters (what
 *                                it loaded it with), refcount, error
 *
 * Both types are write-access sys-admin: loading a module is a host-wide
 * effect, so the kernel refuses ModuleConfigs from a writer without
 * CAP_SYS_ADMIN; the controller checks writer-caps as well.
 *
 * The controller claims its name ("example.org/kmod", or --name) as
 * owner in the kernel (first come, first served: a namespaced name keeps
 * clear of cosid's and other plugins'): only this process may write the statuses, and it cannot write
 * what cosid's controllers own.  A second instance, or any process
 * trying a name another socket holds, fails at start (EBUSY).
 *
 * Build against the installed libraries:
 *   cc -o cosi-kmod cosi-kmod.c $(pkg-config --cflags --libs libcosi-runtime libkmod)
 * Run beside cosid:  cosi-kmod [--name NAME]
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkmod.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include <cosi/cosi.h>
#include <cosi/runtime.h>
#include <cosi/transform.h>

#define NS_CONFIG	"config"
#define NS_RUNTIME	"runtime"
#define T_CONFIG	"ModuleConfigs.example.org"
#define T_STATUS	"ModuleStatuses.example.org"
#define NAME_MAX_LEN	55		/* the kernel's MODULE_NAME_LEN - 1 */
/* Owner names are first come, first served: a domain keeps them apart. */
#define DEFAULT_NAME	"example.org/kmod"

/* A string field of @r's spec, or NULL. */
static const char *spec_str(const struct cosi_resource *r, const char *name)
{
	const struct cosi_field *f = cosi_spec_get(&r->spec, name);

	return f && f->type == COSI_FIELD_TYPE_STRING ? f->str : NULL;
}

static bool spec_bool(const struct cosi_resource *r, const char *name,
		      bool *out)
{
	const struct cosi_field *f = cosi_spec_get(&r->spec, name);

	if (!f || f->type != COSI_FIELD_TYPE_BOOL)
		return false;
	*out = f->b;
	return true;
}

/*
 * Module names as the kernel has them (/sys/module): [A-Za-z0-9_], short.
 * '-' is refused: libkmod takes "a-b" and "a_b" for one module, so two
 * configs would name it and deleting one would unload the other's.
 * Return: NULL, or why @id is refused.
 */
static const char *name_error(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > NAME_MAX_LEN)
		return "invalid module name";
	for (; *id; id++) {
		if (*id == '-')
			return "invalid module name: spell '-' as '_', as the kernel does";
		if (!isalnum((unsigned char)*id) && *id != '_')
			return "invalid module name";
	}
	return NULL;
}

/* Whether @mod is in the kernel, and its reference count. */
static bool mod_loaded(struct kmod_module *mod, uint64_t *refcnt)
{
	int st = kmod_module_get_initstate(mod);
	int rc;

	*refcnt = 0;
	if (st == KMOD_MODULE_BUILTIN)
		return true;
	if (st != KMOD_MODULE_LIVE && st != KMOD_MODULE_COMING)
		return false;
	rc = kmod_module_get_refcnt(mod);
	*refcnt = rc > 0 ? (uint64_t)rc : 0;
	return true;
}

/* The status: what the module is, and what cosi-kmod did to it. */
struct mod_status {
	bool loaded;
	bool ours;		/* cosi-kmod loaded it: undo unloads it */
	const char *params;	/* what cosi-kmod loaded it with */
	uint64_t refcnt;
	const char *error;
};

static int status_spec(struct cosi_spec *s, const struct mod_status *m)
{
	return cosi_spec_add_bool(s, "loaded", m->loaded) ?:
	       cosi_spec_add_bool(s, "ours", m->ours) ?:
	       cosi_spec_add_string(s, "parameters", m->params ?: "") ?:
	       cosi_spec_add_u64(s, "refcount", m->refcnt) ?:
	       cosi_spec_add_string(s, "error", m->error ?: "");
}

/* Write @m as the status now, before the OS is changed. */
static int status_record(struct cosi_ctl *ctl, const char *id,
			 const struct mod_status *m)
{
	struct cosi_spec rec = { 0 };
	int err;

	err = status_spec(&rec, m) ?:
	      cosi_ctl_apply(ctl, NS_RUNTIME, T_STATUS, id, NULL, &rec);
	cosi_spec_clear(&rec);
	return err;
}

/*
 * Load the module @cfg names.  "ours" is recorded in the status before
 * the load (a controller killed right after it must not take its own
 * module for somebody else's) and taken back when the load fails.  While
 * the module is not ours, each run looks again: whoever loaded it
 * meanwhile (the admin, after a failed load) keeps it at delete.
 * Errors of the module itself (unknown, refused) go to the status; a
 * retry would not help until the config changes.
 */
static int kmod_transform(struct cosi_ctl *ctl, const struct cosi_resource *cfg,
			  struct cosi_tf_out *out)
{
	struct kmod_ctx *kctx = cosi_tf_data(ctl);
	struct kmod_module *mod = NULL;
	const char *params = spec_str(cfg, "parameters") ?: "";
	const char *cur_params = NULL;
	struct mod_status m = { 0 };
	int err;

	m.error = name_error(out->id);
	if (m.error)
		return status_spec(&out->spec, &m);
	if (!(cfg->writer_caps & COSI_WRITER_CAPS_SYS_ADMIN)) {
		m.error = "refused: the writer needs CAP_SYS_ADMIN";
		return status_spec(&out->spec, &m);
	}
	err = kmod_module_new_from_name(kctx, out->id, &mod);
	if (err < 0)
		return err;
	m.loaded = mod_loaded(mod, &m.refcnt);
	if (out->cur && spec_bool(out->cur, "ours", &m.ours) && m.ours)
		cur_params = spec_str(out->cur, "parameters");
	m.ours = m.ours && cur_params;
	if (!m.loaded) {
		m.ours = true;
		m.params = params;
		err = status_record(ctl, out->id, &m);
		if (err)
			goto out;
		err = kmod_module_probe_insert_module(mod,
				KMOD_PROBE_APPLY_BLACKLIST, params,
				NULL, NULL, NULL);
		if (err > 0)	/* KMOD_PROBE_APPLY_BLACKLIST refused it */
			m.error = "blacklisted";
		else if (err < 0)
			m.error = strerror(-err);
		if (err)
			cosi_ctl_log(ctl, "%s: %s", out->id, m.error);
		m.loaded = mod_loaded(mod, &m.refcnt);
		m.ours = m.loaded;
		if (!m.ours)
			m.params = NULL;
	} else if (m.ours) {
		m.params = cur_params;
		if (strcmp(params, cur_params))
			m.error = "parameters not applied: the module was loaded with others (delete and re-apply the config to reload it)";
	} else if (*params) {
		m.error = "parameters not applied: the module was already loaded by someone else";
	}
	err = status_spec(&out->spec, &m);
out:
	kmod_module_unref(mod);
	return err;
}

/*
 * The config is going: unload what we loaded.  A module in use stays
 * (logged): waiting for its users would hold the config forever.
 */
static int kmod_undo(struct cosi_ctl *ctl, const char *id,
		     const struct cosi_resource *cfg,
		     const struct cosi_resource *st)
{
	struct kmod_ctx *kctx = cosi_tf_data(ctl);
	struct kmod_module *mod = NULL;
	bool ours = false;
	uint64_t refcnt;
	int err;

	(void)cfg;
	if (st)
		spec_bool(st, "ours", &ours);
	if (!ours || name_error(id) ||
	    kmod_module_new_from_name(kctx, id, &mod) < 0)
		return 0;
	if (mod_loaded(mod, &refcnt) &&
	    kmod_module_get_initstate(mod) != KMOD_MODULE_BUILTIN) {
		err = kmod_module_remove_module(mod, 0);
		if (err < 0)
			cosi_ctl_log(ctl, "unloading %s: %s", id,
				     strerror(-err));
	}
	kmod_module_unref(mod);
	return 0;
}

static void kmod_free(void *data)
{
	kmod_unref(data);
}

/* The types, set at every start (an unchanged definition is accepted). */
static int define_types(struct cosi *c)
{
	struct cosi_definition *cfg = cosi_def_new(T_CONFIG);
	struct cosi_definition *st = cosi_def_new(T_STATUS);
	int err = cfg && st ? 0 : -ENOMEM;

	err = err ?:
	      cosi_def_set_default_ns(cfg, NS_CONFIG) ?:
	      cosi_def_add_alias(cfg, "module") ?:
	      cosi_def_add_alias(cfg, "moduleconfigs") ?:
	      cosi_def_add_field(cfg, "parameters", COSI_FIELD_TYPE_STRING,
				 false) ?:
	      cosi_def_add_column(cfg, "PARAMETERS", "parameters") ?:
	      cosi_def_set_default_ns(st, NS_RUNTIME) ?:
	      cosi_def_add_alias(st, "modulestatus") ?:
	      cosi_def_add_alias(st, "modulestatuses") ?:
	      cosi_def_add_field(st, "loaded", COSI_FIELD_TYPE_BOOL, false) ?:
	      cosi_def_add_field(st, "ours", COSI_FIELD_TYPE_BOOL, false) ?:
	      cosi_def_add_field(st, "parameters", COSI_FIELD_TYPE_STRING,
				 false) ?:
	      cosi_def_add_field(st, "refcount", COSI_FIELD_TYPE_U64, false) ?:
	      cosi_def_add_field(st, "error", COSI_FIELD_TYPE_STRING, false) ?:
	      cosi_def_add_column(st, "LOADED", "loaded") ?:
	      cosi_def_add_column(st, "OURS", "ours") ?:
	      cosi_def_add_column(st, "ERROR", "error");
	if (!err) {
		cfg->write_access = COSI_WRITE_ACCESS_SYS_ADMIN;
		st->write_access = COSI_WRITE_ACCESS_SYS_ADMIN;
		err = cosi_definition_set(c, cfg, NULL);
		if (!err)
			err = cosi_definition_set(c, st, NULL);
		if (err)
			fprintf(stderr, "cosi-kmod: %s\n",
				cosi_strerror(c, "definition-set"));
	}
	cosi_definition_free(cfg);
	cosi_definition_free(st);
	return err;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cosi-kmod [--name NAME]\n"
		"  loads the kernel modules of ModuleConfigs (namespace config),\n"
		"  reports them as ModuleStatuses (namespace runtime)\n"
		"  --name NAME  the controller's owner name (default: " DEFAULT_NAME ")\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	COSI_OPTS(cosi_transform, t,
		.name = DEFAULT_NAME,
		.in_ns = NS_CONFIG, .in_type = T_CONFIG,
		.out_ns = NS_RUNTIME, .out_type = T_STATUS,
		.transform = kmod_transform,
		.undo = kmod_undo,
		.free_data = kmod_free,
	);
	struct cosi_runtime *rt = NULL;
	struct kmod_ctx *kctx;
	sd_event *ev = NULL;
	struct cosi *c;
	sigset_t ss;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			t.name = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	c = cosi_open();
	if (!c) {
		fprintf(stderr, "cosi-kmod: cannot open the cosi netlink family: %s (is cosi.ko loaded?)\n",
			strerror(errno));
		return 1;
	}
	err = define_types(c);
	cosi_close(c);
	if (err)
		return 1;

	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	/* A NULL handler ends the loop (sd_event_exit(0)). */
	err = sd_event_default(&ev);
	if (err >= 0)
		err = sd_event_add_signal(ev, NULL, SIGTERM, NULL, NULL);
	if (err >= 0)
		err = sd_event_add_signal(ev, NULL, SIGINT, NULL, NULL);
	if (err < 0) {
		fprintf(stderr, "cosi-kmod: event loop: %s\n", strerror(-err));
		goto out;
	}
	rt = cosi_runtime_new(ev, NULL);
	kctx = kmod_new(NULL, NULL);
	if (!rt || !kctx) {
		kmod_unref(kctx);
		err = -ENOMEM;
		fprintf(stderr, "cosi-kmod: %s\n", strerror(-err));
		goto out;
	}
	/* kctx is the runtime's now, freed by kmod_free even on failure. */
	err = cosi_transform_register(rt, &t, kctx, NULL);
	if (err == -EBUSY)
		fprintf(stderr, "cosi-kmod: the owner name \"%s\" is claimed by another process\n",
			t.name);
	else if (err)
		fprintf(stderr, "cosi-kmod: registering: %s\n", strerror(-err));
	if (!err) {
		err = cosi_runtime_start(rt);
		if (err)
			fprintf(stderr, "cosi-kmod: starting: %s\n",
				strerror(-err));
	}
	if (err)
		goto out;
	sd_notify(0, "READY=1");
	fprintf(stderr, "cosi-kmod: ready, owner \"%s\"\n", t.name);
	err = sd_event_loop(ev);
	if (err < 0)
		fprintf(stderr, "cosi-kmod: event loop: %s\n", strerror(-err));
	else if (cosi_runtime_gone(rt)) {
		fprintf(stderr, "cosi-kmod: the cosi family went away\n");
		err = -ENOENT;
	}
out:
	cosi_runtime_free(rt);
	sd_event_unref(ev);
	return err < 0 ? 1 : 0;
}
