// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of cosid's file handling (daemon/common/fileio.c):
 * atomic replacement with unique temporary names.  No kernel needed; run
 * under ASan/UBSan (make SAN=1).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "common/fileio.h"
#include "common/manifest.h"

FIXTURE(dir) {
	char path[64];
	char file[128];
};

FIXTURE_SETUP(dir)
{
	snprintf(self->path, sizeof(self->path), "/tmp/cosid_host.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->path));
	snprintf(self->file, sizeof(self->file), "%s/sub/state.yaml",
		 self->path);
}

FIXTURE_TEARDOWN(dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", self->path);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", self->path);
}

/* Entries of @dir (without . and ..). */
static int entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	char msg[256], *buf = NULL;
	size_t len;

	return cosi_read_file(path, &buf, &len, msg, sizeof(msg)) ? NULL : buf;
}

TEST_F(dir, writes_creates_parents_and_sets_mode)
{
	struct stat st;
	char sub[128], *s;

	ASSERT_EQ(0, cosi_write_atomic(self->file, "a: 1\n", 5, 0640));
	s = slurp(self->file);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("a: 1\n", s);
	free(s);
	ASSERT_EQ(0, stat(self->file, &st));
	EXPECT_EQ(0640, st.st_mode & 0777);
	snprintf(sub, sizeof(sub), "%s/sub", self->path);
	EXPECT_EQ(1, entries(sub));		/* no temporary file left */
}

TEST_F(dir, replaces_and_leaves_no_temporary)
{
	char sub[128], *s;

	ASSERT_EQ(0, cosi_write_atomic(self->file, "old\n", 4, 0644));
	ASSERT_EQ(0, cosi_write_atomic(self->file, "new content\n", 12, 0644));
	s = slurp(self->file);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("new content\n", s);
	free(s);
	snprintf(sub, sizeof(sub), "%s/sub", self->path);
	EXPECT_EQ(1, entries(sub));
}

/* A fixed "PATH.tmp" in the way (another writer's, or a leftover) is no
 * obstacle: the temporary name is unique. */
TEST_F(dir, fixed_tmp_name_in_the_way)
{
	char tmp[160], *s;

	ASSERT_EQ(0, cosi_write_atomic(self->file, "x\n", 2, 0644));
	snprintf(tmp, sizeof(tmp), "%s.tmp", self->file);
	ASSERT_EQ(0, mkdir(tmp, 0755));
	ASSERT_EQ(0, cosi_write_atomic(self->file, "y\n", 2, 0644));
	s = slurp(self->file);
	ASSERT_NE(NULL, s);
	EXPECT_STREQ("y\n", s);
	free(s);
}

/* A failed rename leaves the target as it was and no temporary behind. */
TEST_F(dir, failure_keeps_target_and_cleans_up)
{
	char sub[128], inner[192];

	snprintf(sub, sizeof(sub), "%s/sub", self->path);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, mkdir(self->file, 0755));	/* a non-empty directory */
	snprintf(inner, sizeof(inner), "%s/keep", self->file);
	ASSERT_EQ(0, mkdir(inner, 0755));
	EXPECT_GT(0, cosi_write_atomic(self->file, "z\n", 2, 0644));
	EXPECT_EQ(1, entries(sub));
	EXPECT_EQ(1, entries(self->file));
}

TEST_HARNESS_MAIN
