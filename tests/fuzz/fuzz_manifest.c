// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: manifests (YAML streams of resources and of
 * definitions), as cosictl apply/delete/define read them.  A parse
 * either succeeds with well-formed documents or fails with a negative
 * errno and a one-line message; no crash, no sanitizer report.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "common/manifest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cosi_definitions defs = { 0 };
	struct cosi_docs docs;
	char msg[512] = "";
	char *buf = fuzz_str(data, size);
	size_t i;
	int err;

	err = cosi_manifest_parse(buf, size, "fuzz.yaml", fuzz_defs(), &docs,
				  msg, sizeof(msg));
	if (err) {
		FUZZ_CHECK(err < 0 && docs.n == 0);
		fuzz_check_msg(msg);
	}
	for (i = 0; !err && i < docs.n; i++) {
		const struct cosi_doc *d = &docs.v[i];

		FUZZ_CHECK(d->ns && d->type && d->id);
		FUZZ_CHECK(d->index >= 1);
	}
	cosi_docs_clear(&docs);

	msg[0] = '\0';
	err = cosi_manifest_parse_definitions(buf, size, "defs.yaml", &defs,
					      msg, sizeof(msg));
	if (err) {
		FUZZ_CHECK(err < 0 && defs.n == 0);
		fuzz_check_msg(msg);
	}
	for (i = 0; !err && i < defs.n; i++)
		FUZZ_CHECK(defs.v[i]->type && defs.v[i]->type[0]);
	cosi_definitions_clear(&defs);
	free(buf);
	return 0;
}
