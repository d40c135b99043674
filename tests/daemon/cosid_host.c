// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side unit tests of cosid's file handling: atomic replacement with
 * unique temporary names (daemon/common/fileio.c) and the reading and
 * checking of a --config-dir directory (daemon/cosid/configdir.c), the
 * fleet's key ranks and the publish set's coalescing and txn batching
 * (daemon/cosid/pubset.c, publish.c's documents), the fleet's document
 * limits and TLS options (daemon/common/fleet_check.c).  No kernel needed; run
 * under ASan/UBSan (make SAN=1).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "common/apply.h"
#include "common/fileio.h"
#include "common/fleet_check.h"
#include "common/fleet_name.h"
#include "common/manifest.h"
#include "common/secret.h"
#include "cosid/cosid.h"

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

/* The config directory: the types as cosid defines them (their part). */
static const char cd_defs[] =
"type: SysctlConfigs.cosi.dev\n"
"aliases: [sysctl]\n"
"default-namespace: config\n"
"fields:\n"
"  - {name: value, type: string, required: true}\n"
"---\n"
"type: HostsEntries.cosi.dev\n"
"aliases: [hostsentry]\n"
"default-namespace: config\n"
"fields:\n"
"  - {name: address, type: string, required: true}\n"
"  - {name: names, type: string-list}\n"
"---\n"
"type: LinkStatuses.cosi.dev\n"
"aliases: [links]\n"
"default-namespace: network\n"
"fields:\n"
"  - {name: mtu, type: u64}\n";

static void put(const char *dir, const char *name, const char *text,
		mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

static const struct cosid_cd_file *cd_file(const struct cosid_cd_files *fs,
					   const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].name, name))
			return &fs->v[i];
	return NULL;
}

/* How many lines of @log hold @what. */
static int log_lines(const char *log, const char *what)
{
	const char *p;
	int n = 0;

	for (p = log; (p = strstr(p, what)); p++)
		n++;
	return n;
}

TEST_F(dir, config_dir_load)
{
	struct cosi_definitions defs;
	const struct cosid_cd_file *f;
	struct cosid_cd_files fs;
	char msg[512], logpath[160], *log;
	int saved, fd;

	ASSERT_EQ(0, cosi_manifest_parse_definitions(cd_defs, strlen(cd_defs),
						     "defs", &defs, msg,
						     sizeof(msg)))
		TH_LOG("%s", msg);
	put(self->path, "10-a.yaml",
	    "metadata: {type: sysctl, id: net.x, labels: {mine: y}}\n"
	    "spec: {value: \"1\"}\n---\n"
	    "metadata: {type: hostsentry, id: h1}\n"
	    "spec: {address: 10.0.0.1}\n", 0644);
	put(self->path, "20-dup.yaml",
	    "metadata: {type: sysctl, id: net.y}\nspec: {value: \"2\"}\n---\n"
	    "metadata: {type: sysctl, id: net.x}\nspec: {value: \"3\"}\n",
	    0644);
	put(self->path, "30-status.yaml",
	    "metadata: {type: links, id: lo}\nspec: {mtu: 1}\n", 0644);
	put(self->path, "40-ns.yaml",
	    "metadata: {type: sysctl, id: net.z, namespace: other}\n"
	    "spec: {value: \"1\"}\n", 0644);
	put(self->path, "50-label.yaml",
	    "metadata: {type: sysctl, id: net.w, labels: {cosi.dev/source: x}}\n"
	    "spec: {value: \"1\"}\n", 0644);
	put(self->path, "60-perm.yaml",
	    "metadata: {type: sysctl, id: net.v}\nspec: {value: \"1\"}\n",
	    0666);
	put(self->path, "70-schema.yaml",
	    "metadata: {type: hostsentry, id: h3}\nspec: {address: [a]}\n",
	    0644);
	put(self->path, "80-ok.yaml",
	    "metadata: {type: hostsentry, id: h2}\nspec: {address: 10.0.0.2}\n",
	    0644);
	put(self->path, "90-empty.yaml", "", 0644);
	put(self->path, "95-comment.yaml", "# only a comment\n---\n", 0644);
	snprintf(msg, sizeof(msg), "%s/80-ok.yaml", self->path);
	snprintf(logpath, sizeof(logpath), "%s/99-link.yaml", self->path);
	ASSERT_EQ(0, symlink(msg, logpath));
	put(self->path, ".hidden.yaml", "not: [valid\n", 0644);
	put(self->path, "notes.txt", "not: [valid\n", 0644);

	/* The one-line reports go to stderr: catch them. */
	snprintf(logpath, sizeof(logpath), "%s/log", self->path);
	fflush(stderr);
	saved = dup(2);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, fd);
	dup2(fd, 2);
	close(fd);
	ASSERT_EQ(0, cosid_config_dir_load(self->path, "config", &defs, &fs));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log = slurp(logpath);
	ASSERT_NE(NULL, log);

	EXPECT_EQ(11, fs.n);		/* no hidden file, no *.txt */
	f = cd_file(&fs, "10-a.yaml");
	ASSERT_NE(NULL, f);
	EXPECT_FALSE(f->bad);
	ASSERT_EQ(2, f->docs.n);
	EXPECT_STREQ("config-dir",
		     cosi_kvs_get(&f->docs.v[0].labels, "cosi.dev/source"));
	EXPECT_STREQ("y", cosi_kvs_get(&f->docs.v[0].labels, "mine"));
	EXPECT_STREQ("10-a.yaml", cosi_kvs_get(&f->docs.v[1].annotations,
					       "cosi.dev/config-file"));
	f = cd_file(&fs, "80-ok.yaml");
	ASSERT_NE(NULL, f);
	EXPECT_FALSE(f->bad);
	EXPECT_EQ(1, f->docs.n);
	for (size_t i = 1; i < fs.n; i++) {
		if (i == 7)
			continue;	/* 80-ok.yaml */
		EXPECT_TRUE(fs.v[i].bad) TH_LOG("%s", fs.v[i].name);
		EXPECT_EQ(0, fs.v[i].docs.n);
	}
	/* One line per bad file, naming it and the document. */
	EXPECT_EQ(9, log_lines(log, "\n"));
	EXPECT_EQ(9, log_lines(log, "the file is skipped, its resources kept"));
	EXPECT_EQ(1, log_lines(log, "20-dup.yaml: document 2 (SysctlConfigs.cosi.dev/net.x): also in 10-a.yaml;"));
	EXPECT_EQ(1, log_lines(log, "30-status.yaml: document 1 (LinkStatuses.cosi.dev/lo): not a config type"));
	EXPECT_EQ(1, log_lines(log, "40-ns.yaml: document 1 (SysctlConfigs.cosi.dev/net.z): namespace other:"));
	EXPECT_EQ(1, log_lines(log, "50-label.yaml: document 1 (SysctlConfigs.cosi.dev/net.w): cosi.dev/source and cosi.dev/config-file are set by cosid"));
	EXPECT_EQ(1, log_lines(log, "60-perm.yaml: writable by group or others (mode 0666)"));
	/* A truncated file (a writer between O_TRUNC and write) is no file. */
	EXPECT_EQ(1, log_lines(log, "90-empty.yaml: no documents"));
	EXPECT_EQ(1, log_lines(log, "95-comment.yaml: no documents"));
	/* What is checked is what is read: not a symlink's target. */
	EXPECT_EQ(1, log_lines(log, "99-link.yaml: a symbolic link, not a regular file"));
	EXPECT_EQ(1, log_lines(log, "70-schema.yaml: document 1 (HostsEntries.cosi.dev/h3): spec.address: expected string"));
	free(log);
	cosid_cd_files_clear(&fs);
	cosi_definitions_clear(&defs);
}

/* A directory that cannot be listed is an error: nothing to act on. */
TEST_F(dir, config_dir_missing)
{
	struct cosi_definitions defs = { 0 };
	struct cosid_cd_files fs;
	char none[160];

	snprintf(none, sizeof(none), "%s/none", self->path);
	EXPECT_EQ(-ENOENT, cosid_config_dir_load(none, "config", &defs, &fs));
	EXPECT_EQ(0, fs.n);
}

/* Fleet keys: which are this node's, and their rank. */
/* put FILE with @len bytes of @data, mode @mode; then cosi_secret_read. */
static int secret_of(const char *dir, const char *data, size_t len,
		     mode_t mode, char **out, char *msg, size_t msglen)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/pw", dir);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode))
		return -999;
	close(fd);
	return cosi_secret_read("--etcd-password-file", path, out, msg,
				msglen);
}

/* A secret read makes the process undumpable; a refused one does not. */
TEST_F(dir, secret_undumpable)
{
	char msg[256], *pw;

	ASSERT_EQ(1, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	EXPECT_EQ(-EPERM, secret_of(self->path, "x\n", 2, 0640, &pw, msg,
				    sizeof(msg)));
	EXPECT_EQ(1, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	ASSERT_EQ(0, secret_of(self->path, "s3cret\n", 7, 0600, &pw, msg,
			       sizeof(msg)));
	cosi_secret_free(pw);
	EXPECT_EQ(0, prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

TEST_F(dir, secret_file)
{
	char msg[256], *pw, big[COSI_SECRET_MAX + 2];

	ASSERT_EQ(0, secret_of(self->path, "s3cret\n", 7, 0600, &pw, msg,
			       sizeof(msg)));
	EXPECT_STREQ("s3cret", pw);
	cosi_secret_free(pw);
	ASSERT_EQ(0, secret_of(self->path, "s3cret\r\n", 8, 0400, &pw, msg,
			       sizeof(msg)));
	EXPECT_STREQ("s3cret", pw);
	cosi_secret_free(pw);
	ASSERT_EQ(0, secret_of(self->path, "no newline", 10, 0600, &pw, msg,
			       sizeof(msg)));
	EXPECT_STREQ("no newline", pw);
	cosi_secret_free(pw);

	/* Others may read it: refused, and the message says what to do. */
	EXPECT_EQ(-EPERM, secret_of(self->path, "x\n", 2, 0640, &pw, msg,
				    sizeof(msg)));
	EXPECT_EQ(NULL, pw);
	EXPECT_NE(NULL, strstr(msg, "chmod 600")) TH_LOG("%s", msg);
	EXPECT_NE(NULL, strstr(msg, "--etcd-password-file"));
	EXPECT_EQ(-EPERM, secret_of(self->path, "x\n", 2, 0604, &pw, msg,
				    sizeof(msg)));
	EXPECT_EQ(-EINVAL, secret_of(self->path, "\n", 1, 0600, &pw, msg,
				     sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "empty"));
	EXPECT_EQ(-EINVAL, secret_of(self->path, "a\nb\n", 4, 0600, &pw, msg,
				     sizeof(msg)));
	EXPECT_EQ(-EINVAL, secret_of(self->path, "a\0b", 3, 0600, &pw, msg,
				     sizeof(msg)));
	memset(big, 'x', sizeof(big));
	EXPECT_EQ(0, secret_of(self->path, big, COSI_SECRET_MAX, 0600, &pw,
			       msg, sizeof(msg)));
	EXPECT_EQ(COSI_SECRET_MAX, (int)strlen(pw));
	cosi_secret_free(pw);
	EXPECT_EQ(-E2BIG, secret_of(self->path, big, COSI_SECRET_MAX + 1, 0600,
				    &pw, msg, sizeof(msg)));
	EXPECT_EQ(-E2BIG, secret_of(self->path, big, sizeof(big), 0600, &pw,
				    msg, sizeof(msg)));
	EXPECT_EQ(-ENOENT, cosi_secret_read("--etcd-password-file",
					    "/nonexistent/pw", &pw, msg,
					    sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "/nonexistent/pw"));
	EXPECT_EQ(-EINVAL, cosi_secret_read("--etcd-password-file",
					    self->path, &pw, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "not a regular file"));
	/* A lone "\r" is not a line end: refused, not stripped. */
	EXPECT_EQ(-EINVAL, secret_of(self->path, "op\r", 3, 0600, &pw, msg,
				     sizeof(msg)));

	/* A FIFO would block the reader for ever: refused at once. */
	{
		char fifo[160];

		snprintf(fifo, sizeof(fifo), "%s/fifo", self->path);
		ASSERT_EQ(0, mkfifo(fifo, 0600));
		EXPECT_EQ(-EINVAL, cosi_secret_read("--etcd-password-file",
						    fifo, &pw, msg,
						    sizeof(msg)));
		EXPECT_NE(NULL, strstr(msg, "not a regular file"));
	}

	/* Another user's file (root runs the suite): it could change it. */
	if (!geteuid()) {
		char path[160];

		ASSERT_EQ(0, secret_of(self->path, "x\n", 2, 0600, &pw, msg,
				       sizeof(msg)));
		cosi_secret_free(pw);
		snprintf(path, sizeof(path), "%s/pw", self->path);
		ASSERT_EQ(0, chown(path, 65534, 65534));
		EXPECT_EQ(-EPERM, cosi_secret_read("--etcd-password-file",
						   path, &pw, msg,
						   sizeof(msg)));
		EXPECT_NE(NULL, strstr(msg, "owned by uid 65534"))
			TH_LOG("%s", msg);
	}
	cosi_secret_free(NULL);
}

TEST(fleet_rank)
{
	static const char *const groups[] = { "g1", "g2" };
	const char *pre = "/cosi/c/desired/", *sfx = NULL;

#define RANK(key) cosid_fleet_rank(pre, "n1", groups, 2, key, &sfx)
	EXPECT_EQ(0, RANK("/cosi/c/desired/all/config/SysctlConfigs.cosi.dev/a.b"));
	EXPECT_STREQ("config/SysctlConfigs.cosi.dev/a.b", sfx);
	/* The first group given wins over the later one; the node over both. */
	EXPECT_EQ(2, RANK("/cosi/c/desired/groups/g1/config/T/x"));
	EXPECT_EQ(1, RANK("/cosi/c/desired/groups/g2/config/T/x"));
	EXPECT_EQ(3, RANK("/cosi/c/desired/nodes/n1/config/T/x/y"));
	EXPECT_STREQ("config/T/x/y", sfx);
	/* Not ours: another node, group, cluster; a prefix of a name. */
	EXPECT_EQ(-1, RANK("/cosi/c/desired/nodes/n10/config/T/x"));
	EXPECT_EQ(-1, RANK("/cosi/c/desired/nodes/n/config/T/x"));
	EXPECT_EQ(-1, RANK("/cosi/c/desired/groups/g3/config/T/x"));
	EXPECT_EQ(-1, RANK("/cosi/c/desired/groups/g/config/T/x"));
	EXPECT_EQ(-1, RANK("/cosi/d/desired/all/config/T/x"));
	EXPECT_EQ(-1, RANK("/cosi/c/desired/allx/config/T/x"));
	EXPECT_EQ(-1, RANK("/cosi/c/desired/all"));
	/* Ours but not <ns>/<type>/<id>: -2 (skipped and counted). */
	EXPECT_EQ(-2, RANK("/cosi/c/desired/all/config/T"));
	EXPECT_EQ(-2, RANK("/cosi/c/desired/all/config/T/"));
	EXPECT_EQ(-2, RANK("/cosi/c/desired/all//T/x"));
	EXPECT_EQ(-2, RANK("/cosi/c/desired/all/config//x"));
	EXPECT_EQ(-2, RANK("/cosi/c/desired/nodes/n1/config"));
	EXPECT_EQ(-2, RANK("/cosi/c/desired/groups/g2/"));
	/* Another group's bad key is none of ours. */
	EXPECT_EQ(-1, RANK("/cosi/c/desired/groups/g3/config/T"));
#undef RANK
}

/*
 * The limits cosid's fleet pull skips a document by and cosictl apply
 * --etcd refuses it by (one check, common/fleet_check.c).
 */
TEST(fleet_doc_check)
{
	struct cosi_doc d = { .id = "net.x" };
	char msg[256], id[300], k[16];
	int i;

	EXPECT_EQ(0, cosi_fleet_doc_check(&d, msg, sizeof(msg)));
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = 0;
	id[255] = 0;
	d.id = id;
	EXPECT_EQ(0, cosi_fleet_doc_check(&d, msg, sizeof(msg))) TH_LOG("%s", msg);
	id[255] = 'x';
	id[256] = 0;
	EXPECT_EQ(-EINVAL, cosi_fleet_doc_check(&d, msg, sizeof(msg)));
	EXPECT_STREQ("an id of 256 characters, over the kernel's 255", msg);
	d.id = "net.x";
	/* 62 and cosid's own (replaced, not counted) fit; 63 do not. */
	for (i = 0; i < 62; i++) {
		snprintf(k, sizeof(k), "l%d", i);
		ASSERT_EQ(0, cosi_kvs_add(&d.labels, k, "v"));
	}
	ASSERT_EQ(0, cosi_kvs_add(&d.labels, COSI_SOURCE_LABEL, "fleet"));
	ASSERT_EQ(0, cosi_kvs_add(&d.labels, COSI_FLEET_SOURCE_LABEL, "all"));
	EXPECT_EQ(0, cosi_fleet_doc_check(&d, msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_EQ(0, cosi_kvs_add(&d.labels, "l62", "v"));
	EXPECT_EQ(-E2BIG, cosi_fleet_doc_check(&d, msg, sizeof(msg)));
	EXPECT_STREQ("63 labels: the fleet adds 2 and a resource holds 64", msg);
	cosi_kvs_clear(&d.labels);
	/* Annotations: cosid adds 1. */
	for (i = 0; i < 63; i++) {
		snprintf(k, sizeof(k), "a%d", i);
		ASSERT_EQ(0, cosi_kvs_add(&d.annotations, k, "v"));
	}
	EXPECT_EQ(0, cosi_fleet_doc_check(&d, msg, sizeof(msg))) TH_LOG("%s", msg);
	ASSERT_EQ(0, cosi_kvs_add(&d.annotations, "a63", "v"));
	EXPECT_EQ(-E2BIG, cosi_fleet_doc_check(&d, msg, sizeof(msg)));
	cosi_kvs_clear(&d.annotations);
}

/* cosid --etcd's TLS options: cosictl --etcd's check (fleet_check.c). */
TEST(fleet_tls_options)
{
	struct cosid_fleet_opts o = {
		.endpoints = "http://127.0.0.1:2379", .node = "n1",
	};

	EXPECT_EQ(0, cosid_fleet_check_endpoints(&o));
	o.ca_file = "/nonexistent";
	EXPECT_EQ(-EINVAL, cosid_fleet_check_endpoints(&o));
	o.ca_file = NULL;
	o.cert_file = "/dev/null";
	EXPECT_EQ(-EINVAL, cosid_fleet_check_endpoints(&o));
	o.endpoints = "http://127.0.0.1:2379,https://127.0.0.1:2380";
	EXPECT_EQ(0, cosid_fleet_check_endpoints(&o));
	o.key_file = "/nonexistent";
	EXPECT_EQ(-EINVAL, cosid_fleet_check_endpoints(&o));
}

/* etcd's revision behind the one applied: a restored snapshot. */
TEST(fleet_rev_back)
{
	EXPECT_FALSE(cosid_fleet_rev_back(0, 5));	/* nothing seen yet */
	EXPECT_FALSE(cosid_fleet_rev_back(10, 10));
	EXPECT_FALSE(cosid_fleet_rev_back(10, 11));
	EXPECT_FALSE(cosid_fleet_rev_back(10, 0));	/* no header */
	EXPECT_TRUE(cosid_fleet_rev_back(10, 9));
	EXPECT_TRUE(cosid_fleet_rev_back(1000, 1));
}

TEST(fleet_effective)
{
	const struct cosid_fleet_entry v[] = {
		{ "config/S/a", 0, false },	/* 0: all */
		{ "config/S/a", 3, false },	/* 1: node wins */
		{ "config/S/a", 2, false },	/* 2: group */
		{ "config/S/b", 0, false },	/* 3: all only */
		{ "config/S/c", 3, true },	/* 4: bad node entry ... */
		{ "config/S/c", 1, false },	/* 5: ... the group's applies */
		{ "config/S/d", 0, true },	/* 6: only bad: nothing */
		{ "config/H/a", 2, false },	/* 7 */
		{ "config/H/a", 1, false },	/* 8 */
	};
	size_t win[9], n;

	n = cosid_fleet_effective(v, 9, win);
	ASSERT_EQ(4, n);
	/* Sorted by suffix. */
	EXPECT_EQ(7, win[0]);
	EXPECT_EQ(1, win[1]);
	EXPECT_EQ(3, win[2]);
	EXPECT_EQ(5, win[3]);
	EXPECT_EQ(0, cosid_fleet_effective(v, 0, win));
}

TEST(fleet_names)
{
	char msg[256];

	EXPECT_EQ(0, cosi_fleet_name_check("--node", "n-1.a_b", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_fleet_name_check("--node", "a/b", msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "--node 'a/b'"));
	EXPECT_EQ(-EINVAL, cosi_fleet_name_check("--group", "", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_fleet_name_check("--group", "..", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_fleet_name_check("--group", "a b", msg, sizeof(msg)));
}

TEST(fleet_node_labels)
{
	char msg[512], kv[400];

	EXPECT_EQ(0, cosi_fleet_label_check("rack=r1", msg, sizeof(msg)));
	EXPECT_EQ(0, cosi_fleet_label_check("zone=eu 1", msg, sizeof(msg)));
	EXPECT_EQ(0, cosi_fleet_label_check("k=", msg, sizeof(msg)));
	EXPECT_EQ(0, cosi_fleet_label_check("a=b=c", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_fleet_label_check("rack", msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "KEY=VALUE"));
	EXPECT_EQ(-EINVAL, cosi_fleet_label_check("=v", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_fleet_label_check("a b=v", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_fleet_label_check("a=\tv", msg, sizeof(msg)));
	EXPECT_EQ(-EINVAL, cosi_fleet_label_check("a=\xc3\xa9", msg, sizeof(msg)));
	/* A key of 63 bytes, not 64; a value of 255, not 256. */
	memset(kv, 'k', 64);
	strcpy(kv + 63, "=v");
	EXPECT_EQ(0, cosi_fleet_label_check(kv, msg, sizeof(msg)));
	kv[63] = 'k';
	strcpy(kv + 64, "=v");
	EXPECT_EQ(-EINVAL, cosi_fleet_label_check(kv, msg, sizeof(msg)));
	strcpy(kv, "k=");
	memset(kv + 2, 'v', 256);
	kv[2 + 255] = '\0';
	EXPECT_EQ(0, cosi_fleet_label_check(kv, msg, sizeof(msg)));
	kv[2 + 255] = 'v';
	kv[2 + 256] = '\0';
	EXPECT_EQ(-EINVAL, cosi_fleet_label_check(kv, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "over 255 bytes"));
}

/* Publish: @n batches of at most 128 for @keys dirty keys, all written. */
static size_t pub_drain(struct cosid_pubset *p, size_t *sizes, size_t max)
{
	struct cosid_pub_op ops[COSID_PUB_TXN_OPS];
	struct cosid_pub_skip skip = { 0 };
	size_t n, k = 0;

	while ((n = cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip))) {
		if (k < max)
			sizes[k] = n;
		k++;
		cosid_pubset_done(p, true);
	}
	return k;
}

TEST(pub_batches_of_128)
{
	struct cosid_pubset *p = cosid_pubset_new();
	struct cosid_pub_op ops[COSID_PUB_TXN_OPS];
	struct cosid_pub_skip skip = { 0 };
	size_t sizes[8], i;
	char key[64];

	ASSERT_NE(NULL, p);
	for (i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "/cosi/c/status/n/runtime/T/%zu", i);
		ASSERT_EQ(0, cosid_pubset_local(p, key, "{\"v\":1}", "{}"));
		/* Coalesced: the latest of each key only. */
		ASSERT_EQ(0, cosid_pubset_local(p, key, "{\"v\":2}", "{2}"));
	}
	EXPECT_EQ(300, cosid_pubset_pending(p));
	/* One batch at a time: none while one is in flight. */
	EXPECT_EQ(128, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	for (i = 0; i < 128; i++)
		EXPECT_STREQ("{\"v\":2}", ops[i].doc);
	EXPECT_EQ(0, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	cosid_pubset_done(p, true);
	EXPECT_EQ(172, cosid_pubset_pending(p));
	ASSERT_EQ(2, pub_drain(p, sizes, 8));
	EXPECT_EQ(128, sizes[0]);
	EXPECT_EQ(44, sizes[1]);
	EXPECT_EQ(0, cosid_pubset_pending(p));
	EXPECT_EQ(0, skip.n);
	/* Unchanged (in the compare form): nothing to write. */
	ASSERT_EQ(0, cosid_pubset_local(p, "/cosi/c/status/n/runtime/T/7",
					"{\"v\":2,\"version\":9}", "{2}"));
	EXPECT_EQ(0, cosid_pubset_pending(p));
	cosid_pubset_free(p);
}

TEST(pub_only_changes_and_stale_keys)
{
	struct cosid_pubset *p = cosid_pubset_new();
	struct cosid_pub_op ops[COSID_PUB_TXN_OPS];
	struct cosid_pub_skip skip = { 0 };
	size_t sizes[4];

	ASSERT_NE(NULL, p);
	/* A restart: etcd holds a, b (stale) and c; the node a and c'. */
	cosid_pubset_reset(p);
	ASSERT_EQ(0, cosid_pubset_remote(p, "a", "A"));
	ASSERT_EQ(0, cosid_pubset_remote(p, "b", "B"));
	ASSERT_EQ(0, cosid_pubset_remote(p, "c", "C"));
	ASSERT_EQ(0, cosid_pubset_local(p, "a", "docA", "A"));
	ASSERT_EQ(0, cosid_pubset_local(p, "c", "docC2", "C2"));
	EXPECT_EQ(2, cosid_pubset_pending(p));
	ASSERT_EQ(2, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	if (!strcmp(ops[0].key, "c")) {
		struct cosid_pub_op t = ops[0];

		ops[0] = ops[1];
		ops[1] = t;
	}
	EXPECT_STREQ("b", ops[0].key);
	EXPECT_EQ(NULL, ops[0].doc);		/* stale: deleted */
	EXPECT_STREQ("c", ops[1].key);
	EXPECT_STREQ("docC2", ops[1].doc);
	/* Changed while in flight: written again after. */
	ASSERT_EQ(0, cosid_pubset_local(p, "c", "docC3", "C3"));
	/* Gone while its put is in flight: deleted after. */
	ASSERT_EQ(0, cosid_pubset_local(p, "d", "docD", "D"));
	cosid_pubset_done(p, true);
	ASSERT_EQ(2, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	cosid_pubset_gone(p, "d");
	cosid_pubset_done(p, true);
	ASSERT_EQ(1, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	EXPECT_STREQ("d", ops[0].key);
	EXPECT_EQ(NULL, ops[0].doc);
	cosid_pubset_done(p, true);
	EXPECT_EQ(0, cosid_pubset_pending(p));
	/* Changed back to what etcd holds: nothing pending. */
	ASSERT_EQ(0, cosid_pubset_local(p, "a", "docA4", "A4"));
	ASSERT_EQ(0, cosid_pubset_local(p, "a", "docA", "A"));
	EXPECT_EQ(0, cosid_pubset_pending(p));
	/* Created and gone before written: no write at all. */
	ASSERT_EQ(0, cosid_pubset_local(p, "e", "docE", "E"));
	cosid_pubset_gone(p, "e");
	EXPECT_EQ(0, cosid_pubset_pending(p));
	/* A failed txn leaves its writes pending. */
	ASSERT_EQ(0, cosid_pubset_local(p, "a", "docA5", "A5"));
	ASSERT_EQ(1, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	cosid_pubset_done(p, false);
	EXPECT_EQ(1, cosid_pubset_pending(p));
	EXPECT_EQ(1, pub_drain(p, sizes, 4));
	EXPECT_EQ(0, skip.n);
	cosid_pubset_free(p);
}

TEST(pub_bytes_and_too_big)
{
	struct cosid_pubset *p = cosid_pubset_new();
	struct cosid_pub_op ops[COSID_PUB_TXN_OPS];
	struct cosid_pub_skip skip = { 0 };
	size_t big = 600 * 1024, sizes[4];
	char *doc = malloc(COSID_PUB_DOC_MAX + 2);

	ASSERT_NE(NULL, p);
	ASSERT_NE(NULL, doc);
	memset(doc, 'x', big);
	doc[big] = '\0';
	ASSERT_EQ(0, cosid_pubset_local(p, "a", doc, "A"));
	ASSERT_EQ(0, cosid_pubset_local(p, "b", doc, "B"));
	ASSERT_EQ(0, cosid_pubset_local(p, "c", "small", "C"));
	/* Two 600 KiB documents never share a txn. */
	EXPECT_EQ(2, pub_drain(p, sizes, 4));
	EXPECT_EQ(2, sizes[0] + sizes[1] - 1);
	/* Over etcd's limit: skipped, named, the old value deleted. */
	memset(doc, 'x', COSID_PUB_DOC_MAX + 1);
	doc[COSID_PUB_DOC_MAX + 1] = '\0';
	ASSERT_EQ(0, cosid_pubset_local(p, "a", doc, "A2"));
	ASSERT_EQ(1, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	EXPECT_EQ(1, skip.n);
	EXPECT_STREQ("a", skip.key);
	EXPECT_STREQ("a", ops[0].key);
	EXPECT_EQ(NULL, ops[0].doc);
	cosid_pubset_done(p, true);
	EXPECT_EQ(0, cosid_pubset_pending(p));
	free(doc);
	cosid_pubset_free(p);
}

/* The published document and its compare form, read back from etcd. */
TEST(pub_compare_form)
{
	struct cosi_resource r = {
		.ns = "runtime", .type = "SysctlStatuses.cosi.dev",
		.id = "net.ipv4.ip_forward", .owner = "sysctl",
		.version = 3, .created = 1, .updated = 2, .revision = 40,
		.has_spec = true,
	};
	char *doc, *cmp, *doc2, *cmp2, *back;

	ASSERT_EQ(0, cosi_spec_add_string(&r.spec, "value", "1"));
	ASSERT_EQ(0, cosid_pub_render(&r, &doc, &cmp));
	back = cosid_pub_compare_form(doc, strlen(doc));
	EXPECT_STREQ(cmp, back);
	free(back);
	EXPECT_EQ(NULL, strstr(cmp, "\"version\""));
	EXPECT_NE(NULL, strstr(doc, "\"version\":3"));
	EXPECT_NE(NULL, strstr(doc, "\"value\":\"1\""));
	/* A write that changed nothing else: the same compare form. */
	r.version = 4;
	r.updated = 5000000000ULL;
	r.revision = 41;
	ASSERT_EQ(0, cosid_pub_render(&r, &doc2, &cmp2));
	EXPECT_STRNE(doc, doc2);
	EXPECT_STREQ(cmp, cmp2);
	free(doc2);
	free(cmp2);
	/* A real change: another one. */
	cosi_spec_clear(&r.spec);
	ASSERT_EQ(0, cosi_spec_add_string(&r.spec, "value", "0"));
	ASSERT_EQ(0, cosid_pub_render(&r, &doc2, &cmp2));
	EXPECT_STRNE(cmp, cmp2);
	/* Not JSON: matches nothing. */
	back = cosid_pub_compare_form("{", 1);
	EXPECT_STREQ("", back);
	free(back);
	free(doc);
	free(cmp);
	free(doc2);
	free(cmp2);
	cosi_spec_clear(&r.spec);
}

/* After etcd refused a txn for its size: smaller batches. */
TEST(pub_batch_adapts)
{
	struct cosid_pubset *p = cosid_pubset_new();
	struct cosid_pub_op ops[COSID_PUB_TXN_OPS];
	struct cosid_pub_skip skip = { 0 };
	char key[32];
	int i;

	ASSERT_NE(NULL, p);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ASSERT_EQ(0, cosid_pubset_local(p, key, "{}", "{}"));
	}
	ASSERT_EQ(4, cosid_pubset_batch(p, ops, 4, COSID_PUB_TXN_BYTES, &skip));
	cosid_pubset_done(p, false);	/* refused: all still pending */
	EXPECT_EQ(10, cosid_pubset_pending(p));
	ASSERT_EQ(1, cosid_pubset_batch(p, ops, 1, COSID_PUB_TXN_BYTES, &skip));
	cosid_pubset_done(p, true);
	EXPECT_EQ(9, cosid_pubset_pending(p));
	ASSERT_EQ(9, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	cosid_pubset_done(p, true);
	EXPECT_EQ(0, cosid_pubset_pending(p));
	cosid_pubset_free(p);
	EXPECT_TRUE(cosid_pub_txn_too_big("etcd http://x/v3/kv/txn: etcdserver: too many operations in txn request"));
	EXPECT_TRUE(cosid_pub_txn_too_big("etcdserver: request is too large"));
	EXPECT_FALSE(cosid_pub_txn_too_big("no etcd endpoint reachable"));
}

/* The node's keys and bytes are capped: the rest is refused, never stuck. */
TEST(pub_caps)
{
	struct cosid_pubset *p = cosid_pubset_new();
	struct cosid_pub_op ops[COSID_PUB_TXN_OPS];
	struct cosid_pub_skip skip = { 0 };

	ASSERT_NE(NULL, p);
	cosid_pubset_limit(p, 2, 20);
	ASSERT_EQ(0, cosid_pubset_local(p, "a", "docA", "A"));	/* 5 bytes */
	ASSERT_EQ(0, cosid_pubset_local(p, "b", "docB", "B"));
	EXPECT_EQ(-ENOSPC, cosid_pubset_local(p, "c", "docC", "C"));
	EXPECT_EQ(2, cosid_pubset_pending(p));
	/* An update within the bytes, one over them. */
	ASSERT_EQ(0, cosid_pubset_local(p, "a", "docA-longer", "A2"));
	EXPECT_EQ(-ENOSPC, cosid_pubset_local(p, "b", "docB-much-longer", "B2"));
	cosid_pubset_gone(p, "b");
	ASSERT_EQ(0, cosid_pubset_local(p, "c", "docC", "C"));
	ASSERT_EQ(2, cosid_pubset_batch(p, ops, 0, COSID_PUB_TXN_BYTES, &skip));
	cosid_pubset_done(p, true);
	EXPECT_EQ(0, cosid_pubset_pending(p));
	/* A reset (a sync) frees the room of every key. */
	cosid_pubset_reset(p);
	ASSERT_EQ(0, cosid_pubset_local(p, "d", "docD", "D"));
	ASSERT_EQ(0, cosid_pubset_local(p, "e", "docE", "E"));
	cosid_pubset_free(p);
}

/* --publish refuses sensitive types and the ones that never settle. */
TEST(pub_type_check)
{
	struct cosi_definition *d = cosi_def_new("Secrets.x.dev");
	char msg[256];

	ASSERT_NE(NULL, d);
	EXPECT_EQ(0, cosid_pub_type_check(d, msg, sizeof(msg)));
	d->sensitivity = COSI_SENSITIVITY_SENSITIVE;
	EXPECT_EQ(-EINVAL, cosid_pub_type_check(d, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "sensitive"));
	cosi_definition_free(d);
	d = cosi_def_new("FleetSyncs.cosi.dev");
	ASSERT_NE(NULL, d);
	EXPECT_EQ(-EINVAL, cosid_pub_type_check(d, msg, sizeof(msg)));
	EXPECT_NE(NULL, strstr(msg, "cannot be published"));
	cosi_definition_free(d);
}

TEST_HARNESS_MAIN
