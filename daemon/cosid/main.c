// SPDX-License-Identifier: GPL-2.0
/*
 * cosid: defines the built-in resource types, restores what the kernel
 * lacks of the desired configuration, and runs the controllers on an
 * sd-event loop until SIGTERM/SIGINT.  All state lives in the kernel, so
 * the daemon may be killed at any point and restarted: the controllers
 * reconcile from what the kernel holds.  When cosi.ko is unloaded, the
 * store goes with it: cosid waits for the family to come back (looking
 * again after 100 ms, then backing off up to 5 s) and starts over,
 * defining the types and restoring the state file into the fresh store.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "common/secret.h"
#include "controllers/controllers.h"
#include "cosid/cosid.h"
#include "runtime/runtime.h"

#define CONFIG_NS	"config"
/* Looking for the family again after an unload: first and longest pause. */
#define COSID_GONE_MIN_MS	100
#define COSID_GONE_MAX_MS	5000

static const char usage[] =
"usage: cosid [options]\n"
"  -s, --state-file PATH    save the config namespace to PATH and restore\n"
"                           at start what the kernel lacks from it\n"
"  -c, --config-dir DIR     the *.yaml files of DIR are the desired config:\n"
"                           applied at start, on changes and on SIGHUP;\n"
"                           what they no longer hold is deleted (only what\n"
"                           cosid applied from DIR).  No state file is\n"
"                           written in this mode (excludes --state-file)\n"
"      --etcd URL[,URL...]  fleet mode: the desired config of this node is\n"
"                           in etcd (Documentation/fleet.rst); excludes\n"
"                           --config-dir and --state-file\n"
"      --node NAME          this node's name in the fleet (with --etcd)\n"
"      --group G            a group of this node (repeatable; the first\n"
"                           given wins over the later ones)\n"
"      --node-label KEY=VALUE\n"
"                           a label of this node in its registration\n"
"                           (repeatable, at most 64; shown by cosictl\n"
"                           --etcd get nodes -o json/yaml)\n"
"      --cluster C          the fleet's key prefix /cosi/C/ (default\n"
"                           \"default\")\n"
"      --etcd-ca FILE, --etcd-cert FILE, --etcd-key FILE\n"
"                           TLS to etcd: CA bundle, client certificate, key\n"
"      --etcd-user NAME, --etcd-password-file FILE\n"
"                           etcd authentication: the node's etcd user and\n"
"                           a file holding its password (mode 0600)\n"
"      --etcd-watch-idle SECONDS\n"
"                           a watch stream silent this long is taken for\n"
"                           dead and resumed (default 1500: over 2.2 times\n"
"                           etcd's progress notification interval)\n"
"      --publish TYPE[,TYPE...]\n"
"                           the status types published to etcd under\n"
"                           /cosi/C/status/NODE/ (repeatable; names as\n"
"                           cosictl takes them; \"none\": nothing).  Default:\n"
"                           what the built-in controllers write but\n"
"                           FleetSync and RuntimeStatus\n"
"      --publish-max-keys N, --publish-max-bytes N\n"
"                           at most N status keys (default 10000) and N\n"
"                           bytes of keys and documents (default 64 MiB)\n"
"                           published by this node; the rest is counted\n"
"                           and named in FleetSync last-error\n"
"      --publish-any-owner  publish resources of any owner, not only those\n"
"                           of cosid's controllers\n"
"      --hosts-path PATH    hosts file the hosts controller writes\n"
"                           (default /run/cosi/hosts)\n"
"      --proc-sys PATH      sysctl tree (default /proc/sys)\n"
"      --write-rate N       writes per second per controller (default 1000)\n"
"      --watch-rcvbuf BYTES receive buffer of the input watches\n"
"      --allow-unsafe-sysctl KEY\n"
"                           let the sysctl controller write KEY although it\n"
"                           grants code execution or lowers a protection\n"
"                           (repeatable; the writer still needs CAP_SYS_ADMIN)\n"
"  -h, --help               this text\n";

struct cosid_opts {
	const char *state_file;
	const char *config_dir;
	const char **allow_sysctls;	/* NULL-ended, into argv */
	size_t n_allow_sysctls;
	struct cosid_controllers_opts ctl;
	struct cosi_runtime_opts rt;
	struct cosid_fleet_opts fleet;
	const char *password_file;	/* --etcd-password-file */
	char *password;			/* read from it; wiped at exit */
};

static int parse_num(const char *s, const char *what, unsigned long max,
		     unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *out == 0 || *out > max) {
		fprintf(stderr, "cosid: %s: expected a number in 1..%lu, got '%s'\n",
			what, max, s);
		return -EINVAL;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct cosid_opts *o)
{
	enum { OPT_HOSTS = 256, OPT_PROC, OPT_RATE, OPT_RCVBUF, OPT_ALLOW,
	       OPT_ETCD, OPT_NODE, OPT_GROUP, OPT_CLUSTER, OPT_CA, OPT_CERT,
	       OPT_KEY, OPT_PUBLISH, OPT_PUB_KEYS, OPT_PUB_BYTES,
	       OPT_PUB_ANY, OPT_USER, OPT_PASSWORD, OPT_WATCH_IDLE,
	       OPT_NODE_LABEL };
	static const struct option longopts[] = {
		{ "state-file", required_argument, NULL, 's' },
		{ "config-dir", required_argument, NULL, 'c' },
		{ "hosts-path", required_argument, NULL, OPT_HOSTS },
		{ "proc-sys", required_argument, NULL, OPT_PROC },
		{ "write-rate", required_argument, NULL, OPT_RATE },
		{ "watch-rcvbuf", required_argument, NULL, OPT_RCVBUF },
		{ "allow-unsafe-sysctl", required_argument, NULL, OPT_ALLOW },
		{ "etcd", required_argument, NULL, OPT_ETCD },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "node-label", required_argument, NULL, OPT_NODE_LABEL },
		{ "cluster", required_argument, NULL, OPT_CLUSTER },
		{ "etcd-ca", required_argument, NULL, OPT_CA },
		{ "etcd-cert", required_argument, NULL, OPT_CERT },
		{ "etcd-key", required_argument, NULL, OPT_KEY },
		{ "etcd-user", required_argument, NULL, OPT_USER },
		{ "etcd-password-file", required_argument, NULL, OPT_PASSWORD },
		{ "etcd-watch-idle", required_argument, NULL, OPT_WATCH_IDLE },
		{ "publish", required_argument, NULL, OPT_PUBLISH },
		{ "publish-max-keys", required_argument, NULL, OPT_PUB_KEYS },
		{ "publish-max-bytes", required_argument, NULL, OPT_PUB_BYTES },
		{ "publish-any-owner", no_argument, NULL, OPT_PUB_ANY },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char **allow;
	unsigned long n;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->state_file = optarg;
			break;
		case 'c':
			o->config_dir = optarg;
			break;
		case OPT_HOSTS:
			o->ctl.hosts_path = optarg;
			break;
		case OPT_PROC:
			o->ctl.proc_sys = optarg;
			break;
		case OPT_RATE:
			if (parse_num(optarg, "--write-rate", 1000000, &n))
				return -EINVAL;
			o->rt.write_rate = n;
			o->rt.write_burst = n;
			break;
		case OPT_RCVBUF:
			if (parse_num(optarg, "--watch-rcvbuf", 1 << 30, &n))
				return -EINVAL;
			o->rt.watch_rcvbuf = n;
			break;
		case OPT_ALLOW:
			allow = realloc(o->allow_sysctls,
					(o->n_allow_sysctls + 2) * sizeof(*allow));
			if (!allow) {
				fprintf(stderr, "cosid: out of memory\n");
				return -ENOMEM;
			}
			allow[o->n_allow_sysctls++] = optarg;
			allow[o->n_allow_sysctls] = NULL;
			o->allow_sysctls = allow;
			o->ctl.allow_unsafe_sysctls = allow;
			break;
		case OPT_ETCD:
			o->fleet.endpoints = optarg;
			break;
		case OPT_NODE:
			o->fleet.node = optarg;
			break;
		case OPT_GROUP:
			if (o->fleet.n_groups == COSID_FLEET_GROUPS_MAX) {
				fprintf(stderr, "cosid: at most %d --group\n",
					COSID_FLEET_GROUPS_MAX);
				return -EINVAL;
			}
			o->fleet.groups[o->fleet.n_groups++] = optarg;
			break;
		case OPT_NODE_LABEL: {
			char msg[512];
			size_t i, k = strcspn(optarg, "=");

			if (o->fleet.n_labels == COSI_FLEET_NODE_LABELS_MAX) {
				fprintf(stderr, "cosid: at most %d --node-label\n",
					COSI_FLEET_NODE_LABELS_MAX);
				return -EINVAL;
			}
			if (cosi_fleet_label_check(optarg, msg, sizeof(msg))) {
				fprintf(stderr, "cosid: %s\n", msg);
				return -EINVAL;
			}
			for (i = 0; i < o->fleet.n_labels; i++)
				if (!strncmp(o->fleet.labels[i], optarg, k + 1)) {
					fprintf(stderr, "cosid: --node-label: key '%.*s' given twice\n",
						(int)k, optarg);
					return -EINVAL;
				}
			o->fleet.labels[o->fleet.n_labels++] = optarg;
			break;
		}
		case OPT_CLUSTER:
			o->fleet.cluster = optarg;
			break;
		case OPT_CA:
			o->fleet.ca_file = optarg;
			break;
		case OPT_CERT:
			o->fleet.cert_file = optarg;
			break;
		case OPT_KEY:
			o->fleet.key_file = optarg;
			break;
		case OPT_USER:
			o->fleet.user = optarg;
			break;
		case OPT_PASSWORD:
			o->password_file = optarg;
			break;
		case OPT_PUBLISH:
			allow = realloc(o->fleet.publish, (o->fleet.n_publish + 1) *
					sizeof(*allow));
			if (!allow) {
				fprintf(stderr, "cosid: out of memory\n");
				return -ENOMEM;
			}
			allow[o->fleet.n_publish++] = optarg;
			o->fleet.publish = allow;
			break;
		case OPT_PUB_KEYS:
			if (parse_num(optarg, "--publish-max-keys",
				      COSID_PUB_KEYS_MAX, &n))
				return -EINVAL;
			o->fleet.publish_max_keys = n;
			break;
		case OPT_PUB_BYTES:
			if (parse_num(optarg, "--publish-max-bytes",
				      COSID_PUB_BYTES_MAX, &n))
				return -EINVAL;
			o->fleet.publish_max_bytes = n;
			break;
		case OPT_PUB_ANY:
			o->fleet.publish_any_owner = true;
			break;
		case OPT_WATCH_IDLE:
			if (parse_num(optarg, "--etcd-watch-idle",
				      COSID_FLEET_WATCH_IDLE_MAX, &n))
				return -EINVAL;
			o->fleet.watch_idle = n;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case ':':
			fprintf(stderr, "cosid: %s needs a value\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "cosid: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "cosid: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	/* Two sources of truth would fight: the files win, say so. */
	if (o->state_file && o->config_dir) {
		fprintf(stderr, "cosid: --state-file and --config-dir exclude each other (the directory is the saved config)\n");
		return -EINVAL;
	}
	/*
	 * etcd is the saved config; a state file would restore the fleet's
	 * resources unowned, which the fleet then cannot update.
	 */
	if (o->fleet.endpoints && (o->config_dir || o->state_file)) {
		fprintf(stderr, "cosid: --etcd excludes --config-dir and --state-file (etcd holds the desired config)\n");
		return -EINVAL;
	}
	if (!o->fleet.endpoints && (o->fleet.node || o->fleet.n_groups ||
				    o->fleet.n_labels ||
				    o->fleet.cluster || o->fleet.ca_file ||
				    o->fleet.cert_file || o->fleet.key_file ||
				    o->fleet.user || o->password_file ||
				    o->fleet.n_publish || o->fleet.publish_max_keys ||
				    o->fleet.publish_max_bytes ||
				    o->fleet.publish_any_owner)) {
		fprintf(stderr, "cosid: --node, --group, --node-label, --cluster, --publish* and --etcd-* need --etcd\n");
		return -EINVAL;
	}
	if (o->fleet.endpoints && !o->fleet.node) {
		fprintf(stderr, "cosid: --etcd needs --node NAME\n");
		return -EINVAL;
	}
	if (!o->fleet.user != !o->password_file) {
		fprintf(stderr, "cosid: --etcd-user and --etcd-password-file go together\n");
		return -EINVAL;
	}
	if (o->password_file) {
		char msg[512];
		int err;

		err = cosi_secret_read("--etcd-password-file", o->password_file,
				       &o->password, msg, sizeof(msg));
		if (err) {
			fprintf(stderr, "cosid: %s\n", msg);
			return err;
		}
		o->fleet.password = o->password;
	}
	return o->fleet.endpoints ? cosid_fleet_check_endpoints(&o->fleet) : 0;
}

static int on_hup(sd_event_source *s, const struct signalfd_siginfo *si,
		  void *data)
{
	struct cosid_config_dir *cd = data;

	(void)s;
	(void)si;
	if (cd)
		cosid_config_dir_reload(cd);
	else
		fprintf(stderr, "cosid: SIGHUP: no --config-dir, nothing to reload\n");
	return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si,
		     void *data)
{
	(void)data;
	fprintf(stderr, "cosid: %s: stopping\n", strsignal(si->ssi_signo));
	return sd_event_exit(sd_event_source_get_event(s), 0);
}

/*
 * One life of the daemon, on one registration of the family; *@gone says
 * on return that the family went away.  @again: not the first life.
 */
static int run(const struct cosid_opts *o, bool again, bool *gone)
{
	struct cosid_config_dir *cd = NULL;
	struct cosid_fleet *fleet = NULL;
	struct cosi_runtime *rt = NULL;
	sd_event *ev = NULL;
	struct cosi *c;
	int err;

	c = cosi_open();
	if (!c && again && errno == ENOENT) {
		*gone = true;	/* unloaded again already */
		return 1;
	}
	if (!c) {
		fprintf(stderr, "cosid: cannot open the cosi netlink family: %s (is cosi.ko loaded?)\n",
			strerror(errno));
		return 1;
	}
	err = cosid_define_types(c);
	if (err) {
		fprintf(stderr, "cosid: %s\n", cosi_strerror(c, "definition-set"));
		goto out;
	}
	if (o->state_file) {
		err = cosid_restore(c, o->state_file);
		if (err)
			goto out;
	}
	if (o->config_dir) {
		cd = cosid_config_dir_open(c, o->config_dir, CONFIG_NS);
		err = cd ? 0 : -EINVAL;
		if (err)
			goto out;
		/* A failed sync stays due: the controller retries it. */
		cosid_config_dir_sync(cd);
	}
	if (o->fleet.endpoints) {
		fleet = cosid_fleet_new(c, &o->fleet, CONFIG_NS);
		err = fleet ? 0 : -EINVAL;
		if (err)
			goto out;
	}
	err = sd_event_default(&ev);
	if (err >= 0)
		err = sd_event_add_signal(ev, NULL, SIGTERM, on_signal, NULL);
	if (err >= 0)
		err = sd_event_add_signal(ev, NULL, SIGINT, on_signal, NULL);
	if (err >= 0)
		err = sd_event_add_signal(ev, NULL, SIGHUP, on_hup, cd);
	if (err < 0) {
		fprintf(stderr, "cosid: event loop: %s\n", strerror(-err));
		goto out;
	}
	rt = cosi_runtime_new(ev, &o->rt);
	if (!rt) {
		err = -ENOMEM;
		fprintf(stderr, "cosid: runtime: %s\n", strerror(-err));
		goto out;
	}
	err = cosid_register_controllers(rt, &o->ctl);
	if (!err && o->state_file)
		err = cosid_register_saver(rt, o->state_file, CONFIG_NS);
	if (!err && cd) {
		err = cosid_register_config_dir(rt, cd);
		if (!err)
			cd = NULL;	/* the runtime's now */
	}
	if (!err && fleet) {
		err = cosid_register_fleet(rt, fleet);
		fleet = NULL;	/* the runtime's now, or freed */
	}
	if (err) {
		fprintf(stderr, "cosid: registering controllers: %s\n",
			strerror(-err));
		goto out;
	}
	err = cosi_runtime_start(rt);
	if (err) {
		fprintf(stderr, "cosid: starting the runtime: %s\n",
			strerror(-err));
		goto out;
	}
	sd_notify(0, "READY=1\nSTATUS=controllers running");
	fprintf(stderr, "cosid: ready\n");
	err = sd_event_loop(ev);
	sd_notify(0, "STOPPING=1");
	if (err < 0)
		fprintf(stderr, "cosid: event loop: %s\n", strerror(-err));
	*gone = cosi_runtime_gone(rt);
out:
	cosi_runtime_free(rt);
	cosid_config_dir_free(cd);
	cosid_fleet_free(fleet);
	sd_event_unref(ev);
	cosi_close(c);
	return err ? 1 : 0;
}

/*
 * After an unload: look for the family until it is back (0), or until
 * SIGTERM/SIGINT (1).  The signals are blocked: sigtimedwait() is the
 * pause.
 */
static int wait_for_family(const sigset_t *ss)
{
	long ms = COSID_GONE_MIN_MS;
	struct timespec ts;
	struct cosi *c;
	int sig;

	sd_notify(0, "STATUS=waiting for the cosi family (cosi.ko unloaded?)");
	fprintf(stderr, "cosid: waiting for the cosi family to come back\n");
	for (;;) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		sig = sigtimedwait(ss, NULL, &ts);
		if (sig == SIGHUP)
			continue;	/* nothing to reload without a store */
		if (sig > 0) {
			fprintf(stderr, "cosid: %s: stopping\n", strsignal(sig));
			return 1;
		}
		c = cosi_open();
		if (c) {
			cosi_close(c);
			fprintf(stderr, "cosid: the cosi family is back: starting over\n");
			return 0;
		}
		ms = ms * 2 > COSID_GONE_MAX_MS ? COSID_GONE_MAX_MS : ms * 2;
	}
}

int main(int argc, char **argv)
{
	struct cosid_opts o = {
		.rt.sz = sizeof(struct cosi_runtime_opts),
	};
	bool again, gone;
	sigset_t ss;
	int rc;

	if (parse_args(argc, argv, &o)) {
		free(o.allow_sysctls);
		free(o.fleet.publish);
		cosi_secret_free(o.password);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	sigemptyset(&ss);
	sigaddset(&ss, SIGTERM);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGHUP);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	for (again = false;; again = true) {
		gone = false;
		rc = run(&o, again, &gone);
		if (!gone)
			break;
		rc = 0;
		if (wait_for_family(&ss))
			break;
	}
	free(o.allow_sysctls);
	free(o.fleet.publish);
	cosi_secret_free(o.password);
	return rc;
}
