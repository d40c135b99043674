// SPDX-License-Identifier: GPL-2.0
/*
 * cosi-apiserver: serve cosi's store with the Kubernetes API conventions
 * over HTTPS (libmicrohttpd with GnuTLS), for kubectl.
 *
 *   cosi-apiserver --listen ADDR:PORT --tls-cert FILE --tls-key FILE
 *                  [--client-ca FILE] [--token-file FILE]
 *                  [--namespace NS]... [--max-connections N]
 *                  [--max-per-ip N] [--timeout S] [--watch-max S]
 *                  [--watch-rcvbuf BYTES]
 *
 * TLS is required; clients authenticate with a certificate the client CA
 * signed or a bearer token (auth.c).  Runs until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "apiserver/apiserver.h"
#include "common/manifest.h"

#define DEF_MAX_CONNS	64
#define DEF_MAX_PER_IP	16
#define DEF_TIMEOUT_S	60
#define DEF_WATCH_MAX_S	1800
/* Headers and the connection's buffers: a request's whole footprint. */
#define CONN_MEMORY	(64 * 1024)
#define THREAD_STACK	(512 * 1024)

static void usage(FILE *f)
{
	fprintf(f,
"usage: cosi-apiserver --listen ADDR:PORT --tls-cert FILE --tls-key FILE\n"
"                      [--client-ca FILE] [--token-file FILE]\n"
"                      [--namespace NS]... [--max-connections N]\n"
"                      [--max-per-ip N] [--timeout SECONDS]\n"
"                      [--watch-max SECONDS] [--watch-rcvbuf BYTES]\n"
"Serves cosi's store with the Kubernetes API conventions (kubectl get,\n"
"-o yaml/json, -l, -w).  Clients authenticate with a certificate signed by\n"
"--client-ca (O=cosi:operator or O=cosi:read-only) or a bearer token from\n"
"--token-file (\"token,role[,user]\" lines).  --namespace adds a namespace\n"
"to those an all-namespaces request (kubectl -A) reads, besides every\n"
"definition's default namespace.\n");
}

static int num(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *end || !*s || *out < min || *out > max) {
		fprintf(stderr, "cosi-apiserver: %s: expected a number from %ld to %ld, got \"%s\"\n",
			opt, min, max, s);
		return -1;
	}
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT" resolved into @ss. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			socklen_t *len)
{
	struct addrinfo hints = {
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
		.ai_socktype = SOCK_STREAM,
	}, *ai;
	char host[256];
	const char *port = strrchr(s, ':');
	size_t n;
	int err;

	if (!port || port == s || !port[1] || (size_t)(port - s) >= sizeof(host))
		goto bad;
	n = (size_t)(port - s);
	memcpy(host, s, n);
	host[n] = 0;
	if (host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = 0;
	}
	err = getaddrinfo(host, port + 1, &hints, &ai);
	if (err) {
		fprintf(stderr, "cosi-apiserver: --listen %s: %s\n", s,
			gai_strerror(err));
		return -1;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	fprintf(stderr, "cosi-apiserver: --listen: expected ADDR:PORT (an address, not a name), got \"%s\"\n",
		s);
	return -1;
}

static char *load(const char *opt, const char *path)
{
	char msg[512], *buf = NULL;
	size_t len;

	if (cosi_read_file(path, &buf, &len, msg, sizeof(msg))) {
		fprintf(stderr, "cosi-apiserver: %s: %s\n", opt, msg);
		return NULL;
	}
	return buf;
}

/* Paths and arguments are unescaped by serve.c, segment by segment. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

static void log_error(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("cosi-apiserver: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "client-ca", required_argument, NULL, 'a' },
		{ "token-file", required_argument, NULL, 't' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "max-per-ip", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "watch-max", required_argument, NULL, 'W' },
		{ "watch-rcvbuf", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct api_server srv = { .tls = true, .watch_max_s = DEF_WATCH_MAX_S };
	const char *listen = NULL, *cert_path = NULL, *key_path = NULL;
	const char *ca_path = NULL, *token_path = NULL;
	long max_conns = DEF_MAX_CONNS, per_ip = DEF_MAX_PER_IP;
	long timeout = DEF_TIMEOUT_S, v;
	char *cert = NULL, *key = NULL, *ca = NULL, **ns;
	struct sockaddr_storage ss;
	struct MHD_Daemon *d;
	unsigned int flags;
	socklen_t sslen;
	char msg[512];
	sigset_t set;
	int o, sig, rc = 1;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			listen = optarg;
			break;
		case 'c':
			cert_path = optarg;
			break;
		case 'k':
			key_path = optarg;
			break;
		case 'a':
			ca_path = optarg;
			break;
		case 't':
			token_path = optarg;
			break;
		case 'n':
			ns = realloc(srv.extra_ns,
				     (srv.n_extra_ns + 1) * sizeof(*ns));
			if (!ns)
				return 1;
			srv.extra_ns = ns;
			ns[srv.n_extra_ns++] = optarg;
			break;
		case 'm':
			if (num("--max-connections", optarg, 1, 10000, &max_conns))
				return 2;
			break;
		case 'p':
			if (num("--max-per-ip", optarg, 1, 10000, &per_ip))
				return 2;
			break;
		case 'T':
			if (num("--timeout", optarg, 1, 86400, &timeout))
				return 2;
			break;
		case 'W':
			if (num("--watch-max", optarg, 1, 86400, &v))
				return 2;
			srv.watch_max_s = (unsigned int)v;
			break;
		case 'R':
			if (num("--watch-rcvbuf", optarg, 1024, INT_MAX, &v))
				return 2;
			srv.watch_rcvbuf = (int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !listen || !cert_path || !key_path) {
		fprintf(stderr, "cosi-apiserver: %s\n", optind != argc ?
			"unexpected arguments" :
			"--listen, --tls-cert and --tls-key are required (TLS only)");
		usage(stderr);
		return 2;
	}
	if (!ca_path && !token_path) {
		fprintf(stderr, "cosi-apiserver: no way to authenticate: give --client-ca, --token-file or both\n");
		return 2;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "cosi-apiserver: libmicrohttpd was built without TLS\n");
		return 1;
	}
	if (parse_listen(listen, &ss, &sslen))
		return 2;
	cert = load("--tls-cert", cert_path);
	key = load("--tls-key", key_path);
	ca = ca_path ? load("--client-ca", ca_path) : NULL;
	if (!cert || !key || (ca_path && !ca))
		goto out;
	srv.timeout_s = (unsigned int)timeout;
	if (token_path && api_tokens_load(&srv, token_path, msg, sizeof(msg))) {
		fprintf(stderr, "cosi-apiserver: --token-file: %s\n", msg);
		goto out;
	}
	/* The connection threads inherit the mask: signals come here. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
		MHD_USE_POLL | MHD_USE_TLS | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(flags, 0, NULL, NULL, api_handle, &srv,
		MHD_OPTION_EXTERNAL_LOGGER, log_error, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_HTTPS_MEM_CERT, cert,
		MHD_OPTION_HTTPS_MEM_KEY, key,
		/* As Kubernetes' apiserver: TLS 1.2 and 1.3 only. */
		MHD_OPTION_HTTPS_PRIORITIES,
		"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)max_conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK,
		MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
		/* Last: without a CA, the list ends here. */
		ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, ca,
		MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "cosi-apiserver: cannot serve on %s (address in use, or a bad certificate or key?)\n",
			listen);
		goto out;
	}
	fprintf(stderr, "cosi-apiserver: serving https://%s (%s%s%s)\n", listen,
		ca ? "client certificates" : "", ca && srv.n_tokens ? ", " : "",
		srv.n_tokens ? "bearer tokens" : "");
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	atomic_store(&srv.stopping, true);
	MHD_stop_daemon(d);
	rc = 0;
out:
	free(cert);
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
	free(ca);
	free(srv.extra_ns);
	api_tokens_free(&srv);
	return rc;
}
