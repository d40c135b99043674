/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosictl internals shared by its commands: the context and the error
 * helper (every error is one line on stderr, "cosictl: what: why").
 */
#ifndef _COSICTL_H
#define _COSICTL_H

#include <signal.h>

#include "cosi.h"
#include "common/cli_args.h"
#include "common/manifest.h"

#define COSICTL_VERSION_STR	"0.1.0"

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the operation failed */
#define EXIT_USAGE	2	/* bad command line */
/* diff, as kubectl diff: 0 no change, 1 differences, 2 error. */
#define EXIT_DIFF_FOUND	1
#define EXIT_DIFF_ERROR	2

struct ctl {
	const struct cosictl_args *a;
	struct cosi *c;
	struct cosi_definitions defs;
};

extern volatile sig_atomic_t cosictl_stop;

int ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the handle and fetch the definitions; EXIT_OK or EXIT_FAIL. */
int ctl_connect(struct ctl *x);
/* Resolve a.type (printing the error); NULL on failure. */
const struct cosi_definition *ctl_type(struct ctl *x, const char *name);

int cmd_get(struct ctl *x);
int cmd_watch(struct ctl *x);
int cmd_apply(struct ctl *x);
int cmd_delete(struct ctl *x);
int cmd_define(struct ctl *x);
int cmd_undefine(struct ctl *x);
int cmd_diff(struct ctl *x);

/* Read and check the manifest @path; EXIT_OK and @docs, or EXIT_FAIL. */
int ctl_load_docs(struct ctl *x, const char *path, struct cosi_docs *docs);
/*
 * Delete one resource, waiting up to --wait for finalizers, and print
 * "Type/id @done"; EXIT_OK or EXIT_FAIL.
 */
int ctl_delete_one(struct ctl *x, const char *ns, const char *type,
		   const char *id, const char *done);
/* "<stdin>" for "-". */
const char *ctl_file_name(const char *path);

#endif /* _COSICTL_H */
