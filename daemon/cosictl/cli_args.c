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
#include <strings.h>

#include "cosictl/cli_args.h"
#include "common/codec.h"
#include "cosictl/jsonpath.h"

#define H_NS \
"  -n, --namespace NS    namespace (default: the type's default namespace)\n"
#define H_OUT \
"  -o, --output FMT      table (default), wide (every spec field), yaml,\n" \
"                        json, jsonpath=TEMPLATE\n"
#define H_SEL \
"  -l, --selector SEL    label selector: k=v, k!=v, k, !k, k in (a,b),\n" \
"                        k notin (a,b), k<N, k<=N, k>N, k>=N; comma = and\n"
#define H_FLEET \
"      --etcd URL[,URL]  the fleet's desired config / statuses in etcd\n" \
"      --cluster C       the fleet's key prefix /cosi/C/ (default\n" \
"                        \"default\")\n" \
"      --etcd-ca FILE, --etcd-cert FILE, --etcd-key FILE\n" \
"                        TLS to etcd: CA bundle, client certificate, key\n" \
"      --etcd-user NAME, --etcd-password-file FILE\n" \
"                        etcd authentication: user, file with its\n" \
"                        password (mode 0600)\n" \
"      --all-nodes, --group G, --node N\n" \
"                        (--etcd, one required) every node, group G,\n" \
"                        node N\n" \
"      --etcd-watch-idle DUR\n" \
"                        (--etcd) a stream silent this long is resumed\n" \
"                        on the next endpoint (default 1500s)\n"
#define H_END \
"  -h, --help            this help\n" \
"\n" \
"exit status: 0 done, 1 failed, 2 bad command line.\n"

static const char usage_all[] =
"usage: cosictl <command> [options]\n"
"\n"
"commands:\n"
"  get <type> [id] [-n NS] [-o FMT] [-l SELECTOR] [-w]\n"
"  get rd [type]                   definitions (rd, definitions)\n"
"  watch <type> [id] [-n NS] [-o FMT] [-l SELECTOR] [--since REV]\n"
"  wait <type> <id> --for COND [--timeout DUR]\n"
"  apply -f FILE...                create or update (FILE - = stdin)\n"
"        [--dry-run] [--prune -l SELECTOR]\n"
"  diff -f FILE... [--prune -l SEL] what apply would change\n"
"  delete -f FILE | <type> <id> | <type> -l SELECTOR | <type> --all\n"
"  finalizer remove <type> <id> <finalizer>\n"
"  define -f FILE                  create or update definitions\n"
"  undefine <type>                 delete a definition\n"
"  completion bash                 the bash completion script\n"
"  version, help [command]\n"
"\n"
"fleet (etcd; see cosictl help get):\n"
"  get nodes --etcd URL            the nodes registered in etcd\n"
"  get <type> [id] --etcd URL [--node N | --group G | --all-nodes]\n"
"                                  their published statuses\n"
"  apply -f FILE --etcd URL (--all-nodes | --group G | --node N)\n"
"  delete <type> <id> | -f FILE --etcd URL (--all-nodes|--group G|--node N)\n"
"                                  the desired config (compare on revision)\n"
"  delete node <name> --etcd URL   retire a node that is not live\n"
"  wait <type> <id> --for COND --etcd URL (--all-nodes|--group G|--node N)\n"
"                                  until every node in scope reports it\n"
"\n"
"options (see cosictl help <command>):\n"
H_NS H_OUT H_SEL H_END;

static const char usage_get[] =
"usage: cosictl get <type> [id] [-n NS] [-o FMT] [-l SELECTOR]\n"
"       cosictl get <type> [id] -w [--since REV] [--timeout DUR] [--count N]\n"
"       cosictl get rd [type]\n"
"       cosictl get nodes --etcd URL[,URL] [--cluster C] [--group G] [-o FMT]\n"
"       cosictl get <type> [id] --etcd URL[,URL] [--cluster C]\n"
"                  [--node N | --group G | --all-nodes] [-n NS] [-o FMT]\n"
"\n"
"List resources of a type, or fetch one; with -w, keep watching (as\n"
"\"watch\").  \"rd\" (\"definitions\") lists the resource definitions.\n"
"With --etcd, read the fleet instead of this node's store: \"nodes\"\n"
"lists the registered nodes (NODE GROUPS LIVE LAST-SEEN VERSION), a\n"
"type the statuses the nodes published, a NODE column first; -o yaml\n"
"and json give each document a \"node\" key (Documentation/fleet.rst).\n"
"\n"
"  -w, --watch           keep watching after listing (then --since,\n"
"                        --timeout, --count, --etcd-watch-idle as for\n"
"                        watch)\n"
H_NS H_OUT H_SEL
"      --etcd URL[,URL]  read the fleet from etcd (the v3 JSON gateway)\n"
"      --cluster C       the fleet's key prefix /cosi/C/ (default\n"
"                        \"default\")\n"
"      --etcd-ca FILE, --etcd-cert FILE, --etcd-key FILE\n"
"                        TLS to etcd: CA bundle, client certificate, key\n"
"      --etcd-user NAME, --etcd-password-file FILE\n"
"                        etcd authentication: user, file with its\n"
"                        password (mode 0600)\n"
"      --node N          (--etcd) only node N\n"
"      --group G         (--etcd) only the nodes registered with group G\n"
"      --all-nodes       (--etcd) every node (the default)\n"
H_END;

static const char usage_watch[] =
"usage: cosictl watch <type> [id] [-n NS] [-o table|wide|yaml|json]\n"
"                     [-l SELECTOR] [--since REV] [--timeout DUR] [--count N]\n"
"       cosictl watch <type> [id] --etcd URL [--node N|--group G|--all-nodes]\n"
"\n"
"List, then print each change: + created, * updated, - deleted.  After\n"
"an overflow the watch resumes; resources deleted meanwhile are printed\n"
"as deleted.\n"
"\n"
"      --since REV       replay the events after revision REV\n"
"      --timeout DUR     stop after DUR (seconds, or 500ms, 1m30s, 1h...)\n"
"      --count N         stop after N events (the listing not counted)\n"
"With --etcd: the statuses the nodes published, each with its node (a\n"
"NODE column, or \"node\"); a compaction in etcd lists again.\n"
H_NS H_OUT H_SEL H_FLEET H_END;

static const char usage_wait[] =
"usage: cosictl wait <type> <id> --for COND [-n NS] [--timeout DUR]\n"
"       cosictl wait <type> <id> --for COND --etcd URL[,URL]\n"
"                    (--all-nodes | --group G | --node N) [--timeout DUR]\n"
"\n"
"Block until the condition holds (exit 0), or DUR passes (exit 1).\n"
"COND: create (the resource exists), delete (it does not), or\n"
"FIELD=VALUE (spec field FIELD reads VALUE, as a table cell shows it).\n"
"With --etcd: until every node in scope is live and the status it\n"
"publishes holds it; on timeout, the nodes that do not and why (a node\n"
"whose lease is gone: \"not live\").\n"
"\n"
"      --for COND        what to wait for\n"
"      --timeout DUR     at most this long (default 30s; 0: check once)\n"
H_NS H_FLEET H_END;

static const char usage_apply[] =
"usage: cosictl apply -f FILE... [--dry-run] [--prune -l SELECTOR]\n"
"       cosictl apply -f FILE... --etcd URL[,URL]\n"
"                     (--all-nodes | --group G | --node N)\n"
"\n"
"Create or update the resources of YAML manifests (FILE - = stdin).\n"
"With --etcd, write them as the fleet's desired config: all documents\n"
"or none, in one txn that fails (nothing written) if another writer\n"
"changed a key since it was read (Documentation/fleet.rst).\n"
"\n"
"  -f, --filename FILE   manifest (YAML, many documents); repeatable\n"
"      --dry-run         show what would be done, write nothing\n"
"      --prune           delete the resources of the files' types that\n"
"                        match -l and are not in the files\n"
H_SEL H_FLEET H_END;

static const char usage_diff[] =
"usage: cosictl diff -f FILE... [--prune -l SELECTOR]\n"
"\n"
"Show what apply would change.  Exit status: 0 no differences,\n"
"1 differences, 2 error.\n"
"\n"
"  -f, --filename FILE   manifest (YAML, many documents); repeatable\n"
"      --prune           also show what apply --prune would delete\n"
H_SEL
"  -h, --help            this help\n";

static const char usage_delete[] =
"usage: cosictl delete <type> <id> [-n NS]\n"
"       cosictl delete <type> -l SELECTOR | --all [-n NS]\n"
"       cosictl delete -f FILE\n"
"       cosictl delete <type> <id> | -f FILE --etcd URL[,URL]\n"
"                      (--all-nodes | --group G | --node N)\n"
"       cosictl delete node <name> --etcd URL[,URL]\n"
"\n"
"Tear down and destroy resources, waiting for their finalizers.  With -f,\n"
"each document's metadata (namespace, type, id) names one; every one is\n"
"tried, each failure is one line, and the exit status is 1 if any failed.\n"
"\n"
"  -f, --filename FILE   manifest naming the resources\n"
"      --all             every resource of the type in the namespace\n"
"      --wait SECS       wait for finalizers (default 30, 0: no; at\n"
"                        most 2147483)\n"
"      --ignore-not-found  an absent resource is not an error\n"
"With --etcd, delete the fleet's desired keys of the scope, all or none,\n"
"compared on their revision as read (<type> <id> or -f only: -l, --all\n"
"and --wait are for this node's store).  \"delete node NAME\" retires a\n"
"node that is not live: its registration and statuses (an administrator's\n"
"act).\n"
H_NS H_SEL H_FLEET H_END;

static const char usage_finalizer[] =
"usage: cosictl finalizer remove <type> <id> <finalizer> [-n NS]\n"
"\n"
"Remove a finalizer whose controller is gone, so that a deletion can\n"
"finish.  Its owner will not clean up after the resource.\n"
"\n"
H_NS H_END;

static const char usage_define[] =
"usage: cosictl define -f FILE\n"
"\n"
"Create or update resource definitions (the form \"get rd -o yaml\"\n"
"prints).\n"
"\n"
"  -f, --filename FILE   definitions (YAML, many documents)\n"
H_END;

static const char usage_undefine[] =
"usage: cosictl undefine <type>\n"
"\n"
"Delete a resource definition (none of its resources may remain).\n";

static const char usage_version[] =
"usage: cosictl version\n";

static const char usage_completion[] =
"usage: cosictl completion bash\n"
"\n"
"Print the bash completion script (source it, or install it as\n"
"/usr/share/bash-completion/completions/cosictl).\n";

static const char usage_help[] =
"usage: cosictl help [command]\n";

enum {
	OPT_SINCE = 0x100,
	OPT_TIMEOUT,
	OPT_COUNT,
	OPT_WAIT,
	OPT_IGNORE,
	OPT_RCVBUF,
	OPT_FOR,
	OPT_ALL,
	OPT_DRY_RUN,
	OPT_PRUNE,
	OPT_ETCD,
	OPT_CLUSTER,
	OPT_ETCD_CA,
	OPT_ETCD_CERT,
	OPT_ETCD_KEY,
	OPT_NODE,
	OPT_GROUP,
	OPT_ALL_NODES,
	OPT_ETCD_USER,
	OPT_ETCD_PASSWORD,
	OPT_ETCD_WATCH_IDLE,
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
#define O_FOR		0x800
#define O_ALL		0x1000
#define O_DRY_RUN	0x2000
#define O_PRUNE		0x4000
#define O_ETCD		0x8000
#define O_CLUSTER	0x10000
#define O_ETCD_CA	0x20000
#define O_ETCD_CERT	0x40000
#define O_ETCD_KEY	0x80000
#define O_NODE		0x100000
#define O_GROUP		0x200000
#define O_ALL_NODES	0x400000
#define O_ETCD_USER	0x800000
#define O_ETCD_PASSWORD	0x1000000
#define O_ETCD_IDLE	0x2000000
/* What only makes sense with --etcd. */
#define O_FLEET		(O_CLUSTER | O_ETCD_CA | O_ETCD_CERT | O_ETCD_KEY | \
			 O_NODE | O_GROUP | O_ALL_NODES | O_ETCD_USER | \
			 O_ETCD_PASSWORD | O_ETCD_IDLE)

static const struct option long_opts[] = {
	{ "namespace", required_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "selector", required_argument, NULL, 'l' },
	{ "watch", no_argument, NULL, 'w' },
	{ "filename", required_argument, NULL, 'f' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "wait", required_argument, NULL, OPT_WAIT },
	{ "ignore-not-found", no_argument, NULL, OPT_IGNORE },
	{ "rcvbuf", required_argument, NULL, OPT_RCVBUF },
	{ "for", required_argument, NULL, OPT_FOR },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "prune", no_argument, NULL, OPT_PRUNE },
	{ "etcd", required_argument, NULL, OPT_ETCD },
	{ "cluster", required_argument, NULL, OPT_CLUSTER },
	{ "etcd-ca", required_argument, NULL, OPT_ETCD_CA },
	{ "etcd-cert", required_argument, NULL, OPT_ETCD_CERT },
	{ "etcd-key", required_argument, NULL, OPT_ETCD_KEY },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "all-nodes", no_argument, NULL, OPT_ALL_NODES },
	{ "etcd-user", required_argument, NULL, OPT_ETCD_USER },
	{ "etcd-password-file", required_argument, NULL, OPT_ETCD_PASSWORD },
	{ "etcd-watch-idle", required_argument, NULL, OPT_ETCD_WATCH_IDLE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Option names in bit order (O_NS first), as completion offers them. */
static const char *const opt_names[] = {
	"--namespace", "--output", "--selector", "--watch", "--filename",
	"--since", "--timeout", "--count", "--wait", "--ignore-not-found",
	"--rcvbuf", "--for", "--all", "--dry-run", "--prune", "--etcd",
	"--cluster", "--etcd-ca", "--etcd-cert", "--etcd-key", "--node",
	"--group", "--all-nodes", "--etcd-user", "--etcd-password-file",
	"--etcd-watch-idle",
};
static const char *const opt_short[] = {
	"-n", "-o", "-l", "-w", "-f",
};

static const struct {
	const char *name;
	enum cosictl_cmd cmd;
	unsigned int opts;
	int min_ops, max_ops;
	const char *usage;
} cmds[] = {
	{ "get", COSICTL_GET, O_NS | O_OUT | O_SEL | O_WATCH | O_SINCE |
	  O_TIMEOUT | O_COUNT | O_RCVBUF | O_ETCD | O_FLEET, 1, 2, usage_get },
	{ "watch", COSICTL_WATCH, O_NS | O_OUT | O_SEL | O_SINCE | O_TIMEOUT |
	  O_COUNT | O_RCVBUF | O_ETCD | O_FLEET, 1, 2, usage_watch },
	{ "wait", COSICTL_WAIT, O_NS | O_FOR | O_TIMEOUT | O_ETCD | O_FLEET,
	  2, 2, usage_wait },
	{ "apply", COSICTL_APPLY, O_FILE | O_SEL | O_DRY_RUN | O_PRUNE |
	  O_ETCD | (O_FLEET & ~O_ETCD_IDLE), 0, 0, usage_apply },
	{ "diff", COSICTL_DIFF, O_FILE | O_SEL | O_PRUNE, 0, 0, usage_diff },
	{ "delete", COSICTL_DELETE, O_NS | O_FILE | O_WAIT | O_IGNORE |
	  O_SEL | O_ALL | O_ETCD | (O_FLEET & ~O_ETCD_IDLE), 0, 2,
	  usage_delete },
	{ "finalizer", COSICTL_FINALIZER, O_NS, 4, 4, usage_finalizer },
	{ "define", COSICTL_DEFINE, O_FILE, 0, 0, usage_define },
	{ "undefine", COSICTL_UNDEFINE, 0, 1, 1, usage_undefine },
	{ "completion", COSICTL_COMPLETION, 0, 1, 1, usage_completion },
	{ "version", COSICTL_VERSION, 0, 0, 0, usage_version },
	{ "help", COSICTL_HELP, 0, 0, 1, usage_help },
};

#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static int find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return (int)i;
	return -1;
}

const char *cosictl_usage(const char *cmd)
{
	int i = cmd ? find_cmd(cmd) : -1;

	return i >= 0 ? cmds[i].usage : usage_all;
}

const char *cosictl_command(size_t i)
{
	return i < NCMDS ? cmds[i].name : NULL;
}

size_t cosictl_options(const char *cmd, const char **out, size_t n)
{
	int c = find_cmd(cmd);
	size_t i, k = 0;

	for (i = 0; c >= 0 && i < sizeof(opt_names) / sizeof(opt_names[0]);
	     i++)
		if ((cmds[c].opts & (1u << i)) && k + 1 < n &&
		    (1u << i) != O_RCVBUF)
			out[k++] = opt_names[i];
	if (k + 1 < n)
		out[k++] = "--help";
	out[k] = NULL;
	return k;
}

bool cosictl_option_takes_arg(const char *opt)
{
	const struct option *o;
	size_t i;

	for (i = 0; i < sizeof(opt_short) / sizeof(opt_short[0]); i++)
		if (!strcmp(opt, opt_short[i]))
			return strcmp(opt, "-w") != 0;
	if (strncmp(opt, "--", 2))
		return false;
	for (o = long_opts; o->name; o++)
		if (!strcmp(opt + 2, o->name))
			return o->has_arg == required_argument;
	return false;
}

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

/*
 * A duration: plain seconds ("1.5"), or kubectl's form, numbers each with
 * a unit of ms, s, m or h ("500ms", "1m30s").  Decimal digits only (no
 * exponent, sign or hex), at most a year, and a non-zero one must not
 * round to 0 ms.
 */
static int duration_ms(const char *s, long *out)
{
	static const struct { const char *u; double sec; } units[] = {
		{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
	};
	const char *p = s;
	double total = 0, v;
	bool nonzero = false;
	char *end;
	size_t i, n;

	do {
		n = strspn(p, "0123456789.");
		if (!n)
			return -EINVAL;
		errno = 0;
		v = strtod(p, &end);
		if (end != p + n || errno)
			return -EINVAL;
		nonzero |= v != 0;
		if (p == s && !*end) {		/* plain seconds */
			total = v;
			break;
		}
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(end, units[i].u, strlen(units[i].u)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		total += v * units[i].sec;
		p = end + strlen(units[i].u);
	} while (*p);
	if (total > 86400.0 * 365)
		return -EINVAL;
	*out = (long)(total * 1000 + 0.5);
	return nonzero && !*out ? -EINVAL : 0;
}

void cosictl_fmt_duration(long ms, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%ld.%03ld", ms / 1000, ms % 1000);

	/* "1.500" -> "1.5", "2000.000" -> "2000": never an exponent. */
	while (n > 0 && (size_t)n < len && buf[n - 1] == '0')
		buf[--n] = 0;
	if (n > 0 && (size_t)n < len && buf[n - 1] == '.')
		buf[--n] = 0;
	if ((size_t)n + 1 < len)
		strcpy(buf + n, "s");
}

/* --for create | delete | FIELD=VALUE */
static int wait_for(const char *s, struct cosictl_args *a, char *msg,
		    size_t len)
{
	char *eq;

	if (!strcmp(s, "create")) {
		a->wait_for = COSICTL_FOR_CREATE;
		return 0;
	}
	if (!strcmp(s, "delete")) {
		a->wait_for = COSICTL_FOR_DELETE;
		return 0;
	}
	if (strlen(s) >= sizeof(a->for_buf) || *s == '=' || !strchr(s, '='))
		return bad(msg, len, "--for: expected create, delete or FIELD=VALUE, not \"%s\"",
			   s);
	strcpy(a->for_buf, s);
	eq = strchr(a->for_buf, '=');
	*eq = 0;
	a->for_field = a->for_buf;
	if (!strncmp(a->for_field, "spec.", 5))
		a->for_field += 5;
	a->for_value = eq + 1;
	a->wait_for = COSICTL_FOR_FIELD;
	return 0;
}

static int output(const char *s, struct cosictl_args *a, char *msg,
		  size_t len)
{
	if (!strncmp(s, "jsonpath=", 9)) {
		a->output = COSI_OUTPUT_JSONPATH;
		a->jsonpath = s + 9;
		return cosi_jsonpath_print(NULL, a->jsonpath, NULL, msg, len);
	}
	if (cosi_output_parse(s, &a->output))
		return bad(msg, len, "unknown output format \"%s\" (table, wide, yaml, json, jsonpath=...)",
			   s);
	return 0;
}

static int option(int c, struct cosictl_args *a, char *msg, size_t len)
{
	unsigned long long v;
	int err;

	switch (c) {
	case 'n':
		a->ns = optarg;
		return O_NS;
	case 'o':
		err = output(optarg, a, msg, len);
		return err ?: O_OUT;
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
		if (duration_ms(optarg, &a->timeout_ms))
			return bad(msg, len, "--timeout: invalid duration \"%s\" (seconds, or like 500ms, 30s, 1m30s, 1h; at most a year)",
				   optarg);
		return O_TIMEOUT;
	case OPT_COUNT:
		if (number(optarg, 1u << 30, &v))
			return bad(msg, len, "--count: invalid number \"%s\"",
				   optarg);
		a->count = (long)v;
		return O_COUNT;
	case OPT_WAIT:
		if (number(optarg, COSICTL_WAIT_MAX_S, &v))
			return bad(msg, len, "--wait: invalid seconds \"%s\" (0 to 2147483)",
				   optarg);
		a->wait_ms = (int)v * 1000;
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
	case OPT_FOR:
		err = wait_for(optarg, a, msg, len);
		return err ?: O_FOR;
	case OPT_ALL:
		a->all = true;
		return O_ALL;
	case OPT_ETCD:
		a->etcd = optarg;
		return O_ETCD;
	case OPT_CLUSTER:
		a->cluster = optarg;
		return O_CLUSTER;
	case OPT_ETCD_CA:
		a->etcd_ca = optarg;
		return O_ETCD_CA;
	case OPT_ETCD_CERT:
		a->etcd_cert = optarg;
		return O_ETCD_CERT;
	case OPT_ETCD_KEY:
		a->etcd_key = optarg;
		return O_ETCD_KEY;
	case OPT_NODE:
		a->node = optarg;
		return O_NODE;
	case OPT_GROUP:
		a->group = optarg;
		return O_GROUP;
	case OPT_ALL_NODES:
		a->all_nodes = true;
		return O_ALL_NODES;
	case OPT_ETCD_USER:
		a->etcd_user = optarg;
		return O_ETCD_USER;
	case OPT_ETCD_PASSWORD:
		a->etcd_password_file = optarg;
		return O_ETCD_PASSWORD;
	case OPT_ETCD_WATCH_IDLE:
		if (duration_ms(optarg, &a->etcd_watch_idle_ms) ||
		    !a->etcd_watch_idle_ms)
			return bad(msg, len, "--etcd-watch-idle: invalid duration \"%s\" (seconds, or like 500ms, 30s, 25m; not 0, at most a year)",
				   optarg);
		return O_ETCD_IDLE;
	}
	return -EINVAL;
}

static const char *opt_name(unsigned int bit)
{
	size_t i;

	for (i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if (bit & (1u << i))
			return i < sizeof(opt_short) / sizeof(opt_short[0]) ?
			       opt_short[i] : opt_names[i];
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

/* delete's forms: -f FILE, TYPE ID, TYPE -l SEL, TYPE --all. */
static int delete_form(int nops, const struct cosictl_args *a, char *msg,
		       size_t len)
{
	int by_set = !!a->selector + a->all;

	if (a->file && (nops || by_set))
		return bad(msg, len, "%s: -f FILE takes no type, id, -l or --all",
			   "delete");
	if (a->file)
		return 0;
	if (by_set > 1)
		return bad(msg, len, "%s: -l and --all exclude each other",
			   "delete");
	if (by_set && nops != 1)
		return bad(msg, len, "%s: -l and --all take a type and no id",
			   "delete");
	if (!by_set && nops != 2)
		return bad(msg, len, "%s needs -f FILE, <type> <id>, <type> -l SELECTOR or <type> --all",
			   "delete");
	return 0;
}

bool cosictl_is_nodes(const char *type)
{
	return type && (!strcasecmp(type, "nodes") || !strcasecmp(type, "node"));
}

/*
 * apply/delete --etcd: one scope, and what the fleet does not do;
 * delete node NAME (retiring a node) takes none.
 */
static int fleet_write_form(unsigned int seen, const struct cosictl_args *a,
			    char *msg, size_t len)
{
	const char *cmd = a->cmd == COSICTL_APPLY ? "apply" : "delete";
	const char *opt = a->dry_run ? "--dry-run" : a->prune ? "--prune" :
			  a->all ? "--all" : a->selector ? "-l" :
			  (seen & O_WAIT) ? "--wait" : NULL;

	if (a->cmd == COSICTL_DELETE && !a->file && cosictl_is_nodes(a->type)) {
		if (a->node || a->group || a->all_nodes)
			return bad(msg, len, "%s: delete node NAME --etcd takes no --node, --group or --all-nodes",
				   "delete");
		if (opt) {
			snprintf(msg, len, "delete node: %s is not supported",
				 opt);
			return -EINVAL;
		}
		return 0;
	}
	if (!a->node && !a->group && !a->all_nodes)
		return bad(msg, len, "%s --etcd needs one of --all-nodes, --group G, --node N",
			   cmd);
	if (opt) {
		snprintf(msg, len, "%s: %s with --etcd is not supported", cmd,
			 opt);
		return -EINVAL;
	}
	return 0;
}

/*
 * get --etcd: the fleet's read side.  What it does not do yet is refused
 * here rather than done against this node's store.
 */
static int fleet_form(unsigned int seen, const struct cosictl_args *a,
		      char *msg, size_t len)
{
	if (!a->etcd) {
		if (seen & O_FLEET)
			return bad(msg, len, "option %s needs --etcd",
				   opt_name(seen & O_FLEET));
		return 0;
	}
	if (!a->etcd_user != !a->etcd_password_file)
		return bad(msg, len, "%s and --etcd-password-file go together",
			   "--etcd-user");
	if (!!a->node + !!a->group + a->all_nodes > 1)
		return bad(msg, len, "%s: --node, --group and --all-nodes exclude each other",
			   a->cmd == COSICTL_GET ? "get" :
			   a->cmd == COSICTL_APPLY ? "apply" :
			   a->cmd == COSICTL_WAIT ? "wait" : "delete");
	if (a->cmd == COSICTL_WAIT && !a->node && !a->group && !a->all_nodes)
		return bad(msg, len, "%s --etcd needs one of --all-nodes, --group G, --node N",
			   "wait");
	if (a->cmd == COSICTL_APPLY || a->cmd == COSICTL_DELETE)
		return fleet_write_form(seen, a, msg, len);
	if (a->cmd != COSICTL_GET && a->cmd != COSICTL_WATCH)
		return 0;		/* "does not apply" is said before */
	if ((a->cmd == COSICTL_WATCH || a->watch) && cosictl_is_nodes(a->type))
		return bad(msg, len, "%s: a watch of the nodes with --etcd is not supported (run get nodes again)",
			   a->cmd == COSICTL_GET ? "get nodes -w" : "watch nodes");
	if (seen & O_RCVBUF)
		return bad(msg, len, "%s: --rcvbuf is for this node's store, not --etcd",
			   a->cmd == COSICTL_GET ? "get" : "watch");
	if (a->has_since)
		return bad(msg, len, "%s: --since with --etcd is not supported (etcd's revisions are not the nodes')",
			   a->cmd == COSICTL_GET ? "get" : "watch");
	if (a->selector)
		return bad(msg, len, "%s: -l with --etcd is not supported yet",
			   a->cmd == COSICTL_GET ? "get" : "watch");
	if (a->output == COSI_OUTPUT_JSONPATH)
		return bad(msg, len, "%s: -o jsonpath with --etcd is not supported yet",
			   "get");
	return 0;
}

/* The command and its operands, with the option bits seen. */
static int command(int nops, char **ops, unsigned int seen,
		   struct cosictl_args *a, char *msg, size_t len)
{
	unsigned int extra;
	int i = find_cmd(ops[0]);

	if (i < 0)
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
	if (a->output == COSI_OUTPUT_JSONPATH &&
	    (a->cmd != COSICTL_GET || a->watch))
		return bad(msg, len, "%s: -o jsonpath is for get (not watch)",
			   cmds[i].name);
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
	if (a->cmd == COSICTL_DELETE && delete_form(nops, a, msg, len))
		return -EINVAL;
	if (nops < cmds[i].min_ops || nops > cmds[i].max_ops)
		return bad(msg, len, nops < cmds[i].min_ops ?
			   "%s: missing operand" : "%s: too many operands",
			   cmds[i].name);
	if (a->cmd == COSICTL_HELP) {
		if (nops && find_cmd(ops[1]) < 0)
			return bad(msg, len, "help: unknown command \"%s\"",
				   ops[1]);
		a->help = nops ? ops[1] : NULL;
		return 0;
	}
	if (a->cmd == COSICTL_COMPLETION && strcmp(ops[1], "bash"))
		return bad(msg, len, "completion: unknown shell \"%s\" (bash)",
			   ops[1]);
	if (a->cmd == COSICTL_FINALIZER) {
		if (strcmp(ops[1], "remove"))
			return bad(msg, len, "finalizer: unknown subcommand \"%s\" (remove)",
				   ops[1]);
		ops++;
		nops--;
		a->finalizer = ops[3];
	}
	if (a->cmd == COSICTL_WAIT && a->wait_for == COSICTL_FOR_NONE)
		return bad(msg, len, "%s needs --for create, delete or FIELD=VALUE",
			   cmds[i].name);
	if (a->cmd == COSICTL_WAIT && a->timeout_ms < 0)
		a->timeout_ms = 30000;
	a->type = nops > 0 ? ops[1] : NULL;
	a->id = nops > 1 ? ops[2] : NULL;
	if (a->id && a->selector)
		return bad(msg, len, "%s: -l cannot be combined with an id",
			   cmds[i].name);
	return fleet_form(seen, a, msg, len);
}

#define MAX_OPS	32

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
	a->wait_ms = 30000;
	/* __complete takes every word as it is, options included. */
	if (argc > 1 && !strcmp(argv[1], "__complete")) {
		a->cmd = COSICTL_COMPLETE;
		a->words = argv + 2;
		a->nwords = argc - 2;
		return 0;
	}
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
		/* "CMD -h": that command's help, whatever else was given. */
		a->cmd = COSICTL_HELP;
		a->help = nops && find_cmd(ops[0]) >= 0 ? ops[0] : NULL;
		if (a->help && !strcmp(a->help, "help"))
			a->help = NULL;
		return 0;
	}
	if (!nops)
		return bad(msg, len, "%s", "missing command (see cosictl help)");
	return command(nops, ops, seen, a, msg, len);
}
