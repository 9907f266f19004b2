/* resolve_cgroup_from_text against real mountinfo/cgroup texts (hybrid, pure v2, container
 * namespaces, escapes), resolve_pid_cgroup and resolve_process against the fixture proc tree, and
 * resolve_process against a real child found in /proc. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel/resolve.h"

/* A hybrid host's mountinfo (cgroup v1 hierarchies and a cgroup2 mount without memory), copied
 * from a real Debian host. */
static const char hybrid_mountinfo[] =
        "21 26 0:20 / /proc rw,relatime - proc proc rw\n"
        "22 26 0:21 / /sys rw,relatime - sysfs sysfs rw\n"
        "26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
        "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
        "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
        "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
        "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static const char hybrid_cgroup[] = "9:name=systemd:/\n8:pids:/\n4:memory:/docker/59067\n"
                                    "2:cpuacct:/\n1:cpu:/\n0::/\n";

/* A systemd host on pure v2, with optional fields (shared:N) before the separator. */
static const char v2_mountinfo[] =
        "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw,errors=remount-ro\n"
        "23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw\n"
        "27 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 "
        "rw,nsdelegate,memory_recursiveprot\n";

struct text_case {
	const char *name;
	const char *cgroup;
	const char *mountinfo;
	int ret;
	const char *path; /* expected path, or a substring of the error message */
};

static const struct text_case cases[] = {
	{ "hybrid host: v1 memory wins", hybrid_cgroup, hybrid_mountinfo, 0,
	  "/sys/fs/cgroup/memory/docker/59067" },
	{ "pure v2", "0::/system.slice/app.service\n", v2_mountinfo, 0,
	  "/sys/fs/cgroup/system.slice/app.service" },
	{ "pure v2, no trailing newline", "0::/user.slice", v2_mountinfo, 0, "/sys/fs/cgroup/user.slice" },
	{ "the root cgroup", "0::/\n", v2_mountinfo, 0, "/sys/fs/cgroup" },
	/* a container with its own cgroup namespace: root "/" and the container's cgroup is "/" */
	{ "container cgroupns", "0::/\n",
	  "1024 1001 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate\n",
	  0, "/sys/fs/cgroup" },
	/* a container on the host's cgroupns with a bind mount of its own sub-tree (root not "/") */
	{ "nested root", "0::/kubepods/pod1/ctr\n",
	  "900 800 0:26 /kubepods/pod1 /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n", 0,
	  "/sys/fs/cgroup/ctr" },
	{ "nested root, the root itself", "0::/kubepods/pod1\n",
	  "900 800 0:26 /kubepods/pod1 /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n", 0,
	  "/sys/fs/cgroup" },
	{ "nested root: the longest root holding the path wins", "0::/a/b/c\n",
	  "900 800 0:26 /a /mnt/a rw - cgroup2 cgroup2 rw\n901 800 0:26 /a/b /mnt/ab rw - cgroup2 cgroup2 "
	  "rw\n"
	  "902 800 0:26 /a/bc /mnt/abc rw - cgroup2 cgroup2 rw\n",
	  0, "/mnt/ab/c" },
	{ "octal escapes in the mount point", "0::/x\n",
	  "900 800 0:26 / /mnt/my\\040cgroup\\134fs rw - cgroup2 cgroup2 rw\n", 0, "/mnt/my cgroup\\fs/x" },
	{ "v1 with a combined controller list", "5:cpu,memory:/docker/abc\n0::/\n",
	  "40 30 0:40 / /sys/fs/cgroup/cpu,memory rw - cgroup cgroup rw,cpu,memory\n", 0,
	  "/sys/fs/cgroup/cpu,memory/docker/abc" },
	{ "v1 memory line but no v1 memory mount: v2", "4:memory:/a\n0::/b\n", v2_mountinfo, 0,
	  "/sys/fs/cgroup/b" },
	{ "garbage lines are skipped", "garbage\n::\nx:memory:/no\n0::/app\n",
	  "garbage line\n1 2 3\n- - -\n27 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", 0,
	  "/sys/fs/cgroup/app" },
	/* a mount root with trailing slashes is its path without them; an over-read of the cgroup
	 * path before root_len() (ASan: heap-buffer-overflow reading past "/") */
	{ "root \"//\" and the root cgroup", "0::/\n",
	  "900 800 0:26 // /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", 0, "/sys/fs/cgroup" },
	{ "root \"//\" and a cgroup below", "0::/app\n",
	  "900 800 0:26 // /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", 0, "/sys/fs/cgroup/app" },
	{ "v1 root \"//\" and the root cgroup", "4:memory:/\n",
	  "34 30 0:31 // /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", 0, "/sys/fs/cgroup/memory" },
	{ "root \"/a//\" and its own cgroup", "0::/a\n", "900 800 0:26 /a// /mnt/a rw - cgroup2 cgroup2 rw\n",
	  0, "/mnt/a" },
	{ "root \"/a//\" and a cgroup below", "0::/a/b\n",
	  "900 800 0:26 /a// /mnt/a rw - cgroup2 cgroup2 rw\n", 0, "/mnt/a/b" },
	{ "root \"/a//\" does not hold \"/\"", "0::/\n", "900 800 0:26 /a// /mnt/a rw - cgroup2 cgroup2 rw\n",
	  -EXDEV, "outside the cgroup2 mount at /mnt/a (root /a//)" },
	/* a relative mount point is no mount: the absolute one is taken, or none */
	{ "a relative mount point is skipped", "0::/app\n",
	  "900 800 0:26 / sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
	  "901 800 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
	  0, "/sys/fs/cgroup/app" },
	{ "only a relative mount point", "0::/app\n",
	  "900 800 0:26 / sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", -ENOENT, "no memory cgroup mount" },
	/* errors */
	{ "escape from the namespace", "0::/../foo\n", v2_mountinfo, -EXDEV,
	  "cgroup path /../foo is outside the cgroup2 mount at /sys/fs/cgroup (root /): the target is in "
	  "another "
	  "cgroup namespace" },
	{ "dotdot inside the path", "0::/a/../../b\n", v2_mountinfo, -EXDEV, "outside" },
	{ "not under the mount's root", "0::/other/ctr\n",
	  "900 800 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", -EXDEV,
	  "cgroup path /other/ctr is outside the cgroup2 mount at /sys/fs/cgroup (root /kubepods/pod1)" },
	{ "a component-wise prefix only", "0::/kubepods/pod10/ctr\n",
	  "900 800 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", -EXDEV, "outside" },
	{ "v1 escape", "4:memory:/../x\n", hybrid_mountinfo, -EXDEV,
	  "cgroup v1 memory mount at /sys/fs/cgroup/memory" },
	{ "no memory mount at all", hybrid_cgroup,
	  "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n", -ENOENT,
	  "no memory cgroup mount" },
	{ "memory-less v1 lines only", "1:cpu:/\n", hybrid_mountinfo, -ENOENT, "no memory cgroup" },
	{ "empty texts", "", "", -ENOENT, "no memory cgroup" },
	{ "v1 mount's name=memory is not the memory controller", "4:name=memory:/a\n",
	  "34 30 0:31 / /sys/fs/cgroup/x rw - cgroup cgroup rw,name=memory\n", -ENOENT, "no memory cgroup" },
};

static void test_from_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct text_case *c = &cases[i];
		char *path = NULL, err[512] = "";
		int r = resolve_cgroup_from_text(c->cgroup, c->mountinfo, &path, err, sizeof(err));
		print_message("%s -> %d %s %s\n", c->name, r, path ? path : "", err);
		assert_int_equal(r, c->ret);
		if (r == 0)
			assert_string_equal(path, c->path);
		else {
			assert_null(path);
			assert_non_null(strstr(err, c->path));
		}
		free(path);
	}
}

#define PROC "../fixtures/proc"

static void test_pid_fixture(void **state)
{
	(void)state;
	char *path = NULL, err[512] = "";

	assert_int_equal(resolve_pid_cgroup(PROC, 4242, &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/sys/fs/cgroup/memory/docker/3f2a9c0d7b1e");
	free(path);
	path = NULL;
	assert_int_equal(resolve_pid_cgroup(PROC, 1, &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/sys/fs/cgroup/memory");
	free(path);
	path = NULL;
	assert_int_equal(resolve_pid_cgroup(PROC, 4999, &path, err, sizeof(err)), -ESRCH);
	assert_null(path);
	assert_non_null(strstr(err, "4999/cgroup"));
	assert_int_equal(resolve_pid_cgroup(PROC, 0, &path, err, sizeof(err)), -ESRCH);
	assert_int_equal(resolve_pid_cgroup("../fixtures/nowhere", 1, &path, err, sizeof(err)), -ENOENT);
}

static void test_pid_real(void **state)
{
	(void)state;
	char *path = NULL, err[512] = "";
	int r = resolve_pid_cgroup("/proc", getpid(), &path, err, sizeof(err));

	/* This process's own cgroup: it exists on any Linux with a cgroup mount, and it is a directory. */
	print_message("own cgroup: %d %s %s\n", r, path ? path : "", err);
	assert_int_equal(r, 0);
	assert_int_equal(access(path, F_OK), 0);
	free(path);
}

static void test_process_fixture(void **state)
{
	(void)state;
	pid_t pid = 0;

	assert_int_equal(resolve_process(PROC, "java", &pid), 0); /* 4242 and 5000 match: lowest wins */
	assert_int_equal(pid, 4242);
	assert_int_equal(resolve_process(PROC, "worker", &pid), 0); /* by comm */
	assert_int_equal(pid, 4243);
	assert_int_equal(resolve_process(PROC, "tini", &pid), 0);
	assert_int_equal(pid, 1);
	/* comm is cut at 15 characters; argv[0]'s basename still matches */
	assert_int_equal(resolve_process(PROC, "memhook-long-name-app", &pid), 0);
	assert_int_equal(pid, 4300);
	assert_int_equal(resolve_process(PROC, "memhook-long-na", &pid), 0);
	assert_int_equal(pid, 4300);
	pid = 77;
	assert_int_equal(resolve_process(PROC, "python", &pid), -ESRCH);        /* a prefix of python3 */
	assert_int_equal(resolve_process(PROC, "app.jar", &pid), -ESRCH);       /* argv[2], not argv[0] */
	assert_int_equal(resolve_process(PROC, "bin", &pid), -ESRCH);           /* a directory of argv[0] */
	assert_int_equal(resolve_process(PROC, "/usr/bin/java", &pid), -ESRCH); /* not a basename */
	assert_int_equal(pid, 77);
	assert_int_equal(resolve_process(PROC, "", &pid), -EINVAL);
	assert_int_equal(resolve_process("../fixtures/nowhere", "java", &pid), -ENOENT);
}

/* A real child whose argv[0] is a unique name, found through /proc. */
static void test_process_real(void **state)
{
	(void)state;
	char name[64];
	pid_t child, found = 0;
	int r = -ESRCH, status;
	struct timespec start, now;

	snprintf(name, sizeof(name), "memhook-test-target-%d", (int)getpid());
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl("/bin/sleep", name, "30", (char *)NULL);
		_exit(127);
	}
	/* until exec has happened (comm and cmdline change then), with a 5 s deadline */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = resolve_process("/proc", name, &found);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r == 0 || now.tv_sec - start.tv_sec > 5)
			break;
		usleep(5000);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_int_equal(r, 0);
	assert_int_equal(found, child);
	/* memhook skips itself: its own name is not found through its own pid */
	{
		char self_comm[64] = "";
		FILE *f = fopen("/proc/self/comm", "r");
		assert_non_null(f);
		assert_non_null(fgets(self_comm, sizeof(self_comm), f));
		fclose(f);
		self_comm[strcspn(self_comm, "\n")] = '\0';
		r = resolve_process("/proc", self_comm, &found);
		assert_true(r == -ESRCH || found != getpid());
	}
	/* gone after it was reaped */
	assert_int_equal(resolve_process("/proc", name, &found), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_text),    cmocka_unit_test(test_pid_fixture),
		cmocka_unit_test(test_pid_real),     cmocka_unit_test(test_process_fixture),
		cmocka_unit_test(test_process_real),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
