/* memhook node's tests (test_node.c, test_node_http.c): a kubelet-like tree of fixture cgroups
 * (copies of tests/fixtures/v2) under a fresh root, memhook node run in a child on it with --listen
 * on loopback, and its log and answers read from outside. Run from tests/unit. */
#pragma once

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/daemon.h"
#include "daemon/node.h"

#define FIX   "../fixtures"
#define CID_A "a100000000000000000000000000000000000000000000000000000000000001"
#define CID_B "b200000000000000000000000000000000000000000000000000000000000002"
#define CID_C "c300000000000000000000000000000000000000000000000000000000000003"
#define POD_A "kubepods/burstable/pod1111-2222"
#define POD_B "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod3333_4444.slice"

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void copy_tree(const char *from, const char *to)
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
static unsigned short free_port(void)
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
static char *get(unsigned short port, const char *path)
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
static char *log_of(const char *path)
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
static void wait_log(const char *path, const char *needle)
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

static pid_t child = -1;

/* A child left running by a failed test is killed and reaped. */
static int kill_child(void **state)
{
	(void)state;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	return 0;
}

/* A container's fixture cgroup: the parents made, a copy of the v2 fixture. */
static void make_container(const char *root, const char *rel)
{
	char cmd[1100], dir[1024];
	snprintf(dir, sizeof(dir), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", dir);
	assert_int_equal(system(cmd), 0);
	copy_tree(FIX "/v2", dir);
}

struct node_run {
	char root[64], cgroot[96], logfile[96], listen[32];
	unsigned short port;
};

/* A fresh root with a container in POD_A (CID_A) and one in POD_B (CID_B); memhook node on it in a
 * child, listening, its log in logfile. Returns when it listens. */
static void node_start(struct node_run *n, const char *policy_path)
{
	snprintf(n->root, sizeof(n->root), "/tmp/memhook-node-XXXXXX");
	assert_non_null(mkdtemp(n->root));
	snprintf(n->cgroot, sizeof(n->cgroot), "%s/cg", n->root);
	snprintf(n->logfile, sizeof(n->logfile), "%s/log", n->root);
	assert_int_equal(mkdir(n->cgroot, 0700), 0);
	make_container(n->cgroot, POD_A "/" CID_A);
	make_container(n->cgroot, POD_B "/cri-containerd-" CID_B ".scope");
	n->port = free_port();
	snprintf(n->listen, sizeof(n->listen), "127.0.0.1:%u", n->port);
	int logfd = open(n->logfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(logfd >= 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		if (dup2(logfd, STDERR_FILENO) < 0)
			_exit(100);
		log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
		if (daemon_block_signals() < 0)
			_exit(101);
		struct node_config cfg = {
			.cgroup_root = n->cgroot,
			.policy_path = policy_path,
			.listen = n->listen,
			.proc_root = FIX "/proc",
			.grace_usec = 100 * USEC_PER_MSEC,
			.instance = "0123456789abcdef",
			.hostname = "node-7",
		};
		_exit(node_run(&cfg) == 0 ? 0 : 102);
	}
	close(logfd);
	wait_log(n->logfile, "listening on http://");
	wait_log(n->logfile, "watching 2 container(s)");
}

/* SIGTERM; the child's exit status. */
static int node_stop(struct node_run *n)
{
	assert_int_equal(kill(child, SIGTERM), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	child = -1;
	assert_true(WIFEXITED(status));
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", n->root);
	assert_int_equal(system(cmd), 0);
	return WEXITSTATUS(status);
}

/* Waits up to 5 s until GET path's answer holds needle (want) or does not (!want). */
static inline void wait_get(unsigned short port, const char *path, const char *needle, bool want)
{
	for (int i = 0; i < 500; i++) {
		_cleanup_free_ char *a = get(port, path);
		if (a && (strstr(a, needle) != NULL) == want)
			return;
		usleep(10 * 1000);
	}
	_cleanup_free_ char *a = get(port, path);
	fail_msg("GET %s: %s \"%s\":\n%s", path, want ? "no" : "still", needle, a ? a : "(nothing)");
}
