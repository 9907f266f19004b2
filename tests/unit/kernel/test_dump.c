/* dump_memory: the breakdown of the committed fixture trees (run from tests/unit), and of a scratch
 * tree whose /proc status files are odd (no VmRSS, garbage, overflow, a long name). */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/cgroup.h"
#include "kernel/dump.h"

#define FIX "../fixtures"

static char *dump_to_string(const char *dir, int *ret)
{
	struct cg_target t;
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	assert_non_null(f);
	assert_int_equal(cg_open(dir, &t), 0);
	*ret = dump_memory(&t, FIX "/proc", f);
	fclose(f);
	cg_close(&t);
	return text;
}

/* Position of needle in hay; fails the test when absent. */
static size_t pos(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);
	if (!p)
		print_error("missing \"%s\" in:\n%s\n", needle, hay);
	assert_non_null(p);
	return (size_t)(p - hay);
}

static void test_dump_v2(void **state)
{
	(void)state;
	int r;
	char *text = dump_to_string(FIX "/v2", &r);

	assert_int_equal(r, 0);
	/* byte categories, largest first: anon 80 MiB before file 12 MiB before kernel 8 MiB */
	assert_true(pos(text, "anon ") < pos(text, "file "));
	assert_true(pos(text, "file ") < pos(text, "kernel "));
	pos(text, "80Mi");
	assert_null(strstr(text, "pgfault")); /* an event counter, not a size */
	assert_null(strstr(text, "workingset"));
	/* processes by RSS: java (80 MiB) before worker (16 MiB) before the kernel thread (0);
	 * 4999 has no proc entry (exited) and is skipped */
	assert_true(pos(text, " java") < pos(text, " worker"));
	assert_true(pos(text, " worker") < pos(text, " kworker/0:1"));
	pos(text, "4242");
	assert_null(strstr(text, "4999"));
	pos(text, "processes by RSS (3)");
	pos(text, "usage: current 100Mi, working_set 96Mi (current - inactive_file 4Mi), anon 80Mi\n");
	free(text);
}

static void test_dump_v1(void **state)
{
	(void)state;
	int r;
	char *text = dump_to_string(FIX "/v1", &r);

	assert_int_equal(r, 0);
	/* total_cache (24 KiB with a child's pages) is used, not cache (16 KiB) */
	pos(text, "24Ki");
	assert_true(pos(text, "rss ") < pos(text, "inactive_anon"));
	assert_null(strstr(text, "hierarchical"));
	assert_null(strstr(text, "pgpgin"));
	free(text);
}

/* ---- a scratch cgroup and /proc ---- */

static void put(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A process PID under proc with the status text. */
static void put_status(const char *proc, int pid, const char *status)
{
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/%d", proc, pid);
	assert_int_equal(mkdir(dir, 0755), 0);
	put(dir, "status", status);
}

struct scratch {
	char root[64], cg[96], proc[96];
};

static void scratch_make(struct scratch *s)
{
	strcpy(s->root, "/tmp/memhook-dump-XXXXXX");
	assert_non_null(mkdtemp(s->root));
	snprintf(s->cg, sizeof(s->cg), "%s/cg", s->root);
	snprintf(s->proc, sizeof(s->proc), "%s/proc", s->root);
	assert_int_equal(mkdir(s->cg, 0755), 0);
	assert_int_equal(mkdir(s->proc, 0755), 0);
	put(s->cg, "memory.current", "1048576\n");
	put(s->cg, "memory.max", "max\n");
	put(s->cg, "memory.stat", "anon 524288\nfile 4096\ninactive_file 4096\npgfault 99\n");
	put(s->cg, "cgroup.procs", "");
}

static void scratch_remove(const struct scratch *s)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->root);
	assert_int_equal(system(cmd), 0);
}

static char *dump_scratch(const struct scratch *s, int *ret)
{
	struct cg_target t;
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);
	assert_non_null(f);
	assert_int_equal(cg_open(s->cg, &t), 0);
	*ret = dump_memory(&t, s->proc, f);
	fclose(f);
	cg_close(&t);
	return text;
}

/* What a process's status says: no VmRSS (a kernel thread), garbage or an overflowing VmRSS are
 * 0; no Name is "?"; a name longer than the column is cut; equal RSS in pid order. */
static void test_dump_odd_status(void **state)
{
	(void)state;
	struct scratch s;
	scratch_make(&s);
	put(s.cg, "cgroup.procs", "10\n11\n12\n13\n14\n15\n16\n");
	put_status(s.proc, 10, "Name:\tbig\nVmRSS:\t   2048 kB\n");
	put_status(s.proc, 11, "Name:\tkthread\nState:\tS\n");
	put_status(s.proc, 12, "Name:\tgarbage\nVmRSS:\tlots kB\n");
	put_status(s.proc, 13, "Name:\toverflow\nVmRSS:\t18014398509481984 kB\n");
	put_status(s.proc, 14, "State:\tS\nVmRSS:\t1024 kB\n");
	put_status(s.proc, 15,
	           "Name:\t"
	           "a-name-of-seventy-characters-is-longer-than-the-sixty-four-of-the-column\n"
	           "VmRSS:\t1024 kB\n");
	/* 16 has no status (exited): skipped */
	int r;
	char *text = dump_scratch(&s, &r);
	assert_int_equal(r, 0);
	pos(text, "processes by RSS (6)");
	assert_null(strstr(text, "      16 "));
	pos(text, "      10        2Mi  big\n");
	pos(text, "      11          0  kthread\n");
	pos(text, "      12          0  garbage\n");
	pos(text, "      13          0  overflow\n");
	pos(text, "      14        1Mi  ?\n");
	/* 63 characters of the name, the last of the buffer for its NUL */
	pos(text, "      15        1Mi  a-name-of-seventy-characters-is-longer-than-the-sixty-four-of-t\n");
	/* largest first, equal RSS by pid */
	assert_true(pos(text, " big") < pos(text, "      14 "));
	assert_true(pos(text, "      14 ") < pos(text, "      15 "));
	assert_true(pos(text, "      15 ") < pos(text, " kthread"));
	assert_true(pos(text, " kthread") < pos(text, " garbage"));
	assert_true(pos(text, " garbage") < pos(text, " overflow"));
	/* memory.stat: sizes only, largest first; the usage line from the same read */
	assert_true(pos(text, "anon ") < pos(text, "file "));
	assert_null(strstr(text, "pgfault"));
	pos(text, "memory.stat of ");
	pos(text, "(cgroup v2), largest first:\n");
	pos(text, "usage: current 1Mi, working_set 1020Ki (current - inactive_file 4Ki), anon 512Ki\n");
	free(text);
	scratch_remove(&s);
}

/* A breakdown that cannot be read says why: garbage in memory.stat, no memory.stat, no proc root,
 * garbage in cgroup.procs; an unreadable usage only leaves its line out. */
static void test_dump_errors(void **state)
{
	(void)state;
	struct scratch s;
	scratch_make(&s);
	int r;
	char *text;

	put(s.cg, "memory.stat", "anon many\n");
	free(dump_scratch(&s, &r));
	assert_int_equal(r, -EBADMSG);

	put(s.cg, "memory.stat", "anon 524288\n");
	put(s.cg, "memory.current", "junk\n");
	text = dump_scratch(&s, &r);
	assert_int_equal(r, 0);
	assert_null(strstr(text, "usage:"));
	pos(text, "processes by RSS (0)");
	free(text);
	put(s.cg, "memory.current", "1048576\n");

	put(s.cg, "cgroup.procs", "12\nabc\n");
	free(dump_scratch(&s, &r));
	assert_int_equal(r, -EBADMSG);
	put(s.cg, "cgroup.procs", "");

	assert_int_equal(rmdir(s.proc), 0);
	free(dump_scratch(&s, &r));
	assert_int_equal(r, -ENOENT);

	char path[160];
	snprintf(path, sizeof(path), "%s/memory.stat", s.cg);
	assert_int_equal(unlink(path), 0);
	free(dump_scratch(&s, &r));
	assert_int_equal(r, -ENOENT);

	/* no target, a closed one, nowhere to write */
	struct cg_target t;
	assert_int_equal(dump_memory(NULL, s.proc, stdout), -EINVAL);
	assert_int_equal(cg_open(s.cg, &t), 0);
	assert_int_equal(dump_memory(&t, s.proc, NULL), -EINVAL);
	cg_close(&t);
	assert_int_equal(dump_memory(&t, s.proc, stdout), -EINVAL);
	scratch_remove(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_v2),
		cmocka_unit_test(test_dump_v1),
		cmocka_unit_test(test_dump_odd_status),
		cmocka_unit_test(test_dump_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
