// SPDX-License-Identifier: GPL-2.0
/*
 * Watches: bootstrap, live events, filtered transitions, resume from the
 * history, overflow recovery, and the multicast group.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>

#include "kselftest_harness.h"
#include "cosi_nl.h"
#include "cosi_fixture.h"

static int watch(struct ct *ct, const char *type, bool bootstrap,
		 long long since, const char *query, struct ct_list *out)
{
	struct nl_msg *m = ct_msg(ct, COSI_CMD_WATCH, NLM_F_DUMP);

	ct_put_key(m, "ns", type, NULL);
	if (bootstrap)
		nla_put_flag(m, COSI_A_RESOURCE_BOOTSTRAP);
	if (since >= 0)
		nla_put_u64(m, COSI_A_RESOURCE_SINCE_REVISION, since);
	if (query)
		ct_put_query(m, 1, &query);
	return ct_req(ct, m, out);
}

TEST_F(cosi, bootstrap_then_live)
{
	struct ct w;
	struct ct_list l = {}, ev = {};
	struct ct_obj o;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "b", 1, 0, NULL, &o));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "a", 1, 0, NULL, &o));
	ASSERT_EQ(0, ct_open(&w));
	ASSERT_EQ(0, watch(&w, self->type, true, -1, NULL, &l));
	ASSERT_EQ(3, l.n);
	EXPECT_STREQ("a", l.v[0].id);
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, l.v[0].event);
	EXPECT_STREQ("b", l.v[1].id);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, l.v[2].event);
	EXPECT_EQ(o.revision, l.v[2].revision);

	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "a", 2, -1, NULL, &o));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "c", 1, 0, NULL, &o));
	ASSERT_EQ(0, ct_destroy(&self->ct, "ns", self->type, "b"));
	ASSERT_EQ(0, ct_recv_events(&w, &ev, 200));
	ASSERT_EQ(3, ev.n);
	EXPECT_EQ(COSI_CMD_RESOURCE_EVENT, ev.v[0].cmd);
	EXPECT_EQ(COSI_EVENT_KIND_UPDATED, ev.v[0].event);
	EXPECT_EQ(2, ev.v[0].u64_field);
	EXPECT_EQ(l.v[0].watch_id, ev.v[0].watch_id);
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, ev.v[1].event);
	EXPECT_EQ(COSI_EVENT_KIND_DESTROYED, ev.v[2].event);
	EXPECT_STREQ("b", ev.v[2].id);
	EXPECT_LT(ev.v[0].revision, ev.v[1].revision);
	EXPECT_LT(ev.v[1].revision, ev.v[2].revision);
	ct_list_free(&l);
	ct_list_free(&ev);
	ct_close(&w);
}

TEST_F(cosi, filtered_transitions)
{
	const char *in[] = { "env=prod" }, *out[] = { "env=dev" };
	struct ct_list l = {}, ev = {};
	struct ct w;
	struct ct_obj o;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "x", 1, 1, out, &o));
	ASSERT_EQ(0, ct_open(&w));
	ASSERT_EQ(0, watch(&w, self->type, true, -1, "env equal prod", &l));
	ASSERT_EQ(1, l.n);	/* only the marker: x does not match */

	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "x", 1, 1, in, &o));
	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "x", 2, 1, in, &o));
	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "x", 2, 1, out, &o));
	ASSERT_EQ(0, ct_recv_events(&w, &ev, 200));
	ASSERT_EQ(3, ev.n);
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, ev.v[0].event);
	EXPECT_EQ(COSI_EVENT_KIND_UPDATED, ev.v[1].event);
	EXPECT_NE(0, ev.v[1].n_old_labels);	/* updated carries old labels */
	EXPECT_EQ(COSI_EVENT_KIND_DESTROYED, ev.v[2].event);
	ct_list_free(&l);
	ct_list_free(&ev);
	ct_close(&w);
}

TEST_F(cosi, resume_from_history)
{
	struct ct_list l = {};
	struct ct w;
	struct ct_obj o;
	uint64_t since;

	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "r", 1, 0, NULL, &o));
	since = o.revision;
	ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "r", 2, -1, NULL, &o));
	ASSERT_EQ(0, ct_destroy(&self->ct, "ns", self->type, "r"));

	ASSERT_EQ(0, ct_open(&w));
	ASSERT_EQ(0, watch(&w, self->type, false, since, NULL, &l));
	ASSERT_EQ(3, l.n);
	EXPECT_EQ(COSI_EVENT_KIND_UPDATED, l.v[0].event);
	EXPECT_EQ(COSI_EVENT_KIND_DESTROYED, l.v[1].event);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, l.v[2].event);
	ct_list_free(&l);

	EXPECT_EQ(-ERANGE, watch(&w, self->type, false, 1ULL << 40, NULL, NULL));
	EXPECT_EQ(-EINVAL, watch(&w, self->type, true, 1, NULL, NULL));
	EXPECT_EQ(-ENOENT, watch(&w, "No.such.type", true, -1, NULL, NULL));
	ct_close(&w);
}

TEST_F(cosi, history_too_old)
{
	struct ct_obj o;
	long saved;
	int i;

	/* history_size is read when a netns is set up: use a new one. */
	ASSERT_EQ(0, cosi_param_set("history_size", 16, &saved));
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	cosi_param_restore("history_size", saved);
	ct_close(&self->ct);
	ASSERT_EQ(0, ct_open(&self->ct));
	ASSERT_EQ(0, ct_define(&self->ct, self->type, false));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "h", 0, 0, NULL, &o));
	for (i = 1; i <= 40; i++)
		ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, "h", i, -1,
				       NULL, &o));
	EXPECT_EQ(-ENODATA, watch(&self->ct, self->type, false, 2, NULL, NULL));
	if (kernel_at_least(6, 2))
		EXPECT_NE(NULL, strstr(self->ct.extack,
				       "older than the event history"));
	EXPECT_EQ(0, watch(&self->ct, self->type, false, o.revision - 5, NULL, NULL));
}

TEST_F(cosi, overflow_then_resume)
{
	struct ct_list l = {}, ev = {}, fresh = {};
	int rcvbuf = 4096, i, err;
	uint64_t last, n_last = 0;
	char id[16];
	struct ct w;
	struct ct_obj o;

	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "o%02d", i);
		ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, id, 0, 0, NULL, &o));
	}
	ASSERT_EQ(0, ct_open(&w));
	ASSERT_EQ(0, watch(&w, self->type, true, -1, NULL, &l));
	last = l.v[l.n - 1].revision;
	ct_list_free(&l);
	setsockopt(nl_socket_get_fd(w.sk), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		   sizeof(rcvbuf));

	/* The writer never blocks on the watcher that does not read. */
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "o%02d", i % 10);
		ASSERT_EQ(0, ct_update(&self->ct, "ns", self->type, id, i + 1,
				       -1, NULL, &o));
	}
	err = ct_recv_events(&w, &ev, 200);
	EXPECT_EQ(-ENOBUFS, err);
	for (i = 0; i < ev.n; i++)
		last = ev.v[i].revision;
	ct_list_free(&ev);

	/* The watch stopped; restart it from the last revision seen. */
	ct_close(&w);
	ASSERT_EQ(0, ct_open(&w));
	ASSERT_EQ(0, watch(&w, self->type, false, last, NULL, &l));
	EXPECT_GT(l.n, 1);
	EXPECT_EQ(COSI_EVENT_KIND_BOOTSTRAPPED, l.v[l.n - 1].event);
	for (i = 0; i < l.n - 1; i++)
		if (!strcmp(l.v[i].id, "o09"))
			n_last = l.v[i].u64_field;
	/* The replay ends with each resource's current state. */
	ASSERT_EQ(0, ct_list(&self->ct, "ns", self->type, &fresh));
	ASSERT_EQ(10, fresh.n);
	EXPECT_EQ(fresh.v[9].u64_field, n_last);
	ct_list_free(&l);
	ct_list_free(&fresh);
	ct_close(&w);
}

TEST_F(cosi, watch_stop_and_multicast)
{
	struct ct_list l = {}, ev = {};
	struct ct w;
	struct ct_obj o;
	struct nl_msg *m;

	ASSERT_EQ(0, ct_open(&w));
	ASSERT_EQ(0, watch(&w, self->type, false, -1, NULL, &l));
	m = ct_msg(&w, COSI_CMD_WATCH_STOP, 0);
	nla_put_u32(m, COSI_A_RESOURCE_WATCH_ID, l.v[0].watch_id);
	ASSERT_EQ(0, ct_req(&w, m, NULL));
	m = ct_msg(&w, COSI_CMD_WATCH_STOP, 0);
	nla_put_u32(m, COSI_A_RESOURCE_WATCH_ID, l.v[0].watch_id);
	EXPECT_EQ(-ENOENT, ct_req(&w, m, NULL));
	ct_list_free(&l);

	ASSERT_GT(w.group, 0);
	ASSERT_EQ(0, nl_socket_add_membership(w.sk, w.group));
	ASSERT_EQ(0, ct_create(&self->ct, "ns", self->type, "m", 4, 0, NULL, &o));
	ASSERT_EQ(0, ct_recv_events(&w, &ev, 200));
	ASSERT_EQ(1, ev.n);	/* the multicast copy only: the watch stopped */
	EXPECT_EQ(COSI_EVENT_KIND_CREATED, ev.v[0].event);
	EXPECT_EQ(0, ev.v[0].watch_id);
	EXPECT_EQ(4, ev.v[0].u64_field);
	ct_list_free(&ev);
	ct_close(&w);
}

TEST_HARNESS_MAIN
