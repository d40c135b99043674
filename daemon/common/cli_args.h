/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosictl's command line, parsed into a struct (kept apart from main so
 * the host unit tests can call it).
 */
#ifndef _COSI_COMMON_CLI_ARGS_H
#define _COSI_COMMON_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/render.h"

enum cosictl_cmd {
	COSICTL_HELP,
	COSICTL_VERSION,
	COSICTL_GET,
	COSICTL_WATCH,
	COSICTL_APPLY,
	COSICTL_DELETE,
	COSICTL_DEFINE,
	COSICTL_UNDEFINE,
	COSICTL_DIFF,
};

/* apply and diff take -f more than once. */
#define COSICTL_MAX_FILES	32

struct cosictl_args {
	enum cosictl_cmd cmd;
	const char *type;		/* first operand */
	const char *id;			/* second operand */
	const char *ns;			/* -n; NULL: the type's default */
	enum cosi_output output;	/* -o */
	bool watch;			/* get -w */
	const char *selector;		/* -l */
	const char *file;		/* -f (the first) */
	const char *files[COSICTL_MAX_FILES];	/* every -f, in order */
	size_t n_files;
	bool dry_run;			/* apply --dry-run */
	bool prune;			/* apply/diff --prune (needs -l) */
	bool has_since;			/* --since */
	uint64_t since;
	long timeout_ms;		/* --timeout; -1: none */
	long count;			/* --count; -1: none */
	int wait_s;			/* delete --wait; default 30 */
	bool ignore_not_found;		/* delete --ignore-not-found */
	int rcvbuf;			/* --rcvbuf (testing); 0: default */
};

/*
 * Parse @argv (getopt_long; options may come before or after the
 * command).  Return: 0, or -EINVAL with a one-line message in @msg (the
 * caller exits with status 2).
 */
int cosictl_parse_args(int argc, char **argv, struct cosictl_args *a,
		       char *msg, size_t len);

/* The usage text. */
extern const char cosictl_usage[];

#endif /* _COSI_COMMON_CLI_ARGS_H */
