/* watch: the target's life (watching, lost, found, a --pid gone for good) and its wakeups: the
 * main process's exit wakes a check through its pidfd; a fixture tree (not on cgroupfs) is never
 * written to: no PSI trigger, no v1 usage threshold or OOM notifier, nothing logged about them. */
#include "unit.h"

#include "fake_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "base/log.h"
#include "base/loop.h"
#include "kernel/cgroup.h"
#include "kernel/watch.h"

#define FIX "../fixtures"

static void remove_cgroup(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/memory.current", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	unlink(path);
	rmdir(dir);
}

static void no_wake(void *userdata)
{
	(void)userdata;
}

/* The target's life: watching at the first try; missing is logged once per reason; found again
 * after it was missing or lost. */
static void test_watch_lost_and_found(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-watch-XXXXXX", dir[128];
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/cg", root);
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct target_spec spec = { .mode = TARGET_CGROUP, .cgroup_dir = dir };
	struct watch w;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);

	capture_start();
	make_cgroup(dir);
	watch_init(&w, &spec, l, no_wake, NULL);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_FIRST);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_HELD);
	char reason[64];
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), 0);
	remove_cgroup(dir);
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), -ENOENT);
	assert_string_equal(reason, "its cgroup was removed");
	watch_lose(&w, -ENOENT, reason);
	assert_false(w.target.present);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	make_cgroup(dir);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_AGAIN);
	watch_free(&w);
	_cleanup_free_ char *log = capture_end();

	assert_non_null(strstr(log, "watching cgroup"));
	assert_non_null(strstr(log, "target lost: cgroup"));
	char *missing = strstr(log, "target not found: ");
	assert_non_null(missing);
	assert_null(strstr(missing + 1, "target not found: ")); /* once for the same reason */
	assert_non_null(strstr(log, "target found: cgroup"));

	/* missing at the start, then there: found again, not "watching" */
	remove_cgroup(dir);
	watch_init(&w, &spec, l, no_wake, NULL);
	capture_start();
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	make_cgroup(dir);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_AGAIN);
	watch_free(&w);
	_cleanup_free_ char *log2 = capture_end();
	assert_null(strstr(log2, "watching"));

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	remove_cgroup(dir);
	rmdir(root);
	loop_free(l);
	assert_true(fcntl(STDIN_FILENO, F_GETFD) >= 0);
}

/* --pid: a pid whose process exited is gone for good; a pid whose cgroup went away is taken again,
 * but only by the same process (its start time). */
static void test_pid_gone(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-proc-XXXXXX", cg[128], reason[64];
	fake_proc(root, sizeof(root), cg, sizeof(cg));
	fake_process(root, 4242, 5000);
	struct target_spec spec = { .mode = TARGET_PID, .pid = 4242, .proc_root = root };
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct watch w;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();

	/* the cgroup is removed and comes back: the same process, taken again */
	watch_init(&w, &spec, l, no_wake, NULL);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_FIRST);
	remove_cgroup(cg);
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), -ENOENT);
	watch_lose(&w, -ENOENT, reason);
	make_cgroup(cg);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_AGAIN);

	/* ... and once more, but meanwhile the pid went to another process: never taken */
	remove_cgroup(cg);
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), -ENOENT);
	watch_lose(&w, -ENOENT, reason);
	fake_process(root, 4242, 7000);
	make_cgroup(cg);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	assert_int_equal(w.state, WATCH_GONE);
	fake_process(root, 4242, 5000);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE); /* not even tried */
	watch_free(&w);

	/* the process exits (its start time changes): lost and gone */
	watch_init(&w, &spec, l, no_wake, NULL);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_FIRST);
	fake_process(root, 4242, 8000);
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), -ESRCH);
	assert_string_equal(reason, "process 4242 exited");
	watch_lose(&w, -ESRCH, reason);
	assert_int_equal(w.state, WATCH_GONE);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	watch_free(&w);
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);

	assert_non_null(strstr(log, "target not found: pid 4242 now belongs to another process"));
	char *gone = strstr(log, "pid 4242 is gone and will not be taken again");
	assert_non_null(gone);
	assert_non_null(strstr(gone + 1, "pid 4242 is gone and will not be taken again"));
	loop_free(l);
	rm_rf(root);
}

/* ---- wakeups ---- */

static unsigned wakes;

static void count_wake(void *userdata)
{
	(void)userdata;
	wakes++;
}

/* The text of dir/name (at most 4 KiB). */
static void read_text(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Copies the regular files of fixture dir from into the new directory to. */
static void copy_tree(const char *from, const char *to)
{
	assert_int_equal(mkdir(to, 0755), 0);
	DIR *d = opendir(from);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_REG)
			continue;
		char buf[4096];
		read_text(from, e->d_name, buf, sizeof(buf));
		write_file(to, e->d_name, buf);
	}
	closedir(d);
}

/* A fixture tree asks for every wakeup and gets none that writes: on v2 no PSI trigger (a write to
 * memory.pressure) and memory.events is a regular file epoll refuses; on v1 no OOM notifier and
 * no usage thresholds (writes to cgroup.event_control). Its files stay as they were, and nothing
 * is logged about it above debug. */
static void test_fixture_tree_arms_nothing(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-watch-XXXXXX", v2[128], v1[128], before[4096], after[4096], err[256];
	assert_non_null(mkdtemp(root));
	snprintf(v2, sizeof(v2), "%s/v2", root);
	snprintf(v1, sizeof(v1), "%s/v1", root);
	copy_tree(FIX "/v2", v2);
	copy_tree(FIX "/v1", v1);
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct policy *p = NULL;
	static const char json[] = "{\"levels\": [{\"name\": \"high\", \"when\": {\"local_relative\": 70}}],"
	                           " \"handlers\": []}";
	assert_int_equal(policy_parse(json, strlen(json), &p, err, sizeof(err)), 0);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();

	struct target_spec spec2 = { .mode = TARGET_CGROUP, .cgroup_dir = v2 };
	struct watch w;
	read_text(v2, "memory.pressure", before, sizeof(before));
	watch_init(&w, &spec2, l, count_wake, NULL);
	w.sample_what = CG_SAMPLE_ALL;
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_FIRST);
	assert_false(w.target.on_cgroupfs);
	assert_int_equal(w.psi_fd, -1);
	assert_false(w.events_watched);
	watch_rearm(&w, CG_SAMPLE_PSI, true);
	assert_int_equal(w.sample_what, CG_SAMPLE_PSI);
	assert_int_equal(w.psi_fd, -1);
	assert_int_equal(w.trip.high_fd, -1); /* no tripwire in a fixture tree either */
	assert_false(w.events_watched);
	read_text(v2, "memory.pressure", after, sizeof(after));
	assert_string_equal(before, after);
	watch_free(&w);

	struct target_spec spec1 = { .mode = TARGET_CGROUP, .cgroup_dir = v1 };
	watch_init(&w, &spec1, l, count_wake, NULL);
	w.sample_what = CG_SAMPLE_ALL;
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_FIRST);
	assert_int_equal(w.target.cg.version, CG_V1);
	assert_int_equal(w.oom_fd, -1);
	struct sample s = { .usage_bytes = 60051456, .limit_bytes = 256 << 20 };
	watch_thresholds(&w, p, &s);
	assert_int_equal(w.n_thr, 0);
	assert_false(w.thr_armed);
	char path[256];
	snprintf(path, sizeof(path), "%s/cgroup.event_control", v1);
	assert_int_equal(access(path, F_OK), -1);
	watch_free(&w);

	/* no wakeup came from any of it */
	assert_int_equal(loop_iterate(l, 20 * 1000), 0);
	assert_int_equal(wakes, 0);
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_null(strstr(log, "not armed"));
	assert_non_null(strstr(log, "watching cgroup"));

	policy_free(p);
	loop_free(l);
	rm_rf(root);
}

/* A --pid target held by its pidfd: the main process's exit wakes a check at once, which is
 * pending until a check loses it (as -ESRCH, "process N exited"); the pid is then gone. */
static void test_exit_wakes_a_check(void **state)
{
	(void)state;
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct target_spec spec = { .mode = TARGET_PID, .pid = child };
	struct watch w;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	watch_init(&w, &spec, l, count_wake, NULL);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_FIRST);
	assert_true(w.pidfd_watched);
	assert_false(watch_exit_pending(&w));
	char reason[64];
	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), 0);

	wakes = 0;
	assert_int_equal(kill(child, SIGKILL), 0);
	for (int i = 0; i < 100 && wakes == 0; i++)
		assert_true(loop_iterate(l, 50 * 1000) >= 0);
	assert_int_equal(wakes, 1);
	assert_false(w.pidfd_watched); /* out of the loop: not woken again and again */
	assert_true(watch_exit_pending(&w));
	assert_int_equal(loop_iterate(l, 20 * 1000), 0);
	assert_int_equal(wakes, 1);

	assert_int_equal(watch_check_alive(&w, reason, sizeof(reason)), -ESRCH);
	char want[64];
	snprintf(want, sizeof(want), "process %d exited", (int)child);
	assert_string_equal(reason, want);
	watch_lose(&w, -ESRCH, reason);
	assert_false(watch_exit_pending(&w));
	assert_int_equal(w.state, WATCH_GONE);
	assert_int_equal(watch_acquire(&w), WATCH_ACQUIRED_NONE);
	watch_free(&w);
	_cleanup_free_ char *log = capture_end();
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_non_null(strstr(log, "target lost: "));
	assert_non_null(strstr(log, "is gone and will not be taken again"));
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_lost_and_found),
		cmocka_unit_test(test_pid_gone),
		cmocka_unit_test(test_fixture_tree_arms_nothing),
		cmocka_unit_test(test_exit_wakes_a_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
