// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink policies, following Documentation/netlink/specs/cosi.yaml.
 * Validation is strict: unknown attributes are rejected, strings must be
 * NUL-terminated within their documented maximum length.
 */
#include "policy.h"

#define COSI_STR(max)	{ .type = NLA_NUL_STRING, .len = (max) }

const struct nla_policy cosi_label_nl_policy[COSI_A_LABEL_MAX + 1] = {
	[COSI_A_LABEL_KEY]	= COSI_STR(COSI_LABEL_KEY_MAX_LEN),
	[COSI_A_LABEL_VALUE]	= COSI_STR(COSI_LABEL_VALUE_MAX_LEN),
};

static const struct nla_policy cosi_labels_nl_policy[COSI_A_LABELS_MAX + 1] = {
	[COSI_A_LABELS_LABEL]	= NLA_POLICY_NESTED(cosi_label_nl_policy),
};

static const struct nla_policy
cosi_finalizers_nl_policy[COSI_A_FINALIZERS_MAX + 1] = {
	[COSI_A_FINALIZERS_FINALIZER] = COSI_STR(COSI_FINALIZER_MAX_LEN),
};

static const struct nla_policy
cosi_string_list_nl_policy[COSI_A_STRING_LIST_MAX + 1] = {
	[COSI_A_STRING_LIST_ITEM] = COSI_STR(COSI_SPEC_MAX_SIZE),
};

const struct nla_policy cosi_spec_field_nl_policy[COSI_A_SPEC_FIELD_MAX + 1] = {
	[COSI_A_SPEC_FIELD_NAME]	= COSI_STR(COSI_FIELD_MAX_LEN),
	[COSI_A_SPEC_FIELD_STRING]	= COSI_STR(COSI_SPEC_MAX_SIZE),
	[COSI_A_SPEC_FIELD_U64]		= { .type = NLA_U64 },
	[COSI_A_SPEC_FIELD_S64]		= { .type = NLA_S64 },
	[COSI_A_SPEC_FIELD_BOOL]	= NLA_POLICY_MAX(NLA_U8, 1),
	[COSI_A_SPEC_FIELD_BYTES]	= { .type = NLA_BINARY,
					    .len = COSI_SPEC_MAX_SIZE },
	[COSI_A_SPEC_FIELD_STRINGS] =
		NLA_POLICY_NESTED(cosi_string_list_nl_policy),
};

static const struct nla_policy cosi_spec_nl_policy[COSI_A_SPEC_MAX + 1] = {
	[COSI_A_SPEC_FIELD]	= NLA_POLICY_NESTED(cosi_spec_field_nl_policy),
};

const struct nla_policy cosi_label_term_nl_policy[COSI_A_LABEL_TERM_MAX + 1] = {
	[COSI_A_LABEL_TERM_KEY]		= COSI_STR(COSI_LABEL_KEY_MAX_LEN),
	[COSI_A_LABEL_TERM_OP]		= NLA_POLICY_MAX(NLA_U32,
						COSI_LABEL_OP_LTE_NUMERIC),
	[COSI_A_LABEL_TERM_VALUE]	= COSI_STR(COSI_LABEL_VALUE_MAX_LEN),
	[COSI_A_LABEL_TERM_INVERT]	= { .type = NLA_FLAG },
};

static const struct nla_policy
cosi_label_query_nl_policy[COSI_A_LABEL_QUERY_MAX + 1] = {
	[COSI_A_LABEL_QUERY_TERM] = NLA_POLICY_NESTED(cosi_label_term_nl_policy),
};

#define COSI_KEY_POLICY							\
	[COSI_A_RESOURCE_NAMESPACE] = COSI_STR(COSI_NAMESPACE_MAX_LEN),	\
	[COSI_A_RESOURCE_TYPE]	= COSI_STR(COSI_TYPE_MAX_LEN),		\
	[COSI_A_RESOURCE_ID]	= COSI_STR(COSI_ID_MAX_LEN)

const struct nla_policy cosi_resource_get_do_nl_policy[COSI_A_RESOURCE_ID + 1] = {
	COSI_KEY_POLICY,
};

const struct nla_policy
cosi_resource_get_dump_nl_policy[COSI_A_RESOURCE_LABEL_QUERY + 1] = {
	[COSI_A_RESOURCE_NAMESPACE] = COSI_STR(COSI_NAMESPACE_MAX_LEN),
	[COSI_A_RESOURCE_TYPE]	= COSI_STR(COSI_TYPE_MAX_LEN),
	[COSI_A_RESOURCE_ID_PREFIX] = COSI_STR(COSI_ID_MAX_LEN),
	[COSI_A_RESOURCE_LABEL_QUERY] =
		NLA_POLICY_NESTED(cosi_label_query_nl_policy),
#ifndef COSI_HAVE_SPLIT_OPS
	/* 6.1 shares one policy between do and dump. */
	[COSI_A_RESOURCE_ID]	= COSI_STR(COSI_ID_MAX_LEN),
#endif
};

const struct nla_policy cosi_resource_create_nl_policy[COSI_A_RESOURCE_SPEC + 1] = {
	COSI_KEY_POLICY,
	[COSI_A_RESOURCE_LABELS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_ANNOTATIONS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_SPEC]	= NLA_POLICY_NESTED(cosi_spec_nl_policy),
};

const struct nla_policy
cosi_resource_update_nl_policy[COSI_A_RESOURCE_EXPECTED_PHASE + 1] = {
	COSI_KEY_POLICY,
	[COSI_A_RESOURCE_LABELS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_ANNOTATIONS] = NLA_POLICY_NESTED(cosi_labels_nl_policy),
	[COSI_A_RESOURCE_SPEC]	= NLA_POLICY_NESTED(cosi_spec_nl_policy),
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64 },
	[COSI_A_RESOURCE_EXPECTED_PHASE] = NLA_POLICY_MAX(NLA_U32,
						COSI_PHASE_TEARING_DOWN),
};

const struct nla_policy
cosi_resource_destroy_nl_policy[COSI_A_RESOURCE_EXPECTED_VERSION + 1] = {
	COSI_KEY_POLICY,
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64 },
};

const struct nla_policy
cosi_finalizer_nl_policy[COSI_A_RESOURCE_EXPECTED_VERSION + 1] = {
	COSI_KEY_POLICY,
	[COSI_A_RESOURCE_FINALIZERS] =
		NLA_POLICY_NESTED(cosi_finalizers_nl_policy),
	[COSI_A_RESOURCE_EXPECTED_VERSION] = { .type = NLA_U64 },
};

const struct nla_policy cosi_owner_claim_nl_policy[COSI_A_RESOURCE_OWNER + 1] = {
	[COSI_A_RESOURCE_OWNER]	= COSI_STR(COSI_OWNER_MAX_LEN),
};

const struct nla_policy
cosi_watch_nl_policy[COSI_A_RESOURCE_BOOTSTRAP + 1] = {
	COSI_KEY_POLICY,
	[COSI_A_RESOURCE_LABEL_QUERY] =
		NLA_POLICY_NESTED(cosi_label_query_nl_policy),
	[COSI_A_RESOURCE_BOOTSTRAP] = { .type = NLA_FLAG },
	[COSI_A_RESOURCE_SINCE_REVISION] = { .type = NLA_U64 },
};

const struct nla_policy cosi_watch_stop_nl_policy[COSI_A_RESOURCE_WATCH_ID + 1] = {
	[COSI_A_RESOURCE_WATCH_ID] = { .type = NLA_U32 },
};

const struct nla_policy
cosi_schema_field_nl_policy[COSI_A_SCHEMA_FIELD_MAX + 1] = {
	[COSI_A_SCHEMA_FIELD_NAME]	= COSI_STR(COSI_FIELD_MAX_LEN),
	[COSI_A_SCHEMA_FIELD_TYPE]	= NLA_POLICY_RANGE(NLA_U32,
						COSI_FIELD_TYPE_STRING,
						COSI_FIELD_TYPE_STRING_LIST),
	[COSI_A_SCHEMA_FIELD_REQUIRED]	= { .type = NLA_FLAG },
};

const struct nla_policy
cosi_print_column_nl_policy[COSI_A_PRINT_COLUMN_MAX + 1] = {
	[COSI_A_PRINT_COLUMN_NAME]	= COSI_STR(COSI_FIELD_MAX_LEN),
	[COSI_A_PRINT_COLUMN_FIELD]	= COSI_STR(COSI_FIELD_MAX_LEN),
};

const struct nla_policy
cosi_definition_set_nl_policy[COSI_A_DEFINITION_WRITE_ACCESS + 1] = {
	[COSI_A_DEFINITION_TYPE]	= COSI_STR(COSI_TYPE_MAX_LEN),
	[COSI_A_DEFINITION_ALIAS]	= COSI_STR(COSI_TYPE_MAX_LEN),
	[COSI_A_DEFINITION_DEFAULT_NAMESPACE] =
		COSI_STR(COSI_NAMESPACE_MAX_LEN),
	[COSI_A_DEFINITION_SENSITIVITY]	= NLA_POLICY_MAX(NLA_U32,
						COSI_SENSITIVITY_SENSITIVE),
	[COSI_A_DEFINITION_FIELD]	=
		NLA_POLICY_NESTED(cosi_schema_field_nl_policy),
	[COSI_A_DEFINITION_PRINT_COLUMN] =
		NLA_POLICY_NESTED(cosi_print_column_nl_policy),
	[COSI_A_DEFINITION_WRITE_ACCESS] = NLA_POLICY_MAX(NLA_U32,
						COSI_WRITE_ACCESS_SYS_ADMIN),
};

const struct nla_policy cosi_definition_type_nl_policy[COSI_A_DEFINITION_TYPE + 1] = {
	[COSI_A_DEFINITION_TYPE]	= COSI_STR(COSI_TYPE_MAX_LEN),
};
