// SPDX-License-Identifier: GPL-2.0
/*
 * Sockets opened with capabilities out of the effective set (caps.h).
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "common/caps.h"

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

/* The effective set as one mask. */
static int effective(uint64_t *out)
{
	struct __user_cap_data_struct d[2];
	int err = caps_get(d);

	if (!err)
		*out = d[0].effective | (uint64_t)d[1].effective << 32;
	return err;
}

bool cosi_caps_effective(uint64_t mask)
{
	uint64_t eff;

	return !effective(&eff) && (eff & mask) == mask;
}

int cosi_caps_set_effective(uint64_t mask, bool on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];
	uint64_t eff;
	int err = caps_get(d);

	if (err)
		return err;
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	eff = on ? eff | mask : eff & ~mask;
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	/* The raw syscall: the calling thread only (libcap would too). */
	if (syscall(SYS_capset, &h, d))
		return -errno;
	/* What is in effect, not what capset() said. */
	err = effective(&eff);
	if (err)
		return err;
	return (on ? (eff & mask) != mask : (eff & mask) != 0) ? -EPERM : 0;
}

struct cosi *cosi_open_reduced(uint64_t mask, int *restore_err)
{
	struct cosi *c;
	uint64_t eff;
	int err;

	if (restore_err)
		*restore_err = 0;
	err = effective(&eff);
	if (!err)
		err = cosi_caps_set_effective(eff & mask, false);
	if (err) {
		errno = -err;
		return NULL;
	}
	c = cosi_open();
	err = c ? 0 : errno;
	if (eff & mask) {
		int rerr = cosi_caps_set_effective(eff & mask, true);

		if (rerr) {
			cosi_close(c);
			if (restore_err)
				*restore_err = rerr;
			errno = -rerr;
			return NULL;
		}
	}
	errno = err;
	return c;
}
