// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl's command line: commands, options (getopt_long) and which
 * options each command takes.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cli_args.h"
#include "common/codec.h"

const char cosictl_usage[] =
"usage: cosictl <command> [options]\n"
"\n"
"commands:\n"
"  get <type> [id] [-n NS] [-o table|yaml|json] [-l SELECTOR] [-w]\n"
"  get rd [type]                   definitions (rd, definitions)\n"
"  watch <type> [id] [-n NS] [-o FMT] [-l SELECTOR] [--since REV]\n"
"  apply -f FILE...                create or update (FILE - = stdin)\n"
"        [--dry-run] [--prune -l SELECTOR]\n"
"  diff -f FILE... [--prune -l SEL] what apply would change; exit 0: none,\n"
"                                  1: differences, 2: error\n"
"  delete -f FILE | delete <type> <id> [-n NS]\n"
"         [--wait SECONDS] [--ignore-not-found]\n"
"  define -f FILE                  create or update definitions\n"
"  undefine <type>                 delete a definition\n"
"  version, help\n"
"\n"
"options:\n"
"  -n, --namespace NS    namespace (default: the type's default namespace)\n"
"  -o, --output FMT      table (default), yaml or json\n"
"  -l, --selector SEL    label selector: k=v, k!=v, k, !k, k in (a,b),\n"
"                        k notin (a,b), k<N, k<=N, k>N, k>=N; comma = and\n"
"  -w, --watch           get: keep watching after listing\n"
"  -f, --filename FILE   manifest (YAML, many documents)\n"
"      --since REV       watch: replay events after revision REV\n"
"      --timeout SECS    watch: stop after SECS seconds\n"
"      --count N         watch: stop after N events (not counting the\n"
"                        initial listing)\n"
"      --wait SECS       delete: wait for finalizers (default 30, 0: no)\n"
"      --ignore-not-found  delete: an absent resource is not an error\n"
"      --dry-run         apply: show what would be done, write nothing\n"
"      --prune           apply, diff: delete the resources of the files'\n"
"                        types that match -l and are not in the files\n"
"  -h, --help            this text\n";

enum {
	OPT_SINCE = 0x100,
	OPT_TIMEOUT,
	OPT_COUNT,
	OPT_WAIT,
	OPT_IGNORE,
	OPT_RCVBUF,
	OPT_DRY_RUN,
	OPT_PRUNE,
};

/* Option bits, to check which command takes which option. */
#define O_NS		0x001
#define O_OUT		0x002
#define O_SEL		0x004
#define O_WATCH		0x008
#define O_FILE		0x010
#define O_SINCE		0x020
#define O_TIMEOUT	0x040
#define O_COUNT		0x080
#define O_WAIT		0x100
#define O_IGNORE	0x200
#define O_RCVBUF	0x400
#define O_DRY_RUN	0x800
#define O_PRUNE		0x1000

static const struct option long_opts[] = {
	{ "namespace", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "selector", required_argument, NULL, 'l' },
	{ "watch", no_argument, NULL, 'w' },
	{ "filename", required_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "ignore-not-found", no_argument, NULL, OPT_IGNORE },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "prune", no_argument, NULL, OPT_PRUNE },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	enum cosictl_cmd cmd;
	unsigned int opts;
	int min_ops, max_ops;
} cmds[] = {
	{ "get", COSICTL_GET, O_NS | O_OUT | O_SEL | O_WATCH | O_SINCE |
	  O_TIMEOUT | O_COUNT | O_RCVBUF, 1, 2 },
	{ "watch", COSICTL_WATCH, O_NS | O_OUT | O_SEL | O_SINCE | O_TIMEOUT |
	  O_COUNT | O_RCVBUF, 1, 2 },
	{ "apply", COSICTL_APPLY, O_FILE | O_SEL | O_DRY_RUN | O_PRUNE, 0, 0 },
	{ "diff", COSICTL_DIFF, O_FILE | O_SEL | O_PRUNE, 0, 0 },
	{ "delete", COSICTL_DELETE, O_NS | O_FILE | O_WAIT | O_IGNORE, 0, 2 },
	{ "define", COSICTL_DEFINE, O_FILE, 0, 0 },
	{ "undefine", COSICTL_UNDEFINE, 0, 1, 1 },
	{ "version", COSICTL_VERSION, 0, 0, 0 },
	{ "help", COSICTL_HELP, 0, 0, 0 },
};

static int bad(char *msg, size_t len, const char *fmt, const char *s)
{
	snprintf(msg, len, fmt, s);
	cosi_oneline(msg);
	return -EINVAL;
}

/* A non-negative integer, whole string. */
static int number(const char *s, unsigned long long max,
		  unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (*end || errno || *out > max)
		return -EINVAL;
	return 0;
}

static int timeout_ms(const char *s, long *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !(v >= 0) || v > 86400.0 * 365)
		return -EINVAL;
	*out = (long)(v * 1000);
	return 0;
}

static int option(int c, struct cosictl_args *a, char *msg, size_t len)
{
	unsigned long long v;

	switch (c) {
	case 'n':
		a->ns = optarg;
		return O_NS;
	case 'o':
		if (cosi_output_parse(optarg, &a->output))
			return bad(msg, len, "unknown output format \"%s\" (table, yaml, json)",
				   optarg);
		return O_OUT;
	case 'l':
		a->selector = optarg;
		return O_SEL;
	case 'w':
		a->watch = true;
		return O_WATCH;
	case 'f':
		if (a->n_files == COSICTL_MAX_FILES)
			return bad(msg, len, "more than %s -f options", "32");
		a->files[a->n_files++] = optarg;
		a->file = a->files[0];
		return O_FILE;
	case OPT_DRY_RUN:
		a->dry_run = true;
		return O_DRY_RUN;
	case OPT_PRUNE:
		a->prune = true;
		return O_PRUNE;
	case OPT_SINCE:
		if (number(optarg, UINT64_MAX, &v))
			return bad(msg, len, "--since: invalid revision \"%s\"",
				   optarg);
		a->has_since = true;
		a->since = v;
		return O_SINCE;
	case OPT_TIMEOUT:
		if (timeout_ms(optarg, &a->timeout_ms))
			return bad(msg, len, "--timeout: invalid seconds \"%s\"",
				   optarg);
		return O_TIMEOUT;
	case OPT_COUNT:
		if (number(optarg, 1u << 30, &v))
			return bad(msg, len, "--count: invalid number \"%s\"",
				   optarg);
		a->count = (long)v;
		return O_COUNT;
	case OPT_WAIT:
		if (number(optarg, 1u << 30, &v))
			return bad(msg, len, "--wait: invalid seconds \"%s\"",
				   optarg);
		a->wait_s = (int)v;
		return O_WAIT;
	case OPT_IGNORE:
		a->ignore_not_found = true;
		return O_IGNORE;
	case OPT_RCVBUF:
		if (number(optarg, 1u << 30, &v))
			return bad(msg, len, "--rcvbuf: invalid size \"%s\"",
				   optarg);
		a->rcvbuf = (int)v;
		return O_RCVBUF;
	}
	return -EINVAL;
}

static const char *opt_name(unsigned int bit)
{
	static const char *const names[] = {
		"-n", "-o", "-l", "-w", "-f", "--since", "--timeout",
		"--count", "--wait", "--ignore-not-found", "--rcvbuf",
		"--dry-run", "--prune",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (bit & (1u << i))
			return names[i];
	return "?";
}

static int unknown_opt(int c, int argc, char **argv, char *msg, size_t len)
{
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "?";
	char o[3] = { '-', (char)optopt, 0 };

	if (optopt > 0 && optopt < 0x80 && strncmp(arg, "--", 2))
		arg = o;
	if (c == ':')
		return bad(msg, len, "option %s needs an argument", arg);
	return bad(msg, len, "unknown option %s", arg);
}

/* The command and its operands, with the option bits seen. */
static int command(int nops, char **ops, unsigned int seen,
		   struct cosictl_args *a, char *msg, size_t len)
{
	unsigned int extra;
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(ops[0], cmds[i].name))
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0]))
		return bad(msg, len, "unknown command \"%s\" (see cosictl help)",
			   ops[0]);
	a->cmd = cmds[i].cmd;
	extra = seen & ~cmds[i].opts;
	if (a->cmd == COSICTL_GET && !a->watch)
		extra |= seen & (O_SINCE | O_TIMEOUT | O_COUNT | O_RCVBUF);
	if (extra) {
		snprintf(msg, len, "option %s does not apply to %s",
			 opt_name(extra), cmds[i].name);
		return -EINVAL;
	}
	nops--;
	if ((a->cmd == COSICTL_APPLY || a->cmd == COSICTL_DEFINE ||
	     a->cmd == COSICTL_DIFF) && !a->file)
		return bad(msg, len, "%s needs -f FILE", cmds[i].name);
	if (a->n_files > 1 && a->cmd != COSICTL_APPLY && a->cmd != COSICTL_DIFF)
		return bad(msg, len, "%s takes one -f", cmds[i].name);
	/* kubectl's rule: pruning without a selector could delete anything. */
	if (a->prune && !a->selector)
		return bad(msg, len, "%s --prune needs -l SELECTOR",
			   cmds[i].name);
	if (!a->prune && a->selector &&
	    (a->cmd == COSICTL_APPLY || a->cmd == COSICTL_DIFF))
		return bad(msg, len, "%s: -l selects what --prune deletes: give --prune too",
			   cmds[i].name);
	if (a->cmd == COSICTL_DELETE && !!a->file == !!nops)
		return bad(msg, len, "%s needs -f FILE or <type> <id>",
			   cmds[i].name);
	if (a->cmd == COSICTL_DELETE && nops == 1)
		return bad(msg, len, "%s needs an id after the type",
			   cmds[i].name);
	if (nops < cmds[i].min_ops || nops > cmds[i].max_ops)
		return bad(msg, len, nops < cmds[i].min_ops ?
			   "%s: missing operand" : "%s: too many operands",
			   cmds[i].name);
	a->type = nops > 0 ? ops[1] : NULL;
	a->id = nops > 1 ? ops[2] : NULL;
	if (a->id && a->selector)
		return bad(msg, len, "%s: -l cannot be combined with an id",
			   cmds[i].name);
	return 0;
}

#define MAX_OPS	8

int cosictl_parse_args(int argc, char **argv, struct cosictl_args *a,
		       char *msg, size_t len)
{
	unsigned int seen = 0;
	char *ops[MAX_OPS];
	bool help = false;
	int c, r, nops = 0;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = -1;
	a->count = -1;
	a->wait_s = 30;
	optind = 0;			/* reinitialise getopt (GNU) */
	opterr = 0;
	for (;;) {
		c = getopt_long(argc, argv, "+:n:o:l:wf:h", long_opts, NULL);
		if (c == -1 && optind >= argc)
			break;
		if (c == -1) {		/* an operand; options may follow */
			if (nops == MAX_OPS)
				return bad(msg, len, "%s", "too many operands");
			ops[nops++] = argv[optind++];
			continue;
		}
		if (c == 'h') {
			help = true;
			continue;
		}
		if (c == '?' || c == ':')
			return unknown_opt(c, argc, argv, msg, len);
		r = option(c, a, msg, len);
		if (r < 0)
			return r;
		seen |= r;
	}
	if (help) {
		a->cmd = COSICTL_HELP;
		return 0;
	}
	if (!nops)
		return bad(msg, len, "%s", "missing command (see cosictl help)");
	return command(nops, ops, seen, a, msg, len);
}
