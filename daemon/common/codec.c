// SPDX-License-Identifier: GPL-2.0
/*
 * Small codecs shared by manifests and rendering: base64, plain YAML
 * scalar resolution, integer parsing with range checks, RFC 3339 times,
 * writer-caps flag names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <linux/cosi.h>

#include "common/codec.h"

const struct cosi_flag_name cosi_writer_caps_names[] = {
	{ COSI_WRITER_CAPS_NET_ADMIN, "net-admin" },
	{ COSI_WRITER_CAPS_SYS_ADMIN, "sys-admin" },
	{ 0, NULL },
};

uint32_t cosi_writer_caps_known(void)
{
	const struct cosi_flag_name *f;
	uint32_t known = 0;

	for (f = cosi_writer_caps_names; f->name; f++)
		known |= f->flag;
	return known;
}

static const char *const null_words[] = { "", "~", "null", "Null", "NULL" };
static const char *const true_words[] = {
	"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON",
};
static const char *const false_words[] = {
	"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF",
};

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static bool in_words(const char *s, const char *const *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, w[i]))
			return true;
	return false;
}

int cosi_scalar_bool(const char *s, bool *out)
{
	if (in_words(s, true_words, ARRAY_SIZE(true_words)))
		*out = true;
	else if (in_words(s, false_words, ARRAY_SIZE(false_words)))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

int cosi_scalar_int(const char *s, uint64_t *mag, bool *neg)
{
	unsigned int base = 10;
	uint64_t v = 0;
	bool range = false;
	int d;

	*neg = false;
	if (*s == '-' || *s == '+')
		*neg = *s++ == '-';
	if (s[0] == '0' && s[1] && strchr("xXoObB", s[1])) {
		base = strchr("xX", s[1]) ? 16 : strchr("oO", s[1]) ? 8 : 2;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		d = digit_val(*s);
		if (d >= (int)base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			range = true;
		v = v * base + d;
	}
	*mag = v;
	return range ? -ERANGE : 0;
}

int cosi_scalar_u64(const char *s, uint64_t *out)
{
	bool neg;
	int err = cosi_scalar_int(s, out, &neg);

	if (!err && neg && *out)
		err = -ERANGE;
	return err;
}

int cosi_scalar_s64(const char *s, int64_t *out)
{
	uint64_t mag;
	bool neg;
	int err = cosi_scalar_int(s, &mag, &neg);

	if (err)
		return err;
	if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > INT64_MAX)
		return -ERANGE;
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return 0;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, .inf, .nan */
static bool is_float(const char *s)
{
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	if (!strcasecmp(s, ".inf") || !strcasecmp(s, ".nan"))
		return true;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

enum cosi_scalar_kind cosi_scalar_resolve(const char *s)
{
	uint64_t mag;
	bool b;

	if (in_words(s, null_words, ARRAY_SIZE(null_words)))
		return COSI_SCALAR_NULL;
	if (!cosi_scalar_bool(s, &b))
		return COSI_SCALAR_BOOL;
	if (cosi_scalar_int(s, &mag, &b) != -EINVAL)
		return COSI_SCALAR_INT;
	if (is_float(s))
		return COSI_SCALAR_FLOAT;
	return COSI_SCALAR_STRING;
}

/*
 * Quote more than strictly needed: anything another YAML reader (1.1 or
 * 1.2) might take for a number, boolean, null or timestamp.
 */
bool cosi_scalar_needs_quotes(const char *s)
{
	if (cosi_scalar_resolve(s) != COSI_SCALAR_STRING)
		return true;
	if (!strcasecmp(s, "y") || !strcasecmp(s, "n"))
		return true;
	return strchr("0123456789+-.", s[0]) != NULL;
}

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *cosi_base64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	uint32_t v;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i < len; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < len ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64[v & 63] : '=';
	}
	*o = 0;
	return out;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int cosi_base64_decode(const char *s, void **out, size_t *len)
{
	unsigned char *buf = malloc(strlen(s) / 4 * 3 + 3);
	uint32_t v = 0;
	size_t n = 0, bits = 0, pad = 0;
	int d;

	if (!buf)
		return -ENOMEM;
	for (; *s; s++) {
		if (strchr(" \t\r\n", *s))
			continue;
		if (*s == '=') {
			pad++;
			continue;
		}
		d = b64_val(*s);
		if (d < 0 || pad)
			goto bad;
		v = v << 6 | d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = v >> bits & 0xff;
		}
	}
	/* Leftover bits must be zero padding of a 2- or 3-char group. */
	if (bits >= 6 || (v & ((1u << bits) - 1)) || pad > 2 ||
	    (pad && (bits / 2 != pad)))
		goto bad;
	*out = buf;
	*len = n;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

const char *cosi_rfc3339(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000u);
	unsigned long frac = ns % 1000000000u;
	char date[32], fs[16];
	struct tm tm;
	int i;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	fs[0] = 0;
	if (frac) {
		snprintf(fs, sizeof(fs), ".%09lu", frac);
		for (i = (int)strlen(fs) - 1; fs[i] == '0'; i--)
			fs[i] = 0;
	}
	snprintf(buf, len, "%s%sZ", date, fs);
	return buf;
}

int cosi_rfc3339_parse(const char *s, uint64_t *ns)
{
	unsigned long long frac = 0;
	const char *p;
	struct tm tm;
	time_t t;
	int digits = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
			frac = frac * 10 + (unsigned long long)(*p - '0');
		if (!digits)
			return -EINVAL;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (strcmp(p, "Z"))
		return -EINVAL;
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*ns = (uint64_t)t * 1000000000u + frac;
	return 0;
}

char *cosi_oneline(char *s)
{
	unsigned char *p;

	for (p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}
