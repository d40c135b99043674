/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosictl internals shared by its commands: the context and the error
 * helper (every error is one line on stderr, "cosictl: what: why").
 */
#ifndef _COSICTL_H
#define _COSICTL_H

#include <signal.h>

#include "cosi.h"
#include "cosictl/cli_args.h"
#include "common/apply.h"
#include "common/manifest.h"

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
	/* Every -f FILE, read before connecting. */
	char *buf[COSICTL_MAX_FILES];
	size_t len[COSICTL_MAX_FILES];
};

extern volatile sig_atomic_t cosictl_stop;

int ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open the handle and fetch the definitions; EXIT_OK or EXIT_FAIL. */
int ctl_connect(struct ctl *x);
/* Resolve a.type (printing the error); NULL on failure. */
const struct cosi_definition *ctl_type(struct ctl *x, const char *name);

/* List @def's resources in @ns (-l applies); EXIT_OK or EXIT_FAIL. */
int ctl_list(struct ctl *x, const struct cosi_definition *def,
	     const char *ns, struct cosi_resources *l);
/*
 * Dispatch @s until *@done, a signal, or @timeout_ms (-1: none) passes.
 * Return: 0 (done or signalled), -ETIMEDOUT, or EXIT_FAIL with an error
 * naming @what printed.
 */
int ctl_stream_follow(struct ctl *x, struct cosi_stream *s, long timeout_ms,
		      const bool *done, const char *what);

/* cosictl wait's view of the one resource it watches. */
struct cosictl_waiter {
	const struct cosictl_args *a;
	bool bootstrapped;		/* the current state is known */
	bool present;
	bool matched;			/* the field, at the last change */
	bool met;			/* latched */
	bool hidden;			/* the spec is not readable */
};

/* Spec field a->for_field of @r reads a->for_value (as a table cell). */
bool cosictl_wait_field_matches(const struct cosictl_args *a,
				const struct cosi_resource *r);
/* The field must be in the schema, else a wait could never end. */
int ctl_wait_check_field(const struct cosi_definition *def,
			 const char *field);
/* --for as text: "create", "delete" or "FIELD=VALUE" (in @buf). */
const char *ctl_wait_cond(const struct cosictl_args *a, char *buf,
			  size_t len);

/* Update @w with @ev (the caller keeps @ev). */
void cosictl_wait_event(struct cosictl_waiter *w, const struct cosi_event *ev);

int cmd_get(struct ctl *x);
/* get --etcd: nodes, or a type's statuses across nodes (fleet_get.c). */
int cmd_fleet_get(struct ctl *x);
/* apply/delete --etcd: the desired documents (fleet_write.c). */
int cmd_fleet_write(struct ctl *x);
/* wait --etcd: a status on every node in scope (fleet_get.c). */
int cmd_fleet_wait(struct ctl *x);
/*
 * Load the etcd stack (libcurl, libsystemd, libcrypto) that the cosictl
 * binary links only at run time (fleet_libs.c): 0, or -1 and why in @msg.
 */
int cosictl_fleet_libs(char *msg, size_t len);
int cmd_watch(struct ctl *x);
int cmd_apply(struct ctl *x);
int cmd_delete(struct ctl *x);
int cmd_define(struct ctl *x);
int cmd_undefine(struct ctl *x);
int cmd_wait(struct ctl *x);
int cmd_finalizer(struct ctl *x);
int cmd_complete(struct ctl *x);

/*
 * daemon/cosictl/cosictl.bash, built in (completion_script.S): what
 * "cosictl completion bash" prints and what is installed are one file.
 */
extern const char cosictl_bash_completion[];
int cmd_diff(struct ctl *x);

/* Check the manifest of -f number @f; EXIT_OK and @docs, or EXIT_FAIL. */
int ctl_load_docs(struct ctl *x, size_t f, struct cosi_docs *docs);
/*
 * Delete one resource, waiting up to --wait for finalizers, and print
 * "Type/id @done"; EXIT_OK or EXIT_FAIL.  @listed: found by a listing,
 * so one already gone (deleted by another meanwhile) is not an error.
 */
int ctl_delete_one(struct ctl *x, const char *ns, const char *type,
		   const char *id, const char *done, bool listed);
/* The name of a -f FILE in messages ("<stdin>" for -). */
const char *ctl_file_name(const char *path);
/* CLOCK_MONOTONIC in ms, for deadlines. */
long ctl_now_ms(void);

#endif /* _COSICTL_H */
