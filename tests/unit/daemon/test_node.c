/* memhook node (lib/daemon/node.c) in a child on a kubelet-like tree of fixture cgroups: the
 * containers found at start and while it runs, each watched and named; the signals (SIGUSR1's
 * list, SIGUSR2's pause, SIGHUP's reload, SIGTERM's clean stop); a root that is not there; the root
 * looked for under /sys/fs/cgroup. */
#include "node_env.h"

#include "capture.h"

static void test_containers_and_signals(void **state)
{
	(void)state;
	struct node_run n;
	char policy[128];
	node_start(&n, NULL);
	wait_log(n.logfile, "container found: pod 1111-2222 (burstable), container " CID_A " (cgroupfs, ");
	wait_log(n.logfile, "container found: pod 3333-4444 (besteffort), container " CID_B " (containerd, ");
	/* each monitor's lines name its container */
	wait_log(n.logfile, "pod 1111-2222 container a10000000000: watching cgroup ");
	wait_log(n.logfile, "pod 3333-4444 container b20000000000: watching cgroup ");

	/* a container made while it runs, in a new pod of a QoS level not there yet */
	make_container(n.cgroot, "kubepods/besteffort/pod5555/" CID_C);
	wait_log(n.logfile, "container found: pod 5555 (besteffort), container " CID_C " (cgroupfs, ");
	assert_int_equal(kill(child, SIGUSR1), 0);
	wait_log(n.logfile, "SIGUSR1: 3 container(s) watched under ");
	wait_log(n.logfile, "  pod 5555 container c30000000000: level ");

	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/kubepods/besteffort/pod5555'", n.cgroot);
	assert_int_equal(system(cmd), 0);
	wait_log(n.logfile, "container gone: pod 5555, container " CID_C);

	assert_int_equal(kill(child, SIGUSR2), 0);
	wait_log(n.logfile, "SIGUSR2: evaluation paused");
	assert_int_equal(kill(child, SIGUSR2), 0);
	wait_log(n.logfile, "SIGUSR2: evaluation resumed");
	assert_int_equal(kill(child, SIGHUP), 0);
	wait_log(n.logfile, "SIGHUP: no policy file (the embedded default runs); nothing to reload");

	assert_int_equal(node_stop(&n), 0);
	(void)policy;
}

static void test_reload(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-node-policy-XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.json", dir);
	write_file(dir, "p.json",
	           "{\"check_interval\": \"50ms\", \"levels\": [{\"name\": \"high\", \"when\": "
	           "{\"local_relative\": 70}}], \"handlers\": []}");
	struct node_run n;
	node_start(&n, path);
	wait_log(n.logfile, "node: cgroup root ");
	wait_log(n.logfile, "policy /tmp/memhook-node-policy-");
	/* a bad policy is refused once for the node; the old one keeps running */
	write_file(dir, "p.json", "{\"levels\": 3}");
	assert_int_equal(kill(child, SIGHUP), 0);
	wait_log(n.logfile, "SIGHUP: new policy rejected, the old one keeps running: ");
	write_file(dir, "p.json",
	           "{\"check_interval\": \"50ms\", \"levels\": [{\"name\": \"higher\", \"when\": "
	           "{\"local_relative\": 80}}], \"handlers\": []}");
	assert_int_equal(kill(child, SIGHUP), 0);
	wait_log(n.logfile, "SIGHUP: reloading ");
	wait_log(n.logfile, "pod 1111-2222 container a10000000000: SIGHUP: policy ");
	assert_int_equal(node_stop(&n), 0);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_bad_root(void **state)
{
	(void)state;
	struct node_config cfg = {
		.cgroup_root = "/nonexistent/memhook",
		.proc_root = FIX "/proc",
		.instance = "0123456789abcdef",
		.hostname = "",
	};
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	assert_int_equal(node_run(&cfg), -ENOENT);
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_non_null(strstr(log, "cgroup root /nonexistent/memhook: "));
}

static void test_find_root(void **state)
{
	(void)state;
	char sys[] = "/tmp/memhook-sysfs-XXXXXX", dir[128], ret[256];
	assert_non_null(mkdtemp(sys));
	assert_int_equal(node_find_cgroup_root(sys, ret, sizeof(ret)), -ENOENT);
	/* cgroup v1: under the memory controller */
	snprintf(dir, sizeof(dir), "%s/memory/kubepods", sys);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(node_find_cgroup_root(sys, ret, sizeof(ret)), 0);
	snprintf(dir, sizeof(dir), "%s/memory", sys);
	assert_string_equal(ret, dir);
	/* cgroup v2: at the mount itself, first */
	snprintf(dir, sizeof(dir), "%s/kubepods.slice", sys);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(node_find_cgroup_root(sys, ret, sizeof(ret)), 0);
	assert_string_equal(ret, sys);
	assert_int_equal(node_find_cgroup_root(sys, ret, 4), -ENAMETOOLONG);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sys);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_containers_and_signals, kill_child),
		cmocka_unit_test_teardown(test_reload, kill_child),
		cmocka_unit_test(test_bad_root),
		cmocka_unit_test(test_find_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
