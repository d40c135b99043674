// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-portfilter: drop traffic to the ports listed as PortFilters
 * resources (examples/portfilters.yaml), read by a TC program through
 * cosi.ko's kfuncs at each packet.  Manage the list with cosictl.
 *
 *   cosi-portfilter [--namespace NS] [--egress] [--duration S] DEV
 *
 * Runs until SIGINT/SIGTERM (or S seconds), then detaches and prints
 * "dropped N errors N".
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tool.h"
#include "cosi_portfilter.skel.h"

static unsigned long long sum(int fd, __u32 key)
{
	int n = libbpf_num_possible_cpus();
	unsigned long long total = 0;
	__u64 *v;
	int i;

	if (n <= 0)
		return 0;
	v = calloc(n, sizeof(*v));
	if (v && !bpf_map_lookup_elem(fd, &key, v))
		for (i = 0; i < n; i++)
			total += v[i];
	free(v);
	return total;
}

static void usage(void)
{
	fprintf(stderr, "usage: cosi-portfilter [--namespace NS] [--egress] [--duration S] DEV\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "namespace", required_argument, NULL, 'n' },
		{ "egress", no_argument, NULL, 'e' },
		{ "duration", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc);
	struct cosi_portfilter_bpf *skel;
	const char *ns = "default";
	double duration = 0, start;
	int c, err, fd;

	while ((c = getopt_long(argc, argv, "n:ed:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'e':
			hook.attach_point = BPF_TC_EGRESS;
			break;
		case 'd':
			duration = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	hook.ifindex = if_nametoindex(argv[optind]);
	if (!hook.ifindex) {
		fprintf(stderr, "cosi-portfilter: %s: %s\n", argv[optind],
			strerror(errno));
		return 1;
	}
	if (!*ns || strlen(ns) >= sizeof(skel->rodata->cosi_ns)) {
		fprintf(stderr, "cosi-portfilter: bad namespace\n");
		return 1;
	}

	skel = cosi_portfilter_bpf__open();
	if (!skel) {
		fprintf(stderr, "cosi-portfilter: open: %s\n", strerror(errno));
		return 1;
	}
	memset((char *)skel->rodata->cosi_ns, 0, sizeof(skel->rodata->cosi_ns));
	memcpy((char *)skel->rodata->cosi_ns, ns, strlen(ns));
	err = cosi_portfilter_bpf__load(skel);
	if (err) {
		fprintf(stderr, "cosi-portfilter: load: %s (is cosi.ko loaded, with BTF?)\n",
			strerror(-err));
		goto out;
	}
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		fprintf(stderr, "cosi-portfilter: tc hook: %s\n", strerror(-err));
		goto out;
	}
	tc.prog_fd = bpf_program__fd(skel->progs.portfilter);
	err = bpf_tc_attach(&hook, &tc);
	if (err) {
		fprintf(stderr, "cosi-portfilter: tc attach: %s\n", strerror(-err));
		goto out;
	}
	printf("attached\n");
	fflush(stdout);

	tool_catch_signals();
	start = tool_now();
	while (!tool_stop && (!duration || tool_now() - start < duration))
		usleep(100000);

	tc.prog_fd = tc.prog_id = tc.flags = 0;
	bpf_tc_detach(&hook, &tc);
	fd = bpf_map__fd(skel->maps.counters);
	printf("dropped %llu errors %llu\n", sum(fd, 0), sum(fd, 1));
out:
	cosi_portfilter_bpf__destroy(skel);
	return err ? 1 : 0;
}
