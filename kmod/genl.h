/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/cosi.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_COSI_GEN_H
#define _LINUX_COSI_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/cosi.h>
#include <compat.h>

/* Common nested types */
extern const struct nla_policy cosi_finalizers_nl_policy[COSI_A_FINALIZERS_FINALIZER + 1];
extern const struct nla_policy cosi_label_nl_policy[COSI_A_LABEL_VALUE + 1];
extern const struct nla_policy cosi_label_query_nl_policy[COSI_A_LABEL_QUERY_TERM + 1];
extern const struct nla_policy cosi_label_term_nl_policy[COSI_A_LABEL_TERM_INVERT + 1];
extern const struct nla_policy cosi_labels_nl_policy[COSI_A_LABELS_LABEL + 1];
extern const struct nla_policy cosi_print_column_nl_policy[COSI_A_PRINT_COLUMN_FIELD + 1];
extern const struct nla_policy cosi_schema_field_nl_policy[COSI_A_SCHEMA_FIELD_REQUIRED + 1];
extern const struct nla_policy cosi_spec_nl_policy[COSI_A_SPEC_FIELD + 1];
extern const struct nla_policy cosi_spec_field_nl_policy[COSI_A_SPEC_FIELD_STRINGS + 1];
extern const struct nla_policy cosi_string_list_nl_policy[COSI_A_STRING_LIST_ITEM + 1];

/* Ops table for cosi */
extern const struct genl_split_ops cosi_nl_ops[15];

int cosi_nl_resource_get_start(struct netlink_callback *cb);
int cosi_nl_definition_get_start(struct netlink_callback *cb);
int cosi_nl_watch_start(struct netlink_callback *cb);
int cosi_nl_resource_get_done(struct netlink_callback *cb);
int cosi_nl_definition_get_done(struct netlink_callback *cb);
int cosi_nl_watch_done(struct netlink_callback *cb);

int cosi_nl_resource_get_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_resource_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb);
int cosi_nl_resource_create_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_resource_update_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_resource_destroy_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_resource_teardown_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_finalizer_add_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_finalizer_remove_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_definition_set_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_definition_get_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_definition_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int cosi_nl_definition_delete_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_owner_claim_doit(struct sk_buff *skb, struct genl_info *info);
int cosi_nl_watch_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int cosi_nl_watch_stop_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	COSI_NLGRP_EVENTS,
};

#endif /* _LINUX_COSI_GEN_H */
