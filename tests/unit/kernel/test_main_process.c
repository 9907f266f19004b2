/* A container's main process (lib/kernel/main_process.c): the choice among candidates, NSpid lines
 * real and hostile, and the search over a cgroup.procs and a fake /proc; a pidfd of this very
 * process through the real /proc. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "kernel/main_process.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_choose(void **state)
{
	(void)state;
	assert_int_equal(main_process_choose(NULL, 0), -1);
	const struct main_process_candidate one[] = { { 40, false, 100 } };
	assert_int_equal(main_process_choose(one, 1), 0);
	/* the pid namespace's init wins over an older process */
	const struct main_process_candidate init[] = { { 40, false, 100 },
		                                       { 50, true, 200 },
		                                       { 60, false, 50 } };
	assert_int_equal(main_process_choose(init, 3), 1);
	/* two inits (nested namespaces): the older */
	const struct main_process_candidate inits[] = { { 70, true, 300 }, { 50, true, 200 } };
	assert_int_equal(main_process_choose(inits, 2), 1);
	/* no init: the oldest; a tie: the lowest pid */
	const struct main_process_candidate old[] = { { 40, false, 100 },
		                                      { 30, false, 100 },
		                                      { 20, false, 150 } };
	assert_int_equal(main_process_choose(old, 3), 1);
}

static void test_parse_nspid(void **state)
{
	(void)state;
	pid_t p = 4242;
	assert_int_equal(main_process_parse_nspid(S("Name:\tapp\nNSpid:\t1234\t1\nNStgid:\t1234\t1\n"), &p),
	                 0);
	assert_int_equal(p, 1);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t1234\n"), &p), 0);
	assert_int_equal(p, 1234);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t99\t7\t1"), &p), 0); /* no newline */
	assert_int_equal(p, 1);
	assert_int_equal(main_process_parse_nspid(S("Pid:\t5\nNSpid: 5 3\n"), &p), 0);
	assert_int_equal(p, 3);
	p = 4242;
	assert_int_equal(main_process_parse_nspid(S(""), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(NULL, 0, &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("Name:\tNSpid:\t1\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t\t\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\tx\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t12x\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t0\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t-1\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t4294967296\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t99999999999999999999\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:12\n"), &p), -EBADMSG);
	assert_int_equal(main_process_parse_nspid(S("NSpid:\t1\0002\n"), &p), -EBADMSG);
	assert_int_equal(p, 4242); /* untouched */
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A fake process under proc: its status (NSpid) and stat (start time). */
static void fake(const char *proc, int pid, const char *nspid, unsigned long long start)
{
	char dir[512], text[512];
	snprintf(dir, sizeof(dir), "%s/%d", proc, pid);
	mkdir(dir, 0755);
	snprintf(text, sizeof(text), "Name:\tx\nPid:\t%d\nNSpid:\t%s\n", pid, nspid);
	write_file(dir, "status", text);
	snprintf(text, sizeof(text), "%d (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 1 1\n", pid, start);
	write_file(dir, "stat", text);
}

static void test_find(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-main-XXXXXX", cg[300], proc[300];
	assert_non_null(mkdtemp(root));
	snprintf(cg, sizeof(cg), "%s/cg", root);
	snprintf(proc, sizeof(proc), "%s/proc", root);
	assert_int_equal(mkdir(cg, 0755), 0);
	assert_int_equal(mkdir(proc, 0755), 0);
	write_file(cg, "memory.current", "1\n");
	write_file(cg, "memory.max", "max\n");
	struct cg_target t;
	assert_int_equal(cg_open(cg, &t), 0);
	pid_t pid;
	uint64_t start;

	write_file(cg, "cgroup.procs", "");
	assert_int_equal(main_process_find(&t, proc, &pid, &start), -ESRCH);
	/* 300 is older, 400 is the namespace's init, 500 exited (no /proc entry) */
	fake(proc, 300, "300", 10);
	fake(proc, 400, "400\t1", 20);
	write_file(cg, "cgroup.procs", "500\n300\n400\n");
	assert_int_equal(main_process_find(&t, proc, &pid, &start), 0);
	assert_int_equal(pid, 400);
	assert_int_equal(start, 20);
	/* without an init: the oldest */
	write_file(cg, "cgroup.procs", "400\n300\n");
	fake(proc, 400, "400\t7", 20);
	assert_int_equal(main_process_find(&t, proc, &pid, &start), 0);
	assert_int_equal(pid, 300);
	/* garbage in cgroup.procs */
	write_file(cg, "cgroup.procs", "x\n");
	assert_int_equal(main_process_find(&t, proc, &pid, &start), -EBADMSG);
	/* the real /proc: this process, not an init of its namespace, alone in its fake cgroup */
	char self[32];
	snprintf(self, sizeof(self), "%d\n", (int)getpid());
	write_file(cg, "cgroup.procs", self);
	int fd = main_process_pidfd(&t, "/proc");
	assert_true(fd >= 0);
	assert_int_equal(sys_pidfd_send_signal(fd, 0), 0);
	close(fd);
	/* a process found that is gone when its pidfd is opened */
	fake(proc, 4194000, "4194000\t1", 5);
	write_file(cg, "cgroup.procs", "4194000\n");
	if (kill(4194000, 0) < 0)
		assert_int_equal(main_process_pidfd(&t, proc), -ESRCH);
	cg_close(&t);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_parse_nspid),
		cmocka_unit_test(test_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
