/* What the daemon tests that run memhook in a child share (test_daemon.c, test_monitor_report.c,
 * node_env.h): fixture files written and copied, a free loopback port, a GET of the child's server,
 * its log waited on, and the child killed when a test fails. Run from tests/unit. */
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "base/util.h"

static inline void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static inline void copy_tree(const char *from, const char *to)
{
	assert_int_equal(mkdir(to, 0700), 0);
	DIR *d = opendir(from);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_REG)
			continue;
		char src[512], buf[8192];
		snprintf(src, sizeof(src), "%s/%s", from, e->d_name);
		FILE *in = fopen(src, "re");
		assert_non_null(in);
		size_t n = fread(buf, 1, sizeof(buf) - 1, in);
		fclose(in);
		buf[n] = '\0';
		write_file(to, e->d_name, buf);
	}
	closedir(d);
}

/* A port free on loopback a moment ago. */
static inline unsigned short free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* GET path from the child's server; the whole answer (malloc'd), or NULL when nobody listens. */
static inline char *get(unsigned short port, const char *path)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return NULL;
	}
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char req[128];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	assert_int_equal(write(fd, req, (size_t)n), n);
	size_t size = 65536, len = 0;
	char *buf = malloc(size);
	assert_non_null(buf);
	ssize_t r;
	while (len < size - 1 && (r = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)r;
	buf[len] = '\0';
	close(fd);
	return buf;
}

/* The child's log so far. */
static inline char *log_of(const char *path)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Waits up to 5 s for needle in the child's log. */
static inline void wait_log(const char *path, const char *needle)
{
	for (int i = 0; i < 500; i++) {
		_cleanup_free_ char *text = log_of(path);
		if (strstr(text, needle))
			return;
		usleep(10 * 1000);
	}
	_cleanup_free_ char *text = log_of(path);
	fail_msg("no \"%s\" in the log:\n%s", needle, text);
}

/* The child a test runs; one left running by a failed test is killed and reaped. */
_unused_ static pid_t child = -1;

static inline int kill_child(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	return 0;
}
