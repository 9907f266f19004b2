/* util: opening a path without following a symlink anywhere in it, through openat2 and through the
 * per-component fallback of kernels without it. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"

/* A tree in a temporary directory: real/cg (a directory with a file f), link -> real,
 * real/cglink -> cg, real/cg/flink -> f. */
struct tree {
	char dir[64];
	char real[PATH_MAX];
};

static void tree_make(struct tree *t)
{
	char p[PATH_MAX];
	snprintf(t->dir, sizeof(t->dir), "/tmp/memhook-util-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->real, sizeof(t->real), "%s/real", t->dir);
	assert_int_equal(mkdir(t->real, 0700), 0);
	snprintf(p, sizeof(p), "%s/real/cg", t->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/real/cg/f", t->dir);
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/link", t->dir);
	assert_int_equal(symlink("real", p), 0);
	snprintf(p, sizeof(p), "%s/real/cglink", t->dir);
	assert_int_equal(symlink("cg", p), 0);
	snprintf(p, sizeof(p), "%s/real/cg/flink", t->dir);
	assert_int_equal(symlink("f", p), 0);
}

static void tree_remove(struct tree *t)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	assert_int_equal(system(cmd), 0);
}

typedef int (*open_fn)(int, const char *, int);

/* Both ways: the same answer for every path of the table. */
static void check_table(open_fn fn)
{
	struct tree t;
	char p[PATH_MAX];
	tree_make(&t);
	static const struct {
		const char *rel; /* under the tree */
		int flags;
		int want; /* 0: opens */
	} rows[] = {
		{ "real/cg", O_RDONLY | O_DIRECTORY, 0 },
		{ "real/cg/", O_RDONLY | O_DIRECTORY, 0 },
		{ "real//cg/f", O_RDONLY, 0 },
		{ "real/cg/../cg/f", O_RDONLY, 0 },
		{ "link/cg", O_RDONLY | O_DIRECTORY, -ELOOP },     /* a symlink on the way */
		{ "real/cglink", O_RDONLY | O_DIRECTORY, -ELOOP }, /* the last component */
		{ "real/cglink/f", O_RDONLY, -ELOOP },             /* one before the last */
		{ "real/cg/flink", O_WRONLY, -ELOOP },             /* a file planted as a link */
		{ "real/nope/f", O_RDONLY, -ENOENT },
		{ "real/cg/f/x", O_RDONLY, -ENOTDIR },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", t.dir, rows[i].rel);
		int fd = fn(AT_FDCWD, p, rows[i].flags);
		if (fd >= 0)
			close(fd);
		if ((rows[i].want == 0 && fd < 0) || (rows[i].want < 0 && fd != rows[i].want))
			fail_msg("%s: got %d, want %d", rows[i].rel, fd, rows[i].want);
	}
	/* relative to a directory fd */
	int dfd = open(t.real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	int fd = fn(dfd, "cg/f", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fn(dfd, "cglink/f", O_RDONLY), -ELOOP);
	/* O_CLOEXEC is always added */
	fd = fn(dfd, "cg", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(dfd);
	assert_int_equal(fn(AT_FDCWD, "", O_RDONLY), -ENOENT);
	tree_remove(&t);
}

static void test_open_nofollow_at(void **state)
{
	(void)state;
	check_table(open_nofollow_at);
}

static void test_open_nofollow_walk(void **state)
{
	(void)state;
	check_table(open_nofollow_walk);
	/* an absolute path from the root, component by component */
	int fd = open_nofollow_walk(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_nofollow_at),
		cmocka_unit_test(test_open_nofollow_walk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
