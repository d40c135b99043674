/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-side netlink helpers over libnl-genl-3: requests to the cosi
 * family, replies parsed into struct ct_obj, errno and extack captured.
 */
#ifndef COSI_NL_H
#define COSI_NL_H

#include <stdbool.h>
#include <stdint.h>
#include <netlink/genl/genl.h>
#include <linux/cosi.h>

struct ct {
	struct nl_sock *sk;
	int family;
	int group;		/* "events" multicast group id */
	int err;		/* last error, -errno */
	char extack[256];	/* last extack message */
	bool dump_intr;		/* a dump reply carried NLM_F_DUMP_INTR */
};

/* One reply or event, the attributes tests look at. */
struct ct_obj {
	uint8_t cmd;
	char ns[64], type[128], id[256], owner[64];
	uint64_t version, revision;
	uint32_t phase, event, watch_id, destroy_ready, resources;
	int n_labels, n_finalizers, n_fields, n_old_labels;
	char label_key[8][64], label_val[8][256];
	char finalizers[8][128];
	uint64_t u64_field;	/* value of the spec field named "n", if any */
	bool has_spec;
};

struct ct_list {
	struct ct_obj *v;
	int n, cap;
};

int ct_open(struct ct *ct);
void ct_close(struct ct *ct);

struct nl_msg *ct_msg(struct ct *ct, uint8_t cmd, int flags);
void ct_put_key(struct nl_msg *m, const char *ns, const char *type,
		const char *id);
void ct_put_labels(struct nl_msg *m, int attr, int n, const char *const *kv);
/* Spec from "name=u64:5", "name=str:x", "name=s64:-1", "name=bool:1". */
int ct_put_spec(struct nl_msg *m, int n, const char *const *fields);
void ct_put_finalizers(struct nl_msg *m, int n, const char *const *names);
/* One query: terms "key op value[,value] [!]" with op in the label-op names. */
int ct_put_query(struct nl_msg *m, int n, const char *const *terms);

/* Send and collect replies (and events of a watch dump) into @out. */
int ct_req(struct ct *ct, struct nl_msg *m, struct ct_list *out);
/* Receive live events until none arrive for @ms milliseconds. */
int ct_recv_events(struct ct *ct, struct ct_list *out, int ms);
void ct_list_free(struct ct_list *l);

/* Convenience wrappers; they return 0 or -errno. */
int ct_define(struct ct *ct, const char *type, bool sensitive);
int ct_create(struct ct *ct, const char *ns, const char *type, const char *id,
	      uint64_t n, int nlabels, const char *const *labels,
	      struct ct_obj *out);
int ct_update(struct ct *ct, const char *ns, const char *type, const char *id,
	      uint64_t n, int nlabels, const char *const *labels,
	      struct ct_obj *out);
int ct_get(struct ct *ct, const char *ns, const char *type, const char *id,
	   struct ct_obj *out);
int ct_destroy(struct ct *ct, const char *ns, const char *type,
	       const char *id);
int ct_list(struct ct *ct, const char *ns, const char *type,
	    struct ct_list *out);

#endif
