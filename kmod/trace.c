// SPDX-License-Identifier: GPL-2.0
/*
 * The cosi tracepoints (cosi_trace.h) are instantiated here; callers only
 * include the header.
 */
#include "cosi.h"

#define CREATE_TRACE_POINTS
#include "cosi_trace.h"
