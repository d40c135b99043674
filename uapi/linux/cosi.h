/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/cosi.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_COSI_H
#define _UAPI_LINUX_COSI_H

#define COSI_FAMILY_NAME	"cosi"
#define COSI_FAMILY_VERSION	1

#define COSI_NAMESPACE_MAX_LEN		63
#define COSI_TYPE_MAX_LEN		127
#define COSI_ID_MAX_LEN			255
#define COSI_OWNER_MAX_LEN		63
#define COSI_LABEL_KEY_MAX_LEN		63
#define COSI_LABEL_VALUE_MAX_LEN	255
#define COSI_FINALIZER_MAX_LEN		127
#define COSI_FIELD_MAX_LEN		63
#define COSI_SPEC_MAX_SIZE		24576

/**
 * enum cosi_phase - Lifecycle phase of a resource.
 * @COSI_PHASE_RUNNING: The resource is live.
 * @COSI_PHASE_TEARING_DOWN: Teardown was requested; it is destroyed once
 *   finalizers are gone.
 */
enum cosi_phase {
	COSI_PHASE_RUNNING,
	COSI_PHASE_TEARING_DOWN,
};

/**
 * enum cosi_field_type - Type of a spec field, declared in the definition's
 *   schema.
 */
enum cosi_field_type {
	COSI_FIELD_TYPE_STRING = 1,
	COSI_FIELD_TYPE_U64,
	COSI_FIELD_TYPE_S64,
	COSI_FIELD_TYPE_BOOL,
	COSI_FIELD_TYPE_BYTES,
	COSI_FIELD_TYPE_STRING_LIST,
};

/**
 * enum cosi_sensitivity - Whether reading resources of a type needs
 *   CAP_NET_ADMIN.
 */
enum cosi_sensitivity {
	COSI_SENSITIVITY_PUBLIC,
	COSI_SENSITIVITY_SENSITIVE,
};

/**
 * enum cosi_write_access - The capability needed to write resources of a type
 *   (create, update, teardown, destroy, finalizer-add and -remove), checked by
 *   the kernel on every write. Setting or deleting a definition whose current
 *   or new write-access is sys-admin needs sys-admin too.
 * @COSI_WRITE_ACCESS_NET_ADMIN: CAP_NET_ADMIN in the user namespace owning the
 *   netns (default).
 * @COSI_WRITE_ACCESS_SYS_ADMIN: CAP_SYS_ADMIN in the initial user namespace,
 *   for types whose effect is host-wide.
 */
enum cosi_write_access {
	COSI_WRITE_ACCESS_NET_ADMIN,
	COSI_WRITE_ACCESS_SYS_ADMIN,
};

/**
 * enum cosi_writer_caps - Capabilities the writer of a resource's spec held
 *   when it wrote it, as seen by the kernel (the requesting socket and task).
 * @COSI_WRITER_CAPS_NET_ADMIN: CAP_NET_ADMIN in the user namespace owning the
 *   netns.
 * @COSI_WRITER_CAPS_SYS_ADMIN: CAP_SYS_ADMIN in the initial user namespace.
 */
enum cosi_writer_caps {
	COSI_WRITER_CAPS_NET_ADMIN = 1,
	COSI_WRITER_CAPS_SYS_ADMIN = 2,
};

/**
 * enum cosi_label_op - Operator of a label query term. exists, equal and in on
 *   a missing key do not match (so an inverted term does); a comparison on a
 *   missing key, and a numeric one whose operands are not numbers (with
 *   optional k, M, G, T, P or Ki, Mi, Gi, Ti, Pi suffix), never match,
 *   inverted or not.
 * @COSI_LABEL_OP_EXISTS: The key is present.
 * @COSI_LABEL_OP_EQUAL: The value equals the term's single value.
 * @COSI_LABEL_OP_IN: The value is one of the term's values.
 * @COSI_LABEL_OP_LT: The value sorts before the term's value (bytewise).
 * @COSI_LABEL_OP_LTE: The value sorts before or equals the term's value
 *   (bytewise).
 * @COSI_LABEL_OP_LT_NUMERIC: The value is numerically less than the term's
 *   value.
 * @COSI_LABEL_OP_LTE_NUMERIC: The value is numerically less than or equal to
 *   the term's value.
 */
enum cosi_label_op {
	COSI_LABEL_OP_EXISTS,
	COSI_LABEL_OP_EQUAL,
	COSI_LABEL_OP_IN,
	COSI_LABEL_OP_LT,
	COSI_LABEL_OP_LTE,
	COSI_LABEL_OP_LT_NUMERIC,
	COSI_LABEL_OP_LTE_NUMERIC,
};

/**
 * enum cosi_event_kind - Kind of a watch or multicast event.
 * @COSI_EVENT_KIND_CREATED: The resource was created or entered the watch's
 *   filter.
 * @COSI_EVENT_KIND_UPDATED: The resource changed and still matches the filter.
 * @COSI_EVENT_KIND_DESTROYED: The resource was destroyed or left the watch's
 *   filter.
 * @COSI_EVENT_KIND_BOOTSTRAPPED: The watch is caught up: all matching
 *   resources and all events up to the carried revision were sent; live events
 *   follow.
 */
enum cosi_event_kind {
	COSI_EVENT_KIND_CREATED = 1,
	COSI_EVENT_KIND_UPDATED,
	COSI_EVENT_KIND_DESTROYED,
	COSI_EVENT_KIND_BOOTSTRAPPED,
};

enum {
	COSI_A_LABEL_KEY = 1,
	COSI_A_LABEL_VALUE,

	__COSI_A_LABEL_MAX,
	COSI_A_LABEL_MAX = (__COSI_A_LABEL_MAX - 1)
};

enum {
	COSI_A_LABELS_LABEL = 1,

	__COSI_A_LABELS_MAX,
	COSI_A_LABELS_MAX = (__COSI_A_LABELS_MAX - 1)
};

enum {
	COSI_A_FINALIZERS_FINALIZER = 1,

	__COSI_A_FINALIZERS_MAX,
	COSI_A_FINALIZERS_MAX = (__COSI_A_FINALIZERS_MAX - 1)
};

enum {
	COSI_A_STRING_LIST_ITEM = 1,

	__COSI_A_STRING_LIST_MAX,
	COSI_A_STRING_LIST_MAX = (__COSI_A_STRING_LIST_MAX - 1)
};

enum {
	COSI_A_SPEC_FIELD_NAME = 1,
	COSI_A_SPEC_FIELD_STRING,
	COSI_A_SPEC_FIELD_U64,
	COSI_A_SPEC_FIELD_S64,
	COSI_A_SPEC_FIELD_BOOL,
	COSI_A_SPEC_FIELD_BYTES,
	COSI_A_SPEC_FIELD_STRINGS,

	__COSI_A_SPEC_FIELD_MAX,
	COSI_A_SPEC_FIELD_MAX = (__COSI_A_SPEC_FIELD_MAX - 1)
};

enum {
	COSI_A_SPEC_FIELD = 1,

	__COSI_A_SPEC_MAX,
	COSI_A_SPEC_MAX = (__COSI_A_SPEC_MAX - 1)
};

enum {
	COSI_A_LABEL_TERM_KEY = 1,
	COSI_A_LABEL_TERM_OP,
	COSI_A_LABEL_TERM_VALUE,
	COSI_A_LABEL_TERM_INVERT,

	__COSI_A_LABEL_TERM_MAX,
	COSI_A_LABEL_TERM_MAX = (__COSI_A_LABEL_TERM_MAX - 1)
};

enum {
	COSI_A_LABEL_QUERY_TERM = 1,

	__COSI_A_LABEL_QUERY_MAX,
	COSI_A_LABEL_QUERY_MAX = (__COSI_A_LABEL_QUERY_MAX - 1)
};

enum {
	COSI_A_RESOURCE_PAD = 1,
	COSI_A_RESOURCE_NAMESPACE,
	COSI_A_RESOURCE_TYPE,
	COSI_A_RESOURCE_ID,
	COSI_A_RESOURCE_VERSION,
	COSI_A_RESOURCE_OWNER,
	COSI_A_RESOURCE_PHASE,
	COSI_A_RESOURCE_LABELS,
	COSI_A_RESOURCE_ANNOTATIONS,
	COSI_A_RESOURCE_FINALIZERS,
	COSI_A_RESOURCE_CREATED,
	COSI_A_RESOURCE_UPDATED,
	COSI_A_RESOURCE_SPEC,
	COSI_A_RESOURCE_REVISION,
	COSI_A_RESOURCE_EXPECTED_VERSION,
	COSI_A_RESOURCE_EXPECTED_PHASE,
	COSI_A_RESOURCE_DESTROY_READY,
	COSI_A_RESOURCE_ID_PREFIX,
	COSI_A_RESOURCE_LABEL_QUERY,
	COSI_A_RESOURCE_WATCH_ID,
	COSI_A_RESOURCE_SINCE_REVISION,
	COSI_A_RESOURCE_BOOTSTRAP,
	COSI_A_RESOURCE_EVENT,
	COSI_A_RESOURCE_OLD_LABELS,
	COSI_A_RESOURCE_WRITER_CAPS,
	COSI_A_RESOURCE_ACK_ONLY,
	COSI_A_RESOURCE_COMPACT,
	COSI_A_RESOURCE_QUIET,

	__COSI_A_RESOURCE_MAX,
	COSI_A_RESOURCE_MAX = (__COSI_A_RESOURCE_MAX - 1)
};

enum {
	COSI_A_SCHEMA_FIELD_NAME = 1,
	COSI_A_SCHEMA_FIELD_TYPE,
	COSI_A_SCHEMA_FIELD_REQUIRED,

	__COSI_A_SCHEMA_FIELD_MAX,
	COSI_A_SCHEMA_FIELD_MAX = (__COSI_A_SCHEMA_FIELD_MAX - 1)
};

enum {
	COSI_A_PRINT_COLUMN_NAME = 1,
	COSI_A_PRINT_COLUMN_FIELD,

	__COSI_A_PRINT_COLUMN_MAX,
	COSI_A_PRINT_COLUMN_MAX = (__COSI_A_PRINT_COLUMN_MAX - 1)
};

enum {
	COSI_A_DEFINITION_PAD = 1,
	COSI_A_DEFINITION_TYPE,
	COSI_A_DEFINITION_ALIAS,
	COSI_A_DEFINITION_DEFAULT_NAMESPACE,
	COSI_A_DEFINITION_SENSITIVITY,
	COSI_A_DEFINITION_FIELD,
	COSI_A_DEFINITION_PRINT_COLUMN,
	COSI_A_DEFINITION_REVISION,
	COSI_A_DEFINITION_RESOURCES,
	COSI_A_DEFINITION_WRITE_ACCESS,

	__COSI_A_DEFINITION_MAX,
	COSI_A_DEFINITION_MAX = (__COSI_A_DEFINITION_MAX - 1)
};

enum {
	COSI_CMD_RESOURCE_GET = 1,
	COSI_CMD_RESOURCE_CREATE,
	COSI_CMD_RESOURCE_UPDATE,
	COSI_CMD_RESOURCE_DESTROY,
	COSI_CMD_RESOURCE_TEARDOWN,
	COSI_CMD_FINALIZER_ADD,
	COSI_CMD_FINALIZER_REMOVE,
	COSI_CMD_DEFINITION_SET,
	COSI_CMD_DEFINITION_GET,
	COSI_CMD_DEFINITION_DELETE,
	COSI_CMD_OWNER_CLAIM,
	COSI_CMD_WATCH,
	COSI_CMD_WATCH_STOP,
	COSI_CMD_RESOURCE_EVENT,

	__COSI_CMD_MAX,
	COSI_CMD_MAX = (__COSI_CMD_MAX - 1)
};

#define COSI_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_COSI_H */
