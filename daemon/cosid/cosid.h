/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosid internals: the desired configuration on disk, as a state file
 * (persist.c) or a directory of manifests (configdir.c).
 */
#ifndef _COSID_H
#define _COSID_H

#include "cosi.h"
#include "common/apply.h"
#include "common/manifest.h"
#include "runtime/runtime.h"

/*
 * Create the resources of @path that the kernel lacks; those it holds
 * stay as they are.  A file with rejected documents is renamed aside.
 */
int cosid_restore(struct cosi *c, const char *path);
/* Register the controller that keeps @path in step with namespace @ns. */
int cosid_register_saver(struct cosi_runtime *rt, const char *path,
			 const char *ns);

/* An input of @kind on every config type in @ns; calloc()ed, NULL. */
struct cosi_input *cosid_config_inputs(const char *ns,
				       enum cosi_input_kind kind, size_t *n);

/*
 * --config-dir (configdir.c): the *.yaml files of a directory as the
 * desired configuration of namespace @ns, written through @c.
 */
struct cosid_config_dir;

/* One file of the directory, read and checked. */
struct cosid_cd_file {
	char *name;			/* base name */
	struct cosi_docs docs;		/* with cosid's label, annotation */
	bool bad;			/* nothing applied, nothing deleted */
};

/* The directory's files, and what a sync did. */
struct cosid_cd_files {
	struct cosid_cd_file *v;
	size_t n;
	size_t res[COSI_APPLY_RESULTS];	/* cosi_apply_count() */
	size_t deleted, waiting, bad;
	int err;				/* the first failure to retry */
};

/*
 * Read and check every *.yaml file of @dir (no hidden ones, in name
 * order) against @defs, with no kernel access: each document must be a
 * config type in @ns, in no earlier file, without cosid's label and
 * annotation, which are then added; a file must be a regular file of
 * cosid's user, not writable by group or others.  A bad file is reported
 * in one line on stderr, marked and emptied.  0, or a negative errno
 * when @dir cannot be listed.
 */
int cosid_config_dir_load(const char *dir, const char *ns,
			  const struct cosi_definitions *defs,
			  struct cosid_cd_files *out);
void cosid_cd_files_clear(struct cosid_cd_files *f);

/* Check @dir and watch it (inotify); NULL after a one-line message. */
struct cosid_config_dir *cosid_config_dir_open(struct cosi *c, const char *dir,
					       const char *ns);
/* Apply the files, delete what they no longer hold; logs one summary. */
int cosid_config_dir_sync(struct cosid_config_dir *cd);
/*
 * The "config-dir" controller: resyncs on changes (debounced) and
 * destroys what it tore down once finalizers are gone.  On success the
 * runtime owns @cd (freed at shutdown); on failure the caller frees it.
 */
int cosid_register_config_dir(struct cosi_runtime *rt,
			      struct cosid_config_dir *cd);
/* Resync soon (SIGHUP). */
void cosid_config_dir_reload(struct cosid_config_dir *cd);
void cosid_config_dir_free(struct cosid_config_dir *cd);

#endif /* _COSID_H */
