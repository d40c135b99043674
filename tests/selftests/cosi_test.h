/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the cosi selftests.  Include after the system headers
 * and before nothing else: it pulls in libcosi and the kselftest harness.
 *
 * Every fixture runs its test in a fresh network namespace (the harness
 * forks each test, and setup calls unshare(CLONE_NEWNET)), so the store
 * starts empty and vanishes with the test.  Module parameters are global:
 * tests that lower one save them all in setup and restore them in
 * teardown.
 */
#ifndef _COSI_TEST_H
#define _COSI_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>

#include "cosi_nl.h"
#include "kselftest_harness.h"

#define TEST_NS		"default"
#define WIDGET		"widgets"

/* Assert that a libcosi call succeeds / fails with @err; log the extack. */
#define ASSERT_COSI_OK(c, call) \
	ASSERT_EQ(0, (call)) TH_LOG("%s", cosi_strerror(c, #call))
#define EXPECT_COSI_OK(c, call) \
	EXPECT_EQ(0, (call)) TH_LOG("%s", cosi_strerror(c, #call))
#define ASSERT_COSI_ERR(c, err, call) \
	ASSERT_EQ(-(err), (call)) TH_LOG("%s", cosi_strerror(c, #call))
#define EXPECT_COSI_ERR(c, err, call) \
	EXPECT_EQ(-(err), (call)) TH_LOG("%s", cosi_strerror(c, #call))

/*
 * An out-of-range integer (enum value, bool of 2): the design calls it a
 * bad attribute (EINVAL), netlink's range policies answer ERANGE.
 */
#define EXPECT_OUT_OF_RANGE(c, call) do {				\
	int __ret = (call);						\
									\
	EXPECT_TRUE(__ret == -EINVAL || __ret == -ERANGE)		\
		TH_LOG("%s", cosi_strerror(c, #call));			\
} while (0)

/* Open a handle in the current netns, or fail saying why. */
#define COSI_OPEN(c) do {						\
	(c) = cosi_open();						\
	ASSERT_NE(NULL, (c))						\
		TH_LOG("cosi_open: %s (is cosi.ko loaded?)",		\
		       strerror(errno));				\
} while (0)

/* Move the calling process into a new, empty network namespace. */
#define NEW_NETNS() do {						\
	if (unshare(CLONE_NEWNET)) {					\
		if (errno == EPERM)					\
			SKIP(return, "unshare(CLONE_NEWNET) needs root"); \
		ASSERT_EQ(0, -errno) TH_LOG("unshare: %m");		\
	}								\
} while (0)

/* Raw netlink requests, for control over sending and reading. */

/* Send @m (consumed) with @seq and @flags. */
static inline int raw_send(int fd, struct nl_msg *m, uint32_t seq, int flags)
{
	struct nlmsghdr *nlh;
	ssize_t n;

	if (!m)
		return -ENOMEM;
	nlh = nlmsg_hdr(m);
	nlh->nlmsg_flags |= NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	n = send(fd, nlh, nlh->nlmsg_len, 0);
	nlmsg_free(m);
	return n < 0 ? -errno : 0;
}

/* Module parameters. */

static const char *const cosi_params[] = {
	"max_resources", "max_spec_size", "max_labels", "max_finalizers",
	"max_definitions", "max_watchers", "max_unpriv_watchers",
	"max_socket_watchers",
	"history_size", "history_bytes",
};

#define COSI_NPARAMS	(sizeof(cosi_params) / sizeof(cosi_params[0]))

static inline long param_get(const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/cosi/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static inline int param_set(const char *name, long val)
{
	char path[128];
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/cosi/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%ld\n", val) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

static inline void params_save(long saved[COSI_NPARAMS])
{
	size_t i;

	for (i = 0; i < COSI_NPARAMS; i++)
		saved[i] = param_get(cosi_params[i]);
}

static inline void params_restore(const long saved[COSI_NPARAMS])
{
	size_t i;

	for (i = 0; i < COSI_NPARAMS; i++)
		if (saved[i] >= 0 && param_get(cosi_params[i]) != saved[i])
			param_set(cosi_params[i], saved[i]);
}

#define PARAM_SET(name, val) \
	ASSERT_EQ(0, param_set(name, val)) TH_LOG("setting %s: %s", name, \
						  strerror(-param_set(name, val)))

/* Whether the running kernel is @maj.@min or later (true if unknown). */
static inline bool kernel_at_least(int maj, int min)
{
	struct utsname u;
	int kmaj, kmin;

	if (uname(&u) || sscanf(u.release, "%d.%d", &kmaj, &kmin) != 2)
		return true;
	return kmaj > maj || (kmaj == maj && kmin >= min);
}

/* Kernels before 6.2 cannot format extack messages (no field names). */
static inline bool kernel_fmt_extack(void)
{
	return kernel_at_least(6, 2);
}

/* The name of the spec field of the last request the extack points into. */
static inline const char *extack_spec_field(struct cosi *c)
{
	struct nlattr *tb[COSI_A_RESOURCE_MAX + 1], *ftb[COSI_A_SPEC_FIELD_MAX + 1];
	const struct cosi_err *e = cosi_last_error(c);
	struct nlmsghdr *nlh = (struct nlmsghdr *)cosi_last_request(c);
	struct nlattr *f;
	uint32_t off;
	int rem;

	if (!nlh || !e->has_offset ||
	    genlmsg_parse(nlh, 0, tb, COSI_A_RESOURCE_MAX, NULL) ||
	    !tb[COSI_A_RESOURCE_SPEC])
		return NULL;
	nla_for_each_nested(f, tb[COSI_A_RESOURCE_SPEC], rem) {
		off = (char *)f - (char *)nlh;
		if (e->offset < off || e->offset >= off + f->nla_len)
			continue;
		if (nla_parse_nested(ftb, COSI_A_SPEC_FIELD_MAX, f, NULL) ||
		    !ftb[COSI_A_SPEC_FIELD_NAME])
			return NULL;
		return nla_get_string(ftb[COSI_A_SPEC_FIELD_NAME]);
	}
	return NULL;
}

/*
 * Whether the extack of the last failed request names the spec field
 * @name.  The design promises messages naming the field; 6.1 kernels can
 * only send fixed messages, so there the extack offset must point into
 * that field (or, when no field attribute is to blame, e.g. a missing
 * required field, the message must at least be there).
 */
static inline bool extack_names(struct cosi *c, const char *name)
{
	const struct cosi_err *e = cosi_last_error(c);
	const char *field;

	if (strstr(e->msg, name))
		return true;
	if (kernel_fmt_extack())
		return false;
	field = extack_spec_field(c);
	return field ? !strcmp(field, name) : e->msg[0] != '\0';
}

#define ASSERT_EXTACK_NAMES(c, name) \
	ASSERT_TRUE(extack_names(c, name)) \
		TH_LOG("extack \"%s\" does not name '%s'", \
		       cosi_last_error(c)->msg, name)

/* Building blocks. */

/* Key/value pairs from a NULL-terminated list: "k1", "v1", ..., NULL. */
static inline struct cosi_kvs kvs_make(const char *key, ...)
{
	struct cosi_kvs kvs = { 0 };
	const char *value;
	va_list ap;

	va_start(ap, key);
	while (key) {
		value = va_arg(ap, const char *);
		cosi_kvs_add(&kvs, key, value);
		key = va_arg(ap, const char *);
	}
	va_end(ap);
	return kvs;
}

/* Strings from a NULL-terminated list. */
static inline struct cosi_strs strs_make(const char *s, ...)
{
	struct cosi_strs strs = { 0 };
	va_list ap;

	va_start(ap, s);
	for (; s; s = va_arg(ap, const char *))
		cosi_strs_add(&strs, s);
	va_end(ap);
	return strs;
}

/* A string of @len copies of @c (static buffer, up to 4 KiB). */
static inline const char *str_of(char c, size_t len)
{
	static char buf[4][4097];
	static int which;
	char *s = buf[which++ % 4];

	if (len > 4096)
		len = 4096;
	memset(s, c, len);
	s[len] = '\0';
	return s;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * The widget type used by most tests: a required string "name", and an
 * optional field of every other type.
 */
static inline int widget_define(struct cosi *c, const char *type,
				uint32_t sensitivity)
{
	struct cosi_definition *d = cosi_def_new(type);
	int err = 0;

	if (!d)
		return -ENOMEM;
	d->sensitivity = sensitivity;
	if (!err)
		err = cosi_def_add_field(d, "name", COSI_FIELD_TYPE_STRING, true);
	if (!err)
		err = cosi_def_add_field(d, "mtu", COSI_FIELD_TYPE_U64, false);
	if (!err)
		err = cosi_def_add_field(d, "offset", COSI_FIELD_TYPE_S64, false);
	if (!err)
		err = cosi_def_add_field(d, "enabled", COSI_FIELD_TYPE_BOOL, false);
	if (!err)
		err = cosi_def_add_field(d, "blob", COSI_FIELD_TYPE_BYTES, false);
	if (!err)
		err = cosi_def_add_field(d, "tags", COSI_FIELD_TYPE_STRING_LIST,
					 false);
	if (!err)
		err = cosi_definition_set(c, d, NULL);
	cosi_definition_free(d);
	return err;
}

/* Create a widget with spec { name = @name } and @labels (may be NULL). */
static inline int widget_create_ns(struct cosi *c, const char *ns,
				   const char *type, const char *id,
				   const char *name,
				   const struct cosi_kvs *labels,
				   struct cosi_resource **out)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = ns, .type = type, .id = id, .labels = labels,
		.spec = &spec,
	);
	int err = cosi_spec_add_string(&spec, "name", name);

	if (!err)
		err = cosi_resource_create(c, &r, out);
	cosi_spec_clear(&spec);
	return err;
}

static inline int widget_create(struct cosi *c, const char *type,
				const char *id, const struct cosi_kvs *labels,
				struct cosi_resource **out)
{
	return widget_create_ns(c, TEST_NS, type, id, id, labels, out);
}

/*
 * Update a widget: spec { name = @name } and, when @labels is not NULL,
 * the labels.  The spec is always sent (see the report on update without
 * a spec).
 */
static inline int widget_update(struct cosi *c, const char *type,
				const char *id, const char *name,
				const struct cosi_kvs *labels,
				struct cosi_resource **out)
{
	struct cosi_spec spec = { 0 };
	COSI_OPTS(cosi_req, r,
		.ns = TEST_NS, .type = type, .id = id, .labels = labels,
		.spec = &spec,
	);
	int err = cosi_spec_add_string(&spec, "name", name);

	if (!err)
		err = cosi_resource_update(c, &r, out);
	cosi_spec_clear(&spec);
	return err;
}

static inline int widget_destroy(struct cosi *c, const char *type,
				 const char *id, uint64_t *revision)
{
	COSI_OPTS(cosi_req, r, .ns = TEST_NS, .type = type, .id = id);

	return cosi_resource_destroy(c, &r, revision);
}

/*
 * @n widget creates for cosi_batch() (spec { name = @name }, ack-only
 * when @ack_only), ids "b00", "b01"... written into @ids; op @bad fails:
 * its type is @bad_type, or its id @bad_id, when not NULL.  0 or -ENOMEM
 * (the ops made are freed).  widget_batch(): name "x", echoed.
 */
static inline int widget_batch_name(struct cosi *c, struct cosi_batch_op *ops,
				    char (*ids)[8], size_t n, const char *name,
				    bool ack_only, size_t bad,
				    const char *bad_type, const char *bad_id)
{
	struct cosi_spec spec = { 0 };
	size_t i;
	int err = cosi_spec_add_string(&spec, "name", name);

	memset(ops, 0, n * sizeof(*ops));
	for (i = 0; !err && i < n; i++) {
		COSI_OPTS(cosi_req, r,
			.ns = TEST_NS, .type = WIDGET, .id = ids[i],
			.spec = &spec, .ack_only = ack_only,
		);

		snprintf(ids[i], sizeof(ids[i]), "b%02zu", i);
		if (i == bad && bad_type)
			r.type = bad_type;
		if (i == bad && bad_id)
			r.id = bad_id;
		ops[i].msg = cosi_req_msg(c, COSI_CMD_RESOURCE_CREATE, &r);
		if (!ops[i].msg)
			err = -ENOMEM;
	}
	for (i = 0; err && i < n; i++) {
		nlmsg_free(ops[i].msg);
		ops[i].msg = NULL;
	}
	cosi_spec_clear(&spec);
	return err;
}

static inline int widget_batch(struct cosi *c, struct cosi_batch_op *ops,
			       char (*ids)[8], size_t n, size_t bad,
			       const char *bad_type, const char *bad_id)
{
	return widget_batch_name(c, ops, ids, n, "x", false, bad, bad_type,
				 bad_id);
}

/* The ids of a list, joined with ',' (caller frees). */
static inline char *ids_join(const struct cosi_resources *l)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]->id) + 1;
	s = calloc(1, len);
	for (i = 0; s && i < l->n; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, l->v[i]->id);
	}
	return s;
}

/* Watches: receiving events with a deadline. */

static inline uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static inline uint64_t mono_ms(void)
{
	return mono_us() / 1000;
}

/* Receive until @v holds @n events: 0, -ETIMEDOUT, or cosi_watch_recv()'s. */
static inline int recv_n(struct cosi *c, struct cosi_event_vec *v, size_t n,
			 int timeout_ms)
{
	uint64_t end = mono_ms() + timeout_ms;
	int ret;

	while (v->n < n) {
		if (mono_ms() >= end)
			return -ETIMEDOUT;
		ret = cosi_watch_recv(c, end - mono_ms(), cosi_event_vec_push, v);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The number of events arriving within @ms. */
static inline size_t recv_quiet(struct cosi *c, int ms)
{
	struct cosi_event_vec v = { 0 };
	size_t n;

	recv_n(c, &v, SIZE_MAX, ms);
	n = v.n;
	cosi_event_vec_clear(&v);
	return n;
}

#endif /* _COSI_TEST_H */
