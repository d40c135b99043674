// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/cosi.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "genl.h"

#include <uapi/linux/cosi.h>
#include <compat.h>

/* Common nested types */
const struct nla_policy cosi_finalizers_nl_policy[COSI_A_FINALIZERS_FINALIZER + 1] = {
	[COSI_A_FINALIZERS_FINALIZER] = { .type = NLA_NUL_STRING, .len = COSI_FINALIZER_MAX_LEN, },
};

const struct nla_policy cosi_label_nl_policy[COSI_A_LABEL_VALUE + 1] = {
	[COSI_A_LABEL_KEY] = { .type = NLA_NUL_STRING, .len = COSI_LABEL_KEY_MAX_LEN, },
	[COSI_A_LABEL_VALUE] = { .type = NLA_NUL_STRING, .len = COSI_LABEL_VALUE_MAX_LEN, },
};

const struct nla_policy cosi_label_query_nl_policy[COSI_A_LABEL_QUERY_TERM + 1] = {
	[COSI_A_LABEL_QUERY_TERM] = NLA_POLICY_NESTED(cosi_label_term_nl_policy),
};

const struct nla_policy cosi_label_term_nl_policy[COSI_A_LABEL_TERM_INVERT + 1] = {
	[COSI_A_LABEL_TERM_KEY] = { .type = NLA_NUL_STRING, .len = COSI_LABEL_KEY_MAX_LEN, },
	[COSI_A_LABEL_TERM_OP] = NLA_POLICY_MAX(NLA_U32, 6),
	[COSI_A_LABEL_TERM_VALUE] = { .type = NLA_NUL_STRING, .len = COSI_LABEL_VALUE_MAX_LEN, },
	[COSI_A_LABEL_TERM_INVERT] = { .type = NLA_FLAG, },
};

const struct nla_policy cosi_labels_nl_policy[COSI_A_LABELS_LABEL + 1] = {
	[COSI_A_LABELS_LABEL] = NLA_POLICY_NESTED(cosi_label_nl_policy),
};

const struct nla_policy cosi_print_column_nl_policy[COSI_A_PRINT_COLUMN_FIELD + 1] = {
	[COSI_A_PRINT_COLUMN_NAME] = { .type = NLA_NUL_STRING, .len = COSI_FIELD_MAX_LEN, },
	[COSI_A_PRINT_COLUMN_FIELD] = { .type = NLA_NUL_STRING, .len = COSI_FIELD_MAX_LEN, },
};

const struct nla_policy cosi_schema_field_nl_policy[COSI_A_SCHEMA_FIELD_REQUIRED + 1] = {
	[COSI_A_SCHEMA_FIELD_NAME] = { .type = NLA_NUL_STRING, .len = COSI_FIELD_MAX_LEN, },
	[COSI_A_SCHEMA_FIELD_TYPE] = NLA_POLICY_RANGE(NLA_U32, 1, 6),
	[COSI_A_SCHEMA_FIELD_REQUIRED] = { .type = NLA_FLAG, },
};

const struct nla_policy cosi_spec_nl_policy[COSI_A_SPEC_FIELD + 1] = {
	[COSI_A_SPEC_FIELD] = NLA_POLICY_NESTED(cosi_spec_field_nl_policy),
};

const struct nla_policy cosi_spec_field_nl_policy[COSI_A_SPEC_FIELD_STRINGS + 1] = {
	[COSI_A_SPEC_FIELD_NAME] = { .type = NLA_NUL_STRING, .len = COSI_FIELD_MAX_LEN, },
	[COSI_A_SPEC_FIELD_STRING] = { .type = NLA_NUL_STRING, .len = COSI_SPEC_MAX_SIZE, },
	[COSI_A_SPEC_FIELD_U64] = { .type = NLA_U64, },
	[COSI_A_SPEC_FIELD_S64] = { .type = NLA_S64, },
	[COSI_A_SPEC_FIELD_BOOL] = NLA_POLICY_MAX(NLA_U8, 1),
	[COSI_A_SPEC_FIELD_BYTES] = NLA_POLICY_MAX_LEN(COSI_SPEC_MAX_SIZE),
	[COSI_A_SPEC_FIELD_STRINGS] = NLA_POLICY_NESTED(cosi_string_list_nl_policy),
};

const struct nla_policy cosi_string_list_nl_policy[COSI_A_STRING_LIST_ITEM + 1] = {
	[COSI_A_STRING_LIST_ITEM] = { .type = NLA_NUL_STRING, .len = COSI_SPEC_MAX_SIZE, },
};

/* COSI_CMD_RESOURCE_GET - do */
static const struct nla_policy cosi_resource_get_do_nl_policy[COSI_A_RESOURCE_ID + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
};

/* COSI_CMD_RESOURCE_GET - dump */
static const struct nla_policy cosi_resource_get_dump_nl_policy[COSI_A_RESOURCE_COMPACT + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID_PREFIX] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_LABEL_QUERY] = NLA_POLICY_NESTED(cosi_label_query_nl_policy),
	[COSI_A_RESOURCE_COMPACT] = { .type = NLA_FLAG, },
};

/* COSI_CMD_RESOURCE_CREATE - do */
static const struct nla_policy cosi_resource_create_nl_policy[COSI_A_RESOURCE_QUIET + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_LABELS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_ANNOTATIONS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_SPEC] = NLA_POLICY_NESTED(cosi_spec_nl_policy),
	[COSI_A_RESOURCE_ACK_ONLY] = { .type = NLA_FLAG, },
	[COSI_A_RESOURCE_QUIET] = { .type = NLA_FLAG, },
};

/* COSI_CMD_RESOURCE_UPDATE - do */
static const struct nla_policy cosi_resource_update_nl_policy[COSI_A_RESOURCE_QUIET + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_LABELS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_ANNOTATIONS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_SPEC] = NLA_POLICY_NESTED(cosi_spec_nl_policy),
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64, },
	[COSI_A_RESOURCE_EXPECTED_PHASE] = NLA_POLICY_MAX(NLA_U32, 1),
	[COSI_A_RESOURCE_ACK_ONLY] = { .type = NLA_FLAG, },
	[COSI_A_RESOURCE_QUIET] = { .type = NLA_FLAG, },
};

/* COSI_CMD_RESOURCE_DESTROY - do */
static const struct nla_policy cosi_resource_destroy_nl_policy[COSI_A_RESOURCE_QUIET + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64, },
	[COSI_A_RESOURCE_QUIET] = { .type = NLA_FLAG, },
};

/* COSI_CMD_RESOURCE_TEARDOWN - do */
static const struct nla_policy cosi_resource_teardown_nl_policy[COSI_A_RESOURCE_QUIET + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64, },
	[COSI_A_RESOURCE_ACK_ONLY] = { .type = NLA_FLAG, },
	[COSI_A_RESOURCE_QUIET] = { .type = NLA_FLAG, },
};

/* COSI_CMD_FINALIZER_ADD - do */
static const struct nla_policy cosi_finalizer_add_nl_policy[COSI_A_RESOURCE_QUIET + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_FINALIZERS] = NLA_POLICY_NESTED(cosi_finalizers_nl_policy),
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64, },
	[COSI_A_RESOURCE_ACK_ONLY] = { .type = NLA_FLAG, },
	[COSI_A_RESOURCE_QUIET] = { .type = NLA_FLAG, },
};

/* COSI_CMD_FINALIZER_REMOVE - do */
static const struct nla_policy cosi_finalizer_remove_nl_policy[COSI_A_RESOURCE_QUIET + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_FINALIZERS] = NLA_POLICY_NESTED(cosi_finalizers_nl_policy),
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64, },
	[COSI_A_RESOURCE_ACK_ONLY] = { .type = NLA_FLAG, },
	[COSI_A_RESOURCE_QUIET] = { .type = NLA_FLAG, },
};

/* COSI_CMD_DEFINITION_SET - do */
static const struct nla_policy cosi_definition_set_nl_policy[COSI_A_DEFINITION_WRITE_ACCESS + 1] = {
	[COSI_A_DEFINITION_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_DEFINITION_ALIAS] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_DEFINITION_DEFAULT_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_DEFINITION_SENSITIVITY] = NLA_POLICY_MAX(NLA_U32, 1),
	[COSI_A_DEFINITION_FIELD] = NLA_POLICY_NESTED(cosi_schema_field_nl_policy),
	[COSI_A_DEFINITION_PRINT_COLUMN] = NLA_POLICY_NESTED(cosi_print_column_nl_policy),
	[COSI_A_DEFINITION_WRITE_ACCESS] = NLA_POLICY_MAX(NLA_U32, 1),
};

/* COSI_CMD_DEFINITION_GET - do */
static const struct nla_policy cosi_definition_get_do_nl_policy[COSI_A_DEFINITION_TYPE + 1] = {
	[COSI_A_DEFINITION_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
};

/* COSI_CMD_DEFINITION_GET - dump */
static const struct nla_policy cosi_definition_get_dump_nl_policy[COSI_A_DEFINITION_PAD + 1] = {
};

/* COSI_CMD_DEFINITION_DELETE - do */
static const struct nla_policy cosi_definition_delete_nl_policy[COSI_A_DEFINITION_TYPE + 1] = {
	[COSI_A_DEFINITION_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
};

/* COSI_CMD_OWNER_CLAIM - do */
static const struct nla_policy cosi_owner_claim_nl_policy[COSI_A_RESOURCE_OWNER + 1] = {
	[COSI_A_RESOURCE_OWNER] = { .type = NLA_NUL_STRING, .len = COSI_OWNER_MAX_LEN, },
};

/* COSI_CMD_WATCH - dump */
static const struct nla_policy cosi_watch_nl_policy[COSI_A_RESOURCE_BOOTSTRAP + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = { .type = NLA_NUL_STRING, .len = COSI_NAMESPACE_MAX_LEN, },
	[COSI_A_RESOURCE_TYPE] = { .type = NLA_NUL_STRING, .len = COSI_TYPE_MAX_LEN, },
	[COSI_A_RESOURCE_ID] = { .type = NLA_NUL_STRING, .len = COSI_ID_MAX_LEN, },
	[COSI_A_RESOURCE_LABEL_QUERY] = NLA_POLICY_NESTED(cosi_label_query_nl_policy),
	[COSI_A_RESOURCE_BOOTSTRAP] = { .type = NLA_FLAG, },
	[COSI_A_RESOURCE_SINCE_REVISION] = { .type = NLA_U64, },
};

/* COSI_CMD_WATCH_STOP - do */
static const struct nla_policy cosi_watch_stop_nl_policy[COSI_A_RESOURCE_WATCH_ID + 1] = {
	[COSI_A_RESOURCE_WATCH_ID] = { .type = NLA_U32, },
};

/* Ops table for cosi */
const struct genl_split_ops cosi_nl_ops[15] = {
	{
		.cmd		= COSI_CMD_RESOURCE_GET,
		.doit		= cosi_nl_resource_get_doit,
		.policy		= cosi_resource_get_do_nl_policy,
		.maxattr	= COSI_A_RESOURCE_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_RESOURCE_GET,
		.start		= cosi_nl_resource_get_start,
		.dumpit		= cosi_nl_resource_get_dumpit,
		.done		= cosi_nl_resource_get_done,
		.policy		= cosi_resource_get_dump_nl_policy,
		.maxattr	= COSI_A_RESOURCE_COMPACT,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= COSI_CMD_RESOURCE_CREATE,
		.doit		= cosi_nl_resource_create_doit,
		.policy		= cosi_resource_create_nl_policy,
		.maxattr	= COSI_A_RESOURCE_QUIET,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_RESOURCE_UPDATE,
		.doit		= cosi_nl_resource_update_doit,
		.policy		= cosi_resource_update_nl_policy,
		.maxattr	= COSI_A_RESOURCE_QUIET,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_RESOURCE_DESTROY,
		.doit		= cosi_nl_resource_destroy_doit,
		.policy		= cosi_resource_destroy_nl_policy,
		.maxattr	= COSI_A_RESOURCE_QUIET,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_RESOURCE_TEARDOWN,
		.doit		= cosi_nl_resource_teardown_doit,
		.policy		= cosi_resource_teardown_nl_policy,
		.maxattr	= COSI_A_RESOURCE_QUIET,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_FINALIZER_ADD,
		.doit		= cosi_nl_finalizer_add_doit,
		.policy		= cosi_finalizer_add_nl_policy,
		.maxattr	= COSI_A_RESOURCE_QUIET,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_FINALIZER_REMOVE,
		.doit		= cosi_nl_finalizer_remove_doit,
		.policy		= cosi_finalizer_remove_nl_policy,
		.maxattr	= COSI_A_RESOURCE_QUIET,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_DEFINITION_SET,
		.doit		= cosi_nl_definition_set_doit,
		.policy		= cosi_definition_set_nl_policy,
		.maxattr	= COSI_A_DEFINITION_WRITE_ACCESS,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_DEFINITION_GET,
		.doit		= cosi_nl_definition_get_doit,
		.policy		= cosi_definition_get_do_nl_policy,
		.maxattr	= COSI_A_DEFINITION_TYPE,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_DEFINITION_GET,
		.start		= cosi_nl_definition_get_start,
		.dumpit		= cosi_nl_definition_get_dumpit,
		.done		= cosi_nl_definition_get_done,
		.policy		= cosi_definition_get_dump_nl_policy,
		.maxattr	= COSI_A_DEFINITION_PAD,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= COSI_CMD_DEFINITION_DELETE,
		.doit		= cosi_nl_definition_delete_doit,
		.policy		= cosi_definition_delete_nl_policy,
		.maxattr	= COSI_A_DEFINITION_TYPE,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_OWNER_CLAIM,
		.doit		= cosi_nl_owner_claim_doit,
		.policy		= cosi_owner_claim_nl_policy,
		.maxattr	= COSI_A_RESOURCE_OWNER,
		.flags		= GENL_UNS_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= COSI_CMD_WATCH,
		.start		= cosi_nl_watch_start,
		.dumpit		= cosi_nl_watch_dumpit,
		.done		= cosi_nl_watch_done,
		.policy		= cosi_watch_nl_policy,
		.maxattr	= COSI_A_RESOURCE_BOOTSTRAP,
		.flags		= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= COSI_CMD_WATCH_STOP,
		.doit		= cosi_nl_watch_stop_doit,
		.policy		= cosi_watch_stop_nl_policy,
		.maxattr	= COSI_A_RESOURCE_WATCH_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group cosi_nl_mcgrps[] = {
	[COSI_NLGRP_EVENTS] = { "events", },
};
