/* actions: signals reach real child processes; memory.reclaim gets the exact bytes. */
#include "unit.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "actions/signal_reclaim.h"
#include "base/util.h"

/* ---- children that trap SIGUSR1 ---- */

struct trap {
	pid_t pid;
	int fd; /* the child writes 'R' when ready and 'U' for each SIGUSR1 */
};

static int trap_wfd = -1;

static void on_usr1(int sig)
{
	(void)sig;
	(void)!write(trap_wfd, "U", 1);
}

/* Reads one byte within timeout_ms; returns it, or -1 on timeout/EOF. */
static int read_byte(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	char ch;
	return read(fd, &ch, 1) == 1 ? ch : -1;
}

static struct trap trap_start(void)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		trap_wfd = p[1];
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigaction(SIGUSR1, &sa, NULL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		(void)!write(p[1], "R", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	struct trap t = { .pid = pid, .fd = p[0] };
	assert_int_equal(read_byte(t.fd, 5000), 'R');
	return t;
}

static void trap_stop(struct trap *t)
{
	kill(t->pid, SIGKILL);
	waitpid(t->pid, NULL, 0);
	close(t->fd);
}

/* A pid that surely belongs to nobody: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	return pid;
}

/* ---- a fixture cgroup directory ---- */

struct fixture {
	char dir[64];
	struct cg_target t;
};

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static ssize_t read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = pread_all(fd, buf, size);
	close(fd);
	return n;
}

static void fixture_open(struct fixture *f, const char *usage_text)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/memhook-actions-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	memset(&f->t, 0, sizeof(f->t));
	f->t.version = CG_V2;
	f->t.path = f->dir;
	f->t.dirfd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(f->t.dirfd >= 0);
	f->t.usage_fd = -1;
	if (usage_text) {
		write_file(f->dir, "memory.current", usage_text);
		f->t.usage_fd = openat(f->t.dirfd, "memory.current", O_RDONLY | O_CLOEXEC);
		assert_true(f->t.usage_fd >= 0);
	}
	f->t.limit_fd = f->t.events_fd = f->t.pressure_fd = f->t.stat_fd = -1;
}

static void fixture_close(struct fixture *f)
{
	if (f->t.usage_fd >= 0)
		close(f->t.usage_fd);
	close(f->t.dirfd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
}

static void write_procs(struct fixture *f, const pid_t *pids, size_t n)
{
	char text[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%d\n", (int)pids[i]);
	write_file(f->dir, "cgroup.procs", text);
}

/* ---- cgroup.procs, as the signal action reads it ---- */

/* The allocating reader: a file larger than its first buffer, empty, without its last newline,
 * and garbage (a word, a pid beyond pid_t, a sign). */
static void test_read_procs_alloc(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, NULL);
	size_t cap = 3000 * 8 + 1, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	for (int i = 1; i <= 3000; i++)
		len += (size_t)snprintf(text + len, cap - len, "%d\n", 1000000 + i);
	write_file(f.dir, "cgroup.procs", text);
	free(text);

	pid_t *pids = NULL;
	assert_int_equal(cg_read_procs_alloc(&f.t, &pids), 3000);
	assert_int_equal(pids[0], 1000001);
	assert_int_equal(pids[2999], 1003000);
	free(pids);
	pid_t few[2];
	assert_int_equal(cg_read_procs(&f.t, few, 2), 2); /* capped, the rest still checked */
	assert_int_equal(few[1], 1000002);

	write_file(f.dir, "cgroup.procs", "");
	pids = NULL;
	assert_int_equal(cg_read_procs_alloc(&f.t, &pids), 0);
	assert_non_null(pids);
	free(pids);

	write_file(f.dir, "cgroup.procs", "7\n\n42");
	assert_int_equal(cg_read_procs_alloc(&f.t, &pids), 2);
	assert_int_equal(pids[1], 42);
	free(pids);

	static const char *const garbage[] = { "12\nabc\n", "2147483648\n", "+5\n", "5 \n",
		                               "99999999999999999999999\n" };
	for (size_t i = 0; i < ARRAY_SIZE(garbage); i++) {
		write_file(f.dir, "cgroup.procs", garbage[i]);
		pids = NULL;
		assert_int_equal(cg_read_procs_alloc(&f.t, &pids), -EBADMSG);
		assert_null(pids);
	}
	fixture_close(&f);
}

/* ---- signals ---- */

static void test_signal_main_pid(void **state)
{
	(void)state;
	struct trap a = trap_start();
	struct signal_cfg cfg = { .signo = SIGUSR1 };
	assert_int_equal(action_signal(NULL, a.pid, &cfg), 1);
	assert_int_equal(read_byte(a.fd, 5000), 'U');
	trap_stop(&a);
}

static void test_signal_dead_pid(void **state)
{
	(void)state;
	struct signal_cfg cfg = { .signo = SIGUSR1 };
	assert_int_equal(action_signal(NULL, dead_pid(), &cfg), -ESRCH);
	/* main pid 0 and no cgroup: nobody to signal */
	assert_int_equal(action_signal(NULL, 0, &cfg), -ESRCH);
}

static void test_signal_eperm(void **state)
{
	(void)state;
	/* An unprivileged process may not signal ours: run the action as nobody in a child. */
	pid_t self = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
			_exit(2);
		struct signal_cfg cfg = { .signo = 0 }; /* permission check only: harmless if it passed */
		_exit(action_signal(NULL, self, &cfg) == -EPERM ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_signal_whole_cgroup(void **state)
{
	(void)state;
	struct trap a = trap_start(), b = trap_start();
	struct fixture f;
	fixture_open(&f, NULL);
	pid_t pids[] = { a.pid, dead_pid(), b.pid };
	write_procs(&f, pids, ARRAY_SIZE(pids));

	struct signal_cfg cfg = { .signo = SIGUSR1, .whole_cgroup = true };
	/* two alive, one gone: both alive ones signalled, the gone one ignored */
	assert_int_equal(action_signal(&f.t, 0, &cfg), 2);
	assert_int_equal(read_byte(a.fd, 5000), 'U');
	assert_int_equal(read_byte(b.fd, 5000), 'U');

	/* whole_cgroup ignores main_pid */
	assert_int_equal(action_signal(&f.t, a.pid, &cfg), 2);
	assert_int_equal(read_byte(a.fd, 5000), 'U');
	assert_int_equal(read_byte(b.fd, 5000), 'U');

	/* only dead pids: the first error */
	pid_t gone[] = { dead_pid(), dead_pid() };
	write_procs(&f, gone, ARRAY_SIZE(gone));
	assert_int_equal(action_signal(&f.t, 0, &cfg), -ESRCH);

	/* empty cgroup.procs */
	write_procs(&f, NULL, 0);
	assert_int_equal(action_signal(&f.t, 0, &cfg), -ESRCH);

	/* the cgroup vanished: cgroup.procs is gone */
	char path[128];
	snprintf(path, sizeof(path), "%s/cgroup.procs", f.dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(action_signal(&f.t, 0, &cfg), -ESRCH);

	fixture_close(&f);
	trap_stop(&a);
	trap_stop(&b);
}

static void test_signal_lowest_pid_as_main(void **state)
{
	(void)state;
	struct trap a = trap_start(), b = trap_start();
	struct trap *lo = a.pid < b.pid ? &a : &b, *hi = a.pid < b.pid ? &b : &a;
	struct fixture f;
	fixture_open(&f, NULL);
	pid_t pids[] = { hi->pid, lo->pid }; /* not sorted in the file */
	write_procs(&f, pids, ARRAY_SIZE(pids));

	struct signal_cfg cfg = { .signo = SIGUSR1 };
	assert_int_equal(action_signal(&f.t, 0, &cfg), 1);
	assert_int_equal(read_byte(lo->fd, 5000), 'U');
	assert_int_equal(read_byte(hi->fd, 200), -1); /* the other one got nothing */

	fixture_close(&f);
	trap_stop(&a);
	trap_stop(&b);
}

/* ---- memory.reclaim ---- */

static void test_reclaim_bytes(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, "1000000\n");
	write_file(f.dir, "memory.reclaim", "");

	struct reclaim_cfg cfg = { .bytes = UINT64_C(64) << 20 };
	struct reclaim_result r;
	memset(&r, 0xff, sizeof(r));
	assert_int_equal(action_reclaim(&f.t, &cfg, 999, &r), 0);
	char buf[64];
	assert_int_equal(read_file(f.dir, "memory.reclaim", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "67108864");
	assert_int_equal(r.requested_bytes, 67108864);
	assert_int_equal(r.before_bytes, 1000000); /* read from memory.current, not the argument */
	assert_int_equal(r.after_bytes, 1000000);
	assert_int_equal(r.partial, 0);
	fixture_close(&f);
}

static void test_reclaim_percent_and_pages(void **state)
{
	(void)state;
	long page = sysconf(_SC_PAGESIZE);
	struct fixture f;
	fixture_open(&f, "garbage"); /* unreadable usage: falls back to the given usage */
	write_file(f.dir, "memory.reclaim", "");

	/* 5 % of 100 MiB */
	struct reclaim_cfg cfg = { .percent = 5.0 };
	struct reclaim_result r;
	assert_int_equal(action_reclaim(&f.t, &cfg, UINT64_C(100) << 20, &r), 0);
	char buf[64];
	read_file(f.dir, "memory.reclaim", buf, sizeof(buf));
	assert_string_equal(buf, "5242880");
	assert_int_equal(r.before_bytes, UINT64_C(100) << 20);

	/* a tiny percentage is still one page */
	write_file(f.dir, "memory.reclaim", "");
	cfg.percent = 0.001;
	assert_int_equal(action_reclaim(&f.t, &cfg, 1000, &r), 0);
	assert_int_equal(r.requested_bytes, (uint64_t)page);

	/* an odd byte count is rounded up to whole pages */
	write_file(f.dir, "memory.reclaim", "");
	struct reclaim_cfg odd = { .bytes = (uint64_t)page + 1 };
	assert_int_equal(action_reclaim(&f.t, &odd, 0, &r), 0);
	assert_int_equal(r.requested_bytes, 2 * (uint64_t)page);
	char want[32];
	snprintf(want, sizeof(want), "%ld", 2 * page);
	read_file(f.dir, "memory.reclaim", buf, sizeof(buf));
	assert_string_equal(buf, want);
	fixture_close(&f);
}

static void test_reclaim_unsupported_and_errors(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, "4096\n");
	struct reclaim_cfg cfg = { .bytes = 4096 };
	struct reclaim_result r = { .requested_bytes = 77 };

	/* no memory.reclaim (old kernel) */
	assert_int_equal(action_reclaim(&f.t, &cfg, 0, &r), -EOPNOTSUPP);
	assert_int_equal(r.requested_bytes, 77); /* untouched on failure */

	/* v1 never, even with the file present */
	write_file(f.dir, "memory.reclaim", "");
	f.t.version = CG_V1;
	assert_int_equal(action_reclaim(&f.t, &cfg, 0, &r), -EOPNOTSUPP);
	f.t.version = CG_V2;

	/* a write error is returned as is: EFBIG under a file size limit of 0 */
	struct rlimit was, none;
	void (*xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	none = (struct rlimit){ .rlim_cur = 0, .rlim_max = was.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &none), 0);
	int rr = action_reclaim(&f.t, &cfg, 0, &r);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, xfsz);
	assert_int_equal(rr, -EFBIG);
	assert_int_equal(r.requested_bytes, 77);

	/* a symlink planted as memory.reclaim is not written through (it once wrote /dev/full) */
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.reclaim", f.dir);
	unlink(path);
	assert_int_equal(symlink("/dev/full", path), 0);
	assert_int_equal(action_reclaim(&f.t, &cfg, 0, &r), -ELOOP);
	assert_int_equal(r.requested_bytes, 77);
	fixture_close(&f);
}

/* reclaim_prepare never waits in open(): a FIFO nobody reads is refused at once; the job's fds are
 * its own, so closing the target's does not touch them. */
static void test_reclaim_prepare_fifo_and_own_fds(void **state)
{
	(void)state;
	struct fixture f;
	fixture_open(&f, "8192\n");
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.reclaim", f.dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	struct reclaim_cfg cfg = { .bytes = 4096 };
	struct reclaim_job j = { .reclaim_fd = -1, .usage_fd = -1 };
	assert_int_equal(reclaim_prepare(&f.t, &cfg, 0, &j), -ENXIO);
	assert_int_equal(j.reclaim_fd, -1); /* untouched on failure */

	unlink(path);
	write_file(f.dir, "memory.reclaim", "");
	assert_int_equal(reclaim_prepare(&f.t, &cfg, 0, &j), 0);
	assert_int_equal(j.result.before_bytes, 8192);
	assert_true(j.usage_fd >= 0 && j.usage_fd != f.t.usage_fd);
	assert_int_equal(fcntl(j.reclaim_fd, F_GETFL) & O_NONBLOCK, 0); /* the write may block */
	close(f.t.usage_fd);
	f.t.usage_fd = -1;
	reclaim_run(&j);
	assert_int_equal(j.error, 0);
	assert_int_equal(j.result.after_bytes, 8192); /* read through its own fd */
	reclaim_job_close(&j);
	assert_int_equal(j.reclaim_fd, -1);
	char buf[32];
	assert_int_equal(read_file(f.dir, "memory.reclaim", buf, sizeof(buf)), 4);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_procs_alloc),
		cmocka_unit_test(test_signal_main_pid),
		cmocka_unit_test(test_signal_dead_pid),
		cmocka_unit_test(test_signal_eperm),
		cmocka_unit_test(test_signal_whole_cgroup),
		cmocka_unit_test(test_signal_lowest_pid_as_main),
		cmocka_unit_test(test_reclaim_bytes),
		cmocka_unit_test(test_reclaim_percent_and_pages),
		cmocka_unit_test(test_reclaim_unsupported_and_errors),
		cmocka_unit_test(test_reclaim_prepare_fifo_and_own_fds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
