// SPDX-License-Identifier: GPL-2.0
/*
 * Resource dumps larger than one skb: complete and sorted by id, the
 * id-prefix filter, and NLM_F_DUMP_INTR when the collection changes
 * between two skbs of a dump (with a concurrent writer process); filtered
 * dumps whose scan lets writers in midway (fixture scan).
 */
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/capability.h>

#include "cosi_test.h"

#define BLOBS		"blobs"
#define NR_BLOBS	3000
#define BLOB_SIZE	2048
/* Dumps tried before giving up on seeing NLM_F_DUMP_INTR. */
#define INTR_TRIES	20

static void blob_fill(uint8_t *data, int idx)
{
	int j;

	for (j = 0; j < BLOB_SIZE; j++)
		data[j] = (idx * 31 + j) & 0xff;
}

static void blob_id(char *id, size_t len, int idx)
{
	snprintf(id, len, "r%05d", idx);
}

/* Spec { data = pattern(idx), n = n } into an empty @spec. */
static int blob_spec(struct cosi_spec *spec, int idx, uint64_t n)
{
	uint8_t data[BLOB_SIZE];
	int err;

	blob_fill(data, idx);
	err = cosi_spec_add_bytes(spec, "data", data, sizeof(data));
	return err ?: cosi_spec_add_u64(spec, "n", n);
}

/* Spec { data = pattern(idx), n = n }, then create or update. */
static int blob_write(struct cosi *c, int idx, uint64_t n, bool create)
{
	struct cosi_spec spec = { 0 };
	struct cosi_kvs labels = kvs_make("parity", idx % 2 ? "odd" : "even",
					  NULL);
	char id[16];
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = BLOBS, .id = id, .spec = &spec,
		.labels = &labels,
	);
	int err;

	blob_id(id, sizeof(id), idx);
	err = blob_spec(&spec, idx, n);
	if (!err)
		err = create ? cosi_resource_create(c, &r, NULL) :
			       cosi_resource_update(c, &r, NULL);
	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
	return err;
}

/*
 * Blobs @idx[0..@n) (at most BLOB_BATCH) created with spec n = @v as
 * blob_write() would, or destroyed (@destroy), in one cosi_write_batch()
 * (ack-only: the fixture's 3000 creates take a third of the time on the
 * debug kernel): 0, or the first error.
 */
#define BLOB_BATCH	100

static int blob_batch(struct cosi *c, const int *idx, int n, uint64_t v,
		      bool destroy)
{
	static char ids[BLOB_BATCH][16];
	struct cosi_spec spec[BLOB_BATCH] = { 0 };
	struct cosi_kvs odd = kvs_make("parity", "odd", NULL);
	struct cosi_kvs even = kvs_make("parity", "even", NULL);
	struct cosi_write w[BLOB_BATCH] = { 0 };
	struct cosi_req r[BLOB_BATCH];
	int i, err = 0;

	for (i = 0; i < n && !err; i++) {
		blob_id(ids[i], sizeof(ids[i]), idx[i]);
		r[i] = (struct cosi_req){ .sz = sizeof(r[i]), .ns = TEST_NS,
					  .type = BLOBS, .id = ids[i],
					  .ack_only = true };
		w[i].cmd = destroy ? COSI_CMD_RESOURCE_DESTROY :
				     COSI_CMD_RESOURCE_CREATE;
		w[i].req = &r[i];
		if (destroy)
			continue;
		err = blob_spec(&spec[i], idx[i], v);
		r[i].spec = &spec[i];
		r[i].labels = idx[i] % 2 ? &odd : &even;
	}
	if (!err)
		err = cosi_write_batch(c, w, n);
	for (i = 0; i < n && !err; i++)
		if (!w[i].done || w[i].err.err)
			err = w[i].done ? -w[i].err.err : -EIO;
	for (i = 0; i < n; i++)
		cosi_spec_clear(&spec[i]);
	cosi_kvs_clear(&odd);
	cosi_kvs_clear(&even);
	return err;
}

FIXTURE(dump) {
	struct cosi *c;
	pid_t writer;
};

FIXTURE_SETUP(dump)
{
	struct cosi_definition *d = NULL;
	int i, idx[BLOB_BATCH];

	self->writer = 0;
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_NE(NULL, d = cosi_def_new(BLOBS));
	ASSERT_EQ(0, cosi_def_add_field(d, "data", COSI_FIELD_TYPE_BYTES,
					true));
	ASSERT_EQ(0, cosi_def_add_field(d, "n", COSI_FIELD_TYPE_U64, false));
	ASSERT_COSI_OK(self->c, cosi_definition_set(self->c, d, NULL));
	cosi_definition_free(d);
	for (i = 0; i < NR_BLOBS; i++) {
		idx[i % BLOB_BATCH] = i;
		if (i % BLOB_BATCH == BLOB_BATCH - 1 || i == NR_BLOBS - 1)
			ASSERT_EQ(0, blob_batch(self->c, idx,
						i % BLOB_BATCH + 1, 0, false));
	}
}

FIXTURE_TEARDOWN(dump)
{
	if (self->writer > 0) {
		kill(self->writer, SIGKILL);
		waitpid(self->writer, NULL, 0);
	}
	cosi_close(self->c);
}

/* What a dump saw, checked as it goes (the resources are not kept). */
struct walk {
	char last[COSI_ID_MAX_LEN + 1];
	size_t n;
	size_t unsorted;
	size_t bad_data;
	size_t foreign;
	int sleep_every;		/* resources between 1 ms naps */
	unsigned char seen[NR_BLOBS];
};

static bool blob_ok(const struct cosi_resource *r, int idx)
{
	const struct cosi_field *f = cosi_spec_get(&r->spec, "data");
	uint8_t data[BLOB_SIZE];

	blob_fill(data, idx);
	return f && f->type == COSI_FIELD_TYPE_BYTES &&
	       f->bytes.len == BLOB_SIZE &&
	       !memcmp(f->bytes.data, data, BLOB_SIZE) &&
	       !strcmp(cosi_kvs_get(&r->labels, "parity") ?: "",
		       idx % 2 ? "odd" : "even");
}

static void walk_one(struct cosi_resource *r, void *arg)
{
	struct walk *w = arg;
	int idx = -1;

	if (w->n && strcmp(w->last, r->id) >= 0)
		w->unsorted++;
	snprintf(w->last, sizeof(w->last), "%s", r->id);
	if (sscanf(r->id, "r%d", &idx) != 1 || idx < 0 || idx >= NR_BLOBS)
		w->foreign++;
	else if (w->seen[idx]++ || !blob_ok(r, idx))
		w->bad_data++;
	w->n++;
	if (w->sleep_every && !(w->n % w->sleep_every))
		usleep(1000);
	cosi_resource_free(r);
}

static int walk(struct cosi *c, const char *prefix,
		const struct cosi_query *q, struct walk *w, bool *intr)
{
	COSI_OPTS(cosi_list_req, lr,
		.ns = TEST_NS, .type = BLOBS, .id_prefix = prefix,
		.queries = q, .n_queries = q ? 1 : 0,
	);
	int sleep_every = w->sleep_every;

	memset(w, 0, sizeof(*w));
	w->sleep_every = sleep_every;
	return cosi_resource_list_cb(c, &lr, walk_one, w, intr);
}

TEST_F_TIMEOUT(dump, complete_and_sorted, 300)
{
	struct cosi_resources l;
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = BLOBS);
	char id[16];
	int i;

	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	ASSERT_EQ(NR_BLOBS, l.n);
	/* Nothing changed during the dump. */
	EXPECT_FALSE(l.intr);
	for (i = 0; i < NR_BLOBS; i++) {
		blob_id(id, sizeof(id), i);
		ASSERT_STREQ(id, l.v[i]->id);
		ASSERT_TRUE(blob_ok(l.v[i], i)) TH_LOG("%s: bad content", id);
		ASSERT_EQ(1, l.v[i]->version);
	}
	cosi_resources_clear(&l);
}

TEST_F_TIMEOUT(dump, id_prefix, 300)
{
	const struct cosi_term even[] = {
		{ .key = "parity", .op = COSI_LABEL_OP_EQUAL,
		  .values = (const char *const[]){ "even" }, .n_values = 1 },
	};
	const struct cosi_query q = { even, 1 };
	struct walk w = { 0 };
	bool intr;

	ASSERT_COSI_OK(self->c, walk(self->c, "r001", NULL, &w, &intr));
	EXPECT_EQ(100, w.n);
	EXPECT_EQ(0, w.unsorted);
	EXPECT_EQ(0, w.bad_data + w.foreign);
	EXPECT_EQ(1, w.seen[100]);
	EXPECT_EQ(1, w.seen[199]);

	ASSERT_COSI_OK(self->c, walk(self->c, "r0299", NULL, &w, &intr));
	EXPECT_EQ(10, w.n);
	EXPECT_EQ(1, w.seen[2999]);
	ASSERT_COSI_OK(self->c, walk(self->c, "r02999", NULL, &w, &intr));
	EXPECT_EQ(1, w.n);
	ASSERT_COSI_OK(self->c, walk(self->c, "r03", NULL, &w, &intr));
	EXPECT_EQ(0, w.n);
	ASSERT_COSI_OK(self->c, walk(self->c, "s", NULL, &w, &intr));
	EXPECT_EQ(0, w.n);
	ASSERT_COSI_OK(self->c, walk(self->c, "", NULL, &w, &intr));
	EXPECT_EQ(NR_BLOBS, w.n);

	/* Prefix and label query together. */
	ASSERT_COSI_OK(self->c, walk(self->c, "r001", &q, &w, &intr));
	EXPECT_EQ(50, w.n);
	EXPECT_EQ(0, w.unsorted);
	EXPECT_EQ(1, w.seen[100]);
	EXPECT_EQ(0, w.seen[101]);
}

TEST_F_TIMEOUT(dump, empty_and_undefined, 300)
{
	COSI_OPTS(cosi_list_req, lr, .ns = "other", .type = BLOBS);
	struct cosi_resources l;

	ASSERT_COSI_OK(self->c, cosi_resource_list(self->c, &lr, &l));
	EXPECT_EQ(0, l.n);
	cosi_resources_clear(&l);
	lr.type = "unknown";
	EXPECT_COSI_ERR(self->c, ENOENT, cosi_resource_list(self->c, &lr, &l));
	lr.type = "bad/type";
	EXPECT_COSI_ERR(self->c, EINVAL, cosi_resource_list(self->c, &lr, &l));
}

TEST_F_TIMEOUT(dump, after_destroys, 300)
{
	struct walk w = { 0 };
	char id[16];
	bool intr;
	int i;

	for (i = 0; i < NR_BLOBS; i += 3) {
		blob_id(id, sizeof(id), i);
		ASSERT_COSI_OK(self->c, widget_destroy(self->c, BLOBS, id, NULL));
	}
	ASSERT_COSI_OK(self->c, walk(self->c, NULL, NULL, &w, &intr));
	EXPECT_EQ(NR_BLOBS - NR_BLOBS / 3, w.n);
	EXPECT_EQ(0, w.unsorted);
	EXPECT_EQ(0, w.bad_data + w.foreign);
	EXPECT_FALSE(intr);
	for (i = 0; i < NR_BLOBS; i++)
		EXPECT_EQ(i % 3 ? 1 : 0, w.seen[i]);
}

/* In a writer process: die with the test, and a handle (or exit 1). */
static struct cosi *child_open(void)
{
	struct cosi *c;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	c = cosi_open();
	if (!c)
		_exit(1);
	return c;
}

/*
 * A writer in its own process (same netns) until killed: updates every
 * resource in turn, or (churn) destroys and re-creates every tenth one.
 */
static void writer_run(bool churn)
{
	struct cosi *c;
	bool gone[NR_BLOBS] = { false };
	uint64_t i;
	int idx;

	c = child_open();
	for (i = 1;; i++) {
		if (!churn) {
			idx = (i * 7919) % NR_BLOBS;
			if (blob_write(c, idx, i, false))
				_exit(2);
			continue;
		}
		idx = (i * 10) % NR_BLOBS;
		if (gone[idx]) {
			if (blob_write(c, idx, 0, true))
				_exit(3);
		} else {
			char id[16];

			blob_id(id, sizeof(id), idx);
			if (widget_destroy(c, BLOBS, id, NULL))
				_exit(4);
		}
		gone[idx] = !gone[idx];
	}
}

static pid_t writer_start(bool churn)
{
	pid_t pid = fork();

	if (!pid)
		writer_run(churn);
	return pid;
}

/* The writer must still be running: its exit would mean it failed. */
static bool writer_alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

/*
 * Concurrent updates between the skbs of a dump flag the next message
 * NLM_F_DUMP_INTR.  The reader naps every 100 resources so that the
 * writer surely gets in between skbs; INTR_TRIES bounds the attempts
 * (in practice the first dump is interrupted).  Updates do not change the
 * set of ids, so every dump is still complete and sorted.
 */
TEST_F_TIMEOUT(dump, intr_with_concurrent_writer, 300)
{
	struct walk w = { .sleep_every = 100 };
	bool intr = false;
	int tries;

	self->writer = writer_start(false);
	ASSERT_LT(0, self->writer);
	for (tries = 0; tries < INTR_TRIES && !intr; tries++) {
		ASSERT_COSI_OK(self->c, walk(self->c, NULL, NULL, &w, &intr));
		EXPECT_EQ(NR_BLOBS, w.n);
		EXPECT_EQ(0, w.unsorted);
		EXPECT_EQ(0, w.bad_data + w.foreign);
	}
	ASSERT_TRUE(writer_alive(self->writer));
	EXPECT_TRUE(intr) TH_LOG("no NLM_F_DUMP_INTR in %d dumps", tries);
	TH_LOG("NLM_F_DUMP_INTR after %d dump(s)", tries);
}

/*
 * With resources destroyed and created during the dump: still sorted,
 * no id twice, and every resource the writer never touches is listed.
 */
TEST_F_TIMEOUT(dump, consistent_under_churn, 300)
{
	struct walk w = { .sleep_every = 100 };
	bool intr = false;
	int i, tries;

	self->writer = writer_start(true);
	ASSERT_LT(0, self->writer);
	for (tries = 0; tries < 3; tries++) {
		ASSERT_COSI_OK(self->c, walk(self->c, NULL, NULL, &w, &intr));
		EXPECT_EQ(0, w.unsorted);
		EXPECT_EQ(0, w.bad_data + w.foreign);
		for (i = 0; i < NR_BLOBS; i++)
			if (i % 10)
				ASSERT_EQ(1, w.seen[i]) TH_LOG("r%05d", i);
	}
	ASSERT_TRUE(writer_alive(self->writer));
}

/* A raw dump's entries, with or without the compact flag. */
struct raw_walk {
	char last[COSI_ID_MAX_LEN + 1];
	size_t n;
	size_t bytes;
	size_t bad;		/* unparsable, unsorted or wrong attributes */
	bool compact;
};

static int raw_walk_msg(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct raw_walk *w = arg;
	const char *id;
	bool full;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, COSI_A_RESOURCE_MAX, NULL) ||
	    !tb[COSI_A_RESOURCE_ID]) {
		w->bad++;
		return 0;
	}
	w->bytes += NLMSG_ALIGN(nlmsg_hdr(msg)->nlmsg_len);
	full = !w->compact;
	/* Blobs: unowned, running, a label, no annotation or finalizer. */
	if (!!tb[COSI_A_RESOURCE_NAMESPACE] != full ||
	    !!tb[COSI_A_RESOURCE_TYPE] != full ||
	    !!tb[COSI_A_RESOURCE_OWNER] != full ||
	    !!tb[COSI_A_RESOURCE_PHASE] != full ||
	    !!tb[COSI_A_RESOURCE_ANNOTATIONS] != full ||
	    !!tb[COSI_A_RESOURCE_FINALIZERS] != full ||
	    !tb[COSI_A_RESOURCE_VERSION] || !tb[COSI_A_RESOURCE_CREATED] ||
	    !tb[COSI_A_RESOURCE_UPDATED] || !tb[COSI_A_RESOURCE_REVISION] ||
	    !tb[COSI_A_RESOURCE_LABELS] || !tb[COSI_A_RESOURCE_SPEC] ||
	    nla_len(tb[COSI_A_RESOURCE_SPEC]) < BLOB_SIZE)
		w->bad++;
	id = nla_get_string(tb[COSI_A_RESOURCE_ID]);
	if (w->n && strcmp(w->last, id) >= 0)
		w->bad++;
	snprintf(w->last, sizeof(w->last), "%s", id);
	w->n++;
	return 0;
}

static int raw_dump(struct cosi *c, bool compact, struct raw_walk *w)
{
	struct nl_msg *m = cosi_msg_new(c, COSI_CMD_RESOURCE_GET, NLM_F_DUMP);

	memset(w, 0, sizeof(*w));
	w->compact = compact;
	if (!m || nla_put_string(m, COSI_A_RESOURCE_NAMESPACE, TEST_NS) ||
	    nla_put_string(m, COSI_A_RESOURCE_TYPE, BLOBS) ||
	    (compact && nla_put_flag(m, COSI_A_RESOURCE_COMPACT)))
		return -ENOMEM;
	return cosi_request(c, m, raw_walk_msg, w);
}

/*
 * A compact dump over many skbs has every entry,
 * sorted, without namespace, type or default-valued attributes; the full
 * one has them all; each compact entry is smaller by at least those.
 */
TEST_F_TIMEOUT(dump, compact_complete_and_sorted, 300)
{
	struct raw_walk f, k;

	ASSERT_COSI_OK(self->c, raw_dump(self->c, false, &f));
	ASSERT_COSI_OK(self->c, raw_dump(self->c, true, &k));
	EXPECT_EQ(NR_BLOBS, f.n);
	EXPECT_EQ(NR_BLOBS, k.n);
	EXPECT_EQ(0, f.bad);
	EXPECT_EQ(0, k.bad);
	/* namespace 12, type 12, owner 8, phase 8, two empty nests 8 */
	EXPECT_LE(k.bytes + NR_BLOBS * 48, f.bytes)
		TH_LOG("compact %zu B, full %zu B", k.bytes, f.bytes);
}

/*
 * Resume points destroyed and made again under a dump: a dump on a raw
 * socket, paced by the test.  After each datagram the RESUME_AHEAD ids
 * that follow its last one are destroyed (the next datagram, which the
 * kernel fills while this one is read, ends among them: the next dumpit
 * resumes after a destroyed id), and those destroyed after the datagram
 * before are created again (behind the dump, or ahead of it).  Every id
 * never touched is listed once, none twice, in order, each with its own
 * data, and the dump is flagged NLM_F_DUMP_INTR.
 */
#define RESUME_AHEAD	40

TEST_F_TIMEOUT(dump, resume_point_destroyed, 300)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = BLOBS);
	static unsigned char seen[NR_BLOBS], touched[NR_BLOBS], gone[NR_BLOBS];
	static char buf[256 * 1024];
	int fd, i, k, idx[RESUME_AHEAD], last = -1, intr = 0, dgrams = 0;
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1];
	struct nlmsghdr *nlh;
	struct nl_msg *m;
	bool done = false;
	int id, n = 0;
	ssize_t len;

	memset(seen, 0, sizeof(seen));
	memset(touched, 0, sizeof(touched));
	memset(gone, 0, sizeof(gone));
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	ASSERT_LE(0, fd);
	m = cosi_msg_new(self->c, COSI_CMD_RESOURCE_GET, 0);
	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, cosi_put_list_req(m, &lr));
	ASSERT_EQ(0, raw_send(fd, m, 1, NLM_F_DUMP));
	while (!done) {
		len = recv(fd, buf, sizeof(buf), 0);
		ASSERT_LT(0, len) TH_LOG("recv: %m");
		dgrams++;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr++;
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR) {
				ASSERT_EQ(0, *(int *)NLMSG_DATA(nlh));
				done = true;
				break;
			}
			ASSERT_EQ(0, genlmsg_parse(nlh, 0, tb,
						   COSI_A_RESOURCE_MAX, NULL));
			ASSERT_NE(NULL, tb[COSI_A_RESOURCE_ID]);
			ASSERT_EQ(1, sscanf(nla_get_string(tb[COSI_A_RESOURCE_ID]),
					    "r%d", &id));
			ASSERT_TRUE(id >= 0 && id < NR_BLOBS);
			ASSERT_LT(last, id) TH_LOG("r%05d after r%05d", id,
						   last);
			ASSERT_EQ(0, seen[id]++) TH_LOG("r%05d twice", id);
			last = id;
			n++;
		}
		if (done)
			break;
		for (i = 0, k = 0; i < NR_BLOBS; i++) {
			if (!gone[i])
				continue;
			idx[k++] = i;
			gone[i] = 0;
		}
		ASSERT_EQ(0, blob_batch(self->c, idx, k, 1, false));
		for (i = last + 1, k = 0;
		     i <= last + RESUME_AHEAD && i < NR_BLOBS; i++) {
			idx[k++] = i;
			gone[i] = touched[i] = 1;
		}
		ASSERT_EQ(0, blob_batch(self->c, idx, k, 0, true));
	}
	close(fd);
	for (i = 0; i < NR_BLOBS; i++)
		if (!touched[i])
			ASSERT_EQ(1, seen[i]) TH_LOG("r%05d", i);
	TH_LOG("%d datagrams, %d resources, %d flagged", dgrams, n, intr);
	EXPECT_LT(0, intr);
}

/*
 * Long scans (pieces of the kernel's COSI_SCAN_BATCH, 128): a label
 * query that picks one resource in 64 of NR_ITEMS (and a few more the
 * writer adds) makes a dumpit examine many.  A list dump takes no lock
 * (it walks the collection under RCU, one read section per piece), so
 * writers change the collection under it at any point.  A writer
 * process creates, destroys and relabels resources meanwhile, among them
 * those at the positions a scan resumes from when nothing changed (every
 * 128th id) and the collection's last one.
 */
#define NR_ITEMS	2048
#define SCAN_BATCH	128
/* Dumps tried before giving up on seeing a writer inside one skb. */
#define SCAN_TRIES	400

FIXTURE(scan) {
	struct cosi *c;
	long params[COSI_NPARAMS];
	pid_t writer;
};

static void item_id(char *id, size_t len, int idx, bool extra)
{
	snprintf(id, len, "i%04d%s", idx, extra ? "+" : "");
}

/* Stable picks: listed by every dump (the writer relabels them). */
static bool item_stable_pick(int idx)
{
	return !(idx % 64);
}

static int item_write(struct cosi *c, const char *id, bool pick,
		      unsigned long gen, int op)
{
	char g[24];
	struct cosi_kvs labels;
	int err;

	snprintf(g, sizeof(g), "%lu", gen);
	labels = kvs_make("pick", pick ? "yes" : "no", "gen", g, NULL);
	if (op == 0)
		err = widget_create(c, WIDGET, id, &labels, NULL);
	else
		err = widget_update(c, WIDGET, id, id, &labels, NULL);
	cosi_kvs_clear(&labels);
	return err;
}

FIXTURE_SETUP(scan)
{
	char id[16];
	int i;

	self->writer = 0;
	params_save(self->params);
	/* A small history: the emptied collection is freed (see below). */
	PARAM_SET("history_size", 16);
	NEW_NETNS();
	COSI_OPEN(self->c);
	ASSERT_COSI_OK(self->c, widget_define(self->c, WIDGET, 0));
	ASSERT_COSI_OK(self->c, widget_define(self->c, "others", 0));
	ASSERT_COSI_OK(self->c, widget_create(self->c, "others", "o", NULL,
					      NULL));
	for (i = 0; i < NR_ITEMS; i++) {
		item_id(id, sizeof(id), i, false);
		ASSERT_COSI_OK(self->c, item_write(self->c, id,
						   item_stable_pick(i), 0, 0));
	}
}

FIXTURE_TEARDOWN(scan)
{
	if (self->writer > 0) {
		kill(self->writer, SIGKILL);
		waitpid(self->writer, NULL, 0);
	}
	cosi_close(self->c);
	params_restore(self->params);
}

/*
 * The writer, until killed: in turn destroys or re-creates an item at a
 * resume point (iNNNN, NNNN = 127 + 128k: the collection's last is one),
 * creates or destroys an extra picked one ("iNNNN+", right after iNNNN;
 * 16 of them), moves an item in or out of the query (NNNN = 32 + 64k),
 * and relabels a stable pick (still picked).
 */
static void scan_writer_run(void)
{
	bool gone[NR_ITEMS] = { false }, extra[NR_ITEMS] = { false };
	bool in[NR_ITEMS] = { false };
	unsigned long gen;
	struct cosi *c;
	char id[16];
	int idx;

	c = child_open();
	for (gen = 1;; gen++) {
		switch (gen % 4) {
		case 0:
			idx = (gen / 4 % (NR_ITEMS / SCAN_BATCH)) * SCAN_BATCH +
			      SCAN_BATCH - 1;
			item_id(id, sizeof(id), idx, false);
			if (gone[idx] ? item_write(c, id, false, gen, 0) :
					widget_destroy(c, WIDGET, id, NULL))
				_exit(2);
			gone[idx] = !gone[idx];
			break;
		case 1:
			idx = (gen / 4 % 16) * SCAN_BATCH + 64;
			item_id(id, sizeof(id), idx, true);
			if (extra[idx] ? widget_destroy(c, WIDGET, id, NULL) :
					 item_write(c, id, true, gen, 0))
				_exit(3);
			extra[idx] = !extra[idx];
			break;
		case 2:
			idx = (gen / 4 * 64 + 32) % NR_ITEMS;
			item_id(id, sizeof(id), idx, false);
			in[idx] = !in[idx];
			if (item_write(c, id, in[idx], gen, 1))
				_exit(4);
			break;
		default:
			idx = (gen / 4 * 64) % NR_ITEMS;
			item_id(id, sizeof(id), idx, false);
			if (item_write(c, id, true, gen, 1))
				_exit(5);
		}
	}
}

/* What a filtered dump saw. */
struct scan_walk {
	char last[COSI_ID_MAX_LEN + 1];
	size_t n;
	size_t unsorted;
	size_t twice;
	size_t foreign;
	unsigned char seen[NR_ITEMS];
	unsigned char seen_extra[NR_ITEMS];
};

static void scan_one(struct cosi_resource *r, void *arg)
{
	struct scan_walk *w = arg;
	const char *pick = cosi_kvs_get(&r->labels, "pick");
	int idx = -1;
	char plus = 0;
	int got = sscanf(r->id, "i%4d%c", &idx, &plus);

	if (w->n && strcmp(w->last, r->id) >= 0)
		w->unsorted++;
	snprintf(w->last, sizeof(w->last), "%s", r->id);
	w->n++;
	if (got < 1 || idx < 0 || idx >= NR_ITEMS || (got == 2 && plus != '+') ||
	    !pick || strcmp(pick, "yes"))
		w->foreign++;
	else if ((got == 1 ? w->seen : w->seen_extra)[idx]++)
		w->twice++;
	cosi_resource_free(r);
}

/* The query of the scan dumps: label pick=yes. */
static const struct cosi_term scan_yes[] = {
	{ .key = "pick", .op = COSI_LABEL_OP_EQUAL,
	  .values = (const char *const[]){ "yes" }, .n_values = 1 },
};
static const struct cosi_query scan_query = { scan_yes, 1 };

static int scan_dump(struct cosi *c, struct scan_walk *w, bool *intr)
{
	COSI_OPTS(cosi_list_req, lr,
		.ns = TEST_NS, .type = WIDGET, .queries = &scan_query,
		.n_queries = 1,
	);

	memset(w, 0, sizeof(*w));
	return cosi_resource_list_cb(c, &lr, scan_one, w, intr);
}

/*
 * The same dump on a raw socket: how many of its resource messages carry
 * NLM_F_DUMP_INTR and are not the first of their datagram (each datagram
 * is one dumpit's skb).  A dumpit that holds the lock throughout can
 * flag only its first message (a change since the skb before); a flag
 * further in shows that a writer got in between two of its pieces.  (The
 * final NLMSG_DONE may be flagged either way: not counted.)  Returns the
 * count, or -1 on a socket error.
 */
static int scan_dump_raw(struct cosi *c)
{
	COSI_OPTS(cosi_list_req, lr,
		.ns = TEST_NS, .type = WIDGET, .queries = &scan_query,
		.n_queries = 1,
	);
	static char buf[256 * 1024];
	struct nlmsghdr *nlh;
	struct nl_msg *m;
	int fd, mid = 0;
	ssize_t len;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	m = cosi_msg_new(c, COSI_CMD_RESOURCE_GET, 0);
	if (fd < 0 || !m || cosi_put_list_req(m, &lr) ||
	    raw_send(fd, m, 1, NLM_F_DUMP)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!done) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0) {
			mid = -1;
			break;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if ((char *)nlh != buf &&
			    (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
				mid++;
		}
	}
	close(fd);
	return mid;
}

/*
 * Every stable pick exactly once, in id order, nothing twice, nothing
 * the query does not pick; and writers got in within one dumpit's scan
 * (scan_dump_raw()).
 */
TEST_F_TIMEOUT(scan, filtered_dump_lets_writers_in, 600)
{
	struct scan_walk w;
	int i, mid, tries, inside = 0;
	bool intr;

	self->writer = fork();
	ASSERT_LE(0, self->writer);
	if (!self->writer)
		scan_writer_run();
	for (tries = 0; tries < SCAN_TRIES && inside < 20; tries++) {
		mid = scan_dump_raw(self->c);
		ASSERT_LE(0, mid) TH_LOG("raw dump: %m");
		inside += mid > 0;
		ASSERT_COSI_OK(self->c, scan_dump(self->c, &w, &intr));
		ASSERT_EQ(0, w.unsorted) TH_LOG("dump %d", tries);
		ASSERT_EQ(0, w.twice) TH_LOG("dump %d", tries);
		ASSERT_EQ(0, w.foreign) TH_LOG("dump %d", tries);
		for (i = 0; i < NR_ITEMS; i++)
			if (item_stable_pick(i))
				ASSERT_EQ(1, w.seen[i])
					TH_LOG("dump %d: i%04d", tries, i);
	}
	ASSERT_TRUE(writer_alive(self->writer));
	EXPECT_LT(0, inside) TH_LOG("no writer inside a dumpit in %d", tries);
	TH_LOG("%d of %d raw dumps saw a writer inside a dumpit", inside,
	       tries);
}

/*
 * The whole collection destroyed and created again while dumps scan it:
 * with a 16-event history, the emptied collection is freed (its last
 * destroy event evicted) and a new one made, between two pieces of a
 * dump.  Dumps stay sorted without duplicates (KASAN would see a freed
 * collection used).
 */
TEST_F_TIMEOUT(scan, collection_freed_during_dump, 600)
{
	struct scan_walk w;
	int i, tries, round;
	char id[16];
	bool intr;

	self->writer = fork();
	ASSERT_LE(0, self->writer);
	if (!self->writer) {
		struct cosi *c;

		c = child_open();
		for (round = 0;; round++) {
			for (i = NR_ITEMS - 1; i >= 0; i--) {
				item_id(id, sizeof(id), i, false);
				if (widget_destroy(c, WIDGET, id, NULL))
					_exit(2);
			}
			/* Evict the destroy events: the collection goes. */
			for (i = 0; i < 20; i++)
				if (widget_update(c, "others", "o",
						  i % 2 ? "a" : "b", NULL, NULL))
					_exit(3);
			for (i = 0; i < NR_ITEMS; i++) {
				item_id(id, sizeof(id), i, false);
				if (item_write(c, id, item_stable_pick(i),
					       round, 0))
					_exit(4);
			}
		}
	}
	for (tries = 0; tries < 100; tries++) {
		ASSERT_COSI_OK(self->c, scan_dump(self->c, &w, &intr));
		ASSERT_EQ(0, w.unsorted) TH_LOG("dump %d", tries);
		ASSERT_EQ(0, w.twice) TH_LOG("dump %d", tries);
		ASSERT_EQ(0, w.foreign) TH_LOG("dump %d", tries);
	}
	ASSERT_TRUE(writer_alive(self->writer));
}

/*
 * An unfiltered dump on a raw socket, paced by the test: the first
 * datagram is read (the kernel fills the second one meanwhile, before
 * @between runs), then @between changes the store, then the rest is
 * read.  Returns the number of messages (resources and NLMSG_DONE) that
 * carry NLM_F_DUMP_INTR, -1 on a socket error; *@n_res counts resource
 * messages.
 */
static int scan_dump_paced(struct __test_metadata *_metadata,
			   struct cosi *c, void (*between)(struct cosi *c),
			   int *n_res)
{
	COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = WIDGET);
	static char buf[256 * 1024];
	struct nlmsghdr *nlh;
	struct nl_msg *m;
	int fd, intr = 0, dgrams = 0;
	ssize_t len;
	bool done = false;

	*n_res = 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	m = cosi_msg_new(c, COSI_CMD_RESOURCE_GET, 0);
	if (fd < 0 || !m || cosi_put_list_req(m, &lr) ||
	    raw_send(fd, m, 1, NLM_F_DUMP)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!done) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0) {
			intr = -1;
			break;
		}
		if (dgrams++ == 0)
			between(c);
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr++;
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			(*n_res)++;
		}
	}
	TH_LOG("%d datagrams, %d resources, %d flagged", dgrams, *n_res,
	       intr);
	close(fd);
	return intr;
}

/* Destroy every item, then evict the destroy events: the collection goes. */
static void scan_destroy_all(struct cosi *c)
{
	char id[16];
	int i;

	for (i = 0; i < NR_ITEMS; i++) {
		item_id(id, sizeof(id), i, false);
		if (widget_destroy(c, WIDGET, id, NULL))
			abort();
	}
	for (i = 0; i < 20; i++)
		if (widget_update(c, "others", "o", i % 2 ? "a" : "b", NULL,
				  NULL))
			abort();
}

/*
 * ... and create as many other resources ("j...", after every "i..."),
 * one change each, as the old collection had seen (NR_ITEMS creations):
 * the new collection's gen equals the old one's.
 */
static void scan_replace_all(struct cosi *c)
{
	char id[16];
	int i;

	scan_destroy_all(c);
	for (i = 0; i < NR_ITEMS; i++) {
		snprintf(id, sizeof(id), "j%04d", i);
		if (widget_create(c, WIDGET, id, NULL, NULL))
			abort();
	}
}

/*
 * Review (dumplock): a dump that listed resources of a collection which
 * then went away must be flagged NLM_F_DUMP_INTR (its NLMSG_DONE, the
 * next message): the client got a part of the collection that never was
 * the whole of it.  cb->seq is set only when the collection is found.
 */
TEST_F_TIMEOUT(scan, intr_when_collection_gone, 120)
{
	int n, intr;

	intr = scan_dump_paced(_metadata, self->c, scan_destroy_all, &n);
	ASSERT_LE(0, intr);
	ASSERT_LT(0, n);
	ASSERT_GT(NR_ITEMS, n);
	EXPECT_LT(0, intr) TH_LOG("%d of %d listed, then all destroyed: no NLM_F_DUMP_INTR",
				  n, NR_ITEMS);
}

/*
 * Review (dumplock): the collection freed and made again between two
 * pieces of a dump, with as many changes as the old one had: the dump
 * lists old "i" resources and new "j" ones, which never coexisted, and
 * must be flagged.  cb->seq comes from coll->gen, which a new collection
 * starts again at 0.
 */
TEST_F_TIMEOUT(scan, intr_when_collection_recreated, 120)
{
	int n, intr;

	intr = scan_dump_paced(_metadata, self->c, scan_replace_all, &n);
	ASSERT_LE(0, intr);
	ASSERT_LT(NR_ITEMS, n);		/* old ones and all the new ones */
	EXPECT_LT(0, intr) TH_LOG("%d listed (old and new), no NLM_F_DUMP_INTR",
				  n);
}

/*
 * Review (rev-e): a list dump's first dumpit now walks many pieces
 * without the lock before its first message, and nl_dump_check_consistent()
 * flags nothing until cb->prev_seq is set (by the first message).  A
 * change to a resource the dump had already passed, made before the
 * dump's first message, is never flagged; a dump that lists nothing
 * (NLMSG_DONE only) is never flagged at all.
 *
 * The writer keeps "flip=on" on at least one of the first and the last
 * items at every moment (on the first, off the last, on the last, off
 * the first, ...): no state of the store has neither.  A dump for
 * flip=on that lists neither saw the first item off and, later, the last
 * off: it is no state of the store and must carry NLM_F_DUMP_INTR (its
 * NLMSG_DONE).
 */
static int flip_write(struct cosi *c, int idx, bool on)
{
	struct cosi_kvs labels;
	char id[16];
	int err;

	item_id(id, sizeof(id), idx, false);
	labels = kvs_make("pick", item_stable_pick(idx) ? "yes" : "no",
			  "flip", on ? "on" : "off", NULL);
	err = widget_update(c, WIDGET, id, id, &labels, NULL);
	cosi_kvs_clear(&labels);
	return err;
}

static const struct cosi_term flip_on[] = {
	{ .key = "flip", .op = COSI_LABEL_OP_EQUAL,
	  .values = (const char *const[]){ "on" }, .n_values = 1 },
};
static const struct cosi_query flip_query = { flip_on, 1 };

/* A flip=on dump on a raw socket: resources listed, any message flagged. */
static int flip_dump_raw(struct cosi *c, int *n_res, bool *intr)
{
	COSI_OPTS(cosi_list_req, lr,
		.ns = TEST_NS, .type = WIDGET, .queries = &flip_query,
		.n_queries = 1,
	);
	static char buf[256 * 1024];
	struct nlmsghdr *nlh;
	struct nl_msg *m;
	bool done = false;
	ssize_t len;
	int fd;

	*n_res = 0;
	*intr = false;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	m = cosi_msg_new(c, COSI_CMD_RESOURCE_GET, 0);
	if (fd < 0 || !m || cosi_put_list_req(m, &lr) ||
	    raw_send(fd, m, 1, NLM_F_DUMP)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (!done) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0) {
			close(fd);
			return -1;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				*intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				close(fd);
				return -1;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			(*n_res)++;
		}
	}
	close(fd);
	return 0;
}

TEST_F_TIMEOUT(scan, intr_before_first_message, 600)
{
	int tries, n, empty = 0, unflagged = 0;
	bool intr;

	ASSERT_COSI_OK(self->c, flip_write(self->c, 0, true));
	self->writer = fork();
	ASSERT_LE(0, self->writer);
	if (!self->writer) {
		struct cosi *c = child_open();

		for (;;)
			if (flip_write(c, 0, true) ||
			    flip_write(c, NR_ITEMS - 1, false) ||
			    flip_write(c, NR_ITEMS - 1, true) ||
			    flip_write(c, 0, false))
				_exit(2);
	}
	for (tries = 0; tries < SCAN_TRIES && empty < 20; tries++) {
		ASSERT_EQ(0, flip_dump_raw(self->c, &n, &intr))
			TH_LOG("raw dump: %m");
		ASSERT_GE(2, n);
		if (n)
			continue;
		empty++;
		unflagged += !intr;
	}
	ASSERT_TRUE(writer_alive(self->writer));
	TH_LOG("%d dumps, %d listed nothing (no state of the store), %d of them without NLM_F_DUMP_INTR",
	       tries, empty, unflagged);
	EXPECT_EQ(0, unflagged);
}

/*
 * Review (rev-e): the sensitivity of a dump's type is checked once per
 * piece (COSI_SCAN_BATCH entries under one RCU read section).  A type
 * turned sensitive, and a resource written after that, while a piece of
 * an unprivileged dump runs: the piece renders the new version (spec
 * included) to the unprivileged reader.
 *
 * "secrets": 127 items and "z" (one piece).  The items carry a long
 * label value that the dump's three costly queries compare 64 times per
 * term (all but their last term match), so a piece takes long enough for
 * the writer to get in.  A version with secret=yes exists only while the
 * type is sensitive, and the fourth query picks secret=yes: an
 * unprivileged dump must never list anything.
 *
 * The writer is paced off the reader, one dump at a time: the reader
 * tells it a delay, sends its dump request (the first dumpit, the whole
 * piece, runs within that sendmsg()), and the writer, after the delay,
 * turns the type sensitive and writes z secret=yes, then says when it
 * began and ended; once the dump is over, it puts z and the type back.
 * The delays sweep the piece's time, measured first on public dumps.  A
 * dump is a hit when the writer began after a quarter of the piece's time
 * and was done before the sendmsg() returned: that dump's check at the
 * start of its piece passed, and the walk met z's new version after it.
 */
#define SECRETS		"secrets"
#define SECRET_VLEN	250
#define SECRET_ITEMS	127

static char secret_v[SECRET_VLEN + 1];
static char secret_decoy[63][SECRET_VLEN + 1];

static void secret_strings(void)
{
	int i;

	memset(secret_v, 'v', SECRET_VLEN);
	for (i = 0; i < 63; i++) {
		memcpy(secret_decoy[i], secret_v, SECRET_VLEN + 1);
		secret_decoy[i][SECRET_VLEN - 1] = 'a' + i % 26;
		secret_decoy[i][SECRET_VLEN - 2] = 'a' + i / 26;
	}
}

static int secret_write(struct cosi *c, const char *id, const char *secret,
			bool create)
{
	struct cosi_kvs labels;
	int err;

	labels = kvs_make("l", secret_v, "secret", secret, NULL);
	err = create ? widget_create(c, SECRETS, id, &labels, NULL) :
		       widget_update(c, SECRETS, id, id, &labels, NULL);
	cosi_kvs_clear(&labels);
	return err;
}

static int secret_caps_none(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = { { 0 } };

	if (prctl(PR_SET_KEEPCAPS, 0) || setgroups(0, NULL) ||
	    setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -1;
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/*
 * One unprivileged dump: resources listed, or -errno (EPERM expected);
 * *@sent is when its request's sendmsg() returned (mono_us()).
 */
static int secret_dump(struct cosi *c, uint64_t *sent)
{
	const char *vals[64];
	struct cosi_term heavy[4];
	struct cosi_query q[4];
	const struct cosi_term yes = {
		.key = "secret", .op = COSI_LABEL_OP_EQUAL,
		.values = (const char *const[]){ "yes" }, .n_values = 1,
	};
	const struct cosi_term none = {
		.key = "l", .op = COSI_LABEL_OP_EQUAL,
		.values = (const char *const[]){ "none" }, .n_values = 1,
	};
	static char buf[256 * 1024];
	struct nlmsghdr *nlh;
	struct nl_msg *m, *big;
	int i, fd, n = 0, family;
	bool done = false;
	ssize_t len;

	for (i = 0; i < 63; i++)
		vals[i] = secret_decoy[i];
	vals[63] = secret_v;
	for (i = 0; i < 3; i++)
		heavy[i] = (struct cosi_term){ .key = "l",
			.op = COSI_LABEL_OP_IN, .values = vals, .n_values = 64 };
	heavy[3] = none;
	for (i = 0; i < 3; i++)
		q[i] = (struct cosi_query){ heavy, 4 };
	q[3] = (struct cosi_query){ &yes, 1 };
	{
		COSI_OPTS(cosi_list_req, lr, .ns = TEST_NS, .type = SECRETS,
			  .queries = q, .n_queries = 4);

		m = cosi_msg_new(c, COSI_CMD_RESOURCE_GET, 0);
		if (!m)
			return -ENOMEM;
		family = nlmsg_hdr(m)->nlmsg_type;
		nlmsg_free(m);
		big = nlmsg_alloc_size(512 * 1024);
		if (!big || !genlmsg_put(big, 0, 0, family, 0, 0,
					 COSI_CMD_RESOURCE_GET,
					 COSI_FAMILY_VERSION) ||
		    cosi_put_list_req(big, &lr))
			return -ENOMEM;
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	i = raw_send(fd, big, 1, NLM_F_DUMP);
	*sent = mono_us();
	if (i) {
		close(fd);
		return i;
	}
	while (!done) {
		len = recv(fd, buf, sizeof(buf), 0);
		if (len <= 0) {
			n = -EIO;
			break;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_type == NLMSG_ERROR ||
			    nlh->nlmsg_type == NLMSG_DONE) {
				int e = *(int *)NLMSG_DATA(nlh);

				if (e < 0 && !n)
					n = e;
				done = true;
				break;
			}
			n++;
		}
	}
	close(fd);
	return n;
}

FIXTURE(secret) {
	int unused;
};

FIXTURE_SETUP(secret)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(secret)
{
}

/* The writer's side of a round: when it began and was done, in mono_us(). */
struct secret_flip {
	uint64_t began, done;
};

/*
 * The writer: for each delay read from @go, waits it, turns the type
 * sensitive and writes z secret=yes, and answers the times on @back; a
 * delay of -1 puts z and the type back, answered with a zeroed flip.
 */
static void __attribute__((noreturn)) secret_writer(int go, int back)
{
	struct cosi *w = child_open();
	struct secret_flip f;
	long d;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	while (read(go, &d, sizeof(d)) == sizeof(d)) {
		memset(&f, 0, sizeof(f));
		if (d < 0) {
			if (secret_write(w, "z", "no", false) ||
			    widget_define(w, SECRETS,
					  COSI_SENSITIVITY_PUBLIC))
				_exit(3);
		} else {
			usleep(d);
			f.began = mono_us();
			if (widget_define(w, SECRETS,
					  COSI_SENSITIVITY_SENSITIVE) ||
			    secret_write(w, "z", "yes", false))
				_exit(2);
			f.done = mono_us();
		}
		if (write(back, &f, sizeof(f)) != sizeof(f))
			_exit(4);
	}
	_exit(0);
}

/* What the reader saw: counts of each outcome, and the piece's time. */
struct secret_tally {
	int leaks, empty, eperm, other, hits, rounds;
	long piece_us;
};

/* The reader, unprivileged: a few public dumps, then paced rounds. */
static int secret_reader(struct cosi *r, int go, int back,
			 struct secret_tally *t)
{
	uint64_t t0, sent, end;
	struct secret_flip f, ack;
	long d, restore = -1;
	int i, n;

	if (secret_caps_none())
		return -1;
	t->piece_us = LONG_MAX;
	for (i = 0; i < 5; i++) {
		t0 = mono_us();
		if (secret_dump(r, &sent) != 0)
			return -1;
		if ((long)(sent - t0) < t->piece_us)
			t->piece_us = sent - t0;
	}
	end = mono_us() + 60 * 1000000ull;
	for (i = 0; i < 400 && t->hits < 20 && mono_us() < end; i++) {
		/* A quarter of the piece to all of it, in 16 steps. */
		d = t->piece_us / 4 + t->piece_us * 3 / 4 * (i % 16) / 16;
		if (write(go, &d, sizeof(d)) != sizeof(d))
			return -1;
		t0 = mono_us();
		n = secret_dump(r, &sent);
		/* The flip's times, then z and the type put back. */
		if (read(back, &f, sizeof(f)) != sizeof(f) ||
		    write(go, &restore, sizeof(restore)) != sizeof(restore) ||
		    read(back, &ack, sizeof(ack)) != sizeof(ack))
			return -1;
		t->rounds++;
		if (n > 0)
			t->leaks++;
		else if (n == 0)
			t->empty++;
		else if (n == -EPERM)
			t->eperm++;
		else
			t->other++;
		if (f.began >= t0 + t->piece_us / 4 && f.done < sent)
			t->hits++;
	}
	return 0;
}

TEST_F_TIMEOUT(secret, unpriv_dump_midpiece_turns_sensitive, 300)
{
	int i, status, go[2], back[2], res[2];
	struct secret_tally t = { 0 };
	pid_t writer, reader;
	struct cosi *c;
	char id[16];

	NEW_NETNS();
	COSI_OPEN(c);
	secret_strings();
	ASSERT_COSI_OK(c, widget_define(c, SECRETS, COSI_SENSITIVITY_PUBLIC));
	for (i = 0; i < SECRET_ITEMS; i++) {
		snprintf(id, sizeof(id), "a%04d", i);
		ASSERT_COSI_OK(c, secret_write(c, id, "no", true));
	}
	ASSERT_COSI_OK(c, secret_write(c, "z", "no", true));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(back));
	ASSERT_EQ(0, pipe(res));
	/* Each end in one process: a side that dies is an EOF to the other. */
	writer = fork();
	ASSERT_LE(0, writer);
	if (!writer) {
		close(go[1]);
		close(back[0]);
		close(res[0]);
		close(res[1]);
		secret_writer(go[0], back[1]);
	}
	close(go[0]);
	close(back[1]);
	reader = fork();
	ASSERT_LE(0, reader);
	if (!reader) {
		struct cosi *r;

		close(res[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		r = cosi_open();	/* before dropping: same netns */
		if (!r || secret_reader(r, go[1], back[0], &t) ||
		    write(res[1], &t, sizeof(t)) != sizeof(t))
			_exit(1);
		_exit(0);
	}
	close(go[1]);
	close(back[0]);
	close(res[1]);
	ASSERT_EQ(sizeof(t), read(res[0], &t, sizeof(t)))
		TH_LOG("the reader failed (or the writer died)");
	waitpid(reader, &status, 0);
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);
	TH_LOG("piece %ld us; %d paced dumps: %d hits, %d listed a secret=yes version, %d listed nothing, %d EPERM, %d other errors",
	       t.piece_us, t.rounds, t.hits, t.leaks, t.empty, t.eperm,
	       t.other);
	EXPECT_EQ(0, t.other);
	EXPECT_EQ(0, t.leaks) TH_LOG("a version written while the type was sensitive reached an unprivileged dump");
	/* Without a hit the race was not run: the piece is too short here. */
	EXPECT_LT(0, t.hits);
	cosi_close(c);
}

TEST_HARNESS_MAIN
