/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cosi.ko tracepoints (system "cosi"), see Documentation/tracing.rst.
 *
 * Every event names its netns by inode number (as in /proc/PID/ns/net).
 * When nothing is attached, a tracepoint is a static branch: callers
 * compute nothing for it (cosi_request's clock reads are guarded by
 * trace_cosi_request_enabled()).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM cosi

#if !defined(_COSI_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _COSI_TRACE_H

#include <linux/tracepoint.h>

#include "cosi.h"

/* Let tools decode the symbolic fields from the format files. */
TRACE_DEFINE_ENUM(COSI_EVENT_KIND_CREATED);
TRACE_DEFINE_ENUM(COSI_EVENT_KIND_UPDATED);
TRACE_DEFINE_ENUM(COSI_EVENT_KIND_DESTROYED);
TRACE_DEFINE_ENUM(COSI_PHASE_RUNNING);
TRACE_DEFINE_ENUM(COSI_PHASE_TEARING_DOWN);
TRACE_DEFINE_ENUM(COSI_CMD_RESOURCE_GET);
TRACE_DEFINE_ENUM(COSI_CMD_RESOURCE_CREATE);
TRACE_DEFINE_ENUM(COSI_CMD_RESOURCE_UPDATE);
TRACE_DEFINE_ENUM(COSI_CMD_RESOURCE_DESTROY);
TRACE_DEFINE_ENUM(COSI_CMD_RESOURCE_TEARDOWN);
TRACE_DEFINE_ENUM(COSI_CMD_FINALIZER_ADD);
TRACE_DEFINE_ENUM(COSI_CMD_FINALIZER_REMOVE);
TRACE_DEFINE_ENUM(COSI_CMD_DEFINITION_SET);
TRACE_DEFINE_ENUM(COSI_CMD_DEFINITION_GET);
TRACE_DEFINE_ENUM(COSI_CMD_DEFINITION_DELETE);
TRACE_DEFINE_ENUM(COSI_CMD_OWNER_CLAIM);
TRACE_DEFINE_ENUM(COSI_CMD_WATCH);
TRACE_DEFINE_ENUM(COSI_CMD_WATCH_STOP);

#define cosi_show_kind(kind)						\
	__print_symbolic(kind,						\
			 { COSI_EVENT_KIND_CREATED, "created" },	\
			 { COSI_EVENT_KIND_UPDATED, "updated" },	\
			 { COSI_EVENT_KIND_DESTROYED, "destroyed" })

#define cosi_show_phase(phase)						\
	__print_symbolic(phase,						\
			 { COSI_PHASE_RUNNING, "running" },		\
			 { COSI_PHASE_TEARING_DOWN, "tearing-down" })

#define cosi_show_cmd(cmd)						\
	__print_symbolic(cmd,						\
			 { COSI_CMD_RESOURCE_GET, "resource-get" },	\
			 { COSI_CMD_RESOURCE_CREATE, "resource-create" }, \
			 { COSI_CMD_RESOURCE_UPDATE, "resource-update" }, \
			 { COSI_CMD_RESOURCE_DESTROY, "resource-destroy" }, \
			 { COSI_CMD_RESOURCE_TEARDOWN, "resource-teardown" }, \
			 { COSI_CMD_FINALIZER_ADD, "finalizer-add" },	\
			 { COSI_CMD_FINALIZER_REMOVE, "finalizer-remove" }, \
			 { COSI_CMD_DEFINITION_SET, "definition-set" },	\
			 { COSI_CMD_DEFINITION_GET, "definition-get" },	\
			 { COSI_CMD_DEFINITION_DELETE, "definition-delete" }, \
			 { COSI_CMD_OWNER_CLAIM, "owner-claim" },	\
			 { COSI_CMD_WATCH, "watch" },			\
			 { COSI_CMD_WATCH_STOP, "watch-stop" })

/*
 * A committed resource change, in revision order, under cosi_net::lock:
 * the store's event kind (a teardown is an update to phase tearing-down),
 * the revision of the change and the version it produced (the last
 * version, for a destroy).
 */
TRACE_EVENT(cosi_resource_change,
	    TP_PROTO(const struct cosi_net *cn, const struct cosi_event *ev),
	    TP_ARGS(cn, ev),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u8, kind)
			     __field(u8, phase)
			     __field(u64, revision)
			     __field(u64, version)
			     __string(ns, cosi_coll_ns(ev->res->coll))
			     __string(type, ev->res->coll->type)
			     __string(id, ev->res->id)),
	    TP_fast_assign(__entry->netns = cn->net->ns.inum;
			   __entry->kind = ev->kind;
			   __entry->phase = ev->res->phase;
			   __entry->revision = ev->rev;
			   __entry->version = ev->res->version;
			   cosi_assign_str(ns, cosi_coll_ns(ev->res->coll));
			   cosi_assign_str(type, ev->res->coll->type);
			   cosi_assign_str(id, ev->res->id);),
	    TP_printk("netns=%u rev=%llu %s ns=%s type=%s id=%s version=%llu phase=%s",
		      __entry->netns, __entry->revision,
		      cosi_show_kind(__entry->kind), __get_str(ns),
		      __get_str(type), __get_str(id), __entry->version,
		      cosi_show_phase(__entry->phase))
);

/*
 * A finished request.  do: @duration_ns is the handler's run time.  dump
 * (dump=1, emitted when the dump ends): from the dump's start to its end,
 * which includes the time the client took to read the earlier parts;
 * @err is the first error a dump step returned.
 */
TRACE_EVENT(cosi_request,
	    TP_PROTO(const struct net *net, u8 cmd, bool dump, int err,
		     u64 duration_ns),
	    TP_ARGS(net, cmd, dump, err, duration_ns),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u8, cmd)
			     __field(u8, dump)
			     __field(int, err)
			     __field(u64, duration_ns)),
	    TP_fast_assign(__entry->netns = net->ns.inum;
			   __entry->cmd = cmd;
			   __entry->dump = dump;
			   __entry->err = err;
			   __entry->duration_ns = duration_ns;),
	    TP_printk("netns=%u cmd=%s dump=%u err=%d duration_ns=%llu",
		      __entry->netns, cosi_show_cmd(__entry->cmd),
		      __entry->dump, __entry->err, __entry->duration_ns)
);

/*
 * A live watch could not queue an event (the socket's receive buffer is
 * full): every watch of the socket stops.  @watch_id is the one that hit
 * it, @nr_watches how many the socket had, @revision the undelivered one.
 */
TRACE_EVENT(cosi_watch_overflow,
	    TP_PROTO(const struct cosi_net *cn, const struct cosi_sock *sk,
		     u32 watch_id, u64 revision),
	    TP_ARGS(cn, sk, watch_id, revision),
	    TP_STRUCT__entry(__field(u32, netns)
			     __field(u32, portid)
			     __field(u32, watch_id)
			     __field(u32, nr_watches)
			     __field(u64, revision)),
	    TP_fast_assign(__entry->netns = cn->net->ns.inum;
			   __entry->portid = sk->portid;
			   __entry->watch_id = watch_id;
			   __entry->nr_watches = sk->nr_watchers;
			   __entry->revision = revision;),
	    TP_printk("netns=%u portid=%u watch_id=%u nr_watches=%u rev=%llu",
		      __entry->netns, __entry->portid, __entry->watch_id,
		      __entry->nr_watches, __entry->revision)
);

/*
 * A watch starts with a bootstrap listing or a history replay (resuming
 * after since-revision).  @replayed is the number of history events queued
 * for the replay (0 for a bootstrap: its listing follows in the dump),
 * @revision the netns revision at the start.
 */
TRACE_EVENT_CONDITION(cosi_watch_resync,
		      TP_PROTO(const struct cosi_net *cn,
			       const struct cosi_watcher *w, bool bootstrap,
			       bool replay, u64 since),
		      TP_ARGS(cn, w, bootstrap, replay, since),
		      TP_CONDITION(bootstrap || replay),
		      TP_STRUCT__entry(__field(u32, netns)
				       __field(u32, portid)
				       __field(u32, watch_id)
				       __field(u32, replayed)
				       __field(u8, bootstrap)
				       __field(u64, since)
				       __field(u64, revision)
				       __string(ns, cosi_coll_ns(w->coll))
				       __string(type, w->coll->type)),
		      TP_fast_assign(__entry->netns = cn->net->ns.inum;
				     __entry->portid = w->sock->portid;
				     __entry->watch_id = w->watch_id;
				     __entry->replayed = w->nr_pending;
				     __entry->bootstrap = bootstrap;
				     __entry->since = since;
				     __entry->revision = cn->revision;
				     cosi_assign_str(ns, cosi_coll_ns(w->coll));
				     cosi_assign_str(type, w->coll->type);),
		      TP_printk("netns=%u portid=%u watch_id=%u ns=%s type=%s %s since=%llu rev=%llu replayed=%u",
				__entry->netns, __entry->portid,
				__entry->watch_id, __get_str(ns),
				__get_str(type),
				__entry->bootstrap ? "bootstrap" : "replay",
				__entry->since, __entry->revision,
				__entry->replayed)
);

#endif /* _COSI_TRACE_H */

/* define_trace.h looks for this file in the include path (-I$(src)). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE cosi_trace

#include <trace/define_trace.h>
