/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosictl's command line, parsed into a struct (kept apart from main so
 * the host unit tests can call it).
 */
#ifndef _COSICTL_CLI_ARGS_H
#define _COSICTL_CLI_ARGS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cosictl/render.h"

enum cosictl_cmd {
	COSICTL_HELP,
	COSICTL_VERSION,
	COSICTL_GET,
	COSICTL_WATCH,
	COSICTL_APPLY,
	COSICTL_DELETE,
	COSICTL_DEFINE,
	COSICTL_UNDEFINE,
	COSICTL_WAIT,
	COSICTL_FINALIZER,		/* finalizer remove */
	COSICTL_COMPLETE,		/* __complete (bash completion) */
	COSICTL_DIFF,
	COSICTL_COMPLETION,		/* completion bash: the script; the last (fuzz_cli) */
};

/* apply and diff take -f more than once. */
#define COSICTL_MAX_FILES	32

/* What "wait --for" waits for. */
enum cosictl_for {
	COSICTL_FOR_NONE,
	COSICTL_FOR_CREATE,
	COSICTL_FOR_DELETE,
	COSICTL_FOR_FIELD,		/* for_field == for_value */
};

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
	int wait_ms;			/* delete --wait; default 30 s */
	bool ignore_not_found;		/* delete --ignore-not-found */
	bool all;			/* delete --all */
	const char *jsonpath;		/* -o jsonpath=EXPR: EXPR */
	enum cosictl_for wait_for;	/* wait --for */
	const char *for_field;		/* --for FIELD=VALUE */
	const char *for_value;
	char for_buf[256];		/* holds for_field and for_value */
	const char *finalizer;		/* finalizer remove TYPE ID NAME */
	const char *help;		/* help CMD, CMD -h: CMD; else NULL */
	char **words;			/* __complete: the words after it */
	int nwords;
	int rcvbuf;			/* --rcvbuf (testing); 0: default */
	/* get --etcd: the fleet (fleet_get.c); NULL: this node's store */
	const char *etcd;		/* --etcd URL[,URL] */
	const char *cluster;		/* --cluster; NULL: "default" */
	const char *etcd_ca, *etcd_cert, *etcd_key;
	const char *etcd_user, *etcd_password_file;
	/* --etcd-watch-idle; 0: COSICTL_WATCH_IDLE_S */
	long etcd_watch_idle_ms;
	const char *node;		/* --node */
	const char *group;		/* --group */
	bool all_nodes;			/* --all-nodes */
};

/*
 * watch, wait --etcd: a stream silent this long (seconds) is taken for
 * dead and resumed on the next endpoint; cosid's --etcd-watch-idle
 * default (COSID_FLEET_WATCH_IDLE: 2.5 times etcd's default progress
 * notification interval).
 */
#define COSICTL_WATCH_IDLE_S	1500

/* delete --wait is kept in milliseconds in an int. */
#define COSICTL_WAIT_MAX_S	(INT_MAX / 1000)

/*
 * Parse @argv (getopt_long; options may come before or after the
 * command).  Return: 0, or -EINVAL with a one-line message in @msg (the
 * caller exits with status 2).
 */
int cosictl_parse_args(int argc, char **argv, struct cosictl_args *a,
		       char *msg, size_t len);

/* The usage text of @cmd (NULL or unknown: every command's). */
const char *cosictl_usage(const char *cmd);
/* @ms as seconds for messages ("1.5s", "3600s"). */
void cosictl_fmt_duration(long ms, char *buf, size_t len);

/*
 * Command names (not the hidden __complete) and the options of one, for
 * completion: cosictl_command(i) is NULL past the last; the options of
 * @cmd are written NULL-terminated into @out (at most @n).
 */
const char *cosictl_command(size_t i);
size_t cosictl_options(const char *cmd, const char **out, size_t n);
/* Whether option @opt ("-n", "--since") takes an argument. */
bool cosictl_option_takes_arg(const char *opt);

/* "node" or "nodes" (any case): the fleet's nodes, with --etcd. */
bool cosictl_is_nodes(const char *type);

#endif /* _COSICTL_CLI_ARGS_H */
