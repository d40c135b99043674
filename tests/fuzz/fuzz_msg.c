// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: libcosi's parsers of what the kernel sends (resource
 * replies, events, definitions, NLMSG_ERROR/NLMSG_DONE with extack).  A
 * broken or malicious reply must give -EPROTO (or a parsed object), never
 * a crash.  The input is the message payload: genl header and attributes,
 * or for the error parser the nlmsgerr/int and the extack TLVs; its first
 * byte picks the message flags.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/msg.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cosi_definition *def;
	struct cosi_resource *res;
	struct cosi_event *ev;
	struct nlmsghdr *nlh;
	struct cosi_err e;
	struct nl_msg *msg;
	uint8_t sel;
	int err;

	if (size < 1 || size > 65536)
		return 0;
	sel = data[0];
	data++;
	size--;
	nlh = calloc(1, NLMSG_SPACE(size));
	FUZZ_CHECK(nlh);
	nlh->nlmsg_len = NLMSG_LENGTH(size);
	nlh->nlmsg_type = 0x20;
	nlh->nlmsg_flags = (sel & 0x1 ? NLM_F_MULTI : 0) |
			   (sel & 0x2 ? NLM_F_ACK_TLVS : 0) |
			   (sel & 0x4 ? NLM_F_CAPPED : 0) |
			   (sel & 0x8 ? NLM_F_DUMP_INTR : 0);
	memcpy(NLMSG_DATA(nlh), data, size);

	msg = nlmsg_convert(nlh);
	FUZZ_CHECK(msg);
	err = cosi_resource_parse(msg, &res);
	FUZZ_CHECK(err ? err < 0 && !res : res && res->ns && res->id);
	/* Review (rev-b): cosi_list()'s parser agrees with the heap one. */
	{
		struct cosi_arena a;
		struct cosi_resource *r2;
		int err2;

		cosi_arena_init(&a, NULL);
		err2 = cosi_resource_parse_arena(&a, nlh, &r2);
		FUZZ_CHECK(err == err2);
		FUZZ_CHECK(err ||
			   (!strcmp(res->ns, r2->ns) &&
			    !strcmp(res->type, r2->type) &&
			    !strcmp(res->id, r2->id) &&
			    !strcmp(res->owner, r2->owner) &&
			    res->version == r2->version &&
			    res->phase == r2->phase &&
			    res->created == r2->created &&
			    res->updated == r2->updated &&
			    res->revision == r2->revision &&
			    res->destroy_ready == r2->destroy_ready &&
			    res->has_writer_caps == r2->has_writer_caps &&
			    res->writer_caps == r2->writer_caps &&
			    res->has_spec == r2->has_spec &&
			    res->labels.n == r2->labels.n &&
			    res->annotations.n == r2->annotations.n &&
			    res->finalizers.n == r2->finalizers.n &&
			    res->spec.n == r2->spec.n));
		/* Field by field (cosi_spec_equal() looks names up). */
		for (size_t k = 0; !err && k < res->spec.n; k++)
			FUZZ_CHECK(cosi_field_equal(&res->spec.v[k],
						    &r2->spec.v[k]));
		for (size_t k = 0; !err && k < res->labels.n; k++)
			FUZZ_CHECK(!strcmp(res->labels.v[k].key,
					   r2->labels.v[k].key) &&
				   !strcmp(res->labels.v[k].value,
					   r2->labels.v[k].value));
		for (size_t k = 0; !err && k < res->annotations.n; k++)
			FUZZ_CHECK(!strcmp(res->annotations.v[k].key,
					   r2->annotations.v[k].key) &&
				   !strcmp(res->annotations.v[k].value,
					   r2->annotations.v[k].value));
		for (size_t k = 0; !err && k < res->finalizers.n; k++)
			FUZZ_CHECK(!strcmp(res->finalizers.v[k],
					   r2->finalizers.v[k]));
		cosi_arena_free(&a);
	}
	cosi_resource_free(res);
	err = cosi_event_parse(msg, &ev);
	FUZZ_CHECK(err ? err < 0 && !ev : ev && ev->res->type);
	cosi_event_free(ev);
	err = cosi_definition_parse(msg, &def);
	FUZZ_CHECK(err ? err < 0 && !def : def && def->type);
	cosi_definition_free(def);
	nlmsg_free(msg);
	/* cosi_list()'s parser: the same verdict, strings read through. */
	{
		struct cosi_arena a;
		struct cosi_resource *r2;
		size_t i, n = 0;

		cosi_arena_init(&a, NULL);
		err = cosi_resource_parse_arena(&a, nlh, &r2);
		FUZZ_CHECK(err ? err < 0 && !r2 : r2 && r2->ns && r2->id);
		for (i = 0; !err && i < r2->labels.n; i++)
			n += strlen(r2->labels.v[i].key) +
			     strlen(r2->labels.v[i].value);
		for (i = 0; !err && i < r2->spec.n; i++)
			n += strlen(r2->spec.v[i].name);
		FUZZ_CHECK(n < 1u << 20);
		cosi_arena_free(&a);
	}

	nlh->nlmsg_type = sel & 0x10 ? NLMSG_DONE : NLMSG_ERROR;
	err = cosi_nlerr_parse(nlh, &e);
	FUZZ_CHECK(err == 0 || err == -EPROTO);
	FUZZ_CHECK(memchr(e.msg, '\0', sizeof(e.msg)));
	free(nlh);
	return 0;
}
