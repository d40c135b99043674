// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl: the command-line client of cosi.ko.  This file holds main():
 * argument parsing, the connection, signals and command dispatch.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/manifest.h"
#include "common/resolve.h"
#include "cosictl/cosictl.h"

/* The release, from VERSION at the top of the tree (daemon/Makefile). */
#ifndef COSI_VERSION
#error "COSI_VERSION is not defined: build cosictl with daemon/Makefile"
#endif

volatile sig_atomic_t cosictl_stop;

int ctl_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("cosictl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

int ctl_connect(struct ctl *x)
{
	int err;

	x->c = cosi_open();
	if (!x->c)
		return ctl_err("cannot reach the cosi netlink family: %s%s",
			       strerror(errno),
			       errno == ENOENT ? " (is cosi.ko loaded?)" : "");
	if (x->a->rcvbuf && cosi_set_rcvbuf(x->c, x->a->rcvbuf))
		return ctl_err("--rcvbuf: %s", strerror(errno));
	err = cosi_definition_list(x->c, &x->defs);
	if (err)
		return ctl_err("listing definitions: %s",
			       cosi_strerror(x->c, "definition-get"));
	return EXIT_OK;
}

const struct cosi_definition *ctl_type(struct ctl *x, const char *name)
{
	const struct cosi_definition *def;
	char msg[512];

	if (cosi_resolve_type(&x->defs, name, &def, msg, sizeof(msg))) {
		ctl_err("%s", msg);
		return NULL;
	}
	return def;
}

static void on_signal(int sig)
{
	(void)sig;
	cosictl_stop = 1;
}

/* No SA_RESTART: a signal interrupts poll() so watches can end. */
static void signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

const char *ctl_file_name(const char *path)
{
	return strcmp(path, "-") ? path : "<stdin>";
}

long ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static int run(struct ctl *x)
{
	int fail = x->a->cmd == COSICTL_DIFF ? EXIT_DIFF_ERROR : EXIT_FAIL;
	char msg[512];
	size_t f;

	switch (x->a->cmd) {
	case COSICTL_HELP:
		fputs(cosictl_usage(x->a->help), stdout);
		return EXIT_OK;
	case COSICTL_COMPLETE:
		return cmd_complete(x);
	case COSICTL_COMPLETION:
		fputs(cosictl_bash_completion, stdout);
		return EXIT_OK;
	case COSICTL_VERSION:
		printf("cosictl %s (cosi netlink family version %d)\n",
		       COSI_VERSION, COSI_FAMILY_VERSION);
		return EXIT_OK;
	default:
		break;
	}
	/* A file that cannot be read is named before anything else. */
	for (f = 0; f < x->a->n_files; f++)
		if (cosi_read_file(x->a->files[f], &x->buf[f], &x->len[f], msg,
				   sizeof(msg))) {
			ctl_err("%s", msg);
			return fail;
		}
	/* The fleet, from etcd: this node's store is not needed. */
	if (x->a->etcd && cosictl_fleet_libs(msg, sizeof(msg))) {
		ctl_err("%s", msg);
		return fail;
	}
	if (x->a->etcd && (x->a->cmd == COSICTL_GET ||
			   x->a->cmd == COSICTL_WATCH))
		return cmd_fleet_get(x);
	if (x->a->etcd && x->a->cmd == COSICTL_WAIT)
		return cmd_fleet_wait(x);
	if (x->a->etcd)
		return cmd_fleet_write(x);
	if (ctl_connect(x))
		return fail;
	switch (x->a->cmd) {
	case COSICTL_GET:
		return x->a->watch ? cmd_watch(x) : cmd_get(x);
	case COSICTL_WATCH:
		return cmd_watch(x);
	case COSICTL_APPLY:
		return cmd_apply(x);
	case COSICTL_DELETE:
		return cmd_delete(x);
	case COSICTL_DEFINE:
		return cmd_define(x);
	case COSICTL_UNDEFINE:
		return cmd_undefine(x);
	case COSICTL_WAIT:
		return cmd_wait(x);
	case COSICTL_FINALIZER:
		return cmd_finalizer(x);
	case COSICTL_DIFF:
		return cmd_diff(x);
	default:
		return EXIT_USAGE;
	}
}

int main(int argc, char **argv)
{
	struct cosictl_args a;
	struct ctl x = { .a = &a };
	char msg[512];
	size_t i;
	int rc;

	if (cosictl_parse_args(argc, argv, &a, msg, sizeof(msg))) {
		fprintf(stderr, "cosictl: %s\n", msg);
		return EXIT_USAGE;
	}
	signals();
	rc = run(&x);
	cosi_definitions_clear(&x.defs);
	for (i = 0; i < a.n_files; i++)
		free(x.buf[i]);
	if (x.c)
		cosi_close(x.c);
	if (fflush(stdout) && !rc)
		rc = ctl_err("writing output: %s", strerror(errno));
	return rc;
}
