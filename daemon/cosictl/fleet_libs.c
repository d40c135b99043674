// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl's etcd stack, loaded only when a command needs it (--etcd).
 *
 * libcurl, libsystemd (sd-event) and libcrypto (base64), with what they
 * pull in, are 37 of the 44 shared objects cosictl mapped at every start,
 * and most of the time a `cosictl apply` took: in the VM of the
 * benchmarks (TCG, its root on 9p) an empty program linked with them ran
 * 333 ms against 94 ms with cosictl's other libraries
 * (Documentation/benchmarks.rst, goal 8).  A command for this node's
 * store uses none of them.
 *
 * So the cosictl binary (not cosid, not the tests: they link the
 * libraries) is linked with this file in their place: each function of
 * theirs that the etcd client and the fleet commands call is defined here
 * and calls the library's, found with dlopen() and dlsym() at the first
 * call.  cosictl_fleet_libs() loads them before a fleet command starts,
 * so that a missing library is reported as such; a call that finds them
 * missing later (none should) ends cosictl with the same message.
 *
 * The sonames are the ones the build links against (daemon/Makefile).
 * The variadic calls (curl_easy_setopt, curl_multi_setopt,
 * curl_easy_getinfo) pass their one argument on with the type its option
 * number says, as curl's own type checks read it.
 */
#define CURL_DISABLE_TYPECHECK	/* the real prototypes, not the macros */

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <systemd/sd-event.h>

#include "cosictl/cosictl.h"

#ifndef COSICTL_CURL_SONAME
#error "build fleet_libs.c with daemon/Makefile (the sonames)"
#endif
/* An empty name would dlopen() cosictl itself: fail the build instead. */
_Static_assert(sizeof(COSICTL_CURL_SONAME) > 1 &&
	       sizeof(COSICTL_SYSTEMD_SONAME) > 1 &&
	       sizeof(COSICTL_CRYPTO_SONAME) > 1,
	       "daemon/Makefile found no soname (objdump, pkg-config, -dev packages?)");

/* Every function forwarded: its library, name, return type, parameters. */
#define FLEET_FNS(X, V)							\
	V(LIB_CURL, curl_easy_cleanup, (CURL *h), (h))			\
	X(LIB_CURL, curl_easy_init, CURL *, (void), ())			\
	X(LIB_CURL, curl_easy_pause, CURLcode, (CURL *h, int b), (h, b))	\
	X(LIB_CURL, curl_easy_strerror, const char *, (CURLcode c), (c))	\
	V(LIB_CURL, curl_free, (void *p), (p))				\
	X(LIB_CURL, curl_global_init, CURLcode, (long f), (f))		\
	X(LIB_CURL, curl_multi_add_handle, CURLMcode, (CURLM *m, CURL *h),	\
	  (m, h))							\
	X(LIB_CURL, curl_multi_assign, CURLMcode,				\
	  (CURLM *m, curl_socket_t s, void *p), (m, s, p))		\
	X(LIB_CURL, curl_multi_cleanup, CURLMcode, (CURLM *m), (m))	\
	X(LIB_CURL, curl_multi_info_read, CURLMsg *, (CURLM *m, int *n),	\
	  (m, n))							\
	X(LIB_CURL, curl_multi_init, CURLM *, (void), ())			\
	X(LIB_CURL, curl_multi_remove_handle, CURLMcode,			\
	  (CURLM *m, CURL *h), (m, h))					\
	X(LIB_CURL, curl_multi_socket_action, CURLMcode,			\
	  (CURLM *m, curl_socket_t s, int ev, int *n), (m, s, ev, n))	\
	X(LIB_CURL, curl_slist_append, struct curl_slist *,		\
	  (struct curl_slist *l, const char *s), (l, s))		\
	V(LIB_CURL, curl_slist_free_all, (struct curl_slist *l), (l))	\
	X(LIB_CURL, curl_url, CURLU *, (void), ())				\
	V(LIB_CURL, curl_url_cleanup, (CURLU *u), (u))			\
	X(LIB_CURL, curl_url_get, CURLUcode,				\
	  (CURLU *u, CURLUPart w, char **p, unsigned int f),		\
	  (u, w, p, f))							\
	X(LIB_CURL, curl_url_set, CURLUcode,				\
	  (CURLU *u, CURLUPart w, const char *p, unsigned int f),	\
	  (u, w, p, f))							\
	X(LIB_CURL, curl_url_strerror, const char *, (CURLUcode c), (c))	\
	X(LIB_SD, sd_event_add_io, int,					\
	  (sd_event *e, sd_event_source **s, int fd, uint32_t ev,	\
	   sd_event_io_handler_t cb, void *d), (e, s, fd, ev, cb, d))	\
	X(LIB_SD, sd_event_add_time, int,					\
	  (sd_event *e, sd_event_source **s, clockid_t c, uint64_t t,	\
	   uint64_t a, sd_event_time_handler_t cb, void *d),		\
	  (e, s, c, t, a, cb, d))					\
	X(LIB_SD, sd_event_add_time_relative, int,				\
	  (sd_event *e, sd_event_source **s, clockid_t c, uint64_t t,	\
	   uint64_t a, sd_event_time_handler_t cb, void *d),		\
	  (e, s, c, t, a, cb, d))					\
	X(LIB_SD, sd_event_get_state, int, (sd_event *e), (e))		\
	X(LIB_SD, sd_event_new, int, (sd_event **e), (e))			\
	X(LIB_SD, sd_event_now, int, (sd_event *e, clockid_t c, uint64_t *t), \
	  (e, c, t))							\
	X(LIB_SD, sd_event_ref, sd_event *, (sd_event *e), (e))		\
	X(LIB_SD, sd_event_run, int, (sd_event *e, uint64_t t), (e, t))	\
	X(LIB_SD, sd_event_source_disable_unref, sd_event_source *,	\
	  (sd_event_source *s), (s))					\
	X(LIB_SD, sd_event_source_set_enabled, int,			\
	  (sd_event_source *s, int on), (s, on))			\
	X(LIB_SD, sd_event_source_set_io_events, int,			\
	  (sd_event_source *s, uint32_t ev), (s, ev))			\
	X(LIB_SD, sd_event_source_set_time, int,				\
	  (sd_event_source *s, uint64_t t), (s, t))			\
	X(LIB_SD, sd_event_source_set_time_relative, int,			\
	  (sd_event_source *s, uint64_t t), (s, t))			\
	X(LIB_SD, sd_event_unref, sd_event *, (sd_event *e), (e))		\
	X(LIB_CRYPTO, EVP_EncodeBlock, int,				\
	  (unsigned char *t, const unsigned char *f, int n), (t, f, n))	\
	X(LIB_CRYPTO, EVP_DecodeBlock, int,				\
	  (unsigned char *t, const unsigned char *f, int n), (t, f, n))

enum { LIB_CURL, LIB_SD, LIB_CRYPTO, N_LIBS };

static const char *const sonames[N_LIBS] = {
	[LIB_CURL] = COSICTL_CURL_SONAME,
	[LIB_SD] = COSICTL_SYSTEMD_SONAME,
	[LIB_CRYPTO] = COSICTL_CRYPTO_SONAME,
};

#define PTR(lib, name, ret, params, args)	ret (*name)params;
#define PTR_V(lib, name, params, args)		void (*name)params;
static struct {
	FLEET_FNS(PTR, PTR_V)
	CURLcode (*curl_easy_setopt)(CURL *h, CURLoption o, ...);
	CURLcode (*curl_easy_getinfo)(CURL *h, CURLINFO i, ...);
	CURLMcode (*curl_multi_setopt)(CURLM *m, CURLMoption o, ...);
	bool loaded;
} fl;

/* Look @name up in @h into *@fn; false (and why in @msg) when absent. */
static bool sym(void *h, const char *soname, const char *name, void *fn,
		char *msg, size_t len)
{
	void *p = dlsym(h, name);

	if (!p) {
		snprintf(msg, len, "%s: no %s: %s", soname, name, dlerror());
		return false;
	}
	memcpy(fn, &p, sizeof(p));
	return true;
}

int cosictl_fleet_libs(char *msg, size_t len)
{
	void *h[N_LIBS];
	bool ok = true;
	int i;

	if (fl.loaded)
		return 0;
	for (i = 0; i < N_LIBS; i++) {
		/* Kept loaded: cosictl exits without unloading them. */
		h[i] = dlopen(sonames[i], RTLD_NOW | RTLD_LOCAL);
		if (!h[i]) {
			snprintf(msg, len, "--etcd needs %s: %s", sonames[i],
				 dlerror());
			return -1;
		}
	}
#define LOOKUP(lib, name, ret, params, args)				\
	ok = ok && sym(h[lib], sonames[lib], #name, &fl.name, msg, len);
#define LOOKUP_V(lib, name, params, args)				\
	LOOKUP(lib, name, void, params, args)
	FLEET_FNS(LOOKUP, LOOKUP_V)
	LOOKUP(LIB_CURL, curl_easy_setopt, , , )
	LOOKUP(LIB_CURL, curl_easy_getinfo, , , )
	LOOKUP(LIB_CURL, curl_multi_setopt, , , )
	if (!ok)
		return -1;
	fl.loaded = true;
	return 0;
}

/* Before the first call through fl: the libraries, or the end of cosictl. */
static void need(void)
{
	char msg[512];

	if (!fl.loaded && cosictl_fleet_libs(msg, sizeof(msg))) {
		ctl_err("%s", msg);
		exit(EXIT_FAIL);
	}
}

#define FORWARD(lib, name, ret, params, args)				\
	ret name params							\
	{								\
		need();							\
		return fl.name args;					\
	}
#define FORWARD_V(lib, name, params, args)				\
	void name params						\
	{								\
		need();							\
		fl.name args;						\
	}
FLEET_FNS(FORWARD, FORWARD_V)

/*
 * An option's number says its argument's type (curl.h, CURLOPTTYPE_*):
 * long below 10000, then object pointers, function pointers, curl_off_t,
 * and blob pointers from 40000.
 */
#define SETOPT(fn, h, o, ap)						\
	((o) < CURLOPTTYPE_OBJECTPOINT ? fn(h, o, va_arg(ap, long)) :	\
	 (o) < CURLOPTTYPE_FUNCTIONPOINT ? fn(h, o, va_arg(ap, void *)) : \
	 (o) < CURLOPTTYPE_OFF_T ? fn(h, o, va_arg(ap, void (*)(void))) : \
	 (o) < CURLOPTTYPE_BLOB ? fn(h, o, va_arg(ap, curl_off_t)) :	\
	 fn(h, o, va_arg(ap, void *)))

#define SETOPT_FN(name, handle_t, option_t, ret_t)			\
	ret_t name(handle_t *h, option_t o, ...)			\
	{								\
		ret_t ret;						\
		va_list ap;						\
									\
		need();							\
		va_start(ap, o);					\
		ret = SETOPT(fl.name, h, o, ap);			\
		va_end(ap);						\
		return ret;						\
	}
SETOPT_FN(curl_easy_setopt, CURL, CURLoption, CURLcode)
SETOPT_FN(curl_multi_setopt, CURLM, CURLMoption, CURLMcode)

/* Every CURLINFO_* takes a pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO i, ...)
{
	CURLcode ret;
	va_list ap;

	need();
	va_start(ap, i);
	ret = fl.curl_easy_getinfo(h, i, va_arg(ap, void *));
	va_end(ap);
	return ret;
}
