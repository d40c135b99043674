// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd client (daemon/common/etcd.[ch]) against real etcd 3.4 on the
 * build host: a 3-member cluster on loopback (random free ports, a temp
 * dir) and a single member with auth enabled, both started once by main()
 * and shared by the tests (each uses its own key prefix).  Also a fake
 * gateway for replies etcd would not send.  Run under ASan/UBSan.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "kselftest_harness.h"
#include "run_ctl.h"

#include "common/etcd.h"
#include "common/etcd_internal.h"
#include "cosictl/fleet.h"
/* fleet.c's test (cosid.h clashes with cosictl's headers). */
bool cosid_fleet_rev_back(int64_t seen, int64_t hdr_rev);

#define MEMBERS		3

/* A cluster; in shared memory, so a test may restart a member. */
struct cluster {
	char dir[64];
	int n;
	int client_port[MEMBERS], peer_port[MEMBERS];
	pid_t pid[MEMBERS];
	char extra[512];	/* more etcd flags */
	const char *scheme;	/* of the client URLs: http or https */
	/* TLS: the CA, and a client certificate and key it signed */
	char ca[96], cert[96], key[96];
	char endpoints[256];	/* all members, member 0 first */
};

static struct cluster *main_c, *auth_c, *tls_c, *jwt_c, *prog_c;
static pid_t main_pid;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void endpoint(const struct cluster *c, int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s://127.0.0.1:%d", c->scheme, c->client_port[i]);
}

static pid_t member_start(struct cluster *c, int i)
{
	char name[16], data[128], log[128], curl[64], purl[64];
	char initial[512] = "", flags[512];
	pid_t pid;
	int j, fd;

	for (j = 0; j < c->n; j++)
		snprintf(initial + strlen(initial),
			 sizeof(initial) - strlen(initial),
			 "%sm%d=http://127.0.0.1:%d", j ? "," : "", j,
			 c->peer_port[j]);
	snprintf(name, sizeof(name), "m%d", i);
	snprintf(data, sizeof(data), "%s/m%d", c->dir, i);
	snprintf(log, sizeof(log), "%s/m%d.log", c->dir, i);
	endpoint(c, i, curl, sizeof(curl));
	snprintf(purl, sizeof(purl), "http://127.0.0.1:%d", c->peer_port[i]);
	snprintf(flags, sizeof(flags), "%s", c->extra);
	pid = fork();
	if (pid)
		return pid;
	/*
	 * Members of main() die with it, however it ends; one a test
	 * restarts outlives the test's process, main() kills it by pid.
	 */
	if (getppid() == main_pid)
		prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	{
		char *argv[40] = {
			"etcd", "--name", name, "--data-dir", data,
			"--listen-client-urls", curl,
			"--advertise-client-urls", curl,
			"--listen-peer-urls", purl,
			"--initial-advertise-peer-urls", purl,
			"--initial-cluster", initial,
			"--initial-cluster-token", c->dir,
			"--initial-cluster-state", "new", "--logger", "zap",
			"--heartbeat-interval", "50",
			"--election-timeout", "500",
		};
		char *tok, *save = NULL;
		int k = 0;

		while (argv[k])
			k++;
		for (tok = strtok_r(flags, " ", &save); tok && k < 39;
		     tok = strtok_r(NULL, " ", &save))
			argv[k++] = tok;
		execvp("etcd", argv);
	}
	_exit(127);
}

/* A client of @eps; the test fails (NULL) if it cannot be made. */
static struct etcd *client_opts(struct etcd_opts *o)
{
	char msg[ETCD_MSG_LEN];
	struct etcd *e;

	if (etcd_new(&e, NULL, o, msg, sizeof(msg))) {
		fprintf(stderr, "etcd_new: %s\n", msg);
		return NULL;
	}
	return e;
}

static struct etcd *client(const char *eps)
{
	struct etcd_opts o = { .endpoints = eps };

	return client_opts(&o);
}

static int put(struct etcd *e, const char *key, const char *val,
	       int64_t lease, struct etcd_reply *rep, char *msg)
{
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_PUT, .key = key, .value = val,
			.value_len = strlen(val), .lease = lease },
	};
	struct etcd_reply tmp;
	char m[ETCD_MSG_LEN];
	int err = etcd_call(e, &r, rep ?: &tmp, msg ?: m, ETCD_MSG_LEN);

	if (!rep && !err)
		etcd_reply_free(&tmp);
	return err;
}

static int get(struct etcd *e, const struct etcd_op *op,
	       struct etcd_reply *rep, char *msg)
{
	struct etcd_request r = { .type = ETCD_REQ_KV, .op = *op };

	return etcd_call(e, &r, rep, msg, ETCD_MSG_LEN);
}

/* Wait for member @i to answer a range. */
/*
 * The member that leads (-1: unknown), from etcdctl.  Killing the leader
 * leaves writes in flight waiting for etcd's own request timeout, which
 * is not what the failover test is about.
 */
static int leader(struct cluster *c)
{
	char cmd[512], buf[8192];
	json_object *j, *st, *x;
	size_t n;
	int i, ret = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "ETCDCTL_API=3 etcdctl --endpoints=%s endpoint status -w json 2>/dev/null",
		 c->endpoints);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	pclose(f);
	j = json_tokener_parse(buf);
	for (i = 0; j && i < (int)json_object_array_length(j); i++) {
		json_object *o = json_object_array_get_idx(j, i), *h;

		if (json_object_object_get_ex(o, "Status", &st) &&
		    json_object_object_get_ex(st, "header", &h) &&
		    json_object_object_get_ex(h, "member_id", &x) &&
		    json_object_object_get_ex(st, "leader", &st) &&
		    json_object_get_uint64(x) == json_object_get_uint64(st))
			ret = i;
	}
	json_object_put(j);
	return ret;
}

static int member_ready(struct cluster *c, int i)
{
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = "health" };
	struct etcd_opts o = { .timeout_usec = 500000, .ca_file = c->ca,
			       .cert_file = c->cert, .key_file = c->key };
	char ep[64], msg[ETCD_MSG_LEN];
	struct etcd_reply rep;
	uint64_t end = now_us() + 20000000;
	struct etcd *e;
	int err = -ETIMEDOUT;

	endpoint(c, i, ep, sizeof(ep));
	o.endpoints = ep;
	if (!c->ca[0])
		o.ca_file = o.cert_file = o.key_file = NULL;
	e = client_opts(&o);
	if (!e)
		return -ENOMEM;
	while (now_us() < end) {
		err = get(e, &op, &rep, msg);
		if (!err || err == -EACCES) {	/* auth: up, but wants a user */
			if (!err)
				etcd_reply_free(&rep);
			err = 0;
			break;
		}
		usleep(50000);
	}
	etcd_free(e);
	return err;
}

static void cluster_stop(struct cluster *c);

/*
 * A CA and, signed by it, a server certificate for 127.0.0.1 and a
 * client certificate, in @c's directory (openssl, EC keys: fast).
 */
static int make_certs(struct cluster *c)
{
	char cmd[2048];

	snprintf(c->ca, sizeof(c->ca), "%s/ca.pem", c->dir);
	snprintf(c->cert, sizeof(c->cert), "%s/client.pem", c->dir);
	snprintf(c->key, sizeof(c->key), "%s/client.key", c->dir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && exec >certs.log 2>&1 && "
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout ca.key -out ca.pem -days 1 -subj /CN=test-ca && "
		 "for n in server client; do "
		 "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout $n.key -out $n.csr -subj /CN=$n && "
		 "printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' >$n.ext && "
		 "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key "
		 "-CAcreateserial -days 1 -extfile $n.ext -out $n.pem || exit 1; done",
		 c->dir);
	if (system(cmd))
		return -1;
	snprintf(c->extra, sizeof(c->extra),
		 "--cert-file %s/server.pem --key-file %s/server.key "
		 "--client-cert-auth --trusted-ca-file %s", c->dir, c->dir,
		 c->ca);
	return 0;
}

static struct cluster *cluster_start(int n, const char *extra)
{
	struct cluster *c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int i;

	if (c == MAP_FAILED)
		return NULL;
	memset(c, 0, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/tmp/etcd_host.XXXXXX");
	if (!mkdtemp(c->dir))
		return NULL;
	c->n = n;
	c->scheme = "http";
	snprintf(c->extra, sizeof(c->extra), "%s", extra);
	if (!strcmp(extra, "jwt")) {
		char cmd[512];

		/* JWT tokens signed with an EC key made here. */
		snprintf(cmd, sizeof(cmd),
			 "cd '%s' && openssl ecparam -genkey -name prime256v1 -noout -out jwt.key 2>/dev/null && "
			 "openssl ec -in jwt.key -pubout -out jwt.pub 2>/dev/null",
			 c->dir);
		snprintf(c->extra, sizeof(c->extra),
			 "--auth-token jwt,pub-key=%s/jwt.pub,priv-key=%s/jwt.key,sign-method=ES256",
			 c->dir, c->dir);
		if (system(cmd)) {
			fprintf(stderr, "cannot make a JWT key in %s\n",
				c->dir);
			cluster_stop(c);
			return NULL;
		}
	}
	if (!strcmp(extra, "tls")) {
		c->scheme = "https";
		if (make_certs(c)) {
			fprintf(stderr, "cannot make certificates in %s\n",
				c->dir);
			cluster_stop(c);
			return NULL;
		}
	}
	for (i = 0; i < n; i++) {
		c->client_port[i] = free_port();
		c->peer_port[i] = free_port();
		snprintf(c->endpoints + strlen(c->endpoints),
			 sizeof(c->endpoints) - strlen(c->endpoints),
			 "%s%s://127.0.0.1:%d", i ? "," : "", c->scheme,
			 c->client_port[i]);
	}
	for (i = 0; i < n; i++)
		c->pid[i] = member_start(c, i);
	for (i = 0; i < n; i++)
		if (member_ready(c, i)) {
			fprintf(stderr, "etcd member %d of %s did not start\n",
				i, c->dir);
			cluster_stop(c);
			return NULL;
		}
	return c;
}

static void cluster_stop(struct cluster *c)
{
	char cmd[128];
	int i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		if (c->pid[i] <= 0)
			continue;
		kill(c->pid[i], SIGCONT);
		kill(c->pid[i], SIGKILL);
		waitpid(c->pid[i], NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", c->dir);
}

static int etcdctl(struct cluster *c, const char *user, const char *args)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "ETCDCTL_API=3 etcdctl --endpoints=%s %s%s %s >/dev/null",
		 c->endpoints, user ? "--user=" : "", user ?: "", args);
	return system(cmd);
}

TEST(put_range_prefix_revisions)
{
	struct etcd *e = client(main_c->endpoints);
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = "/t1/a" };
	char msg[ETCD_MSG_LEN], bin[5] = { 'x', 0, 'y', (char)0xff, 0 };
	struct etcd_reply r, r2;
	struct etcd_request rq = { .type = ETCD_REQ_KV };
	int64_t rev1;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t1/a", "1", 0, &r, msg)) TH_LOG("%s", msg);
	rev1 = r.hdr.revision;
	EXPECT_NE(0, r.hdr.cluster_id);
	EXPECT_LT(0, rev1);
	etcd_reply_free(&r);
	ASSERT_EQ(0, put(e, "/t1/b", "2", 0, NULL, msg));
	ASSERT_EQ(0, put(e, "/t1c", "outside", 0, NULL, msg));
	/* A second put: new mod_revision and version, same create. */
	ASSERT_EQ(0, put(e, "/t1/a", "3", 0, NULL, msg));

	ASSERT_EQ(0, get(e, &op, &r, msg)) TH_LOG("%s", msg);
	ASSERT_EQ(1, r.n_kvs);
	EXPECT_STREQ("/t1/a", r.kvs[0].key);
	EXPECT_STREQ("3", r.kvs[0].value);
	EXPECT_EQ(rev1, r.kvs[0].create_revision);
	EXPECT_EQ(rev1 + 3, r.kvs[0].mod_revision);
	EXPECT_EQ(2, r.kvs[0].version);
	EXPECT_EQ(rev1 + 3, r.hdr.revision);
	etcd_reply_free(&r);

	/* As of the first revision. */
	op.revision = rev1;
	ASSERT_EQ(0, get(e, &op, &r, msg)) TH_LOG("%s", msg);
	ASSERT_EQ(1, r.n_kvs);
	EXPECT_STREQ("1", r.kvs[0].value);
	EXPECT_EQ(1, r.kvs[0].version);
	etcd_reply_free(&r);

	/* The prefix "/t1/" holds a and b, not /t1c. */
	op = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = "/t1/",
			       .prefix = true };
	ASSERT_EQ(0, get(e, &op, &r, msg));
	ASSERT_EQ(2, r.n_kvs);
	EXPECT_EQ(2, r.count);
	EXPECT_STREQ("/t1/a", r.kvs[0].key);
	EXPECT_STREQ("/t1/b", r.kvs[1].key);
	EXPECT_STREQ("2", r.kvs[1].value);
	etcd_reply_free(&r);
	op.limit = 1;
	ASSERT_EQ(0, get(e, &op, &r, msg));
	EXPECT_EQ(1, r.n_kvs);
	EXPECT_TRUE(r.more);
	etcd_reply_free(&r);
	/* The next page: from the last key and a NUL, to the prefix's end. */
	op.from = "/t1/a";
	op.from_len = sizeof("/t1/a");
	ASSERT_EQ(0, get(e, &op, &r, msg));
	ASSERT_EQ(1, r.n_kvs);
	EXPECT_STREQ("/t1/b", r.kvs[0].key);
	EXPECT_FALSE(r.more);
	etcd_reply_free(&r);
	op.from = "/t1/b";
	op.from_len = sizeof("/t1/b");
	ASSERT_EQ(0, get(e, &op, &r, msg));
	EXPECT_EQ(0, r.n_kvs);		/* not /t1c: the prefix's end */
	etcd_reply_free(&r);
	op.from = NULL;
	op.limit = 0;
	op.keys_only = true;
	ASSERT_EQ(0, get(e, &op, &r, msg));
	ASSERT_EQ(2, r.n_kvs);
	EXPECT_EQ(0, r.kvs[0].value_len);
	etcd_reply_free(&r);
	op.keys_only = false;
	op.count_only = true;
	ASSERT_EQ(0, get(e, &op, &r, msg));
	EXPECT_EQ(0, r.n_kvs);
	EXPECT_EQ(2, r.count);
	etcd_reply_free(&r);

	/* Values are bytes. */
	rq.op = (struct etcd_op){ .type = ETCD_OP_PUT, .key = "/t1/bin",
				  .value = bin, .value_len = sizeof(bin) };
	ASSERT_EQ(0, etcd_call(e, &rq, &r, msg, sizeof(msg)));
	etcd_reply_free(&r);
	op = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = "/t1/bin" };
	ASSERT_EQ(0, get(e, &op, &r, msg));
	ASSERT_EQ(1, r.n_kvs);
	ASSERT_EQ(sizeof(bin), r.kvs[0].value_len);
	EXPECT_EQ(0, memcmp(bin, r.kvs[0].value, sizeof(bin)));
	etcd_reply_free(&r);

	/* Delete the prefix: the previous kvs come back. */
	rq.op = (struct etcd_op){ .type = ETCD_OP_DELETE, .key = "/t1/",
				  .prefix = true, .prev_kv = true };
	ASSERT_EQ(0, etcd_call(e, &rq, &r2, msg, sizeof(msg)));
	EXPECT_EQ(3, r2.count);
	EXPECT_EQ(3, r2.n_kvs);
	etcd_reply_free(&r2);
	op = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = "/t1",
			       .prefix = true };
	ASSERT_EQ(0, get(e, &op, &r, msg));
	ASSERT_EQ(1, r.n_kvs);
	EXPECT_STREQ("/t1c", r.kvs[0].key);
	etcd_reply_free(&r);
	etcd_free(e);
}

TEST(txn_compare_mod_revision)
{
	struct etcd *e = client(main_c->endpoints);
	char msg[ETCD_MSG_LEN];
	struct etcd_reply r;
	int64_t mod;
	struct etcd_cmp cmp = { .key = "/t2/k", .target = ETCD_CMP_MOD,
				.result = ETCD_CMP_EQUAL };
	struct etcd_op ok = { .type = ETCD_OP_PUT, .key = "/t2/k",
			      .value = "new", .value_len = 3 };
	struct etcd_op fail = { .type = ETCD_OP_RANGE, .key = "/t2/k" };
	struct etcd_request rq = {
		.type = ETCD_REQ_TXN,
		.txn = { .cmp = &cmp, .n_cmp = 1, .success = &ok,
			 .n_success = 1, .failure = &fail, .n_failure = 1 },
	};

	ASSERT_NE(NULL, e);
	/* Create only if absent: create_revision == 0. */
	cmp.target = ETCD_CMP_CREATE;
	ok.value = "first";
	ok.value_len = 5;
	ASSERT_EQ(0, etcd_call(e, &rq, &r, msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_TRUE(r.succeeded);
	ASSERT_EQ(1, r.n_responses);
	mod = r.hdr.revision;
	etcd_reply_free(&r);
	ASSERT_EQ(0, etcd_call(e, &rq, &r, msg, sizeof(msg)));
	EXPECT_FALSE(r.succeeded);	/* exists now */
	etcd_reply_free(&r);

	/* Compare-and-swap on mod_revision. */
	cmp.target = ETCD_CMP_MOD;
	cmp.value = mod;
	ok.value = "new";
	ok.value_len = 3;
	ASSERT_EQ(0, etcd_call(e, &rq, &r, msg, sizeof(msg)));
	EXPECT_TRUE(r.succeeded);
	etcd_reply_free(&r);
	/* The same revision again: a conflict; failure ops run. */
	ASSERT_EQ(0, etcd_call(e, &rq, &r, msg, sizeof(msg)));
	EXPECT_FALSE(r.succeeded);
	ASSERT_EQ(1, r.n_responses);
	ASSERT_EQ(1, r.responses[0].n_kvs);
	EXPECT_STREQ("new", r.responses[0].kvs[0].value);
	EXPECT_EQ(mod + 1, r.responses[0].kvs[0].mod_revision);
	etcd_reply_free(&r);
	/* version compare */
	cmp.target = ETCD_CMP_VERSION;
	cmp.value = 2;
	ok.value = "v3";
	ok.value_len = 2;
	ASSERT_EQ(0, etcd_call(e, &rq, &r, msg, sizeof(msg)));
	EXPECT_TRUE(r.succeeded);
	etcd_reply_free(&r);
	etcd_free(e);
}

struct watch_log {
	int created, msgs, ended, err;
	char msg[ETCD_MSG_LEN];		/* of the end */
	int64_t compact;
	bool canceled;
	char reason[64];		/* a cancel's */
	int progress;			/* progress notifications */
	int64_t progress_rev;		/* ... the last one's revision */
	size_t progress_watcher;	/* ... and watcher */
	struct {
		enum etcd_event_type type;
		char key[32], val[32], prev[32];
		bool has_prev;
		int64_t mod;
		size_t watcher;
	} ev[16];
	int n;
};

static void on_watch(struct etcd_watch *w, int err, const char *msg,
		     const struct etcd_watch_msg *m, void *arg)
{
	struct watch_log *l = arg;
	size_t i;

	(void)w;
	if (err) {
		l->ended++;
		l->err = err;
		snprintf(l->msg, sizeof(l->msg), "%s", msg);
		fprintf(stderr, "# watch ended: %s\n", msg);
		return;
	}
	l->msgs++;
	l->created += m->created;
	l->canceled |= m->canceled;
	if (m->cancel_reason)
		snprintf(l->reason, sizeof(l->reason), "%s", m->cancel_reason);
	if (m->compact_revision)
		l->compact = m->compact_revision;
	if (!m->n_events && !m->created && !m->canceled) {
		l->progress++;
		l->progress_rev = m->hdr.revision;
		l->progress_watcher = m->watcher;
	}
	for (i = 0; i < m->n_events && l->n < 16; i++, l->n++) {
		const struct etcd_event *ev = &m->events[i];

		l->ev[l->n].type = ev->type;
		snprintf(l->ev[l->n].key, 32, "%s", ev->kv.key);
		snprintf(l->ev[l->n].val, 32, "%s", ev->kv.value);
		l->ev[l->n].has_prev = ev->has_prev;
		if (ev->has_prev)
			snprintf(l->ev[l->n].prev, 32, "%s", ev->prev_kv.value);
		l->ev[l->n].mod = ev->kv.mod_revision;
		l->ev[l->n].watcher = m->watcher;
	}
}

static bool has_event(const struct watch_log *l, const char *key)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->ev[i].key, key))
			return true;
	return false;
}

static void on_put_ignored(struct etcd_req *rq, int err, const char *msg,
			   const struct etcd_reply *rep, void *arg)
{
	(void)rq;
	(void)rep;
	(void)arg;
	if (err)
		fprintf(stderr, "# put: %s\n", msg);
}

/* Run @e's loop until @cond or @usec pass. */
#define RUN_UNTIL(e, cond, usec) do {					\
	uint64_t _end = now_us() + (usec);				\
	while (!(cond) && now_us() < _end)				\
		etcd_run_once(e, 100000);				\
} while (0)

TEST(watch_from_revision_prev_kv)
{
	struct etcd *e = client(main_c->endpoints);
	struct etcd_watch_opts wo = { .key = "/t3/", .prefix = true,
				      .prev_kv = true };
	struct etcd_request del = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_DELETE, .key = "/t3/a" },
	};
	struct watch_log l = { 0 };
	struct etcd_watch *w;
	struct etcd_reply r;
	char msg[ETCD_MSG_LEN];
	int64_t r1;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t3/a", "v1", 0, &r, msg));
	r1 = r.hdr.revision;
	etcd_reply_free(&r);
	ASSERT_EQ(0, put(e, "/t3/a", "v2", 0, NULL, msg));
	ASSERT_EQ(0, etcd_call(e, &del, &r, msg, sizeof(msg)));
	etcd_reply_free(&r);
	ASSERT_EQ(0, put(e, "/t3x", "outside", 0, NULL, msg));

	/* From r1 + 1: the second put and the delete, not the first put. */
	wo.start_revision = r1 + 1;
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.n >= 2 || l.ended, 5000000);
	ASSERT_EQ(0, l.ended);
	EXPECT_EQ(1, l.created);
	ASSERT_EQ(2, l.n);
	EXPECT_EQ(ETCD_EV_PUT, l.ev[0].type);
	EXPECT_STREQ("v2", l.ev[0].val);
	EXPECT_TRUE(l.ev[0].has_prev);
	EXPECT_STREQ("v1", l.ev[0].prev);
	EXPECT_EQ(r1 + 1, l.ev[0].mod);
	EXPECT_EQ(ETCD_EV_DELETE, l.ev[1].type);
	EXPECT_STREQ("/t3/a", l.ev[1].key);
	EXPECT_TRUE(l.ev[1].has_prev);
	EXPECT_STREQ("v2", l.ev[1].prev);
	/* Then live: exactly one more. */
	ASSERT_EQ(0, put(e, "/t3/b", "live", 0, NULL, msg));
	RUN_UNTIL(e, l.n >= 3, 5000000);
	etcd_run_once(e, 200000);
	ASSERT_EQ(3, l.n);
	EXPECT_STREQ("/t3/b", l.ev[2].key);
	EXPECT_FALSE(l.ev[2].has_prev);
	etcd_watch_free(w);
	/* Freed: no more callbacks. */
	ASSERT_EQ(0, put(e, "/t3/b", "after", 0, NULL, msg));
	etcd_run_once(e, 200000);
	EXPECT_EQ(3, l.n);
	etcd_free(e);
}

TEST(watch_after_compaction)
{
	struct etcd *e = client(main_c->endpoints);
	struct etcd_watch_opts wo = { .key = "/t4/k" };
	struct watch_log l = { 0 };
	struct etcd_watch *w;
	struct etcd_reply r;
	char msg[ETCD_MSG_LEN], args[64];
	int64_t r1, r2;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t4/k", "1", 0, &r, msg));
	r1 = r.hdr.revision;
	etcd_reply_free(&r);
	ASSERT_EQ(0, put(e, "/t4/k", "2", 0, &r, msg));
	r2 = r.hdr.revision;
	etcd_reply_free(&r);
	snprintf(args, sizeof(args), "compact %lld", (long long)r2);
	ASSERT_EQ(0, etcdctl(main_c, NULL, args));
	wo.start_revision = r1;
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg)));
	RUN_UNTIL(e, l.canceled || l.ended, 5000000);
	EXPECT_TRUE(l.canceled);
	EXPECT_EQ(r2, l.compact);
	EXPECT_EQ(0, l.n);
	EXPECT_EQ(0, l.ended);
	etcd_watch_free(w);
	etcd_free(e);
}

/*
 * Three watchers in one stream, each from its own revision: each event
 * says whose it is, a watcher from an old revision gets its history
 * (after the others' newer events, maybe: no order across watchers),
 * keys outside every prefix are not sent.
 */
TEST(watch_many_keys_one_stream)
{
	struct etcd *e = client(main_c->endpoints);
	struct etcd_watch_key keys[3] = {
		{ "/t30/a/", 0 }, { "/t30/b/", 0 }, { "/t30/c/", 0 },
	};
	struct etcd_watch_opts wo = { .keys = keys, .n_keys = 3,
				      .prefix = true };
	struct watch_log l = { 0 };
	struct etcd_watch *w;
	struct etcd_reply r;
	char msg[ETCD_MSG_LEN];
	int64_t r1, r2;
	int i, seen[3] = { 0 };

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t30/c/old", "1", 0, &r, msg));
	r1 = r.hdr.revision;
	etcd_reply_free(&r);
	ASSERT_EQ(0, put(e, "/t30/a/old", "1", 0, &r, msg));
	r2 = r.hdr.revision;
	etcd_reply_free(&r);
	/* a and b from now on, c from its old put. */
	keys[0].start_revision = r2 + 1;
	keys[1].start_revision = r2 + 1;
	keys[2].start_revision = r1;
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.created == 3 || l.ended, 5000000);
	ASSERT_EQ(0, l.ended) TH_LOG("%s", l.msg);
	ASSERT_EQ(3, l.created);
	ASSERT_EQ(0, put(e, "/t30/b/x", "2", 0, NULL, msg));
	ASSERT_EQ(0, put(e, "/t30/d/x", "outside", 0, NULL, msg));
	ASSERT_EQ(0, put(e, "/t30/a/x", "3", 0, NULL, msg));
	ASSERT_EQ(0, put(e, "/t30/bx", "outside", 0, NULL, msg));
	RUN_UNTIL(e, l.n >= 3 || l.ended, 5000000);
	etcd_run_once(e, 300000);
	ASSERT_EQ(3, l.n);
	for (i = 0; i < l.n; i++) {
		ASSERT_GT(3, l.ev[i].watcher);
		seen[l.ev[i].watcher]++;
		/* Each event is its watcher's prefix. */
		EXPECT_EQ(0, strncmp(l.ev[i].key, keys[l.ev[i].watcher].key,
				     strlen(keys[l.ev[i].watcher].key)))
			TH_LOG("%s for watcher %zu", l.ev[i].key,
			       l.ev[i].watcher);
	}
	EXPECT_EQ(1, seen[0]);
	EXPECT_EQ(1, seen[1]);
	EXPECT_EQ(1, seen[2]);
	EXPECT_TRUE(has_event(&l, "/t30/c/old"));
	EXPECT_TRUE(has_event(&l, "/t30/b/x"));
	EXPECT_TRUE(has_event(&l, "/t30/a/x"));
	EXPECT_EQ(0, l.ended);
	etcd_watch_free(w);
	etcd_free(e);
}

/* Too many watchers for one stream, or keys over the request limit. */
TEST(watch_many_keys_limits)
{
	struct etcd *e = client(main_c->endpoints);
	struct etcd_watch_key keys[ETCD_WATCH_KEYS_MAX + 1];
	struct etcd_watch_opts wo = { .keys = keys, .prefix = true };
	char msg[ETCD_MSG_LEN], *big = malloc(ETCD_REQUEST_MAX / 2 + 2);
	struct etcd_watch *w = (void *)1;
	size_t i;

	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, big);
	for (i = 0; i <= ETCD_WATCH_KEYS_MAX; i++)
		keys[i] = (struct etcd_watch_key){ "/t31/", 0 };
	wo.n_keys = ETCD_WATCH_KEYS_MAX + 1;
	EXPECT_EQ(-E2BIG, etcd_watch_start(e, &wo, on_watch, NULL, &w, msg,
					   sizeof(msg)));
	EXPECT_EQ(NULL, w);
	EXPECT_STREQ("257 etcd watch keys in one stream, over 256", msg);
	/* Two keys of half the limit each: over it together. */
	memset(big, 'k', ETCD_REQUEST_MAX / 2 + 1);
	big[ETCD_REQUEST_MAX / 2 + 1] = '\0';
	keys[0].key = keys[1].key = big;
	wo.n_keys = 2;
	EXPECT_EQ(-EMSGSIZE, etcd_watch_start(e, &wo, on_watch, NULL, &w, msg,
					      sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "etcd watch keys of ")) TH_LOG("%s", msg);
	keys[1].key = NULL;
	EXPECT_EQ(-EINVAL, etcd_watch_start(e, &wo, on_watch, NULL, &w, msg,
					    sizeof(msg)));
	free(big);
	etcd_free(e);
}

/* Wait (up to 2 s) until every thread of @pid is stopped. */
static int wait_stopped(pid_t pid)
{
	uint64_t end = now_us() + 2000000;
	char cmd[96];

	/* Field 3 of each task's stat is its state; "T" is stopped. */
	snprintf(cmd, sizeof(cmd),
		 "! awk '{ print $3 }' /proc/%d/task/*/stat | grep -qv T",
		 (int)pid);
	while (now_us() < end) {
		if (system(cmd) == 0)
			return 0;
		usleep(20000);
	}
	return -ETIMEDOUT;
}

/*
 * progress_notify: a quiet watcher hears etcd's revision every interval
 * (1 s here) and stays up past idle_usec; a member that stops answering
 * (SIGSTOP: the connection stays, silent) ends it with -ETIMEDOUT after
 * idle_usec, not never, and the watch started again goes to the next
 * endpoint (another cluster's member here: the client does not care).
 */
TEST(watch_progress_and_idle)
{
	char eps[520];
	struct etcd *e;
	struct etcd_watch_key keys[2] = { { "/t32/a/", 0 }, { "/t32/b/", 0 } };
	struct etcd_watch_opts wo = { .keys = keys, .n_keys = 2,
				      .prefix = true, .progress_notify = true,
				      .idle_usec = 3000000 };
	struct watch_log l = { 0 };
	struct etcd_watch *w;
	struct etcd_reply r;
	char msg[ETCD_MSG_LEN];
	uint64_t t0;
	int64_t rev;

	snprintf(eps, sizeof(eps), "%s,%s", prog_c->endpoints,
		 main_c->endpoints);
	e = client(eps);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t32/other", "1", 0, &r, msg)) TH_LOG("%s", msg);
	rev = r.hdr.revision;
	etcd_reply_free(&r);
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	/* 5 s: past idle_usec, kept alive by the notifications. */
	t0 = now_us();
	RUN_UNTIL(e, l.ended, 5000000);
	EXPECT_LE(t0 + 4900000, now_us());
	ASSERT_EQ(0, l.ended) TH_LOG("%s", l.msg);
	EXPECT_EQ(2, l.created);
	EXPECT_EQ(0, l.n);
	EXPECT_LE(4, l.progress);
	EXPECT_EQ(rev, l.progress_rev);
	EXPECT_GT(2, l.progress_watcher);
	/* A member that stops answering. */
	ASSERT_EQ(0, kill(prog_c->pid[0], SIGSTOP));
	ASSERT_EQ(0, wait_stopped(prog_c->pid[0]));
	t0 = now_us();
	RUN_UNTIL(e, l.ended, 10000000);
	EXPECT_EQ(1, l.ended);
	EXPECT_EQ(-ETIMEDOUT, l.err);
	EXPECT_STREQ("etcd watch: nothing received in 3 s", l.msg);
	EXPECT_LE(t0 + 1000000, now_us());	/* up to 1 s since the last */
	EXPECT_GE(t0 + 4500000, now_us());
	etcd_watch_free(w);
	/* Again: the next member, while the first is still stopped. */
	memset(&l, 0, sizeof(l));
	keys[0].start_revision = keys[1].start_revision = 0;
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.created == 2 || l.ended, 5000000);
	kill(prog_c->pid[0], SIGCONT);
	EXPECT_EQ(2, l.created);
	EXPECT_EQ(0, l.ended) TH_LOG("%s", l.msg);
	EXPECT_EQ(0, strncmp(etcd_endpoint(e), main_c->endpoints,
			     strlen(etcd_endpoint(e))));
	etcd_watch_free(w);
	etcd_free(e);
}

static int lease_req(struct etcd *e, enum etcd_req_type type, int64_t id,
		     int64_t ttl, struct etcd_reply *r, char *msg)
{
	struct etcd_request rq = { .type = type, .lease_id = id, .ttl = ttl };

	return etcd_call(e, &rq, r, msg, ETCD_MSG_LEN);
}

/* How many keys: @key, or under it with @prefix. */
static int64_t count_op(struct etcd *e, const char *key, bool prefix)
{
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = key,
			      .prefix = prefix, .count_only = true };
	char msg[ETCD_MSG_LEN];
	struct etcd_reply r;
	int64_t n;

	if (get(e, &op, &r, msg))
		return -1;
	n = r.count;
	etcd_reply_free(&r);
	return n;
}

static int64_t count_keys(struct etcd *e, const char *key)
{
	return count_op(e, key, false);
}

static int64_t count_prefix(struct etcd *e, const char *prefix)
{
	return count_op(e, prefix, true);
}

TEST(lease_keepalive_revoke)
{
	struct etcd *e = client(main_c->endpoints);
	char msg[ETCD_MSG_LEN];
	struct etcd_reply r;
	int64_t kept, lapsed;
	uint64_t end;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_req(e, ETCD_REQ_LEASE_GRANT, 0, 2, &r, msg))
		TH_LOG("%s", msg);
	kept = r.lease_id;
	EXPECT_NE(0, kept);
	EXPECT_EQ(2, r.ttl);
	etcd_reply_free(&r);
	ASSERT_EQ(0, lease_req(e, ETCD_REQ_LEASE_GRANT, 0, 2, &r, msg));
	lapsed = r.lease_id;
	etcd_reply_free(&r);
	ASSERT_EQ(0, put(e, "/t5/kept", "x", kept, NULL, msg));
	ASSERT_EQ(0, put(e, "/t5/lapsed", "x", lapsed, NULL, msg));

	/* Past the TTL: the kept one lives, the other expires. */
	end = now_us() + 4000000;
	while (now_us() < end) {
		ASSERT_EQ(0, lease_req(e, ETCD_REQ_LEASE_KEEPALIVE, kept, 0,
				       &r, msg)) TH_LOG("%s", msg);
		EXPECT_EQ(kept, r.lease_id);
		EXPECT_EQ(2, r.ttl);
		etcd_reply_free(&r);
		usleep(400000);
	}
	EXPECT_EQ(1, count_keys(e, "/t5/kept"));
	EXPECT_EQ(0, count_keys(e, "/t5/lapsed"));
	ASSERT_EQ(0, lease_req(e, ETCD_REQ_LEASE_TTL, kept, 0, &r, msg));
	EXPECT_EQ(2, r.granted_ttl);
	EXPECT_LT(0, r.ttl);
	etcd_reply_free(&r);
	EXPECT_EQ(-ENOENT, lease_req(e, ETCD_REQ_LEASE_KEEPALIVE, lapsed, 0,
				     &r, msg));

	/* Revoked: the key goes at once, keep-alives fail. */
	ASSERT_EQ(0, lease_req(e, ETCD_REQ_LEASE_REVOKE, kept, 0, &r, msg));
	etcd_reply_free(&r);
	EXPECT_EQ(0, count_keys(e, "/t5/kept"));
	EXPECT_EQ(-ENOENT, lease_req(e, ETCD_REQ_LEASE_KEEPALIVE, kept, 0,
				     &r, msg));
	EXPECT_EQ(-ENOENT, lease_req(e, ETCD_REQ_LEASE_REVOKE, kept, 0,
				     &r, msg));
	TH_LOG("revoke of a revoked lease: %s", msg);
	etcd_free(e);
}

struct async_state {
	struct etcd *e;
	sd_event_source *tick;
	uint64_t period, next, max_late;
	int ticks, done, ok, timedout, other;
	char msg[ETCD_MSG_LEN];		/* of the last other error */
};

static int on_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	struct async_state *a = arg;
	uint64_t now = now_us();

	(void)usec;
	if (a->next && now > a->next && now - a->next > a->max_late)
		a->max_late = now - a->next;
	a->ticks++;
	a->next = now + a->period;
	sd_event_now(sd_event_source_get_event(s), CLOCK_MONOTONIC, &usec);
	sd_event_source_set_time(s, usec + a->period);
	return 0;
}

static void on_put(struct etcd_req *rq, int err, const char *msg,
		   const struct etcd_reply *rep, void *arg)
{
	struct async_state *a = arg;

	(void)rq;
	(void)rep;
	a->done++;
	if (!err)
		a->ok++;
	else if (err == -ETIMEDOUT)
		a->timedout++;
	else
		a->other++;
	if (err)
		snprintf(a->msg, sizeof(a->msg), "%s", msg);
}

static void submit_puts(struct __test_metadata *_metadata,
			struct async_state *a, int n, const char *prefix)
{
	char key[32], msg[ETCD_MSG_LEN];
	int i;

	for (i = 0; i < n; i++) {
		struct etcd_request r = {
			.type = ETCD_REQ_KV,
			.op = { .type = ETCD_OP_PUT, .key = key, .value = "v",
				.value_len = 1 },
		};

		snprintf(key, sizeof(key), "%s%d", prefix, i);
		ASSERT_EQ(0, etcd_submit(a->e, &r, on_put, a, NULL, msg,
					 sizeof(msg)));
	}
}

TEST(async_loop_not_blocked_by_stopped_member)
{
	struct etcd_opts o = { .timeout_usec = 3000000 };
	struct async_state a = { .period = 20000 };
	char eps[256], ep1[64], ep2[64];
	int lead = leader(main_c), stop, other;
	sd_event *ev;
	uint64_t t0, now;

	/*
	 * A follower is stopped (a stopped leader would only add an
	 * election) and listed first, so requests go there first.
	 */
	ASSERT_LE(0, lead);
	stop = (lead + 1) % MEMBERS;
	other = (lead + 2) % MEMBERS;
	endpoint(main_c, stop, ep1, sizeof(ep1));
	endpoint(main_c, other, ep2, sizeof(ep2));
	snprintf(eps, sizeof(eps), "%s,%s", ep1, ep2);
	o.endpoints = eps;
	ASSERT_EQ(0, sd_event_new(&ev));
	{
		char msg[ETCD_MSG_LEN];

		ASSERT_EQ(0, etcd_new(&a.e, ev, &o, msg, sizeof(msg)));
	}
	sd_event_now(ev, CLOCK_MONOTONIC, &now);
	ASSERT_LE(0, sd_event_add_time(ev, &a.tick, CLOCK_MONOTONIC,
				       now + a.period, 1, on_tick, &a));
	sd_event_source_set_enabled(a.tick, SD_EVENT_ON);
	ASSERT_EQ(0, kill(main_c->pid[stop], SIGSTOP));
	/* A thread still running would answer the first put. */
	ASSERT_EQ(0, wait_stopped(main_c->pid[stop]));
	t0 = now_us();
	submit_puts(_metadata, &a, 50, "/t6/");
	while (a.done < 50 && now_us() - t0 < 10000000)
		sd_event_run(ev, 100000);
	/* All 50 wait on the stopped member, then time out together. */
	EXPECT_EQ(50, a.done);
	EXPECT_EQ(50, a.timedout);
	/* ... and move the client on: these succeed on member 2. */
	TH_LOG("first batch after %llu ms, latest tick %llu us late",
	       (unsigned long long)(now_us() - t0) / 1000,
	       (unsigned long long)a.max_late);
	a.done = a.ok = a.timedout = 0;
	submit_puts(_metadata, &a, 50, "/t6/");
	while (a.done < 50 && now_us() - t0 < 20000000)
		sd_event_run(ev, 100000);
	kill(main_c->pid[stop], SIGCONT);
	EXPECT_EQ(50, a.ok) TH_LOG("%d timed out, %d other errors: %s",
				   a.timedout, a.other, a.msg);
	EXPECT_STREQ(ep2, etcd_endpoint(a.e));
	/*
	 * The timer kept its schedule meanwhile (20 ms period).  A loop
	 * blocked by a request would stall for its 3 s timeout; the bounds
	 * leave room for a loaded build host.
	 */
	EXPECT_LE((now_us() - t0) / a.period / 4, (uint64_t)a.ticks);
	EXPECT_GT(1500000, a.max_late);
	TH_LOG("%d ticks in %llu ms, latest %llu us late", a.ticks,
	       (unsigned long long)(now_us() - t0) / 1000,
	       (unsigned long long)a.max_late);
	sd_event_source_unref(a.tick);
	etcd_free(a.e);
	sd_event_unref(ev);
}

/*
 * A put fully sent on a kept-alive connection to a member that then stops
 * answering times out and is not sent again to the next endpoint (etcd
 * may have applied it).  The next endpoint is a socket of the test that
 * listens and counts who connects.
 */
TEST(timeout_after_sending_not_resent)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct etcd_opts o = { .timeout_usec = 1000000 };
	socklen_t alen = sizeof(a);
	int lead = leader(main_c), stop, fd, c;
	char msg[ETCD_MSG_LEN], eps[160], ep1[64];
	struct etcd *e;

	ASSERT_LE(0, lead);
	stop = (lead + 1) % MEMBERS;	/* a follower: no election */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, listen(fd, 4));
	endpoint(main_c, stop, ep1, sizeof(ep1));
	snprintf(eps, sizeof(eps), "%s,http://127.0.0.1:%d", ep1,
		 ntohs(a.sin_port));
	o.endpoints = eps;
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t9/a", "1", 0, NULL, msg)) TH_LOG("%s", msg);
	ASSERT_EQ(0, kill(main_c->pid[stop], SIGSTOP));
	/* Every thread stopped: one in the kernel stops on its way out. */
	ASSERT_EQ(0, wait_stopped(main_c->pid[stop]));
	EXPECT_EQ(-ETIMEDOUT, put(e, "/t9/a", "2", 0, NULL, msg));
	TH_LOG("%s", msg);
	kill(main_c->pid[stop], SIGCONT);
	c = accept(fd, NULL, NULL);
	EXPECT_EQ(-1, c) TH_LOG("the put was sent again to the next endpoint");
	if (c >= 0)
		close(c);
	close(fd);
	etcd_free(e);
}

/* The empty prefix is every key: a range, a watch. */
TEST(empty_prefix_all_keys)
{
	struct etcd *e = client(main_c->endpoints);
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = "",
			      .prefix = true, .count_only = true };
	struct etcd_watch_opts wo = { .key = "", .prefix = true };
	struct watch_log l = { 0 };
	char msg[ETCD_MSG_LEN];
	struct etcd_watch *w;
	struct etcd_reply r;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t10/a", "1", 0, NULL, msg));
	ASSERT_EQ(0, get(e, &op, &r, msg)) TH_LOG("%s", msg);
	EXPECT_LE(1, r.count);
	etcd_reply_free(&r);
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.created || l.ended, 5000000);
	ASSERT_EQ(1, l.created) TH_LOG("%s", l.msg);
	EXPECT_FALSE(l.canceled);
	{
		struct etcd_request rq = {
			.type = ETCD_REQ_KV,
			.op = { .type = ETCD_OP_PUT, .key = "/t10/b",
				.value = "2", .value_len = 1 },
		};

		ASSERT_EQ(0, etcd_submit(e, &rq, on_put_ignored, NULL, NULL,
					 msg, sizeof(msg)));
	}
	/* Another test's lease may expire meanwhile: look for ours. */
	RUN_UNTIL(e, has_event(&l, "/t10/b") || l.ended, 5000000);
	EXPECT_TRUE(has_event(&l, "/t10/b")) TH_LOG("%s", l.msg);
	etcd_watch_free(w);
	etcd_free(e);
}

TEST(blocking_call_refused_inside_loop)
{
	struct etcd *e = client(main_c->endpoints);
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = "x" },
	};
	char msg[ETCD_MSG_LEN];
	struct etcd_reply rep;

	ASSERT_NE(NULL, e);
	/* No member listens on port 1: refused fast. */
	etcd_free(e);
	e = client("http://127.0.0.1:1,http://127.0.0.1:1");
	ASSERT_NE(NULL, e);
	EXPECT_EQ(-ECONNREFUSED, etcd_call(e, &r, &rep, msg, sizeof(msg)));
	TH_LOG("%s", msg);
	etcd_free(e);
	{
		struct etcd_opts o = { .endpoints = "ftp://127.0.0.1:1" };

		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)));
		o.endpoints = "";
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)));
		o.endpoints = "http://";
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)));
		EXPECT_NE(NULL, strstr(msg, "no host")) TH_LOG("%s", msg);
		o.endpoints = "http://127.0.0.1:1,https:///x";
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)));
		EXPECT_NE(NULL, strstr(msg, "no host")) TH_LOG("%s", msg);
		o.endpoints = "http://a";
		o.user = "u";
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)));
		/* A password never crosses the network over http://. */
		o.password = "p";
		o.endpoints = "http://127.0.0.1:1,http://10.0.0.1:2379";
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)));
		EXPECT_NE(NULL, strstr(msg, "in clear")) TH_LOG("%s", msg);
		EXPECT_NE(NULL, strstr(msg, "http://10.0.0.1:2379"));
		o.endpoints = "http://localhost.evil.example:1";
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)));
		o.endpoints = "http://127.0.0.1:1,http://localhost:1,http://[::1]:1,https://10.0.0.1:1";
		ASSERT_EQ(0, etcd_new(&e, NULL, &o, msg, sizeof(msg)))
			TH_LOG("%s", msg);
		etcd_free(e);
	}
	/* Bad arguments say so. */
	e = client("http://127.0.0.1:1");
	ASSERT_NE(NULL, e);
	r = (struct etcd_request){ .type = ETCD_REQ_TXN,
				   .txn = { .n_success = 1 } };
	EXPECT_EQ(-EINVAL, etcd_call(e, &r, &rep, msg, sizeof(msg)));
	{
		struct etcd_watch_opts wo = { 0 };
		struct etcd_watch *w;
		char *key = malloc(ETCD_REQUEST_MAX + 2);

		ASSERT_NE(NULL, key);
		memset(key, 'k', ETCD_REQUEST_MAX + 1);
		key[ETCD_REQUEST_MAX + 1] = '\0';
		wo.key = key;
		EXPECT_EQ(-EMSGSIZE, etcd_watch_start(e, &wo, on_watch, NULL,
						      &w, msg, sizeof(msg)));
		EXPECT_NE(NULL, strstr(msg, "limit")) TH_LOG("%s", msg);
		free(key);
	}
	etcd_free(e);
}

/*
 * Endpoints as curl reads them: a malformed URL is refused by
 * etcd_new() (so at cosid's argument parsing), not at the first
 * request; a password goes over http:// only to a loopback address, as
 * curl takes the URL: not to "127.evil.example", nor to HOST of
 * "http://127.0.0.1@HOST" (127.0.0.1 is the user there).
 */
TEST(endpoint_urls)
{
	static const char *const bad[] = {
		"http://127.0.0.1:notaport", "http://127.0.0.1:99999",
		"http://127.0.0.1:0", "http://a b:2379", "http://[::1",
		"http://127.0.0.1:2379?x", "http://127.0.0.1:2379/#x",
		"http://127.0.0.1@192.0.2.2:2379", "http://u:p@127.0.0.1:2379",
	};
	static const char *const clear[] = {
		"http://127.evil.example:2379", "http://127.0.0.1.nip.io:2379",
		"http://localhost.:2379", "http://[::2]:2379",
	};
	struct etcd_opts o = { 0 };
	char msg[ETCD_MSG_LEN];
	struct etcd *e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.endpoints = bad[i];
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)))
			TH_LOG("'%s' accepted", bad[i]);
		EXPECT_EQ(0, strncmp(msg, "etcd endpoint '", 15)) TH_LOG("%s", msg);
		EXPECT_NE(NULL, strstr(msg, bad[i])) TH_LOG("%s", msg);
		EXPECT_EQ(NULL, strchr(msg, '\n'));
	}
	o.user = "alice";
	o.password = "pw";
	for (i = 0; i < sizeof(clear) / sizeof(clear[0]); i++) {
		o.endpoints = clear[i];
		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)))
			TH_LOG("'%s' taken for this machine", clear[i]);
		EXPECT_NE(NULL, strstr(msg, "in clear")) TH_LOG("%s", msg);
	}
	o.endpoints = "http://127.0.0.1:1,http://127.1.2.3:1,http://LOCALHOST:1,"
		      "http://[::1]:1,http://[0:0:0:0:0:0:0:1]:1/,"
		      "https://etcd.example:2379";
	EXPECT_EQ(0, etcd_new(&e, NULL, &o, msg, sizeof(msg))) TH_LOG("%s", msg);
	etcd_free(e);
	/* Without a password, any host. */
	o.user = o.password = NULL;
	o.endpoints = "http://127.evil.example:2379,http://10.0.0.1";
	EXPECT_EQ(0, etcd_new(&e, NULL, &o, msg, sizeof(msg))) TH_LOG("%s", msg);
	etcd_free(e);
}

TEST(size_limits)
{
	struct etcd_opts o = { .endpoints = main_c->endpoints,
			       .reply_max = 4096 };
	struct etcd *e = client(main_c->endpoints), *small;
	size_t big = ETCD_REQUEST_MAX + 1;
	char *v = malloc(big), msg[ETCD_MSG_LEN];
	struct etcd_op ops[ETCD_TXN_OPS + 1];
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = "/t7/k" };
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_PUT, .key = "/t7/k", .value = v,
			.value_len = big },
	};
	struct etcd_reply rep;
	int i;

	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, v);
	memset(v, 'v', big);
	/* Over etcd's request limit: refused before sending. */
	EXPECT_EQ(-EMSGSIZE, etcd_call(e, &r, &rep, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "max-request-bytes")) TH_LOG("%s", msg);
	/* Just under: etcd refuses it (its envelope adds bytes). */
	r.op.value_len = ETCD_REQUEST_MAX - 8;
	EXPECT_EQ(-EMSGSIZE, etcd_call(e, &r, &rep, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "too large")) TH_LOG("%s", msg);
	/* 129 ops in a txn. */
	for (i = 0; i <= ETCD_TXN_OPS; i++)
		ops[i] = (struct etcd_op){ .type = ETCD_OP_RANGE, .key = "/t7/k" };
	r = (struct etcd_request){ .type = ETCD_REQ_TXN,
		.txn = { .success = ops, .n_success = ETCD_TXN_OPS + 1 } };
	EXPECT_EQ(-E2BIG, etcd_call(e, &r, &rep, msg, sizeof(msg)));
	r.txn.n_success = ETCD_TXN_OPS;
	EXPECT_EQ(0, etcd_call(e, &r, &rep, msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_EQ(ETCD_TXN_OPS, rep.n_responses);
	etcd_reply_free(&rep);

	/* A reply over the client's cap. */
	ASSERT_EQ(0, put(e, "/t7/k", (memset(v, 'w', 8192), v[8192] = 0, v),
			 0, NULL, msg));
	small = client_opts(&o);
	ASSERT_NE(NULL, small);
	EXPECT_EQ(-EMSGSIZE, get(small, &op, &rep, msg));
	TH_LOG("%s", msg);
	op.keys_only = true;
	EXPECT_EQ(0, get(small, &op, &rep, msg));
	etcd_reply_free(&rep);
	etcd_free(small);
	etcd_free(e);
	free(v);
}

/* Decode {"k": @json_str} with etcd_unb64_member(). */
static int unb64(const char *json_str, char **out, size_t *len)
{
	char doc[128];
	json_object *o;
	int err;

	snprintf(doc, sizeof(doc), "{\"k\": %s}", json_str);
	o = json_tokener_parse(doc);
	if (!o)
		return -EINVAL;
	err = etcd_unb64_member(o, "k", out, len);
	json_object_put(o);
	return err;
}

TEST(base64_strict)
{
	static const char *const bad[] = {
		"\"====\"", "\"YQ==YQ==\"", "\"YQ=a\"", "\"Y===\"",
		"\"YQ\"", "\"YQ=\"", "\"Y\\u0000==\"", "\"YWJj\\u0000AAA\"",
		"\"YW J\"", "\"YW\\nJ\"", "5", "null",
	};
	char *out;
	size_t len, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = (char *)1;
		len = 7;
		EXPECT_EQ(-EPROTO, unb64(bad[i], &out, &len)) TH_LOG("%s", bad[i]);
		EXPECT_EQ(NULL, out);
		EXPECT_EQ(0, len);
	}
	ASSERT_EQ(0, unb64("\"YQ==\"", &out, &len));
	EXPECT_EQ(1, len);
	EXPECT_STREQ("a", out);
	free(out);
	ASSERT_EQ(0, unb64("\"YWI=\"", &out, &len));
	EXPECT_EQ(2, len);
	EXPECT_STREQ("ab", out);
	free(out);
	ASSERT_EQ(0, unb64("\"YWJj\"", &out, &len));
	EXPECT_EQ(3, len);
	free(out);
	ASSERT_EQ(0, unb64("\"\"", &out, &len));
	EXPECT_EQ(0, len);
	free(out);
	/* A zero byte inside the data is data. */
	ASSERT_EQ(0, unb64("\"AGE=\"", &out, &len));
	ASSERT_EQ(2, len);
	EXPECT_EQ(0, out[0]);
	EXPECT_EQ('a', out[1]);
	free(out);
}

/* A header the fake gateway's requests must carry (NULL: none). */
static const char *fake_require;

/*
 * A fake gateway: answers one request with @head then @tail repeated
 * @times then @foot, and closes.  In a child process.
 */
/*
 * A socket listening on loopback (its port in *@port) and a child process
 * to serve it: the child's pid (-1: none), 0 in the child (*@fd the socket).
 */
static pid_t fake_fork(int *port, int *fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	pid_t pid;

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(*fd, (struct sockaddr *)&a, &len) || listen(*fd, 8)) {
		if (*fd >= 0)
			close(*fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	pid = fork();
	if (pid)
		close(*fd);
	return pid;
}

static pid_t fake_gateway(int *port, const char *head, const char *tail,
			  int times, const char *foot)
{
	char buf[4096], *many;
	int fd, c, i, k;
	pid_t pid;
	size_t n;

	pid = fake_fork(port, &fd);
	if (pid)
		return pid;
	c = accept(fd, NULL, NULL);
	memset(buf, 0, sizeof(buf));
	if (read(c, buf, sizeof(buf) - 1) <= 0)
		_exit(1);
	/* A request without the header asked for gets an error. */
	if (fake_require && !strcasestr(buf, fake_require))
		head = "{\"error\":{\"grpc_code\":3,\"message\":\"header missing\"}}";
	snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\n"
		 "Content-Type: application/json\r\nConnection: close\r\n\r\n");
	if (write(c, buf, strlen(buf)) < 0 || write(c, head, strlen(head)) < 0)
		_exit(1);
	/* @tail in 64 KiB writes: millions of tiny ones take seconds. */
	n = strlen(tail);
	k = n ? 65536 / n : 0;
	many = malloc(k * n + 1);
	if (!many)
		_exit(1);
	for (i = 0; i < k; i++)
		memcpy(many + i * n, tail, n);
	for (i = 0; i < times; i += k)
		if (write(c, many, (times - i < k ? times - i : k) * n) < 0)
			_exit(0);
	if (write(c, foot, strlen(foot)) < 0)
		_exit(0);
	_exit(0);
}

/*
 * What fleet.c relies on: a header revision is ordered within a
 * watcher, not across the watchers of one stream.  A slow client makes
 * a watcher a "victim" in etcd (mvcc/watchable_store.go notify(): its
 * send to the stream's channel of 128 fails); moveVictims() sends its
 * pending events later with the header revision w.minRev - 1, while a
 * synced watcher of the same stream got newer events or a progress
 * notification meanwhile.  So fleet.c takes a revision gone back (a
 * restored snapshot) from the watcher's own last revision, never from
 * the highest of all (that inversion is logged here, as "rev_back": it
 * happens in about 2 runs in 3; the per-watcher order always holds).
 */
struct victim_log {
	int64_t max_rev;		/* fleet.c's f->rev */
	int64_t wrev[2];		/* fleet.c's wrev[] */
	int rev_back;			/* cosid_fleet_rev_back(f->rev, hdr) */
	int own_back;			/* ... against the watcher's own */
	int64_t back_hdr, back_max;
	size_t back_watcher;
	int msgs, events[2], ended;
};

static void on_watch_victim(struct etcd_watch *w, int err, const char *msg,
			    const struct etcd_watch_msg *m, void *arg)
{
	struct victim_log *l = arg;
	size_t i;

	(void)w;
	if (err) {
		l->ended++;
		fprintf(stderr, "# watch ended: %s\n", msg);
		return;
	}
	l->msgs++;
	if (!m->created && cosid_fleet_rev_back(l->max_rev, m->hdr.revision)) {
		if (!l->rev_back++) {
			l->back_hdr = m->hdr.revision;
			l->back_max = l->max_rev;
			l->back_watcher = m->watcher;
		}
	}
	if (!m->created &&
	    cosid_fleet_rev_back(l->wrev[m->watcher], m->hdr.revision))
		l->own_back++;
	for (i = 0; i < m->n_events; i++) {
		int64_t r = m->events[i].kv.mod_revision;

		l->events[m->watcher]++;
		if (r > l->wrev[m->watcher])
			l->wrev[m->watcher] = r;
		if (r > l->max_rev)
			l->max_rev = r;
	}
	if (!m->n_events && !m->created && m->hdr.revision > l->max_rev)
		l->max_rev = m->hdr.revision;
}

TEST(watch_header_order_per_watcher)
{
	/* Progress notifications every 10 ms: b, quiet, is told often. */
	struct cluster *c = cluster_start(1, "--experimental-watch-progress-notify-interval 10ms");
	struct etcd *e;
	struct etcd_watch_key keys[2] = { { "/t90/a/", 0 }, { "/t90/b/", 0 } };
	struct etcd_watch_opts wo = { .keys = keys, .n_keys = 2,
				      .prefix = true, .progress_notify = true };
	struct victim_log l = { 0 };
	struct etcd_watch *w;
	char msg[ETCD_MSG_LEN], key[64], *big = malloc(65537);
	int i, status, round;
	uint64_t end, t0;
	pid_t pid;

	ASSERT_NE(NULL, c);
	e = client(c->endpoints);
	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, big);
	memset(big, 'v', 4096);
	big[4096] = '\0';
	t0 = now_us();
	for (round = 0; round < 1 && !l.rev_back && now_us() < t0 + 16000000;
	     round++) {
		memset(&l, 0, sizeof(l));
		ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch_victim, &l, &w,
					      msg, sizeof(msg))) TH_LOG("%s", msg);
		RUN_UNTIL(e, l.msgs >= 2 || l.ended, 5000000);
		ASSERT_EQ(0, l.ended);
		/* a's puts, faster than this client reads: a is slow. */
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			struct etcd *p = client(c->endpoints);

			end = now_us() + 23000000;
			for (i = 0; p && now_us() < end; i++) {
				snprintf(key, sizeof(key), "/t90/a/%d", i % 50);
				put(p, key, big, 0, NULL, NULL);
			}
			_exit(0);
		}
		usleep(3000000);	/* not read: the stream backs up */
		/* Then read slowly: a stays behind, b is told the revision. */
		end = now_us() + 20000000;
		while (!l.rev_back && !l.ended && now_us() < end) {
			etcd_run_once(e, 1000);
			usleep(3000);
		}
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		etcd_watch_free(w);
		TH_LOG("round %d: %d msgs, events a %d b %d, rev_back %d (hdr %lld < %lld, watcher %zu), own_back %d",
		       round, l.msgs, l.events[0], l.events[1], l.rev_back,
		       (long long)l.back_hdr, (long long)l.back_max,
		       l.back_watcher, l.own_back);
		EXPECT_EQ(0, l.own_back);
	}
	etcd_free(e);
	cluster_stop(c);
	free(big);
	EXPECT_EQ(0, l.own_back);
	EXPECT_LT(0, l.events[0]);
}

/*
 * A stream of two watchers against a fake gateway that sends @msgs, run
 * until it ends or is canceled: 0 with @l filled, or the start's error.
 */
static int fake_watch2(const char *msgs, struct watch_log *l)
{
	struct etcd_watch_key keys[2] = { { "/a/", 0 }, { "/b/", 0 } };
	struct etcd_watch_opts wo = { .keys = keys, .n_keys = 2,
				      .prefix = true };
	struct etcd_opts o = { 0 };
	char ep[64], msg[ETCD_MSG_LEN];
	struct etcd_watch *w;
	struct etcd *e;
	int port, err;
	pid_t pid = fake_gateway(&port, msgs, "", 0, "");

	if (pid <= 0)
		return -ECHILD;
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	o.endpoints = ep;
	e = client_opts(&o);
	err = e ? etcd_watch_start(e, &wo, on_watch, l, &w, msg, sizeof(msg)) :
	      -ENOMEM;
	if (!err) {
		RUN_UNTIL(e, l->ended || l->canceled, 5000000);
		etcd_watch_free(w);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	etcd_free(e);
	return err;
}

/*
 * A message for a watch id the stream did not create (0: etcd numbers
 * watchers itself when not told): the stream ends, -EPROTO.
 */
TEST(watch_unknown_id)
{
	struct watch_log l = { 0 };

	ASSERT_EQ(0, fake_watch2("{\"result\":{\"header\":{\"revision\":\"3\"},\"watch_id\":\"2\",\"created\":true}}\n"
				 "{\"result\":{\"header\":{\"revision\":\"3\"},\"created\":true}}\n",
				 &l));
	EXPECT_EQ(1, l.created);	/* watch id 2: the second watcher */
	EXPECT_EQ(1, l.ended);
	EXPECT_EQ(-EPROTO, l.err);
	EXPECT_STREQ("etcd watch: a message for watch id 0, not one of this stream's",
		     l.msg);
}

/*
 * etcd 3.4 answers a create it refuses (Watch() fails: a duplicate
 * watch id, an empty range) with created + canceled, watch_id -1 (the
 * id Watch() returned) and the reason: with several watchers too, the
 * reason reaches the caller.
 */
TEST(watch_refused_id_minus_one)
{
	struct watch_log l = { 0 };

	ASSERT_EQ(0, fake_watch2("{\"result\":{\"header\":{\"revision\":\"3\"},\"watch_id\":\"1\",\"created\":true}}\n"
				 "{\"result\":{\"header\":{\"revision\":\"3\"},\"watch_id\":\"-1\",\"created\":true,\"canceled\":true,\"cancel_reason\":\"mvcc: duplicate watch ID provided\"}}\n",
				 &l));
	EXPECT_TRUE(l.canceled) TH_LOG("%s", l.msg);
	EXPECT_STREQ("mvcc: duplicate watch ID provided", l.reason);
}

/*
 * A loop busy for longer than idle_usec (a big apply, a slow guest)
 * while etcd sent an event: both the socket and the timer are ready
 * when the loop comes back; the data must win (sd-event dispatches the
 * I/O, whose re-arm un-pends the timer).
 */
TEST(watch_idle_with_data_waiting)
{
	struct etcd *e = client(main_c->endpoints), *e2 = client(main_c->endpoints);
	struct etcd_watch_key keys[2] = { { "/t91/a/", 0 }, { "/t91/b/", 0 } };
	struct etcd_watch_opts wo = { .keys = keys, .n_keys = 2,
				      .prefix = true, .idle_usec = 1000000 };
	struct watch_log l = { 0 };
	struct etcd_watch *w;
	char msg[ETCD_MSG_LEN];

	ASSERT_NE(NULL, e);
	ASSERT_NE(NULL, e2);
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.created == 2 || l.ended, 5000000);
	ASSERT_EQ(2, l.created);
	ASSERT_EQ(0, put(e2, "/t91/a/x", "1", 0, NULL, msg)) TH_LOG("%s", msg);
	usleep(1500000);	/* the loop busy elsewhere; the event waits */
	RUN_UNTIL(e, l.n >= 1 || l.ended, 3000000);
	EXPECT_EQ(1, l.n);
	EXPECT_EQ(0, l.ended) TH_LOG("%s", l.msg);
	etcd_watch_free(w);
	etcd_free(e2);
	etcd_free(e);
}

TEST(hostile_gateway)
{
	/* A watch message that never ends: stopped at the cap. */
	const char *endless = "{\"kv\":{\"key\":\"YQ==\"}},";
	struct etcd_opts o = { .reply_max = 65536 };
	struct etcd_watch_opts wo = { .key = "k" };
	struct watch_log l = { 0 };
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = "x" },
	};
	char ep[64], msg[ETCD_MSG_LEN], head[] =
		"{\"result\":{\"header\":{},\"events\":[";
	struct etcd_watch *w;
	struct etcd_reply rep;
	struct etcd *e;
	int port;
	pid_t pid;

	pid = fake_gateway(&port, head, endless, 100000, "");
	ASSERT_LT(0, pid);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	o.endpoints = ep;
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	wo.key = "k";
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg)));
	RUN_UNTIL(e, l.ended, 5000000);
	/* One message that never ends: over the watch's message cap. */
	EXPECT_EQ(1, l.ended);
	EXPECT_EQ(-EMSGSIZE, l.err);
	EXPECT_NE(NULL, strstr(l.msg, "watch message over 65536 bytes"))
		TH_LOG("%s", l.msg);
	etcd_watch_free(w);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	etcd_free(e);

	/*
	 * A burst of small messages, 600 KB in all, arriving faster than
	 * they are handed on: all delivered, not ended by the 64 KiB cap
	 * (that is per message).
	 */
	memset(&l, 0, sizeof(l));
	pid = fake_gateway(&port, "", "{\"result\":{\"header\":{\"revision\":\"7\"},"
			   "\"events\":[{\"kv\":{\"key\":\"YQ==\"}}]}}\n", 10000, "");
	ASSERT_LT(0, pid);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg)));
	RUN_UNTIL(e, l.ended, 10000000);
	EXPECT_EQ(10000, l.msgs);
	EXPECT_EQ(-ECONNRESET, l.err) TH_LOG("%s", l.msg);
	etcd_watch_free(w);
	waitpid(pid, NULL, 0);
	etcd_free(e);

	/* Not JSON: a protocol error, not a crash. */
	pid = fake_gateway(&port, "<html>hello</html>", "", 0, "");
	ASSERT_LT(0, pid);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(-EPROTO, etcd_call(e, &r, &rep, msg, sizeof(msg)));
	TH_LOG("%s", msg);
	waitpid(pid, NULL, 0);
	etcd_free(e);
}

/* What a fake gateway answers: @head, @tail @times over, @foot. */
struct fake_reply {
	const char *head, *tail, *foot;
	int times;
};

/* A client of a fake gateway that answers @f (NULL if none). */
static struct etcd *fake_client(const struct fake_reply *f, pid_t *pid)
{
	struct etcd_opts o = { 0 };
	struct etcd *e;
	char ep[64];
	int port;

	*pid = fake_gateway(&port, f->head, f->tail ?: "", f->times,
			    f->foot ?: "");
	if (*pid < 0)
		return NULL;
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	o.endpoints = ep;
	e = client_opts(&o);
	if (!e) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	return e;
}

/* After fake_client() (nothing to do if it failed). */
static void fake_end(struct etcd *e, pid_t pid)
{
	if (!e)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	etcd_free(e);
}

/* One watch on a fake gateway that sends @f: how it ended. */
static int fake_watch_rep(struct __test_metadata *_metadata,
			  const struct fake_reply *f, struct watch_log *l,
			  char *msg)
{
	struct etcd_watch_opts wo = { .key = "k" };
	struct etcd_watch *w;
	pid_t pid;
	struct etcd *e = fake_client(f, &pid);

	memset(l, 0, sizeof(*l));
	if (e && !etcd_watch_start(e, &wo, on_watch, l, &w, msg,
				   ETCD_MSG_LEN)) {
		RUN_UNTIL(e, l->ended, 5000000);
		etcd_watch_free(w);
	}
	EXPECT_EQ(1, l->ended) TH_LOG("%s", f->head);
	fake_end(e, pid);
	return l->err;
}

static int fake_watch(struct __test_metadata *_metadata, const char *body,
		      struct watch_log *l, char *msg)
{
	struct fake_reply f = { .head = body };

	return fake_watch_rep(_metadata, &f, l, msg);
}

/* One request to a fake gateway that sends @f. */
static int fake_call_rep(const struct etcd_request *r,
			 const struct fake_reply *f, char *msg)
{
	struct etcd_reply rep;
	int err = -ENOMEM;
	pid_t pid;
	struct etcd *e = fake_client(f, &pid);

	if (e)
		err = etcd_call(e, r, &rep, msg, ETCD_MSG_LEN);
	if (!err)
		etcd_reply_free(&rep);
	fake_end(e, pid);
	return err;
}

static int fake_call(const struct etcd_request *r, const char *body,
		     char *msg)
{
	struct fake_reply f = { .head = body };

	return fake_call_rep(r, &f, msg);
}

/* Server fields of the wrong type or missing: -EPROTO, not a crash. */
TEST(malformed_fields)
{
	static const char *const watch_bad[] = {
		"{\"result\":{\"header\":{},\"events\":[{\"type\":null,\"kv\":{\"key\":\"YQ==\"}}]}}",
		"{\"result\":{\"header\":{},\"events\":[{\"type\":5,\"kv\":{\"key\":\"YQ==\"}}]}}",
		"{\"result\":{\"header\":{},\"events\":[{\"type\":\"MOVE\",\"kv\":{\"key\":\"YQ==\"}}]}}",
		"{\"result\":{\"header\":{},\"events\":[{\"kv\":{}}]}}",
		"{\"result\":{\"header\":{},\"events\":[null]}}",
		"{\"result\":{\"header\":{},\"events\":{}}}",
		"{\"result\":{\"header\":{},\"canceled\":true,\"cancel_reason\":null}}",
		"{\"result\":{\"header\":{},\"canceled\":true,\"cancel_reason\":[1]}}",
		"{\"result\":null}",
		"{\"error\":null}",
		"[]",
	};
	/*
	 * Numbers and flags: an int64 is a decimal string (or a JSON
	 * integer) within int64, a revision >= 0; a flag a JSON boolean
	 * ("false" as a string is not false, nor true).  The message
	 * names the member.
	 */
	static const struct lax {
		const char *body, *member;	/* ... the member named */
	} watch_lax[] = {
		{ "{\"result\":{\"header\":{\"revision\":\"99999999999999999999\"}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":99999999999999999999}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":\"-5\"}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":\"12abc\"}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":\"\"}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":\" 7\"}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":\"+7\"}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":7.5}}}", "revision" },
		{ "{\"result\":{\"header\":{\"revision\":true}}}", "revision" },
		{ "{\"result\":{\"header\":{\"cluster_id\":\"-1\"}}}", "cluster_id" },
		{ "{\"result\":{\"header\":{},\"created\":\"false\"}}", "created" },
		{ "{\"result\":{\"header\":{},\"canceled\":1}}", "canceled" },
		{ "{\"result\":{\"header\":{},\"canceled\":true,\"compact_revision\":\"-3\"}}", "compact_revision" },
		{ "{\"result\":{\"header\":{},\"watch_id\":\"1x\"}}", "watch_id" },
		{ "{\"result\":{\"header\":{},\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"-1\"}}]}}", "mod_revision" },
	};
	static const struct lax range_lax[] = {
		{ "{\"header\":{},\"count\":\"x\"}", "count" },
		{ "{\"header\":{},\"more\":\"false\"}", "more" },
		{ "{\"header\":{},\"kvs\":{\"key\":\"YQ==\"}}", "kvs" },
		{ "{\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"version\":\"1e3\"}]}", "version" },
		{ "{\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":\"9223372036854775808\"}]}", "create_revision" },
	};
	static const char *const range_bad[] = {
		"{\"header\":{},\"kvs\":[{}]}",
		"{\"header\":{},\"kvs\":[null]}",
		"{\"header\":{},\"kvs\":[{\"key\":null}]}",
		"{\"header\":{},\"kvs\":[{\"key\":\"YQ==\",\"value\":7}]}",
		"{\"header\":{},\"kvs\":\"x\"}",
		"{\"header\":null}",
	};
	static const char *const txn_bad[] = {
		"{\"header\":{},\"responses\":[{\"response_put\":null}]}",
		"{\"header\":{},\"responses\":[{\"response_range\":5}]}",
		"{\"header\":{},\"responses\":[null]}",
	};
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = "x" };
	struct etcd_request r = { .type = ETCD_REQ_KV, .op = op };
	struct etcd_request t = {
		.type = ETCD_REQ_TXN,
		.txn = { .success = &op, .n_success = 1 },
	};
	char msg[ETCD_MSG_LEN];
	struct watch_log l;
	size_t i;

	for (i = 0; i < sizeof(watch_bad) / sizeof(watch_bad[0]); i++) {
		EXPECT_EQ(-EPROTO, fake_watch(_metadata, watch_bad[i], &l, msg))
			TH_LOG("%s", watch_bad[i]);
		EXPECT_EQ(0, l.msgs);
	}
	for (i = 0; i < sizeof(range_bad) / sizeof(range_bad[0]); i++)
		EXPECT_EQ(-EPROTO, fake_call(&r, range_bad[i], msg))
			TH_LOG("%s: %s", range_bad[i], msg);
	for (i = 0; i < sizeof(txn_bad) / sizeof(txn_bad[0]); i++)
		EXPECT_EQ(-EPROTO, fake_call(&t, txn_bad[i], msg))
			TH_LOG("%s: %s", txn_bad[i], msg);
	for (i = 0; i < sizeof(watch_lax) / sizeof(watch_lax[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "bad \"%s\"", watch_lax[i].member);
		EXPECT_EQ(-EPROTO, fake_watch(_metadata, watch_lax[i].body, &l,
					      msg)) TH_LOG("%s", watch_lax[i].body);
		EXPECT_EQ(0, l.msgs);
		EXPECT_NE(NULL, strstr(l.msg, want)) TH_LOG("%s", l.msg);
	}
	for (i = 0; i < sizeof(range_lax) / sizeof(range_lax[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), "bad \"%s\"", range_lax[i].member);
		EXPECT_EQ(-EPROTO, fake_call(&r, range_lax[i].body, msg))
			TH_LOG("%s", range_lax[i].body);
		EXPECT_NE(NULL, strstr(msg, want)) TH_LOG("%s", msg);
	}
	EXPECT_EQ(-EPROTO, fake_call(&t, "{\"header\":{},\"succeeded\":\"false\"}",
				     msg));
	EXPECT_NE(NULL, strstr(msg, "bad \"succeeded\"")) TH_LOG("%s", msg);
	/* A lease's TTL may be -1 (expired); the numbers as JSON integers too. */
	{
		struct etcd_request lr = { .type = ETCD_REQ_LEASE_TTL,
					   .lease_id = 5 };

		EXPECT_EQ(-ENOENT, fake_call(&lr, "{\"header\":{},\"ID\":\"5\",\"TTL\":\"-1\"}",
					     msg)) TH_LOG("%s", msg);
		EXPECT_EQ(0, fake_call(&r, "{\"header\":{\"revision\":9,\"cluster_id\":\"18446744073709551615\"},"
				       "\"count\":\"1\",\"more\":false,\"kvs\":[{\"key\":\"YQ==\","
				       "\"mod_revision\":\"9\",\"version\":1}]}", msg))
			TH_LOG("%s", msg);
	}
	/* A good one through the same path. */
	EXPECT_EQ(0, fake_call(&r, "{\"header\":{},\"kvs\":[{\"key\":\"YQ==\"}]}",
			       msg)) TH_LOG("%s", msg);
}

/* etcd's errors: the streaming form, a timeout, text on one line. */
TEST(error_replies)
{
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = "x" },
	};
	char msg[ETCD_MSG_LEN];
	struct watch_log l;

	/* A write that timed out in etcd may have been applied. */
	EXPECT_EQ(-ETIMEDOUT, fake_call(&r, "{\"error\":{\"grpc_code\":14,"
		  "\"message\":\"etcdserver: request timed out\\r\\nX-Evil: 1\"}}",
		  msg));
	EXPECT_EQ(NULL, strpbrk(msg, "\r\n")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "request timed out")) TH_LOG("%s", msg);
	/* "grpc_code" of the streaming form. */
	EXPECT_EQ(-EPERM, fake_call(&r, "{\"error\":{\"grpc_code\":7,"
		  "\"message\":\"nope\"}}", msg)) TH_LOG("%s", msg);
	EXPECT_EQ(-EPERM, fake_watch(_metadata, "{\"error\":{\"grpc_code\":7,"
		  "\"message\":\"nope\\n\"}}", &l, msg));
	EXPECT_EQ(NULL, strchr(l.msg, '\n')) TH_LOG("%s", l.msg);
	/*
	 * Before a stream starts the gateway says {"error": "text", "code":
	 * N}: decoded by its code (14: unavailable, worth a retry), not as a
	 * malformed reply.
	 */
	EXPECT_EQ(-EAGAIN, fake_watch(_metadata,
		  "{\"error\":\"grpc: the client connection is closing\","
		  "\"code\":14,\"message\":\"grpc: the client connection is closing\"}",
		  &l, msg));
	EXPECT_NE(NULL, strstr(l.msg, "connection is closing")) TH_LOG("%s", l.msg);
	/*
	 * A member's graceful stop ends a stream over TLS so (gRPC
	 * Internal): the transport's end, worth a retry (-EAGAIN), as
	 * without TLS ("transport is closing", Unavailable).
	 */
	EXPECT_EQ(-EAGAIN, fake_watch(_metadata,
		  "{\"error\":{\"grpc_code\":13,\"message\":"
		  "\"server closed the stream without sending trailers\"}}",
		  &l, msg)) TH_LOG("%s", l.msg);
	EXPECT_EQ(-EAGAIN, fake_watch(_metadata,
		  "{\"error\":{\"grpc_code\":14,\"message\":"
		  "\"transport is closing\"}}", &l, msg)) TH_LOG("%s", l.msg);
	/* Another Internal error is not. */
	EXPECT_EQ(-EIO, fake_watch(_metadata,
		  "{\"error\":{\"grpc_code\":13,\"message\":\"boom\"}}",
		  &l, msg)) TH_LOG("%s", l.msg);
	/*
	 * OutOfRange: a compacted revision is -ESTALE (list again), a
	 * future one -ERANGE (nothing to list again).
	 */
	EXPECT_EQ(-ESTALE, fake_call(&r, "{\"error\":{\"grpc_code\":11,"
		  "\"message\":\"etcdserver: mvcc: required revision has been compacted\"}}",
		  msg)) TH_LOG("%s", msg);
	EXPECT_EQ(-ERANGE, fake_call(&r, "{\"error\":{\"grpc_code\":11,"
		  "\"message\":\"etcdserver: mvcc: required revision is a future revision\"}}",
		  msg)) TH_LOG("%s", msg);
	EXPECT_STREQ("etcdserver: mvcc: required revision is a future revision",
		     msg);
	/* A watch asks for a leader. */
	fake_require = "\r\nGrpc-Metadata-hasleader: true\r\n";
	EXPECT_EQ(-ECONNRESET, fake_watch(_metadata,
		  "{\"result\":{\"header\":{},\"created\":true}}", &l, msg))
		TH_LOG("%s", l.msg);
	EXPECT_EQ(1, l.created);
	fake_require = NULL;
	/* Not JSON: its text on one line too. */
	EXPECT_EQ(-EPROTO, fake_call(&r, "<b>\r\nhi</b>", msg));
	EXPECT_EQ(NULL, strpbrk(msg, "\r\n")) TH_LOG("%s", msg);
}

/* @r to two fake gateways, answering @first and @second. */
static int two_fakes(const struct etcd_request *r, const char *first,
		     const char *second, char *msg)
{
	struct etcd_opts o = { 0 };
	struct etcd_reply rep;
	char eps[96];
	struct etcd *e;
	int p1, p2, err = -ENOMEM;
	pid_t pid1 = fake_gateway(&p1, first, "", 0, ""),
	      pid2 = fake_gateway(&p2, second, "", 0, "");

	if (pid1 < 0 || pid2 < 0)
		return -EIO;
	snprintf(eps, sizeof(eps), "http://127.0.0.1:%d,http://127.0.0.1:%d",
		 p1, p2);
	o.endpoints = eps;
	e = client_opts(&o);
	if (e)
		err = etcd_call(e, r, &rep, msg, ETCD_MSG_LEN);
	if (!err)
		etcd_reply_free(&rep);
	kill(pid1, SIGKILL);
	kill(pid2, SIGKILL);
	waitpid(pid1, NULL, 0);
	waitpid(pid2, NULL, 0);
	etcd_free(e);
	return err;
}

/* A range of x and a put of x: safe to send again, and not. */
static const struct etcd_request get_x = {
	.type = ETCD_REQ_KV,
	.op = { .type = ETCD_OP_RANGE, .key = "x" },
}, put_x = {
	.type = ETCD_REQ_KV,
	.op = { .type = ETCD_OP_PUT, .key = "x", .value = "1", .value_len = 1 },
};

/* A member without a leader: the next one is asked, if that is safe. */
TEST(no_leader_next_endpoint)
{
	static const char no_leader[] = "{\"error\":{\"grpc_code\":14,"
		"\"message\":\"etcdserver: no leader\"}}";
	static const char unavail[] = "{\"error\":{\"grpc_code\":14,"
		"\"message\":\"transport is closing\"}}";
	static const char ok[] = "{\"header\":{\"revision\":\"9\"}}";
	char msg[ETCD_MSG_LEN];

	EXPECT_EQ(0, two_fakes(&get_x, no_leader, ok, msg)) TH_LOG("%s", msg);
	EXPECT_EQ(0, two_fakes(&get_x, unavail, ok, msg)) TH_LOG("%s", msg);
	EXPECT_EQ(0, two_fakes(&put_x, no_leader, ok, msg)) TH_LOG("%s", msg);
	/* Maybe applied: not sent again. */
	EXPECT_EQ(-EAGAIN, two_fakes(&put_x, unavail, ok, msg));
	/* Both without a leader: the error, not a loop. */
	EXPECT_EQ(-EAGAIN, two_fakes(&get_x, no_leader, no_leader, msg));
}

/* A token that would inject a header is refused. */
TEST(token_header_injection)
{
	static const char *const bad[] = {
		"{\"header\":{},\"token\":\"abc\\r\\nX-Injected: yes\"}",
		"{\"header\":{},\"token\":\"a b\"}",
		"{\"header\":{},\"token\":\"a\\u0000b\"}",
		"{\"header\":{},\"token\":\"\\u00e9\"}",
		"{\"header\":{},\"token\":\"\"}",
	};
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = "x" },
	};
	char msg[ETCD_MSG_LEN], ep[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct etcd_opts o = { .endpoints = ep, .user = "u",
				       .password = "p" };
		struct etcd_reply rep;
		struct etcd *e;
		int port, err;
		pid_t pid = fake_gateway(&port, bad[i], "", 0, "");

		ASSERT_LT(0, pid);
		snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
		e = client_opts(&o);
		ASSERT_NE(NULL, e);
		err = etcd_call(e, &r, &rep, msg, sizeof(msg));
		EXPECT_EQ(-EPROTO, err) TH_LOG("%s: %s", bad[i], msg);
		EXPECT_NE(NULL, strstr(msg, "token")) TH_LOG("%s", msg);
		if (!err)
			etcd_reply_free(&rep);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		etcd_free(e);
	}
}

/*
 * A hostile reply cannot make the client hold much more than its bytes:
 * counts of kvs and events are capped, and so is the JSON json-c would
 * build ("{}" costs it about 1 KiB).
 */
TEST(reply_amplification)
{
	struct etcd_request r = {
		.type = ETCD_REQ_KV,
		.op = { .type = ETCD_OP_RANGE, .key = "x" },
	};
	struct fake_reply kvs = {
		.head = "{\"header\":{},\"kvs\":[",
		.tail = "{\"key\":\"YQ==\"},", .times = ETCD_KVS_MAX,
		.foot = "{\"key\":\"YQ==\"}]}",
	}, events = {
		.head = "{\"result\":{\"header\":{},\"events\":[",
		.tail = "{\"kv\":{\"key\":\"YQ==\"}},", .times = ETCD_KVS_MAX,
		.foot = "{\"kv\":{\"key\":\"YQ==\"}}]}}",
	};
	char msg[ETCD_MSG_LEN];
	struct watch_log l;
	uint64_t t0;

	/* One kv over the count. */
	EXPECT_EQ(-EMSGSIZE, fake_call_rep(&r, &kvs, msg));
	EXPECT_NE(NULL, strstr(msg, "kvs")) TH_LOG("%s", msg);
	kvs.times = ETCD_KVS_MAX - 1;
	EXPECT_EQ(0, fake_call_rep(&r, &kvs, msg)) TH_LOG("%s", msg);
	EXPECT_EQ(-EMSGSIZE, fake_watch_rep(_metadata, &events, &l, msg));
	EXPECT_NE(NULL, strstr(l.msg, "events")) TH_LOG("%s", l.msg);
	EXPECT_EQ(0, l.msgs);
	/* 300 KB of "{}": refused before json-c builds it. */
	kvs.tail = "{},";
	kvs.times = 100000;
	EXPECT_EQ(-EMSGSIZE, fake_call_rep(&r, &kvs, msg));
	EXPECT_NE(NULL, strstr(msg, "JSON values")) TH_LOG("%s", msg);
	events.tail = "{},";
	events.times = 100000;
	EXPECT_EQ(-EMSGSIZE, fake_watch_rep(_metadata, &events, &l, msg));
	EXPECT_NE(NULL, strstr(l.msg, "JSON values")) TH_LOG("%s", l.msg);
	/* 9 MB of it: over the default byte cap, and quickly. */
	kvs.times = 3000000;
	t0 = now_us();
	EXPECT_EQ(-EMSGSIZE, fake_call_rep(&r, &kvs, msg));
	EXPECT_NE(NULL, strstr(msg, "bytes")) TH_LOG("%s", msg);
	EXPECT_GT(3000000, now_us() - t0);
}

TEST(auth_users_and_roles)
{
	struct etcd_opts o = { .endpoints = auth_c->endpoints,
			       .user = "alice", .password = "wrong" };
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = "/app/x" };
	char msg[ETCD_MSG_LEN];
	struct etcd_reply r;
	struct etcd *e;

	/* Wrong password. */
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(-EACCES, put(e, "/app/x", "1", 0, NULL, msg));
	EXPECT_NE(NULL, strstr(msg, "authentication failed")) TH_LOG("%s", msg);
	etcd_free(e);
	/* No user at all. */
	e = client(auth_c->endpoints);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(-EACCES, put(e, "/app/x", "1", 0, NULL, msg));
	TH_LOG("%s", msg);
	etcd_free(e);

	o.password = "alicepw";
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/app/x", "1", 0, NULL, msg)) TH_LOG("%s", msg);
	ASSERT_EQ(0, get(e, &op, &r, msg));
	EXPECT_EQ(1, r.n_kvs);
	etcd_reply_free(&r);
	/* Outside the role's prefix. */
	EXPECT_EQ(-EPERM, put(e, "/other", "1", 0, NULL, msg));
	EXPECT_NE(NULL, strstr(msg, "permission denied")) TH_LOG("%s", msg);
	op.key = "/other";
	EXPECT_EQ(-EPERM, get(e, &op, &r, msg));

	/* The token lapses after 1 s idle (--auth-token-ttl): re-auth. */
	sleep(3);
	EXPECT_EQ(0, put(e, "/app/y", "2", 0, NULL, msg)) TH_LOG("%s", msg);
	etcd_free(e);

	/* Requests sent before there is a token wait for one. */
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	{
		struct async_state a = { .e = e };
		uint64_t end = now_us() + 10000000;

		submit_puts(_metadata, &a, 10, "/app/");
		while (a.done < 10 && now_us() < end)
			etcd_run_once(e, 100000);
		EXPECT_EQ(10, a.ok) TH_LOG("%s", a.msg);
	}
	etcd_free(e);
}

/*
 * A JWT token outlives a change of users or roles, and etcd then refuses
 * it as "revision of auth store is old": requests and watches
 * authenticate again (a node's config must keep flowing when the roles
 * script runs).
 */
TEST(auth_store_revision_old)
{
	struct etcd_opts o = { .endpoints = jwt_c->endpoints,
			       .user = "alice", .password = "alicepw" };
	struct etcd_watch_opts wo = { .key = "/app/j" };
	struct watch_log l = { 0 };
	char msg[ETCD_MSG_LEN];
	struct etcd_watch *w;
	struct etcd *e = client_opts(&o);

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/app/j", "1", 0, NULL, msg)) TH_LOG("%s", msg);
	ASSERT_EQ(0, etcdctl(jwt_c, "root:rootpw",
			     "role grant-permission limited --prefix=true read /app2/"));
	EXPECT_EQ(0, put(e, "/app/j", "2", 0, NULL, msg)) TH_LOG("%s", msg);

	ASSERT_EQ(0, etcdctl(jwt_c, "root:rootpw",
			     "role grant-permission limited --prefix=true read /app3/"));
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg)));
	RUN_UNTIL(e, l.created || l.ended, 5000000);
	EXPECT_EQ(1, l.created);
	EXPECT_EQ(0, l.ended) TH_LOG("%s", l.msg);
	ASSERT_EQ(0, put(e, "/app/j", "3", 0, NULL, msg)) TH_LOG("%s", msg);
	RUN_UNTIL(e, has_event(&l, "/app/j") || l.ended, 5000000);
	EXPECT_TRUE(has_event(&l, "/app/j"));
	etcd_watch_free(w);
	etcd_free(e);
}

/*
 * etcd 3.4 answers a watch sent with an expired token, or outside the
 * user's roles, by creating and canceling it at once.
 */
TEST(watch_token_expired_and_denied)
{
	struct etcd_opts o = { .endpoints = auth_c->endpoints,
			       .user = "alice", .password = "alicepw" };
	struct etcd_watch_opts wo = { .key = "/app/w" };
	struct watch_log l = { 0 };
	char msg[ETCD_MSG_LEN];
	struct etcd_watch *w;
	struct etcd *e = client_opts(&o);

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/app/w", "1", 0, NULL, msg)) TH_LOG("%s", msg);
	sleep(3);	/* the token lapses (--auth-token-ttl 1) */
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg)));
	RUN_UNTIL(e, l.created || l.ended, 5000000);
	EXPECT_EQ(1, l.created);
	EXPECT_FALSE(l.canceled);
	EXPECT_EQ(0, l.ended) TH_LOG("%s", l.msg);
	ASSERT_EQ(0, put(e, "/app/w", "2", 0, NULL, msg)) TH_LOG("%s", msg);
	RUN_UNTIL(e, has_event(&l, "/app/w") || l.ended, 5000000);
	EXPECT_TRUE(has_event(&l, "/app/w"));
	etcd_watch_free(w);

	/* Outside the role: the watch ends, with etcd's reason. */
	memset(&l, 0, sizeof(l));
	wo.key = "/other";
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg)));
	RUN_UNTIL(e, l.ended, 5000000);
	EXPECT_EQ(1, l.ended);
	EXPECT_EQ(-EPERM, l.err);
	EXPECT_NE(NULL, strstr(l.msg, "permission denied")) TH_LOG("%s", l.msg);
	EXPECT_EQ(0, l.msgs);
	etcd_watch_free(w);
	etcd_free(e);
}

/* A put of "/tls/a" by a new client with @o. */
static int tls_put(struct etcd_opts *o, const char *val, char *msg)
{
	struct etcd *e = client_opts(o);
	int err;

	if (!e)
		return -ENOMEM;
	err = put(e, "/tls/a", val, 0, NULL, msg);
	etcd_free(e);
	return err;
}

TEST(tls_ca_and_client_certificate)
{
	struct etcd_opts o = { .endpoints = tls_c->endpoints,
			       .ca_file = tls_c->ca, .cert_file = tls_c->cert,
			       .key_file = tls_c->key };
	char msg[ETCD_MSG_LEN];
	struct etcd *e;

	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, put(e, "/tls/a", "1", 0, NULL, msg)) TH_LOG("%s", msg);
	EXPECT_EQ(1, count_keys(e, "/tls/a"));
	etcd_free(e);
	/*
	 * No client certificate: with TLS 1.3 etcd closes the connection
	 * after the handshake, which looks like any reset.
	 */
	o.cert_file = o.key_file = NULL;
	EXPECT_EQ(-ECONNRESET, tls_put(&o, "2", msg));
	TH_LOG("no client certificate: %s", msg);
	/* A CA that did not sign the server's certificate. */
	o.cert_file = tls_c->cert;
	o.key_file = tls_c->key;
	o.ca_file = "/etc/ssl/certs/ca-certificates.crt";
	EXPECT_EQ(-EACCES, tls_put(&o, "3", msg));
	EXPECT_NE(NULL, strstr(msg, "TLS")) TH_LOG("unknown CA: %s", msg);
	/*
	 * TLS refused by one endpoint (plain HTTP there) is no reason to
	 * give up on the next.
	 */
	o.ca_file = tls_c->ca;
	{
		char eps[320];

		snprintf(eps, sizeof(eps), "https://127.0.0.1:%d,%s",
			 main_c->client_port[0], tls_c->endpoints);
		o.endpoints = eps;
		e = client_opts(&o);
		ASSERT_NE(NULL, e);
		EXPECT_EQ(0, put(e, "/tls/b", "1", 0, NULL, msg))
			TH_LOG("%s", msg);
		EXPECT_STREQ(tls_c->endpoints, etcd_endpoint(e));
		etcd_free(e);
		o.endpoints = tls_c->endpoints;
	}
	/* Neither was written. */
	o.ca_file = tls_c->ca;
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	{
		struct etcd_op op = { .type = ETCD_OP_RANGE, .key = "/tls/a" };
		struct etcd_reply r;

		ASSERT_EQ(0, get(e, &op, &r, msg)) TH_LOG("%s", msg);
		ASSERT_EQ(1, r.n_kvs);
		EXPECT_STREQ("1", r.kvs[0].value);
		etcd_reply_free(&r);
	}
	etcd_free(e);
}

/* Last: it kills a member (and restarts it). */
TEST(failover_to_next_endpoint)
{
	char msg[ETCD_MSG_LEN], eps[256], ep[MEMBERS][64];
	int lead = leader(main_c), f, i;
	struct etcd *e;
	pid_t pid;

	ASSERT_LE(0, lead);
	/* The client talks to a follower first, the others after it. */
	f = (lead + 1) % MEMBERS;
	for (i = 0; i < MEMBERS; i++)
		endpoint(main_c, (f + i) % MEMBERS, ep[i], sizeof(ep[i]));
	snprintf(eps, sizeof(eps), "%s,%s,%s", ep[0], ep[1], ep[2]);
	e = client(eps);
	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/t8/a", "1", 0, NULL, msg));
	EXPECT_STREQ(ep[0], etcd_endpoint(e));
	ASSERT_EQ(0, kill(main_c->pid[f], SIGKILL));
	usleep(200000);	/* its sockets are closed */
	EXPECT_EQ(0, put(e, "/t8/a", "2", 0, NULL, msg)) TH_LOG("%s", msg);
	EXPECT_STREQ(ep[1], etcd_endpoint(e));
	EXPECT_EQ(1, count_keys(e, "/t8/a"));
	/* Back for whoever runs next (its pid in shared memory for main). */
	pid = member_start(main_c, f);
	ASSERT_LT(0, pid);
	main_c->pid[f] = pid;
	EXPECT_EQ(0, member_ready(main_c, f));
	etcd_free(e);
}

/*
 * first_endpoint (cosid's random pick): requests start at that endpoint,
 * modulo their number, and fail over from there.
 */
TEST(first_endpoint)
{
	char msg[ETCD_MSG_LEN], eps[256], ep[MEMBERS][64];
	struct etcd_opts o = { .endpoints = eps };
	struct etcd *e;
	unsigned int i;

	for (i = 0; i < MEMBERS; i++)
		endpoint(main_c, i, ep[i], sizeof(ep[i]));
	snprintf(eps, sizeof(eps), "%s,%s,%s", ep[0], ep[1], ep[2]);
	for (i = 0; i < 2 * MEMBERS; i++) {
		o.first_endpoint = i == MEMBERS ? ~0u : i;
		e = client_opts(&o);
		ASSERT_NE(NULL, e);
		EXPECT_EQ(0, put(e, "/t8/first", "1", 0, NULL, msg))
			TH_LOG("%s", msg);
		EXPECT_STREQ(ep[o.first_endpoint % MEMBERS], etcd_endpoint(e));
		etcd_free(e);
	}
	/* The first one refuses (a dead port): the next answers. */
	snprintf(eps, sizeof(eps), "%s,http://127.0.0.1:1,%s", ep[0], ep[2]);
	o.first_endpoint = 1;
	e = client_opts(&o);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, put(e, "/t8/first", "2", 0, NULL, msg)) TH_LOG("%s", msg);
	EXPECT_STREQ(ep[2], etcd_endpoint(e));
	etcd_free(e);
}

/* cosictl get --etcd (daemon/cosictl/fleet_get.c), the built binary. */

#define REG(groups) \
	"{\"node\":\"x\",\"cluster\":\"c\",\"groups\":[" groups "]," \
	"\"kernel\":\"6.12.0-test\",\"version\":\"9.8.7\"}"

/* A status document as cosid publishes it (cosictl -o json's form). */
static void status_doc(char *buf, size_t len, const char *type,
		       const char *id, const char *spec)
{
	snprintf(buf, len,
		 "{\"metadata\":{\"namespace\":\"runtime\",\"type\":\"%s\","
		 "\"id\":\"%s\",\"version\":4,\"owner\":\"sysctl\","
		 "\"phase\":\"running\",\"labels\":{\"a\":\"b\"},"
		 "\"annotations\":{},\"finalizers\":[],"
		 "\"created\":\"2026-01-02T03:04:05.5Z\","
		 "\"updated\":\"2026-01-02T03:04:06Z\",\"revision\":9},"
		 "\"spec\":%s}", type, id, spec);
}

/*
 * The row of a table whose first cell is @first, split on blanks into
 * @cells (at most @n); the number of cells, 0 if there is no such row.
 */
static size_t row(const char *out, const char *first, char cells[][64],
		  size_t n)
{
	char line[512], *tok, *save;
	const char *p = out, *nl;
	size_t k, len;

	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		len = (size_t)(nl - p) < sizeof(line) - 1 ?
		      (size_t)(nl - p) : sizeof(line) - 1;
		memcpy(line, p, len);
		line[len] = 0;
		tok = strtok_r(line, " ", &save);
		if (!tok || strcmp(tok, first))
			continue;
		for (k = 0; tok && k < n; k++) {
			snprintf(cells[k], 64, "%s", tok);
			tok = strtok_r(NULL, " ", &save);
		}
		return k;
	}
	return 0;
}

static int lease_grant(struct etcd *e, int64_t ttl, int64_t *id)
{
	char msg[ETCD_MSG_LEN];
	struct etcd_reply r;
	int err = lease_req(e, ETCD_REQ_LEASE_GRANT, 0, ttl, &r, msg);

	if (!err) {
		*id = r.lease_id;
		etcd_reply_free(&r);
	}
	return err;
}

static int lease_revoke(struct etcd *e, int64_t id)
{
	char msg[ETCD_MSG_LEN];
	struct etcd_reply r;
	int err = lease_req(e, ETCD_REQ_LEASE_REVOKE, id, 0, &r, msg);

	if (!err)
		etcd_reply_free(&r);
	return err;
}

/*
 * Node @node of @cluster as cosid registers it: the registration
 * (groups @reg, persistent) and the live key under @lease.
 */
static int put_node(struct etcd *e, const char *cluster, const char *node,
		    const char *reg, int64_t lease)
{
	char key[256];

	snprintf(key, sizeof(key), "/cosi/%s/nodes/%s", cluster, node);
	if (put(e, key, reg, 0, NULL, NULL))
		return -1;
	snprintf(key, sizeof(key), "/cosi/%s/nodes/%s/live", cluster, node);
	return put(e, key, "", lease, NULL, NULL);
}

/* Cells @from to @to (excluded), blank-separated, in @buf (640 bytes). */
static const char *join_cells(char c[][64], size_t from, size_t to,
			      char *buf)
{
	size_t i;

	buf[0] = 0;
	for (i = from; i < to; i++)
		sprintf(buf + strlen(buf), "%s%s", i > from ? " " : "", c[i]);
	return buf;
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* The member of the element of array @a whose "node" is @node. */
static json_object *by_node(json_object *a, const char *node)
{
	json_object *o, *v;
	size_t i;

	for (i = 0; a && i < json_object_array_length(a); i++) {
		o = json_object_array_get_idx(a, i);
		if (json_object_object_get_ex(o, "node", &v) &&
		    !strcmp(json_object_get_string(v), node))
			return o;
	}
	return NULL;
}

static bool jbool(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_get_boolean(v);
}

#define NODE_HEAD "---\nnode: a\ncluster: cn\nregistered: true\nlive: true\n"
#define YAML_HEAD "---\nnode: n1\nmetadata:\n  namespace: runtime\n"

TEST(cosictl_get_nodes)
{
	struct etcd *e = client(main_c->endpoints);
	char out[16384], err[2048], c[8][64], line[640];
	const char *ep = main_c->endpoints;
	json_object *j, *o, *g;
	int64_t lease;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_grant(e, 60, &lease));
	/*
	 * a: cosid's way (a registration, a live key under a lease); b: a
	 * live key without a lease (not cosid's); c: statuses only.
	 */
	ASSERT_EQ(0, put_node(e, "cn", "a", REG("\"web\",\"eu\""), lease));
	/* b with cosid's --node-label rack=r1 --node-label "zone=eu 1". */
	ASSERT_EQ(0, put(e, "/cosi/cn/nodes/b",
			 "{\"node\":\"b\",\"cluster\":\"cn\",\"groups\":[\"db\"],"
			 "\"labels\":{\"rack\":\"r1\",\"zone\":\"eu 1\"},"
			 "\"kernel\":\"6.12.0-test\",\"version\":\"9.8.7\"}",
			 0, NULL, NULL));
	ASSERT_EQ(0, put(e, "/cosi/cn/nodes/b/live", "", 0, NULL, NULL));
	ASSERT_EQ(0, put(e, "/cosi/cn/status/c/runtime/T.x/i", "{}", 0, NULL,
			 NULL));
	/* Another cluster's node is not listed. */
	ASSERT_EQ(0, put(e, "/cosi/other/nodes/z", REG(""), 0, NULL, NULL));

	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cn", "get", "nodes", NULL));
	EXPECT_STREQ("", err);
	EXPECT_EQ(0, strncmp(out, "NODE", 4)) TH_LOG("%s", out);
	EXPECT_EQ(4, lines(out)) TH_LOG("%s", out);
	ASSERT_EQ(5, row(out, "NODE", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("GROUPS", c[1]);
	EXPECT_STREQ("LIVE", c[2]);
	EXPECT_STREQ("LAST-SEEN", c[3]);
	EXPECT_STREQ("VERSION", c[4]);
	ASSERT_EQ(6, row(out, "a", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("web,eu", c[1]);
	EXPECT_STREQ("yes", c[2]);
	/* Granted 60 s, not kept alive: seconds since the grant. */
	EXPECT_TRUE(!strcmp(c[3], "0s") || !strcmp(c[3], "1s") ||
		    !strcmp(c[3], "2s")) TH_LOG("%s", c[3]);
	EXPECT_STREQ("ago", c[4]);
	EXPECT_STREQ("9.8.7", c[5]);
	ASSERT_EQ(5, row(out, "b", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("db no - 9.8.7", join_cells(c, 1, 5, line));
	ASSERT_EQ(5, row(out, "c", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("<unknown>", c[1]);
	EXPECT_STREQ("no", c[2]);
	EXPECT_EQ(0, row(out, "z", c, 8));

	/* --group: the registrations listing it; --node: that one. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cn", "get", "nodes", "--group", "eu",
			     NULL));
	EXPECT_EQ(2, lines(out)) TH_LOG("%s", out);
	EXPECT_NE(0, row(out, "a", c, 8));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cn", "get", "nodes", "--node", "b",
			     "-o", "wide", NULL));
	EXPECT_EQ(2, lines(out)) TH_LOG("%s", out);
	ASSERT_EQ(6, row(out, "b", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("6.12.0-test", c[5]);
	/* An unknown group: nothing, a note, exit 0 (as an empty get). */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cn", "get", "nodes", "--group", "nope",
			     NULL));
	EXPECT_STREQ("", out);
	EXPECT_NE(NULL, strstr(err, "no registered node of cluster cn is in group nope"))
		TH_LOG("%s", err);

	/* -o json: a list, each with its node name. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cn", "get", "nodes", "-o", "json",
			     NULL));
	j = json_tokener_parse(out);
	ASSERT_TRUE(json_object_is_type(j, json_type_array)) TH_LOG("%s", out);
	EXPECT_EQ(3, json_object_array_length(j));
	o = by_node(j, "a");
	ASSERT_NE(NULL, o);
	EXPECT_TRUE(jbool(o, "live"));
	EXPECT_TRUE(json_object_object_get_ex(o, "groups", &g) &&
		    json_object_array_length(g) == 2);
	EXPECT_TRUE(json_object_object_get_ex(o, "last-seen", &g) &&
		    json_object_is_type(g, json_type_string));
	/* No labels in a's registration: an empty object. */
	EXPECT_TRUE(json_object_object_get_ex(o, "labels", &g) &&
		    json_object_is_type(g, json_type_object) &&
		    !json_object_object_length(g));
	o = by_node(j, "b");
	ASSERT_NE(NULL, o);
	EXPECT_FALSE(jbool(o, "live"));
	EXPECT_TRUE(jbool(o, "registered"));
	ASSERT_TRUE(json_object_object_get_ex(o, "labels", &g));
	EXPECT_STREQ("{\"rack\":\"r1\",\"zone\":\"eu 1\"}",
		     json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN));
	o = by_node(j, "c");
	ASSERT_NE(NULL, o);
	EXPECT_FALSE(jbool(o, "registered"));
	json_object_put(j);
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cn", "get", "nodes", "-o", "yaml",
			     "--node", "a", NULL));
	EXPECT_EQ(0, strncmp(out, NODE_HEAD, strlen(NODE_HEAD)))
		TH_LOG("%s", out);

	/*
	 * The lease revoked (expired, the same): the live key is gone with
	 * it, the registration stays: a not live, its groups and version
	 * still shown.
	 */
	ASSERT_EQ(0, lease_revoke(e, lease));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cn", "get", "nodes", NULL));
	ASSERT_EQ(5, row(out, "a", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("web,eu no - 9.8.7", join_cells(c, 1, 5, line));
	EXPECT_EQ(4, lines(out)) TH_LOG("%s", out);
	etcd_free(e);
}

/*
 * delete node NAME --etcd (retiring a node): refused while its live key
 * is there (one line, nothing deleted); once its lease is gone, its
 * registration and statuses go in one txn (not another node's, whose
 * name it prefixes, nor its desired keys).
 */
TEST(cosictl_delete_node)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[4096], err[2048];
	int64_t lease;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_grant(e, 60, &lease));
	ASSERT_EQ(0, put_node(e, "cdn", "n1", REG("\"web\""), lease));
	ASSERT_EQ(0, put(e, "/cosi/cdn/status/n1/runtime/T.x/a", "{}", 0, NULL,
			 NULL));
	ASSERT_EQ(0, put(e, "/cosi/cdn/status/n1/runtime/T.x/b", "{}", 0, NULL,
			 NULL));
	ASSERT_EQ(0, put(e, "/cosi/cdn/status/n10/runtime/T.x/a", "{}", 0,
			 NULL, NULL));
	ASSERT_EQ(0, put(e, "/cosi/cdn/desired/nodes/n1/config/T/a", "{}", 0,
			 NULL, NULL));

	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cdn", "delete", "node", "n1", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "live")) TH_LOG("%s", err);
	EXPECT_EQ(1, count_prefix(e, "/cosi/cdn/nodes/n1/live"));
	EXPECT_EQ(2, count_prefix(e, "/cosi/cdn/status/n1/"));

	/* The node down: its lease expired (revoked here, the same). */
	ASSERT_EQ(0, lease_revoke(e, lease));
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cdn", "delete", "nodes", "n1", NULL))
		TH_LOG("%s", err);
	EXPECT_STREQ("node n1 deleted (its registration and statuses, 3 keys)\n",
		     out);
	EXPECT_EQ(0, count_prefix(e, "/cosi/cdn/nodes/"));
	EXPECT_EQ(0, count_prefix(e, "/cosi/cdn/status/n1/"));
	EXPECT_EQ(1, count_prefix(e, "/cosi/cdn/status/n10/"));
	EXPECT_EQ(1, count_prefix(e, "/cosi/cdn/desired/nodes/n1/"));
	/* Gone: not found (exit 1), unless --ignore-not-found. */
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cdn", "delete", "node", "n1", NULL));
	EXPECT_NE(NULL, strstr(err, "not found")) TH_LOG("%s", err);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cdn", "delete", "node", "n1",
			     "--ignore-not-found", NULL)) TH_LOG("%s", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cdn", "delete", "node", "n1",
			     "--group", "web", NULL));
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cdn", "delete", "node", "a/b", NULL));
	etcd_free(e);
}

/*
 * A live key without a lease (put by hand; cosid puts it under its
 * lease) is "not live" to get nodes and wait: delete node agrees and
 * retires the node.
 */
TEST(delete_node_leaseless_live_key)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[4096], err[2048];

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/cosi/dll/nodes/n1", REG("\"web\""), 0, NULL,
			 NULL));
	ASSERT_EQ(0, put(e, "/cosi/dll/nodes/n1/live", "", 0, NULL, NULL));
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "dll", "get", "nodes", NULL));
	EXPECT_NE(NULL, strstr(out, " no ")) TH_LOG("%s", out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "dll", "delete", "node", "n1", NULL))
		TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(out, "node n1 deleted")) TH_LOG("%s", out);
	etcd_free(e);
}

/* "http://HOST:" (an empty port) would be curl's port 80, silently. */
TEST(endpoint_empty_port)
{
	static const char *const bad[] = {
		"http://127.0.0.1:", "http://127.0.0.1:/", "https://[::1]:",
	};
	struct etcd *e = NULL;
	char msg[ETCD_MSG_LEN];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct etcd_opts o = { .endpoints = bad[i] };

		EXPECT_EQ(-EINVAL, etcd_new(&e, NULL, &o, msg, sizeof(msg)))
			TH_LOG("'%s' accepted", bad[i]);
		EXPECT_NE(NULL, strstr(msg, "port")) TH_LOG("%s", msg);
	}
}

/*
 * watch nodes / get nodes -w with --etcd: refused (exit 2, one line),
 * not a one-shot get nodes that exits 0 (review-ctl).
 */
TEST(cosictl_watch_nodes_refused)
{
	const char *ep = main_c->endpoints;
	char out[4096], err[2048];

	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "rvn", "watch", "nodes",
			     "--timeout", "1s", NULL)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_STREQ("", out);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "rvn", "get", "nodes", "-w",
			     "--timeout", "1s", NULL)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
}

TEST(cosictl_get_statuses)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints, *t = "SysctlStatuses.cosi.dev";
	char out[16384], err[2048], c[10][64], doc[1024], key[256], spec[64];
	char line[640];
	const char *nodes[] = { "n1", "n2", "n3" };
	json_object *j, *o, *m;
	int64_t lease;
	size_t i;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_grant(e, 60, &lease));
	ASSERT_EQ(0, put_node(e, "cs", "n1", REG("\"web\""), lease));
	ASSERT_EQ(0, put_node(e, "cs", "n2", REG("\"db\""), lease));
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key),
			 "/cosi/cs/status/%s/runtime/%s/net.core.somaxconn",
			 nodes[i], t);
		snprintf(spec, sizeof(spec),
			 "{\"value\":\"%zu\",\"original\":\"128\"}",
			 1000 + i);
		status_doc(doc, sizeof(doc), t, "net.core.somaxconn", spec);
		ASSERT_EQ(0, put(e, key, doc, 0, NULL, NULL));
	}
	/* Another type on n1: not listed with SysctlStatuses. */
	status_doc(doc, sizeof(doc), "HostnameStatuses.cosi.dev", "hostname",
		   "{\"hostname\":\"h1\"}");
	ASSERT_EQ(0, put(e, "/cosi/cs/status/n1/runtime/HostnameStatuses.cosi.dev/hostname",
			 doc, 0, NULL, NULL));

	/* An alias resolves (cosid's definitions, no cosi.ko here). */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus", NULL));
	EXPECT_STREQ("", err);
	EXPECT_EQ(4, lines(out)) TH_LOG("%s", out);
	ASSERT_EQ(8, row(out, "NODE", c, 10)) TH_LOG("%s", out);
	EXPECT_STREQ("NAMESPACE TYPE ID VERSION VALUE ORIGINAL ERROR",
		     join_cells(c, 1, 8, line));
	for (i = 0; i < 3; i++) {
		char v[8];

		ASSERT_EQ(8, row(out, nodes[i], c, 10)) TH_LOG("%s", out);
		snprintf(v, sizeof(v), "%zu", 1000 + i);
		EXPECT_STREQ("runtime", c[1]);
		EXPECT_STREQ(t, c[2]);
		EXPECT_STREQ("net.core.somaxconn", c[3]);
		EXPECT_STREQ("4", c[4]);
		EXPECT_STREQ(v, c[5]);
		EXPECT_STREQ("<none>", c[7]);
	}
	/* --node, --group, --all-nodes. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus", "--node",
			     "n3", NULL));
	EXPECT_EQ(2, lines(out)) TH_LOG("%s", out);
	EXPECT_EQ(8, row(out, "n3", c, 10)) TH_LOG("%s", out);
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus", "--group",
			     "db", NULL));
	EXPECT_EQ(2, lines(out)) TH_LOG("%s", out);
	EXPECT_EQ(8, row(out, "n2", c, 10)) TH_LOG("%s", out);
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "SysctlStatuses.cosi.dev",
			     "--all-nodes", NULL));
	EXPECT_EQ(4, lines(out)) TH_LOG("%s", out);

	/* -o json: a list of documents, each with "node" first. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus",
			     "net.core.somaxconn", "-o", "json", NULL));
	j = json_tokener_parse(out);
	ASSERT_TRUE(json_object_is_type(j, json_type_array)) TH_LOG("%s", out);
	EXPECT_EQ(3, json_object_array_length(j));
	for (i = 0; i < 3; i++) {
		o = by_node(j, nodes[i]);
		ASSERT_NE(NULL, o) TH_LOG("%s", nodes[i]);
		ASSERT_TRUE(json_object_object_get_ex(o, "metadata", &m));
		ASSERT_TRUE(json_object_object_get_ex(m, "updated", &m));
		EXPECT_STREQ("2026-01-02T03:04:06Z", json_object_get_string(m));
	}
	json_object_put(j);
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "hostnamestatus",
			     "-o", "yaml", NULL));
	EXPECT_EQ(0, strncmp(out, YAML_HEAD, strlen(YAML_HEAD)))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\nspec:\n  hostname: h1\n")) TH_LOG("%s", out);

	/* An unknown node: nothing, a note, exit 0; an absent id: exit 1. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus", "--node",
			     "n9", NULL));
	EXPECT_STREQ("", out);
	EXPECT_NE(NULL, strstr(err, "node n9 is not registered and published no statuses"))
		TH_LOG("%s", err);
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus", "nope",
			     NULL));
	EXPECT_STREQ("cosictl: SysctlStatuses.cosi.dev/nope: not found on any node\n",
		     err);
	/* A type not known here: its exact name, a note when none match. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatuses.cosi",
			     NULL));
	EXPECT_NE(NULL, strstr(err, "not known here")) TH_LOG("%s", err);
	/* A document that does not decode: named, the rest shown, exit 1. */
	ASSERT_EQ(0, put(e, "/cosi/cs/status/n2/runtime/SysctlStatuses.cosi.dev/bad",
			 "{\"metadata\":{}}", 0, NULL, NULL));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus", NULL));
	EXPECT_EQ(4, lines(out)) TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: /cosi/cs/status/n2/runtime/SysctlStatuses.cosi.dev/bad: skipped: metadata.namespace: expected a string\n",
		     err);
	/* A document that is not its key's: named and skipped. */
	status_doc(doc, sizeof(doc), t, "other", "{}");
	ASSERT_EQ(0, put(e, "/cosi/cs/status/n2/runtime/SysctlStatuses.cosi.dev/bad",
			 doc, 0, NULL, NULL));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cs", "get", "sysctlstatus", NULL));
	EXPECT_EQ(4, lines(out)) TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: /cosi/cs/status/n2/runtime/SysctlStatuses.cosi.dev/bad: skipped: the document is runtime/SysctlStatuses.cosi.dev/other, not the key's <ns>/<type>/<id>\n",
		     err);
	ASSERT_EQ(0, lease_revoke(e, lease));
	etcd_free(e);
}

/* Errors: one line on stderr, cosictl's exit statuses. */
TEST(cosictl_get_etcd_errors)
{
	char out[4096], err[2048], dead[64];

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", free_port());
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "get", "nodes", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_EQ(0, strncmp(err, "cosictl: etcd http://127.0.0.1:", 31))
		TH_LOG("%s", err);
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "get", "sysctlstatus", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_STREQ("", out);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd",
			     "ftp://x", "get", "nodes", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_EQ(0, strncmp(err, "cosictl: --etcd ftp://x: ", 25)) TH_LOG("%s", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--node", "a",
			     "get", "nodes", NULL));
	EXPECT_STREQ("cosictl: option --node needs --etcd\n", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "get", "x", "--node", "a", "--group", "b", NULL));
	EXPECT_STREQ("cosictl: get: --node, --group and --all-nodes exclude each other\n",
		     err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "get", "x", "-w", "--since", "3", NULL));
	EXPECT_EQ(0, strncmp(err, "cosictl: get: --since with --etcd is not supported", 50))
		TH_LOG("%s", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "watch", "x", "--rcvbuf", "1048576", NULL));
	EXPECT_STREQ("cosictl: watch: --rcvbuf is for this node's store, not --etcd\n",
		     err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "watch", "x", "-l", "a=b", NULL));
	EXPECT_STREQ("cosictl: watch: -l with --etcd is not supported yet\n", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "watch", "x", "--etcd-watch-idle", "0", NULL));
	EXPECT_EQ(0, strncmp(err, "cosictl: --etcd-watch-idle: invalid duration \"0\"", 48))
		TH_LOG("%s", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "watch", "x",
			     "--etcd-watch-idle", "5s", NULL));
	EXPECT_STREQ("cosictl: option --etcd-watch-idle needs --etcd\n", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "--etcd-watch-idle", "5s", "apply", "-f", "x.yaml",
			     "--all-nodes", NULL));
	EXPECT_STREQ("cosictl: option --etcd-watch-idle does not apply to apply\n",
		     err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "define", "-f", "x.yaml", NULL));
	EXPECT_STREQ("cosictl: option --etcd does not apply to define\n", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "--node", "a/b", "get", "x", NULL));
	EXPECT_EQ(0, strncmp(err, "cosictl: --node 'a/b': expected 1 to 63", 39))
		TH_LOG("%s", err);
}

/* cosictl apply/delete/wait --etcd (fleet_write.c, fleet_get.c). */

#define SYSCTL_DOC(id, v) \
	"metadata: {type: sysctl, id: " id "}\nspec: {value: \"" v "\"}\n"
#define HOST_DOC "metadata: {type: hostname, id: hostname}\n" \
	"spec: {hostname: h1}\n"
#define SYSCTL_KEY(c, scope, id) \
	"/cosi/" c "/desired/" scope "/config/SysctlConfigs.cosi.dev/" id
#define HOST_KEY(c, scope) \
	"/cosi/" c "/desired/" scope "/config/HostnameConfigs.cosi.dev/hostname"

/* A manifest in a file of its own; its path in @path (64 bytes). */
static int manifest(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/etcd_host_manifest_XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* @key's value (malloc()ed, NULL: absent) and mod_revision; the revision. */
static char *value_of(struct etcd *e, const char *key, int64_t *mod,
		      int64_t *rev)
{
	struct etcd_op op = { .type = ETCD_OP_RANGE, .key = key };
	char msg[ETCD_MSG_LEN], *v = NULL;
	struct etcd_reply r;

	if (get(e, &op, &r, msg))
		return NULL;
	if (r.n_kvs)
		v = strdup(r.kvs[0].value);
	if (mod)
		*mod = r.n_kvs ? r.kvs[0].mod_revision : 0;
	if (rev)
		*rev = r.hdr.revision;
	etcd_reply_free(&r);
	return v;
}

TEST(cosictl_apply_etcd)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[4096], err[2048], f1[64], f2[64], f3[64], f4[64], *v;
	int64_t rev, rev2, mod, mod2;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, manifest(f1, SYSCTL_DOC("net.ipv4.ip_forward", "1")
			      "---\n" HOST_DOC));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "apply", "-f", f1, "--group",
			     "web", NULL));
	EXPECT_STREQ("", err);
	EXPECT_STREQ("SysctlConfigs.cosi.dev/net.ipv4.ip_forward created\n"
		     "HostnameConfigs.cosi.dev/hostname created\n", out);
	/* The manifest form cosid's fleet pull reads. */
	v = value_of(e, SYSCTL_KEY("ca", "groups/web", "net.ipv4.ip_forward"),
		     &mod, &rev);
	EXPECT_STREQ("{\"metadata\":{\"namespace\":\"config\",\"type\":\"SysctlConfigs.cosi.dev\",\"id\":\"net.ipv4.ip_forward\",\"labels\":{},\"annotations\":{}},\"spec\":{\"value\":\"1\"}}",
		     v);
	free(v);
	v = value_of(e, HOST_KEY("ca", "groups/web"), NULL, NULL);
	EXPECT_STREQ("{\"metadata\":{\"namespace\":\"config\",\"type\":\"HostnameConfigs.cosi.dev\",\"id\":\"hostname\",\"labels\":{},\"annotations\":{}},\"spec\":{\"hostname\":\"h1\"}}",
		     v);
	free(v);
	/* Nothing under the other scopes. */
	EXPECT_EQ(0, count_prefix(e, "/cosi/ca/desired/all/"));
	EXPECT_EQ(0, count_prefix(e, "/cosi/ca/desired/nodes/"));

	/* The same again: unchanged, and no etcd revision. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "apply", "-f", f1, "--group",
			     "web", NULL));
	EXPECT_STREQ("SysctlConfigs.cosi.dev/net.ipv4.ip_forward unchanged\n"
		     "HostnameConfigs.cosi.dev/hostname unchanged\n", out);
	free(value_of(e, "/none", NULL, &rev2));
	EXPECT_EQ(rev, rev2);

	/* One changed: configured, one revision for it. */
	ASSERT_EQ(0, manifest(f2, SYSCTL_DOC("net.ipv4.ip_forward", "0")
			      "---\n" HOST_DOC));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "apply", "-f", f2, "--group",
			     "web", NULL));
	EXPECT_STREQ("SysctlConfigs.cosi.dev/net.ipv4.ip_forward configured\n"
		     "HostnameConfigs.cosi.dev/hostname unchanged\n", out);
	free(value_of(e, SYSCTL_KEY("ca", "groups/web", "net.ipv4.ip_forward"),
		      &mod2, &rev2));
	EXPECT_EQ(rev + 1, rev2);
	EXPECT_EQ(rev2, mod2);

	/* A bad document after a good one: nothing written, no revision. */
	ASSERT_EQ(0, manifest(f3, SYSCTL_DOC("net.ipv4.ip_forward", "1")
			      "---\n" SYSCTL_DOC("kernel.new", "1")
			      "---\nmetadata: {type: sysctl, id: kernel.x}\n"
			      "spec: {valu: \"1\"}\n"));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "apply", "-f", f3, "--group",
			     "web", NULL));
	EXPECT_STREQ("", out);
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "spec.valu: unknown field")) TH_LOG("%s", err);
	free(value_of(e, "/none", NULL, &rev));
	EXPECT_EQ(rev2, rev);
	EXPECT_EQ(NULL, value_of(e, SYSCTL_KEY("ca", "groups/web", "kernel.new"),
				 NULL, NULL));

	/* What cosid would skip is refused here: a status type. */
	ASSERT_EQ(0, manifest(f4, SYSCTL_DOC("kernel.new", "1") "---\n"
			      "metadata: {type: sysctlstatus, id: a}\n"));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "apply", "-f", f4, "--node",
			     "n1", NULL));
	EXPECT_NE(NULL, strstr(err, "namespace runtime: the fleet writes namespace config only"))
		TH_LOG("%s", err);
	EXPECT_EQ(0, count_prefix(e, "/cosi/ca/desired/nodes/"));

	/* A scope is required, one only. */
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "apply", "-f", f1, NULL));
	EXPECT_STREQ("cosictl: apply --etcd needs one of --all-nodes, --group G, --node N\n",
		     err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "apply", "-f", f1, "--all-nodes", "--node", "a",
			     NULL));
	EXPECT_STREQ("cosictl: apply: --node, --group and --all-nodes exclude each other\n",
		     err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "apply", "-f", f1, "--all-nodes", "--dry-run",
			     NULL));
	EXPECT_STREQ("cosictl: apply: --dry-run with --etcd is not supported\n",
		     err);
	/* --all-nodes writes under all/. */
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "apply", "-f", f1,
			     "--all-nodes", NULL));
	EXPECT_EQ(2, count_prefix(e, "/cosi/ca/desired/all/config/"));
	unlink(f1);
	unlink(f2);
	unlink(f3);
	unlink(f4);
	etcd_free(e);
}

/*
 * apply --etcd refuses what cosid would skip, by the limits cosid applies
 * a document under (common/fleet_check.h): labels and cosid's 2 over 64,
 * an id over the kernel's 255.  Nothing written, one line naming the
 * document (whole, however long its id) and the limit, exit 1.
 */
TEST(cosictl_apply_etcd_cosid_limits)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[4096], err[8192], f[64], doc[8192], id[3001], *tail;
	size_t i, off;

	ASSERT_NE(NULL, e);
	/* 62 labels fit with cosid's 2; 63 do not. */
	off = (size_t)snprintf(doc, sizeof(doc),
			       SYSCTL_DOC("net.ok", "1") "---\n"
			       "metadata:\n  type: sysctl\n  id: net.l\n  labels:\n");
	for (i = 0; i < 63; i++)
		off += (size_t)snprintf(doc + off, sizeof(doc) - off,
					"    l%zu: v\n", i);
	snprintf(doc + off, sizeof(doc) - off, "spec: {value: \"1\"}\n");
	ASSERT_EQ(0, manifest(f, doc));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cl", "apply", "-f", f, "--node",
			     "n1", NULL)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, ": document 2 (SysctlConfigs.cosi.dev/net.l): 63 labels: the fleet adds 2 and a resource holds 64"))
		TH_LOG("%s", err);
	EXPECT_EQ(0, count_prefix(e, "/cosi/cl/desired/"));
	unlink(f);

	/* An id of 3000 characters: the kernel takes 255. */
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = 0;
	snprintf(doc, sizeof(doc),
		 "metadata: {type: sysctl, id: net.%s}\nspec: {value: \"1\"}\n",
		 id);
	ASSERT_EQ(0, manifest(f, doc));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cl", "apply", "-f", f, "--group",
			     "web", NULL)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	/* The document's label whole: its ")" is there. */
	tail = strstr(err, "xxx): an id of 3004 characters, over the kernel's 255");
	EXPECT_NE(NULL, tail) TH_LOG("%.200s", err + strlen(err) - 200);
	EXPECT_EQ(0, count_prefix(e, "/cosi/cl/desired/"));
	unlink(f);

	/* --node of a node not registered: written, with a note. */
	ASSERT_EQ(0, manifest(f, SYSCTL_DOC("net.ok", "1")));
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cl", "apply", "-f", f, "--node",
			     "n9", NULL)) TH_LOG("%s", err);
	EXPECT_STREQ("cosictl: note: node n9 is not registered in cluster cl: written, applied when a cosid --node n9 starts\n",
		     err);
	EXPECT_EQ(1, count_prefix(e, "/cosi/cl/desired/nodes/n9/"));
	unlink(f);
	etcd_free(e);
}

/*
 * get CONFIGTYPE --etcd right after apply: the read side has statuses
 * only; it says where the desired config is read, exit 0 (an id: not
 * found, exit 1, in the same line).
 */
TEST(cosictl_get_etcd_desired_type)
{
	const char *ep = main_c->endpoints;
	char out[4096], err[2048], f[64];

	ASSERT_EQ(0, manifest(f, SYSCTL_DOC("net.ipv4.ip_forward", "1")));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cg", "apply", "-f", f, "--group",
			     "web", NULL)) TH_LOG("%s", err);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cg", "get", "sysctlconfig",
			     "--group", "web", NULL));
	EXPECT_STREQ("", out);
	EXPECT_STREQ("No statuses of SysctlConfigs.cosi.dev: it is desired config (apply --etcd writes it), which nodes do not publish; "
		     "read it with etcdctl get --prefix /cosi/cg/desired/groups/web/config/SysctlConfigs.cosi.dev/\n",
		     err);
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cg", "get", "sysctlconfig",
			     "net.ipv4.ip_forward", "--node", "n1", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "etcdctl get /cosi/cg/desired/nodes/n1/config/SysctlConfigs.cosi.dev/net.ipv4.ip_forward"))
		TH_LOG("%s", err);
	/* A status type still says "No resources found". */
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cg", "get", "sysctlstatus", NULL));
	EXPECT_STREQ("No resources found in namespace runtime.\n", err);
	unlink(f);
}

/*
 * The TLS options as cosid checks them, before any request (the
 * endpoint here answers nothing): an unreadable file, a client
 * certificate or key with only http:// endpoints: usage errors, exit 2.
 */
TEST(cosictl_etcd_tls_options)
{
	char out[4096], err[2048], dead[64], f[64];

	snprintf(dead, sizeof(dead), "http://127.0.0.1:%d", free_port());
	ASSERT_EQ(0, manifest(f, "not a certificate\n"));
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "--etcd-ca", "/nonexistent", "get", "nodes",
			     NULL));
	EXPECT_STREQ("cosictl: --etcd-ca /nonexistent: No such file or directory\n",
		     err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "--etcd-cert", f, "--etcd-key", f, "get",
			     "sysctlstatus", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_EQ(0, strncmp(err, "cosictl: --etcd-cert is for https:// endpoints", 46))
		TH_LOG("%s", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", dead,
			     "--etcd-key", f, "delete", "sysctl", "a",
			     "--all-nodes", NULL));
	EXPECT_EQ(0, strncmp(err, "cosictl: --etcd-key is for https:// endpoints", 45))
		TH_LOG("%s", err);
	unlink(f);
}

/*
 * etcd with auth on: without credentials, a line saying so and how to
 * give them; a permission denied names the operation and the keys.  Over
 * 128 keys, the second txn refused: how many the first wrote.
 */
TEST(cosictl_etcd_auth_messages)
{
	const char *ep = auth_c->endpoints;
	char out[4096], err[4096], f[64], pw[64], *doc;
	size_t i, off, len = 200 * 128;

	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "get", "nodes", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "requires authentication")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "--etcd-user")) TH_LOG("%s", err);

	/* bob reads /cosi/ca/, writes ids before "b" only. */
	ASSERT_EQ(0, etcdctl(auth_c, "root:rootpw", "role add half"));
	ASSERT_EQ(0, etcdctl(auth_c, "root:rootpw",
			     "role grant-permission half --prefix=true read /cosi/ca/"));
	ASSERT_EQ(0, etcdctl(auth_c, "root:rootpw",
			     "role grant-permission half readwrite "
			     SYSCTL_KEY("ca", "all", "a") " "
			     SYSCTL_KEY("ca", "all", "b")));
	ASSERT_EQ(0, etcdctl(auth_c, "root:rootpw", "user add bob:bobpw"));
	ASSERT_EQ(0, etcdctl(auth_c, "root:rootpw", "user grant-role bob half"));
	ASSERT_EQ(0, manifest(pw, "bobpw"));
	doc = malloc(len);
	ASSERT_NE(NULL, doc);
	for (i = off = 0; i < 128; i++)
		off += (size_t)snprintf(doc + off, len - off, "%s"
					SYSCTL_DOC("a%03zu", "1"),
					i ? "---\n" : "", i);
	ASSERT_EQ(0, manifest(f, doc));
	/* 128 in the first txn: written. */
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "--etcd-user", "bob",
			     "--etcd-password-file", pw, "apply", "-f", f,
			     "--all-nodes", NULL)) TH_LOG("%s", err);
	unlink(f);
	/* 2 changed, then "b" in a second txn: refused. */
	snprintf(doc + off, len - off, "---\n" SYSCTL_DOC("b", "1"));
	memcpy(strstr(doc, "a000}\nspec: {value: \"") + 21, "0", 1);
	memcpy(strstr(doc, "a127}\nspec: {value: \"") + 21, "0", 1);
	ASSERT_EQ(0, manifest(f, doc));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ca", "--etcd-user", "bob",
			     "--etcd-password-file", pw, "apply", "-f", f,
			     "--all-nodes", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "write /cosi/ca/desired/all/* refused to user bob"))
		TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "the earlier txns wrote 2 keys (the first 128 of 129 documents are done)"))
		TH_LOG("%s", err);
	free(doc);
	unlink(f);
	unlink(pw);
	etcdctl(auth_c, "root:rootpw", "user delete bob");
	etcdctl(auth_c, "root:rootpw", "role delete half");
}

/*
 * The conflict rule, deterministically: the txn cosictl builds, with a
 * mod_revision read before another writer's put, fails and writes
 * nothing (none of its keys), naming the key that changed.
 */
TEST(cosictl_fleet_commit_stale)
{
	struct etcd *e = client(main_c->endpoints);
	const char *k1 = "/cosi/cc/desired/all/config/SysctlConfigs.cosi.dev/a";
	const char *k2 = "/cosi/cc/desired/all/config/SysctlConfigs.cosi.dev/b";
	struct fleet_write w[2];
	char msg[1024], *v;
	int64_t mod, rev, rev2;
	size_t failed = 9;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, k1, "mine", 0, NULL, NULL));
	free(value_of(e, k1, &mod, NULL));
	/* Another operator writes k1 after it was read. */
	ASSERT_EQ(0, put(e, k1, "theirs", 0, NULL, NULL));
	memset(w, 0, sizeof(w));
	w[0] = (struct fleet_write){ .key = (char *)k2, .value = (char *)"new" };
	w[1] = (struct fleet_write){ .key = (char *)k1, .value = (char *)"v2",
				     .mod_revision = mod };
	free(value_of(e, "/none", NULL, &rev));
	EXPECT_EQ(-ESTALE, cosictl_fleet_commit(e, w, 2, &failed, msg,
						sizeof(msg)));
	EXPECT_EQ(1, failed);
	EXPECT_NE(NULL, strstr(msg, k1)) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "changed by another writer")) TH_LOG("%s", msg);
	v = value_of(e, k1, NULL, &rev2);
	EXPECT_STREQ("theirs", v);
	free(v);
	EXPECT_EQ(rev, rev2);			/* nothing written */
	EXPECT_EQ(NULL, value_of(e, k2, NULL, NULL));
	/* A create (mod_revision 0) of a key another writer created. */
	w[1].mod_revision = 0;
	EXPECT_EQ(-ESTALE, cosictl_fleet_commit(e, w, 2, &failed, msg,
						sizeof(msg)));
	EXPECT_EQ(NULL, value_of(e, k2, NULL, NULL));
	/* With the revision read now, both are written. */
	free(value_of(e, k1, &w[1].mod_revision, NULL));
	EXPECT_EQ(0, cosictl_fleet_commit(e, w, 2, &failed, msg, sizeof(msg)))
		TH_LOG("%s", msg);
	v = value_of(e, k2, NULL, NULL);
	EXPECT_STREQ("new", v);
	free(v);
	v = value_of(e, k1, NULL, NULL);
	EXPECT_STREQ("v2", v);
	free(v);
	etcd_free(e);
}

TEST(cosictl_delete_etcd)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[4096], err[2048], f1[64], f2[64];
	int64_t rev, rev2;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, manifest(f1, SYSCTL_DOC("net.ipv4.ip_forward", "1")
			      "---\n" HOST_DOC));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "apply", "-f", f1, "--node",
			     "n1", NULL));
	ASSERT_EQ(2, count_prefix(e, "/cosi/cd/desired/nodes/n1/"));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "delete", "sysctl",
			     "net.ipv4.ip_forward", "--node", "n1", NULL));
	EXPECT_STREQ("SysctlConfigs.cosi.dev/net.ipv4.ip_forward deleted\n", out);
	EXPECT_EQ(NULL, value_of(e, SYSCTL_KEY("cd", "nodes/n1",
					       "net.ipv4.ip_forward"),
				 NULL, NULL));
	/* Absent: an error, or nothing with --ignore-not-found (local's). */
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "delete", "sysctl",
			     "net.ipv4.ip_forward", "--node", "n1", NULL));
	EXPECT_STREQ("cosictl: SysctlConfigs.cosi.dev/net.ipv4.ip_forward: "
		     SYSCTL_KEY("cd", "nodes/n1", "net.ipv4.ip_forward")
		     ": not found (nothing deleted)\n", err);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "delete", "sysctl",
			     "net.ipv4.ip_forward", "--node", "n1",
			     "--ignore-not-found", NULL));
	EXPECT_STREQ("", out);
	EXPECT_STREQ("", err);
	/* delete -f with one absent: nothing deleted, no revision. */
	free(value_of(e, "/none", NULL, &rev));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "delete", "-f", f1, "--node",
			     "n1", NULL));
	EXPECT_EQ(1, count_prefix(e, "/cosi/cd/desired/nodes/n1/"));
	free(value_of(e, "/none", NULL, &rev2));
	EXPECT_EQ(rev, rev2);
	/* The other scope's key is not this one. */
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "delete", "hostname",
			     "hostname", "--group", "n1", NULL));
	ASSERT_EQ(0, manifest(f2, HOST_DOC));
	ASSERT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "delete", "-f", f2, "--node",
			     "n1", NULL));
	EXPECT_STREQ("HostnameConfigs.cosi.dev/hostname deleted\n", out);
	EXPECT_EQ(0, count_prefix(e, "/cosi/cd/desired/"));
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "delete", "-f", f2, "--node", "n1", "--wait",
			     "5", NULL));
	EXPECT_STREQ("cosictl: delete: --wait with --etcd is not supported\n",
		     err);
	/* A document naming an unknown type: one line, nothing deleted. */
	ASSERT_EQ(0, manifest(f2, "metadata: {type: nope, id: x}\n"));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cd", "delete", "-f", f2, "--node",
			     "n1", NULL));
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "unknown type \"nope\"")) TH_LOG("%s", err);
	unlink(f1);
	unlink(f2);
	etcd_free(e);
}

static void put_sysctl_status_in(struct etcd *e, const char *cluster,
				 const char *node, const char *value)
{
	char key[256], doc[1024], spec[128];

	snprintf(key, sizeof(key),
		 "/cosi/%s/status/%s/runtime/SysctlStatuses.cosi.dev/net.ipv4.ip_forward",
		 cluster, node);
	snprintf(spec, sizeof(spec), "{\"value\":\"%s\",\"original\":\"0\"}",
		 value);
	status_doc(doc, sizeof(doc), "SysctlStatuses.cosi.dev",
		   "net.ipv4.ip_forward", spec);
	put(e, key, doc, 0, NULL, NULL);
}

static void put_sysctl_status(struct etcd *e, const char *node,
			      const char *value)
{
	put_sysctl_status_in(e, "cw", node, value);
}

/* A SysctlStatus of net.@id on @node in cluster "cwa", value @value. */
static void put_watched(struct etcd *e, const char *node, const char *id,
			const char *value)
{
	char key[256], doc[1024], spec[128], full[64];

	snprintf(full, sizeof(full), "net.%s", id);
	snprintf(key, sizeof(key),
		 "/cosi/cwa/status/%s/runtime/SysctlStatuses.cosi.dev/%s",
		 node, full);
	snprintf(spec, sizeof(spec), "{\"value\":\"%s\",\"original\":\"0\"}",
		 value);
	status_doc(doc, sizeof(doc), "SysctlStatuses.cosi.dev", full, spec);
	put(e, key, doc, 0, NULL, NULL);
}

/* The contents of @path (at most @len - 1 bytes) in @buf. */
static void slurp_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = 0;
	if (f)
		fclose(f);
}

/*
 * Run cosictl ARGS in the background until its output (file @out)
 * holds @ready (it has listed), then make the changes a watch must show:
 * n1's net.a updated then deleted, n2's net.b created; n2 joins group
 * web, then updates net.b.  cosictl's exit status; its output in @buf.
 */
#define WATCH_RUN(ready, buf, errbuf, ...) ({				\
	char o_[160], e_[160];						\
	pid_t p_;							\
									\
	snprintf(o_, sizeof(o_), "%s/watch.out", main_c->dir);		\
	snprintf(e_, sizeof(e_), "%s/watch.err", main_c->dir);		\
	p_ = spawn_ctl(o_, e_, __VA_ARGS__, NULL);			\
	int st_ = -1, i_;						\
									\
	for (i_ = 0; p_ > 0 && i_ < 300; i_++) {			\
		slurp_file(o_, buf, sizeof(buf));			\
		if (strstr(buf, ready))					\
			break;						\
		usleep(50000);						\
	}								\
	watched_changes();						\
	if (p_ > 0)							\
		waitpid(p_, &st_, 0);					\
	slurp_file(o_, buf, sizeof(buf));				\
	slurp_file(e_, errbuf, sizeof(errbuf));				\
	unlink(o_);							\
	unlink(e_);							\
	WIFEXITED(st_) ? WEXITSTATUS(st_) : -1;				\
})

static void watched_changes(void)
{
	struct etcd *c = client(main_c->endpoints);
	struct etcd_op op = { .type = ETCD_OP_DELETE,
		.key = "/cosi/cwa/status/n1/runtime/SysctlStatuses.cosi.dev/net.a" };
	struct etcd_request r = { .type = ETCD_REQ_KV, .op = op };
	struct etcd_reply rep;
	char msg[ETCD_MSG_LEN];

	put_watched(c, "n1", "a", "11");
	put_watched(c, "n2", "b", "5");
	if (!etcd_call(c, &r, &rep, msg, sizeof(msg)))
		etcd_reply_free(&rep);
	put(c, "/cosi/cwa/nodes/n2", REG("\"db\",\"web\""), 0, NULL, NULL);
	put_watched(c, "n2", "b", "6");
	etcd_free(c);
}

TEST(cosictl_watch_etcd)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[8192], err[4096], c[12][64], buf[640];
	json_object *o, *v;
	const char *p, *nl;
	size_t n;
	int kinds[4] = { 0 };

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, put(e, "/cosi/cwa/nodes/n1", REG("\"web\""), 0, NULL,
			 NULL));
	ASSERT_EQ(0, put(e, "/cosi/cwa/nodes/n2", REG("\"db\""), 0, NULL,
			 NULL));
	put_watched(e, "n1", "a", "1");
	put_watched(e, "n2", "a", "2");

	/* Every node, as a table: the list, then + * - rows. */
	EXPECT_EQ(0, WATCH_RUN("ORIGINAL", out, err, "--etcd", ep,
			       "--cluster", "cwa", "watch", "sysctlstatus",
			       "--count", "4", "--timeout", "20s"));
	EXPECT_STREQ("", err);
	n = row(out, "n2", c, 8);
	EXPECT_EQ(8, n) TH_LOG("%s", out);
	EXPECT_STREQ("net.a 4 2", join_cells(c, 3, 6, buf)) TH_LOG("%s", out);
	EXPECT_EQ(8, row(out, "+", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("n2 runtime SysctlStatuses.cosi.dev net.b 4 5",
		     join_cells(c, 1, 7, buf));
	EXPECT_EQ(8, row(out, "*", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("n1 runtime SysctlStatuses.cosi.dev net.a 4 11",
		     join_cells(c, 1, 7, buf));
	EXPECT_EQ(8, row(out, "-", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("n1 runtime SysctlStatuses.cosi.dev net.a 4 11",
		     join_cells(c, 1, 7, buf));
	/* The header, 2 listed, 4 events. */
	EXPECT_EQ(7, lines(out)) TH_LOG("%s", out);

	/* Group web, JSON lines, --count 3: n2 counts once it joined. */
	put_watched(e, "n1", "a", "1");
	put(e, "/cosi/cwa/nodes/n2", REG("\"db\""), 0, NULL, NULL);
	EXPECT_EQ(0, WATCH_RUN("bootstrapped", out, err, "--etcd", ep,
			       "--cluster=cwa", "get", "sysctlstatus", "-w",
			       "-ojson", "--group=web", "--count=3",
			       "--timeout=20s"));
	EXPECT_STREQ("", err);
	for (p = out; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		o = json_tokener_parse(p);
		ASSERT_NE(NULL, o) TH_LOG("%s", p);
		ASSERT_TRUE(json_object_object_get_ex(o, "event", &v));
		p = json_object_get_string(v);
		kinds[!strcmp(p, "created") ? 0 : !strcmp(p, "updated") ? 1 :
		      !strcmp(p, "destroyed") ? 2 : 3]++;
		json_object_put(o);
	}
	/* n1's listed; bootstrapped; n1 updated, n1 deleted, n2 updated. */
	EXPECT_EQ(1, kinds[0]) TH_LOG("%s", out);
	EXPECT_EQ(2, kinds[1]) TH_LOG("%s", out);
	EXPECT_EQ(1, kinds[2]) TH_LOG("%s", out);
	EXPECT_EQ(1, kinds[3]) TH_LOG("%s", out);	/* bootstrapped */
	EXPECT_NE(NULL, strstr(out, "\"event\":\"updated\",\"node\":\"n2\""))
		TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\"value\":\"5\"")) TH_LOG("%s", out);
	etcd_free(e);
}

TEST(cosictl_wait_etcd)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[4096], err[4096], key[64];
	int64_t lease;
	size_t i;
	long t0;
	pid_t pid;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_grant(e, 60, &lease));
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "n%zu", i + 1);
		ASSERT_EQ(0, put_node(e, "cw", key, i < 2 ? REG("\"web\"") :
				      REG("\"db\""), lease));
	}
	put_sysctl_status(e, "n1", "1");
	put_sysctl_status(e, "n2", "0");

	/* n2 says 0: a timeout naming n2 and what it has, not n1. */
	t0 = (long)(now_us() / 1000);
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cw", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--group", "web", "--timeout", "1s", NULL));
	EXPECT_GE((long)(now_us() / 1000) - t0, 1000);
	EXPECT_STREQ("cosictl: wait SysctlStatuses.cosi.dev/net.ipv4.ip_forward: timed out after 1s waiting for value=1 on 1 of 2 nodes: n2 (value=0)\n",
		     err);
	/* Every node: n3 has none. */
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cw", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--all-nodes", "--timeout", "0", NULL));
	EXPECT_NE(NULL, strstr(err, "on 2 of 3 nodes: n2 (value=0), n3 (missing)"))
		TH_LOG("%s", err);
	/* n2 reports it while cosictl waits: met. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct etcd *c = client(main_c->endpoints);

		usleep(800000);
		put_sysctl_status(c, "n2", "1");
		_exit(0);
	}
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cw", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--group", "web", "--timeout", "20s", NULL));
	waitpid(pid, NULL, 0);
	EXPECT_STREQ("", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/net.ipv4.ip_forward condition met on 2 nodes\n",
		     out);
	/* --for delete on n3 (absent): met at once; a field not in the schema. */
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cw", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "delete",
			     "--node", "n3", NULL));
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cw", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "nope=1",
			     "--node", "n3", NULL));
	EXPECT_NE(NULL, strstr(err, "--for nope: unknown field")) TH_LOG("%s", err);
	/* A group no registered node is in (at the timeout). */
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cw", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--group", "none", "--timeout", "1s", NULL));
	EXPECT_STREQ("cosictl: wait SysctlStatuses.cosi.dev/net.ipv4.ip_forward: no registered node in group none in cluster cw\n",
		     err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "wait", "sysctlstatus", "x", "--for", "value=1",
			     NULL));
	EXPECT_STREQ("cosictl: wait --etcd needs one of --all-nodes, --group G, --node N\n",
		     err);
	lease_revoke(e, lease);
	etcd_free(e);
}

/* cosictl wait for net.ipv4.ip_forward = 1 in @cluster, --@scope @name. */
#define WAIT_FWD(cluster, scope, name, timeout)				\
	run_ctl(out, sizeof(out), err, sizeof(err), "--etcd",		\
		main_c->endpoints, "--cluster", cluster, "wait",	\
		"sysctlstatus", "net.ipv4.ip_forward", "--for", "value=1", \
		"--" scope, name, "--timeout", timeout, NULL)

/*
 * Node @node of @cluster registers in group @group under a new lease (as
 * cosid does) 0.8 s after cosictl wait --group @group started: the
 * wait's exit status, its output in out[4096] and err[4096].
 */
#define WAIT_REGISTERED(cluster, node, group)				\
	wait_registered(cluster, node, group, out, err)
static int wait_registered(const char *cluster, const char *node,
			   const char *group, char *out, char *err)
{
	char reg[256];
	struct etcd *c;
	int64_t l;
	int rc;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		usleep(800000);
		c = client(main_c->endpoints);
		snprintf(reg, sizeof(reg), REG("\"%s\""), group);
		_exit(!c || lease_grant(c, 60, &l) ||
		      put_node(c, cluster, node, reg, l));
	}
	rc = run_ctl(out, 4096, err, 4096, "--etcd", main_c->endpoints,
		     "--cluster", cluster, "wait", "sysctlstatus",
		     "net.ipv4.ip_forward", "--for", "value=1", "--group",
		     group, "--timeout", "20s", NULL);
	waitpid(pid, NULL, 0);
	return rc;
}

/*
 * wait --group: a node of the group that is down (its lease gone: its
 * live key with it) stays in scope, its registration being persistent;
 * its old status meets the condition but it is not live: not "condition
 * met", and the timeout names it "not live".  It comes back (a new
 * lease, as cosid registers again) while cosictl waits: met.
 */
TEST(cosictl_wait_etcd_node_down)
{
	struct etcd *e = client(main_c->endpoints);
	char out[4096], err[4096];
	int64_t l1, l2;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_grant(e, 60, &l1));
	ASSERT_EQ(0, lease_grant(e, 60, &l2));
	ASSERT_EQ(0, put_node(e, "cwd", "n1", REG("\"web\""), l1));
	ASSERT_EQ(0, put_node(e, "cwd", "n2", REG("\"web\""), l2));
	put_sysctl_status_in(e, "cwd", "n1", "1");
	put_sysctl_status_in(e, "cwd", "n2", "1");
	/* n2 goes down: its lease expires (revoked here, the same). */
	ASSERT_EQ(0, lease_revoke(e, l2));
	EXPECT_EQ(1, WAIT_FWD("cwd", "group", "web", "1s"));
	EXPECT_STREQ("cosictl: wait SysctlStatuses.cosi.dev/net.ipv4.ip_forward: timed out after 1s waiting for value=1 on 1 of 2 nodes: n2 (not live)\n",
		     err);
	EXPECT_STREQ("", out);
	/* --node n2 alike. */
	EXPECT_EQ(1, WAIT_FWD("cwd", "node", "n2", "0"));
	EXPECT_NE(NULL, strstr(err, "n2 (not live)")) TH_LOG("%s", err);
	/* n2 registers again (its status unchanged) while cosictl waits. */
	EXPECT_EQ(0, WAIT_REGISTERED("cwd", "n2", "web")) TH_LOG("%s", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/net.ipv4.ip_forward condition met on 2 nodes\n",
		     out);
	lease_revoke(e, l1);
	etcd_free(e);
}

/*
 * wait --group G before any node of G registered: it waits (until the
 * timeout) instead of failing at once, and takes in the node that
 * registers meanwhile, with the status it had published before.
 */
TEST(cosictl_wait_etcd_group_empty_at_start)
{
	struct etcd *e = client(main_c->endpoints);
	char out[4096], err[4096];

	ASSERT_NE(NULL, e);
	put_sysctl_status_in(e, "cwe", "n1", "1");
	EXPECT_EQ(0, WAIT_REGISTERED("cwe", "n1", "late")) TH_LOG("%s", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/net.ipv4.ip_forward condition met on 1 node\n",
		     out);
	etcd_free(e);
}

/*
 * wait --timeout bounds its first list too: an etcd that takes the
 * connection and never answers ends wait --timeout 2s after about 2 s
 * (exit 1), not after the client's 5 s a request.
 */
TEST(cosictl_wait_etcd_silent_timeout)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	char out[4096], err[2048], ep[64];
	long t0, ms;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bind(fd, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_EQ(0, getsockname(fd, (struct sockaddr *)&a, &alen));
	ASSERT_EQ(0, listen(fd, 16));
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", ntohs(a.sin_port));
	t0 = (long)(now_us() / 1000);
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cws", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--group", "web", "--timeout", "2s", NULL))
		TH_LOG("%s", err);
	ms = (long)(now_us() / 1000) - t0;
	EXPECT_GT(4000, ms) TH_LOG("%ld ms", ms);
	EXPECT_EQ(1, lines(err)) TH_LOG("%s", err);
	close(fd);
}

/* The status key and document of net.ipv4.ip_forward = @value on @node. */
static void sysctl_kv(char *key, size_t klen, char *doc, size_t dlen,
		      const char *cluster, const char *node, const char *value)
{
	char spec[128];

	snprintf(key, klen,
		 "/cosi/%s/status/%s/runtime/SysctlStatuses.cosi.dev/net.ipv4.ip_forward",
		 cluster, node);
	snprintf(spec, sizeof(spec), "{\"value\":\"%s\",\"original\":\"0\"}",
		 value);
	status_doc(doc, dlen, "SysctlStatuses.cosi.dev", "net.ipv4.ip_forward",
		   spec);
}

/* Put n1's and n2's statuses (value @value) in one txn: one revision. */
static void put_pair_txn(const char *cluster, const char *value)
{
	struct etcd *c = client(main_c->endpoints);
	char k1[256], k2[256], d1[1024], d2[1024], msg[ETCD_MSG_LEN];
	struct etcd_op ops[2] = {
		{ .type = ETCD_OP_PUT, .key = k1, .value = d1 },
		{ .type = ETCD_OP_PUT, .key = k2, .value = d2 },
	};
	struct etcd_request r = { .type = ETCD_REQ_TXN,
		.txn = { .success = ops, .n_success = 2 } };
	struct etcd_reply rep;

	sysctl_kv(k1, sizeof(k1), d1, sizeof(d1), cluster, "n1", value);
	sysctl_kv(k2, sizeof(k2), d2, sizeof(d2), cluster, "n2", value);
	ops[0].value_len = strlen(d1);
	ops[1].value_len = strlen(d2);
	if (c && !etcd_call(c, &r, &rep, msg, sizeof(msg)))
		etcd_reply_free(&rep);
	etcd_free(c);
}

/*
 * Two status keys changed by one txn share its revision: wait and watch
 * take both events of it, not only the first.
 */
TEST(cosictl_etcd_txn_events)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	char out[8192], err[4096], key[256], doc[1024], o_[160], e_[160];
	int64_t lease;
	int st = -1, i;
	pid_t pid;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_grant(e, 60, &lease));
	ASSERT_EQ(0, put_node(e, "ctx", "n1", REG("\"web\""), lease));
	ASSERT_EQ(0, put_node(e, "ctx", "n2", REG("\"web\""), lease));
	sysctl_kv(key, sizeof(key), doc, sizeof(doc), "ctx", "n1", "0");
	ASSERT_EQ(0, put(e, key, doc, 0, NULL, NULL));
	sysctl_kv(key, sizeof(key), doc, sizeof(doc), "ctx", "n2", "0");
	ASSERT_EQ(0, put(e, key, doc, 0, NULL, NULL));

	/* wait: both nodes turn 1 at one revision. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		usleep(800000);
		put_pair_txn("ctx", "1");
		_exit(0);
	}
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "ctx", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--group", "web", "--timeout", "5s", NULL));
	waitpid(pid, NULL, 0);
	EXPECT_STREQ("", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/net.ipv4.ip_forward condition met on 2 nodes\n",
		     out);

	/* watch: the txn's two events, one a node. */
	snprintf(o_, sizeof(o_), "%s/watch.out", main_c->dir);
	snprintf(e_, sizeof(e_), "%s/watch.err", main_c->dir);
	pid = spawn_ctl(o_, e_, "--etcd", ep, "--cluster", "ctx", "watch",
			"sysctlstatus", "-ojson", "--count", "2", "--timeout",
			"5s", NULL);
	ASSERT_LT(0, pid);
	for (i = 0; i < 300; i++) {
		slurp_file(o_, out, sizeof(out));
		if (strstr(out, "bootstrapped"))
			break;
		usleep(50000);
	}
	put_pair_txn("ctx", "2");
	waitpid(pid, &st, 0);
	slurp_file(o_, out, sizeof(out));
	slurp_file(e_, err, sizeof(err));
	unlink(o_);
	unlink(e_);
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(out, "\"event\":\"updated\",\"node\":\"n1\""))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"event\":\"updated\",\"node\":\"n2\""))
		TH_LOG("%s", out);
	etcd_free(e);
}

/*
 * wait over more nodes than a txn takes (128 ranges): 131 nodes, read
 * in two txns at one revision; the last one, in the second txn, is the
 * one not met, then met by its event.
 */
TEST(cosictl_wait_etcd_many_nodes)
{
	struct etcd *e = client(main_c->endpoints);
	const char *ep = main_c->endpoints;
	static char keys[262][128], docs[131][1024];
	struct etcd_op ops[ETCD_TXN_OPS];
	struct etcd_request r = { .type = ETCD_REQ_TXN };
	char out[4096], err[4096], msg[ETCD_MSG_LEN], node[16], live[64];
	struct etcd_reply rep;
	size_t i, k, n = 0;
	int64_t lease;
	pid_t pid;

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, lease_grant(e, 60, &lease));
	for (i = 0; i < 131; i++) {
		snprintf(live, sizeof(live), "/cosi/cbig/nodes/n%03zu/live",
			 i + 1);
		ASSERT_EQ(0, put(e, live, "", lease, NULL, NULL));
	}
	for (i = 0; i < 131; i++) {
		snprintf(node, sizeof(node), "n%03zu", i + 1);
		snprintf(keys[2 * i], sizeof(keys[0]), "/cosi/cbig/nodes/%s",
			 node);
		sysctl_kv(keys[2 * i + 1], sizeof(keys[0]), docs[i],
			  sizeof(docs[0]), "cbig", node, i < 130 ? "1" : "0");
	}
	for (i = 0; i < 262; i += k) {
		for (k = 0; k < ETCD_TXN_OPS && i + k < 262; k++) {
			const char *v = (i + k) % 2 ? docs[(i + k) / 2] :
					REG("\"web\"");

			ops[k] = (struct etcd_op){ .type = ETCD_OP_PUT,
				.key = keys[i + k], .value = v,
				.value_len = strlen(v) };
		}
		r.txn.success = ops;
		r.txn.n_success = k;
		ASSERT_EQ(0, etcd_call(e, &r, &rep, msg, sizeof(msg)))
			TH_LOG("%s", msg);
		etcd_reply_free(&rep);
		n += k;
	}
	ASSERT_EQ(262, n);

	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cbig", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--all-nodes", "--timeout", "0", NULL));
	EXPECT_STREQ("cosictl: wait SysctlStatuses.cosi.dev/net.ipv4.ip_forward: timed out after 0s waiting for value=1 on 1 of 131 nodes: n131 (value=0)\n",
		     err);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct etcd *c = client(main_c->endpoints);
		char key[256], doc[1024];

		usleep(800000);
		sysctl_kv(key, sizeof(key), doc, sizeof(doc), "cbig", "n131",
			  "1");
		put(c, key, doc, 0, NULL, NULL);
		_exit(0);
	}
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", ep,
			     "--cluster", "cbig", "wait", "sysctlstatus",
			     "net.ipv4.ip_forward", "--for", "value=1",
			     "--all-nodes", "--timeout", "20s", NULL));
	waitpid(pid, NULL, 0);
	EXPECT_STREQ("", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/net.ipv4.ip_forward condition met on 131 nodes\n",
		     out);
	etcd_free(e);
}

/*
 * A scripted fake gateway for cosictl --etcd: answers request i with
 * step i, one connection each (it closes them), and fails a request that
 * is not the step's path.  For what real etcd cannot be made to do on
 * cue: a compaction between a list and its watch, an oversized message,
 * a delete without prev_kv.
 */
struct fake_step {
	const char *path;		/* "/v3/kv/range", "/v3/watch", ... */
	char *reply;			/* the body (freed by fake_steps_free) */
	const char *tail;		/* then @tail @times over */
	int times;
	bool hold;			/* until the client closes it */
	bool drop;			/* no answer: closed once read */
	const char *status;		/* the HTTP status (NULL: "200 OK") */
};

/* Read one HTTP request (headers and Content-Length body) into @buf. */
static ssize_t fake_read_request(int c, char *buf, size_t len)
{
	size_t n = 0, want = 0;
	const char *end, *cl;
	ssize_t r;

	while (n < len - 1) {
		r = read(c, buf + n, len - 1 - n);
		if (r <= 0)
			return -1;
		n += r;
		buf[n] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		want = end + 4 - buf + (cl && cl < end ?
					strtoul(cl + 17, NULL, 10) : 0);
		if (n >= want)
			return n;
	}
	return -1;
}

/*
 * Serve @n steps in a child; its exit status: 0 if every request was the
 * step's, 1 if not (that request got a gRPC error naming the step).
 */
static pid_t fake_script(int *port, const struct fake_step *s, size_t n)
{
	char req[65536], head[256], line[160], err[512];
	int fd, c, bad = 0, i;
	const char *body;
	size_t k;
	pid_t pid;

	pid = fake_fork(port, &fd);
	if (pid)
		return pid;
	for (k = 0; k < n; k++) {
		c = accept(fd, NULL, NULL);
		if (c < 0 || fake_read_request(c, req, sizeof(req)) < 0)
			_exit(1);
		snprintf(line, sizeof(line), "POST %s ", s[k].path);
		body = s[k].reply;
		if (s[k].drop && !strncmp(req, line, strlen(line)))
			goto next;
		if (strncmp(req, line, strlen(line))) {
			snprintf(err, sizeof(err),
				 "{\"error\":{\"grpc_code\":3,\"message\":\"fake: step %zu wants %s, not %.40s\"}}",
				 k, s[k].path, strchr(req, '/') ?: req);
			for (i = 0; err[i]; i++)
				if (err[i] == '\r' || err[i] == '\n')
					err[i] = ' ';
			body = err;
			bad = 1;
		}
		snprintf(head, sizeof(head), "HTTP/1.1 %s\r\n"
			 "Content-Type: application/json\r\n"
			 "Connection: close\r\n\r\n",
			 s[k].status && body != err ? s[k].status : "200 OK");
		if (write(c, head, strlen(head)) < 0 ||
		    write(c, body, strlen(body)) < 0)
			goto next;
		for (i = 0; body != err && i < s[k].times; i++)
			if (write(c, s[k].tail, strlen(s[k].tail)) < 0)
				goto next;
		/* Until the client closes it (the stream ends with it). */
		while (s[k].hold && body != err && read(c, req, sizeof(req)) > 0)
			;
next:
		close(c);
		if (bad)
			break;
	}
	_exit(bad);
}

static void fake_steps_free(struct fake_step *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].reply);
}

/* A key-value as the gateway sends it (@value NULL: none). */
static json_object *gw_kv(const char *key, const char *value,
			  int64_t create, int64_t mod)
{
	json_object *o = json_object_new_object();
	char n[32];

	json_object_object_add(o, "key", etcd_b64(key, strlen(key)));
	if (value)
		json_object_object_add(o, "value",
				       etcd_b64(value, strlen(value)));
	snprintf(n, sizeof(n), "%lld", (long long)create);
	json_object_object_add(o, "create_revision", json_object_new_string(n));
	snprintf(n, sizeof(n), "%lld", (long long)mod);
	json_object_object_add(o, "mod_revision", json_object_new_string(n));
	return o;
}

static json_object *gw_header(int64_t rev)
{
	json_object *h = json_object_new_object();
	char n[32];

	snprintf(n, sizeof(n), "%lld", (long long)rev);
	json_object_object_add(h, "revision", json_object_new_string(n));
	return h;
}

static char *gw_string(json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o,
						JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return s;
}

/* The fleet's test status of @node: net.@id in cluster "fk", @value. */
static void fk_status(char *key, size_t klen, char *doc, size_t dlen,
		      const char *node, const char *id, const char *value)
{
	char spec[128], full[64];

	snprintf(full, sizeof(full), "net.%s", id);
	snprintf(key, klen,
		 "/cosi/fk/status/%s/runtime/SysctlStatuses.cosi.dev/%s",
		 node, full);
	snprintf(spec, sizeof(spec), "{\"value\":\"%s\",\"original\":\"0\"}",
		 value);
	status_doc(doc, dlen, "SysctlStatuses.cosi.dev", full, spec);
}

/* A status key-value of fk_status(), created at @create, put at @mod. */
static json_object *fk_kv(const char *node, const char *id,
			  const char *value, int64_t create, int64_t mod)
{
	char key[256], doc[1024];

	fk_status(key, sizeof(key), doc, sizeof(doc), node, id, value);
	return gw_kv(key, doc, create, mod);
}

/* A range reply at @rev with the NULL-ended key-values. */
static char *gw_range(int64_t rev, ...)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	json_object *kv;
	va_list ap;

	va_start(ap, rev);
	while ((kv = va_arg(ap, json_object *)))
		json_object_array_add(a, kv);
	va_end(ap);
	json_object_object_add(o, "header", gw_header(rev));
	json_object_object_add(o, "kvs", a);
	return gw_string(o);
}

/* @node's live key, under lease 7. */
static json_object *gw_live(const char *node, int64_t rev)
{
	char key[64];
	json_object *o;

	snprintf(key, sizeof(key), "/cosi/fk/nodes/%s/live", node);
	o = gw_kv(key, "", rev, rev);
	json_object_object_add(o, "lease", json_object_new_string("7"));
	return o;
}

/* The registrations: n1 and n2, in group web, both live. */
static char *gw_nodes(int64_t rev)
{
	return gw_range(rev, gw_kv("/cosi/fk/nodes/n1", REG("\"web\""), 2, 2),
			gw_live("n1", 2),
			gw_kv("/cosi/fk/nodes/n2", REG("\"web\""), 3, 3),
			gw_live("n2", 3), NULL);
}

/* A txn reply at @rev: two ranges, of @kv1 and @kv2 (NULL: absent). */
static char *gw_txn(int64_t rev, json_object *kv1, json_object *kv2)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	json_object *kvs[2] = { kv1, kv2 }, *r, *rr, *one;
	size_t i;

	for (i = 0; i < 2; i++) {
		r = json_object_new_object();
		rr = json_object_new_object();
		json_object_object_add(rr, "header", gw_header(rev));
		if (kvs[i]) {
			one = json_object_new_array();
			json_object_array_add(one, kvs[i]);
			json_object_object_add(rr, "kvs", one);
		}
		json_object_object_add(r, "response_range", rr);
		json_object_array_add(a, r);
	}
	json_object_object_add(o, "header", gw_header(rev));
	json_object_object_add(o, "succeeded", json_object_new_boolean(1));
	json_object_object_add(o, "responses", a);
	return gw_string(o);
}

/*
 * A watch stream: "created", then (@compact) a compaction that cancels
 * it, or one message with the event @ev (a PUT of @kv, or a DELETE of its
 * key without prev_kv when @del).
 */
static char *gw_watch(int64_t rev, int64_t compact, json_object *kv, bool del)
{
	json_object *c = json_object_new_object(), *r = json_object_new_object();
	json_object *m, *e, *evs;
	char *s1, *s2, *out, n[32];

	json_object_object_add(r, "header", gw_header(rev));
	json_object_object_add(r, "created", json_object_new_boolean(1));
	json_object_object_add(c, "result", r);
	s1 = gw_string(c);
	m = json_object_new_object();
	r = json_object_new_object();
	json_object_object_add(r, "header", gw_header(rev));
	if (compact) {
		snprintf(n, sizeof(n), "%lld", (long long)compact);
		json_object_object_add(r, "compact_revision",
				       json_object_new_string(n));
		json_object_object_add(r, "canceled", json_object_new_boolean(1));
	} else if (kv) {
		e = json_object_new_object();
		if (del) {
			json_object_object_add(e, "type",
					       json_object_new_string("DELETE"));
			json_object_object_del(kv, "value");
		}
		json_object_object_add(e, "kv", kv);
		evs = json_object_new_array();
		json_object_array_add(evs, e);
		json_object_object_add(r, "events", evs);
	}
	json_object_object_add(m, "result", r);
	s2 = gw_string(m);
	if (asprintf(&out, "%s\n%s\n", s1, s2) < 0)
		out = NULL;
	free(s1);
	free(s2);
	return out;
}

/*
 * The fake's end: 0 once it served every step as scripted, 1 if a
 * request was not the step's, -1 if it still waits for one (killed).
 */
static int fake_script_end(pid_t pid)
{
	int i, st = -1;

	for (i = 0; i < 40; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/*
 * cosictl ARGS... against the script, the array @s; its exit status, the
 * fake's fake_script_end() in @fst.
 */
#define FAKE_CTL(s, fst, out, err, ...) ({				\
	size_t n_ = sizeof(s) / sizeof((s)[0]);				\
	int port_, rc_ = -1;						\
	char ep_[64];							\
	pid_t fp_ = fake_script(&port_, s, n_);				\
									\
	snprintf(ep_, sizeof(ep_), "http://127.0.0.1:%d", port_);	\
	fst = -1;							\
	if (fp_ > 0) {							\
		rc_ = run_ctl(out, sizeof(out), err, sizeof(err),	\
			      "--etcd", ep_, "--cluster", "fk",		\
			      __VA_ARGS__, NULL);			\
		fst = fake_script_end(fp_);				\
	}								\
	fake_steps_free(s, n_);						\
	rc_;								\
})

/* The events of JSON lines @out: "event:id" (or "event:revision"), spaced. */
static const char *json_events(const char *out, char *buf, size_t len)
{
	const char *p, *nl;
	json_object *o, *v, *m;
	size_t off = 0;

	buf[0] = 0;
	for (p = out; *p && off < len; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		o = json_tokener_parse(p);
		if (!o)
			return "not JSON";
		json_object_object_get_ex(o, "event", &v);
		if (!json_object_object_get_ex(o, "metadata", &m) ||
		    !json_object_object_get_ex(m, "id", &m))
			json_object_object_get_ex(o, "revision", &m);
		off += snprintf(buf + off, len - off, "%s%s:%s", off ? " " : "",
				json_object_get_string(v),
				json_object_get_string(m));
		json_object_put(o);
	}
	return buf;
}

/* A step; the registrations and the status keys (none but theirs). */
#define STEP(p, r)	{ .path = "/v3/" p, .reply = (r) }
#define FK_NODES(rev)	STEP("kv/range", gw_nodes(rev)),		\
			STEP("kv/range", gw_range(rev, NULL))

/*
 * watch -o json of --node or --group @who against the script @steps,
 * until @count events or @timeout.
 */
#define FK_WATCH(steps, scope, who, count, timeout)			\
	FAKE_CTL(steps, fst, out, err, "watch", "sysctlstatus", scope, who, \
		 "-o", "json", "--count", #count, "--timeout", timeout)

/*
 * watch --etcd: a compaction of the revision after the list lists again
 * and prints only what changed in the gap (net.a updated, net.c created,
 * net.b gone); then a delete without prev_kv, shown by its key.
 */
TEST(cosictl_watch_etcd_relist)
{
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/range", gw_range(10, fk_kv("n1", "a", "1", 5, 5),
					  fk_kv("n1", "b", "1", 6, 6), NULL)),
		STEP("watch", gw_watch(20, 15, NULL, false)),
		FK_NODES(20),
		STEP("kv/range", gw_range(20, fk_kv("n1", "a", "2", 5, 12),
					  fk_kv("n1", "c", "1", 14, 14), NULL)),
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(21, 0, fk_kv("n1", "c", "1", 14, 21), true) },
	};
	char out[8192], err[4096], ev[1024];
	int fst;

	EXPECT_EQ(0, FK_WATCH(s, "--node", "n1", 1, "10s"));
	EXPECT_STREQ("created:net.a created:net.b bootstrapped:10 "
		     "updated:net.a created:net.c destroyed:net.b bootstrapped:20 "
		     "destroyed:net.c", json_events(out, ev, sizeof(ev)))
		TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: note: revision 11 was compacted in etcd; listed again\n",
		     err);
	EXPECT_EQ(0, fst);	/* every step served, as scripted */
}

/*
 * watch --etcd: a key whose document did not decode was skipped (one
 * line), not shown: a list after a compaction that no longer finds it
 * does not show it destroyed, and one that finds it unchanged does not
 * skip it again.
 */
TEST(cosictl_watch_etcd_relist_skipped)
{
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/range", gw_range(10, fk_kv("n1", "a", "1", 5, 5),
			gw_kv("/cosi/fk/status/n1/runtime/SysctlStatuses.cosi.dev/net.y",
			      "not json", 6, 6),
			gw_kv("/cosi/fk/status/n1/runtime/SysctlStatuses.cosi.dev/net.z",
			      "not json", 7, 7), NULL)),
		STEP("watch", gw_watch(20, 15, NULL, false)),
		FK_NODES(20),
		STEP("kv/range", gw_range(20, fk_kv("n1", "a", "1", 5, 5),
			gw_kv("/cosi/fk/status/n1/runtime/SysctlStatuses.cosi.dev/net.y",
			      "not json", 6, 6), NULL)),
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(21, 0, fk_kv("n1", "w", "1", 21, 21),
				    false) },
	};
	char out[8192], err[4096], ev[1024];
	int fst;

	/* Ended by the last event (--count), not by a timeout: no race. */
	EXPECT_EQ(0, FK_WATCH(s, "--node", "n1", 1, "20s"));
	EXPECT_STREQ("created:net.a bootstrapped:10 bootstrapped:20 created:net.w",
		     json_events(out, ev, sizeof(ev))) TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: /cosi/fk/status/n1/runtime/SysctlStatuses.cosi.dev/net.y: skipped: not JSON\n"
		     "cosictl: /cosi/fk/status/n1/runtime/SysctlStatuses.cosi.dev/net.z: skipped: not JSON\n"
		     "cosictl: note: revision 11 was compacted in etcd; listed again\n",
		     err);
	EXPECT_EQ(0, fst);
}

/*
 * watch --etcd: a delete known by its key only (gone from a list after
 * a compaction, or a DELETE without prev_kv) shows the node, namespace,
 * type and id, nothing invented: no version, phase, owner or dates in
 * JSON, "-" in the table (not "<hidden>", a sensitive spec's).
 */
TEST(cosictl_watch_etcd_gone_by_key)
{
#define GONE_STEPS							\
	FK_NODES(10),							\
	STEP("kv/range", gw_range(10, fk_kv("n1", "a", "1", 5, 5),	\
				  fk_kv("n1", "b", "1", 6, 6), NULL)),	\
	STEP("watch", gw_watch(20, 15, NULL, false)),			\
	FK_NODES(20),							\
	STEP("kv/range", gw_range(20, fk_kv("n1", "a", "1", 5, 5),	\
				  fk_kv("n1", "c", "1", 14, 14), NULL)), \
	{ .path = "/v3/watch", .hold = true,				\
	  .reply = gw_watch(21, 0, fk_kv("n1", "c", "1", 14, 21), true) }
	struct fake_step s[] = { GONE_STEPS }, s2[] = { GONE_STEPS };
	const char *gone = "\"event\":\"destroyed\",\"node\":\"n1\","
		"\"metadata\":{\"namespace\":\"runtime\","
		"\"type\":\"SysctlStatuses.cosi.dev\",\"id\":\"net.";
	char out[8192], err[4096], c[8][64];
	const char *p;
	int fst, n = 0;

	EXPECT_EQ(0, FK_WATCH(s, "--node", "n1", 1, "10s"));
	EXPECT_EQ(0, fst);
	for (p = out; (p = strstr(p, "\"event\":\"destroyed\"")); p++, n++)
		EXPECT_EQ(0, strncmp(p, gone, strlen(gone))) TH_LOG("%s", p);
	EXPECT_EQ(2, n) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "1970")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\"version\":0")) TH_LOG("%s", out);

	EXPECT_EQ(0, FAKE_CTL(s2, fst, out, err, "watch", "sysctlstatus",
			      "--node", "n1", "--count", "1", "--timeout",
			      "10s"));
	EXPECT_EQ(0, fst);
	EXPECT_EQ(NULL, strstr(out, "<hidden>")) TH_LOG("%s", out);
	ASSERT_LE(5, row(out, "-", c, 8)) TH_LOG("%s", out);
	EXPECT_STREQ("n1", c[1]);
	EXPECT_STREQ("net.b", c[4]);
	EXPECT_STREQ("-", c[5]);	/* version */
	EXPECT_STREQ("-", c[6]) TH_LOG("%s", out);	/* the spec's */
#undef GONE_STEPS
}

/*
 * A watch stream: "created", then one message with PUTs of @kv1, @kv2
 * (@split: a message each, the revision split as etcd does not).
 */
static char *gw_watch2(int64_t rev, json_object *kv1, json_object *kv2,
		       bool split)
{
	json_object *kvs[2] = { kv1, kv2 }, *m = NULL, *r, *evs = NULL, *e;
	char *s1, *s2, *out = NULL;
	size_t i;

	s1 = gw_watch(rev, 0, NULL, false);
	for (i = 0; i < 2 && s1; i++) {
		if (!m) {
			m = json_object_new_object();
			r = json_object_new_object();
			evs = json_object_new_array();
			json_object_object_add(r, "header", gw_header(rev));
			json_object_object_add(r, "events", evs);
			json_object_object_add(m, "result", r);
		}
		e = json_object_new_object();
		json_object_object_add(e, "kv", kvs[i]);
		json_object_array_add(evs, e);
		if (!split && !i)
			continue;
		s2 = gw_string(m);
		m = NULL;
		if (!s2 || asprintf(&out, "%s%s\n", s1, s2) < 0)
			out = NULL;
		free(s1);
		free(s2);
		s1 = out;
	}
	return s1;
}

/*
 * watch --group: the group read for the second event of a txn fails
 * (etcd unavailable): the stream resumes at that revision, and the event
 * already shown (n1's) is not shown again; n2's is, once.
 */
#define GW_TIMED_OUT "{\"error\":{\"grpc_code\":14," \
		     "\"message\":\"etcdserver: request timed out\"}}"
/* The txn's stream (@split: a message an event), then n1's read or n2's. */
#define FK_TXN(split)							\
	STEP("watch", gw_watch2(11, fk_kv("n1", "a", "1", 11, 11),	\
				fk_kv("n2", "b", "1", 11, 11), split))
#define FK_REG(n, rev)							\
	STEP("kv/range", gw_range(11, gw_kv("/cosi/fk/nodes/" n,	\
					    REG("\"web\""), rev, rev), NULL))
#define FK_FAILED	STEP("kv/range", strdup(GW_TIMED_OUT))
TEST(cosictl_watch_etcd_group_read_fails)
{
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/range", gw_range(10, NULL)),
		STEP("kv/range", gw_range(10, NULL)),
		FK_TXN(false), FK_REG("n1", 2), FK_FAILED,
		FK_TXN(false), FK_REG("n2", 3),
	};
	struct fake_step t[] = {
		FK_NODES(10),
		STEP("kv/range", gw_range(10, NULL)),
		STEP("kv/range", gw_range(10, NULL)),
		FK_TXN(false), FK_REG("n1", 2), FK_FAILED,
		FK_TXN(true), FK_FAILED,
		FK_TXN(true), FK_REG("n2", 3),
	};
	char out[8192], err[4096], ev[1024];
	int fst;

	EXPECT_EQ(0, FK_WATCH(s, "--group", "web", 2, "10s"));
	EXPECT_STREQ("bootstrapped:10 created:net.a created:net.b",
		     json_events(out, ev, sizeof(ev))) TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: note: watch: etcdserver: request timed out; resuming from revision 11 in 500 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n", err);
	EXPECT_EQ(0, fst);	/* every step served, as scripted */

	/*
	 * n2's read fails twice, the resumed streams sending the txn's
	 * events a message each: n1's skipped on both, n2's shown once;
	 * the second resume, of a stream created and lost at once, after
	 * twice the pause.
	 */
	EXPECT_EQ(0, FK_WATCH(t, "--group", "web", 2, "10s"));
	EXPECT_STREQ("bootstrapped:10 created:net.a created:net.b",
		     json_events(out, ev, sizeof(ev))) TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: note: watch: etcdserver: request timed out; resuming from revision 11 in 500 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n"
		     "cosictl: note: watch: etcdserver: request timed out; resuming from revision 11 in 1000 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n", err);
	EXPECT_EQ(0, fst);
}

/*
 * watch --etcd: a message over the client's cap ends the stream and
 * lists again; the list shows only what changed (net.d created).
 */
TEST(cosictl_watch_etcd_oversized)
{
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/range", gw_range(10, fk_kv("n1", "a", "1", 5, 5), NULL)),
		{ .path = "/v3/watch",
		  .reply = strdup("{\"result\":{\"header\":{},\"events\":["),
		  .tail = "{\"kv\":{\"key\":\"YQ==\"}},", .times = 20000 },
		FK_NODES(30),
		STEP("kv/range", gw_range(30, fk_kv("n1", "a", "1", 5, 5),
					  fk_kv("n1", "d", "4", 25, 25), NULL)),
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(31, 0, fk_kv("n1", "e", "5", 31, 31),
				    false) },
	};
	char out[8192], err[4096], ev[1024];
	int fst;

	/* Ended by the last event (--count), not by a timeout: no race. */
	EXPECT_EQ(0, FK_WATCH(s, "--node", "n1", 1, "20s"));
	EXPECT_STREQ("created:net.a bootstrapped:10 created:net.d bootstrapped:30 created:net.e",
		     json_events(out, ev, sizeof(ev))) TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: note: watch: etcd watch message with too many JSON values; listed again\n",
		     err);
	EXPECT_EQ(0, fst);
}

#define FK_ID "net.ipv4.ip_forward"
#define FK_FWD(node, value, create, mod) \
	fk_kv(node, "ipv4.ip_forward", value, create, mod)

/*
 * wait --etcd follows the watch: the list (one txn at its revision) has
 * n2 at 0, the event that puts 1 meets it; no request after the watch.
 */
TEST(cosictl_wait_etcd_event)
{
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/txn", gw_txn(10, FK_FWD("n1", "1", 5, 5),
				      FK_FWD("n2", "0", 6, 6))),
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(11, 0, FK_FWD("n2", "1", 6, 11), false) },
	};
	char out[4096], err[4096];
	long t0 = (long)(now_us() / 1000);
	int fst;

	EXPECT_EQ(0, FAKE_CTL(s, fst, out, err, "wait", "sysctlstatus",
			      FK_ID, "--for", "value=1", "--group", "web",
			      "--timeout", "20s"));
	EXPECT_STREQ("", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/" FK_ID " condition met on 2 nodes\n",
		     out);
	EXPECT_GT(2000, (long)(now_us() / 1000) - t0);
	EXPECT_EQ(0, fst);
}

/* wait --etcd: an event that does not meet it; the timeout names n2. */
TEST(cosictl_wait_etcd_event_timeout)
{
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/txn", gw_txn(10, FK_FWD("n1", "1", 5, 5), NULL)),
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(11, 0, FK_FWD("n2", "2", 11, 11), false) },
	};
	char out[4096], err[4096];
	int fst;

	EXPECT_EQ(1, FAKE_CTL(s, fst, out, err, "wait", "sysctlstatus",
			      FK_ID, "--for", "value=1", "--all-nodes",
			      "--timeout", "1s"));
	EXPECT_STREQ("cosictl: wait SysctlStatuses.cosi.dev/" FK_ID ": timed out after 1s waiting for value=1 on 1 of 2 nodes: n2 (value=2)\n",
		     err);
	EXPECT_STREQ("", out);
	EXPECT_EQ(0, fst);
}

/*
 * wait --etcd --for delete: a compaction lists again (n1's gone by
 * then); then n2's delete arrives without prev_kv.
 */
TEST(cosictl_wait_etcd_relist_delete)
{
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/txn", gw_txn(10, FK_FWD("n1", "1", 5, 5),
				      FK_FWD("n2", "1", 6, 6))),
		STEP("watch", gw_watch(20, 15, NULL, false)),
		FK_NODES(20),
		STEP("kv/txn", gw_txn(20, NULL, FK_FWD("n2", "1", 6, 6))),
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(21, 0, FK_FWD("n2", "1", 6, 21), true) },
	};
	char out[4096], err[4096];
	int fst;

	EXPECT_EQ(0, FAKE_CTL(s, fst, out, err, "wait", "sysctlstatus",
			      FK_ID, "--for", "delete", "--group", "web",
			      "--timeout", "20s"));
	EXPECT_STREQ("cosictl: note: revision 11 was compacted in etcd; listed again\n",
		     err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/" FK_ID " condition met on 2 nodes\n",
		     out);
	EXPECT_EQ(0, fst);
}

/* The list of wait --group web (n2 at 0), and the wait of @steps. */
#define FK_WAIT_LIST	FK_NODES(10),					\
			STEP("kv/txn", gw_txn(10, FK_FWD("n1", "1", 5, 5), \
					      FK_FWD("n2", "0", 6, 6)))
/* A reply that is not etcd's; a step four times over. */
#define GW_BAD	"{\"error\":{\"grpc_code\":3,\"message\":\"fake: bad\"}}"
#define FK_4(...)	__VA_ARGS__, __VA_ARGS__, __VA_ARGS__, __VA_ARGS__
#define FK_WAIT(steps, timeout)						\
	FAKE_CTL(steps, fst, out, err, "wait", "sysctlstatus", FK_ID,	\
		 "--for", "value=1", "--group", "web", "--timeout", timeout)

/*
 * wait --etcd: a stream that ends resumes after the list's revision
 * (a note, and one when it is back), and the event on the next stream
 * meets it.  A quiet watch outlives lost streams and a spell of etcd
 * not answering (the old limit: four ends without an event): two
 * streams created and closed (the second at once: no progress, the
 * backoff doubles), two tries dropped (no note: the outage was said),
 * then the stream with the event.  A reply that is not
 * etcd's, four times in a row, ends the wait before its timeout (exit
 * 1; one note for the first).
 */
TEST(cosictl_wait_etcd_resume)
{
	struct fake_step s[] = {
		FK_WAIT_LIST,
		STEP("watch", gw_watch(10, 0, NULL, false)),
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(11, 0, FK_FWD("n2", "1", 6, 11), false) },
	};
	struct fake_step x[] = {
		FK_WAIT_LIST,
		STEP("watch", gw_watch(10, 0, NULL, false)),
		STEP("watch", gw_watch(10, 0, NULL, false)),
		{ .path = "/v3/watch", .drop = true },
		{ .path = "/v3/watch", .drop = true },
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(11, 0, FK_FWD("n2", "1", 6, 11), false) },
	};
	struct fake_step y[] = {
		FK_WAIT_LIST, FK_4(STEP("watch", strdup(GW_BAD))),
	};
	char out[4096], err[4096];
	int fst;

	EXPECT_EQ(0, FK_WAIT(s, "20s"));
	EXPECT_STREQ("cosictl: note: watch: etcd closed the stream; resuming from revision 11 in 500 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/" FK_ID " condition met on 2 nodes\n",
		     out);
	EXPECT_EQ(0, fst);

	EXPECT_EQ(0, FK_WAIT(x, "30s"));
	EXPECT_STREQ("cosictl: note: watch: etcd closed the stream; resuming from revision 11 in 500 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n"
		     "cosictl: note: watch: etcd closed the stream; resuming from revision 11 in 1000 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/" FK_ID " condition met on 2 nodes\n",
		     out);
	EXPECT_EQ(0, fst);

	EXPECT_EQ(1, FK_WAIT(y, "20s"));
	EXPECT_STREQ("cosictl: note: watch: fake: bad; resuming from revision 11 in 500 ms\n"
		     "cosictl: watch /cosi/fk/status/: fake: bad\n", err);
	EXPECT_STREQ("", out);
	EXPECT_EQ(0, fst);
}

/*
 * wait --etcd: an HTTP error without a body (a proxy in front that has
 * no /v3/watch) is not "etcd closed the stream", which resumes for as
 * long as it takes: four in a row end the wait before its timeout (one
 * note for the first), as a reply that is not etcd's does.
 */
TEST(cosictl_wait_etcd_http_error)
{
	struct fake_step s[] = {
		FK_WAIT_LIST, FK_4({ .path = "/v3/watch", .reply = strdup(""),
				     .status = "404 Not Found" }),
	};
	char out[4096], err[4096];
	long t0 = (long)(now_us() / 1000);
	int fst;

	EXPECT_EQ(1, FK_WAIT(s, "12s"));
	EXPECT_EQ(0, fnmatch("cosictl: note: watch: etcd http://127.0.0.1:*/v3/watch: HTTP 404; resuming from revision 11 in 500 ms\n"
			     "cosictl: watch /cosi/fk/status/: etcd http://127.0.0.1:*/v3/watch: HTTP 404\n",
			     err, 0)) TH_LOG("%s", err);
	EXPECT_STREQ("", out);
	EXPECT_EQ(0, fst);
	/* 0.5 + 1 + 2 s of backoff, not the timeout. */
	EXPECT_GT(10000, (long)(now_us() / 1000) - t0);
}

/* A stream etcd creates, then @tail at once (then closed). */
static char *gw_created_then(const char *tail)
{
	char *s = gw_watch(10, 0, NULL, false), *out;

	if (!s || asprintf(&out, "%s%s", s, tail) < 0)
		out = NULL;
	free(s);
	return out;
}

/*
 * wait --etcd: a stream created and at once ended is no progress: the
 * backoff doubles (the second note says 1000 ms, not 500 ms again), and
 * four such ends by an error that is not etcd unreachable end the wait
 * before its timeout, as four such errors without a stream do.
 */
TEST(cosictl_wait_etcd_created_then_ended)
{
	struct fake_step s[] = {
		FK_WAIT_LIST, FK_4(STEP("watch", gw_created_then(GW_BAD))),
	};
	char out[4096], err[4096];
	long t0 = (long)(now_us() / 1000);
	int fst;

	EXPECT_EQ(1, FK_WAIT(s, "12s"));
	EXPECT_STREQ("cosictl: note: watch: fake: bad; resuming from revision 11 in 500 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n"
		     "cosictl: note: watch: fake: bad; resuming from revision 11 in 1000 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n"
		     "cosictl: note: watch: fake: bad; resuming from revision 11 in 2000 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n"
		     "cosictl: watch /cosi/fk/status/: fake: bad\n", err);
	EXPECT_STREQ("", out);
	EXPECT_EQ(0, fst);
	EXPECT_GT(10000, (long)(now_us() / 1000) - t0);
}

/*
 * etcd's error for a range at a compacted revision (the fake answers
 * HTTP 200: in the form of an error in a stream).
 */
#define GW_COMPACTED \
	"{\"error\":{\"grpc_code\":11,\"message\":" \
	"\"etcdserver: mvcc: required revision has been compacted\"}}"

/*
 * A compaction during the list (after its first range, at its
 * revision): the list is read again at a new revision, not an error.
 * wait: the txn of the nodes' keys; watch: n2's range, after n1's was
 * printed (not printed again; net.b, changed meanwhile, is "updated").
 */
TEST(cosictl_etcd_compacted_during_list)
{
	struct fake_step w[] = {
		FK_NODES(10),
		STEP("kv/txn", strdup(GW_COMPACTED)),
		FK_NODES(20),
		STEP("kv/txn", gw_txn(20, FK_FWD("n1", "1", 5, 5),
				      FK_FWD("n2", "1", 6, 18))),
	};
	struct fake_step s[] = {
		FK_NODES(10),
		STEP("kv/range", gw_range(10, fk_kv("n1", "a", "1", 5, 5),
					  fk_kv("n1", "b", "1", 6, 6), NULL)),
		STEP("kv/range", strdup(GW_COMPACTED)),
		FK_NODES(20),
		STEP("kv/range", gw_range(20, fk_kv("n1", "a", "1", 5, 5),
					  fk_kv("n1", "b", "2", 6, 16), NULL)),
		STEP("kv/range", gw_range(20, fk_kv("n2", "c", "1", 7, 7),
					  NULL)),
	};
	struct fake_step x[] = {
		FK_NODES(10),
		STEP("kv/txn", strdup(GW_COMPACTED)),
		FK_NODES(20),
		STEP("kv/txn", strdup(GW_COMPACTED)),
		FK_NODES(30),
		STEP("kv/txn", strdup(GW_COMPACTED)),
	};
	char out[8192], err[4096], ev[1024];
	int fst;

	EXPECT_EQ(0, FAKE_CTL(w, fst, out, err, "wait", "sysctlstatus",
			      FK_ID, "--for", "value=1", "--group", "web",
			      "--timeout", "20s"));
	EXPECT_STREQ("cosictl: note: revision 10 was compacted in etcd during the list; listed again\n",
		     err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/" FK_ID " condition met on 2 nodes\n",
		     out);
	EXPECT_EQ(0, fst);

	EXPECT_EQ(0, FAKE_CTL(s, fst, out, err, "watch", "sysctlstatus",
			      "--group", "web", "-o", "json", "--count", "0"));
	EXPECT_STREQ("created:net.a created:net.b updated:net.b created:net.c bootstrapped:20",
		     json_events(out, ev, sizeof(ev))) TH_LOG("%s", out);
	EXPECT_STREQ("cosictl: note: revision 10 was compacted in etcd during the list; listed again\n",
		     err);
	EXPECT_EQ(0, fst);

	/* Compacted under each of three lists in a row: one error. */
	EXPECT_EQ(1, FAKE_CTL(x, fst, out, err, "wait", "sysctlstatus",
			      FK_ID, "--for", "value=1", "--group", "web",
			      "--timeout", "20s"));
	EXPECT_NE(NULL, strstr(err, "required revision has been compacted (3 lists in a row)\n"))
		TH_LOG("%s", err);
	EXPECT_EQ(0, fst);
}

/* A member that lost its leader, as a watch stream hears it. */
#define GW_NO_LEADER "{\"error\":{\"grpc_code\":14,\"http_code\":503," \
		     "\"message\":\"etcdserver: no leader\"}}\n"

/*
 * Two fake members serving the scripts @a and @b (their pids in *@pa,
 * *@pb), their endpoints in @eps: 0, or -1 if either did not start.
 */
static int fake_members(const struct fake_step *a, size_t na,
			const struct fake_step *b, size_t nb, pid_t *pa,
			pid_t *pb, char *eps, size_t len)
{
	int p1, p2;

	*pa = fake_script(&p1, a, na);
	*pb = fake_script(&p2, b, nb);
	if (*pa < 0 || *pb < 0)
		return -1;
	snprintf(eps, len, "http://127.0.0.1:%d,http://127.0.0.1:%d", p1, p2);
	return 0;
}

/*
 * After fake_members(): each one's fake_script_end() in *@sa and *@sb
 * (-1: it still waited for a request), the scripts freed.
 */
static void fake_members_end(pid_t pa, pid_t pb, struct fake_step *a,
			     size_t na, struct fake_step *b, size_t nb,
			     int *sa, int *sb)
{
	*sa = fake_script_end(pa);
	*sb = fake_script_end(pb);
	fake_steps_free(a, na);
	fake_steps_free(b, nb);
}

/*
 * fake_members(), and a client of both with the options @base (NULL:
 * none); NULL if they did not start.
 */
static struct etcd *two_members(const struct fake_step *a, size_t na,
				const struct fake_step *b, size_t nb,
				pid_t *pa, pid_t *pb,
				const struct etcd_opts *base)
{
	struct etcd_opts o = base ? *base : (struct etcd_opts){ 0 };
	char eps[96];

	if (fake_members(a, na, b, nb, pa, pb, eps, sizeof(eps)))
		return NULL;
	o.endpoints = eps;
	return client_opts(&o);
}

/*
 * A watch ended by "no leader" (a member cut off from the others; the
 * watch asks for a leader) moves the client to the next member, as a
 * unary request does: the watch started again (as cosid and cosictl
 * do) is created there, not refused by the same member over and over.
 */
TEST(watch_no_leader_next_endpoint)
{
	struct fake_step a[] = {
		STEP("watch", strdup(GW_NO_LEADER)),
		STEP("watch", strdup(GW_NO_LEADER)),
	};
	struct fake_step b[] = {
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(10, 0, NULL, false) },
	};
	struct etcd_watch_opts wo = { .key = "k" };
	struct watch_log l = { 0 };
	char msg[ETCD_MSG_LEN];
	struct etcd_watch *w;
	pid_t pa, pb;
	int sa, sb;
	struct etcd *e = two_members(a, 2, b, 1, &pa, &pb, NULL);

	ASSERT_NE(NULL, e);
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.ended || l.created, 5000000);
	EXPECT_EQ(1, l.ended);
	EXPECT_EQ(-EAGAIN, l.err);
	EXPECT_STREQ("etcdserver: no leader", l.msg);
	etcd_watch_free(w);
	memset(&l, 0, sizeof(l));
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.ended || l.created, 5000000);
	EXPECT_EQ(1, l.created);
	EXPECT_EQ(0, l.ended) TH_LOG("%d %s", l.err, l.msg);
	etcd_watch_free(w);
	etcd_free(e);
	fake_members_end(pa, pb, a, 2, b, 1, &sa, &sb);
	EXPECT_EQ(-1, sa);	/* its second watch never came */
	EXPECT_EQ(0, sb);
}

/*
 * A proxy in front of a member that has none to send to (HTTP 502, 503
 * or 504 without a body): -EAGAIN, not a reply that is not JSON; a
 * range goes to the next endpoint, a write (maybe applied behind a 504)
 * is not sent again.
 */
TEST(proxy_unavailable_next_endpoint)
{
	struct fake_step a[] = {
		{ .path = "/v3/kv/put", .reply = strdup(""),
		  .status = "504 Gateway Timeout" },
		{ .path = "/v3/kv/range", .reply = strdup(""),
		  .status = "503 Service Unavailable" },
	};
	struct fake_step b[] = {
		STEP("kv/range", strdup("{\"header\":{\"revision\":\"9\"}}")),
	};
	char msg[ETCD_MSG_LEN];
	struct etcd_reply rep;
	pid_t pa, pb;
	int sa, sb;
	struct etcd *e = two_members(a, 2, b, 1, &pa, &pb, NULL);

	ASSERT_NE(NULL, e);
	/* Not ASSERT: the fakes are reaped below either way. */
	EXPECT_EQ(-EAGAIN, etcd_call(e, &put_x, &rep, msg, sizeof(msg)));
	EXPECT_EQ(0, fnmatch("etcd http://127.0.0.1:*/v3/kv/put: HTTP 504", msg, 0))
		TH_LOG("%s", msg);
	EXPECT_EQ(0, etcd_call(e, &get_x, &rep, msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_EQ(9, rep.hdr.revision);
	etcd_reply_free(&rep);
	etcd_free(e);
	fake_members_end(pa, pb, a, 2, b, 1, &sa, &sb);
	EXPECT_EQ(0, sa);
	EXPECT_EQ(0, sb);
}

/*
 * A member that takes a request and never answers (frozen): a range,
 * which changes nothing, is sent once more to the next member after the
 * timeout; a put, maybe applied, is not (-ETIMEDOUT).
 */
TEST(range_timeout_next_endpoint)
{
	struct fake_step a[] = {
		{ .path = "/v3/kv/range", .hold = true, .reply = strdup("") },
		{ .path = "/v3/kv/put", .hold = true, .reply = strdup("") },
	};
	struct fake_step b[] = {
		STEP("kv/range", strdup("{\"header\":{\"revision\":\"9\"}}")),
	};
	struct etcd_opts o = { .timeout_usec = 500000 };
	char msg[ETCD_MSG_LEN], eps[96];
	struct etcd_reply rep;
	struct etcd *e;
	pid_t pa, pb;
	int sa, sb;

	ASSERT_EQ(0, fake_members(a, 2, b, 1, &pa, &pb, eps, sizeof(eps)));
	o.endpoints = eps;
	e = client_opts(&o);
	EXPECT_EQ(0, etcd_call(e, &get_x, &rep, msg, sizeof(msg))) TH_LOG("%s", msg);
	EXPECT_EQ(9, rep.hdr.revision);
	etcd_reply_free(&rep);
	etcd_free(e);
	/* A new client starts at the first member again. */
	e = client_opts(&o);
	EXPECT_EQ(-ETIMEDOUT, etcd_call(e, &put_x, &rep, msg, sizeof(msg)))
		TH_LOG("%s", msg);
	etcd_free(e);
	fake_members_end(pa, pb, a, 2, b, 1, &sa, &sb);
	EXPECT_EQ(0, sa);
	EXPECT_EQ(0, sb);
}

/*
 * A watch whose idle limit passes while it waits for a token (the
 * authenticate request slow on the first member) was not sent: it
 * does not move the client off the member it never reached (the
 * authenticate request's own timeout decides).  A limit under a second
 * is said in milliseconds.
 */
TEST(watch_idle_waiting_for_token)
{
	struct fake_step a[] = {
		{ .path = "/v3/auth/authenticate", .hold = true,
		  .reply = strdup("") },
	};
	struct fake_step b[] = { { .path = "/v3/auth/authenticate",
				   .drop = true } };
	struct etcd_watch_opts wo = { .key = "k", .idle_usec = 200000 };
	struct etcd_opts o = { .user = "u", .password = "p",
			       .timeout_usec = 3000000 };
	char msg[ETCD_MSG_LEN], first[64];
	struct watch_log l = { 0 };
	struct etcd_watch *w;
	pid_t pa, pb;
	int sa, sb;
	struct etcd *e = two_members(a, 1, b, 1, &pa, &pb, &o);

	ASSERT_NE(NULL, e);
	snprintf(first, sizeof(first), "%s", etcd_endpoint(e));
	ASSERT_EQ(0, etcd_watch_start(e, &wo, on_watch, &l, &w, msg,
				      sizeof(msg))) TH_LOG("%s", msg);
	RUN_UNTIL(e, l.ended, 2000000);
	EXPECT_EQ(-ETIMEDOUT, l.err);
	EXPECT_STREQ("etcd watch: nothing received in 200 ms", l.msg);
	EXPECT_STREQ(first, etcd_endpoint(e));
	etcd_watch_free(w);
	etcd_free(e);	/* the authenticate request with it */
	fake_members_end(pa, pb, a, 1, b, 1, &sa, &sb);
	EXPECT_EQ(0, sa);
	EXPECT_EQ(-1, sb);	/* never reached */
}

/*
 * wait --etcd A,B: A stops answering after the list (a frozen member:
 * the stream's connection open, nothing sent).  The stream is taken for
 * dead after --etcd-watch-idle (-ETIMEDOUT: transient) and resumed on
 * B, which brings the event: not a wait until --timeout, nor a watch
 * that never ends.
 */
TEST(cosictl_wait_etcd_silent_member)
{
	struct fake_step a[] = {
		FK_WAIT_LIST,
		{ .path = "/v3/watch", .hold = true, .reply = strdup("") },
	};
	struct fake_step b[] = {
		{ .path = "/v3/watch", .hold = true,
		  .reply = gw_watch(11, 0, FK_FWD("n2", "1", 6, 11), false) },
	};
	char out[4096], err[4096], eps[96];
	pid_t pa, pb;
	int rc, sa, sb;

	ASSERT_EQ(0, fake_members(a, sizeof(a) / sizeof(a[0]), b, 1, &pa, &pb,
				  eps, sizeof(eps)));
	rc = run_ctl(out, sizeof(out), err, sizeof(err), "--etcd", eps,
		     "--cluster", "fk", "wait", "sysctlstatus", FK_ID, "--for",
		     "value=1", "--group", "web", "--timeout=10s",
		     "--etcd-watch-idle=1s", NULL);
	EXPECT_EQ(0, rc) TH_LOG("%s", err);
	EXPECT_STREQ("cosictl: note: watch: etcd watch: nothing received in 1 s; resuming from revision 11 in 500 ms\n"
		     "cosictl: note: watch: resumed from revision 11\n", err);
	EXPECT_STREQ("SysctlStatuses.cosi.dev/" FK_ID " condition met on 2 nodes\n",
		     out);
	fake_members_end(pa, pb, a, sizeof(a) / sizeof(a[0]), b, 1, &sa, &sb);
	EXPECT_EQ(0, sa);
	EXPECT_EQ(0, sb);
}

/* test_harness_run() exits: stop the clusters then (not in children). */
static void stop_all(void)
{
	if (getpid() != main_pid)
		return;
	cluster_stop(main_c);
	cluster_stop(auth_c);
	cluster_stop(tls_c);
	cluster_stop(jwt_c);
}

static void on_term(int sig)
{
	(void)sig;
	exit(1);	/* atexit: stop_all() */
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	main_pid = getpid();
	atexit(stop_all);
	main_c = cluster_start(MEMBERS, "");
	auth_c = cluster_start(1, "--auth-token-ttl 1");
	tls_c = cluster_start(1, "tls");
	jwt_c = cluster_start(1, "jwt");
	/* Progress notifications every second (10 min by default). */
	prog_c = cluster_start(1, "--experimental-watch-progress-notify-interval 1s");
	if (!main_c || !auth_c || !tls_c || !jwt_c || !prog_c ||
	    etcdctl(jwt_c, NULL, "user add root:rootpw") ||
	    etcdctl(jwt_c, NULL, "role add limited") ||
	    etcdctl(jwt_c, NULL, "role grant-permission limited --prefix=true readwrite /app/") ||
	    etcdctl(jwt_c, NULL, "user add alice:alicepw") ||
	    etcdctl(jwt_c, NULL, "user grant-role alice limited") ||
	    etcdctl(jwt_c, NULL, "auth enable") ||
	    etcdctl(auth_c, NULL, "user add root:rootpw") ||
	    etcdctl(auth_c, NULL, "user grant-role root root") ||
	    etcdctl(auth_c, NULL, "role add limited") ||
	    etcdctl(auth_c, NULL, "role grant-permission limited --prefix=true readwrite /app/") ||
	    etcdctl(auth_c, NULL, "user add alice:alicepw") ||
	    etcdctl(auth_c, NULL, "user grant-role alice limited") ||
	    etcdctl(auth_c, NULL, "auth enable")) {
		printf("Bail out! cannot start etcd (etcd-server 3.4 installed?)\n");
		return 1;
	}
	return test_harness_run(argc, argv);
}
