// SPDX-License-Identifier: GPL-2.0
/*
 * Goal 5: memory.
 *
 * Per resource: the process moves into a memory cgroup (cgroup v2, CGROUP,
 * prepared by bench/run.sh) and creates N small resources (two short spec
 * fields, one label); cosi.ko allocates with GFP_KERNEL_ACCOUNT in the
 * requester's context, so memory.stat's slab (and kernel, the superset:
 * slab, vmalloc, percpu, ...) grow by what the store keeps.  /proc/meminfo
 * Slab is the machine-wide cross-check; routes get that one too, for
 * context (the FIB does not charge memory cgroups).
 *
 * Per queued event: a watch whose socket is never read, E updates; the
 * socket's receive memory (sk_rmem_alloc, as in /proc/net/netlink) over
 * E, against an RTNLGRP_IPV4_ROUTE socket and E route additions.  The
 * sockets are then drained to check that every event was queued.
 *
 * Env: N (default 100000), E (default 10000), CGROUP (default
 * /sys/fs/cgroup/bench).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>

#include "bench_util.h"

/* A field of a "key value" file (memory.stat) or "Key: value kB" one. */
static long long stat_field(const char *path, const char *key)
{
	size_t klen = strlen(key);
	long long v = -1;
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) ||
		    (line[klen] != ' ' && line[klen] != ':'))
			continue;
		v = strtoll(line + klen + 1, NULL, 10);
		if (strstr(line, " kB"))
			v *= 1024;
		break;
	}
	fclose(f);
	return v;
}

struct mem {
	long long slab, kernel, meminfo_slab;
};

static void mem_read(struct mem *m, const char *cg)
{
	char path[512];

	/* Let deferred frees (RCU) and hash table resizes settle. */
	sleep(2);
	snprintf(path, sizeof(path), "%s/memory.stat", cg);
	m->slab = stat_field(path, "slab");
	m->kernel = stat_field(path, "kernel");
	m->meminfo_slab = stat_field("/proc/meminfo", "Slab");
	if (m->slab < 0 || m->meminfo_slab < 0)
		die("no slab figure in %s or /proc/meminfo", path);
}

static void cgroup_join(const char *cg)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		die("%s: %s (bench/run.sh prepares it)", path, strerror(errno));
}

/* Read every queued datagram: events (of @type) and their bytes. */
static long drain(int fd, int type, long *bytes)
{
	static char buf[256 * 1024];
	struct nlmsghdr *nlh;
	long events = 0;
	ssize_t len;

	*bytes = 0;
	while ((len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type != type)
				continue;
			events++;
			*bytes += nlh->nlmsg_len;
		}
	}
	if (len < 0 && errno != EAGAIN)
		die("drain: %s", strerror(errno));
	return events;
}

static void update_all(struct cosi *c, struct nls *s, long e)
{
	struct nl_msg *m[64];
	long i, j, k;

	for (i = 0; i < e; i += k) {
		k = e - i < 64 ? e - i : 64;
		for (j = 0; j < k; j++)
			m[j] = bench_cosi_msg(c, COSI_CMD_RESOURCE_UPDATE,
					      BENCH_TYPE, 0, 2 + i + j);
		if (nls_batch(s, m, k))
			die("updates failed");
		for (j = 0; j < k; j++)
			nlmsg_free(m[j]);
	}
}

int main(void)
{
	long n = env_long("N", 100000), e = env_long("E", 10000), got, bytes;
	const char *cg = getenv("CGROUP") ?: "/sys/fs/cgroup/bench";
	COSI_OPTS(cosi_watch_req, wr, .ns = BENCH_NS, .type = BENCH_TYPE,
		  .id = "r0");
	int big = 512 * 1024 * 1024, ifindex;
	struct mem a, b, ra, rb;
	struct nls gs, rs, lr;
	struct cosi *c, *watch;

	bench_init("memory");
	bench_netns();
	c = bench_cosi_open();
	nls_open(&gs, NETLINK_GENERIC, 0);
	nls_open(&rs, NETLINK_ROUTE, 0);
	ifindex = rt_dummy_add(&rs, "bench0");
	/* The collection and the first route exist before measuring. */
	bench_cosi_fill(c, &gs, BENCH_TYPE, 0, 1, 1);
	rt_fill(&rs, ifindex, 0, 1, 1);

	cgroup_join(cg);
	mem_read(&a, cg);
	bench_cosi_fill(c, &gs, BENCH_TYPE, 1, n, 256);
	mem_read(&b, cg);
	result(5, "cosi", "slab_per_res", (double)(b.slab - a.slab) / n, "B");
	if (a.kernel >= 0)
		result(5, "cosi", "kernel_per_res",
		       (double)(b.kernel - a.kernel) / n, "B");
	result(5, "cosi", "meminfo_slab_per_res",
	       (double)(b.meminfo_slab - a.meminfo_slab) / n, "B");
	result(5, "cosi", "mem_resources", n, "count");

	mem_read(&ra, cg);
	rt_fill(&rs, ifindex, 1, n, 256);
	mem_read(&rb, cg);
	result(5, "rtnetlink", "meminfo_slab_per_route",
	       (double)(rb.meminfo_slab - ra.meminfo_slab) / n, "B");

	/* Queued events. */
	watch = cosi_open();
	if (!watch ||
	    setsockopt(cosi_fd(watch), SOL_SOCKET, SO_RCVBUFFORCE, &big,
		       sizeof(big)) ||
	    cosi_watch(watch, &wr, NULL, NULL, NULL, NULL))
		die_cosi(watch, "watch");
	update_all(c, &gs, e);
	result(5, "cosi", "event_rmem", (double)nls_rmem(cosi_fd(watch)) / e,
	       "B");
	got = drain(cosi_fd(watch), cosi_family(watch), &bytes);
	if (got != e)
		die("the watch received %ld of %ld events", got, e);
	result(5, "cosi", "event_msg", (double)bytes / e, "B");

	nls_open(&lr, NETLINK_ROUTE, big);
	nls_join(&lr, RTNLGRP_IPV4_ROUTE);
	rt_fill(&rs, ifindex, n + 1, e, 64);
	result(5, "rtnetlink", "event_rmem", (double)nls_rmem(lr.fd) / e, "B");
	got = drain(lr.fd, RTM_NEWROUTE, &bytes);
	if (got != e)
		die("the route listener received %ld of %ld events", got, e);
	result(5, "rtnetlink", "event_msg", (double)bytes / e, "B");

	cosi_close(watch);
	nls_close(&lr);
	nls_close(&gs);
	nls_close(&rs);
	cosi_close(c);
	return 0;
}
