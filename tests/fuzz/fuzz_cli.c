// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: cosictl's command line (the input split at NUL
 * bytes into argv), label selectors (-l) and type names.  Each parser
 * returns 0 or a negative errno with a one-line message.
 */
#define _GNU_SOURCE
#include <errno.h>

#include "cosictl/cli_args.h"
#include "cosictl/jsonpath.h"
#include "common/resolve.h"
#include "common/selector.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS	64

/* A template the parser took must evaluate (or fail with a message). */
static void fuzz_jsonpath(const char *tmpl)
{
	struct json_object *o = json_tokener_parse(
		"{\"items\": [{\"metadata\": {\"id\": \"a\"}, \"spec\": {\"l\": [1, \"x\"]}}]}");
	char msg[256] = "", *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	int err;

	FUZZ_CHECK(o && f);
	err = cosi_jsonpath_print(f, tmpl, o, msg, sizeof(msg));
	fclose(f);
	free(out);
	json_object_put(o);
	FUZZ_CHECK(!err);	/* checked when parsed: only I/O could fail */
}

static void fuzz_args(char *s, size_t size)
{
	char *argv[MAX_ARGS + 2], msg[512] = "";
	struct cosictl_args a;
	size_t off = 0;
	int argc = 0, err;

	argv[argc++] = "cosictl";
	while (off < size && argc <= MAX_ARGS) {
		argv[argc++] = s + off;
		off += strlen(s + off) + 1;
	}
	argv[argc] = NULL;
	err = cosictl_parse_args(argc, argv, &a, msg, sizeof(msg));
	if (err) {
		FUZZ_CHECK(err == -EINVAL);
		fuzz_check_msg(msg);
		return;
	}
	FUZZ_CHECK(a.cmd >= COSICTL_HELP && a.cmd <= COSICTL_COMPLETION);
	if (a.jsonpath)
		fuzz_jsonpath(a.jsonpath);
	if (a.selector) {
		struct cosi_selector sel;

		msg[0] = '\0';
		err = cosi_selector_parse(a.selector, &sel, msg, sizeof(msg));
		if (err)
			fuzz_check_msg(msg);
		cosi_selector_clear(&sel);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct cosi_definition *def;
	struct cosi_selector sel;
	char msg[512] = "";
	char *s = fuzz_str(data, size);
	size_t i;
	int err;

	/* The whole input as one selector and as one type name. */
	err = cosi_selector_parse(s, &sel, msg, sizeof(msg));
	if (err) {
		FUZZ_CHECK(err == -EINVAL || err == -ENOMEM);
		fuzz_check_msg(msg);
	} else {
		FUZZ_CHECK(sel.query.n == sel.n);
		for (i = 0; i < sel.n; i++)
			FUZZ_CHECK(sel.terms[i].key);
	}
	cosi_selector_clear(&sel);

	msg[0] = '\0';
	err = cosi_resolve_type(fuzz_defs(), s, &def, msg, sizeof(msg));
	if (err) {
		FUZZ_CHECK(err == -ENOENT || err == -EINVAL);
		fuzz_check_msg(msg);
	} else {
		FUZZ_CHECK(def && cosi_resolve_default_ns(def));
	}
	cosi_resolve_is_definitions(s);

	fuzz_args(s, size);
	free(s);
	return 0;
}
