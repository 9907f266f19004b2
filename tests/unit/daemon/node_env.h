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

#include "child_env.h"
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
