// SPDX-License-Identifier: GPL-2.0
/*
 * cosictl wait's condition over the events of its watch (apart from
 * wait.c so that the host tests can feed it events).
 */
#include <stdlib.h>
#include <string.h>

#include "cosictl/cosictl.h"
#include "cosictl/render.h"

bool cosictl_wait_field_matches(const struct cosictl_args *a,
				const struct cosi_resource *r)
{
	char *cell = cosi_render_cell(r, a->for_field);
	bool eq = cell && !strcmp(cell, a->for_value);

	free(cell);
	return eq;
}

/*
 * The state after each event; the condition once it is known.  Once met
 * it stays met: a delete and a re-create in one batch of events is a
 * delete, as kubectl wait --for delete sees it (a new object).
 */
void cosictl_wait_event(struct cosictl_waiter *w, const struct cosi_event *ev)
{
	bool met = false;

	switch (ev->kind) {
	case COSI_EVENT_KIND_BOOTSTRAPPED:
		w->bootstrapped = true;
		break;
	case COSI_EVENT_KIND_CREATED:
	case COSI_EVENT_KIND_UPDATED:
		w->present = true;
		if (w->a->wait_for == COSICTL_FOR_FIELD) {
			w->hidden = !ev->res->has_spec;
			w->matched = !w->hidden &&
				     cosictl_wait_field_matches(w->a, ev->res);
		}
		break;
	case COSI_EVENT_KIND_DESTROYED:
		w->present = false;
		break;
	}
	switch (w->a->wait_for) {
	case COSICTL_FOR_CREATE:
		met = w->present;
		break;
	case COSICTL_FOR_DELETE:
		met = !w->present;
		break;
	case COSICTL_FOR_FIELD:
		met = w->present && w->matched;
		break;
	case COSICTL_FOR_NONE:
		break;
	}
	w->met = w->met || (met && w->bootstrapped);
}
