/* SPDX-License-Identifier: GPL-2.0 */
/* Netlink policies of the cosi family, one per op and per nest. */
#ifndef _COSI_POLICY_H
#define _COSI_POLICY_H

#include <net/netlink.h>

#include <linux/cosi.h>
#include "compat.h"

extern const struct nla_policy cosi_label_nl_policy[COSI_A_LABEL_MAX + 1];
extern const struct nla_policy cosi_spec_field_nl_policy[COSI_A_SPEC_FIELD_MAX + 1];
extern const struct nla_policy cosi_label_term_nl_policy[COSI_A_LABEL_TERM_MAX + 1];
extern const struct nla_policy cosi_schema_field_nl_policy[COSI_A_SCHEMA_FIELD_MAX + 1];
extern const struct nla_policy cosi_print_column_nl_policy[COSI_A_PRINT_COLUMN_MAX + 1];

extern const struct nla_policy cosi_resource_get_do_nl_policy[COSI_A_RESOURCE_ID + 1];
extern const struct nla_policy
cosi_resource_get_dump_nl_policy[COSI_A_RESOURCE_LABEL_QUERY + 1];
extern const struct nla_policy cosi_resource_create_nl_policy[COSI_A_RESOURCE_SPEC + 1];
extern const struct nla_policy cosi_resource_update_nl_policy[COSI_A_RESOURCE_EXPECTED_PHASE + 1];
extern const struct nla_policy
cosi_resource_destroy_nl_policy[COSI_A_RESOURCE_EXPECTED_VERSION + 1];
extern const struct nla_policy cosi_finalizer_nl_policy[COSI_A_RESOURCE_EXPECTED_VERSION + 1];
extern const struct nla_policy cosi_owner_claim_nl_policy[COSI_A_RESOURCE_OWNER + 1];
extern const struct nla_policy cosi_watch_nl_policy[COSI_A_RESOURCE_BOOTSTRAP + 1];
extern const struct nla_policy cosi_watch_stop_nl_policy[COSI_A_RESOURCE_WATCH_ID + 1];
extern const struct nla_policy cosi_definition_set_nl_policy[COSI_A_DEFINITION_WRITE_ACCESS + 1];
extern const struct nla_policy cosi_definition_type_nl_policy[COSI_A_DEFINITION_TYPE + 1];

#endif /* _COSI_POLICY_H */
