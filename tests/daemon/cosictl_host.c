// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of cosictl (daemon/cosictl, daemon/common): manifest
 * parsing against hand-built definitions, codecs, type resolution, label
 * selectors, rendering (YAML/JSON/table, and YAML round trips) and the
 * command line.  No kernel needed; run under ASan/UBSan (make SAN=1),
 * where each test ends with a leak check.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "run_ctl.h"

#include "common/apply.h"
#include "common/codec.h"
#include "common/manifest.h"
#include "common/resolve.h"
#include "common/selector.h"
#include "cosictl/cli_args.h"
#include "cosictl/cosictl.h"
#include "cosictl/diff.h"
#include "cosictl/jsonpath.h"
#include "cosictl/render.h"
#include "common/json_resource.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LEAK_CHECK()	__lsan_do_recoverable_leak_check()
#else
#define LEAK_CHECK()	0
#endif

/*
 * strdup() failure injection: the test binary is linked with
 * -Wl,--wrap=strdup (daemon/Makefile), so the code under test calls this;
 * strdup_fail_in = N makes the Nth call from now fail.
 */
static int strdup_fail_in;
char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
	if (strdup_fail_in > 0 && !--strdup_fail_in) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

FIXTURE(m) {
	struct cosi_definitions defs;
	struct cosi_docs docs;
	char msg[1024];
	char *out;
	size_t outlen;
};

static struct cosi_definition *def_new(const char *type, const char *alias,
				       const char *ns)
{
	struct cosi_definition *d = cosi_def_new(type);

	if (!d)
		return NULL;
	if (alias)
		cosi_def_add_alias(d, alias);
	if (ns)
		cosi_def_set_default_ns(d, ns);
	return d;
}

FIXTURE_SETUP(m)
{
	struct cosi_definition *d;

	memset(&self->defs, 0, sizeof(self->defs));
	memset(&self->docs, 0, sizeof(self->docs));
	self->out = NULL;
	self->defs.v = calloc(3, sizeof(*self->defs.v));
	d = def_new("Links.net.cosi.dev", "link", "network");
	cosi_def_add_field(d, "name", COSI_FIELD_TYPE_STRING, true);
	cosi_def_add_field(d, "mtu", COSI_FIELD_TYPE_U64, false);
	cosi_def_add_field(d, "offset", COSI_FIELD_TYPE_S64, false);
	cosi_def_add_field(d, "up", COSI_FIELD_TYPE_BOOL, false);
	cosi_def_add_field(d, "mac", COSI_FIELD_TYPE_BYTES, false);
	cosi_def_add_field(d, "tags", COSI_FIELD_TYPE_STRING_LIST, false);
	cosi_def_add_column(d, "MTU", "mtu");
	cosi_def_add_column(d, "TAGS", "tags");
	self->defs.v[0] = d;
	d = def_new("SysctlConfigs.cosi.dev", "sysctl", NULL);
	cosi_def_add_field(d, "value", COSI_FIELD_TYPE_STRING, true);
	self->defs.v[1] = d;
	d = def_new("Sysfs.other.dev", NULL, NULL);
	self->defs.v[2] = d;
	self->defs.n = 3;
}

FIXTURE_TEARDOWN(m)
{
	cosi_docs_clear(&self->docs);
	cosi_definitions_clear(&self->defs);
	free(self->out);
	EXPECT_EQ(0, LEAK_CHECK()) TH_LOG("leaks (see above)");
}

static int parse(FIXTURE_DATA(m) *self, const char *yaml)
{
	cosi_docs_clear(&self->docs);
	self->msg[0] = 0;
	return cosi_manifest_parse(yaml, strlen(yaml), "t.yaml", &self->defs,
				   &self->docs, self->msg, sizeof(self->msg));
}

static const struct cosi_field *field(FIXTURE_DATA(m) *self, size_t doc,
				      const char *name)
{
	return cosi_spec_get(&self->docs.v[doc].spec, name);
}

TEST_F(m, every_field_type)
{
	const struct cosi_field *f;

	ASSERT_EQ(0, parse(self,
		"metadata: {type: LINK, id: eth0, labels: {role: uplink, n: 1},\n"
		"           annotations: {note: ~}}\n"
		"spec:\n"
		"  tags: [a, 'b c', \"\"]\n"
		"  mac: !!binary AAEC/w==\n"
		"  up: yes\n"
		"  offset: -9223372036854775808\n"
		"  mtu: 18446744073709551615\n"
		"  name: eth0\n")) TH_LOG("%s", self->msg);
	ASSERT_EQ(1, self->docs.n);
	EXPECT_STREQ("Links.net.cosi.dev", self->docs.v[0].type);
	EXPECT_STREQ("network", self->docs.v[0].ns);
	EXPECT_STREQ("eth0", self->docs.v[0].id);
	EXPECT_TRUE(self->docs.v[0].has_spec);
	EXPECT_STREQ("uplink", cosi_kvs_get(&self->docs.v[0].labels, "role"));
	EXPECT_STREQ("1", cosi_kvs_get(&self->docs.v[0].labels, "n"));
	EXPECT_STREQ("", cosi_kvs_get(&self->docs.v[0].annotations, "note"));
	/* schema order, whatever the document's order */
	ASSERT_EQ(6, self->docs.v[0].spec.n);
	EXPECT_STREQ("name", self->docs.v[0].spec.v[0].name);
	EXPECT_STREQ("tags", self->docs.v[0].spec.v[5].name);
	f = field(self, 0, "mtu");
	EXPECT_EQ(UINT64_MAX, f->u64);
	f = field(self, 0, "offset");
	EXPECT_EQ(INT64_MIN, f->s64);
	EXPECT_TRUE(field(self, 0, "up")->b);
	f = field(self, 0, "mac");
	ASSERT_EQ(4, f->bytes.len);
	EXPECT_EQ(0, memcmp(f->bytes.data, "\x00\x01\x02\xff", 4));
	f = field(self, 0, "tags");
	ASSERT_EQ(3, f->strs.n);
	EXPECT_STREQ("b c", f->strs.v[1]);
	EXPECT_STREQ("", f->strs.v[2]);
}

TEST_F(m, scalar_forms)
{
	ASSERT_EQ(0, parse(self,
		"metadata: {type: link, id: x, namespace: other}\n"
		"spec: {name: \"123\", mtu: 0x10, offset: +5, up: False,\n"
		"       mac: 'AAEC', tags: []}\n")) TH_LOG("%s", self->msg);
	EXPECT_STREQ("other", self->docs.v[0].ns);
	EXPECT_STREQ("123", field(self, 0, "name")->str);
	EXPECT_EQ(16, field(self, 0, "mtu")->u64);
	EXPECT_EQ(5, field(self, 0, "offset")->s64);
	EXPECT_FALSE(field(self, 0, "up")->b);
	EXPECT_EQ(3, field(self, 0, "mac")->bytes.len);
	EXPECT_EQ(0, field(self, 0, "tags")->strs.n);
	/* null optional fields are left out */
	ASSERT_EQ(0, parse(self, "metadata: {type: link, id: x}\n"
			   "spec: {name: n, mtu: ~, up: }\n"));
	EXPECT_EQ(1, self->docs.v[0].spec.n);
	/* no spec at all: keep the current one */
	ASSERT_EQ(0, parse(self, "metadata: {type: sysctl, id: a.b}\n"));
	EXPECT_FALSE(self->docs.v[0].has_spec);
	EXPECT_STREQ("default", self->docs.v[0].ns);
}

TEST_F(m, type_errors)
{
	EXPECT_EQ(-EINVAL, parse(self,
		"metadata: {type: sysctl, id: a}\nspec: {value: \"1\"}\n---\n"
		"metadata: {type: SysctlConfigs.cosi.dev, id: net.ipv4.ip_forward}\n"
		"spec: {value: 1}\n"));
	EXPECT_STREQ("t.yaml: document 2 (SysctlConfigs.cosi.dev/net.ipv4.ip_forward): spec.value: expected string",
		     self->msg);
	EXPECT_EQ(0, self->docs.n);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a}\n"
				 "spec: {value: true}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.value: expected string"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, mtu: \"5\"}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.mtu: expected u64"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, mtu: 1.5}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.mtu: expected u64"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, up: 1}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.up: expected bool"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, tags: [a, 2]}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.tags[1]: expected string"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, tags: a}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.tags: expected string-list"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: {a: b}}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.name: expected string"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, mac: 'not base64!'}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.mac: invalid base64"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, mac: 5}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.mac: expected bytes"));
}

TEST_F(m, range_errors)
{
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, mtu: -1}\n"));
	EXPECT_STREQ("t.yaml: document 1 (Links.net.cosi.dev/a): spec.mtu: -1 out of range for u64",
		     self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, mtu: 18446744073709551616}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "out of range for u64"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, offset: 9223372036854775808}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.offset: 9223372036854775808 out of range for s64"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, offset: -9223372036854775809}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "out of range for s64"));
	EXPECT_EQ(0, parse(self, "metadata: {type: link, id: a}\n"
			   "spec: {name: n, mtu: -0}\n"));
}

TEST_F(m, metadata_errors)
{
	EXPECT_EQ(-EINVAL, parse(self, "spec: {value: x}\n"));
	EXPECT_STREQ("t.yaml: document 1: metadata: missing", self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {id: a}\n"));
	EXPECT_STREQ("t.yaml: document 1: metadata.type: missing", self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl}\n"));
	EXPECT_STREQ("t.yaml: document 1 (sysctl/?): metadata.id: missing",
		     self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: nope, id: a}\n"));
	EXPECT_STREQ("t.yaml: document 1 (nope/a): metadata.type: unknown type \"nope\"",
		     self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: s, id: a}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "ambiguous: SysctlConfigs.cosi.dev Sysfs.other.dev"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, colour: red}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "metadata.colour: unknown key"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a}\nkind: X\n"));
	EXPECT_NE(NULL, strstr(self->msg, "kind: unknown key"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: [a]\n"));
	EXPECT_NE(NULL, strstr(self->msg, "metadata: expected a mapping"));
	EXPECT_EQ(-EINVAL, parse(self, "- a\n- b\n"));
	EXPECT_NE(NULL, strstr(self->msg, "expected a mapping"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, labels: [x]}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "metadata.labels: expected a mapping"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, labels: {x: [1]}}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "metadata.labels.x: expected a string"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, labels: {x: 1, x: 2}}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "metadata.labels.x: duplicate key"));
	/* read-only metadata is ignored */
	EXPECT_EQ(0, parse(self, "metadata: {type: sysctl, id: a, version: 3, owner: x,\n"
			   "  phase: running, finalizers: [f], created: 2024-01-01T00:00:00Z,\n"
			   "  updated: x, revision: 9}\nspec: {value: v}\n")) TH_LOG("%s", self->msg);
}

TEST_F(m, spec_errors)
{
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: n, colour: red}\n"));
	EXPECT_STREQ("t.yaml: document 1 (Links.net.cosi.dev/a): spec.colour: unknown field (Links.net.cosi.dev has: name, mtu, offset, up, mac, tags)",
		     self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {mtu: 5}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.name: missing required field (string)"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: a, name: b}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec.name: duplicate key"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\nspec: [1]\n"));
	EXPECT_NE(NULL, strstr(self->msg, "spec: expected a mapping"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: link, id: a}\n"
				 "spec: {name: \"a\\0b\"}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "NUL"));
}

TEST_F(m, documents)
{
	ASSERT_EQ(0, parse(self,
		"# leading comment\n"
		"---\n"
		"---\n"
		"metadata: {type: sysctl, id: a}\n"
		"spec: {value: \"1\"}\n"
		"---\n"
		"# only a comment\n"
		"---\n"
		"metadata: {type: link, id: b}\n"
		"spec: {name: b}\n"
		"...\n")) TH_LOG("%s", self->msg);
	ASSERT_EQ(2, self->docs.n);
	EXPECT_EQ(2, self->docs.v[0].index);
	EXPECT_EQ(4, self->docs.v[1].index);
	EXPECT_STREQ("b", self->docs.v[1].id);
	/* empty streams */
	EXPECT_EQ(0, parse(self, ""));
	EXPECT_EQ(0, self->docs.n);
	EXPECT_EQ(0, parse(self, "---\n---\n"));
	EXPECT_EQ(0, self->docs.n);
	/* the same resource twice */
	EXPECT_EQ(-EINVAL, parse(self,
		"metadata: {type: sysctl, id: a}\nspec: {value: x}\n---\n"
		"metadata: {type: SYSCTL, id: a}\nspec: {value: y}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "document 2 (SysctlConfigs.cosi.dev/a): duplicate of document 1"));
}

TEST_F(m, invalid_yaml)
{
	EXPECT_EQ(-EINVAL, parse(self,
		"metadata: {type: sysctl, id: a}\n"
		"spec: {value: x}\n"
		"---\n"
		"metadata:\n"
		"  type: sysctl\n"
		"   id: a\n"));
	EXPECT_NE(NULL, strstr(self->msg, "t.yaml: line 6 column")) TH_LOG("%s", self->msg);
	EXPECT_NE(NULL, strstr(self->msg, "invalid YAML"));
	EXPECT_EQ(0, self->docs.n);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: [\n"));
	EXPECT_NE(NULL, strstr(self->msg, "line 2")) TH_LOG("%s", self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "a: 'unterminated\n"));
	EXPECT_NE(NULL, strstr(self->msg, "t.yaml: line ")) TH_LOG("%s", self->msg);
}

TEST_F(m, base64_codec)
{
	static const char *const enc[] = {
		"", "AA==", "AAE=", "AAEC", "AAEC/w==", "AAEC/+4=",
	};
	unsigned char buf[8] = { 0, 1, 2, 0xff, 0xee };
	size_t i, len;
	void *data;
	char *s;

	for (i = 0; i < 6; i++) {
		s = cosi_base64_encode(buf, i);
		EXPECT_STREQ(enc[i], s);
		ASSERT_EQ(0, cosi_base64_decode(s, &data, &len));
		EXPECT_EQ(i, len);
		EXPECT_EQ(0, memcmp(data, buf, len));
		free(data);
		free(s);
	}
	ASSERT_EQ(0, cosi_base64_decode("AA\nEC /w", &data, &len));
	EXPECT_EQ(4, len);
	free(data);
	EXPECT_EQ(-EINVAL, cosi_base64_decode("A", &data, &len));
	EXPECT_EQ(-EINVAL, cosi_base64_decode("AA=A", &data, &len));
	EXPECT_EQ(-EINVAL, cosi_base64_decode("AB==", &data, &len));
	EXPECT_EQ(-EINVAL, cosi_base64_decode("A*==", &data, &len));
	EXPECT_EQ(-EINVAL, cosi_base64_decode("AAEC=", &data, &len));
}

TEST_F(m, scalars)
{
	uint64_t u;
	int64_t i;

	EXPECT_EQ(COSI_SCALAR_NULL, cosi_scalar_resolve("~"));
	EXPECT_EQ(COSI_SCALAR_BOOL, cosi_scalar_resolve("Yes"));
	EXPECT_EQ(COSI_SCALAR_BOOL, cosi_scalar_resolve("off"));
	EXPECT_EQ(COSI_SCALAR_INT, cosi_scalar_resolve("-12"));
	EXPECT_EQ(COSI_SCALAR_INT, cosi_scalar_resolve("0b101"));
	EXPECT_EQ(COSI_SCALAR_INT, cosi_scalar_resolve("99999999999999999999999"));
	EXPECT_EQ(COSI_SCALAR_FLOAT, cosi_scalar_resolve("1e3"));
	EXPECT_EQ(COSI_SCALAR_FLOAT, cosi_scalar_resolve("-.inf"));
	EXPECT_EQ(COSI_SCALAR_STRING, cosi_scalar_resolve("1.2.3"));
	EXPECT_EQ(COSI_SCALAR_STRING, cosi_scalar_resolve("0x"));
	EXPECT_EQ(COSI_SCALAR_STRING, cosi_scalar_resolve("eth0"));
	EXPECT_TRUE(cosi_scalar_needs_quotes("1.2.3"));
	EXPECT_TRUE(cosi_scalar_needs_quotes("y"));
	EXPECT_TRUE(cosi_scalar_needs_quotes(""));
	EXPECT_FALSE(cosi_scalar_needs_quotes("eth0"));
	EXPECT_EQ(0, cosi_scalar_u64("0o17", &u));
	EXPECT_EQ(15, u);
	EXPECT_EQ(-ERANGE, cosi_scalar_u64("-1", &u));
	EXPECT_EQ(0, cosi_scalar_s64("-0x10", &i));
	EXPECT_EQ(-16, i);
	EXPECT_EQ(-EINVAL, cosi_scalar_s64("12a", &i));
}

TEST_F(m, rfc3339)
{
	char buf[48];

	EXPECT_STREQ("1970-01-01T00:00:00Z", cosi_rfc3339(0, buf, sizeof(buf)));
	EXPECT_STREQ("2023-11-14T22:13:20.5Z",
		     cosi_rfc3339(1700000000500000000ull, buf, sizeof(buf)));
	EXPECT_STREQ("2023-11-14T22:13:20.000000001Z",
		     cosi_rfc3339(1700000000000000001ull, buf, sizeof(buf)));
}

TEST_F(m, resolve)
{
	const struct cosi_definition *d;
	char msg[256];

	ASSERT_EQ(0, cosi_resolve_type(&self->defs, "links.NET.cosi.dev", &d,
				       msg, sizeof(msg)));
	EXPECT_STREQ("Links.net.cosi.dev", d->type);
	ASSERT_EQ(0, cosi_resolve_type(&self->defs, "Link", &d, msg, sizeof(msg)));
	EXPECT_STREQ("Links.net.cosi.dev", d->type);
	ASSERT_EQ(0, cosi_resolve_type(&self->defs, "sysctlconfigs", &d, msg,
				       sizeof(msg)));
	EXPECT_STREQ("SysctlConfigs.cosi.dev", d->type);
	ASSERT_EQ(0, cosi_resolve_type(&self->defs, "sysctlc", &d, msg,
				       sizeof(msg)));
	EXPECT_STREQ("SysctlConfigs.cosi.dev", d->type);
	/* an alias wins over prefixes */
	ASSERT_EQ(0, cosi_resolve_type(&self->defs, "SYSCTL", &d, msg,
				       sizeof(msg)));
	EXPECT_STREQ("SysctlConfigs.cosi.dev", d->type);
	EXPECT_EQ(-EINVAL, cosi_resolve_type(&self->defs, "sys", &d, msg,
					     sizeof(msg)));
	EXPECT_STREQ("type \"sys\" is ambiguous: SysctlConfigs.cosi.dev Sysfs.other.dev",
		     msg);
	EXPECT_EQ(-ENOENT, cosi_resolve_type(&self->defs, "links.net", &d, msg,
					     sizeof(msg)));
	EXPECT_EQ(-ENOENT, cosi_resolve_type(&self->defs, "", &d, msg,
					     sizeof(msg)));
	EXPECT_TRUE(cosi_resolve_is_definitions("RD"));
	EXPECT_TRUE(cosi_resolve_is_definitions("resourcedefinitions"));
	EXPECT_FALSE(cosi_resolve_is_definitions("link"));
	EXPECT_STREQ("network", cosi_resolve_default_ns(self->defs.v[0]));
	EXPECT_STREQ("default", cosi_resolve_default_ns(self->defs.v[1]));
}

static struct cosi_resource *sample(void)
{
	static const char *const tags[] = { "1", "", "yes", "a b" };
	struct cosi_resource *r = calloc(1, sizeof(*r));

	r->ns = strdup("network");
	r->type = strdup("Links.net.cosi.dev");
	r->id = strdup("eth0");
	r->owner = strdup("");
	r->version = 7;
	r->revision = 42;
	r->created = 1700000000000000000ull;
	r->updated = 1700000000123000000ull;
	cosi_kvs_add(&r->labels, "role", "1.0");
	cosi_kvs_add(&r->labels, "empty", "");
	cosi_kvs_add(&r->annotations, "note", "null");
	cosi_strs_add(&r->finalizers, "ctl");
	r->has_writer_caps = true;
	r->has_spec = true;
	cosi_spec_add_string(&r->spec, "name", "0x10");
	cosi_spec_add_u64(&r->spec, "mtu", 1500);
	cosi_spec_add_s64(&r->spec, "offset", -3);
	cosi_spec_add_bool(&r->spec, "up", true);
	cosi_spec_add_bytes(&r->spec, "mac", "\x00\x01\xff", 3);
	cosi_spec_add_strings(&r->spec, "tags", tags, 4);
	return r;
}

static void render(FIXTURE_DATA(m) *self, const struct cosi_resource *r,
		   unsigned int flags)
{
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_yaml *y = cosi_yaml_new(f);

	cosi_yaml_resource(y, r, NULL, flags);
	cosi_yaml_resource(y, r, NULL, flags);
	cosi_yaml_close(y);
	fclose(f);
}

TEST_F(m, yaml_round_trip)
{
	struct cosi_resource *r = sample();

	render(self, r, 0);
	ASSERT_NE(NULL, strstr(self->out, "---\nmetadata:\n  namespace: network\n"))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "mac: !!binary AAH/\n")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "created: \"2023-11-14T22:13:20Z\""));
	EXPECT_NE(NULL, strstr(self->out, "name: \"0x10\""));
	EXPECT_NE(NULL, strstr(self->out, "offset: -3\n"));
	EXPECT_NE(NULL, strstr(self->out, "finalizers: [ctl]") ?:
		  strstr(self->out, "finalizers:\n  - ctl")) TH_LOG("%s", self->out);
	/* the same resource twice: a duplicate; once each namespace: fine */
	EXPECT_EQ(-EINVAL, parse(self, self->out));
	free(r->ns);
	r->ns = strdup("other");
	free(self->out);
	{
		FILE *f = open_memstream(&self->out, &self->outlen);
		struct cosi_yaml *y = cosi_yaml_new(f);
		struct cosi_resource *r0 = sample();

		cosi_yaml_resource(y, r0, NULL, 0);
		cosi_yaml_resource(y, r, NULL, 0);
		cosi_yaml_close(y);
		fclose(f);
		cosi_resource_free(r0);
	}
	ASSERT_EQ(0, parse(self, self->out)) TH_LOG("%s\n%s", self->msg, self->out);
	ASSERT_EQ(2, self->docs.n);
	EXPECT_STREQ("other", self->docs.v[1].ns);
	EXPECT_TRUE(cosi_kvs_equal(&r->labels, &self->docs.v[1].labels));
	EXPECT_TRUE(cosi_kvs_equal(&r->annotations, &self->docs.v[1].annotations));
	EXPECT_TRUE(cosi_spec_equal(&r->spec, &self->docs.v[1].spec));
	EXPECT_TRUE(cosi_spec_equal(&r->spec, &self->docs.v[0].spec));
	cosi_resource_free(r);
}

TEST_F(m, yaml_manifest_form_and_hidden_spec)
{
	struct cosi_resource *r = sample();

	r->has_spec = false;
	render(self, r, COSI_RENDER_MANIFEST);
	EXPECT_EQ(NULL, strstr(self->out, "version:"));
	EXPECT_EQ(NULL, strstr(self->out, "finalizers"));
	EXPECT_EQ(NULL, strstr(self->out, "spec"));
	cosi_resource_free(r);
}

/* @r as cosictl prints it in JSON (into self->out), parsed back. */
static struct json_object *json_render(FIXTURE_DATA(m) *self,
				       const struct cosi_resource *r)
{
	FILE *f = open_memstream(&self->out, &self->outlen);

	if (cosi_json_print(f, cosi_json_resource(r, NULL, 0), true))
		return NULL;
	fclose(f);
	return json_tokener_parse(self->out);
}

/* metadata.writer-caps of a rendered resource, or NULL. */
static struct json_object *json_writer_caps(struct json_object *o)
{
	struct json_object *meta, *v;

	if (!json_object_object_get_ex(o, "metadata", &meta) ||
	    !json_object_object_get_ex(meta, "writer-caps", &v))
		return NULL;
	return v;
}

/*
 * writer-caps: rendered in both forms (the state file keeps it), read
 * back by the manifest parser, which cosid's restore relies on; absent
 * means not recorded (an older file), null or [] recorded as none.
 */
TEST_F(m, writer_caps_round_trip)
{
	struct cosi_resource *r = sample();
	struct json_object *o, *v;
	FILE *f;

	r->writer_caps = COSI_WRITER_CAPS_NET_ADMIN;
	render(self, r, COSI_RENDER_MANIFEST);
	EXPECT_NE(NULL, strstr(self->out, "\n  writer-caps: [net-admin]\n"))
		TH_LOG("%s", self->out);
	free(self->out);
	{
		struct cosi_resource *r0 = sample();
		struct cosi_yaml *y;

		f = open_memstream(&self->out, &self->outlen);
		y = cosi_yaml_new(f);
		r0->writer_caps = COSI_WRITER_CAPS_NET_ADMIN;
		free(r->id);
		r->id = strdup("eth1");
		r->writer_caps = COSI_WRITER_CAPS_NET_ADMIN |
				 COSI_WRITER_CAPS_SYS_ADMIN;
		cosi_yaml_resource(y, r0, NULL, COSI_RENDER_MANIFEST);
		cosi_yaml_resource(y, r, NULL, 0);
		cosi_yaml_close(y);
		fclose(f);
		cosi_resource_free(r0);
	}
	EXPECT_NE(NULL, strstr(self->out, "writer-caps: [net-admin, sys-admin]"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, parse(self, self->out)) TH_LOG("%s\n%s", self->msg, self->out);
	ASSERT_EQ(2, self->docs.n);
	EXPECT_TRUE(self->docs.v[0].has_writer_caps);
	EXPECT_EQ(COSI_WRITER_CAPS_NET_ADMIN, self->docs.v[0].writer_caps);
	EXPECT_TRUE(self->docs.v[1].has_writer_caps);
	EXPECT_EQ(COSI_WRITER_CAPS_NET_ADMIN | COSI_WRITER_CAPS_SYS_ADMIN,
		  self->docs.v[1].writer_caps);

	/* An older file: not recorded; null and []: recorded, none. */
	ASSERT_EQ(0, parse(self, "metadata: {type: sysctl, id: a}\nspec: {value: v}\n"
			   "---\nmetadata: {type: sysctl, id: b, writer-caps: ~}\n"
			   "---\nmetadata: {type: sysctl, id: c, writer-caps: []}\n"))
		TH_LOG("%s", self->msg);
	EXPECT_FALSE(self->docs.v[0].has_writer_caps);
	EXPECT_TRUE(self->docs.v[1].has_writer_caps);
	EXPECT_EQ(0, self->docs.v[1].writer_caps);
	EXPECT_TRUE(self->docs.v[2].has_writer_caps);
	EXPECT_EQ(0, self->docs.v[2].writer_caps);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, writer-caps: [root]}\n"));
	EXPECT_STREQ("t.yaml: document 1 (SysctlConfigs.cosi.dev/a): metadata.writer-caps[0]: expected net-admin, sys-admin or a number of at most 32 bits",
		     self->msg);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, writer-caps: sys-admin}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "metadata.writer-caps: expected a sequence"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, writer-caps: [[sys-admin]]}\n"));
	EXPECT_NE(NULL, strstr(self->msg, "metadata.writer-caps[0]: expected"));

	/* JSON: the same list. */
	free(self->out);
	o = json_render(self, r);
	ASSERT_NE(NULL, o) TH_LOG("%s", self->out);
	v = json_writer_caps(o);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(2, json_object_array_length(v));
	EXPECT_STREQ("net-admin", json_object_get_string(json_object_array_get_idx(v, 0)));
	EXPECT_STREQ("sys-admin", json_object_get_string(json_object_array_get_idx(v, 1)));
	json_object_put(o);
	cosi_resource_free(r);
}

/* @r's manifest form alone (render() prints it twice). */
static void render_one(FIXTURE_DATA(m) *self, const struct cosi_resource *r)
{
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_yaml *y = cosi_yaml_new(f);

	cosi_yaml_resource(y, r, NULL, COSI_RENDER_MANIFEST);
	cosi_yaml_close(y);
	fclose(f);
}

/*
 * Bits of a newer cosi.ko that have no name here are kept as a number
 * (and read back); a reply without writer-caps renders none, so that a
 * state file written from it reads as "not recorded", not as "none".
 */
TEST_F(m, writer_caps_unknown_bits_and_absent)
{
	struct cosi_resource *r = sample();
	struct json_object *o, *v;

	r->writer_caps = COSI_WRITER_CAPS_SYS_ADMIN | 0x30;
	render_one(self, r);
	EXPECT_NE(NULL, strstr(self->out, "\n  writer-caps: [sys-admin, 48]\n"))
		TH_LOG("%s", self->out);
	ASSERT_EQ(0, parse(self, self->out)) TH_LOG("%s", self->msg);
	EXPECT_EQ(COSI_WRITER_CAPS_SYS_ADMIN | 0x30, self->docs.v[0].writer_caps);
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, writer-caps: [4294967296]}\n"));
	EXPECT_EQ(-EINVAL, parse(self, "metadata: {type: sysctl, id: a, writer-caps: [-1]}\n"));

	free(self->out);
	o = json_render(self, r);
	ASSERT_NE(NULL, o) TH_LOG("%s", self->out);
	v = json_writer_caps(o);
	ASSERT_NE(NULL, v);
	ASSERT_EQ(2, json_object_array_length(v));
	EXPECT_EQ(48, json_object_get_int64(json_object_array_get_idx(v, 1)));
	json_object_put(o);

	r->has_writer_caps = false;
	free(self->out);
	render_one(self, r);
	EXPECT_EQ(NULL, strstr(self->out, "writer-caps")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, parse(self, self->out)) TH_LOG("%s", self->msg);
	EXPECT_FALSE(self->docs.v[0].has_writer_caps);
	free(self->out);
	o = json_render(self, r);
	ASSERT_NE(NULL, o) TH_LOG("%s", self->out);
	EXPECT_EQ(NULL, json_writer_caps(o));
	json_object_put(o);
	cosi_resource_free(r);
}

TEST_F(m, yaml_events)
{
	struct cosi_resource *r = sample();
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_yaml *y = cosi_yaml_new(f);

	EXPECT_EQ(0, cosi_yaml_resource(y, r, "updated", 0));
	EXPECT_EQ(0, cosi_yaml_marker(y, 12));
	EXPECT_EQ(0, cosi_yaml_close(y));
	fclose(f);
	EXPECT_EQ(0, strncmp(self->out, "---\nevent: updated\nmetadata:", 28))
		TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "---\nevent: bootstrapped\nrevision: 12\n"));
	cosi_resource_free(r);
}

TEST_F(m, json)
{
	struct cosi_resource *r = sample();
	struct json_object *o, *spec, *v;
	FILE *f = open_memstream(&self->out, &self->outlen);

	EXPECT_EQ(0, cosi_json_print(f, cosi_json_resource(r, NULL, 0), true));
	fclose(f);
	o = json_tokener_parse(self->out);
	ASSERT_NE(NULL, o) TH_LOG("%s", self->out);
	ASSERT_TRUE(json_object_object_get_ex(o, "spec", &spec));
	ASSERT_TRUE(json_object_object_get_ex(spec, "mtu", &v));
	EXPECT_EQ(1500, json_object_get_uint64(v));
	ASSERT_TRUE(json_object_object_get_ex(spec, "offset", &v));
	EXPECT_EQ(-3, json_object_get_int64(v));
	ASSERT_TRUE(json_object_object_get_ex(spec, "up", &v));
	EXPECT_TRUE(json_object_is_type(v, json_type_boolean));
	ASSERT_TRUE(json_object_object_get_ex(spec, "mac", &v));
	EXPECT_STREQ("AAH/", json_object_get_string(v));
	ASSERT_TRUE(json_object_object_get_ex(spec, "tags", &v));
	EXPECT_EQ(4, json_object_array_length(v));
	json_object_put(o);
	cosi_resource_free(r);
}

/*
 * cosictl get --etcd reads the JSON documents back (json_resource.c):
 * every field type with the schema, without it by JSON type, and errors.
 */
TEST_F(m, json_read_back)
{
	struct cosi_resource *r = sample(), back;
	const struct cosi_field *f;
	struct json_object *o;

	r->has_writer_caps = true;
	r->writer_caps = COSI_WRITER_CAPS_NET_ADMIN | 0x100;
	r->phase = COSI_PHASE_TEARING_DOWN;
	o = json_render(self, r);
	ASSERT_NE(NULL, o);
	ASSERT_EQ(0, cosi_json_to_resource(o, self->defs.v[0], &back,
					   self->msg, sizeof(self->msg)))
		TH_LOG("%s", self->msg);
	EXPECT_STREQ(r->ns, back.ns);
	EXPECT_STREQ(r->type, back.type);
	EXPECT_STREQ(r->id, back.id);
	EXPECT_STREQ(r->owner, back.owner);
	EXPECT_EQ(r->version, back.version);
	EXPECT_EQ(r->revision, back.revision);
	EXPECT_EQ(r->created, back.created);
	EXPECT_EQ(r->updated, back.updated);
	EXPECT_EQ(COSI_PHASE_TEARING_DOWN, back.phase);
	EXPECT_TRUE(back.has_writer_caps);
	EXPECT_EQ(r->writer_caps, back.writer_caps);
	EXPECT_TRUE(cosi_kvs_equal(&r->labels, &back.labels));
	EXPECT_TRUE(cosi_kvs_equal(&r->annotations, &back.annotations));
	EXPECT_EQ(r->finalizers.n, back.finalizers.n);
	EXPECT_TRUE(cosi_spec_equal(&r->spec, &back.spec));
	cosi_resource_clear(&back);
	/* No schema: bytes stay their base64 text, the rest as typed. */
	ASSERT_EQ(0, cosi_json_to_resource(o, NULL, &back, self->msg,
					   sizeof(self->msg)));
	f = cosi_spec_get(&back.spec, "mac");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(COSI_FIELD_TYPE_STRING, f->type);
	EXPECT_STREQ("AAH/", f->str);
	f = cosi_spec_get(&back.spec, "offset");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(COSI_FIELD_TYPE_S64, f->type);
	f = cosi_spec_get(&back.spec, "tags");
	ASSERT_NE(NULL, f);
	EXPECT_EQ(COSI_FIELD_TYPE_STRING_LIST, f->type);
	cosi_resource_clear(&back);
	json_object_put(o);
	cosi_resource_free(r);

	/* Errors name the field. */
	o = json_tokener_parse("{\"metadata\":{\"namespace\":\"n\",\"type\":\"Links.net.cosi.dev\",\"id\":\"i\"},\"spec\":{\"mtu\":\"x\"}}");
	EXPECT_EQ(-EINVAL, cosi_json_to_resource(o, self->defs.v[0], &back,
						 self->msg, sizeof(self->msg)));
	EXPECT_STREQ("spec.mtu: expected u64", self->msg);
	json_object_put(o);
	o = json_tokener_parse("{\"metadata\":{\"namespace\":\"n\",\"type\":\"T\",\"id\":\"i\",\"created\":\"yesterday\"}}");
	EXPECT_EQ(-EINVAL, cosi_json_to_resource(o, NULL, &back, self->msg,
						 sizeof(self->msg)));
	EXPECT_STREQ("metadata.created: expected an RFC 3339 UTC time", self->msg);
	json_object_put(o);
	o = json_tokener_parse("{\"metadata\":{\"namespace\":\"n\",\"type\":\"T\"}}");
	EXPECT_EQ(-EINVAL, cosi_json_to_resource(o, NULL, &back, self->msg,
						 sizeof(self->msg)));
	EXPECT_STREQ("metadata.id: expected a string", self->msg);
	json_object_put(o);
}

TEST_F(m, table)
{
	struct cosi_resource *r = sample();
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_table *t = cosi_resource_table_new(self->defs.v[0], false,
						       false);

	ASSERT_EQ(0, cosi_resource_table_add(t, self->defs.v[0], r, 0));
	r->has_spec = false;
	ASSERT_EQ(0, cosi_resource_table_add(t, self->defs.v[0], r, 0));
	cosi_table_flush(t, f);
	cosi_table_free(t);
	fclose(f);
	EXPECT_STREQ(
		"NAMESPACE   TYPE                 ID     VERSION   MTU        TAGS\n"
		"network     Links.net.cosi.dev   eth0   7         1500       1,,yes,a b\n"
		"network     Links.net.cosi.dev   eth0   7         <hidden>   <hidden>\n",
		self->out);
	free(self->out);
	f = open_memstream(&self->out, &self->outlen);
	EXPECT_EQ(0, cosi_render_definitions_table(f, self->defs.v, 2));
	fclose(f);
	EXPECT_NE(NULL, strstr(self->out, "Links.net.cosi.dev       link      network      public        6        0\n"))
		TH_LOG("%s", self->out);
	cosi_resource_free(r);
}

TEST_F(m, definitions_round_trip)
{
	struct cosi_definitions parsed;
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_yaml *y = cosi_yaml_new(f);
	size_t i;

	self->defs.v[1]->sensitivity = COSI_SENSITIVITY_SENSITIVE;
	/* "get rd -o yaml | define" keeps a sys-admin type sys-admin. */
	self->defs.v[2]->write_access = COSI_WRITE_ACCESS_SYS_ADMIN;
	for (i = 0; i < self->defs.n; i++)
		cosi_yaml_definition(y, self->defs.v[i], 0);
	cosi_yaml_close(y);
	fclose(f);
	ASSERT_EQ(0, cosi_manifest_parse_definitions(self->out, self->outlen,
		  "d.yaml", &parsed, self->msg, sizeof(self->msg)))
		TH_LOG("%s\n%s", self->msg, self->out);
	ASSERT_EQ(3, parsed.n);
	for (i = 0; i < 3; i++)
		EXPECT_TRUE(cosi_definition_equal(self->defs.v[i], parsed.v[i]))
			TH_LOG("definition %zu\n%s", i, self->out);
	EXPECT_EQ(COSI_WRITE_ACCESS_NET_ADMIN, parsed.v[0]->write_access);
	EXPECT_EQ(COSI_WRITE_ACCESS_SYS_ADMIN, parsed.v[2]->write_access);
	EXPECT_NE(NULL, strstr(self->out, "write-access: sys-admin\n"));
	cosi_definitions_clear(&parsed);
	EXPECT_EQ(-EINVAL, cosi_manifest_parse_definitions(
		"type: X\nwrite-access: root\n", 27, "d.yaml", &parsed,
		self->msg, sizeof(self->msg)));
	EXPECT_STREQ("d.yaml: document 1 (X): write-access: expected net-admin or sys-admin",
		     self->msg);
	EXPECT_EQ(-EINVAL, cosi_manifest_parse_definitions(
		"type: X\nfields: [{name: a, type: float}]\n", 40, "d.yaml",
		&parsed, self->msg, sizeof(self->msg)));
	EXPECT_STREQ("d.yaml: document 1 (X): fields[0].type: expected one of string, u64, s64, bool, bytes, string-list",
		     self->msg);
	EXPECT_EQ(-EINVAL, cosi_manifest_parse_definitions(
		"aliases: [a]\n", 13, "d.yaml", &parsed, self->msg,
		sizeof(self->msg)));
	EXPECT_STREQ("d.yaml: document 1: type: expected a non-empty string",
		     self->msg);
	EXPECT_EQ(-EINVAL, cosi_manifest_parse_definitions(
		"type: X\nsensitivity: secret\n", 28, "d.yaml", &parsed,
		self->msg, sizeof(self->msg)));
	EXPECT_NE(NULL, strstr(self->msg, "sensitivity: expected public or sensitive"));
}

TEST_F(m, selectors)
{
	struct cosi_selector s;
	char msg[128];

	ASSERT_EQ(0, cosi_selector_parse("a=1, !b,c!=x, d in (x, y),e notin (z),f,g>=10",
					 &s, msg, sizeof(msg)));
	ASSERT_EQ(7, s.n);
	EXPECT_STREQ("a", s.terms[0].key);
	EXPECT_EQ(COSI_LABEL_OP_EQUAL, s.terms[0].op);
	EXPECT_STREQ("1", s.terms[0].values[0]);
	EXPECT_TRUE(s.terms[1].invert);
	EXPECT_EQ(COSI_LABEL_OP_EXISTS, s.terms[1].op);
	EXPECT_TRUE(s.terms[2].invert);
	EXPECT_EQ(COSI_LABEL_OP_EQUAL, s.terms[2].op);
	EXPECT_EQ(COSI_LABEL_OP_IN, s.terms[3].op);
	ASSERT_EQ(2, s.terms[3].n_values);
	EXPECT_STREQ("y", s.terms[3].values[1]);
	EXPECT_TRUE(s.terms[4].invert);
	EXPECT_EQ(COSI_LABEL_OP_EXISTS, s.terms[5].op);
	EXPECT_FALSE(s.terms[5].invert);
	EXPECT_EQ(COSI_LABEL_OP_LT_NUMERIC, s.terms[6].op);
	EXPECT_TRUE(s.terms[6].invert);
	EXPECT_EQ(7, s.query.n);
	cosi_selector_clear(&s);
	ASSERT_EQ(0, cosi_selector_parse("k == v", &s, msg, sizeof(msg)));
	EXPECT_STREQ("k", s.terms[0].key);
	EXPECT_STREQ("v", s.terms[0].values[0]);
	cosi_selector_clear(&s);
	EXPECT_EQ(-EINVAL, cosi_selector_parse("", &s, msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_selector_parse("a in x", &s, msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_selector_parse("a,,b", &s, msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_selector_parse("=v", &s, msg, sizeof(msg)));
	EXPECT_STREQ("invalid label selector \"=v\"", msg);
}

static int args(struct cosictl_args *a, char *msg, ...)
{
	char *argv[16] = { "cosictl" };
	int argc = 1;
	va_list ap;

	va_start(ap, msg);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	msg[0] = 0;
	return cosictl_parse_args(argc, argv, a, msg, 256);
}

TEST_F(m, command_line)
{
	struct cosictl_args a;
	char msg[256];

	ASSERT_EQ(0, args(&a, msg, "get", "link", "eth0", "-n", "x", "-o",
			  "yaml", NULL)) TH_LOG("%s", msg);
	EXPECT_EQ(COSICTL_GET, a.cmd);
	EXPECT_STREQ("link", a.type);
	EXPECT_STREQ("eth0", a.id);
	EXPECT_STREQ("x", a.ns);
	EXPECT_EQ(COSI_OUTPUT_YAML, a.output);
	EXPECT_EQ(30000, a.wait_ms);
	ASSERT_EQ(0, args(&a, msg, "-o", "json", "--namespace=n", "watch", "rd",
			  "--since", "5", "--count", "3", "--timeout", "1.5",
			  "-l", "a=b", NULL)) TH_LOG("%s", msg);
	EXPECT_EQ(COSICTL_WATCH, a.cmd);
	EXPECT_TRUE(a.has_since);
	EXPECT_EQ(5, a.since);
	EXPECT_EQ(3, a.count);
	EXPECT_EQ(1500, a.timeout_ms);
	EXPECT_STREQ("a=b", a.selector);
	ASSERT_EQ(0, args(&a, msg, "get", "-w", "link", "--count=1", NULL));
	EXPECT_TRUE(a.watch);
	ASSERT_EQ(0, args(&a, msg, "delete", "link", "x", "--wait", "0",
			  "--ignore-not-found", NULL));
	EXPECT_EQ(0, a.wait_ms);
	EXPECT_TRUE(a.ignore_not_found);
	ASSERT_EQ(0, args(&a, msg, "apply", "-f", "-", NULL));
	EXPECT_STREQ("-", a.file);
	ASSERT_EQ(0, args(&a, msg, "define", "--filename", "d.yaml", NULL));
	ASSERT_EQ(0, args(&a, msg, "undefine", "link", NULL));
	EXPECT_EQ(COSICTL_UNDEFINE, a.cmd);
	ASSERT_EQ(0, args(&a, msg, "get", "-h", NULL));
	EXPECT_EQ(COSICTL_HELP, a.cmd);
	EXPECT_STREQ("get", a.help);
	ASSERT_EQ(0, args(&a, msg, "version", NULL));
	EXPECT_EQ(COSICTL_VERSION, a.cmd);
	ASSERT_EQ(0, args(&a, msg, "completion", "bash", NULL));
	EXPECT_EQ(COSICTL_COMPLETION, a.cmd);
	EXPECT_EQ(-EINVAL, args(&a, msg, "completion", "zsh", NULL));
	EXPECT_STREQ("completion: unknown shell \"zsh\" (bash)", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "completion", NULL));
	EXPECT_STREQ("completion: missing operand", msg);

	EXPECT_EQ(-EINVAL, args(&a, msg, NULL));
	EXPECT_STREQ("missing command (see cosictl help)", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "frob", NULL));
	EXPECT_STREQ("unknown command \"frob\" (see cosictl help)", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "x", "--bogus", NULL));
	EXPECT_STREQ("unknown option --bogus", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "x", "-z", NULL));
	EXPECT_STREQ("unknown option -z", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "x", "-n", NULL));
	EXPECT_STREQ("option -n needs an argument", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "watch", "x", "--since", NULL));
	EXPECT_STREQ("option --since needs an argument", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "x", "-o", "xml", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "x", "--since", "-1", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "x", "--count", "2", NULL));
	EXPECT_STREQ("option --count does not apply to get", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "apply", "-f", "x", "-n", "y", NULL));
	EXPECT_STREQ("option -n does not apply to apply", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "apply", NULL));
	EXPECT_STREQ("apply needs -f FILE", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "apply", "-f", "x", "y", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "link", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "-f", "x", "link", "a", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", NULL));
	EXPECT_STREQ("get: missing operand", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "a", "b", "c", NULL));
	EXPECT_STREQ("get: too many operands", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "a", "b", "-l", "x", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "a", "b", "--wait", "x", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "watch", "a", "--timeout", "-1", NULL));
}

TEST_F(m, command_line_workflow)
{
	struct cosictl_args a;
	char msg[256];

	/* help CMD and CMD --help: that command's usage. */
	ASSERT_EQ(0, args(&a, msg, "help", "get", NULL)) TH_LOG("%s", msg);
	EXPECT_EQ(COSICTL_HELP, a.cmd);
	EXPECT_STREQ("get", a.help);
	ASSERT_EQ(0, args(&a, msg, "delete", "--help", NULL));
	EXPECT_STREQ("delete", a.help);
	ASSERT_EQ(0, args(&a, msg, "-h", NULL));
	EXPECT_EQ(NULL, a.help);
	ASSERT_EQ(0, args(&a, msg, "help", NULL));
	EXPECT_EQ(NULL, a.help);
	EXPECT_EQ(-EINVAL, args(&a, msg, "help", "frob", NULL));
	EXPECT_STREQ("help: unknown command \"frob\"", msg);
	EXPECT_EQ(0, strncmp(cosictl_usage("get"), "usage: cosictl get ", 19));
	EXPECT_EQ(0, strncmp(cosictl_usage("wait"), "usage: cosictl wait ", 20));
	EXPECT_EQ(0, strncmp(cosictl_usage(NULL), "usage: cosictl <command>", 24));
	EXPECT_NE(NULL, strstr(cosictl_usage(NULL), "exit status: 0 done, 1 failed, 2 bad command line"));

	/* --wait: milliseconds in an int, bounded. */
	ASSERT_EQ(0, args(&a, msg, "delete", "t", "x", "--wait", "2147483", NULL));
	EXPECT_EQ(2147483000, a.wait_ms);
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "t", "x", "--wait", "2147484", NULL));
	EXPECT_STREQ("--wait: invalid seconds \"2147484\" (0 to 2147483)", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "t", "x", "--wait", "4294968", NULL));

	/* delete's forms. */
	ASSERT_EQ(0, args(&a, msg, "delete", "t", "-l", "a=b", NULL)) TH_LOG("%s", msg);
	EXPECT_STREQ("t", a.type);
	EXPECT_EQ(NULL, a.id);
	EXPECT_STREQ("a=b", a.selector);
	ASSERT_EQ(0, args(&a, msg, "delete", "t", "--all", NULL));
	EXPECT_TRUE(a.all);
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "t", "--all", "-l", "a", NULL));
	EXPECT_STREQ("delete: -l and --all exclude each other", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "t", "x", "--all", NULL));
	EXPECT_STREQ("delete: -l and --all take a type and no id", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "-f", "m.yaml", "--all", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "t", NULL));
	EXPECT_STREQ("delete needs -f FILE, <type> <id>, <type> -l SELECTOR or <type> --all", msg);

	/* wait. */
	ASSERT_EQ(0, args(&a, msg, "wait", "t", "x", "--for", "delete", NULL));
	EXPECT_EQ(COSICTL_WAIT, a.cmd);
	EXPECT_EQ(COSICTL_FOR_DELETE, a.wait_for);
	EXPECT_EQ(30000, a.timeout_ms);
	ASSERT_EQ(0, args(&a, msg, "wait", "t", "x", "--for=spec.mtu=9000",
			  "--timeout", "2m", NULL));
	EXPECT_EQ(COSICTL_FOR_FIELD, a.wait_for);
	EXPECT_STREQ("mtu", a.for_field);
	EXPECT_STREQ("9000", a.for_value);
	EXPECT_EQ(120000, a.timeout_ms);
	ASSERT_EQ(0, args(&a, msg, "wait", "t", "x", "--for", "name=a=b",
			  "--timeout", "0", NULL));
	EXPECT_STREQ("name", a.for_field);
	EXPECT_STREQ("a=b", a.for_value);
	EXPECT_EQ(0, a.timeout_ms);
	ASSERT_EQ(0, args(&a, msg, "wait", "t", "x", "--for", "create",
			  "--timeout", "1.5s", NULL));
	EXPECT_EQ(COSICTL_FOR_CREATE, a.wait_for);
	EXPECT_EQ(1500, a.timeout_ms);
	EXPECT_EQ(-EINVAL, args(&a, msg, "wait", "t", "x", NULL));
	EXPECT_STREQ("wait needs --for create, delete or FIELD=VALUE", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "wait", "t", "x", "--for", "ready", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "wait", "t", "x", "--for", "=1", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "wait", "t", "--for", "create", NULL));
	EXPECT_EQ(-EINVAL, args(&a, msg, "wait", "t", "x", "--for", "create",
				"--timeout", "5d", NULL));
	/* kubectl durations; nothing that rounds to 0 unless it is 0. */
	{
		static const struct { const char *in; long ms; } ok[] = {
			{ "500ms", 500 }, { "30s", 30000 }, { "1m30s", 90000 },
			{ "1h", 3600000 }, { "1h2m3s4ms", 3723004 },
			{ "0s", 0 }, { "0.0", 0 }, { ".5s", 500 }, { "3", 3000 },
		};
		static const char bad[][12] = {
			"1e-9", "1e3", "0.0001", "0.1ms", "1m30", "s", "1x",
			"-1s", "+1", "inf", "0x10", " 1", "1.5.5", "9000h", "",
		};
		char dur[32];
		size_t i;

		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			ASSERT_EQ(0, args(&a, msg, "wait", "t", "x", "--for",
					  "create", "--timeout", ok[i].in,
					  NULL)) TH_LOG("%s", ok[i].in);
			EXPECT_EQ(ok[i].ms, a.timeout_ms) TH_LOG("%s", ok[i].in);
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			EXPECT_EQ(-EINVAL, args(&a, msg, "wait", "t", "x",
						"--for", "create", "--timeout",
						bad[i], NULL)) TH_LOG("%s", bad[i]);
		cosictl_fmt_duration(2500000, dur, sizeof(dur));
		EXPECT_STREQ("2500s", dur);
		cosictl_fmt_duration(1500, dur, sizeof(dur));
		EXPECT_STREQ("1.5s", dur);
		cosictl_fmt_duration(1, dur, sizeof(dur));
		EXPECT_STREQ("0.001s", dur);
		cosictl_fmt_duration(30000, dur, sizeof(dur));
		EXPECT_STREQ("30s", dur);
	}

	/* finalizer remove. */
	ASSERT_EQ(0, args(&a, msg, "finalizer", "remove", "t", "x", "f1",
			  "-n", "ns", NULL)) TH_LOG("%s", msg);
	EXPECT_EQ(COSICTL_FINALIZER, a.cmd);
	EXPECT_STREQ("t", a.type);
	EXPECT_STREQ("x", a.id);
	EXPECT_STREQ("f1", a.finalizer);
	EXPECT_EQ(-EINVAL, args(&a, msg, "finalizer", "add", "t", "x", "f", NULL));
	EXPECT_STREQ("finalizer: unknown subcommand \"add\" (remove)", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "finalizer", "remove", "t", "x", NULL));

	/* Outputs. */
	ASSERT_EQ(0, args(&a, msg, "get", "t", "-o", "wide", NULL));
	EXPECT_EQ(COSI_OUTPUT_WIDE, a.output);
	ASSERT_EQ(0, args(&a, msg, "get", "t", "-o", "jsonpath={.items[*].metadata.id}", NULL));
	EXPECT_EQ(COSI_OUTPUT_JSONPATH, a.output);
	EXPECT_STREQ("{.items[*].metadata.id}", a.jsonpath);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "t", "-o", "jsonpath={.a", NULL));
	EXPECT_STREQ("jsonpath: unclosed \"{\" at \"{.a\"", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "watch", "t", "-o", "jsonpath={.a}", NULL));
	EXPECT_STREQ("watch: -o jsonpath is for get (not watch)", msg);

	/* __complete takes every word, options included. */
	ASSERT_EQ(0, args(&a, msg, "__complete", "get", "-o", "", NULL));
	EXPECT_EQ(COSICTL_COMPLETE, a.cmd);
	ASSERT_EQ(3, a.nwords);
	EXPECT_STREQ("-o", a.words[1]);
}

/* A resource with only some fields, for the wide table. */
TEST_F(m, table_wide)
{
	struct cosi_resource *r = sample();
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_table *t = cosi_resource_table_new(self->defs.v[0], true,
						       true);

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, cosi_resource_table_add(t, self->defs.v[0], r, '+'));
	cosi_table_flush(t, f);
	cosi_table_free(t);
	fclose(f);
	EXPECT_STREQ(
		"    NAMESPACE   TYPE                 ID     VERSION   MTU    TAGS         NAME   OFFSET   UP     MAC\n"
		"+   network     Links.net.cosi.dev   eth0   7         1500   1,,yes,a b   0x10   -3       true   AAH/\n",
		self->out);
	cosi_resource_free(r);
}

/* A multi-line value (a hosts file) stays on its row, as in kubectl. */
TEST_F(m, table_multiline)
{
	static const char *const h[] = { "ID", "CONTENT", "V" };
	static const char *const row[] = {
		"hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost\n", "1",
	};
	static const char *const row2[] = { "bell", "a\a\x1b[31mb", "2" };
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_table *t = cosi_table_new(h, 3);

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, cosi_table_add(t, row));
	ASSERT_EQ(0, cosi_table_add(t, row2));
	cosi_table_flush(t, f);
	cosi_table_free(t);
	fclose(f);
	EXPECT_STREQ("ID      CONTENT                   V\n"
		     "hosts   127.0.0.1\\tlocalhost...   1\n"
		     "bell    a\\x07\\x1b[31mb            2\n", self->out);
}

/* Out of memory half-way through a row: the row is not kept. */
TEST_F(m, table_oom)
{
	static const char *const h[] = { "A", "B", "C" };
	static const char *const row1[] = { "a1", "b1", "c1" };
	static const char *const row2[] = { "a2", "b2", "c2" };
	FILE *f = open_memstream(&self->out, &self->outlen);
	struct cosi_table *t = cosi_table_new(h, 3);
	struct cosi_resource *r = sample();
	int n;

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, cosi_table_add(t, row1));
	strdup_fail_in = 2;		/* the second cell of the row */
	EXPECT_EQ(-ENOMEM, cosi_table_add(t, row2));
	EXPECT_EQ(0, strdup_fail_in);
	cosi_table_flush(t, f);
	cosi_table_free(t);
	fclose(f);
	EXPECT_STREQ("A    B    C\na1   b1   c1\n", self->out);
	free(self->out);
	self->out = NULL;
	/* Each allocation of a resource row, failing in turn. */
	for (n = 1; n < 20; n++) {
		t = cosi_resource_table_new(self->defs.v[0], false, true);
		ASSERT_NE(NULL, t);
		strdup_fail_in = n;
		if (!cosi_resource_table_add(t, self->defs.v[0], r, 0)) {
			strdup_fail_in = 0;
			cosi_table_free(t);
			break;
		}
		strdup_fail_in = 0;
		f = open_memstream(&self->out, &self->outlen);
		cosi_table_flush(t, f);
		fclose(f);
		EXPECT_EQ(NULL, strchr(self->out, '\n') ?
			  strchr(strchr(self->out, '\n') + 1, '\n') : NULL)
			TH_LOG("failure %d kept a row: %s", n, self->out);
		free(self->out);
		self->out = NULL;
		cosi_table_free(t);
	}
	EXPECT_LT(1, n);
	EXPECT_GT(20, n);
	cosi_resource_free(r);
}

static char *jp(FIXTURE_DATA(m) *self, const char *tmpl, const char *json)
{
	struct json_object *o = json_tokener_parse(json);
	FILE *f;
	int err;

	free(self->out);
	self->out = NULL;
	f = open_memstream(&self->out, &self->outlen);
	err = cosi_jsonpath_print(f, tmpl, o, self->msg, sizeof(self->msg));
	fclose(f);
	json_object_put(o);
	return err ? NULL : self->out;
}

TEST_F(m, jsonpath)
{
	const char *one = "{\"metadata\": {\"id\": \"eth0\", \"labels\": {\"a\": \"1\"}},"
			  " \"spec\": {\"mtu\": 1500, \"up\": true, \"tags\": [\"x\", \"y\"]}}";
	const char *list = "{\"items\": ["
		"{\"metadata\": {\"id\": \"a\"}, \"spec\": {\"mtu\": 1}},"
		"{\"metadata\": {\"id\": \"b\"}, \"spec\": {\"mtu\": 2}},"
		"{\"metadata\": {\"id\": \"c\"}, \"spec\": {}}]}";

	EXPECT_STREQ("eth0", jp(self, "{.metadata.id}", one));
	EXPECT_STREQ("1500", jp(self, "{.spec.mtu}", one));
	EXPECT_STREQ("true", jp(self, "{.spec.up}", one));
	EXPECT_STREQ("[\"x\",\"y\"]", jp(self, "{.spec.tags}", one));
	EXPECT_STREQ("y", jp(self, "{.spec.tags[1]}", one));
	EXPECT_STREQ("y", jp(self, "{.spec.tags[-1]}", one));
	EXPECT_STREQ("x y", jp(self, "{.spec.tags[*]}", one));
	EXPECT_STREQ("id=eth0 mtu=1500", jp(self, "id={.metadata.id} mtu={$.spec.mtu}", one));
	EXPECT_STREQ("", jp(self, "{.spec.nope}", one));
	EXPECT_STREQ("", jp(self, "{.spec.tags[5]}", one));
	EXPECT_STREQ("1", jp(self, "{.metadata.labels.*}", one));
	/* Keys holding dots: "\." and ['key'] as in client-go. */
	EXPECT_STREQ("cfg", jp(self, "{.metadata.labels.cosi\\.dev/source}",
			       "{\"metadata\": {\"labels\": {\"cosi.dev/source\": \"cfg\"}}}"));
	EXPECT_STREQ("cfg", jp(self, "{.metadata.labels['cosi.dev/source']}",
			       "{\"metadata\": {\"labels\": {\"cosi.dev/source\": \"cfg\"}}}"));
	EXPECT_STREQ("1", jp(self, "{.metadata[\"labels\"]['a']}", one));
	EXPECT_STREQ("q", jp(self, "{['it\\'s']}", "{\"it's\": \"q\"}"));
	EXPECT_EQ(NULL, jp(self, "{.metadata['a','b']}", one));	/* no unions */
	EXPECT_NE(NULL, strstr(self->msg, "expected ['key']"));
	EXPECT_EQ(NULL, jp(self, "{.metadata['a}", one));
	EXPECT_STREQ("a b c", jp(self, "{.items[*].metadata.id}", list));
	EXPECT_STREQ("1 2", jp(self, "{.items[*].spec.mtu}", list));
	EXPECT_STREQ("a=1\nb=2\nc=\n",
		     jp(self, "{range .items[*]}{.metadata.id}={.spec.mtu}{\"\\n\"}{end}", list));
	EXPECT_EQ(NULL, jp(self, "{.items[0:1]}", list));	/* no slices */
	EXPECT_STREQ("a{x}b\t", jp(self, "{range .items[0]}{.metadata.id}{end}{'{x}'}{range .items[1]}{@.metadata.id}{end}{\"\\t\"}", list));
	EXPECT_STREQ("", jp(self, "{range .none[*]}{.x}{end}", list));
	EXPECT_STREQ("{\"id\":\"a\"}", jp(self, "{.items[0].metadata}", list));
	EXPECT_STREQ("aa", jp(self, "{range .items[0]}{.metadata.id}{.metadata.id}{end}", list));
	EXPECT_STREQ("{\"mtu\":1}", jp(self, "{range .items[0].spec}{.}{end}", list));

	EXPECT_EQ(NULL, jp(self, "{.a", one));
	EXPECT_STREQ("jsonpath: unclosed \"{\" at \"{.a\"", self->msg);
	EXPECT_EQ(NULL, jp(self, "{range .items[*]}{.a}", list));
	EXPECT_STREQ("jsonpath: {range} without {end} at \"{range .items[*]}{.a}\"", self->msg);
	EXPECT_EQ(NULL, jp(self, "{.a}{end}", one));
	EXPECT_NE(NULL, strstr(self->msg, "{end} without {range}"));
	EXPECT_EQ(NULL, jp(self, "{metadata}", one));
	EXPECT_NE(NULL, strstr(self->msg, "expected a path"));
	EXPECT_EQ(NULL, jp(self, "{.a[x]}", one));
	EXPECT_NE(NULL, strstr(self->msg, "expected [N] or [*]"));
	EXPECT_EQ(NULL, jp(self, "{.a..b}", one));
	EXPECT_EQ(NULL, jp(self, "{.a\n", one));	/* messages are one line */
	EXPECT_STREQ("jsonpath: unclosed \"{\" at \"{.a?\"", self->msg);
	EXPECT_EQ(NULL, jp(self, "{\"abc}", one));
	/* A bad template is found even where nothing matches. */
	EXPECT_EQ(NULL, jp(self, "{range .none[*]}{.a[}{end}", list));
	/* Checking alone (no output). */
	EXPECT_EQ(0, cosi_jsonpath_print(NULL, "{.a}{range .b}{.c}{end}", NULL,
					 self->msg, sizeof(self->msg)));
}

struct refs {
	char log[1024];
	size_t off;
	int stop_at;
};

static int ref_cb(const struct cosi_ref *ref, const char *err, void *arg)
{
	struct refs *r = arg;

	if (ref)
		r->off += snprintf(r->log + r->off, sizeof(r->log) - r->off,
				   "%zu %s %s %s\n", ref->index, ref->ns,
				   ref->type, ref->id);
	else
		r->off += snprintf(r->log + r->off, sizeof(r->log) - r->off,
				   "E %s\n", err);
	return --r->stop_at ? 0 : -EINTR;
}

/* delete -f: metadata only, every document, one line per failure. */
TEST_F(m, manifest_refs)
{
	const char *y =
		"metadata: {type: link, id: eth0, labels: {a: b}, owner: x}\n"
		"spec: {mtu: not-a-number, gone: 1}\n"
		"---\n"
		"metadata: {type: link}\n"
		"---\n"
		"metadata: {type: frob, id: x}\n"
		"---\n"
		"[1, 2]\n"
		"---\n"
		"metadata: {type: Links.net.cosi.dev, id: lo, namespace: other, future: 1}\n";
	struct refs r = { .stop_at = -1 };

	ASSERT_EQ(0, cosi_manifest_refs(y, strlen(y), "old.yaml", &self->defs,
					ref_cb, &r, self->msg,
					sizeof(self->msg))) TH_LOG("%s", self->msg);
	EXPECT_STREQ("1 network Links.net.cosi.dev eth0\n"
		     "E old.yaml: document 2 (link/?): metadata.id: missing\n"
		     "E old.yaml: document 3 (frob/x): metadata.type: unknown type \"frob\"\n"
		     "E old.yaml: document 4: document: expected a mapping\n"
		     "5 other Links.net.cosi.dev lo\n", r.log);
	/* The same manifest does not apply: its spec is checked. */
	EXPECT_EQ(-EINVAL, parse(self, y));
	/* The callback can stop the walk. */
	memset(&r, 0, sizeof(r));
	r.stop_at = 2;
	EXPECT_EQ(-EINTR, cosi_manifest_refs(y, strlen(y), "old.yaml",
					     &self->defs, ref_cb, &r,
					     self->msg, sizeof(self->msg)));
	/* Invalid YAML stops it with the line. */
	EXPECT_EQ(-EINVAL, cosi_manifest_refs("a: [", 4, "bad.yaml",
					      &self->defs, ref_cb, &r,
					      self->msg, sizeof(self->msg)));
	EXPECT_EQ(0, strncmp(self->msg, "bad.yaml: line ", 15)) TH_LOG("%s", self->msg);
}

/* The binary: help, exit statuses, file errors before any connection. */
TEST(binary)
{
	char out[16384], err[1024];

	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "help", "get", NULL));
	EXPECT_STREQ(cosictl_usage("get"), out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "get", "-h", NULL));
	EXPECT_STREQ(cosictl_usage("get"), out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "wait", "--help", NULL));
	EXPECT_STREQ(cosictl_usage("wait"), out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "help", NULL));
	EXPECT_STREQ(cosictl_usage(NULL), out);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "help", "frob", NULL));
	EXPECT_STREQ("cosictl: help: unknown command \"frob\"\n", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "get", NULL));
	EXPECT_STREQ("cosictl: get: missing operand\n", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "delete", "t", "x",
			     "--wait", "9999999", NULL));
	EXPECT_STREQ("", out);
	/* A missing file is named, whether or not cosi.ko is there. */
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "delete", "-f",
			     "/nonexistent/missing.yaml", NULL));
	EXPECT_STREQ("cosictl: /nonexistent/missing.yaml: No such file or directory\n", err);
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "apply", "-f",
			     "/nonexistent/missing.yaml", NULL));
	EXPECT_STREQ("cosictl: /nonexistent/missing.yaml: No such file or directory\n", err);
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "define", "-f",
			     "/", NULL));
	EXPECT_STREQ("cosictl: /: Is a directory\n", err);
	/* Every -f is read before connecting; diff's error status is 2. */
	EXPECT_EQ(1, run_ctl(out, sizeof(out), err, sizeof(err), "apply", "-f",
			     "/dev/null", "-f", "/nonexistent/b.yaml", NULL));
	EXPECT_STREQ("cosictl: /nonexistent/b.yaml: No such file or directory\n", err);
	EXPECT_EQ(2, run_ctl(out, sizeof(out), err, sizeof(err), "diff", "-f",
			     "/nonexistent/b.yaml", NULL));
	EXPECT_STREQ("cosictl: /nonexistent/b.yaml: No such file or directory\n", err);
	/* Completion of what needs no kernel. */
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "__complete", "d", NULL));
	EXPECT_STREQ("diff\ndelete\ndefine\n", out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "__complete", "get",
			     "x", "-o", "j", NULL));
	EXPECT_STREQ("json\njsonpath=\n", out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "__complete", "wait",
			     "--f", NULL));
	EXPECT_STREQ("--for\n", out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "__complete", "finalizer",
			     "", NULL));
	EXPECT_STREQ("remove\n", out);
	EXPECT_EQ(0, run_ctl(out, sizeof(out), err, sizeof(err), "__complete", "help",
			     "wa", NULL));
	EXPECT_STREQ("watch\nwait\n", out);
}

static void wait_ev(struct cosictl_waiter *w, uint32_t kind)
{
	/* Fakes of library-allocated structs, read by cosictl's code only. */
	struct cosi_resource r = { .destroy_ready = -1 };
	struct cosi_event ev = { .kind = kind, .res = &r };

	cosictl_wait_event(w, &ev);
}

/* wait --for: known only after the bootstrap; once met, met for good. */
TEST(wait_latched)
{
	struct cosictl_args a = { .wait_for = COSICTL_FOR_DELETE };
	struct cosictl_waiter w = { .a = &a };

	wait_ev(&w, COSI_EVENT_KIND_CREATED);
	wait_ev(&w, COSI_EVENT_KIND_BOOTSTRAPPED);
	EXPECT_FALSE(w.met);
	/* Destroyed and re-created in one dispatch: deleted all the same. */
	wait_ev(&w, COSI_EVENT_KIND_DESTROYED);
	wait_ev(&w, COSI_EVENT_KIND_CREATED);
	EXPECT_TRUE(w.met);

	w = (struct cosictl_waiter){ .a = &a };
	wait_ev(&w, COSI_EVENT_KIND_DESTROYED);
	EXPECT_FALSE(w.met);		/* not bootstrapped yet */
	wait_ev(&w, COSI_EVENT_KIND_CREATED);
	wait_ev(&w, COSI_EVENT_KIND_BOOTSTRAPPED);
	EXPECT_FALSE(w.met);

	a.wait_for = COSICTL_FOR_CREATE;
	w = (struct cosictl_waiter){ .a = &a };
	wait_ev(&w, COSI_EVENT_KIND_BOOTSTRAPPED);
	EXPECT_FALSE(w.met);
	wait_ev(&w, COSI_EVENT_KIND_CREATED);
	wait_ev(&w, COSI_EVENT_KIND_DESTROYED);
	EXPECT_TRUE(w.met);
}

/* apply --dry-run / --prune, diff, several -f. */
TEST_F(m, command_line_plan)
{
	struct cosictl_args a;
	char msg[256];

	/* Their own help, naming the new options. */
	EXPECT_EQ(0, strncmp(cosictl_usage("diff"), "usage: cosictl diff -f FILE...", 30));
	EXPECT_NE(NULL, strstr(cosictl_usage("apply"), "--dry-run"));
	ASSERT_EQ(0, args(&a, msg, "diff", "-h", NULL));
	EXPECT_STREQ("diff", a.help);

	ASSERT_EQ(0, args(&a, msg, "apply", "--dry-run", "--prune", "-l",
			  "app=x", "-f", "a.yaml", "-f", "b.yaml", NULL))
		TH_LOG("%s", msg);
	EXPECT_EQ(COSICTL_APPLY, a.cmd);
	EXPECT_TRUE(a.dry_run);
	EXPECT_TRUE(a.prune);
	EXPECT_STREQ("app=x", a.selector);
	ASSERT_EQ(2, a.n_files);
	EXPECT_STREQ("a.yaml", a.file);
	EXPECT_STREQ("b.yaml", a.files[1]);
	ASSERT_EQ(0, args(&a, msg, "diff", "-f", "a.yaml", NULL));
	EXPECT_EQ(COSICTL_DIFF, a.cmd);
	EXPECT_FALSE(a.prune);
	ASSERT_EQ(0, args(&a, msg, "diff", "--prune", "-l", "k", "-f", "a",
			  NULL));
	EXPECT_TRUE(a.prune);

	EXPECT_EQ(-EINVAL, args(&a, msg, "apply", "--prune", "-f", "a", NULL));
	EXPECT_STREQ("apply --prune needs -l SELECTOR", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "diff", "--prune", "-f", "a", NULL));
	EXPECT_STREQ("diff --prune needs -l SELECTOR", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "apply", "-l", "k", "-f", "a", NULL));
	EXPECT_STREQ("apply: -l selects what --prune deletes: give --prune too",
		     msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "diff", NULL));
	EXPECT_STREQ("diff needs -f FILE", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "diff", "--dry-run", "-f", "a", NULL));
	EXPECT_STREQ("option --dry-run does not apply to diff", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "delete", "-f", "a", "-f", "b", NULL));
	EXPECT_STREQ("delete takes one -f", msg);
	EXPECT_EQ(-EINVAL, args(&a, msg, "get", "x", "--prune", NULL));
	EXPECT_STREQ("option --prune does not apply to get", msg);
}

/* The field lines of diff and apply --dry-run (cosictl/diff.c). */
static char *diff_of(const struct cosi_doc *d, const struct cosi_doc *was,
		     bool withheld)
{
	struct cosi_resource cur = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (was) {
		cosi_doc_view(was, &cur);
		cur.has_spec = !withheld;
	}
	if (!f || cosi_diff_fields(f, d, was ? &cur : NULL)) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	return buf;
}

TEST_F(m, diff_fields)
{
	char *s;

	ASSERT_EQ(0, parse(self,
		"metadata: {type: link, id: a, labels: {k: v, gone: x}}\n"
		"spec: {name: a/b, mtu: 1500, tags: [x, y], up: true}\n"
		"---\n"
		"metadata: {type: link, id: b, labels: {k: w},\n"
		"           annotations: {why: \"1\"}}\n"
		"spec: {name: a/b, mtu: 9000, tags: [x], offset: -1}\n"
		"---\n"
		"metadata: {type: link, id: c, labels: {k: v, gone: x}}\n"))
		TH_LOG("%s", self->msg);
	/* an update: changed, removed and added keys, per field */
	s = diff_of(&self->docs.v[1], &self->docs.v[0], false);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("- spec.mtu: 1500\n"
		     "+ spec.mtu: 9000\n"
		     "- spec.up: true\n"
		     "- spec.tags: [\"x\",\"y\"]\n"
		     "+ spec.tags: [\"x\"]\n"
		     "+ spec.offset: -1\n"
		     "- labels.k: \"v\"\n"
		     "+ labels.k: \"w\"\n"
		     "- labels.gone: \"x\"\n"
		     "+ annotations.why: \"1\"\n", s);
	free(s);
	/* a create: every field with + */
	s = diff_of(&self->docs.v[0], NULL, false);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("+ spec.name: \"a/b\"\n"
		     "+ spec.mtu: 1500\n"
		     "+ spec.up: true\n"
		     "+ spec.tags: [\"x\",\"y\"]\n"
		     "+ labels.k: \"v\"\n"
		     "+ labels.gone: \"x\"\n", s);
	free(s);
	/* a prune: every field with - */
	s = diff_of(NULL, &self->docs.v[1], false);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("- spec.name: \"a/b\"\n"
		     "- spec.mtu: 9000\n"
		     "- spec.offset: -1\n"
		     "- spec.tags: [\"x\"]\n"
		     "- labels.k: \"w\"\n"
		     "- annotations.why: \"1\"\n", s);
	free(s);
	/* no spec in the document: the current one stays, no spec lines */
	s = diff_of(&self->docs.v[2], &self->docs.v[1], false);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("- labels.k: \"w\"\n"
		     "+ labels.k: \"v\"\n"
		     "+ labels.gone: \"x\"\n"
		     "- annotations.why: \"1\"\n", s);
	free(s);
	/* the same: nothing */
	s = diff_of(&self->docs.v[0], &self->docs.v[0], false);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("", s);
	free(s);
	/* a spec the kernel withheld cannot be compared: said so */
	s = diff_of(&self->docs.v[0], &self->docs.v[0], true);
	ASSERT_NE(NULL, s);
	EXPECT_EQ(0, strncmp(s, "! spec: withheld by the kernel", 30));
	free(s);
}

TEST_HARNESS_MAIN
