// SPDX-License-Identifier: GPL-2.0
/*
 * cosid --config-dir DIR: the *.yaml files of DIR are the node's desired
 * configuration.  cosid applies them at start, again when DIR changes
 * (inotify, debounced) and on SIGHUP, and deletes from the kernel what the
 * files no longer hold.
 *
 * What cosid applied from DIR carries the label cosi.dev/source=config-dir
 * and the annotation cosi.dev/config-file=<file name>; only resources with
 * that label are ever deleted, so what was applied by hand stays.  A file
 * that cannot be read, parsed, checked or applied, or holds no document
 * (being written), is reported in one line, and while any file is bad
 * nothing is deleted (as kubectl prunes nothing after a failed apply): a
 * typo does not delete a node's configuration, wherever its documents
 * came from.  A sync that failed (a file failed to apply, a delete
 * failed, DIR is gone) stays due and is retried with the runtime's
 * backoff; the destroy-ready input also wakes it when a document re-added
 * while its old self was tearing down can be created again.
 *
 * Documents are written through cosid's own handle (unclaimed, like
 * cosictl's), with cosid's rights: DIR must belong to root or cosid's
 * user, a file to cosid's user, neither writable by group or others.
 * Deleting is a teardown; what waits for finalizers (the sysctl
 * controller restoring a value) is destroyed by the "config-dir"
 * controller once they are gone (destroy-ready input).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/apply.h"
#include "common/selector.h"
#include "controllers/controllers.h"
#include "cosid/cosid.h"

#define SOURCE_LABEL	COSI_SOURCE_LABEL
#define SOURCE_VALUE	COSI_SOURCE_CONFIG_DIR
#define FILE_ANNOTATION	"cosi.dev/config-file"
/* Changes closer together than this make one resync. */
#define DEBOUNCE_MS	200
/* IN_CREATE: a hard link (or O_TMPFILE + linkat()) brings no other event. */
#define IN_EVENTS	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_CREATE | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | \
			 IN_MOVE_SELF | IN_ONLYDIR)

struct cosid_config_dir {
	char *dir;
	char *ns;
	struct cosi *c;			/* cosid's handle: the writes */
	struct cosi_selector sel;	/* SOURCE_LABEL=SOURCE_VALUE */
	int ifd;			/* inotify on dir */
	int wd;				/* dir's watch; -1: none (dir gone) */
	bool dirty;			/* a resync is due at due_ms */
	uint64_t due_ms;
	struct cosi_ctl *ctl;
	struct cosi_input *inputs;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool is_config_type(const char *type)
{
	size_t i;

	for (i = 0; cosid_config_types[i]; i++)
		if (!strcmp(cosid_config_types[i], type))
			return true;
	return false;
}

static int yaml_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 5 &&
	       !strcmp(e->d_name + n - 5, ".yaml");
}

static void bad_file(struct cosid_cd_file *f, const char *why)
{
	fprintf(stderr, "cosid: config-dir: %s; the file is skipped, its resources kept\n",
		why);
	f->bad = true;
	cosi_docs_clear(&f->docs);
}

/* The first document of the files before @f (or of @f before @d) with @d's key. */
static const char *holder_of(const struct cosid_cd_files *s, const struct cosid_cd_file *f,
			     const struct cosi_doc *d)
{
	const struct cosi_doc *e;
	size_t i, j;

	for (i = 0; &s->v[i] != f; i++)
		for (j = 0; j < s->v[i].docs.n; j++) {
			e = &s->v[i].docs.v[j];
			if (!strcmp(e->type, d->type) && !strcmp(e->id, d->id))
				return s->v[i].name;
		}
	return NULL;
}

/*
 * Check what only the config directory asks of a document: a config type
 * in the config namespace, no cosid-owned label or annotation of its own,
 * in no earlier file; then mark it as the directory's.
 */
static int check_doc(const char *ns, const struct cosid_cd_files *s,
		     struct cosid_cd_file *f, struct cosi_doc *d, char *why,
		     size_t len)
{
	const char *other = holder_of(s, f, d);

	if (!is_config_type(d->type))
		snprintf(why, len, "not a config type (SysctlConfigs, HostnameConfigs, LinkConfigs, HostsEntries)");
	else if (strcmp(d->ns, ns))
		snprintf(why, len, "namespace %s: the config directory writes namespace %s only",
			 d->ns, ns);
	else if (cosi_kvs_get(&d->labels, SOURCE_LABEL) ||
		 cosi_kvs_get(&d->annotations, FILE_ANNOTATION))
		snprintf(why, len, "%s and %s are set by cosid", SOURCE_LABEL,
			 FILE_ANNOTATION);
	else if (other)
		snprintf(why, len, "also in %s", other);
	else if (cosi_kvs_add(&d->labels, SOURCE_LABEL, SOURCE_VALUE) ||
		 cosi_kvs_add(&d->annotations, FILE_ANNOTATION, f->name))
		snprintf(why, len, "out of memory");
	else
		return 0;
	return -EINVAL;
}

/* Read, parse and check one file; a bad one is reported and marked. */
static void load_file(const char *dir, const char *ns,
		      struct cosid_cd_files *s, struct cosid_cd_file *f,
		      const struct cosi_definitions *defs)
{
	char *path = NULL, *buf = NULL, msg[1024], why[512];
	struct stat st;
	size_t len, i;
	int fd = -1;

	if (asprintf(&path, "%s/%s", dir, f->name) < 0) {
		path = NULL;
		snprintf(msg, sizeof(msg), "%s: out of memory", f->name);
		goto bad;
	}
	/*
	 * The files are written with cosid's rights: only its user's.  What
	 * is checked is what is read (fstat of the open file, no symlink).
	 */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ELOOP)
		snprintf(msg, sizeof(msg), "%s: a symbolic link, not a regular file",
			 path);
	else if (fd < 0 || fstat(fd, &st))
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		snprintf(msg, sizeof(msg), "%s: not a regular file", path);
	else if (st.st_uid != geteuid())
		snprintf(msg, sizeof(msg), "%s: owned by uid %u, not cosid's uid %u",
			 path, (unsigned int)st.st_uid,
			 (unsigned int)geteuid());
	else if (st.st_mode & 022)
		snprintf(msg, sizeof(msg), "%s: writable by group or others (mode %04o)",
			 path, (unsigned int)(st.st_mode & 07777));
	else
		goto read;
	if (fd >= 0)
		close(fd);
	goto bad;
read:
	if (cosi_read_fd(fd, path, &buf, &len, msg, sizeof(msg)))
		goto bad;
	if (cosi_manifest_parse(buf, len, path, defs, &f->docs, msg,
				sizeof(msg)))
		goto bad;
	/* Empty: most likely caught between open(O_TRUNC) and the write. */
	if (!f->docs.n) {
		snprintf(msg, sizeof(msg), "%s: no documents (write files elsewhere, then rename them into the directory)",
			 path);
		goto bad;
	}
	for (i = 0; i < f->docs.n; i++) {
		if (check_doc(ns, s, f, &f->docs.v[i], why, sizeof(why))) {
			snprintf(msg, sizeof(msg), "%s: document %zu (%s/%s): %s",
				 path, f->docs.v[i].index, f->docs.v[i].type,
				 f->docs.v[i].id, why);
			goto bad;
		}
	}
	free(buf);
	free(path);
	return;
bad:
	bad_file(f, msg);
	free(buf);
	free(path);
}

void cosid_cd_files_clear(struct cosid_cd_files *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].name);
		cosi_docs_clear(&s->v[i].docs);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int list_files(const char *dir, struct cosid_cd_files *s)
{
	struct dirent **ents;
	int n, i;

	n = scandir(dir, &ents, yaml_file, alphasort);
	if (n < 0)
		return -errno;
	s->v = calloc(n ?: 1, sizeof(*s->v));
	for (i = 0; i < n; i++) {
		if (s->v)
			s->v[s->n].name = strdup(ents[i]->d_name);
		if (s->v && s->v[s->n].name)
			s->n++;
		free(ents[i]);
	}
	free(ents);
	return s->v && s->n == (size_t)n ? 0 : -ENOMEM;
}

int cosid_config_dir_load(const char *dir, const char *ns,
			  const struct cosi_definitions *defs,
			  struct cosid_cd_files *out)
{
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	err = list_files(dir, out);
	for (i = 0; !err && i < out->n; i++)
		load_file(dir, ns, out, &out->v[i], defs);
	if (err)
		cosid_cd_files_clear(out);
	return err;
}

/* Whether the files still want @r. */
static bool wanted(const struct cosi_resource *r, void *arg)
{
	const struct cosid_cd_files *s = arg;
	const struct cosi_doc *d;
	size_t i, j;

	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->v[i].docs.n; j++) {
			d = &s->v[i].docs.v[j];
			if (!strcmp(d->type, r->type) && !strcmp(d->id, r->id))
				return true;
		}
	}
	return false;
}

/*
 * DIR itself, as sshd's StrictModes: whoever may write it may replace the
 * files.  0, or a negative errno with @msg set.
 */
static int check_dir(const char *dir, char *msg, size_t len)
{
	struct stat st;

	if (stat(dir, &st)) {
		snprintf(msg, len, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(msg, len, "not a directory");
		return -ENOTDIR;
	}
	if (st.st_uid && st.st_uid != geteuid()) {
		snprintf(msg, len, "owned by uid %u, not root or cosid's uid %u",
			 (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	if (st.st_mode & 022) {
		snprintf(msg, len, "writable by group or others (mode %04o)",
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/*
 * Watch DIR by its path again: after it was replaced (renamed over,
 * deleted and made anew) the path is another directory; the same one
 * keeps its watch.
 */
static int watch_dir(struct cosid_config_dir *cd)
{
	int wd = inotify_add_watch(cd->ifd, cd->dir, IN_EVENTS);

	if (wd < 0)
		return -errno;
	if (cd->wd >= 0 && cd->wd != wd)
		inotify_rm_watch(cd->ifd, cd->wd);
	cd->wd = wd;
	return 0;
}

int cosid_config_dir_sync(struct cosid_config_dir *cd)
{
	struct cosi_definitions defs = { 0 };
	struct cosid_cd_files s = { 0 };
	struct cosid_prune p = {
		.who = "config-dir", .wanted = wanted, .arg = &s,
		.origin = FILE_ANNOTATION, .origin_default = "the directory",
	};
	char msg[1024];
	size_t i;
	int err;

	/* Until it succeeds, a sync stays due: the runtime retries it. */
	cd->dirty = true;
	err = check_dir(cd->dir, msg, sizeof(msg));
	if (!err)
		err = watch_dir(cd);
	if (err) {
		fprintf(stderr, "cosid: config-dir: %s: %s; nothing changed\n",
			cd->dir, err == -EPERM || err == -ENOTDIR ? msg :
			strerror(-err));
		goto out;
	}
	err = cosi_definition_list(cd->c, &defs);
	if (err) {
		fprintf(stderr, "cosid: config-dir: %s; nothing changed\n",
			cosi_strerror(cd->c, "definition-get"));
		goto out;
	}
	err = cosid_config_dir_load(cd->dir, cd->ns, &defs, &s);
	if (err) {
		fprintf(stderr, "cosid: config-dir: reading %s: %s; nothing changed\n",
			cd->dir, strerror(-err));
		goto out;
	}
	for (i = 0; i < s.n; i++) {
		if (s.v[i].bad)
			continue;
		err = cosi_apply_docs(cd->c, &s.v[i].docs, s.v[i].name,
				      COSI_APPLY_KEEP_GOING, cosi_apply_count,
				      s.res, msg, sizeof(msg));
		if (err) {
			/* What was applied stays; nothing of it is deleted. */
			fprintf(stderr, "cosid: config-dir: %s/%s; its resources are kept\n",
				cd->dir, msg);
			s.v[i].bad = true;
			s.err = s.err ?: err;
		}
	}
	for (i = 0; i < s.n; i++)
		s.bad += s.v[i].bad;
	/*
	 * A bad file's documents may have moved from another file: what
	 * the files no longer hold is only known when every file is good.
	 */
	if (s.bad)
		fprintf(stderr, "cosid: config-dir: %zu bad file%s: nothing is deleted until %s fixed\n",
			s.bad, s.bad > 1 ? "s" : "", s.bad > 1 ? "they are" : "it is");
	else
		err = cosid_prune(cd->c, cd->ns, &cd->sel, &p);
	fprintf(stderr, "cosid: config-dir %s: %zu files (%zu bad): %zu created, %zu updated, %zu unchanged, %zu deleted, %zu deleting\n",
		cd->dir, s.n, s.bad, s.res[COSI_APPLY_CREATED],
		s.res[COSI_APPLY_UPDATED], s.res[COSI_APPLY_UNCHANGED],
		p.deleted, p.waiting);
	s.deleted = p.deleted;
	s.waiting = p.waiting;
	s.err = s.err ?: p.err;
	err = err ?: s.err;
out:
	cd->dirty = err != 0;
	cosi_definitions_clear(&defs);
	cosid_cd_files_clear(&s);
	return err;
}

void cosid_config_dir_free(struct cosid_config_dir *cd)
{
	if (!cd)
		return;
	if (cd->ifd >= 0)
		close(cd->ifd);
	cosi_selector_clear(&cd->sel);
	free(cd->inputs);
	free(cd->dir);
	free(cd->ns);
	free(cd);
}

struct cosid_config_dir *cosid_config_dir_open(struct cosi *c, const char *dir,
					       const char *ns)
{
	struct cosid_config_dir *cd = calloc(1, sizeof(*cd));
	char msg[256];
	int err;

	if (!cd)
		goto nomem;
	cd->ifd = -1;
	cd->wd = -1;
	cd->c = c;
	cd->dir = strdup(dir);
	cd->ns = strdup(ns);
	if (!cd->dir || !cd->ns)
		goto nomem;
	if (cosi_selector_parse(SOURCE_LABEL "=" SOURCE_VALUE, &cd->sel, msg,
				sizeof(msg)))
		goto nomem;
	/* At start a missing or unsafe DIR is a mistake: say so, exit. */
	if (check_dir(dir, msg, sizeof(msg))) {
		fprintf(stderr, "cosid: --config-dir %s: %s\n", dir, msg);
		goto fail;
	}
	cd->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	err = cd->ifd < 0 ? -errno : watch_dir(cd);
	if (err) {
		fprintf(stderr, "cosid: --config-dir %s: inotify: %s\n", dir,
			strerror(-err));
		goto fail;
	}
	return cd;
nomem:
	fprintf(stderr, "cosid: --config-dir: out of memory\n");
fail:
	cosid_config_dir_free(cd);
	return NULL;
}

void cosid_config_dir_reload(struct cosid_config_dir *cd)
{
	fprintf(stderr, "cosid: config-dir: reloading %s\n", cd->dir);
	cd->dirty = true;
	cd->due_ms = now_ms();
	if (cd->ctl)
		cosi_ctl_wake(cd->ctl);
}

/* Drain the inotify fd; true when anything happened in the directory. */
static bool drain(struct cosid_config_dir *cd)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	bool any = false;
	ssize_t n;
	char *p;

	while ((n = read(cd->ifd, buf, sizeof(buf))) > 0) {
		for (p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			any = true;
			if (ev->wd != cd->wd || ev->wd < 0)
				continue;	/* a dropped watch, an overflow */
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
				fprintf(stderr, "cosid: config-dir: %s was removed or moved; it is read and watched again once it is back\n",
					cd->dir);
			/* Moved: the path is what counts, not that inode. */
			if (ev->mask & IN_MOVE_SELF)
				inotify_rm_watch(cd->ifd, cd->wd);
			if (ev->mask & (IN_MOVE_SELF | IN_IGNORED))
				cd->wd = -1;
		}
	}
	return any;
}

static int config_dir_run(struct cosi_ctl *ctl)
{
	struct cosid_config_dir *cd = cosi_ctl_data(ctl);
	uint64_t now = now_ms();
	int err;

	if (drain(cd)) {
		cd->dirty = true;
		cd->due_ms = now + DEBOUNCE_MS;
	}
	/* First: a re-added document can only come back once this is gone. */
	err = cosid_destroy_ready(cd->c, cd->ns, &cd->sel, NULL,
				  "config-dir");
	if (cd->dirty && now < cd->due_ms)
		cosi_ctl_wake_after(ctl, cd->due_ms - now);
	else if (cd->dirty)
		err = cosid_config_dir_sync(cd) ?: err;	/* backoff, retry */
	return err;
}

static int config_dir_init(struct cosi_ctl *ctl)
{
	struct cosid_config_dir *cd = cosi_ctl_data(ctl);

	cd->ctl = ctl;
	return cosi_ctl_watch_fd(ctl, cd->ifd);
}

static void config_dir_fini(struct cosi_ctl *ctl)
{
	cosid_config_dir_free(cosi_ctl_data(ctl));
}

int cosid_register_config_dir(struct cosi_runtime *rt,
			      struct cosid_config_dir *cd)
{
	COSI_OPTS(cosi_controller, c,
		.name = "config-dir",
		.init = config_dir_init,
		.run = config_dir_run,
		.fini = config_dir_fini,
	);
	int err;

	cd->inputs = cosid_config_inputs(cd->ns, COSI_INPUT_DESTROY_READY,
					 &c.n_inputs);
	if (!cd->inputs)
		return -ENOMEM;
	c.inputs = cd->inputs;
	err = cosi_runtime_register(rt, &c, cd, NULL);
	if (err)
		cd->ctl = NULL;
	return err;
}
