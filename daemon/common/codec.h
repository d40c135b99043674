/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small codecs shared by manifests and rendering: base64, how a plain
 * YAML scalar resolves (YAML 1.1 core types, as Kubernetes reads them),
 * integers with range checks, RFC 3339 timestamps, the names of the
 * writer-caps flags.
 */
#ifndef _COSI_COMMON_CODEC_H
#define _COSI_COMMON_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a plain (unquoted, untagged) YAML scalar means. */
enum cosi_scalar_kind {
	COSI_SCALAR_STRING,
	COSI_SCALAR_NULL,	/* "", ~, null */
	COSI_SCALAR_BOOL,	/* true/false/yes/no/on/off, any case form */
	COSI_SCALAR_INT,	/* [-+]digits, 0x.., 0o.., 0b.. */
	COSI_SCALAR_FLOAT,	/* 1.5, 1e3, .inf, .nan */
};

enum cosi_scalar_kind cosi_scalar_resolve(const char *s);
/* True when @s must be quoted to read back as a string. */
bool cosi_scalar_needs_quotes(const char *s);
/* A plain boolean scalar: 0 and *@out set, or -EINVAL. */
int cosi_scalar_bool(const char *s, bool *out);
/*
 * A plain integer scalar: 0, -EINVAL (not an integer) or -ERANGE.
 * The magnitude goes to *@mag, the sign to *@neg.
 */
int cosi_scalar_int(const char *s, uint64_t *mag, bool *neg);
int cosi_scalar_u64(const char *s, uint64_t *out);
int cosi_scalar_s64(const char *s, int64_t *out);

/* base64 (RFC 4648, padded); the result is malloc()ed and NUL-ended. */
char *cosi_base64_encode(const void *data, size_t len);
/* Whitespace is skipped; 0, -EINVAL or -ENOMEM; *@out is malloc()ed. */
int cosi_base64_decode(const char *s, void **out, size_t *len);

/*
 * Make a message one line, in place: control bytes (a newline in an
 * echoed argument or YAML key) become '?'.  Returns @s.
 */
char *cosi_oneline(char *s);

/*
 * The COSI_WRITER_CAPS_* flags by the names the YNL spec gives them
 * ("net-admin", "sys-admin"), in bit order; the last entry's name is NULL.
 */
struct cosi_flag_name {
	uint32_t flag;
	const char *name;
};

extern const struct cosi_flag_name cosi_writer_caps_names[];
/* The COSI_WRITER_CAPS_* bits cosi_writer_caps_names[] names. */
uint32_t cosi_writer_caps_known(void);

/* CLOCK_REALTIME nanoseconds as "2006-01-02T15:04:05.999999999Z". */
const char *cosi_rfc3339(uint64_t ns, char *buf, size_t len);
/* Its inverse (UTC "Z" only, up to 9 fraction digits): 0 or -EINVAL. */
int cosi_rfc3339_parse(const char *s, uint64_t *ns);

#endif /* _COSI_COMMON_CODEC_H */
