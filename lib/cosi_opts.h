/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The ABI check of caller-built structs (class (a) in cosi.h's "ABI
 * rules"), shared by libcosi and libcosi-runtime: each compiles this
 * static inline, nothing is exported.  Private: not installed.
 */
#ifndef _COSI_LIB_OPTS_H
#define _COSI_LIB_OPTS_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* No caller-built struct is, or will be, larger. */
#define COSI_OPTS_MAX_SZ	4096

/**
 * cosi_opts_copy() - check a caller's struct and copy it into the library's
 * @dst: the library's struct (sizeof @dst_sz), overwritten
 * @dst_sz: its size
 * @src: the caller's struct, whose first member is size_t sz
 * @name: the struct's name, for the message
 * @msg: set to a one-line message on failure
 * @msg_len: room in @msg
 *
 * min(sz, @dst_sz) bytes are copied and the rest of @dst zeroed, so an
 * older caller's missing fields read as zero; @dst's sz becomes @dst_sz.
 *
 * Return: 0; -EINVAL for a NULL @src or an sz smaller than the sz member
 * itself (not initialised with COSI_OPTS()); -E2BIG when sz is larger
 * than @dst_sz and a byte past @dst_sz is set (a field of a newer header
 * that this library would ignore).
 */
static inline int cosi_opts_copy(void *dst, size_t dst_sz, const void *src,
				 const char *name, char *msg, size_t msg_len)
{
	const unsigned char *tail;
	size_t sz, i;
	bool set = false;

	memset(dst, 0, dst_sz);
	if (!src) {
		snprintf(msg, msg_len, "struct %s: NULL", name);
		return -EINVAL;
	}
	memcpy(&sz, src, sizeof(sz));
	/*
	 * Every header's sizeof is a multiple of size_t's alignment (sz is
	 * the first member) and far below a page: anything else is not a
	 * size but garbage (a struct not declared with COSI_OPTS()), and
	 * must not make the tail scan below read megabytes of the caller.
	 */
	if (sz < sizeof(sz) || sz % _Alignof(size_t) ||
	    sz > COSI_OPTS_MAX_SZ) {
		snprintf(msg, msg_len,
			 "struct %s: sz is %zu; initialise it with COSI_OPTS()",
			 name, sz);
		return -EINVAL;
	}
	tail = (const unsigned char *)src + dst_sz;
	for (i = 0; !set && sz > dst_sz && i < sz - dst_sz; i++)
		set = tail[i] != 0;
	if (set) {
		snprintf(msg, msg_len,
			 "struct %s: fields past the %zu bytes this library knows are set (sz %zu); rebuild against its header",
			 name, dst_sz, sz);
		return -E2BIG;
	}
	memcpy(dst, src, sz < dst_sz ? sz : dst_sz);
	memcpy(dst, &dst_sz, sizeof(dst_sz));
	return 0;
}

/* Copy the caller's *@src into the library's *@dst of the same type. */
#define COSI_OPTS_COPY(dst, src, name, msg, msg_len)			\
	cosi_opts_copy((dst), sizeof(*(dst)), (src), (name), (msg), (msg_len))

#endif /* _COSI_LIB_OPTS_H */
