/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosi-apiserver: the Kubernetes API conventions over cosi's store, so
 * that a stock kubectl reads a node (Documentation/kubernetes-api.rst).
 *
 *   main.c     options, credentials, the HTTP daemon (libmicrohttpd,
 *              GnuTLS), signals
 *   auth.c     who is asking: a client certificate or a bearer token,
 *              and the role it carries
 *   names.c    cosi definitions as Kubernetes resources (plural,
 *              singular, kind, short names)
 *   objects.c  resources as Kubernetes objects, lists, Tables, Status
 *   serve.c    routing, discovery, get and list
 *   watch.c    watches, streamed as WatchEvent lines
 *
 * One thread per connection (MHD_USE_THREAD_PER_CONNECTION): a request
 * opens its own libcosi handle, with the capabilities of its role, and a
 * watch blocks only its own thread.
 */
#ifndef _COSI_APISERVER_H
#define _COSI_APISERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "cosi.h"

struct json_object;

#define API_GROUP	"cosi.dev"
#define API_VERSION	"v1alpha1"
#define API_GV		API_GROUP "/" API_VERSION

enum api_role {
	API_ROLE_NONE,		/* authenticated, no cosi role: 403 */
	API_ROLE_READ_ONLY,	/* public types; sensitive ones: 403 */
	API_ROLE_OPERATOR,	/* the server's own rights */
};

/* "read-only", "operator": the role, or API_ROLE_NONE. */
enum api_role api_role_parse(const char *s);
const char *api_role_name(enum api_role r);

struct api_token {
	char *token;
	enum api_role role;
	char *user;
	size_t lineno;			/* in the token file */
};

struct api_server {
	struct api_token *tokens;
	size_t n_tokens;
	bool tls;			/* a TCP listener: certificates */
	unsigned int watch_max_s;	/* a watch ends after this long */
	int watch_rcvbuf;		/* a watch socket's buffer, 0: libcosi's */
	char **extra_ns;		/* --namespace: listed with -A too */
	size_t n_extra_ns;
	unsigned int timeout_s;		/* --timeout: idle, or a stalled send */
	atomic_bool stopping;		/* SIGTERM: watches end */
};

/* Who made a request, and with what role. */
struct api_who {
	enum api_role role;
	char user[128];
};

/*
 * auth.c.  Authenticate the request on @conn: a verified client
 * certificate (its O= values give the role: "cosi:operator",
 * "cosi:read-only"; its CN the user) or an Authorization: Bearer token
 * from the token file.  0 and @who; -EACCES: no or a bad credential
 * (401), with why in @msg.
 */
int api_authenticate(const struct api_server *srv,
		     struct MHD_Connection *conn, struct api_who *who,
		     char *msg, size_t len);
/* A token file: "token,role[,user]" lines, '#' comments.  0 or -errno. */
int api_tokens_load(struct api_server *srv, const char *path, char *msg,
		    size_t len);
void api_tokens_free(struct api_server *srv);

/*
 * names.c.  The definitions as resources: every definition is a
 * resource of group cosi.dev, version v1alpha1.
 */
struct api_res {
	const struct cosi_definition *def;
	char *plural;			/* "sysctlconfigs" */
	char *singular;			/* "sysctlconfig" */
	char *kind;			/* "SysctlConfig" */
	char *list_kind;		/* "SysctlConfigList" */
};

struct api_catalog {
	struct cosi_definitions defs;
	struct api_res *v;
	size_t n;
};

/* Read the definitions through @c: 0 or a negative errno. */
int api_catalog_load(struct cosi *c, struct api_catalog *cat);
void api_catalog_clear(struct api_catalog *cat);
/* By plural, as paths name resources (kubectl expands the rest). */
const struct api_res *api_catalog_find(const struct api_catalog *cat,
				       const char *plural);
/* Whether @alias is a short name of @r: a DNS label, not its names. */
bool api_short_name(const struct api_res *r, const char *alias);

/* objects.c: Kubernetes shapes.  NULL on ENOMEM. */
struct json_object *api_object(const struct api_res *res,
			       const struct cosi_resource *r);
struct json_object *api_list(const struct api_res *res,
			     const struct cosi_resource *const *v, size_t n,
			     uint64_t rev);
/* A meta.k8s.io/v1 Table; @headers: with its columnDefinitions. */
struct json_object *api_table(const struct api_res *res,
			      const struct cosi_resource *const *v, size_t n,
			      uint64_t rev, bool headers);
/* A Status: code, reason ("NotFound", ...), message; @res/@name: details. */
struct json_object *api_status(unsigned int code, const char *reason,
			       const char *msg, const struct api_res *res,
			       const char *name);
/* Kubernetes' human duration ("5m", "2d3h") of @secs. */
void api_age(int64_t secs, char *buf, size_t len);
/* @o as compact JSON, malloc()ed (and a newline when @nl); drops @o. */
char *api_json_text(struct json_object *o, bool nl, size_t *len);

/* serve.c: the MHD access handler. */
enum MHD_Result api_handle(void *cls, struct MHD_Connection *conn,
			   const char *url,
			   const char *method, const char *version,
			   const char *upload_data, size_t *upload_data_size,
			   void **req_cls);
/* Queue @o (dropped) as the response with status @code. */
enum MHD_Result api_reply(struct MHD_Connection *conn, unsigned int code,
	      struct json_object *o);
/* Queue a Status response. */
enum MHD_Result api_reply_status(struct MHD_Connection *conn, unsigned int code,
		     const char *reason, const char *msg,
		     const struct api_res *res, const char *name);
/* The HTTP status and reason of a libcosi error (-EPERM: 403...). */
unsigned int api_errno_code(int err, const char **reason);
/*
 * Set the calling (connection) thread's effective capabilities to @who's
 * role: read-only drops CAP_NET_ADMIN and CAP_SYS_ADMIN, operator takes
 * back those the server holds.  0, or a negative errno (the request must
 * not run).
 */
int api_enter_role(const struct api_who *who);
/* Open a handle with the rights of @who's role: NULL and errno. */
struct cosi *api_open(const struct api_who *who);

/* watch.c: stream the events of @res in @ns (NULL: every namespace). */
struct api_watch_req {
	const struct api_server *srv;
	struct api_who who;
	const char *const *ns;		/* the namespaces watched */
	size_t n_ns;
	const char *id;			/* fieldSelector metadata.name */
	const char *selector;		/* labelSelector, or NULL */
	bool has_since;
	uint64_t since;
	bool table;			/* Table rows, not objects */
	unsigned int timeout_s;		/* 0: the server's maximum */
};

enum MHD_Result api_watch(struct MHD_Connection *conn, struct cosi *c,
	      struct api_catalog *cat, const struct api_res *res,
	      const struct api_watch_req *req);

#endif /* _COSI_APISERVER_H */
