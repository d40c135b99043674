// SPDX-License-Identifier: GPL-2.0
/*
 * cosi.ko's BPF kfuncs (Documentation/bpf.rst), from programs of every
 * type they are registered for: TC and XDP run with BPF_PROG_TEST_RUN,
 * the tracing program on cosi's tracepoint at the test's own writes.
 * Each test runs in a netns of its own.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cosi_test.h"
#include <linux/cosi_bpf.h>
#include "cosi_kfunc.h"
#include "cosi_kfunc.skel.h"
#include "cosi_kfunc_iter.skel.h"
#include "cosi_kfunc_kptr.skel.h"

#define KTYPE	"kfwidgets"
#define KNAME	"eth0-uplink"

static const unsigned char blob[] = { 1, 2, 3 };

static int define(struct cosi *c, const char *type, bool sensitive)
{
	return widget_define(c, type, sensitive ? COSI_SENSITIVITY_SENSITIVE :
				      COSI_SENSITIVITY_PUBLIC);
}

/* A spec with every field the programs read. */
static int full_spec(struct cosi_spec *spec, const char *name, uint64_t mtu)
{
	int err;

	err = cosi_spec_add_string(spec, "name", name);
	if (!err)
		err = cosi_spec_add_u64(spec, "mtu", mtu);
	if (!err)
		err = cosi_spec_add_s64(spec, "offset", -7);
	if (!err)
		err = cosi_spec_add_bool(spec, "enabled", true);
	if (!err)
		err = cosi_spec_add_bytes(spec, "blob", blob, sizeof(blob));
	return err;
}

/* A widget with every field the programs read, and label color=blue. */
static int create_full(struct cosi *c, const char *ns, const char *type,
		       const char *id, const char *name, uint64_t mtu,
		       struct cosi_resource **out)
{
	struct cosi_kvs labels = kvs_make("color", "blue", NULL);
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = ns, .type = type, .id = id, .labels = &labels,
		.spec = &spec,
	);
	int err;

	err = full_spec(&spec, name, mtu);
	if (!err)
		err = cosi_resource_create(c, &r, out);
	cosi_spec_clear(&spec);
	cosi_kvs_clear(&labels);
	return err;
}

/* Update a widget of TEST_NS to a full spec of @name and @mtu. */
static int update_full(struct cosi *c, const char *type, const char *id,
		       const char *name, uint64_t mtu,
		       struct cosi_resource **out)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = type, .id = id,
		  .spec = &spec);
	int err;

	err = full_spec(&spec, name, mtu);
	if (!err)
		err = cosi_resource_update(c, &r, out);
	cosi_spec_clear(&spec);
	return err;
}

static void set_key(struct bpf_cosi_key *k, const char *ns, const char *type,
		    const char *id)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->ns, sizeof(k->ns), "%s", ns);
	snprintf(k->type, sizeof(k->type), "%s", type);
	snprintf(k->id, sizeof(k->id), "%s", id);
}

static int test_run(struct bpf_program *prog)
{
	char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .repeat = 1);

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
}

/* Programs loaded one at a time: refused ones, and the NULL probes. */
static bool alone(const struct bpf_program *p)
{
	const char *name = bpf_program__name(p);
	size_t len = strlen(name);

	return !strcmp(name, "leak_ref") || !strncmp(name, "null_", 5) ||
	       !strncmp(name, "alone_", 6) || (len > 8 && !strcmp(name + len - 8, "_refused"));
}

/* Load everything but the programs that load alone. */
static struct cosi_kfunc *load(void)
{
	struct cosi_kfunc *skel = cosi_kfunc__open();
	struct bpf_program *p;

	if (!skel)
		return NULL;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, !alone(p));
	skel->bss->tp_tgid = getpid();
	for (int t = 0; t < KF_NR; t++)
		skel->bss->opts[t].netns_id = BPF_COSI_NETNS_CURRENT;
	if (cosi_kfunc__load(skel)) {
		cosi_kfunc__destroy(skel);
		return NULL;
	}
	return skel;
}

/* Run the TC and XDP programs, and the tracing one by an update. */
static int run_all(struct cosi *c, struct cosi_kfunc *skel, const char *type,
		   const char *id, uint64_t mtu, struct cosi_resource **upd)
{
	memset(skel->bss->res, 0, sizeof(skel->bss->res));
	if (test_run(skel->progs.tc_read) || test_run(skel->progs.xdp_read))
		return -1;
	return update_full(c, type, id, KNAME, mtu, upd);
}

#define CHECK_READ(res, ver, rev, want_mtu) do {			\
	EXPECT_EQ(1, (res)->runs);					\
	EXPECT_EQ(0, (res)->lookup_err);				\
	ASSERT_EQ(1, (res)->found);					\
	EXPECT_EQ((ver), (res)->version);				\
	EXPECT_EQ((rev), (res)->revision);				\
	EXPECT_EQ(COSI_PHASE_RUNNING, (res)->phase);			\
	EXPECT_EQ(0, (res)->r_mtu);					\
	EXPECT_EQ((want_mtu), (res)->mtu);				\
	EXPECT_EQ(0, (res)->r_off);					\
	EXPECT_EQ(-7, (res)->off);					\
	EXPECT_EQ(0, (res)->r_en);					\
	EXPECT_EQ(1, (res)->en);					\
	EXPECT_EQ((int)strlen(KNAME), (res)->r_name);			\
	EXPECT_STREQ(KNAME, (res)->name);				\
	EXPECT_EQ((int)sizeof(blob), (res)->r_blob);			\
	EXPECT_EQ(0, memcmp(blob, (res)->blob, sizeof(blob)));		\
	EXPECT_EQ(4, (res)->r_label);					\
	EXPECT_STREQ("blue", (res)->label);				\
	EXPECT_EQ(-E2BIG, (res)->r_small);				\
	EXPECT_STREQ("eth", (res)->small);				\
	EXPECT_EQ(-EINVAL, (res)->r_wrong);				\
	EXPECT_EQ(-ENOENT, (res)->r_missing);				\
	EXPECT_EQ(-ENOENT, (res)->r_nolabel);				\
	EXPECT_EQ(-E2BIG, (res)->r_blob_small);				\
	EXPECT_EQ(0, memcmp(blob, (res)->blob_small, 2));		\
	EXPECT_EQ(-E2BIG, (res)->r_label_small);			\
	EXPECT_STREQ("blu", (res)->label_small);			\
	EXPECT_EQ(-EINVAL, (res)->r_s64_as_u64);			\
	EXPECT_EQ(-EINVAL, (res)->r_u64_as_s64);			\
	EXPECT_EQ(-EINVAL, (res)->r_bool_as_u64);			\
	EXPECT_EQ(-EINVAL, (res)->r_u64_as_bool);			\
	EXPECT_EQ(-EINVAL, (res)->r_s64_as_bool);			\
	EXPECT_EQ(-EINVAL, (res)->r_bool_as_s64);			\
	EXPECT_EQ(4242ull, (res)->untouched);				\
} while (0)

FIXTURE(kfunc) {
	struct cosi *c;
	struct cosi_kfunc *skel;
	struct bpf_link *tp;
};

FIXTURE_SETUP(kfunc)
{
	NEW_NETNS();
	COSI_OPEN(self->c);
	self->skel = load();
	ASSERT_NE(NULL, self->skel) TH_LOG("loading the kfunc programs failed");
	self->tp = bpf_program__attach(self->skel->progs.tp_read);
	ASSERT_NE(NULL, self->tp) TH_LOG("attaching tp_btf/cosi_resource_change");
	ASSERT_COSI_OK(self->c, define(self->c, KTYPE, false));
}

FIXTURE_TEARDOWN(kfunc)
{
	bpf_link__destroy(self->tp);
	cosi_kfunc__destroy(self->skel);
	cosi_close(self->c);
}

/* Every reader, from TC, XDP and the tracepoint. */
TEST_F(kfunc, read_every_kfunc)
{
	struct cosi_resource *made = NULL, *upd = NULL;
	struct kfunc_result *res = self->skel->bss->res;

	ASSERT_COSI_OK(self->c, create_full(self->c, TEST_NS, KTYPE, "w1",
					    KNAME, 1500, &made));
	set_key(&self->skel->bss->key, TEST_NS, KTYPE, "w1");
	ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, KTYPE, "w1", 9000,
					&upd));
	CHECK_READ(&res[KF_TC], made->version, made->revision, 1500ull);
	CHECK_READ(&res[KF_XDP], made->version, made->revision, 1500ull);
	/* At the tracepoint the new version is already what a lookup sees. */
	CHECK_READ(&res[KF_TP], upd->version, upd->revision, 9000ull);
	cosi_resource_free(made);
	cosi_resource_free(upd);
}

/* Unknown keys, bad keys, bad netns ids: NULL and the reason. */
TEST_F(kfunc, lookup_failures)
{
	struct cosi_kfunc__bss *bss = self->skel->bss;
	struct {
		const char *ns, *type, *id;
		int netns_id;
		int err;
		unsigned int flags, reserved;
	} cases[] = {
		{ TEST_NS, KTYPE, "nope", BPF_COSI_NETNS_CURRENT, -ENOENT, 0, 0 },
		{ TEST_NS, "notype", "w1", BPF_COSI_NETNS_CURRENT, -ENOENT, 0, 0 },
		{ "nons", KTYPE, "w1", BPF_COSI_NETNS_CURRENT, -ENOENT, 0, 0 },
		{ TEST_NS, KTYPE, "", BPF_COSI_NETNS_CURRENT, -EINVAL, 0, 0 },
		{ TEST_NS, KTYPE, "w1", 4242, -ENOENT, 0, 0 },
		{ TEST_NS, KTYPE, "w1", -5, -EINVAL, 0, 0 },
		{ TEST_NS, KTYPE, NULL, BPF_COSI_NETNS_CURRENT, -EINVAL, 0, 0 },
		/* No flag is defined yet; the reserved fields must be 0. */
		{ TEST_NS, KTYPE, "w1", BPF_COSI_NETNS_CURRENT, -EINVAL, 1, 0 },
		{ TEST_NS, KTYPE, "w1", BPF_COSI_NETNS_CURRENT, -EINVAL,
		  1u << 31, 0 },
		{ TEST_NS, KTYPE, "w1", BPF_COSI_NETNS_CURRENT, -EINVAL, 0, 1 },
	};
	size_t i;
	int t;

	ASSERT_COSI_OK(self->c, create_full(self->c, TEST_NS, KTYPE, "w1",
					    KNAME, 1, NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_key(&bss->key, cases[i].ns, cases[i].type,
			cases[i].id ? cases[i].id : "w1");
		if (!cases[i].id)	/* an id without its NUL */
			memset(bss->key.id, 'x', sizeof(bss->key.id));
		for (t = 0; t < KF_NR; t++) {
			bss->opts[t].netns_id = cases[i].netns_id;
			bss->opts[t].flags = cases[i].flags;
			bss->opts[t].reserved[2] = cases[i].reserved;
		}
		/* The tracepoint fires on w1's update, whatever the key. */
		ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, KTYPE,
						"w1", 2 + i, NULL));
		for (t = 0; t < KF_NR; t++) {
			EXPECT_EQ(1, bss->res[t].runs) TH_LOG("case %zu", i);
			EXPECT_EQ(0, bss->res[t].found) TH_LOG("case %zu", i);
			EXPECT_EQ(cases[i].err, bss->res[t].lookup_err)
				TH_LOG("case %zu prog %d", i, t);
		}
	}
}

/*
 * Sensitive types are closed to every program, whatever its privileges:
 * what a program reads leaves cosi's access checks (bpf.rst).
 */
TEST_F(kfunc, sensitive_refused)
{
	struct cosi_kfunc__bss *bss = self->skel->bss;
	int t;

	ASSERT_COSI_OK(self->c, define(self->c, "kfsecrets", true));
	ASSERT_COSI_OK(self->c, create_full(self->c, TEST_NS, "kfsecrets",
					    "s1", KNAME, 1, NULL));
	set_key(&bss->key, TEST_NS, "kfsecrets", "s1");
	ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, "kfsecrets",
					"s1", 2, NULL));
	for (t = 0; t < KF_NR; t++) {
		EXPECT_EQ(0, bss->res[t].found);
		EXPECT_EQ(-EACCES, bss->res[t].lookup_err) TH_LOG("prog %d", t);
	}
	/* Public now: readable; sensitive again: closed again. */
	ASSERT_COSI_OK(self->c, define(self->c, "kfsecrets", false));
	ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, "kfsecrets",
					"s1", 3, NULL));
	for (t = 0; t < KF_NR; t++) {
		EXPECT_EQ(1, bss->res[t].found) TH_LOG("prog %d", t);
		EXPECT_STREQ(KNAME, bss->res[t].name);
	}
	ASSERT_COSI_OK(self->c, define(self->c, "kfsecrets", true));
	ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, "kfsecrets",
					"s1", 4, NULL));
	for (t = 0; t < KF_NR; t++) {
		EXPECT_EQ(0, bss->res[t].found);
		EXPECT_EQ(-EACCES, bss->res[t].lookup_err) TH_LOG("prog %d", t);
	}
}

static volatile bool race_stop;

/*
 * Rewrite the key's id between "w1" and 256 bytes with no NUL, by one
 * aligned 8-byte store of its first bytes (the rest stays 'x'): a lookup
 * sees one or the other, never a third string.
 */
static void *race_writer(void *arg)
{
	struct bpf_cosi_key *k = arg;
	uint64_t w1 = 0, xs;

	memcpy(&w1, "w1", 3);
	memset(&xs, 'x', sizeof(xs));
	memset(k->id + sizeof(xs), 'x', sizeof(k->id) - sizeof(xs));
	while (!race_stop) {
		__atomic_store_n((uint64_t *)k->id, xs, __ATOMIC_SEQ_CST);
		__atomic_store_n((uint64_t *)k->id, w1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/*
 * The key lives in the program's .bss, which user space maps and may
 * rewrite during a lookup: the kfunc checks and uses one copy, so each
 * lookup finds w1 or fails -EINVAL, never reads past the id (the copy
 * checked, the original hashed: -ENOENT, or an overrun).
 */
TEST_F(kfunc, key_rewritten_during_lookup)
{
	struct cosi_kfunc__bss *bss = self->skel->bss;
	char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .repeat = 20000);
	pthread_t th;
	int i;

	ASSERT_COSI_OK(self->c, create_full(self->c, TEST_NS, KTYPE, "w1",
					    KNAME, 1, NULL));
	set_key(&bss->key, TEST_NS, KTYPE, "w1");
	bss->nopts.netns_id = BPF_COSI_NETNS_CURRENT;
	memset(&bss->race, 0, sizeof(bss->race));
	race_stop = false;
	ASSERT_EQ(0, pthread_create(&th, NULL, race_writer, &bss->key));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(0, bpf_prog_test_run_opts(
			bpf_program__fd(self->skel->progs.tc_race), &o));
	race_stop = true;
	pthread_join(th, NULL);
	TH_LOG("found %llu, -EINVAL %llu, other %llu", bss->race.found,
	       bss->race.einval, bss->race.other);
	EXPECT_EQ(100000ull, bss->race.found + bss->race.einval +
		  bss->race.other);
	EXPECT_EQ(0ull, bss->race.other);
}

struct lookups {
	struct cosi_kfunc *skel;
	volatile bool stop;
	int runs;
};

/* TC lookups (tc_race, nopts) until told to stop. */
static void *lookup_loop(void *arg)
{
	struct lookups *l = arg;
	char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .repeat = 200);

	while (!l->stop) {
		if (bpf_prog_test_run_opts(
			bpf_program__fd(l->skel->progs.tc_race), &o))
			break;
		l->runs++;
	}
	return NULL;
}

/*
 * Another netns by its id, as the context's netns knows it, from every
 * program type (the tracing one in the test's task); then the same id
 * while that netns is deleted, and after: lookups find it or fail
 * -ENOENT, and take no netns reference (the kfuncs look it up under RCU
 * only), which KASAN/lockdep check on the debug kernel.
 */
TEST_F(kfunc, other_netns_by_id)
{
	struct cosi_kfunc__bss *bss = self->skel->bss;
	struct lookups l = { .skel = self->skel };
	int self_fd, other_fd, t, i;
	struct cosi *oc;
	pthread_t th;

	ASSERT_COSI_OK(self->c, create_full(self->c, TEST_NS, KTYPE, "near",
					    KNAME, 1, NULL));
	self_fd = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, self_fd);
	ASSERT_EQ(0, system("ip netns add kfother && ip netns set kfother 7"));
	other_fd = open("/run/netns/kfother", O_RDONLY);
	ASSERT_LE(0, other_fd);
	ASSERT_EQ(0, setns(other_fd, CLONE_NEWNET));
	COSI_OPEN(oc);
	ASSERT_COSI_OK(oc, define(oc, KTYPE, false));
	ASSERT_COSI_OK(oc, create_full(oc, TEST_NS, KTYPE, "far", KNAME, 77,
				       NULL));
	cosi_close(oc);
	ASSERT_EQ(0, setns(self_fd, CLONE_NEWNET));
	close(other_fd);
	close(self_fd);

	set_key(&bss->key, TEST_NS, KTYPE, "far");
	for (t = 0; t < KF_NR; t++)
		bss->opts[t].netns_id = 7;
	/* TC, XDP, and the tracepoint at near's update in this netns. */
	ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, KTYPE, "near",
					2, NULL));
	for (t = 0; t < KF_NR; t++) {
		EXPECT_EQ(0, bss->res[t].lookup_err) TH_LOG("prog %d", t);
		EXPECT_EQ(1, bss->res[t].found) TH_LOG("prog %d", t);
		EXPECT_EQ(77, bss->res[t].mtu);
	}
	/* Not in our own netns. */
	for (t = 0; t < KF_NR; t++)
		bss->opts[t].netns_id = BPF_COSI_NETNS_CURRENT;
	ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, KTYPE, "near",
					3, NULL));
	for (t = 0; t < KF_NR; t++)
		EXPECT_EQ(-ENOENT, bss->res[t].lookup_err) TH_LOG("prog %d", t);

	/* Deleted while TC programs look it up. */
	bss->nopts.netns_id = 7;
	memset(&bss->race, 0, sizeof(bss->race));
	ASSERT_EQ(0, pthread_create(&th, NULL, lookup_loop, &l));
	for (i = 0; i < 100 && bss->race.found == 0; i++)
		usleep(50000);
	EXPECT_EQ(0, system("ip netns del kfother"));
	/* The netns goes when its cleanup work has run. */
	for (i = 0; i < 100 && bss->race.other == 0; i++)
		usleep(50000);
	l.stop = true;
	pthread_join(th, NULL);
	TH_LOG("%d runs: found %llu, -EINVAL %llu, other %llu", l.runs,
	       bss->race.found, bss->race.einval, bss->race.other);
	EXPECT_LT(0ull, bss->race.found);
	EXPECT_LT(0ull, bss->race.other);
	EXPECT_EQ(0ull, bss->race.einval);

	/* Gone: -ENOENT from every program type, as an id never set. */
	for (t = 0; t < KF_NR; t++)
		bss->opts[t].netns_id = 7;
	ASSERT_COSI_OK(self->c, run_all(self->c, self->skel, KTYPE, "near",
					4, NULL));
	for (t = 0; t < KF_NR; t++) {
		EXPECT_EQ(0, bss->res[t].found) TH_LOG("prog %d", t);
		EXPECT_EQ(-ENOENT, bss->res[t].lookup_err) TH_LOG("prog %d", t);
	}
}

/*
 * Load @name alone from @obj: 0, or the load's error with the verifier's
 * log in @log.
 */
static int load_alone(struct bpf_object *obj, const char *name, char *log,
		      size_t size)
{
	struct bpf_program *p, *prog;

	prog = bpf_object__find_program_by_name(obj, name);
	if (!prog)
		return -ENOENT;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == prog);
	log[0] = '\0';
	bpf_program__set_log_buf(prog, log, size);
	bpf_program__set_log_level(prog, 1);
	return bpf_object__load(obj);
}

/*
 * @name alone from @obj is refused for calling a kfunc its program type
 * may not call; else its verifier log goes to stderr.
 */
static bool not_allowed(struct bpf_object *obj, const char *name)
{
	static char log[65536];

	if (load_alone(obj, name, log, sizeof(log)) &&
	    strstr(log, "is not allowed"))
		return true;
	fprintf(stderr, "# %s not refused as not allowed: %.2000s\n", name,
		log);
	return false;
}

/*
 * The verifier's message for a refusal, as each kernel words it (seen in
 * the VM's logs): @on61 on 6.1, @on612 on 6.12.  Else the log goes to
 * stderr.
 */
static bool refused_with(const char *log, const char *on61, const char *on612)
{
	const char *want = kernel_at_least(6, 2) ? on612 : on61;

	if (strstr(log, want))
		return true;
	fprintf(stderr, "# expected \"%s\" in: %.3000s\n", want, log);
	return false;
}

/* A program that can exit holding a reference never loads. */
TEST(leak_refused)
{
	struct cosi_kfunc *skel = cosi_kfunc__open();
	static char log[65536];

	ASSERT_NE(NULL, skel);
	EXPECT_NE(0, load_alone(skel->obj, "leak_ref", log, sizeof(log)));
	EXPECT_NE(NULL, strstr(log, "Unreleased reference"))
		TH_LOG("verifier log: %.2000s", log);
	cosi_kfunc__destroy(skel);
}

/* A handle used after bpf_cosi_res_release() never loads. */
TEST(use_after_release_refused)
{
	struct cosi_kfunc *skel = cosi_kfunc__open();
	static char log[65536];

	ASSERT_NE(NULL, skel);
	EXPECT_NE(0, load_alone(skel->obj, "use_after_release_refused", log,
				sizeof(log)));
	/*
	 * The released register is no longer a handle: an unknown scalar
	 * (a privileged loader), which is no pointer to a struct.
	 */
	EXPECT_TRUE(refused_with(log,
		"arg#0 pointer type STRUCT cosi_res must point to scalar, or struct with scalar",
		"arg#0 pointer type STRUCT cosi_res must point to scalar, or struct with scalar"));
	cosi_kfunc__destroy(skel);
}

/*
 * Nothing a kfunc writes may be read-only memory: opts (the error), a
 * buffer (of a constant or of a variable size) or a value in .rodata,
 * which the verified code reads as constants, never loads.
 */
TEST(rodata_refused)
{
	static const char *const progs[] = {
		"rodata_opts_refused", "rodata_buf_refused",
		"rodata_buf_var_refused", "rodata_val_refused",
	};
	static char log[65536];

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct cosi_kfunc *skel = cosi_kfunc__open();

		ASSERT_NE(NULL, skel);
		EXPECT_NE(0, load_alone(skel->obj, progs[i], log, sizeof(log)))
			TH_LOG("%s loaded", progs[i]);
		EXPECT_NE(NULL, strstr(log, "write into map forbidden"))
			TH_LOG("%s: %.2000s", progs[i], log);
		cosi_kfunc__destroy(skel);
	}
}

/*
 * A handle kept in a map (bpf_kptr_xchg() into a "kptr" field) never
 * loads: cosi_kfunc_kptr.bpf.c says why on each kernel and compiler.
 */
TEST(kptr_refused)
{
	struct cosi_kfunc_kptr *kp = cosi_kfunc_kptr__open();
	static char log[65536];

	ASSERT_NE(NULL, kp);
	EXPECT_NE(0, load_alone(kp->obj, "keep", log, sizeof(log)));
	/* clang 14 drops the tag: the field is no kptr for either kernel. */
	EXPECT_TRUE(refused_with(log, "has no valid kptr",
				 "has no valid kptr"));
	cosi_kfunc_kptr__destroy(kp);
}

/* The kfunc type, and widget w1 of TEST_NS named KNAME. */
static int define_w1(struct cosi *c)
{
	return define(c, KTYPE, false) ?:
	       create_full(c, TEST_NS, KTYPE, "w1", KNAME, 1, NULL);
}

/* The softirq programs' two lookups: the task's netns, and netns id 7. */
static void set_irq_opts(struct bpf_cosi_opts *o)
{
	o[0].netns_id = BPF_COSI_NETNS_CURRENT;
	o[1].netns_id = 7;
	o[0].error = o[1].error = 12345;	/* must be overwritten */
}

/*
 * Attach @prog (loaded alone) and wait up to 5 s for a softirq to run it:
 * then @out holds the map @bss, read back, with *@done (inside @out) set.
 * Return: 0, -ETIMEDOUT, or an attach or lookup error.
 */
static int run_in_softirq(struct bpf_program *prog, struct bpf_map *bss,
			  void *out, size_t size, const int *done)
{
	/* The map's value may be shorter than the skeleton's padded struct. */
	size_t vsize = bpf_map__value_size(bss);
	int zero = 0, err = -ETIMEDOUT;
	struct bpf_link *link;

	if (vsize > size)
		return -E2BIG;
	memset(out, 0, size);
	link = bpf_program__attach(prog);
	if (!link)
		return -errno;
	for (int i = 0; i < 100; i++) {
		if (bpf_map__lookup_elem(bss, &zero, sizeof(zero), out, vsize,
					 0)) {
			err = -errno;
			break;
		}
		if (*done) {
			err = 0;
			break;
		}
		usleep(50000);
	}
	bpf_link__destroy(link);
	return err;
}

/*
 * Packet memory as a kfunc's buffer, from TC: the verifier accepts it
 * (bounds only) and the kfunc writes into the packet, with no unclone
 * (Documentation/bpf.rst says so, and what to do instead).
 */
TEST(packet_memory_buffer)
{
	static struct cosi_kfunc__bss out;
	char pkt[64] = { 0 }, pkt_out[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt,
		    .data_size_in = sizeof(pkt), .data_out = pkt_out,
		    .data_size_out = sizeof(pkt_out));
	struct cosi_kfunc *skel;
	static char log[65536];
	struct cosi *c;
	int zero = 0;

	NEW_NETNS();
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, define_w1(c));
	skel = cosi_kfunc__open();
	ASSERT_NE(NULL, skel);
	set_key(&skel->bss->key, TEST_NS, KTYPE, "w1");
	skel->bss->opts[KF_TC].netns_id = BPF_COSI_NETNS_CURRENT;
	ASSERT_EQ(0, load_alone(skel->obj, "alone_pkt_buf", log, sizeof(log)))
		TH_LOG("verifier log: %.2000s", log);
	ASSERT_EQ(0, bpf_prog_test_run_opts(
			     bpf_program__fd(skel->progs.alone_pkt_buf), &o));
	ASSERT_EQ(0, bpf_map__lookup_elem(skel->maps.bss, &zero, sizeof(zero),
					  &out, sizeof(out), 0));
	EXPECT_EQ((int)strlen(KNAME), out.pkt_ret);
	EXPECT_STREQ(KNAME, pkt_out);
	cosi_kfunc__destroy(skel);
	cosi_close(c);
}

/*
 * A tracing lookup where the context has no netns (softirq, not a task):
 * -EINVAL for the task's netns and for a netns id alike, as there is no
 * netns to resolve the id against.
 */
TEST(no_netns_context)
{
	static struct cosi_kfunc__bss out;
	struct cosi_kfunc *skel;
	static char log[65536];
	struct cosi *c;

	NEW_NETNS();
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, define_w1(c));
	skel = cosi_kfunc__open();
	ASSERT_NE(NULL, skel);
	set_key(&skel->bss->key, TEST_NS, KTYPE, "w1");
	set_irq_opts(skel->bss->irq_opts);
	skel->bss->irq_armed = 1;
	ASSERT_EQ(0, load_alone(skel->obj, "alone_irq_noctx", log, sizeof(log)))
		TH_LOG("verifier log: %.2000s", log);
	ASSERT_EQ(0, run_in_softirq(skel->progs.alone_irq_noctx,
				    skel->maps.bss, &out, sizeof(out),
				    &out.irq_done));
	EXPECT_EQ(0, out.irq_found);
	EXPECT_EQ(-EINVAL, out.irq_opts[0].error);
	EXPECT_EQ(-EINVAL, out.irq_opts[1].error);
	cosi_kfunc__destroy(skel);
	cosi_close(c);
}

/*
 * Each lookup only where its context names the right netns: the task's
 * from tracing only, the skb's from TC only, the xdp_buff's from XDP only
 * (a TC program may run in another netns's task on egress; a tracing
 * program's skb is not one it may vouch for).
 */
TEST(wrong_program_type_refused)
{
	static const char *const progs[] = {
		"tc_task_refused", "xdp_task_refused", "tp_skb_refused",
		"tc_xdp_refused",
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct cosi_kfunc *skel = cosi_kfunc__open();

		ASSERT_NE(NULL, skel);
		EXPECT_TRUE(not_allowed(skel->obj, progs[i]));
		cosi_kfunc__destroy(skel);
	}
}

/*
 * NULL for each pointer argument of each kfunc.  6.12's verifier refuses
 * most; 6.1's lets some through (KF_TRUSTED_ARGS does not cover plain
 * memory), so a program that loads must get -EINVAL, not an oops.
 */
TEST(null_arguments)
{
	static const char *const progs[NULL_NR] = {
		[NULL_KEY] = "null_KEY", [NULL_KEY0] = "null_KEY0",
		[NULL_OPTS] = "null_OPTS", [NULL_CTX] = "null_CTX",
		[NULL_RES] = "null_RES", [NULL_U64] = "null_U64",
		[NULL_S64] = "null_S64", [NULL_BOOL] = "null_BOOL",
		[NULL_NAME] = "null_NAME", [NULL_STR_BUF] = "null_STR_BUF",
		[NULL_BYTES_BUF] = "null_BYTES_BUF",
		[NULL_LABEL_KEY] = "null_LABEL_KEY",
		[NULL_LABEL_BUF] = "null_LABEL_BUF",
	};
	static char log[65536];
	static struct cosi_kfunc__bss out;
	int loaded = 0, zero = 0;
	struct cosi *c;

	NEW_NETNS();
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, define(c, KTYPE, false));
	ASSERT_COSI_OK(c, create_full(c, TEST_NS, KTYPE, "w1", KNAME, 1,
				      NULL));
	for (int i = 0; i < NULL_NR; i++) {
		struct cosi_kfunc *skel = cosi_kfunc__open();
		struct bpf_program *p;
		int want = i == NULL_OPTS ? 12345 : -EINVAL;

		ASSERT_NE(NULL, skel);
		/*
		 * All of .bss set before the load: a plain bpf_object__load()
		 * (Debian's libbpf 1.1) leaves skel->bss the initial image, not
		 * the map, so the result is read back with a map lookup.
		 */
		set_key(&skel->bss->key, TEST_NS, KTYPE, "w1");
		skel->bss->nopts.netns_id = BPF_COSI_NETNS_CURRENT;
		/* NULL opts: no error to report, and nothing written. */
		skel->bss->nopts.error = 12345;
		skel->bss->null_ret[i] = 777;
		if (load_alone(skel->obj, progs[i], log, sizeof(log))) {
			TH_LOG("%s refused by the verifier", progs[i]);
			cosi_kfunc__destroy(skel);
			continue;
		}
		loaded++;
		p = bpf_object__find_program_by_name(skel->obj, progs[i]);
		ASSERT_EQ(0, test_run(p));
		ASSERT_EQ(0, bpf_map__lookup_elem(skel->maps.bss, &zero,
						  sizeof(zero), &out,
						  sizeof(out), 0));
		EXPECT_EQ(want, out.null_ret[i]) TH_LOG("%s", progs[i]);
		cosi_kfunc__destroy(skel);
	}
	TH_LOG("%d of %d NULL probes loaded", loaded, NULL_NR);
	cosi_close(c);
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/cosi/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/*
 * A loaded program that calls the kfuncs holds cosi.ko: the module
 * cannot go while the program (here attached) lives.
 */
TEST(module_pinned)
{
	long base = module_refcnt(), n;
	struct cosi_kfunc *skel;
	struct bpf_link *tp;
	int i;

	ASSERT_LE(0, base);
	skel = load();
	ASSERT_NE(NULL, skel);
	tp = bpf_program__attach(skel->progs.tp_read);
	ASSERT_NE(NULL, tp);
	EXPECT_LT(base, module_refcnt());
	EXPECT_EQ(-1, syscall(SYS_delete_module, "cosi", O_NONBLOCK));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("%m");
	bpf_link__destroy(tp);
	cosi_kfunc__destroy(skel);
	/* Programs are freed after an RCU grace period. */
	for (i = 0; i < 100 && (n = module_refcnt()) != base; i++)
		usleep(50000);
	EXPECT_EQ(base, n);
}

/* 6.12: the walk of a collection with the open-coded iterator. */
static bool have_iter(void)
{
	struct btf *vm = btf__load_vmlinux_btf(), *mod;
	bool ok = false;

	if (!vm)
		return false;
	mod = btf__load_module_btf("cosi", vm);
	if (mod) {
		ok = btf__find_by_name_kind(mod, "bpf_iter_cosi_res_new",
					    BTF_KIND_FUNC) > 0;
		btf__free(mod);
	}
	btf__free(vm);
	return ok;
}

/* The walk program runs at bpf_fentry_test1(), which a test run calls. */
static int run_walk(struct cosi_kfunc_iter *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, o);

	skel->bss->walk.err = 1;
	return bpf_prog_test_run_opts(bpf_program__fd(skel->progs.walk_prog),
				      &o);
}

/*
 * The walk program alone (and step_checked, which counts its unchecked
 * steps), loaded and attached: 0 or an error.
 */
static int iter_load(struct cosi_kfunc_iter *skel)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.walk_prog ||
					  p == skel->progs.step_checked);
	skel->bss->walk_tgid = getpid();
	skel->bss->opts.netns_id = BPF_COSI_NETNS_CURRENT;
	return cosi_kfunc_iter__load(skel) ?: cosi_kfunc_iter__attach(skel);
}

/* An element of a walk cannot be released: it holds no reference. */
TEST(iterator_release_refused)
{
	struct cosi_kfunc_iter *skel;
	static char log[65536];

	if (!have_iter())
		SKIP(return, "no open-coded iterator before 6.12");
	skel = cosi_kfunc_iter__open();
	ASSERT_NE(NULL, skel);
	EXPECT_NE(0, load_alone(skel->obj, "iter_release_refused", log,
				sizeof(log)));
	EXPECT_TRUE(refused_with(log, "(no iterator on 6.1)",
				 "R1 must be referenced or trusted"));
	cosi_kfunc_iter__destroy(skel);
}

/* A walk where the context has no netns (softirq): -EINVAL, empty. */
TEST(iterator_no_netns_context)
{
	static struct cosi_kfunc_iter__bss out;
	struct cosi_kfunc_iter *skel;
	static char log[65536];
	struct cosi *c;

	if (!have_iter())
		SKIP(return, "no open-coded iterator before 6.12");
	NEW_NETNS();
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, define_w1(c));
	skel = cosi_kfunc_iter__open();
	ASSERT_NE(NULL, skel);
	set_key(&skel->bss->key, TEST_NS, KTYPE, "");
	set_irq_opts(skel->bss->irq_opts);
	skel->bss->irq_err[0] = skel->bss->irq_err[1] = 12345;
	skel->bss->irq_armed = 1;
	ASSERT_EQ(0, load_alone(skel->obj, "irq_walk", log, sizeof(log)))
		TH_LOG("verifier log: %.2000s", log);
	ASSERT_EQ(0, run_in_softirq(skel->progs.irq_walk, skel->maps.bss, &out,
				    sizeof(out), &out.irq_done));
	EXPECT_EQ(-EINVAL, out.irq_err[0]);
	EXPECT_EQ(-EINVAL, out.irq_err[1]);
	EXPECT_EQ(-EINVAL, out.irq_opts[0].error);
	EXPECT_EQ(-EINVAL, out.irq_opts[1].error);
	EXPECT_EQ(0, out.irq_count);
	cosi_kfunc_iter__destroy(skel);
	cosi_close(c);
}

/* The walk reads the task's netns: tracing programs only. */
TEST(iterator_refused_in_tc_xdp)
{
	static const char *const progs[] = {
		"tc_iter_refused", "xdp_iter_refused",
	};

	if (!have_iter())
		SKIP(return, "no open-coded iterator before 6.12");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct cosi_kfunc_iter *skel = cosi_kfunc_iter__open();

		ASSERT_NE(NULL, skel);
		EXPECT_TRUE(not_allowed(skel->obj, progs[i]));
		cosi_kfunc_iter__destroy(skel);
	}
}

TEST(iterator)
{
	struct cosi_kfunc_iter *skel;
	struct cosi *c;

	if (!have_iter())
		SKIP(return, "no open-coded iterator before 6.12");
	NEW_NETNS();
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, define(c, KTYPE, false));
	ASSERT_COSI_OK(c, define(c, "kfother", false));
	ASSERT_COSI_OK(c, define(c, "kfsecrets", true));
	ASSERT_COSI_OK(c, create_full(c, TEST_NS, KTYPE, "b", "bee", 2, NULL));
	ASSERT_COSI_OK(c, create_full(c, TEST_NS, KTYPE, "c", "sea", 3, NULL));
	ASSERT_COSI_OK(c, create_full(c, TEST_NS, KTYPE, "a", "ay", 1, NULL));
	/* Not in the walk: another namespace, another type. */
	ASSERT_COSI_OK(c, create_full(c, "elsewhere", KTYPE, "d", "dee", 100,
				      NULL));
	ASSERT_COSI_OK(c, create_full(c, TEST_NS, "kfother", "e", "ee", 1000,
				      NULL));
	ASSERT_COSI_OK(c, create_full(c, TEST_NS, "kfsecrets", "s", "ss", 1,
				      NULL));

	skel = cosi_kfunc_iter__open();
	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, iter_load(skel))
		TH_LOG("loading the iterator program failed");
	set_key(&skel->bss->key, TEST_NS, KTYPE, "");
	ASSERT_EQ(0, run_walk(skel));
	EXPECT_EQ(0, skel->bss->walk.err);
	EXPECT_EQ(3, skel->bss->walk.count);
	EXPECT_EQ(6, skel->bss->walk.mtu_sum);
	EXPECT_STREQ("ay", skel->bss->walk.first);
	EXPECT_STREQ("sea", skel->bss->walk.last);
	EXPECT_EQ(0, skel->bss->walk.bad);
	/* step_checked saw each step (and the end), none unchecked. */
	EXPECT_EQ(4, skel->bss->walk.steps);
	EXPECT_EQ(0, skel->bss->walk.unchecked_steps);

	set_key(&skel->bss->key, TEST_NS, "kfsecrets", "");
	ASSERT_EQ(0, run_walk(skel));
	EXPECT_EQ(-EACCES, skel->bss->walk.err);
	EXPECT_EQ(0, skel->bss->walk.count);

	set_key(&skel->bss->key, "emptyns", KTYPE, "");
	ASSERT_EQ(0, run_walk(skel));
	EXPECT_EQ(0, skel->bss->walk.err);
	EXPECT_EQ(0, skel->bss->walk.count);

	set_key(&skel->bss->key, TEST_NS, KTYPE, "");
	skel->bss->opts.flags = 1;
	ASSERT_EQ(0, run_walk(skel));
	EXPECT_EQ(-EINVAL, skel->bss->walk.err);
	EXPECT_EQ(-EINVAL, skel->bss->opts.error);
	EXPECT_EQ(0, skel->bss->walk.count);

	cosi_kfunc_iter__destroy(skel);
	cosi_close(c);
}

/*
 * The walked collection under writers: resources r000..r199 (mtu = the
 * number + 1, so that id order is mtu order), of which every fifth
 * (r000, r005, ... r195) no writer touches, and the others are created,
 * replaced and destroyed by CHURN_THREADS threads, each from a
 * connection of its own, until told to stop.
 */
#define CHURN_IDS	200
#define CHURN_KEEP	5
#define CHURN_THREADS	2

struct churn {
	volatile bool *stop;
	unsigned int seed;
	int ops, err;
};

static void *churn_writer(void *arg)
{
	struct churn *ch = arg;
	struct cosi *c = cosi_open();
	unsigned int n = ch->seed;
	char id[8];

	if (!c) {
		ch->err = -errno;
		return NULL;
	}
	while (!*ch->stop && !ch->err) {
		COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = KTYPE, .id = id);
		unsigned int k = (n * 7919u) % CHURN_IDS;
		int err;

		if (k % CHURN_KEEP == 0)
			k++;
		snprintf(id, sizeof(id), "r%03u", k);
		switch (n++ % 3) {
		case 0:
			err = create_full(c, TEST_NS, KTYPE, id, id, k + 1,
					  NULL);
			break;
		case 1:
			err = update_full(c, KTYPE, id, id, k + 1, NULL);
			break;
		default:
			err = cosi_resource_destroy(c, &r, NULL);
			break;
		}
		if (err && err != -EEXIST && err != -ENOENT)
			ch->err = err;
		ch->ops++;
	}
	cosi_close(c);
	return NULL;
}

/*
 * Walks while other threads create, replace and destroy resources of the
 * same collection, rebalancing its rbtree under the walks: every walk
 * must see each untouched resource exactly once, in id order (the
 * program checks, per walk), all in increasing order and readable, and
 * the debug kernel sees no KASAN or lockdep report.  Without the
 * sequence check of cosi_coll_next_rcu() a walk misses some: a lockless
 * descent loses nodes that a rotation moves.
 */
TEST(iterator_under_writers)
{
	struct churn ch[CHURN_THREADS] = { 0 };
	pthread_t th[CHURN_THREADS];
	struct cosi_kfunc_iter *skel;
	volatile bool stop = false;
	struct timespec t0, t;
	long long walked = 0;
	int i, ops = 0;
	struct cosi *c;

	if (!have_iter())
		SKIP(return, "no open-coded iterator before 6.12");
	NEW_NETNS();
	COSI_OPEN(c);
	ASSERT_COSI_OK(c, define(c, KTYPE, false));
	for (i = 0; i < CHURN_IDS; i++) {
		char id[8];

		snprintf(id, sizeof(id), "r%03d", i);
		ASSERT_COSI_OK(c, create_full(c, TEST_NS, KTYPE, id, id, i + 1,
					      NULL));
	}
	skel = cosi_kfunc_iter__open();
	ASSERT_NE(NULL, skel);
	ASSERT_EQ(0, iter_load(skel));
	set_key(&skel->bss->key, TEST_NS, KTYPE, "");
	skel->bss->walk.keep_every = CHURN_KEEP;
	skel->bss->walk.keep_end = CHURN_IDS;

	for (i = 0; i < CHURN_THREADS; i++) {
		ch[i].stop = &stop;
		ch[i].seed = i * 1000;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, churn_writer, &ch[i]));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, run_walk(skel));
		EXPECT_EQ(0, skel->bss->walk.err);
		walked += skel->bss->walk.count;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 3);
	stop = true;
	for (i = 0; i < CHURN_THREADS; i++) {
		pthread_join(th[i], NULL);
		EXPECT_EQ(0, ch[i].err);
		ops += ch[i].ops;
	}
	TH_LOG("%d walks of %lld resources in all, %d writes, %d steps unchecked, %d walks wrong (%d of them only where a step was unchecked)",
	       skel->bss->walk.walks, walked, ops,
	       skel->bss->walk.unchecked_steps,
	       skel->bss->walk.keep_bad + skel->bss->walk.keep_unchecked,
	       skel->bss->walk.keep_unchecked);
	EXPECT_LT(10, ops);
	EXPECT_LT(10, skel->bss->walk.walks);
	/*
	 * Each walk saw every untouched resource once, in order, but for
	 * what bpf.rst allows: a step that failed its check every time (a
	 * writer's vCPU paused inside its section by a loaded host) may
	 * skip what lies between the resource before it and the one it
	 * returns.  step_checked counts those steps, so a walk that missed
	 * a kept resource where every step since the kept one before it
	 * was checked is a bug: the unchecked descent this test was
	 * written for gave 2 in 8496.
	 */
	if (skel->bss->walk.keep_bad)
		TH_LOG("a wrong walk went wrong where every step was checked, expecting r%03llu",
		       skel->bss->walk.keep_seen);
	EXPECT_EQ(0, skel->bss->walk.keep_bad);
	EXPECT_EQ(0, skel->bss->walk.bad);
	cosi_kfunc_iter__destroy(skel);
	cosi_close(c);
}

TEST_HARNESS_MAIN
