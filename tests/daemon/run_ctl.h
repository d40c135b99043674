/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host tests that run the cosictl binary built next to them (OUT/cosictl
 * beside OUT/tests/): cosictl_host and etcd_host.
 */
#ifndef _TESTS_DAEMON_RUN_CTL_H
#define _TESTS_DAEMON_RUN_CTL_H

#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The cosictl built next to this test (OUT/cosictl beside OUT/tests/) in
 * @exe, and argv: it, then the NULL-ended arguments of @ap (at most 14).
 * 0, or -1.
 */
static inline int ctl_argv(char exe[PATH_MAX], char *argv[16], va_list ap)
{
	char *slash;
	ssize_t n;
	int i = 1;

	n = readlink("/proc/self/exe", exe, PATH_MAX - 16);
	if (n < 0)
		return -1;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	*slash = 0;
	slash = strrchr(exe, '/');
	strcpy(slash, "/cosictl");
	argv[0] = exe;
	while (i < 15 && (argv[i] = va_arg(ap, char *)))
		i++;
	argv[i] = NULL;
	return 0;
}

/*
 * Run the cosictl built next to this test with the NULL-ended arguments
 * (at most 14); stdout and stderr kept (up to a pipe's size each, read
 * after it exits).  Its exit status, or -1.
 */
static int run_ctl(char *out, size_t outlen, char *err, size_t errlen, ...)
{
	char exe[PATH_MAX], *argv[16];
	int po[2], pe[2], status, rc;
	ssize_t n;
	va_list ap;
	pid_t pid;

	va_start(ap, errlen);
	rc = ctl_argv(exe, argv, ap);
	va_end(ap);
	if (rc)
		return -1;
	if (pipe(po) || pipe(pe))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		execv(exe, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	waitpid(pid, &status, 0);
	n = read(po[0], out, outlen - 1);
	out[n > 0 ? n : 0] = 0;
	n = read(pe[0], err, errlen - 1);
	err[n > 0 ? n : 0] = 0;
	close(po[0]);
	close(pe[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Start the same cosictl in the background, its stdout and stderr to
 * the files @out and @err, with the NULL-ended arguments (at most 14):
 * for a test that acts while it runs.  The pid, or -1.
 */
static inline pid_t spawn_ctl(const char *out, const char *err, ...)
{
	char exe[PATH_MAX], *argv[16];
	va_list ap;
	pid_t pid;
	int rc;

	va_start(ap, err);
	rc = ctl_argv(exe, argv, ap);
	va_end(ap);
	if (rc)
		return -1;
	pid = fork();
	if (!pid) {
		if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr))
			_exit(126);
		execv(exe, argv);
		_exit(127);
	}
	return pid;
}

#endif /* _TESTS_DAEMON_RUN_CTL_H */
