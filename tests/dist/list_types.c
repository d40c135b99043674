// SPDX-License-Identifier: GPL-2.0
/*
 * A program built against the installed libcosi-dev only (pkg-config
 * libcosi, <cosi/cosi.h>): prints the type of each definition cosi.ko
 * holds, one a line.  tests/dist/install.sh compiles and runs it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cosi/cosi.h>

int main(void)
{
	struct cosi_definitions defs = { 0 };
	struct cosi *c = cosi_open();
	size_t i;
	int err;

	if (!c) {
		fprintf(stderr, "list_types: cosi_open: %s\n", strerror(errno));
		return 1;
	}
	err = cosi_definition_list(c, &defs);
	if (err) {
		fprintf(stderr, "list_types: %s\n", strerror(-err));
		cosi_close(c);
		return 1;
	}
	for (i = 0; i < defs.n; i++)
		printf("%s\n", defs.v[i]->type);
	cosi_definitions_clear(&defs);
	cosi_close(c);
	return 0;
}
