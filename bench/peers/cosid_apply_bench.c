// SPDX-License-Identifier: GPL-2.0
/*
 * cosid_apply_bench: how long a `cosictl apply` of one SysctlConfig takes
 * to reach the OS and the status, with cosid running in this network
 * namespace (bench/peers.sh starts it):
 *
 *   cosid_apply_bench [-n RUNS] [-s SYSCTL] [-S SYSCTL_PROG] COSICTL
 *
 * Each run writes a manifest with a new value (alternating two values),
 * then times from the start of `COSICTL apply -f MANIFEST` until
 *  - /proc/sys shows the value: read every 100 us (procfs has no
 *    inotify), so the figure is late by up to ~100 us plus the sleep's
 *    overshoot;
 *  - the SysctlStatus (runtime namespace) reports it: a libcosi watch in
 *    a second thread stamps the event on arrival.
 * One run before the timed ones creates the config (not counted).
 *
 * The peer, in the same rounds: after each cosictl run, `SYSCTL_PROG -w
 * SYSCTL=VALUE` (procps' sysctl, default /usr/sbin/sysctl) of the same
 * key, timed the same way, from its start until /proc/sys shows the
 * value.  It writes two other values (alternating), so that every run of
 * either changes what /proc/sys holds (cosid does not watch /proc/sys:
 * the value sysctl left is the one its next write replaces).
 *
 * Prints RESULT 8 cosid apply_to_sysctl_p50|p99 and
 * apply_to_status_p50|p99, RESULT 8 sysctl apply_to_sysctl_p50|p99, in
 * ms, and cosictl's and sysctl's own run times as comments.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cosi.h"
#include "driver.h"

#define STATUS_TYPE	"SysctlStatuses.cosi.dev"
#define TIMEOUT_MS	30000

extern char **environ;

static const char *values[2] = { "1001", "1002" };
static const char *peer_values[2] = { "1003", "1004" };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *want;		/* under lock */
static double status_t;			/* under lock: 0 until seen */
static int stop, watch_err;
static const char *sysctl = "net.core.somaxconn";

static double now_ms(void)
{
	return peer_now_us() / 1e3;
}

static void on_event(struct cosi_event *ev, void *arg)
{
	const struct cosi_field *f = cosi_spec_get(&ev->res->spec, "value");
	double t = now_ms();

	(void)arg;
	pthread_mutex_lock(&lock);
	if (f && f->type == COSI_FIELD_TYPE_STRING && want &&
	    !strcmp(f->str, want) && !status_t)
		status_t = t;
	pthread_mutex_unlock(&lock);
	cosi_event_free(ev);
}

static void *watcher(void *arg)
{
	struct cosi *c = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		int err = cosi_watch_recv(c, 200, on_event, NULL);

		if (err < 0) {
			fprintf(stderr, "cosid_apply_bench: %s\n",
				cosi_strerror(c, "watch"));
			__atomic_store_n(&watch_err, 1, __ATOMIC_RELEASE);
			break;
		}
	}
	return NULL;
}

/* /proc/sys/<path> holds @v (ignoring the trailing newline). */
static bool proc_is(const char *path, const char *v)
{
	char buf[256];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return !strcmp(buf, v);
}

static int write_manifest(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "metadata:\n  namespace: config\n  type: SysctlConfigs.cosi.dev\n  id: %s\nspec:\n  value: \"%s\"\n",
		sysctl, v);
	return fclose(f);
}

/*
 * Run @argv and time, in ms from its start, until /proc/sys shows @v
 * (*@t_sys), the SysctlStatus reports it (*@t_status; NULL: not waited
 * for) and the program ended (*@t_ctl).
 */
static int run_timed(char **argv, const char *proc, const char *v,
		     double *t_sys, double *t_status, double *t_ctl)
{
	const struct timespec gap = { .tv_nsec = 100000 };
	posix_spawn_file_actions_t fa;
	double t0, t, unused = 1;
	pid_t pid;
	int st, err;

	if (!t_status)
		t_status = &unused;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	*t_sys = *t_ctl = 0;
	if (t_status != &unused)
		*t_status = 0;
	t0 = now_ms();
	err = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		fprintf(stderr, "cosid_apply_bench: %s: %s\n", argv[0],
			strerror(err));
		return -1;
	}
	while (!*t_sys || !*t_status || !*t_ctl) {
		t = now_ms();
		if (!*t_sys && proc_is(proc, v))
			*t_sys = t - t0;
		pthread_mutex_lock(&lock);
		if (status_t && t_status != &unused)
			*t_status = status_t - t0;
		pthread_mutex_unlock(&lock);
		if (!*t_ctl && waitpid(pid, &st, WNOHANG) == pid) {
			*t_ctl = t - t0;
			if (!WIFEXITED(st) || WEXITSTATUS(st)) {
				fprintf(stderr, "cosid_apply_bench: %s %s failed\n",
					argv[0], argv[1]);
				return -1;
			}
		}
		if (t - t0 > TIMEOUT_MS ||
		    __atomic_load_n(&watch_err, __ATOMIC_ACQUIRE)) {
			fprintf(stderr, "cosid_apply_bench: %s=%s: not applied in %d ms (sysctl %s, status %s)\n",
				sysctl, v, TIMEOUT_MS, *t_sys ? "yes" : "no",
				*t_status ? "yes" : "no");
			if (!*t_ctl)
				kill(pid, SIGKILL);
			return -1;
		}
		clock_nanosleep(CLOCK_MONOTONIC, 0, &gap, NULL);
	}
	return 0;
}

/* One apply; its times in ms from the start of cosictl. */
static int run(const char *ctl, const char *manifest, const char *proc,
	       const char *v, double *t_sys, double *t_status, double *t_ctl)
{
	char *argv[] = { (char *)ctl, "apply", "-f", (char *)manifest, NULL };

	if (write_manifest(manifest, v)) {
		fprintf(stderr, "cosid_apply_bench: %s: %s\n", manifest,
			strerror(errno));
		return -1;
	}
	pthread_mutex_lock(&lock);
	want = v;
	status_t = 0;
	pthread_mutex_unlock(&lock);
	return run_timed(argv, proc, v, t_sys, t_status, t_ctl);
}

/* The peer: `sysctl -w SYSCTL=@v`; its times in ms from its start. */
static int run_peer(const char *prog, const char *proc, const char *v,
		    double *t_sys, double *t_prog)
{
	char arg[512];
	char *argv[] = { (char *)prog, "-w", arg, NULL };

	snprintf(arg, sizeof(arg), "%s=%s", sysctl, v);
	return run_timed(argv, proc, v, t_sys, NULL, t_prog);
}

int main(int argc, char **argv)
{
	COSI_OPTS(cosi_watch_req, w, .ns = "runtime", .type = STATUS_TYPE);
	char dir[] = "/tmp/cosid_apply.XXXXXX", manifest[64], proc[256];
	double *ts, *tst, *tc, *ps, *pc, a, b, c;
	const char *peer = "/usr/sbin/sysctl";
	int i, opt, n = 30, ret = 1;
	struct cosi *h;
	pthread_t th;
	char *p;

	while ((opt = getopt(argc, argv, "n:s:S:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 's')
			sysctl = optarg;
		else if (opt == 'S')
			peer = optarg;
		else
			n = 0;
	}
	if (n < 1 || optind != argc - 1) {
		fprintf(stderr, "usage: cosid_apply_bench [-n RUNS] [-s SYSCTL] [-S SYSCTL_PROG] COSICTL\n");
		return 2;
	}
	snprintf(proc, sizeof(proc), "/proc/sys/%s", sysctl);
	for (p = proc + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	w.id = sysctl;
	ts = calloc(n, sizeof(*ts));
	tst = calloc(n, sizeof(*tst));
	tc = calloc(n, sizeof(*tc));
	ps = calloc(n, sizeof(*ps));
	pc = calloc(n, sizeof(*pc));
	h = cosi_open();
	if (!ts || !tst || !tc || !ps || !pc || !h || !mkdtemp(dir)) {
		fprintf(stderr, "cosid_apply_bench: %s\n", strerror(errno));
		return 1;
	}
	if (cosi_watch(h, &w, NULL, NULL, NULL, NULL)) {
		fprintf(stderr, "cosid_apply_bench: %s\n",
			cosi_strerror(h, "watch"));
		return 1;
	}
	snprintf(manifest, sizeof(manifest), "%s/sysctl.yaml", dir);
	if (pthread_create(&th, NULL, watcher, h))
		return 1;
	/* The untimed run sets values[1]: every timed run changes the value. */
	if (run(argv[optind], manifest, proc, values[1], &a, &b, &c))
		goto out;
	/* Interleaved: a cosictl apply, then sysctl -w, in every round. */
	for (i = 0; i < n; i++)
		if (run(argv[optind], manifest, proc, values[i % 2], &ts[i],
			&tst[i], &tc[i]) ||
		    run_peer(peer, proc, peer_values[i % 2], &ps[i], &pc[i]))
			goto out;
	printf("# cosid: %d applies of %s alternating %s/%s; cosictl apply ran %.2f ms (p50)\n",
	       n, sysctl, values[0], values[1], stats_pct(tc, n, 0.5));
	printf("# sysctl: %d runs of %s -w alternating %s/%s, interleaved; it ran %.2f ms (p50)\n",
	       n, peer, peer_values[0], peer_values[1], stats_pct(pc, n, 0.5));
	printf("RESULT 8 cosid apply_to_sysctl_p50 %.2f ms\n", stats_pct(ts, n, 0.5));
	printf("RESULT 8 cosid apply_to_sysctl_p99 %.2f ms\n", stats_pct(ts, n, 0.99));
	printf("RESULT 8 cosid apply_to_status_p50 %.2f ms\n", stats_pct(tst, n, 0.5));
	printf("RESULT 8 cosid apply_to_status_p99 %.2f ms\n", stats_pct(tst, n, 0.99));
	printf("RESULT 8 sysctl apply_to_sysctl_p50 %.2f ms\n", stats_pct(ps, n, 0.5));
	printf("RESULT 8 sysctl apply_to_sysctl_p99 %.2f ms\n", stats_pct(ps, n, 0.99));
	ret = 0;
out:
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	cosi_close(h);
	unlink(manifest);
	rmdir(dir);
	free(ts);
	free(tst);
	free(tc);
	free(ps);
	free(pc);
	return ret;
}
