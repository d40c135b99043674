/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * libcosi: a small client of the cosi generic netlink family, over
 * libnl-genl-3.  One struct cosi is one netlink socket in the caller's
 * network namespace (the one current when cosi_open() runs).  Installed
 * as <cosi/cosi.h> with libcosi.so.1 (`pkg-config libcosi`); what is
 * declared here is the library's API (libcosi.map), the wire level is
 * private (cosi_nl.h).
 *
 * Conventions:
 *  - Calls that talk to the kernel return 0 or a negative errno.  The
 *    errno and the kernel's extack message (if any) are kept in the handle
 *    until the next request: cosi_last_error(), cosi_strerror().
 *  - Parsed objects (resources, definitions, events) are allocated by the
 *    library; strings in them are never NULL ("" when the kernel left the
 *    attribute out).  Free them with the matching *_free() function.
 *  - Objects the caller builds (struct cosi_kvs, cosi_strs, cosi_spec)
 *    start zeroed, grow with the *_add*() helpers (which copy their
 *    arguments) and are emptied with *_clear(); a definition to set comes
 *    from cosi_def_new() and grows with the cosi_def_*() helpers.
 *  - Pointers in requests (struct cosi_req, cosi_list_req, cosi_watch_req)
 *    that are NULL leave the attribute out of the message.
 *  - C11 or later (struct cosi_field's value is an anonymous union), or
 *    C++ (the declarations are extern "C").
 *
 * ABI rules (libcosi.so.1 and libcosi-runtime.so.1; each struct's comment
 * names its class).  (a) Caller-built input structs (cosi_req,
 * cosi_list_req, cosi_watch_req; runtime.h's cosi_controller and
 * cosi_runtime_opts, transform.h's cosi_transform) start with `size_t sz`,
 * the size of the struct the caller was compiled with: declare them with
 * COSI_OPTS() or COSI_OPTS_PTR() (which set it and zero the rest).  The
 * library copies min(sz, its own sizeof) and reads what it did not get as
 * zero, so a program built against an older header keeps working; sz 0
 * fails with EINVAL, and a struct from a newer header with a non-zero byte
 * past what this library knows fails with E2BIG rather than being
 * silently half-read.  Later versions only append fields to them, each
 * starting at or past the previous version's sizeof, with no implicit
 * padding in what they append, trailing padding included (pad with named
 * reserved members, which initialisers zero): the library checks every
 * byte past its sizeof and compilers need not zero padding.  Zero keeps
 * the old behaviour.  When one grows, the debian/ symbols files raise
 * the minimum version of every function taking it, so a program using
 * the new fields depends on a library that knows them.
 * (b) Library-allocated structs (cosi_resource, cosi_event,
 * cosi_definition, cosi_stream_stats, cosi_list; cosi_ctl_stats and
 * cosi_tf_out) are handed out by pointer and may grow at the end: never
 * allocate, copy or embed one; get them from the library and free them
 * with its *_free().
 * (c) Frozen structs, embedded in others or laid out in arrays whose
 * stride is their size (cosi_kv, cosi_kvs, cosi_strs, cosi_bytes,
 * cosi_field, cosi_spec, cosi_resources, cosi_schema_field, cosi_column,
 * cosi_definitions, cosi_term, cosi_query, cosi_err, cosi_batch_op,
 * cosi_write, cosi_event_vec; runtime.h's cosi_input and cosi_output):
 * their layout never changes within this soname; later versions add new
 * fields to the containing (a) struct instead.
 */
#ifndef COSI_LIB_COSI_H
#define COSI_LIB_COSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/cosi.h>

struct nl_msg;
struct cosi;

/* Everything declared here is libcosi's API (lib/libcosi.map). */
#pragma GCC visibility push(default)

#ifdef __cplusplus
extern "C" {
#endif

/*
 * COSI_OPTS(TYPE, NAME, ...) declares `struct TYPE NAME` for a caller-built
 * struct of class (a): zeroed first (as libbpf's LIBBPF_OPTS), sz set to
 * sizeof(struct TYPE), then the designated initialisers given, as in
 *	COSI_OPTS(cosi_req, r, .ns = "default", .type = t, .id = id);
 * COSI_OPTS_PTR(TYPE, ...) is the same as a pointer to a compound literal,
 * for an argument: cosi_resource_create(c, COSI_OPTS_PTR(cosi_req,
 * .ns = ns, .type = t, .id = id), NULL).  Padding is the compiler's and
 * need not be zero, which is why appended fields never leave any (see
 * "ABI rules" above).  Static declarations (file scope, static const)
 * spell the same thing out: { .sz = sizeof(struct TYPE), ... }.  Both are
 * GNU C (statement expression, compound literal); COSI_OPTS_PTR() is C
 * only (C++ refuses the address of a temporary): C++ uses COSI_OPTS().
 */
#define COSI_OPTS_DECL_(TYPE, NAME, ...)				\
	struct TYPE NAME = ({						\
		memset(&NAME, 0, sizeof(struct TYPE));			\
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };	\
	})
#ifdef __cplusplus
/* g++ warns about the members a designated initialiser leaves out. */
#define COSI_OPTS(TYPE, NAME, ...)					\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"") \
	COSI_OPTS_DECL_(TYPE, NAME, __VA_ARGS__);			\
	_Pragma("GCC diagnostic pop")
#else
/* One declaration, so -Wdeclaration-after-statement is happy after it. */
#define COSI_OPTS(TYPE, NAME, ...)	COSI_OPTS_DECL_(TYPE, NAME, __VA_ARGS__)
#endif
#define COSI_OPTS_PTR(TYPE, ...)					\
	(&(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ })

/*
 * Labels and annotations: key/value pairs with unique keys.
 * ABI (c) frozen (both): layout fixed within this soname.
 */
struct cosi_kv {
	char *key;
	char *value;
};

struct cosi_kvs {
	struct cosi_kv *v;
	size_t n;
};

/* A list of strings: finalizers, aliases, string-list values.  ABI (c). */
struct cosi_strs {
	char **v;
	size_t n;
};

/* ABI (c) frozen: layout fixed within this soname. */
struct cosi_bytes {
	void *data;
	size_t len;
};

/*
 * One spec field; @type tells which member of the union is valid.
 * ABI (c) frozen (an array element), as is struct cosi_spec.
 */
struct cosi_field {
	char *name;
	enum cosi_field_type type;
	union {
		char *str;
		uint64_t u64;
		int64_t s64;
		bool b;
		struct cosi_bytes bytes;
		struct cosi_strs strs;
	};
};

struct cosi_spec {
	struct cosi_field *v;
	size_t n;
};

/*
 * ABI (b) library-allocated: from cosi_resource_get(), lists, events,
 * cosi_event_take() and (empty, for a caller that fills one from another
 * source) cosi_resource_new(); may grow at the end.  Never allocate, copy
 * or embed one; free it with cosi_resource_free().
 */
struct cosi_resource {
	char *ns;
	char *type;
	char *id;
	uint64_t version;
	char *owner;
	uint32_t phase;			/* enum cosi_phase */
	struct cosi_kvs labels;
	struct cosi_kvs annotations;
	struct cosi_strs finalizers;
	uint64_t created;
	uint64_t updated;
	uint64_t revision;
	bool has_spec;			/* false: left out (sensitive type) */
	struct cosi_spec spec;
	int destroy_ready;		/* teardown reply: 0 or 1; else -1 */
	/*
	 * COSI_WRITER_CAPS_* the writer of the spec held, recorded by the
	 * kernel; has_writer_caps is false when the reply had none (an
	 * older cosi.ko, or a reply that does not carry it).
	 */
	uint32_t writer_caps;
	bool has_writer_caps;
};

/* ABI (c) frozen: the caller's, filled by cosi_resource_list(). */
struct cosi_resources {
	struct cosi_resource **v;
	size_t n;
	bool intr;			/* a message had NLM_F_DUMP_INTR */
};

/* ABI (c) frozen (array elements of a definition, both). */
struct cosi_schema_field {
	char *name;
	enum cosi_field_type type;
	bool required;
};

struct cosi_column {
	char *name;
	char *field;
};

/*
 * ABI (b) library-allocated: from cosi_def_new() (to build one) or a
 * reply; may grow at the end.  Never allocate, copy or embed one; free it
 * with cosi_definition_free().
 */
struct cosi_definition {
	char *type;
	struct cosi_strs aliases;
	char *default_ns;		/* building: NULL leaves it out */
	uint32_t sensitivity;		/* enum cosi_sensitivity */
	uint32_t write_access;		/* enum cosi_write_access */
	struct cosi_schema_field *fields;
	size_t n_fields;
	struct cosi_column *columns;
	size_t n_columns;
	uint64_t revision;		/* replies only */
	uint32_t resources;		/* replies only */
};

/* ABI (c) frozen: the caller's, filled by cosi_definition_list(). */
struct cosi_definitions {
	struct cosi_definition **v;
	size_t n;
};

/*
 * A label query term; a query ANDs its terms, queries are ORed.
 * ABI (c) frozen (arrays of both): layout fixed within this soname.
 */
struct cosi_term {
	const char *key;
	enum cosi_label_op op;
	const char *const *values;
	size_t n_values;
	bool invert;
};

struct cosi_query {
	const struct cosi_term *terms;
	size_t n;
};

/*
 * A resource request.  Each operation sends only the attributes it takes
 * (see COSI_REQ_*).  ABI (a) caller-built: COSI_OPTS(cosi_req, ...).
 */
struct cosi_req {
	size_t sz;				/* sizeof(struct cosi_req) */
	const char *ns;
	const char *type;
	const char *id;
	const struct cosi_kvs *labels;		/* NULL: not sent */
	const struct cosi_kvs *annotations;	/* NULL: not sent */
	const struct cosi_spec *spec;		/* NULL: not sent */
	const struct cosi_strs *finalizers;	/* finalizer-add/remove */
	bool has_expected_version;
	uint64_t expected_version;
	bool has_expected_phase;
	uint32_t expected_phase;
	/*
	 * Since 0.1.0's ack-only: a create, update, teardown or finalizer
	 * change replies with the version and revision only, and the
	 * resource handed back carries nothing else (strings "", no spec):
	 * less to send and parse for writers that do not need the echo.
	 */
	bool ack_only;
	uint8_t reserved[7];			/* zero */
	/*
	 * Since 0.1.0's quiet: in cosi_write_batch() and cosi_batch(), a
	 * create, update, destroy, teardown or finalizer change is not
	 * answered when it succeeds (as a route added without NLM_F_ACK):
	 * its done is set with err 0, and nothing else (version and revision
	 * 0, no res).  A failure is reported as any other, with its extack.
	 * The fastest batched writes; watchers get their events as ever.
	 * Not with ack_only (the kernel refuses the pair, EINVAL), nor in
	 * the calls that hand back one write's answer (cosi_resource_create()
	 * and the like refuse it, EINVAL).
	 */
	bool quiet;
	uint8_t reserved2[7];			/* zero */
};

/* ABI (a) caller-built: COSI_OPTS(cosi_list_req, ...). */
struct cosi_list_req {
	size_t sz;				/* sizeof(struct cosi_list_req) */
	const char *ns;
	const char *type;
	const char *id_prefix;			/* NULL: every id */
	const struct cosi_query *queries;	/* ORed; none: every resource */
	size_t n_queries;
};

/* ABI (a) caller-built: COSI_OPTS(cosi_watch_req, ...). */
struct cosi_watch_req {
	size_t sz;				/* sizeof(struct cosi_watch_req) */
	const char *ns;
	const char *type;
	const char *id;				/* NULL: every id */
	const struct cosi_query *queries;
	size_t n_queries;
	bool bootstrap;
	bool has_since;
	uint64_t since_revision;
};

/*
 * A watch (or multicast) event.  ABI (b) library-allocated: handed to a
 * cosi_event_fn, freed with cosi_event_free(); may grow at the end.
 */
struct cosi_event {
	uint32_t watch_id;		/* 0 for multicast events */
	uint32_t kind;			/* enum cosi_event_kind */
	uint64_t revision;		/* of the change, or of the marker */
	/*
	 * The resource (library-allocated, freed with the event): never
	 * NULL as delivered, an empty one (strings "") for a bootstrapped
	 * marker; NULL once cosi_event_take() moved it out.
	 */
	struct cosi_resource *res;
	bool has_old_labels;
	struct cosi_kvs old_labels;	/* updated events */
};

/* Receives an event; the callee owns it (cosi_event_free()). */
typedef void (*cosi_event_fn)(struct cosi_event *ev, void *arg);
/*
 * Receives a listed resource; the callee owns it.  It runs while the
 * handle reads the list's answers: a request on the same handle from it
 * fails with -EBUSY.
 */
typedef void (*cosi_resource_fn)(struct cosi_resource *r, void *arg);

/* The outcome of the last request.  ABI (c) frozen (in cosi_batch_op). */
struct cosi_err {
	int err;			/* positive errno, 0 on success */
	char msg[256];			/* extack message, "" when none */
	bool has_offset;		/* extack pointed at an attribute */
	uint32_t offset;		/* its offset in the request */
	bool has_miss_type;		/* a required attribute was missing */
	uint32_t miss_type;		/* its type */
};

/* Handle. */
struct cosi *cosi_open(void);			/* NULL and errno on failure */
void cosi_close(struct cosi *c);
int cosi_fd(const struct cosi *c);
int cosi_family(const struct cosi *c);
int cosi_set_rcvbuf(struct cosi *c, int bytes);
/* Requests fail with ETIMEDOUT after this long without a reply. */
#define COSI_TIMEOUT_MS	30000
int cosi_set_timeout(struct cosi *c, int ms);
int cosi_events_join(struct cosi *c);		/* the "events" mcast group */

/* Errors. */
const struct cosi_err *cosi_last_error(const struct cosi *c);
const char *cosi_strerror(struct cosi *c, const char *op);
const char *cosi_err_format(const struct cosi_err *e, const char *op,
			    char *buf, size_t len);

/* Resources. */
int cosi_resource_get(struct cosi *c, const char *ns, const char *type,
		      const char *id, struct cosi_resource **out);
int cosi_resource_list(struct cosi *c, const struct cosi_list_req *q,
		       struct cosi_resources *out);
int cosi_resource_list_cb(struct cosi *c, const struct cosi_list_req *q,
			  cosi_resource_fn fn, void *arg, bool *intr);
/*
 * Since 1.1.0: a list read in one piece, for readers of many resources.
 * cosi_list() parses the replies where they are, with no allocation per
 * resource or string: each resource, its arrays and a copy of its reply
 * message live in a few large blocks, and its strings (bytes too) point
 * into that copy.  Everything in it is read-only and stays valid until
 * cosi_list_free(), which frees it at once: never free or modify a
 * resource of @v (copy what outlives the list).
 * ABI (b) library-allocated: may grow at the end; never allocate, copy or
 * embed one.
 */
struct cosi_list {
	const struct cosi_resource *const *v;
	size_t n;
	bool intr;			/* a message had NLM_F_DUMP_INTR */
};

int cosi_list(struct cosi *c, const struct cosi_list_req *q,
	      struct cosi_list **out);
void cosi_list_free(struct cosi_list *l);

int cosi_resource_create(struct cosi *c, const struct cosi_req *r,
			 struct cosi_resource **out);
int cosi_resource_update(struct cosi *c, const struct cosi_req *r,
			 struct cosi_resource **out);
int cosi_resource_destroy(struct cosi *c, const struct cosi_req *r,
			  uint64_t *revision);
int cosi_resource_teardown(struct cosi *c, const struct cosi_req *r,
			   bool *destroy_ready, struct cosi_resource **out);
int cosi_finalizer_add(struct cosi *c, const struct cosi_req *r,
		       struct cosi_resource **out);
int cosi_finalizer_remove(struct cosi *c, const struct cosi_req *r,
			  struct cosi_resource **out);

/* Definitions. */
int cosi_definition_set(struct cosi *c, const struct cosi_definition *d,
			struct cosi_definition **out);
int cosi_definition_get(struct cosi *c, const char *name,
			struct cosi_definition **out);
int cosi_definition_list(struct cosi *c, struct cosi_definitions *out);
int cosi_definition_delete(struct cosi *c, const char *name,
			   uint64_t *revision);

/* Owners and watches. */
int cosi_owner_claim(struct cosi *c, const char *owner);
int cosi_watch(struct cosi *c, const struct cosi_watch_req *w,
	       cosi_event_fn fn, void *arg, uint32_t *watch_id,
	       uint64_t *revision);
int cosi_watch_recv(struct cosi *c, int timeout_ms, cosi_event_fn fn,
		    void *arg);
int cosi_watch_stop(struct cosi *c, uint32_t watch_id);

/* After an error: was the family unregistered (cosi.ko unloaded)? */
bool cosi_family_gone(struct cosi *c);

/*
 * Batches: many requests, one sendmsg() per COSI_BATCH_ECHOES of them
 * (and COSI_BATCH_BYTES).  The kernel answers all of a sendmsg() (one
 * message per request) before the caller reads, so the answers must fit
 * in the receive buffer: small chunks keep them well inside it even with
 * the largest specs.  Where every answer is small (ack-only writes,
 * cosi_req.ack_only, or quiet ones, cosi_req.quiet, on a handle that has
 * never watched: no events), a chunk holds as many as fill half the
 * receive buffer, COSI_BATCH_MAX at most (about 160 with the default
 * buffer).  A chunk with quiet writes asks for one ack, its last
 * request's: the kernel answers a chunk's requests in order, so a quiet
 * write not answered by then succeeded.  Unless the socket lost a
 * message meanwhile (a receive buffer full of events, on a handle that
 * watches; or no memory for an error: the socket says ENOBUFS): then
 * such a write's outcome is unknown, and its error is ENOBUFS.  A full
 * receive buffer drops everything until it is read empty, a chunk's last
 * answer too: the kernel answers a chunk before sendmsg() returns (a
 * dump aside), so the batch reads the socket empty and goes on, any
 * request of the chunk without an answer failing with ENOBUFS (outcome
 * unknown; quiet or not).  A handle asks for a send
 * buffer that takes a chunk; where net.core.wmem_max grants less, chunks
 * are as large as the socket takes, and a request larger than that is
 * refused unsent with EMSGSIZE (its own error; the others go on).
 */
#define COSI_BATCH_ECHOES	16
#define COSI_BATCH_MAX		256
#define COSI_BATCH_BYTES	(64 * 1024)

/* ABI (c) frozen: the caller's array. */
struct cosi_batch_op {
	struct nl_msg *msg;		/* in: the request (consumed) */
	struct cosi_err err;		/* out: its errno and extack */
	struct cosi_resource *res;	/* out: the reply's resource, if any */
	bool done;			/* out: answered */
};

int cosi_batch(struct cosi *c, struct cosi_batch_op *ops, size_t n);
struct nl_msg *cosi_req_msg(struct cosi *c, uint8_t cmd,
			    const struct cosi_req *r);

/*
 * Since 1.1.0: many writes of resources, without a libnl message each.
 * @cmd is a resource write (create, update, destroy, teardown,
 * finalizer-add or -remove) and @req its request; cosi_write_batch()
 * fills the rest: the answer's @err, and the @version and @revision it
 * reports (a write with cosi_req.ack_only is answered with these only,
 * which lets many more go out per sendmsg(), see COSI_BATCH_MAX; one with
 * cosi_req.quiet is not answered when it succeeds: both stay 0).  The
 * requests are built into one buffer per handle and sent as cosi_batch()
 * sends them, in order; a failed one does not stop the others.
 * ABI (c) frozen: the caller's array.
 */
struct cosi_write {
	uint8_t cmd;			/* in: COSI_CMD_RESOURCE_* */
	const struct cosi_req *req;	/* in: COSI_OPTS(cosi_req, ...) */
	struct cosi_err err;		/* out: its errno and extack */
	uint64_t version;		/* out: of the resource written */
	uint64_t revision;		/* out: of the write */
	bool done;			/* out: answered, or refused unsent */
};

int cosi_write_batch(struct cosi *c, struct cosi_write *w, size_t n);

/* Building blocks; the *_add*() helpers copy their arguments. */
int cosi_kvs_add(struct cosi_kvs *s, const char *key, const char *value);
const char *cosi_kvs_get(const struct cosi_kvs *s, const char *key);
bool cosi_kvs_equal(const struct cosi_kvs *a, const struct cosi_kvs *b);
void cosi_kvs_clear(struct cosi_kvs *s);
int cosi_strs_add(struct cosi_strs *s, const char *str);
bool cosi_strs_has(const struct cosi_strs *s, const char *str);
void cosi_strs_clear(struct cosi_strs *s);
int cosi_spec_add_string(struct cosi_spec *s, const char *name,
			 const char *value);
int cosi_spec_add_u64(struct cosi_spec *s, const char *name, uint64_t v);
int cosi_spec_add_s64(struct cosi_spec *s, const char *name, int64_t v);
int cosi_spec_add_bool(struct cosi_spec *s, const char *name, bool v);
int cosi_spec_add_bytes(struct cosi_spec *s, const char *name,
			const void *data, size_t len);
int cosi_spec_add_strings(struct cosi_spec *s, const char *name,
			  const char *const *items, size_t n);
const struct cosi_field *cosi_spec_get(const struct cosi_spec *s,
				       const char *name);
bool cosi_field_equal(const struct cosi_field *a, const struct cosi_field *b);
bool cosi_spec_equal(const struct cosi_spec *a, const struct cosi_spec *b);
void cosi_spec_clear(struct cosi_spec *s);

/* A definition to build, of @type: NULL and errno on failure. */
struct cosi_definition *cosi_def_new(const char *type);
int cosi_def_set_default_ns(struct cosi_definition *d, const char *ns);
int cosi_def_add_alias(struct cosi_definition *d, const char *alias);
int cosi_def_add_field(struct cosi_definition *d, const char *name,
		       enum cosi_field_type type, bool required);
int cosi_def_add_column(struct cosi_definition *d, const char *name,
			const char *field);
void cosi_definition_clear(struct cosi_definition *d);
void cosi_definition_free(struct cosi_definition *d);
void cosi_definitions_clear(struct cosi_definitions *l);

struct cosi_resource *cosi_resource_new(void);	/* NULL: ENOMEM */
void cosi_resource_clear(struct cosi_resource *r);
void cosi_resource_free(struct cosi_resource *r);
void cosi_resources_clear(struct cosi_resources *l);
struct cosi_resource *cosi_event_take(struct cosi_event *ev);
void cosi_event_free(struct cosi_event *ev);

/* A growable array of events, and a cosi_event_fn filling it.  ABI (c). */
struct cosi_event_vec {
	struct cosi_event **v;
	size_t n;
	size_t cap;
};

void cosi_event_vec_push(struct cosi_event *ev, void *vec);
void cosi_event_vec_clear(struct cosi_event_vec *vec);

/*
 * Resumable watches (cosi_stream.c): a set of watches on one handle that
 * survives overflows.  After ENOBUFS the watches restart from the last
 * revision delivered; when the history is too short they bootstrap again
 * and the ids that vanished meanwhile are reported as destroyed events.
 * Events go to @fn (the callee owns them), bootstrapped markers included.
 */
struct cosi_stream;

/* ABI (b): read through cosi_stream_stats()'s pointer; may grow. */
struct cosi_stream_stats {
	uint64_t events;		/* delivered to the callback */
	uint64_t resumes;		/* overflows recovered from */
	uint64_t bootstraps;		/* of which needed a new bootstrap */
	uint64_t vanished;		/* synthesised destroyed events */
	uint64_t lost_ids;		/* ids not remembered (ENOMEM) */
};

struct cosi_stream *cosi_stream_new(struct cosi *c, cosi_event_fn fn,
				    void *arg);
void cosi_stream_free(struct cosi_stream *s);
int cosi_stream_add(struct cosi_stream *s, const char *ns, const char *type,
		    const char *id);
int cosi_stream_add_from(struct cosi_stream *s, const char *ns,
			 const char *type, const char *id, uint64_t since);
int cosi_stream_add_req(struct cosi_stream *s,
			const struct cosi_watch_req *req);
int cosi_stream_reopen(struct cosi_stream *s, struct cosi *c);
int cosi_stream_dispatch(struct cosi_stream *s, int timeout_ms);
const struct cosi_stream_stats *cosi_stream_stats(const struct cosi_stream *s);
uint64_t cosi_stream_revision(const struct cosi_stream *s);

/* The errno (positive) of a libnl NLE_* code of either sign; EIO if none. */
int cosi_nl_errno(int nlerr);

/* Names of enum values, for messages. */
const char *cosi_event_kind_name(uint32_t kind);
const char *cosi_field_type_name(uint32_t type);
/* "net-admin", "sys-admin" (the definition manifest's write-access). */
const char *cosi_write_access_name(uint32_t access);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* COSI_LIB_COSI_H */
