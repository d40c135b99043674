// SPDX-License-Identifier: GPL-2.0
/*
 * ustore_test: the baseline store of the peer benchmarks answers what it
 * is asked (runs on the host, no module needed):
 *
 *   ustore_test [PATH-OF-ustore_server]   (default: next to ustore_test)
 *
 * Starts the server on a socket in a fresh directory and checks get,
 * create, update, delete, versions, pipelining, list and watch through
 * the client library.  Prints "ok N - what" lines and a "# Totals:" line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ustore.h"

static int n, failed;

#define CHECK(cond, what) do {						\
	n++;								\
	if (cond) {							\
		printf("ok %d - %s\n", n, what);			\
	} else {							\
		failed++;						\
		printf("not ok %d - %s (%s:%d)\n", n, what, __FILE__,	\
		       __LINE__);					\
	}								\
} while (0)

static struct ustore_op wr(uint8_t op, const char *id, const char *val,
			   uint64_t expected)
{
	return (struct ustore_op){ .op = op, .ns = "ns", .type = "T",
				   .id = id, .val = val,
				   .val_len = val ? strlen(val) : 0,
				   .expected = expected };
}

static void count_item(struct ustore_res *r, void *arg)
{
	if (!strncmp(r->id, "p", 1) && r->version == 1)
		(*(int *)arg)++;
	free(r);
}

static struct ustore *connect_retry(const char *path)
{
	struct ustore *u = NULL;
	int i;

	for (i = 0; i < 500 && !u; i++) {
		u = ustore_connect(path);
		if (!u)
			usleep(10000);
	}
	return u;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/ustore_test.XXXXXX", path[64], id[16], *server;
	struct ustore_op op, ops[1000];
	struct ustore *u, *w;
	struct ustore_res *r, *ev;
	uint64_t cnt = 0, rev0 = 0;
	uint32_t wid = 0;
	int i, items = 0, st;
	pid_t pid;

	if (argc > 2) {
		fprintf(stderr, "usage: ustore_test [PATH-OF-ustore_server]\n");
		return 2;
	}
	if (argc == 2)
		server = argv[1];
	else if (asprintf(&server, "%.*sustore_server",
			  (int)(strrchr(argv[0], '/') ?
				strrchr(argv[0], '/') + 1 - argv[0] : 0),
			  argv[0]) < 0)
		return 1;
	if (!mkdtemp(dir)) {
		perror("ustore_test: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/sock", dir);
	pid = fork();
	if (pid == 0) {
		/* Dies with the test, even when a sanitizer aborts it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(server, server, path, (char *)NULL);
		perror(server);
		_exit(127);
	}
	u = connect_retry(path);
	w = connect_retry(path);
	if (!u || !w) {
		fprintf(stderr, "ustore_test: cannot connect to %s\n", path);
		kill(pid, SIGKILL);
		return 1;
	}

	CHECK(ustore_get(u, "ns", "T", "a", &r) == -ENOENT && !r,
	      "get of an absent id: ENOENT");
	CHECK(!ustore_watch(w, "ns", "T", "", &wid, &rev0),
	      "watch the type");
	op = wr(US_CREATE, "a", "one", 0);
	CHECK(!ustore_write(u, &op) && op.version == 1, "create: version 1");
	op = wr(US_CREATE, "a", "again", 0);
	CHECK(ustore_write(u, &op) == -EEXIST, "create twice: EEXIST");
	CHECK(!ustore_get(u, "ns", "T", "a", &r) && r->version == 1 &&
	      r->val_len == 3 && !strcmp(r->val, "one") &&
	      !strcmp(r->ns, "ns") && !strcmp(r->type, "T") &&
	      !strcmp(r->id, "a") && r->revision == rev0 + 1,
	      "get returns key, value, version and revision");
	free(r);
	CHECK(ustore_get(u, "ns", "U", "a", &r) == -ENOENT,
	      "the type is part of the key");
	op = wr(US_UPDATE, "a", "two", 1);
	CHECK(!ustore_write(u, &op) && op.version == 2,
	      "update at the expected version: version 2");
	op = wr(US_UPDATE, "a", "three", 1);
	CHECK(ustore_write(u, &op) == -ESTALE,
	      "update at a stale version: ESTALE");
	op = wr(US_UPDATE, "b", "x", 0);
	CHECK(ustore_write(u, &op) == -ENOENT, "update of an absent id: ENOENT");

	CHECK(!ustore_event(w, 5000, &ev) && ev->kind == US_CREATED &&
	      !strcmp(ev->id, "a") && !strcmp(ev->val, "one") &&
	      ev->watch_id == wid && ev->revision == rev0 + 1,
	      "watch: created event with the value");
	free(ev);
	CHECK(!ustore_event(w, 5000, &ev) && ev->kind == US_UPDATED &&
	      !strcmp(ev->val, "two") && ev->version == 2 &&
	      ev->revision == rev0 + 2, "watch: updated event");
	free(ev);
	CHECK(ustore_event(w, 100, &ev) == -ETIMEDOUT,
	      "watch: refused writes make no event");

	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "p%04d", i);
		ops[i] = wr(US_CREATE, strdup(id), "v", 0);
	}
	CHECK(!ustore_pipeline(u, ops, 1000), "1000 pipelined creates");
	for (i = 0, st = 0; i < 1000; i++)
		st |= ops[i].status || ops[i].version != 1;
	CHECK(!st, "... each answered in order with version 1");
	CHECK(!ustore_list(u, "ns", "T", "p", count_item, &items, &cnt) &&
	      cnt == 1000 && items == 1000, "list by id prefix: 1000 items");
	CHECK(!ustore_list(u, "ns", "T", "", NULL, NULL, &cnt) && cnt == 1001,
	      "list of the type: 1001 items");
	for (i = 0, st = 0; i < 1000; i++) {
		if (ustore_event(w, 5000, &ev) || ev->kind != US_CREATED ||
		    strcmp(ev->id, (const char *)ops[i].id))
			st = 1;
		free(ev);
	}
	CHECK(!st, "watch: 1000 created events in order");

	op = wr(US_DELETE, "a", NULL, 1);
	CHECK(ustore_write(u, &op) == -ESTALE, "delete at a stale version");
	op = wr(US_DELETE, "a", NULL, 2);
	CHECK(!ustore_write(u, &op), "delete at the current version");
	CHECK(ustore_get(u, "ns", "T", "a", &r) == -ENOENT, "... and it is gone");
	CHECK(!ustore_list(u, "ns", "T", "", NULL, NULL, &cnt) && cnt == 1000,
	      "... and not listed");
	CHECK(!ustore_event(w, 5000, &ev) && ev->kind == US_DESTROYED &&
	      !strcmp(ev->id, "a"), "watch: destroyed event");
	free(ev);
	CHECK(!ustore_unwatch(w, wid), "unwatch");
	op = wr(US_CREATE, "a", "back", 0);
	CHECK(!ustore_write(u, &op) && op.version == 1,
	      "create after delete starts at version 1");
	CHECK(ustore_event(w, 200, &ev) == -ETIMEDOUT,
	      "no event after unwatch");
	CHECK(!ustore_watch(w, "ns", "T", "a", &wid, NULL),
	      "watch one id");
	op = wr(US_UPDATE, "p0001", "x", 0);
	ustore_write(u, &op);
	op = wr(US_UPDATE, "a", "x", 0);
	ustore_write(u, &op);
	CHECK(!ustore_event(w, 5000, &ev) && !strcmp(ev->id, "a") &&
	      ev->kind == US_UPDATED, "a watch of one id sees only it");
	free(ev);

	for (i = 0; i < 1000; i++)
		free((char *)ops[i].id);
	ustore_close(u);
	ustore_close(w);
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
	unlink(path);
	rmdir(dir);
	if (argc != 2)
		free(server);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       n - failed, failed);
	return failed ? 1 : 0;
}
