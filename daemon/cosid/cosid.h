/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosid internals: the desired configuration on disk, as a state file
 * (persist.c) or a directory of manifests (configdir.c).
 */
#ifndef _COSID_H
#define _COSID_H

#include "cosi.h"
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
