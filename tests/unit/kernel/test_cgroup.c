/* cg_open / cg_sample / cg_read_procs against the committed fixture trees (run from
 * tests/unit), and counter deltas against a scratch copy whose files the test rewrites. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/cgroup.h"

#define FIX "../fixtures"
#define MiB (UINT64_C(1) << 20)

static void sample_of(const char *dir, struct sample *s, struct cg_target *t)
{
	assert_int_equal(cg_open(dir, t), 0);
	memset(s, 0, sizeof(*s));
	s->host_total_bytes = 777; /* cg_sample must not touch the host fields */
	assert_int_equal(cg_sample(t, CG_SAMPLE_ALL, s), 0);
	assert_int_equal(s->host_total_bytes, 777);
}

static void test_v2(void **state)
{
	(void)state;
	struct cg_target t;
	struct sample s;

	sample_of(FIX "/v2", &s, &t);
	assert_int_equal(t.version, CG_V2);
	assert_int_equal(t.n_ancestors, 0); /* tests/fixtures has no memory.max */
	assert_true(t.pressure_fd >= 0 && t.events_fd >= 0 && t.stat_fd >= 0);
	assert_int_equal(s.usage_bytes, 100 * MiB);
	assert_int_equal(s.limit_bytes, 256 * MiB);
	assert_true(s.has_psi);
	assert_float_equal(s.psi.avg[PSI_SOME][PSI_AVG10], 1.25, 1e-9);
	assert_int_equal(s.psi.total_usec[PSI_FULL], 654321);
	assert_true(s.has_events);
	assert_int_equal(s.events[MEMEV_HIGH], 3);
	assert_int_equal(s.events[MEMEV_MAX], 1);
	assert_int_equal(s.events_delta[MEMEV_HIGH], 0); /* first sample: no delta */
	/* memory.stat: working set = 100 MiB - inactive_file 4 MiB; anon 80 MiB */
	assert_true(s.has_stat);
	assert_int_equal(s.working_set_bytes, 96 * MiB);
	assert_int_equal(s.anon_bytes, 80 * MiB);
	assert_int_equal(sample_used_bytes(&s, USAGE_WORKING_SET), 96 * MiB);
	/* the second sample of unchanged files: still no delta */
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_int_equal(s.events_delta[MEMEV_HIGH], 0);
	assert_string_equal(t.path, FIX "/v2");
	cg_close(&t);
	cg_close(&t); /* idempotent */
	assert_int_equal(t.dirfd, -1);
}

static void test_v2_nested(void **state)
{
	(void)state;
	struct cg_target t;
	struct sample s;

	/* parent 256 MiB: its own limit */
	sample_of(FIX "/v2-nested/parent", &s, &t);
	assert_int_equal(s.limit_bytes, 256 * MiB);
	cg_close(&t);
	/* child 1 GiB: its own limit, not the parent's (the header's contract) */
	sample_of(FIX "/v2-nested/parent/child", &s, &t);
	assert_int_equal(t.n_ancestors, 1);
	assert_int_equal(s.limit_bytes, 1024 * MiB);
	cg_close(&t);
	/* grandchild "max": the smallest ancestor (parent, 256 MiB), not the nearest (child, 1 GiB) */
	sample_of(FIX "/v2-nested/parent/child/grandchild", &s, &t);
	assert_int_equal(t.n_ancestors, 2);
	assert_int_equal(s.limit_bytes, 256 * MiB);
	cg_close(&t);
	/* "max" with no limited ancestor */
	sample_of(FIX "/v2-nested/unlimited", &s, &t);
	assert_int_equal(t.n_ancestors, 0);
	assert_true(s.limit_bytes == CG_UNLIMITED);
	cg_close(&t);
}

static void test_v1(void **state)
{
	(void)state;
	struct cg_target t;
	struct sample s;

	sample_of(FIX "/v1", &s, &t);
	assert_int_equal(t.version, CG_V1);
	assert_int_equal(t.pressure_fd, -1);
	assert_int_equal(s.usage_bytes, 60051456);
	assert_int_equal(s.limit_bytes, 256 * MiB);
	assert_false(s.has_psi);
	assert_true(s.has_events);
	assert_int_equal(s.events[MEMEV_OOM_KILL], 2);
	assert_int_equal(s.events[MEMEV_OOM], 0);
	/* v1: total_inactive_file 0 and total_rss */
	assert_true(s.has_stat);
	assert_int_equal(s.working_set_bytes, 60051456);
	assert_int_equal(s.anon_bytes, 59469824);
	cg_close(&t);

	/* hierarchical_memory_limit and the usage figures from the same memory.stat read */
	sample_of(FIX "/v1-hierarchical", &s, &t);
	assert_int_equal(s.limit_bytes, 512 * MiB);
	assert_true(s.has_stat);
	assert_int_equal(s.working_set_bytes, s.usage_bytes - 28672);
	assert_int_equal(s.anon_bytes, 1683456);
	cg_close(&t);

	sample_of(FIX "/v1-unlimited", &s, &t);
	assert_true(s.limit_bytes == CG_UNLIMITED);
	cg_close(&t);
}

static void test_open_errors(void **state)
{
	(void)state;
	struct cg_target t;

	assert_int_equal(cg_open(FIX "/does-not-exist", &t), -ENOENT);
	assert_int_equal(t.dirfd, -1);
	assert_null(t.path);
	assert_int_equal(cg_open(FIX "/v2/memory.max", &t), -ENOTDIR);
	assert_int_equal(cg_open(FIX "/proc", &t), -EMEDIUMTYPE); /* a directory, not a cgroup */
	assert_int_equal(cg_open(FIX "/v2-nested", &t), -EMEDIUMTYPE);
	assert_int_equal(t.usage_fd, -1);
	cg_close(&t);
}

/* ---- a scratch copy whose files the tests rewrite ---- */

static char scratch[64];

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static int scratch_setup(void **state)
{
	(void)state;
	strcpy(scratch, "/tmp/memhook-cgtest-XXXXXX");
	if (!mkdtemp(scratch))
		return -1;
	put("memory.current", "1048576\n");
	put("memory.max", "2097152\n");
	put("memory.events", "low 0\nhigh 5\nmax 1\noom 0\noom_kill 0\noom_group_kill 0\n");
	put("memory.stat", "anon 1048576\nfile 0\n");
	put("cgroup.procs", "");
	return 0;
}

static int scratch_teardown(void **state)
{
	(void)state;
	static const char *const files[] = { "memory.current", "memory.max",      "memory.events",
		                             "memory.stat",    "memory.pressure", "cgroup.procs" };
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", scratch, files[i]);
		unlink(path);
	}
	return rmdir(scratch);
}

/* A memory file that is there but cannot be opened is reported with its own error, not as "not a
 * memory cgroup" (EACCES as a non-root user; a symlink loop gives ELOOP even to root). */
static void test_unopenable_memory_file(void **state)
{
	(void)state;
	struct cg_target t;
	char path[256];

	snprintf(path, sizeof(path), "%s/memory.current", scratch);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("memory.current", path), 0);
	assert_int_equal(cg_open(scratch, &t), -ELOOP);
	assert_int_equal(t.usage_fd, -1);
	assert_int_equal(t.dirfd, -1);
	cg_close(&t);
	assert_int_equal(unlink(path), 0);
	put("memory.current", "1048576\n");
}

/* memory.max 0 is read as 0 (a limit of nothing), not as unlimited. */
static void test_limit_zero(void **state)
{
	(void)state;
	struct cg_target t;
	struct sample s = { 0 };

	put("memory.max", "0\n");
	assert_int_equal(cg_open(scratch, &t), 0);
	assert_int_equal(cg_sample(&t, 0, &s), 0);
	assert_int_equal(s.limit_bytes, 0);
	assert_int_equal(sample_local_free_bytes(&s), 0);
	assert_float_equal(sample_local_free_percent(&s), 0.0, 1e-12);
	cg_close(&t);
}

static void test_events_delta(void **state)
{
	(void)state;
	struct cg_target t;
	struct sample s;

	assert_int_equal(cg_open(scratch, &t), 0);
	assert_int_equal(t.pressure_fd, -1);
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_false(s.has_psi);
	assert_int_equal(s.events[MEMEV_HIGH], 5);
	assert_int_equal(s.events_delta[MEMEV_HIGH], 0);

	put("memory.events", "low 0\nhigh 9\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_int_equal(s.events_delta[MEMEV_HIGH], 4);
	assert_int_equal(s.events_delta[MEMEV_MAX], 2);
	assert_int_equal(s.events_delta[MEMEV_OOM], 1);
	assert_int_equal(s.events_delta[MEMEV_OOM_KILL], 1);
	assert_int_equal(s.events_delta[MEMEV_LOW], 0);

	/* the cgroup was recreated: counters went down; a new baseline with delta 0 */
	put("memory.events", "low 0\nhigh 1\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_int_equal(s.events[MEMEV_HIGH], 1);
	for (int i = 0; i < MEMEV_COUNT; i++)
		assert_int_equal(s.events_delta[i], 0);
	put("memory.events", "low 0\nhigh 2\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_int_equal(s.events_delta[MEMEV_HIGH], 1);

	/* garbage in a file: -EBADMSG, and the sample and baseline stay as they were */
	put("memory.current", "12ab\n");
	s.usage_bytes = 99;
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), -EBADMSG);
	assert_int_equal(s.usage_bytes, 99);
	put("memory.current", "1048576\n");
	put("memory.max", "max garbage\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), -EBADMSG);
	put("memory.max", "max\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_true(s.limit_bytes == CG_UNLIMITED);
	/* a file larger than its buffer is garbage, not a truncated number */
	{
		char big[200];
		memset(big, '1', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		put("memory.max", big);
		assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), -EBADMSG);
		put("memory.max", "2097152\n");
	}
	put("memory.events", "low 0\nhigh\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), -EBADMSG);
	put("memory.events", "low 0\nhigh 2\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_int_equal(s.events_delta[MEMEV_HIGH], 0);
	assert_int_equal(s.limit_bytes, 2097152);
	cg_close(&t);

	/* memory.pressure present: has_psi; garbage in it: -EBADMSG */
	put("memory.pressure", "some avg10=2.00 avg60=0.00 avg300=0.00 total=5\n");
	assert_int_equal(cg_open(scratch, &t), 0);
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_true(s.has_psi);
	assert_float_equal(s.psi.avg[PSI_SOME][PSI_AVG10], 2.0, 1e-9);
	put("memory.pressure", "some\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), -EBADMSG);
	cg_close(&t);
}

/* memory.stat is read only when asked (CG_SAMPLE_STAT); its garbage is named; a file without the
 * keys gives no figures; the working set never goes below 0. */
static void test_stat(void **state)
{
	(void)state;
	struct cg_target t;
	struct sample s;

	put("memory.stat", "anon 262144\ninactive_file 524288\nactive_file 0\n");
	assert_int_equal(cg_open(scratch, &t), 0);
	memset(&s, 0xff, sizeof(s));
	assert_int_equal(cg_sample(&t, CG_SAMPLE_EVENTS, &s), 0);
	assert_false(s.has_stat);
	assert_int_equal(s.working_set_bytes, 0);
	assert_int_equal(sample_used_bytes(&s, USAGE_WORKING_SET), 1048576); /* falls back to usage */

	assert_int_equal(cg_sample(&t, CG_SAMPLE_STAT, &s), 0);
	assert_true(s.has_stat);
	assert_int_equal(s.working_set_bytes, 1048576 - 524288);
	assert_int_equal(s.anon_bytes, 262144);
	assert_false(s.has_events); /* only what was asked */

	/* inactive_file above the usage (read apart): clamped at 0 */
	put("memory.stat", "anon 262144\ninactive_file 4194304\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_STAT, &s), 0);
	assert_int_equal(s.working_set_bytes, 0);

	/* garbage: -EBADMSG naming the file, the sample untouched; not read when not asked */
	put("memory.stat", "anon 262144\ninactive_file many\n");
	s.usage_bytes = 99;
	assert_int_equal(cg_sample(&t, CG_SAMPLE_STAT, &s), -EBADMSG);
	assert_string_equal(t.bad_file, "memory.stat");
	assert_int_equal(s.usage_bytes, 99);
	assert_int_equal(cg_sample(&t, 0, &s), 0);
	assert_null(t.bad_file);
	put("memory.current", "garbage\n");
	assert_int_equal(cg_sample(&t, 0, &s), -EBADMSG);
	assert_string_equal(t.bad_file, "memory.current");
	put("memory.current", "1048576\n");

	/* without the keys: no figures, not an error */
	put("memory.stat", "anon 262144\nfile 0\n");
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_false(s.has_stat);
	cg_close(&t);

	/* no memory.stat at all */
	char path[256];
	snprintf(path, sizeof(path), "%s/memory.stat", scratch);
	unlink(path);
	assert_int_equal(cg_open(scratch, &t), 0);
	assert_int_equal(cg_sample(&t, CG_SAMPLE_ALL, &s), 0);
	assert_false(s.has_stat);
	cg_close(&t);
}

static void test_read_procs(void **state)
{
	(void)state;
	struct cg_target t;
	pid_t pids[8];

	assert_int_equal(cg_open(FIX "/v2", &t), 0);
	assert_int_equal(cg_read_procs(&t, pids, 8), 4);
	assert_int_equal(pids[0], 4242);
	assert_int_equal(pids[3], 4999);
	assert_int_equal(cg_read_procs(&t, pids, 2), 2); /* capped */
	assert_int_equal(pids[1], 4243);
	cg_close(&t);
	assert_int_equal(cg_open(FIX "/v1-unlimited", &t), 0);
	assert_int_equal(cg_read_procs(&t, pids, 8), 0); /* empty cgroup */
	cg_close(&t);
}

static void test_procs_garbage(void **state)
{
	(void)state;
	struct cg_target t;
	pid_t pids[8];

	assert_int_equal(cg_open(scratch, &t), 0);
	put("cgroup.procs", "12\n34");
	assert_int_equal(cg_read_procs(&t, pids, 8), 2); /* no trailing newline */
	assert_int_equal(pids[1], 34);
	put("cgroup.procs", "12\nabc\n");
	assert_int_equal(cg_read_procs(&t, pids, 8), -EBADMSG);
	put("cgroup.procs", "99999999999\n");
	assert_int_equal(cg_read_procs(&t, pids, 8), -EBADMSG);
	cg_close(&t);
}

static void test_find_memory_mount(void **state)
{
	(void)state;
	char *mnt = NULL;
	enum cg_version v = 0;
	int r = cg_find_memory_mount(&mnt, &v);

	/* Depends on the host: 0 with a mount and a version, or a negative errno. */
	if (r == 0) {
		assert_non_null(mnt);
		assert_true(v == CG_V1 || v == CG_V2);
		print_message("memory controller at %s (v%d)\n", mnt, (int)v);
	} else {
		assert_true(r < 0);
		assert_null(mnt);
	}
	free(mnt);
}

/* The directory's identity; no symlink followed to the directory or to a memory file; a removed
 * directory is said to be gone; writes only to a file of the directory's own filesystem. */
static void test_identity_and_symlinks(void **state)
{
	(void)state;
	char dir[64], cg[96], link[96], path[128], real[128];
	struct cg_target t;
	struct stat st;

	strcpy(dir, "/tmp/memhook-cgid-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cg, sizeof(cg), "%s/cg", dir);
	assert_int_equal(mkdir(cg, 0700), 0);
	static const char *const files[] = { "memory.current", "memory.max", "cgroup.procs" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", cg, files[i]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(i < 2 ? "4096\n" : "", f);
		fclose(f);
	}

	assert_int_equal(cg_open(cg, &t), 0);
	assert_int_equal(stat(cg, &st), 0);
	assert_true(t.dev == st.st_dev && t.ino == st.st_ino);
	assert_int_equal(cg_dir_alive(t.dirfd), 0);
	/* the directory's own file may be written; one of another filesystem (procfs) not */
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(cg_check_write_fd(t.dirfd, fd), 0);
	close(fd);
	fd = open("/proc/self/comm", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(cg_check_write_fd(t.dirfd, fd), -EXDEV);
	close(fd);
	cg_close(&t);

	/* the directory through a symlink */
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink("cg", link), 0);
	assert_int_equal(cg_open(link, &t), -ELOOP);
	assert_int_equal(t.dirfd, -1);
	/* memory.current planted as a symlink to a real file */
	snprintf(real, sizeof(real), "%s/current", dir);
	assert_int_equal(rename(path, real), 0);
	assert_int_equal(symlink(real, path), 0);
	assert_int_equal(cg_open(cg, &t), -ELOOP);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rename(real, path), 0);

	/* removed: the directory fd is gone (its link count 0), a new one at the path is another */
	assert_int_equal(cg_open(cg, &t), 0);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/cg' && mkdir '%s/cg'", dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(cg_dir_alive(t.dirfd), -ENOENT);
	assert_int_equal(stat(cg, &st), 0);
	assert_false(t.dev == st.st_dev && t.ino == st.st_ino); /* held open: the inode is not reused */
	cg_close(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* cgroup v1 without a limit of its own, hier_every 3 (memhook node): the inherited limit read from
 * memory.stat at the first sample and every third after, the last one kept between. */
static void test_v1_inherited_limit_every(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-cghier-XXXXXX", path[300];
	assert_non_null(mkdtemp(dir));
	const char *files[][2] = { { "memory.usage_in_bytes", "1048576\n" },
		                   { "memory.limit_in_bytes", "9223372036854771712\n" },
		                   { "memory.stat", "cache 0\nhierarchical_memory_limit 536870912\n" } };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(files[i][1], f);
		fclose(f);
	}
	struct cg_target t;
	struct sample s;
	assert_int_equal(cg_open(dir, &t), 0);
	t.hier_every = 3;
	assert_int_equal(cg_sample(&t, 0, &s), 0);
	assert_int_equal(s.limit_bytes, 512 * MiB);
	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	FILE *f = fopen(path, "w"); /* the same inode: the fd reads the new text */
	assert_non_null(f);
	fputs("cache 0\nhierarchical_memory_limit 268435456\n", f);
	fclose(f);
	assert_int_equal(cg_sample(&t, 0, &s), 0);
	assert_int_equal(s.limit_bytes, 512 * MiB); /* kept */
	assert_int_equal(cg_sample(&t, 0, &s), 0);
	assert_int_equal(s.limit_bytes, 512 * MiB);
	assert_int_equal(cg_sample(&t, 0, &s), 0);
	assert_int_equal(s.limit_bytes, 256 * MiB); /* the third after: read */
	/* a sample that reads memory.stat anyway (the usage figures) reads the limit with it */
	f = fopen(path, "w");
	fputs("cache 0\nhierarchical_memory_limit 134217728\n", f);
	fclose(f);
	assert_int_equal(cg_sample(&t, CG_SAMPLE_STAT, &s), 0);
	assert_int_equal(s.limit_bytes, 128 * MiB);
	/* every sample: as before */
	t.hier_every = 0;
	f = fopen(path, "w");
	fputs("cache 0\nhierarchical_memory_limit 9223372036854771712\n", f);
	fclose(f);
	assert_int_equal(cg_sample(&t, 0, &s), 0);
	assert_true(s.limit_bytes == CG_UNLIMITED);
	cg_close(&t);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2),
		cmocka_unit_test(test_v2_nested),
		cmocka_unit_test(test_v1),
		cmocka_unit_test(test_v1_inherited_limit_every),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test_setup_teardown(test_unopenable_memory_file, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_limit_zero, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_events_delta, scratch_setup, scratch_teardown),
		cmocka_unit_test_setup_teardown(test_stat, scratch_setup, scratch_teardown),
		cmocka_unit_test(test_read_procs),
		cmocka_unit_test_setup_teardown(test_procs_garbage, scratch_setup, scratch_teardown),
		cmocka_unit_test(test_find_memory_mount),
		cmocka_unit_test(test_identity_and_symlinks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
