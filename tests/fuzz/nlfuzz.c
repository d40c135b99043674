// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: a bounded fuzzer of the cosi generic netlink family.
 *
 *   nlfuzz [-n MESSAGES] [-t SECONDS] [-s SEED] [-T REPLY_TIMEOUT_S] [-v]
 *
 * Runs in a network namespace of its own (as root).  It defines two types,
 * then sends batches of one to four messages per sendmsg: valid requests
 * built from a table (one generator per op, covering every request
 * attribute of Documentation/netlink/specs/cosi.yaml, nested sets
 * included), pure random attribute streams, and mutations of both (bit and
 * byte flips, truncation, nla_len changes, wrong attribute types, nested
 * garbage, huge and zero lengths, unknown and duplicate attributes, reply-
 * only attributes, wrong commands, versions, reserved bytes, family ids,
 * do/dump flags, NLM_F_ACK dropped, nlmsg_len changes).  The first part
 * runs as root, the rest in a child as uid/gid 65534 without capabilities.
 *
 * Each batch is followed by a NOOP request with NLM_F_ACK, as a fence.
 * Asserted for every message the kernel walks:
 *  - an answer within the timeout: a do request gets exactly one
 *    NLMSG_ERROR with NLM_F_ACK (at most one without, at most one reply),
 *    a dump ends exactly once, with NLMSG_DONE or NLMSG_ERROR;
 *  - a rejection carries an extack message (NLMSGERR_ATTR_MSG), except
 *    the ones the generic netlink core makes before cosi sees the message
 *    (no such family id, a message shorter than the genl header, a
 *    command the family lacks in that do/dump mode, CAP_NET_ADMIN missing
 *    for a write, a second dump while one is running), which are predicted
 *    from the message and must carry exactly the predicted errno.  Before
 *    6.2 the kernel gives a dump's start callback no extack to write to:
 *    there rejected dumps are counted, not required to carry a message.
 * Then it removes everything it created (resources by the keys of its
 * create replies, then all definitions), checks that the store is empty
 * and that a valid create/get/list/destroy still works.
 *
 * Prints the seed first, then a histogram op x errno x has-message, and
 * "nlfuzz: ok" or the failures.  Exit status 0 only when all held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "cosi_nl.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_BATCH	4
#define MAX_MSG		(64 * 1024)
#define RX_BUF		(1024 * 1024)
#define MAX_FAILS	20
#define MAX_ERRNO	200

/* Random numbers: xorshift64*, reproducible from the printed seed. */
static uint64_t rng_state;

static uint64_t rnd64(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

static bool chance(unsigned int percent)
{
	return rnd(100) < percent;
}

#define PICK(arr)	((arr)[rnd(ARRAY_SIZE(arr))])

/* A growing byte buffer with netlink attribute helpers. */
struct buf {
	uint8_t p[MAX_MSG * MAX_BATCH + 4096];
	size_t len;
};

static void *put(struct buf *b, const void *data, size_t n)
{
	void *at = b->p + b->len;

	if (b->len + n > sizeof(b->p))
		n = sizeof(b->p) - b->len;
	if (data)
		memcpy(at, data, n);
	else
		memset(at, 0, n);
	b->len += n;
	return at;
}

static void pad(struct buf *b)
{
	put(b, NULL, NLA_ALIGN(b->len) - b->len);
}

static void attr(struct buf *b, uint16_t type, const void *data, size_t n)
{
	struct nlattr a = { .nla_len = NLA_HDRLEN + n, .nla_type = type };

	if (b->len + NLA_HDRLEN + n + 4 > MAX_MSG * MAX_BATCH)
		return;
	put(b, &a, sizeof(a));
	put(b, data, n);
	pad(b);
}

static void attr_str(struct buf *b, uint16_t type, const char *s)
{
	attr(b, type, s, strlen(s) + 1);
}

static void attr_u32(struct buf *b, uint16_t type, uint32_t v)
{
	attr(b, type, &v, sizeof(v));
}

static void attr_u64(struct buf *b, uint16_t type, uint64_t v)
{
	attr(b, type, &v, sizeof(v));
}

static void attr_u8(struct buf *b, uint16_t type, uint8_t v)
{
	attr(b, type, &v, sizeof(v));
}

static size_t nest_start(struct buf *b, uint16_t type)
{
	size_t off = b->len;

	attr(b, type | (chance(97) ? NLA_F_NESTED : 0), NULL, 0);
	return off;
}

static void nest_end(struct buf *b, size_t off)
{
	struct nlattr *a = (struct nlattr *)(b->p + off);

	a->nla_len = b->len - off;
}

/* Value pools: small, so that requests often hit existing objects. */
static const char *const pool_ns[] = { "default", "fz", "fz-2" };
static const char *const pool_def_types[] = { "fz-a", "fz-b", "fz-c" };
static const char *const pool_alias[] = { "fz", "fuzz", "fza", "FZ-A" };
static const char *const pool_id[] = {
	"a", "b", "c", "d", "id-1", "id-2", "id-10", "x.y/z", "~",
};
static const char *const pool_key[] = { "app", "tier", "size", "k" };
static const char *const pool_val[] = { "web", "db", "10", "2Ki", "", "x" };
static const char *const pool_fin[] = { "f1", "f2", "f3", "ex.com/f" };
static const char *const pool_owner[] = { "ctl-a", "ctl-b" };
static const char *const pool_field[] = { "s", "u", "i", "b", "y", "l" };

/* The types set up before fuzzing; FUZZES has one field of every type. */
#define FUZZES		"fuzzes"
#define SECRETS		"secrets"
static const char *const pool_types[] = { FUZZES, FUZZES, SECRETS, "fz-a",
					  "fz-b", "nope" };

/* Odd strings: empty, max length, one over, non-printable. */
static void attr_odd_str(struct buf *b, uint16_t type)
{
	static char big[COSI_SPEC_MAX_SIZE + 64];
	size_t n;

	switch (rnd(6)) {
	case 0:
		attr(b, type, "", 1);
		return;
	case 1:
		attr(b, type, "", 0);		/* no NUL at all */
		return;
	case 2:
		n = PICK(((const size_t[]){ 63, 64, 127, 128, 255, 256 }));
		break;
	case 3:
		n = rnd(sizeof(big) - 1);
		break;
	case 4:
		attr(b, type, "a b\x01\x7f", 5);
		return;
	default:
		attr(b, type, "\xff\xfe-", 4);	/* no NUL, not ASCII */
		return;
	}
	memset(big, 'a' + rnd(26), n);
	big[n] = 0;
	attr(b, type, big, n + 1);
}

static void attr_name(struct buf *b, uint16_t type, const char *s)
{
	if (chance(5))
		attr_odd_str(b, type);
	else
		attr_str(b, type, s);
}

/* Generators of well-formed values, one per attribute set of the spec. */

static void gen_labels(struct buf *b, uint16_t type)
{
	size_t nest = nest_start(b, type), l;
	unsigned int i, n = rnd(4);

	for (i = 0; i < n; i++) {
		l = nest_start(b, COSI_A_LABELS_LABEL);
		attr_name(b, COSI_A_LABEL_KEY, PICK(pool_key));
		if (chance(90))
			attr_name(b, COSI_A_LABEL_VALUE, PICK(pool_val));
		nest_end(b, l);
	}
	nest_end(b, nest);
}

static void gen_finalizers(struct buf *b)
{
	size_t nest = nest_start(b, COSI_A_RESOURCE_FINALIZERS);
	unsigned int i, n = 1 + rnd(3);

	for (i = 0; i < n; i++)
		attr_name(b, COSI_A_FINALIZERS_FINALIZER, PICK(pool_fin));
	nest_end(b, nest);
}

static void gen_string_list(struct buf *b, uint16_t type)
{
	size_t nest = nest_start(b, type);
	unsigned int i, n = rnd(4);

	for (i = 0; i < n; i++)
		attr_name(b, COSI_A_STRING_LIST_ITEM, PICK(pool_val));
	nest_end(b, nest);
}

/* One spec field; @t is its type, or a random one. */
static void gen_spec_field(struct buf *b, const char *name, int t)
{
	size_t f = nest_start(b, COSI_A_SPEC_FIELD);
	uint8_t bytes[32];

	attr_name(b, COSI_A_SPEC_FIELD_NAME, name);
	if (t <= 0 || chance(5))
		t = 1 + rnd(COSI_FIELD_TYPE_STRING_LIST);
	switch (t) {
	case COSI_FIELD_TYPE_STRING:
		attr_name(b, COSI_A_SPEC_FIELD_STRING, PICK(pool_val));
		break;
	case COSI_FIELD_TYPE_U64:
		attr_u64(b, COSI_A_SPEC_FIELD_U64, rnd64() >> rnd(64));
		break;
	case COSI_FIELD_TYPE_S64:
		attr_u64(b, COSI_A_SPEC_FIELD_S64, rnd64());
		break;
	case COSI_FIELD_TYPE_BOOL:
		attr_u8(b, COSI_A_SPEC_FIELD_BOOL, chance(95) ? rnd(2) : rnd(256));
		break;
	case COSI_FIELD_TYPE_BYTES:
		for (size_t i = 0; i < sizeof(bytes); i++)
			bytes[i] = rnd(256);
		attr(b, COSI_A_SPEC_FIELD_BYTES, bytes, rnd(sizeof(bytes)));
		break;
	default:
		gen_string_list(b, COSI_A_SPEC_FIELD_STRINGS);
		break;
	}
	nest_end(b, f);
}

static void gen_spec(struct buf *b, const char *type)
{
	size_t nest = nest_start(b, COSI_A_RESOURCE_SPEC);
	unsigned int i;

	if (!strcmp(type, SECRETS)) {
		gen_spec_field(b, "s", COSI_FIELD_TYPE_STRING);
	} else {
		for (i = 0; i < ARRAY_SIZE(pool_field); i++)
			if (chance(50))
				gen_spec_field(b, pool_field[i], i + 1);
	}
	if (chance(5))
		gen_spec_field(b, chance(50) ? "s" : "nofield", 0);
	nest_end(b, nest);
}

static void gen_query(struct buf *b)
{
	size_t q = nest_start(b, COSI_A_RESOURCE_LABEL_QUERY), t;
	unsigned int i, j, n = rnd(3), nv;

	for (i = 0; i < n; i++) {
		t = nest_start(b, COSI_A_LABEL_QUERY_TERM);
		if (chance(95))
			attr_name(b, COSI_A_LABEL_TERM_KEY, PICK(pool_key));
		attr_u32(b, COSI_A_LABEL_TERM_OP,
			 chance(95) ? rnd(COSI_LABEL_OP_LTE_NUMERIC + 1) :
			 (uint32_t)rnd64());
		nv = rnd(3);
		for (j = 0; j < nv; j++)
			attr_name(b, COSI_A_LABEL_TERM_VALUE, PICK(pool_val));
		if (chance(30))
			attr(b, COSI_A_LABEL_TERM_INVERT, NULL, 0);
		nest_end(b, t);
	}
	nest_end(b, q);
}

/* Resources the fuzzer created, from the keys in create replies. */
struct known {
	char ns[COSI_NAMESPACE_MAX_LEN + 1];
	char type[COSI_TYPE_MAX_LEN + 1];
	char id[COSI_ID_MAX_LEN + 1];
	char owner[COSI_OWNER_MAX_LEN + 1];
	uint64_t version;
	bool live;
};

static struct known known[4096];
static size_t n_known;
static uint32_t watch_ids[64];
static size_t n_watch_ids;

/* A key: most often one that exists; with_id > 1: expected-version too. */
static void gen_key(struct buf *b, int with_id)
{
	const struct known *k = NULL;

	if (n_known && chance(70)) {
		k = &known[rnd(n_known)];
		if (!k->live && chance(50))
			k = NULL;
	}
	if (chance(97))
		attr_name(b, COSI_A_RESOURCE_NAMESPACE, k ? k->ns : PICK(pool_ns));
	if (chance(97))
		attr_name(b, COSI_A_RESOURCE_TYPE, k ? k->type : PICK(pool_types));
	if (with_id && chance(97))
		attr_name(b, COSI_A_RESOURCE_ID, k ? k->id : PICK(pool_id));
	if (k && with_id > 1 && chance(30))
		attr_u64(b, COSI_A_RESOURCE_EXPECTED_VERSION,
			 chance(70) ? k->version : rnd(4));
}

static const char *key_type(void)
{
	return PICK(pool_types);
}

static void gen_get_do(struct buf *b)
{
	gen_key(b, 1);
}

static void gen_get_dump(struct buf *b)
{
	unsigned int i, n = rnd(3);

	gen_key(b, 0);
	if (chance(40))
		attr_name(b, COSI_A_RESOURCE_ID_PREFIX, PICK(pool_id));
	for (i = 0; i < n; i++)
		gen_query(b);
}

/*
 * The answer flags of a write: quiet (no answer on success), ack-only
 * where the op takes it (@ack_only), now and then both (refused).  Not
 * on creates: the keys created are learnt from their replies (which
 * neither flag's answer carries) for the cleanup to remove them.
 */
static void gen_answer_flags(struct buf *b, bool ack_only)
{
	if (chance(15))
		attr(b, COSI_A_RESOURCE_QUIET, NULL, 0);
	if (ack_only && chance(15))
		attr(b, COSI_A_RESOURCE_ACK_ONLY, NULL, 0);
}

static void gen_create(struct buf *b)
{
	const char *type = key_type();

	attr_name(b, COSI_A_RESOURCE_NAMESPACE, PICK(pool_ns));
	attr_name(b, COSI_A_RESOURCE_TYPE, type);
	attr_name(b, COSI_A_RESOURCE_ID, PICK(pool_id));
	if (chance(50))
		gen_labels(b, COSI_A_RESOURCE_LABELS);
	if (chance(30))
		gen_labels(b, COSI_A_RESOURCE_ANNOTATIONS);
	if (chance(90))
		gen_spec(b, type);
}

static void gen_update(struct buf *b)
{
	gen_key(b, 2);
	if (chance(40))
		gen_labels(b, COSI_A_RESOURCE_LABELS);
	if (chance(20))
		gen_labels(b, COSI_A_RESOURCE_ANNOTATIONS);
	if (chance(70))
		gen_spec(b, chance(80) ? FUZZES : SECRETS);
	if (chance(20))
		attr_u32(b, COSI_A_RESOURCE_EXPECTED_PHASE,
			 chance(90) ? rnd(2) : (uint32_t)rnd64());
	gen_answer_flags(b, true);
}

static void gen_destroy(struct buf *b)
{
	gen_key(b, 2);
	gen_answer_flags(b, false);
}

static void gen_finalizer(struct buf *b)
{
	gen_key(b, 2);
	if (chance(95))
		gen_finalizers(b);
	gen_answer_flags(b, true);
}

/* The schema of FUZZES and SECRETS, or a random one for the others. */
static void gen_def_body(struct buf *b, const char *type)
{
	bool fixed = !strcmp(type, FUZZES) || !strcmp(type, SECRETS);
	unsigned int i, n;
	size_t f;

	attr_name(b, COSI_A_DEFINITION_TYPE, type);
	n = fixed ? 0 : rnd(3);
	for (i = 0; i < n; i++)
		attr_name(b, COSI_A_DEFINITION_ALIAS, PICK(pool_alias));
	if (!fixed && chance(50))
		attr_name(b, COSI_A_DEFINITION_DEFAULT_NAMESPACE, PICK(pool_ns));
	if (!strcmp(type, SECRETS))
		attr_u32(b, COSI_A_DEFINITION_SENSITIVITY,
			 COSI_SENSITIVITY_SENSITIVE);
	else if (!fixed && chance(50))
		attr_u32(b, COSI_A_DEFINITION_SENSITIVITY,
			 chance(90) ? rnd(2) : (uint32_t)rnd64());
	n = fixed ? (!strcmp(type, SECRETS) ? 1 : ARRAY_SIZE(pool_field)) :
		    rnd(5);
	for (i = 0; i < n; i++) {
		f = nest_start(b, COSI_A_DEFINITION_FIELD);
		attr_name(b, COSI_A_SCHEMA_FIELD_NAME,
			  fixed ? pool_field[i] : PICK(pool_field));
		attr_u32(b, COSI_A_SCHEMA_FIELD_TYPE,
			 fixed ? i + 1 : chance(95) ? 1 + rnd(6) : rnd(256));
		if (!fixed && chance(30))
			attr(b, COSI_A_SCHEMA_FIELD_REQUIRED, NULL, 0);
		nest_end(b, f);
	}
	n = fixed ? 1 : rnd(3);
	for (i = 0; i < n; i++) {
		f = nest_start(b, COSI_A_DEFINITION_PRINT_COLUMN);
		attr_name(b, COSI_A_PRINT_COLUMN_NAME, fixed ? "S" : "COL");
		attr_name(b, COSI_A_PRINT_COLUMN_FIELD,
			  fixed ? "s" : PICK(pool_field));
		nest_end(b, f);
	}
}

static void gen_def_set(struct buf *b)
{
	gen_def_body(b, chance(80) ? PICK(pool_def_types) :
				     chance(50) ? FUZZES : SECRETS);
}

static void gen_def_type(struct buf *b)
{
	if (chance(97))
		attr_name(b, COSI_A_DEFINITION_TYPE,
			  chance(30) ? PICK(pool_alias) :
			  chance(50) ? PICK(pool_def_types) : key_type());
}

static void gen_def_dump(struct buf *b)
{
	if (chance(10))
		gen_def_type(b);	/* the dump takes no attribute */
}

static void gen_claim(struct buf *b)
{
	if (chance(97))
		attr_name(b, COSI_A_RESOURCE_OWNER, PICK(pool_owner));
}

static void gen_watch(struct buf *b)
{
	unsigned int i, n = rnd(3);

	gen_key(b, chance(30));
	for (i = 0; i < n; i++)
		gen_query(b);
	if (chance(50))
		attr(b, COSI_A_RESOURCE_BOOTSTRAP, NULL, 0);
	if (chance(30))
		attr_u64(b, COSI_A_RESOURCE_SINCE_REVISION,
			 chance(80) ? rnd(200) : rnd64());
}

static void gen_watch_stop(struct buf *b)
{
	if (chance(97))
		attr_u32(b, COSI_A_RESOURCE_WATCH_ID,
			 n_watch_ids && chance(80) ?
			 watch_ids[rnd(n_watch_ids)] : rnd(8));
}

/* Reply-only attributes, well-formed, for requests that do not take them. */
static void gen_foreign(struct buf *b, bool def)
{
	if (def) {
		switch (rnd(3)) {
		case 0:
			attr_u64(b, COSI_A_DEFINITION_REVISION, rnd64());
			break;
		case 1:
			attr_u32(b, COSI_A_DEFINITION_RESOURCES, rnd(10));
			break;
		default:
			attr(b, COSI_A_DEFINITION_PAD, NULL, rnd(2) * 4);
		}
		return;
	}
	switch (rnd(10)) {
	case 0:
		attr_u64(b, COSI_A_RESOURCE_VERSION, rnd(5));
		break;
	case 1:
		attr_name(b, COSI_A_RESOURCE_OWNER, PICK(pool_owner));
		break;
	case 2:
		attr_u32(b, COSI_A_RESOURCE_PHASE, rnd(2));
		break;
	case 3:
		attr_u64(b, PICK(((const uint16_t[]){ COSI_A_RESOURCE_CREATED,
				COSI_A_RESOURCE_UPDATED,
				COSI_A_RESOURCE_REVISION })), rnd64());
		break;
	case 4:
		attr_u8(b, COSI_A_RESOURCE_DESTROY_READY, rnd(2));
		break;
	case 5:
		attr_u32(b, COSI_A_RESOURCE_EVENT, 1 + rnd(4));
		break;
	case 6:
		gen_labels(b, COSI_A_RESOURCE_OLD_LABELS);
		break;
	case 7:
		gen_finalizers(b);
		break;
	case 8:
		gen_watch_stop(b);
		break;
	default:
		attr(b, COSI_A_RESOURCE_PAD, NULL, rnd(2) * 4);
	}
}

/* The ops of the family, do and dump, each with its generator. */
struct op {
	uint8_t cmd;
	bool dump;
	bool write;		/* needs CAP_NET_ADMIN */
	bool def;		/* definition attribute set */
	const char *name;
	void (*gen)(struct buf *b);
};

static const struct op ops[] = {
	{ COSI_CMD_RESOURCE_GET, false, false, false, "resource-get", gen_get_do },
	{ COSI_CMD_RESOURCE_GET, true, false, false, "resource-get", gen_get_dump },
	{ COSI_CMD_RESOURCE_CREATE, false, true, false, "resource-create", gen_create },
	{ COSI_CMD_RESOURCE_UPDATE, false, true, false, "resource-update", gen_update },
	{ COSI_CMD_RESOURCE_DESTROY, false, true, false, "resource-destroy", gen_destroy },
	{ COSI_CMD_RESOURCE_TEARDOWN, false, true, false, "resource-teardown", gen_destroy },
	{ COSI_CMD_FINALIZER_ADD, false, true, false, "finalizer-add", gen_finalizer },
	{ COSI_CMD_FINALIZER_REMOVE, false, true, false, "finalizer-remove", gen_finalizer },
	{ COSI_CMD_DEFINITION_SET, false, true, true, "definition-set", gen_def_set },
	{ COSI_CMD_DEFINITION_GET, false, false, true, "definition-get", gen_def_type },
	{ COSI_CMD_DEFINITION_GET, true, false, true, "definition-get", gen_def_dump },
	{ COSI_CMD_DEFINITION_DELETE, false, true, true, "definition-delete", gen_def_type },
	{ COSI_CMD_OWNER_CLAIM, false, true, false, "owner-claim", gen_claim },
	{ COSI_CMD_WATCH, true, false, false, "watch", gen_watch },
	{ COSI_CMD_WATCH_STOP, false, false, false, "watch-stop", gen_watch_stop },
};

static const struct op *op_find(uint8_t cmd, bool dump)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (ops[i].cmd == cmd && ops[i].dump == dump)
			return &ops[i];
	return NULL;
}

/* Figures. */
static uint64_t hist[256][2][MAX_ERRNO][2];	/* cmd, dump, errno, has msg */
static uint64_t n_sent, n_batches, n_events, n_replies, n_ok, n_overruns;
static uint64_t n_dump_nomsg;			/* rejected dumps, no message */
static uint64_t n_nofamily;			/* sent to an unused family id */
static unsigned int n_fails;
static int family_id, unused_id;
static bool kernel_dump_extack;			/* 6.2+: also split ops */
static const char *phase_name = "root";
static int reply_timeout_s = 20;
static bool verbose;

static void fail(const char *fmt, ...)
{
	va_list ap;

	n_fails++;
	if (n_fails > MAX_FAILS)
		return;
	printf("nlfuzz: FAIL (%s): ", phase_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void hexdump(const void *p, size_t n)
{
	const uint8_t *c = p;
	size_t i;

	if (n > 160)
		n = 160;
	printf("nlfuzz:   request:");
	for (i = 0; i < n; i++)
		printf("%s%02x", i % 32 ? "" : "\nnlfuzz:   ", c[i]);
	putchar('\n');
}

/* What the kernel will see of one message, and what came back for it. */
enum kind { K_IGNORED, K_DO, K_DUMP };

struct pend {
	uint32_t seq;
	enum kind kind;
	uint8_t cmd;
	bool ack;
	int core_err;		/* predicted rejection by the genl core */
	bool busy_ok;		/* a dump after another one in the batch */
	int n_err, n_data;
	bool done;
	const struct nlmsghdr *req;
};

/*
 * The rejections generic netlink makes before cosi sees the message; no
 * extack message is possible there.  0: cosi (or its policies) decides.
 */
static int core_rejection(const struct nlmsghdr *nlh, bool priv)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	uint16_t flags = nlh->nlmsg_flags;
	bool dump = (flags & NLM_F_DUMP) == NLM_F_DUMP;
	const struct op *op;

	if (nlh->nlmsg_type != family_id)
		return -ENOENT;
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return 0 - EINVAL;
	/* The header check (reserved bytes, flags) has messages. */
	if (dump)
		flags &= ~NLM_F_DUMP;
	if (g->reserved || (flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)))
		return 0;
	op = op_find(g->cmd, dump);
	/* Before 6.2 the permission check precedes the do/dump one. */
	if (!kernel_dump_extack && !op) {
		const struct op *other = op_find(g->cmd, !dump);

		if (other && other->write && !priv)
			return -EPERM;
	}
	if (!op)
		return -EOPNOTSUPP;
	if (op->write && !priv)
		return -EPERM;
	return 0;
}

/* The message types the fuzzer may send: no other family. */
static uint16_t safe_type(uint16_t t)
{
	if (t < NLMSG_MIN_TYPE || t == family_id || t == unused_id)
		return t;
	return family_id;
}

/*
 * Walk the batch as netlink_rcv_skb() will, keep the types safe, number the
 * messages and note what each should get back.
 */
static size_t plan(struct buf *b, struct pend *p, uint32_t *seq, bool priv)
{
	size_t off = 0, n = 0, left, len;
	bool dump_seen = false;
	struct nlmsghdr *nlh;

	while (b->len - off >= NLMSG_HDRLEN && n < MAX_BATCH * 2) {
		nlh = (struct nlmsghdr *)(b->p + off);
		left = b->len - off;
		if (nlh->nlmsg_len < NLMSG_HDRLEN || left < nlh->nlmsg_len)
			break;
		nlh->nlmsg_type = safe_type(nlh->nlmsg_type);
		nlh->nlmsg_seq = ++*seq;
		memset(&p[n], 0, sizeof(p[n]));
		p[n].seq = nlh->nlmsg_seq;
		p[n].ack = nlh->nlmsg_flags & NLM_F_ACK;
		p[n].req = nlh;
		if (!(nlh->nlmsg_flags & NLM_F_REQUEST) ||
		    nlh->nlmsg_type < NLMSG_MIN_TYPE) {
			p[n].kind = K_IGNORED;
		} else {
			p[n].kind = (nlh->nlmsg_flags & NLM_F_DUMP) ==
				    NLM_F_DUMP ? K_DUMP : K_DO;
			p[n].core_err = core_rejection(nlh, priv);
			if (nlh->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN))
				p[n].cmd = ((struct genlmsghdr *)
					    NLMSG_DATA(nlh))->cmd;
			if (p[n].kind == K_DUMP) {
				p[n].busy_ok = dump_seen;
				if (!p[n].core_err)
					dump_seen = true;
			}
		}
		n++;
		len = NLMSG_ALIGN(nlh->nlmsg_len);
		off += len < left ? len : left;
	}
	return n;
}

/* Mutations of a finished message at @off (its attributes start at @a). */
static void attr_walk_pick(struct buf *b, size_t a, size_t end, size_t *out)
{
	size_t found[64], n = 0, off = a;
	struct nlattr *at;

	while (off + NLA_HDRLEN <= end && n < ARRAY_SIZE(found)) {
		at = (struct nlattr *)(b->p + off);
		if (at->nla_len < NLA_HDRLEN || off + at->nla_len > end)
			break;
		found[n++] = off;
		/* Descend into nests now and then. */
		if (at->nla_len > 2 * NLA_HDRLEN && chance(40)) {
			off += NLA_HDRLEN;
			continue;
		}
		off += NLA_ALIGN(at->nla_len);
	}
	*out = n ? found[rnd(n)] : 0;
}

static void mutate(struct buf *b, size_t off)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->p + off);
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	size_t a = off + NLMSG_LENGTH(GENL_HDRLEN), at_off;
	unsigned int i, n = 1 + rnd(3);
	struct nlattr *at;
	uint8_t junk[64];
	uint16_t l;

	for (i = 0; i < n; i++) {
		attr_walk_pick(b, a, b->len, &at_off);
		at = at_off ? (struct nlattr *)(b->p + at_off) : NULL;
		switch (rnd(16)) {
		case 0:		/* flip bits */
			b->p[off + rnd(b->len - off)] ^= 1 << rnd(8);
			break;
		case 1:		/* random byte */
			b->p[off + rnd(b->len - off)] = rnd(256);
			break;
		case 2:		/* truncate */
			if (b->len - off > NLMSG_HDRLEN)
				b->len = off + NLMSG_HDRLEN +
					 rnd(b->len - off - NLMSG_HDRLEN);
			break;
		case 3:		/* nla_len */
			if (at)
				at->nla_len = PICK(((const uint16_t[]){ 0, 1, 3,
					4, 5, 0xffff, (uint16_t)(at->nla_len + 4),
					(uint16_t)(at->nla_len - 1) }));
			break;
		case 4:		/* attribute type */
			if (at)
				at->nla_type = chance(50) ? rnd(32) :
					       (uint16_t)rnd(0x10000);
			break;
		case 5:		/* nested garbage */
			for (size_t j = 0; j < sizeof(junk); j++)
				junk[j] = rnd(256);
			attr(b, (1 + rnd(COSI_A_RESOURCE_MAX)) |
			     (chance(50) ? NLA_F_NESTED : 0), junk,
			     rnd(sizeof(junk)));
			break;
		case 6:		/* zero or huge value */
			if (chance(50))
				attr(b, 1 + rnd(COSI_A_RESOURCE_MAX), NULL, 0);
			else
				attr_odd_str(b, 1 + rnd(COSI_A_RESOURCE_MAX));
			break;
		case 7:		/* unknown attribute */
			attr_u32(b, COSI_A_RESOURCE_MAX + 1 + rnd(100), rnd(10));
			break;
		case 8:		/* duplicate an attribute */
			if (!at || at_off + at->nla_len > b->len)
				break;
			l = NLA_ALIGN(at->nla_len);
			if (at_off + l <= b->len && b->len + l < off + MAX_MSG)
				put(b, b->p + at_off, l);
			break;
		case 9:		/* command */
			g->cmd = chance(70) ? rnd(COSI_CMD_MAX + 3) : rnd(256);
			break;
		case 10:	/* version, reserved */
			g->version = rnd(256);
			if (chance(20))
				g->reserved = rnd(0x10000);
			break;
		case 11:	/* do and dump */
			nlh->nlmsg_flags ^= PICK(((const uint16_t[]){
				NLM_F_DUMP, NLM_F_ROOT, NLM_F_MATCH,
				NLM_F_ECHO, NLM_F_REQUEST, NLM_F_EXCL,
				NLM_F_ATOMIC }));
			break;
		case 12:	/* no NLM_F_ACK */
			nlh->nlmsg_flags &= ~NLM_F_ACK;
			break;
		case 13:	/* message type */
			nlh->nlmsg_type = PICK(((const uint16_t[]){ NLMSG_NOOP,
				NLMSG_ERROR, NLMSG_DONE, NLMSG_OVERRUN,
				(uint16_t)unused_id, (uint16_t)family_id }));
			break;
		case 14:	/* reply-only attribute */
			gen_foreign(b, rnd(2));
			break;
		default:	/* nlmsg_len, kept */
			nlh->nlmsg_len = PICK(((const uint32_t[]){ 0, 15, 16,
				NLMSG_HDRLEN + 1, NLMSG_LENGTH(GENL_HDRLEN) - 1,
				nlh->nlmsg_len - 1, nlh->nlmsg_len + 4,
				0xffffffff }));
			return;
		}
	}
	/* Mostly keep the walk consistent; else the rest is dropped. */
	if (chance(90))
		nlh->nlmsg_len = b->len - off;
}

/* Append one message, valid or random, mutated or not. */
static void gen_msg(struct buf *b)
{
	size_t off = b->len;
	const struct op *op = &ops[rnd(ARRAY_SIZE(ops))];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	unsigned int i, n;

	nlh = put(b, NULL, NLMSG_HDRLEN);
	nlh->nlmsg_type = family_id;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
			   (op->dump ? NLM_F_DUMP : 0);
	g = put(b, NULL, GENL_HDRLEN);
	g->cmd = op->cmd;
	g->version = COSI_FAMILY_VERSION;
	if (chance(10)) {	/* random attribute stream */
		n = rnd(6);
		for (i = 0; i < n; i++) {
			uint8_t junk[48];

			for (size_t j = 0; j < sizeof(junk); j++)
				junk[j] = rnd(256);
			attr(b, rnd(COSI_A_RESOURCE_MAX + 3), junk,
			     rnd(sizeof(junk)));
		}
	} else {
		op->gen(b);
		if (chance(5))
			gen_foreign(b, op->def);
	}
	nlh = (struct nlmsghdr *)(b->p + off);
	nlh->nlmsg_len = b->len - off;
	if (chance(60))
		mutate(b, off);
	if (b->len > off + MAX_MSG)
		b->len = off + MAX_MSG;
	pad(b);
}

/* Netlink plumbing. */

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, one = 1, size = 32 << 20;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Whether an NLMSG_ERROR or NLMSG_DONE carries an extack message (kept in
 * last_err.msg); *err gets its error, negative.  libcosi's parser: an
 * error outside the kernel's errno range reads as -EPROTO.
 */
static struct cosi_err last_err;

static bool has_extack_msg(const struct nlmsghdr *nlh, int *err)
{
	cosi_nlerr_parse(nlh, &last_err);
	*err = -last_err.err;
	return last_err.msg[0];
}

static const char *op_label(uint8_t cmd, bool dump, char *buf, size_t len)
{
	const struct op *op = op_find(cmd, dump);

	if (op)
		snprintf(buf, len, "%s%s", op->name, dump ? " (dump)" : "");
	else
		snprintf(buf, len, "cmd-%u%s", cmd, dump ? " (dump)" : "");
	return buf;
}

/* A rejection: record it, and check its message against the rules. */
static void rejected(struct pend *p, int err, bool msg)
{
	bool dump = p->kind == K_DUMP;
	char name[64];
	int e = -err;

	if (p->core_err == -ENOENT && err == -ENOENT && !msg) {
		n_nofamily++;	/* not cosi's: another family id */
		return;
	}
	hist[p->cmd][dump][e < MAX_ERRNO ? e : MAX_ERRNO - 1][msg]++;
	op_label(p->cmd, dump, name, sizeof(name));
	if (verbose)
		printf("nlfuzz: seq %u %s: %s: \"%s\"\n", p->seq, name,
		       strerrorname_np(e) ? strerrorname_np(e) : "?",
		       last_err.msg);
	if (p->core_err) {
		if (err != p->core_err) {
			fail("%s: errno %d, the genl core should answer %d",
			     name, e, -p->core_err);
			hexdump(p->req, p->req->nlmsg_len);
		}
		return;
	}
	if (dump && p->busy_ok && err == -EBUSY)
		return;
	if (msg)
		return;
	if (dump && !kernel_dump_extack) {
		n_dump_nomsg++;
		return;
	}
	fail("%s: rejected with errno %d (%s) without an extack message",
	     name, e, strerror(e));
	hexdump(p->req, p->req->nlmsg_len);
}

static struct pend *pend_find(struct pend *p, size_t n, uint32_t seq)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].seq == seq)
			return &p[i];
	return NULL;
}

static void note_reply(const struct nlmsghdr *nlh);

/* One received message. */
static void handle(struct pend *p, size_t n, const struct nlmsghdr *nlh,
		   uint32_t fence, bool *fenced)
{
	struct pend *x = pend_find(p, n, nlh->nlmsg_seq);
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	bool msg;
	int err;

	if (nlh->nlmsg_type == family_id &&
	    nlh->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN) &&
	    g->cmd == COSI_CMD_RESOURCE_EVENT) {
		n_events++;
		return;
	}
	if (nlh->nlmsg_seq == fence && nlh->nlmsg_type == NLMSG_ERROR) {
		has_extack_msg(nlh, &err);
		if (err)
			fail("the fence got errno %d", -err);
		*fenced = true;
		return;
	}
	if (!x) {
		fail("unexpected message type %u seq %u", nlh->nlmsg_type,
		     nlh->nlmsg_seq);
		return;
	}
	if (x->done) {
		fail("seq %u: message type %u after its end", x->seq,
		     nlh->nlmsg_type);
		return;
	}
	if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
		msg = has_extack_msg(nlh, &err);
		if (nlh->nlmsg_type == NLMSG_DONE && x->kind != K_DUMP) {
			fail("seq %u: NLMSG_DONE answers a non-dump", x->seq);
			return;
		}
		x->n_err++;
		if (x->kind == K_DUMP)
			x->done = true;
		if (err)
			rejected(x, err, msg);
		else if (x->kind == K_DUMP && nlh->nlmsg_type == NLMSG_ERROR)
			fail("seq %u: a dump acked instead of ended", x->seq);
		else if (nlh->nlmsg_type == NLMSG_ERROR && !x->ack)
			fail("seq %u: acked without NLM_F_ACK", x->seq);
		else
			n_ok++;
		return;
	}
	if (nlh->nlmsg_type != family_id || x->kind == K_IGNORED) {
		fail("seq %u: reply of type %u", x->seq, nlh->nlmsg_type);
		return;
	}
	if (x->kind == K_DUMP && !(nlh->nlmsg_flags & NLM_F_MULTI))
		fail("seq %u: dump message without NLM_F_MULTI", x->seq);
	x->n_data++;
	n_replies++;
	note_reply(nlh);
}

/* Learn the keys of created resources and the ids of started watches. */
static void note_reply(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	const uint8_t *p = (const uint8_t *)g + GENL_HDRLEN;
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	const char *ns = NULL, *type = NULL, *id = NULL, *owner = "";
	uint64_t version = 0;
	uint32_t wid = 0;
	const struct nlattr *a;
	size_t i;

	while (p + NLA_HDRLEN <= end) {
		a = (const void *)p;
		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			break;
		switch (a->nla_type) {
		case COSI_A_RESOURCE_NAMESPACE:
			ns = (const char *)(a + 1);
			break;
		case COSI_A_RESOURCE_TYPE:
			type = (const char *)(a + 1);
			break;
		case COSI_A_RESOURCE_ID:
			id = (const char *)(a + 1);
			break;
		case COSI_A_RESOURCE_OWNER:
			owner = (const char *)(a + 1);
			break;
		case COSI_A_RESOURCE_VERSION:
			memcpy(&version, a + 1, sizeof(version));
			break;
		case COSI_A_RESOURCE_WATCH_ID:
			memcpy(&wid, a + 1, sizeof(wid));
			break;
		}
		p += NLA_ALIGN(a->nla_len);
	}
	if (g->cmd == COSI_CMD_WATCH && wid) {
		if (n_watch_ids < ARRAY_SIZE(watch_ids))
			watch_ids[n_watch_ids++] = wid;
		else
			watch_ids[rnd(ARRAY_SIZE(watch_ids))] = wid;
		return;
	}
	if (!ns || !type || !id || g->cmd == COSI_CMD_DEFINITION_GET ||
	    g->cmd == COSI_CMD_DEFINITION_SET)
		return;
	for (i = 0; i < n_known; i++)
		if (!strcmp(known[i].ns, ns) && !strcmp(known[i].type, type) &&
		    !strcmp(known[i].id, id))
			break;
	if (i == n_known) {
		if (g->cmd != COSI_CMD_RESOURCE_CREATE ||
		    n_known == ARRAY_SIZE(known))
			return;
		n_known++;
		snprintf(known[i].ns, sizeof(known[i].ns), "%s", ns);
		snprintf(known[i].type, sizeof(known[i].type), "%s", type);
		snprintf(known[i].id, sizeof(known[i].id), "%s", id);
	}
	snprintf(known[i].owner, sizeof(known[i].owner), "%s", owner);
	known[i].version = version;
	known[i].live = g->cmd != COSI_CMD_RESOURCE_DESTROY;
	if (g->cmd == COSI_CMD_RESOURCE_DESTROY)
		known[i].version = 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Send one batch and its fence; wait for every answer. */
static void run_batch(int fd, bool priv, uint32_t *seq)
{
	static struct buf b;
	static uint8_t rx[RX_BUF];
	struct pend p[MAX_BATCH * 2];
	struct nlmsghdr fence = {
		.nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
	};
	unsigned int i, nb = chance(70) ? 1 : 2 + rnd(MAX_BATCH - 1);
	bool fenced = false, overrun = false, open;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	double deadline;
	size_t n;
	ssize_t r;

	b.len = 0;
	for (i = 0; i < nb; i++)
		gen_msg(&b);
	n = plan(&b, p, seq, priv);
	fence.nlmsg_seq = ++*seq;
	if (sendto(fd, b.p, b.len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
		if (errno != EMSGSIZE && errno != ENOBUFS) {
			fail("sendmsg: %s", strerror(errno));
			return;
		}
		n = 0;		/* nothing reached the kernel */
	}
	if (sendto(fd, &fence, sizeof(fence), 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0) {
		fail("sendmsg (fence): %s", strerror(errno));
		return;
	}
	n_sent += n;
	n_batches++;
	deadline = now_s() + reply_timeout_s;
	for (;;) {
		open = !fenced;
		for (i = 0; i < n; i++)
			if (p[i].kind == K_DUMP && !p[i].done)
				open = true;
		if (!open)
			break;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = (int)((deadline - now_s()) * 1000);

		if (left <= 0 || poll(&pfd, 1, left) <= 0) {
			for (i = 0; i < n; i++)
				if (p[i].kind == K_DUMP && !p[i].done) {
					fail("seq %u: dump not ended after %d s",
					     p[i].seq, reply_timeout_s);
					hexdump(p[i].req, p[i].req->nlmsg_len);
				}
			if (!fenced)
				fail("no answer to the fence after %d s",
				     reply_timeout_s);
			return;
		}
		r = recv(fd, rx, sizeof(rx), MSG_DONTWAIT);
		if (r < 0) {
			if (errno == ENOBUFS) {
				overrun = true;	/* answers lost: cannot judge */
				n_overruns++;
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				continue;
			fail("recv: %s", strerror(errno));
			return;
		}
		for (struct nlmsghdr *h = (void *)rx; NLMSG_OK(h, (size_t)r);
		     h = NLMSG_NEXT(h, r))
			handle(p, n, h, fence.nlmsg_seq, &fenced);
		if (overrun && fenced)
			return;
	}
	if (overrun)
		return;
	for (i = 0; i < n; i++) {
		if (p[i].kind == K_DUMP)
			continue;
		if ((p[i].ack && p[i].n_err != 1) || p[i].n_err > 1) {
			fail("seq %u: %d acks/errors (NLM_F_ACK %s)", p[i].seq,
			     p[i].n_err, p[i].ack ? "set" : "clear");
			hexdump(p[i].req, p[i].req->nlmsg_len);
		}
		if (p[i].n_data > 1 || (p[i].kind == K_IGNORED && p[i].n_data))
			fail("seq %u: %d replies", p[i].seq, p[i].n_data);
	}
}

/* A fuzzing phase on a socket of its own. */
static void fuzz(bool priv, uint64_t max_msgs, double until)
{
	uint32_t seq = (uint32_t)rnd64() & 0x7fffffff;
	int fd = nl_open();
	uint64_t start = n_sent;

	if (fd < 0) {
		fail("netlink socket: %s", strerror(-fd));
		return;
	}
	while (n_sent - start < max_msgs && now_s() < until &&
	       n_fails <= MAX_FAILS)
		run_batch(fd, priv, &seq);
	close(fd);
}

static void print_figures(double secs)
{
	char name[64];
	unsigned int cmd, d, e;
	uint64_t rej = 0, nomsg = 0;

	printf("nlfuzz: %s: %" PRIu64 " messages in %" PRIu64 " batches, %.0f s"
	       " (%.0f/s); %" PRIu64 " ok, %" PRIu64 " replies, %" PRIu64
	       " events, %" PRIu64 " overruns\n", phase_name, n_sent, n_batches,
	       secs, secs > 0 ? n_sent / secs : 0.0, n_ok, n_replies,
	       n_events, n_overruns);
	printf("nlfuzz: %s: rejections (op, errno, with/without extack message)\n",
	       phase_name);
	for (cmd = 0; cmd < 256; cmd++)
		for (d = 0; d < 2; d++)
			for (e = 0; e < MAX_ERRNO; e++) {
				uint64_t w = hist[cmd][d][e][1];
				uint64_t wo = hist[cmd][d][e][0];

				if (!w && !wo)
					continue;
				rej += w + wo;
				nomsg += wo;
				printf("nlfuzz:   %-28s %-12s %8" PRIu64 " %8" PRIu64
				       "\n", op_label(cmd, d, name, sizeof(name)),
				       strerrorname_np(e) ? strerrorname_np(e) : "?",
				       w, wo);
			}
	printf("nlfuzz:   %-28s %-12s %8d %8" PRIu64 "\n",
	       "(unused family id)", "ENOENT", 0, n_nofamily);
	rej += n_nofamily;
	nomsg += n_nofamily;
	printf("nlfuzz: %s: %" PRIu64 " rejections, %" PRIu64
	       " without a message (genl core, or a 6.1 dump start: %" PRIu64
	       ")\n", phase_name, rej, nomsg, n_dump_nomsg);
}

/* Setup and cleanup, through libcosi. */

static int define_types(void)
{
	struct cosi_definition *d = NULL;
	struct cosi *c = cosi_open();
	size_t i;
	int err;

	if (!c)
		return -errno;
	d = cosi_def_new(FUZZES);
	err = d ? 0 : -ENOMEM;
	for (i = 0; !err && i < ARRAY_SIZE(pool_field); i++)
		err = cosi_def_add_field(d, pool_field[i], i + 1, false);
	if (!err)
		err = cosi_def_add_column(d, "S", "s");
	if (!err)
		err = cosi_definition_set(c, d, NULL);
	cosi_definition_free(d);
	d = NULL;
	if (!err && !(d = cosi_def_new(SECRETS)))
		err = -ENOMEM;
	if (!err)
		err = cosi_def_add_field(d, "s", COSI_FIELD_TYPE_STRING, false);
	if (!err)
		err = cosi_def_add_column(d, "S", "s");
	if (!err) {
		d->sensitivity = COSI_SENSITIVITY_SENSITIVE;
		err = cosi_definition_set(c, d, NULL);
	}
	if (err)
		printf("nlfuzz: setup: %s\n", cosi_strerror(c, "definition-set"));
	cosi_definition_free(d);
	cosi_close(c);
	return err;
}

/* Remove one resource: as its owner, finalizers first. */
static int remove_one(struct cosi *c, const struct known *k)
{
	COSI_OPTS(cosi_req, r, .ns = k->ns, .type = k->type, .id = k->id);
	struct cosi_resource *res;
	int err;

	err = cosi_resource_get(c, k->ns, k->type, k->id, &res);
	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	if (res->finalizers.n) {
		r.finalizers = &res->finalizers;
		err = cosi_finalizer_remove(c, &r, NULL);
		r.finalizers = NULL;
	}
	if (!err)
		err = cosi_resource_destroy(c, &r, NULL);
	cosi_resource_free(res);
	return err;
}

static int cleanup(void)
{
	struct cosi_definitions defs = { 0 };
	struct cosi *c;
	size_t i, j, removed = 0;
	int err = 0, e;

	/* One handle per owner: only the claim's socket may destroy. */
	for (i = 0; i < n_known; i++) {
		if (!known[i].live && !known[i].version)
			continue;
		c = cosi_open();
		if (!c)
			return -errno;
		e = known[i].owner[0] ? cosi_owner_claim(c, known[i].owner) : 0;
		for (j = i; !e && j < n_known; j++) {
			if (strcmp(known[j].owner, known[i].owner))
				continue;
			e = remove_one(c, &known[j]);
			if (e) {
				printf("nlfuzz: cleanup %s/%s/%s: %s\n",
				       known[j].ns, known[j].type, known[j].id,
				       cosi_strerror(c, "remove"));
				break;
			}
			known[j].live = false;
			known[j].version = 0;
			removed++;
		}
		cosi_close(c);
		if (e && !err)
			err = e;
	}
	c = cosi_open();
	if (!c)
		return -errno;
	e = cosi_definition_list(c, &defs);
	for (i = 0; !e && i < defs.n; i++) {
		if (defs.v[i]->resources)
			printf("nlfuzz: cleanup: %u resources of %s left\n",
			       defs.v[i]->resources, defs.v[i]->type);
		e = cosi_definition_delete(c, defs.v[i]->type, NULL);
		if (e)
			printf("nlfuzz: cleanup: %s\n",
			       cosi_strerror(c, "definition-delete"));
	}
	printf("nlfuzz: cleanup: %zu resources, %zu definitions removed\n",
	       removed, defs.n);
	cosi_definitions_clear(&defs);
	if (!e)
		e = cosi_definition_list(c, &defs);
	if (!e && defs.n) {
		printf("nlfuzz: cleanup: %zu definitions remain\n", defs.n);
		e = -ENOTEMPTY;
	}
	cosi_definitions_clear(&defs);
	cosi_close(c);
	return err ? err : e;
}

/* The store still works: define, create, get, list, destroy, undefine. */
static int still_works(void)
{
	COSI_OPTS(cosi_list_req, q, .ns = "default", .type = FUZZES);
	COSI_OPTS(cosi_req, r, .ns = "default", .type = FUZZES, .id = "after");
	struct cosi_spec spec = { 0 };
	struct cosi_resources l = { 0 };
	struct cosi_resource *got = NULL;
	struct cosi *c = cosi_open();
	int err;

	if (!c)
		return -errno;
	err = define_types();
	if (!err)
		err = cosi_spec_add_string(&spec, "s", "v");
	r.spec = &spec;
	if (!err)
		err = cosi_resource_create(c, &r, NULL);
	if (!err)
		err = cosi_resource_get(c, "default", FUZZES, "after", &got);
	if (!err && strcmp(cosi_spec_get(&got->spec, "s")->str, "v"))
		err = -EIO;
	if (!err)
		err = cosi_resource_list(c, &q, &l);
	if (!err && l.n != 1)
		err = -EIO;
	r.spec = NULL;
	if (!err)
		err = cosi_resource_destroy(c, &r, NULL);
	if (!err)
		err = cosi_definition_delete(c, FUZZES, NULL);
	if (!err)
		err = cosi_definition_delete(c, SECRETS, NULL);
	if (err)
		printf("nlfuzz: after fuzzing: %s\n",
		       cosi_strerror(c, "create/get/list"));
	cosi_resource_free(got);
	cosi_resources_clear(&l);
	cosi_spec_clear(&spec);
	cosi_close(c);
	return err;
}

static int resolve_family(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	int id, i;

	if (!sk || genl_connect(sk))
		return -ENOTCONN;
	id = genl_ctrl_resolve(sk, COSI_FAMILY_NAME);
	if (id >= 0 && genl_ctrl_alloc_cache(sk, &cache))
		id = -NLE_NOMEM;
	/* An id no family has, for ENOENT; never another family's. */
	for (i = 0x3ff; id >= 0 && i > NLMSG_MIN_TYPE && !unused_id; i--) {
		struct genl_family *f = genl_ctrl_search(cache, i);

		if (f)
			genl_family_put(f);
		else if (i != id)
			unused_id = i;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return id;
}

static bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int a, b;

	if (uname(&u) || sscanf(u.release, "%d.%d", &a, &b) != 2)
		return true;
	return a > maj || (a == maj && b >= min);
}

static void usage(void)
{
	fprintf(stderr, "usage: nlfuzz [-n MESSAGES] [-t SECONDS] [-s SEED] "
		"[-T REPLY_TIMEOUT_S] [-u UNPRIV_PERCENT] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t max_msgs = 200000, seed = 0;
	double secs = 60, t0, until, split;
	unsigned int unpriv_pct = 25;
	int opt, status;
	pid_t pid;

	while ((opt = getopt(argc, argv, "n:t:s:T:u:v")) != -1) {
		switch (opt) {
		case 'n':
			max_msgs = strtoull(optarg, NULL, 0);
			break;
		case 't':
			secs = strtod(optarg, NULL);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'T':
			reply_timeout_s = atoi(optarg);
			break;
		case 'u':
			unpriv_pct = atoi(optarg);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (!seed)
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	rng_state = seed;
	printf("nlfuzz: seed %" PRIu64 " (-s %" PRIu64 "), %" PRIu64
	       " messages, %.0f s\n", seed, seed, max_msgs, secs);
	fflush(stdout);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (unshare(CLONE_NEWNET)) {
		printf("nlfuzz: unshare(CLONE_NEWNET): %s (run as root)\n",
		       strerror(errno));
		return 1;
	}
	family_id = resolve_family();
	if (family_id < 0) {
		printf("nlfuzz: family %s: %s (is cosi.ko loaded?)\n",
		       COSI_FAMILY_NAME, nl_geterror(family_id));
		return 1;
	}
	kernel_dump_extack = kernel_at_least(6, 2);
	if (define_types())
		return 1;

	t0 = now_s();
	until = t0 + secs;
	split = t0 + secs * (100 - unpriv_pct) / 100;
	fuzz(true, max_msgs * (100 - unpriv_pct) / 100, split);
	print_figures(now_s() - t0);

	/* Unprivileged: uid/gid 65534, no capabilities, same netns. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		memset(hist, 0, sizeof(hist));
		n_sent = n_batches = n_events = n_replies = n_ok = 0;
		n_overruns = n_dump_nomsg = n_nofamily = 0;
		phase_name = "uid 65534";
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534)) {
			printf("nlfuzz: dropping privileges: %s\n",
			       strerror(errno));
			_exit(1);
		}
		rng_state ^= 0x9e3779b97f4a7c15ULL;
		t0 = now_s();
		fuzz(false, max_msgs * unpriv_pct / 100, until);
		print_figures(now_s() - t0);
		_exit(n_fails ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		fail("the unprivileged part failed");

	phase_name = "cleanup";
	if (cleanup())
		fail("cleanup");
	else if (still_works())
		fail("the store does not work after fuzzing");
	if (n_fails) {
		printf("nlfuzz: %u failures (seed %" PRIu64 ")\n", n_fails, seed);
		return 1;
	}
	printf("nlfuzz: ok\n");
	return 0;
}
