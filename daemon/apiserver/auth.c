// SPDX-License-Identifier: GPL-2.0
/*
 * Authentication.  A client certificate is verified by GnuTLS against
 * the client CA (--client-ca; libmicrohttpd asks for one in the
 * handshake), for TLS client authentication (extended key usage
 * clientAuth when the certificate has one) and validity; its
 * Organization values are its groups, as Kubernetes reads them:
 * "cosi:operator" or "cosi:read-only" give the role (operator wins when
 * both are there), its Common Name is the user.  Without a certificate,
 * an "Authorization: Bearer TOKEN" header is looked up in the token file
 * (--token-file: "token,role[,user]" lines), comparing in constant time.
 */
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apiserver/apiserver.h"
#include "common/manifest.h"

enum api_role api_role_parse(const char *s)
{
	if (!strcmp(s, "operator"))
		return API_ROLE_OPERATOR;
	if (!strcmp(s, "read-only"))
		return API_ROLE_READ_ONLY;
	return API_ROLE_NONE;
}

const char *api_role_name(enum api_role r)
{
	switch (r) {
	case API_ROLE_OPERATOR:
		return "operator";
	case API_ROLE_READ_ONLY:
		return "read-only";
	case API_ROLE_NONE:
		break;
	}
	return "none";
}

/* The role of a certificate group ("cosi:operator"), if any. */
static enum api_role group_role(const char *g)
{
	return strncmp(g, "cosi:", 5) ? API_ROLE_NONE : api_role_parse(g + 5);
}

static int cert_who(gnutls_session_t s, struct api_who *who, char *msg,
		    size_t len)
{
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	const gnutls_datum_t *peers;
	unsigned int n = 0, status = 0, i;
	gnutls_x509_crt_t crt;
	enum api_role r;
	char buf[256];
	size_t sz;
	int err;

	peers = gnutls_certificate_get_peers(s, &n);
	if (!peers || !n)
		return -ENOENT;
	err = gnutls_certificate_verify_peers(s, &purpose, 1, &status);
	if (err || status) {
		gnutls_datum_t why = { 0 };

		if (!err)
			gnutls_certificate_verification_status_print(status,
				GNUTLS_CRT_X509, &why, 0);
		snprintf(msg, len, "client certificate rejected: %s",
			 err ? gnutls_strerror(err) :
			 why.data ? (char *)why.data : "not trusted");
		gnutls_free(why.data);
		/* GnuTLS ends its sentences with a space. */
		for (sz = strlen(msg); sz && msg[sz - 1] == ' '; sz--)
			msg[sz - 1] = 0;
		return -EACCES;
	}
	if (gnutls_x509_crt_init(&crt))
		return -ENOMEM;
	err = gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER);
	if (err) {
		gnutls_x509_crt_deinit(crt);
		snprintf(msg, len, "client certificate: %s",
			 gnutls_strerror(err));
		return -EACCES;
	}
	who->role = API_ROLE_NONE;
	for (i = 0;; i++) {
		sz = sizeof(buf);
		if (gnutls_x509_crt_get_dn_by_oid(crt,
				GNUTLS_OID_X520_ORGANIZATION_NAME, i, 0, buf,
				&sz))
			break;
		r = group_role(buf);
		if (r > who->role)
			who->role = r;
	}
	sz = sizeof(who->user);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
					  0, who->user, &sz))
		snprintf(who->user, sizeof(who->user), "(no CN)");
	gnutls_x509_crt_deinit(crt);
	return 0;
}

/* Constant-time equality of @a and @b's @bn bytes (lengths not secret). */
static bool same(const char *a, const char *b, size_t bn)
{
	size_t n = strlen(a), i;
	unsigned char d = 0;

	if (n != bn)
		return false;
	for (i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

/* @token: its @n bytes (the header's value, trailing blanks left out). */
static int token_who(const struct api_server *srv, const char *token,
		     size_t n, struct api_who *who, char *msg, size_t len)
{
	const struct api_token *hit = NULL;
	size_t i;

	/* Every token is compared: the time tells nothing of which. */
	for (i = 0; i < srv->n_tokens; i++)
		if (same(srv->tokens[i].token, token, n) && !hit)
			hit = &srv->tokens[i];
	if (!hit) {
		snprintf(msg, len, "invalid bearer token");
		return -EACCES;
	}
	who->role = hit->role;
	snprintf(who->user, sizeof(who->user), "%s", hit->user);
	return 0;
}

int api_authenticate(const struct api_server *srv,
		     struct MHD_Connection *conn, struct api_who *who,
		     char *msg, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	const char *h;
	int err;

	memset(who, 0, sizeof(*who));
	if (srv->tls) {
		ci = MHD_get_connection_info(conn,
				MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci && ci->tls_session) {
			err = cert_who(ci->tls_session, who, msg, len);
			if (err != -ENOENT)
				return err;
		}
	}
	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	if (h && !strncasecmp(h, "Bearer ", 7) && srv->n_tokens) {
		size_t n = strlen(h + 7);

		/* Trailing blanks are the header's, not the token's. */
		while (n && (h[7 + n - 1] == ' ' || h[7 + n - 1] == '\t'))
			n--;
		return token_who(srv, h + 7, n, who, msg, len);
	}
	snprintf(msg, len, h ? "unsupported Authorization header" :
		 "no credentials: a client certificate or a bearer token is required");
	return -EACCES;
}

void api_tokens_free(struct api_server *srv)
{
	size_t i;

	for (i = 0; i < srv->n_tokens; i++) {
		free(srv->tokens[i].token);
		free(srv->tokens[i].user);
	}
	free(srv->tokens);
	srv->tokens = NULL;
	srv->n_tokens = 0;
}

/* One "token,role[,user]" line (cut in place): 0 or -EINVAL. */
static int token_line(struct api_server *srv, char *line, size_t lineno,
		      const char *path, char *msg, size_t len)
{
	char *tok = line, *role, *user, *end;
	struct api_token *v, *t;
	size_t i;

	role = strchr(tok, ',');
	if (!role) {
		snprintf(msg, len, "%s:%zu: expected token,role[,user]", path,
			 lineno);
		return -EINVAL;
	}
	*role++ = 0;
	user = strchr(role, ',');
	if (user)
		*user++ = 0;
	end = user ? user + strlen(user) : role + strlen(role);
	while (end > line && (end[-1] == ' ' || end[-1] == '\r'))
		*--end = 0;
	if (strlen(tok) < 16) {
		snprintf(msg, len, "%s:%zu: the token is shorter than 16 characters",
			 path, lineno);
		return -EINVAL;
	}
	if (api_role_parse(role) == API_ROLE_NONE) {
		snprintf(msg, len, "%s:%zu: unknown role \"%s\" (operator, read-only)",
			 path, lineno, role);
		return -EINVAL;
	}
	/* One token, one role: a second line would be silently shadowed. */
	for (i = 0; i < srv->n_tokens; i++)
		if (!strcmp(srv->tokens[i].token, tok)) {
			snprintf(msg, len, "%s:%zu: the same token as line %zu",
				 path, lineno, srv->tokens[i].lineno);
			return -EINVAL;
		}
	v = realloc(srv->tokens, (srv->n_tokens + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	srv->tokens = v;
	t = &v[srv->n_tokens];
	t->token = strdup(tok);
	t->user = strdup(user && *user ? user : "token-user");
	t->role = api_role_parse(role);
	t->lineno = lineno;
	if (!t->token || !t->user) {
		free(t->token);
		free(t->user);
		return -ENOMEM;
	}
	srv->n_tokens++;
	return 0;
}

int api_tokens_load(struct api_server *srv, const char *path, char *msg,
		    size_t len)
{
	char *buf = NULL, *line, *next;
	size_t n = 0, lineno = 0;
	int err;

	err = cosi_read_file(path, &buf, &n, msg, len);
	if (err)
		return err;
	for (line = buf; !err && line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (*line && *line != '#')
			err = token_line(srv, line, lineno, path, msg, len);
	}
	/* The tokens are secrets: no copy of the file stays around. */
	explicit_bzero(buf, n);
	free(buf);
	if (err == -ENOMEM)
		snprintf(msg, len, "%s: out of memory", path);
	if (!err && !srv->n_tokens) {
		snprintf(msg, len, "%s: no tokens", path);
		err = -EINVAL;
	}
	return err;
}
