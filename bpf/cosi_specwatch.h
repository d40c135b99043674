/* SPDX-License-Identifier: GPL-2.0 */
/* cosi-specwatch's ring buffer record, shared by both sides. */
#ifndef COSI_SPECWATCH_H
#define COSI_SPECWATCH_H

#define SPECWATCH_FIELDS	8
#define SPECWATCH_NAME_LEN	64	/* COSI_FIELD_MAX_LEN + 1 */
#define SPECWATCH_STR_LEN	64

enum specwatch_kind {
	SPECWATCH_ABSENT,	/* not in the spec */
	SPECWATCH_STR,
	SPECWATCH_U64,
	SPECWATCH_S64,
	SPECWATCH_BOOL,
	SPECWATCH_STR_CUT,	/* a string longer than the buffer */
};

struct specwatch_ev {
	struct bpf_cosi_key key;
	unsigned long long version;
	int error;			/* of the lookup; 0: fields read */
	unsigned int kind[SPECWATCH_FIELDS];
	unsigned long long num[SPECWATCH_FIELDS];
	char str[SPECWATCH_FIELDS][SPECWATCH_STR_LEN];
};

#endif
