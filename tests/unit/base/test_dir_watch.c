/* dir_watch on a real loop: a ConfigMap's update as kubelet's atomic writer makes it (a new
 * timestamped directory, "..data" swapped by a rename, keys as symlinks through it) says only the
 * key whose content changed, a key added and a key removed; a plain file rewritten in place; a
 * FIFO and hidden names passed over; the files at the start are the baseline. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dir_watch.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

struct said {
	char lines[32][80];
	size_t n;
};

static void on_change(void *ctx, const char *name, bool present)
{
	struct said *s = ctx;
	if (s->n < 32)
		snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s", present ? "+" : "-", name);
}

static char root[] = "/tmp/memhook-dirwatch-XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_at(const char *target, const char *rel)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

static void rename_at(const char *from, const char *to)
{
	char a[256], b[256];
	snprintf(a, sizeof(a), "%s/%s", root, from);
	snprintf(b, sizeof(b), "%s/%s", root, to);
	assert_int_equal(rename(a, b), 0);
}

/* Iterates the loop until n lines were said (or a deadline), then a little more for stragglers. */
static void wait_said(struct loop *l, struct said *s, size_t n)
{
	uint64_t end = now_mono_usec() + 5 * USEC_PER_SEC;
	while (s->n < n && now_mono_usec() < end)
		assert_true(loop_iterate(l, 50000) >= 0);
	loop_iterate(l, 50000);
	assert_int_equal(s->n, n);
}

static void test_configmap_and_plain_files(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(root));
	char p[256];
	/* a ConfigMap volume with keys java.json and go.json, and a plain file */
	snprintf(p, sizeof(p), "%s/..2026_12_06_10_00_00.1", root);
	assert_int_equal(mkdir(p, 0755), 0);
	put("..2026_12_06_10_00_00.1/java.json", "{\"levels\": []}");
	put("..2026_12_06_10_00_00.1/go.json", "{\"a\": 1}");
	link_at("..2026_12_06_10_00_00.1", "..data");
	link_at("..data/java.json", "java.json");
	link_at("..data/go.json", "go.json");
	put("plain", "x");
	snprintf(p, sizeof(p), "%s/fifo", root);
	assert_int_equal(mkfifo(p, 0600), 0);

	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct said s = { .n = 0 };
	struct dir_watch *w;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	assert_int_equal(dir_watch_new(l, root, on_change, &s, &w), 0);
	assert_int_equal(loop_iterate(l, 10000), 0); /* the baseline: nothing said */
	assert_int_equal(s.n, 0);

	/* kubelet's update: go.json changes, java.json is rewritten the same, rust.json is added */
	snprintf(p, sizeof(p), "%s/..2026_12_06_10_05_00.2", root);
	assert_int_equal(mkdir(p, 0755), 0);
	put("..2026_12_06_10_05_00.2/java.json", "{\"levels\": []}");
	put("..2026_12_06_10_05_00.2/go.json", "{\"a\": 2}");
	put("..2026_12_06_10_05_00.2/rust.json", "{}");
	link_at("..2026_12_06_10_05_00.2", "..data_tmp");
	rename_at("..data_tmp", "..data");
	link_at("..data/rust.json", "rust.json");
	wait_said(l, &s, 2);
	assert_true((strcmp(s.lines[0], "+ go.json") == 0 && strcmp(s.lines[1], "+ rust.json") == 0) ||
	            (strcmp(s.lines[1], "+ go.json") == 0 && strcmp(s.lines[0], "+ rust.json") == 0));

	/* a key removed */
	s.n = 0;
	snprintf(p, sizeof(p), "%s/go.json", root);
	assert_int_equal(unlink(p), 0);
	wait_said(l, &s, 1);
	assert_string_equal(s.lines[0], "- go.json");

	/* a plain file rewritten in place; a hidden file passed over */
	s.n = 0;
	put(".hidden", "y");
	put("plain", "xyz");
	wait_said(l, &s, 1);
	assert_string_equal(s.lines[0], "+ plain");
	/* nothing changed: a rescan says nothing */
	assert_int_equal(dir_watch_rescan(w), 0);

	dir_watch_free(w);
	loop_free(l);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

static void test_missing_dir(void **state)
{
	(void)state;
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct dir_watch *w = NULL;
	assert_int_equal(dir_watch_new(l, "/nonexistent/policies", on_change, NULL, &w), -ENOENT);
	assert_int_equal(dir_watch_new(l, "/dev/null", on_change, NULL, &w), -ENOTDIR);
	assert_null(w);
	dir_watch_free(NULL);
	loop_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_configmap_and_plain_files),
		cmocka_unit_test(test_missing_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
