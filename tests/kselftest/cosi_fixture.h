/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture every test program shares: a socket, and per-test types so
 * that tests never see each other's resources.  Include after
 * kselftest_harness.h.
 */
#ifndef COSI_FIXTURE_H
#define COSI_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "cosi_nl.h"

static inline int cosi_param_get(const char *name, long *val)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/module/cosi/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%ld", val) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static inline int cosi_param_restore(const char *name, long val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/cosi/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%ld\n", val);
	return fclose(f);
}

static inline int cosi_param_set(const char *name, long val, long *saved)
{
	if (cosi_param_get(name, saved))
		return -1;
	return cosi_param_restore(name, val);
}

/* Extack of a failed dump start reaches userspace only since 6.2. */
static inline int kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	uname(&u);
	sscanf(u.release, "%d.%d", &ma, &mi);
	return ma > major || (ma == major && mi >= minor);
}

FIXTURE(cosi) {
	struct ct ct;
	char type[128];
	char type2[128];
	char owner[64];
	long saved[4];
};

FIXTURE_SETUP(cosi)
{
	char *p;

	ASSERT_EQ(0, ct_open(&self->ct));
	snprintf(self->type, sizeof(self->type), "%s.%d.test",
		 _metadata->name, getpid());
	snprintf(self->type2, sizeof(self->type2), "two.%s.%d.test",
		 _metadata->name, getpid());
	for (p = self->type; *p; p++)
		if (*p == '_')
			*p = '-';
	for (p = self->type2; *p; p++)
		if (*p == '_')
			*p = '-';
	snprintf(self->owner, sizeof(self->owner), "ctl-%d", getpid());
	ASSERT_EQ(0, ct_define(&self->ct, self->type, false)) {
		TH_LOG("definition-set: %d %s", self->ct.err, self->ct.extack);
	}
}

FIXTURE_TEARDOWN(cosi)
{
	ct_close(&self->ct);
}

#endif
