/* The kubelet's container cgroups (lib/kernel/cgroup_tree.c) on a directory tree made here: the walk
 * at start, directories made and removed while the loop runs (inotify), a pod made with its
 * container before the watch on it came, what is not the kubelet's ignored, the root's top looked
 * for. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/util.h"
#include "kernel/cgroup_tree.h"

#define CID1 "c100000000000000000000000000000000000000000000000000000000000001"
#define CID2 "c200000000000000000000000000000000000000000000000000000000000002"
#define CID3 "c300000000000000000000000000000000000000000000000000000000000003"

/* What the tree reported: one line a call, "+ UID CID" or "- UID CID". */
struct seen {
	char lines[32][160];
	size_t n;
};

static void on_added(void *ctx, const char *path, const struct pod_cgroup *pc)
{
	struct seen *s = ctx;
	assert_true(s->n < 32);
	assert_non_null(strstr(path, pc->container_id));
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "+ %s %.3s %s", pc->pod_uid, pc->container_id,
	         pod_qos_name(pc->qos));
}

static void on_removed(void *ctx, const char *path, const struct pod_cgroup *pc)
{
	struct seen *s = ctx;
	assert_true(s->n < 32);
	assert_non_null(strstr(path, pc->container_id));
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "- %s %.3s", pc->pod_uid, pc->container_id);
}

static const struct cgroup_tree_ops ops = { on_added, on_removed };

static void mkdirs(const char *root, const char *rel)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static void rmdirs(const char *root, const char *rel)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/%s'", root, rel);
	assert_int_equal(system(cmd), 0);
}

static bool has(const struct seen *s, const char *line)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->lines[i], line) == 0)
			return true;
	return false;
}

/* Runs l until line was reported (5 s at most). */
static void wait_line(struct loop *l, const struct seen *s, const char *line)
{
	for (int i = 0; i < 500 && !has(s, line); i++)
		loop_iterate(l, 10 * USEC_PER_MSEC);
	if (!has(s, line))
		fail_msg("never reported: %s", line);
}

static void test_walk_and_events(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-tree-XXXXXX";
	assert_non_null(mkdtemp(root));
	mkdirs(root, "kubepods/burstable/pod1111-2222/" CID1);
	mkdirs(root, "kubepods/pod3333/" CID2);
	mkdirs(root, "kubepods/pod3333/not-a-container");
	mkdirs(root, "system.slice/kubepods/pod9999/" CID3); /* a top only at the root */
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct seen s = { 0 };
	struct cgroup_tree *t;
	assert_int_equal(cgroup_tree_new(l, root, &ops, &s, &t), 0);
	assert_int_equal(cgroup_tree_start(t), 0);
	assert_int_equal(s.n, 2);
	assert_true(has(&s, "+ 1111-2222 c10 burstable"));
	assert_true(has(&s, "+ 3333 c20 guaranteed"));
	assert_int_equal(cgroup_tree_containers(t), 2);
	/* root, kubepods, burstable, pod1111-2222, pod3333 */
	assert_int_equal(cgroup_tree_watches(t), 5);

	/* a new pod with its container, made at once (the pod's watch comes after the container) */
	mkdirs(root, "kubepods/besteffort/pod4444/" CID3);
	wait_line(l, &s, "+ 4444 c30 besteffort");
	/* a container of the same pod again: once */
	mkdirs(root, "kubepods/besteffort/pod4444/" CID1);
	wait_line(l, &s, "+ 4444 c10 besteffort");
	assert_int_equal(cgroup_tree_containers(t), 4);

	/* a container removed; then a whole pod (its containers reported gone) */
	rmdirs(root, "kubepods/burstable/pod1111-2222/" CID1);
	wait_line(l, &s, "- 1111-2222 c10");
	rmdirs(root, "kubepods/besteffort/pod4444");
	wait_line(l, &s, "- 4444 c30");
	wait_line(l, &s, "- 4444 c10");
	assert_int_equal(cgroup_tree_containers(t), 1);

	/* moved in and out count as made and removed */
	char from[256], to[256];
	snprintf(from, sizeof(from), "%s/kubepods/pod3333/" CID2, root);
	snprintf(to, sizeof(to), "%s/kubepods/pod3333/x", root);
	assert_int_equal(rename(from, to), 0);
	wait_line(l, &s, "- 3333 c20");
	assert_int_equal(cgroup_tree_containers(t), 0);
	assert_int_equal(rename(to, from), 0);
	size_t n_before = s.n;
	for (int i = 0; i < 500 && s.n == n_before; i++)
		loop_iterate(l, 10 * USEC_PER_MSEC);
	assert_string_equal(s.lines[n_before], "+ 3333 c20 guaranteed");
	assert_int_equal(cgroup_tree_containers(t), 1);

	/* the whole top removed and made again */
	size_t before = s.n;
	rmdirs(root, "kubepods");
	for (int i = 0; i < 500 && cgroup_tree_containers(t); i++)
		loop_iterate(l, 10 * USEC_PER_MSEC);
	assert_int_equal(cgroup_tree_containers(t), 0);
	assert_true(s.n == before + 1);
	assert_string_equal(s.lines[before], "- 3333 c20");
	assert_int_equal(cgroup_tree_watches(t), 1); /* the root */
	mkdirs(root, "kubepods/burstable/pod5555/" CID1);
	wait_line(l, &s, "+ 5555 c10 burstable");

	/* files and other names are not directories of ours */
	char file[256];
	snprintf(file, sizeof(file), "%s/kubepods/burstable/pod5555/" CID2, root);
	FILE *f = fopen(file, "we");
	assert_non_null(f);
	fclose(f);
	mkdirs(root, "kubepods/burstable/pod5555/crio-conmon-" CID3);
	for (int i = 0; i < 20; i++)
		loop_iterate(l, 5 * USEC_PER_MSEC);
	assert_int_equal(cgroup_tree_containers(t), 1);

	cgroup_tree_free(t);
	cgroup_tree_free(NULL);
	loop_free(l);
	rmdirs(root, "");
}

/* A walk again (an overflow's): what came and went meanwhile is reported, once, without the loop;
 * the events still queued for it change nothing after. */
static void test_rescan(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-tree-XXXXXX";
	assert_non_null(mkdtemp(root));
	mkdirs(root, "kubepods/burstable/pod1111/" CID1);
	mkdirs(root, "kubepods/burstable/pod2222/" CID2);
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct seen s = { 0 };
	struct cgroup_tree *t;
	assert_int_equal(cgroup_tree_new(l, root, &ops, &s, &t), 0);
	assert_int_equal(cgroup_tree_start(t), 0);
	assert_int_equal(s.n, 2);
	/* a container in a known pod, a new pod with one, a container gone, a pod gone */
	mkdirs(root, "kubepods/burstable/pod1111/" CID3);
	mkdirs(root, "kubepods/besteffort/pod3333/" CID1);
	rmdirs(root, "kubepods/burstable/pod1111/" CID1);
	rmdirs(root, "kubepods/burstable/pod2222");
	cgroup_tree_rescan(t);
	assert_int_equal(s.n, 6);
	assert_true(has(&s, "+ 1111 c30 burstable"));
	assert_true(has(&s, "+ 3333 c10 besteffort"));
	assert_true(has(&s, "- 1111 c10"));
	assert_true(has(&s, "- 2222 c20"));
	assert_int_equal(cgroup_tree_containers(t), 2);
	/* the queued events: nothing new */
	for (int i = 0; i < 20; i++)
		loop_iterate(l, 5 * USEC_PER_MSEC);
	assert_int_equal(s.n, 6);
	assert_int_equal(cgroup_tree_containers(t), 2);
	cgroup_tree_free(t);
	loop_free(l);
	rmdirs(root, "");
}

static void test_root(void **state)
{
	(void)state;
	char root[] = "/tmp/memhook-tree-XXXXXX";
	assert_non_null(mkdtemp(root));
	struct loop *l;
	assert_int_equal(loop_new(&l), 0);
	struct seen s = { 0 };
	struct cgroup_tree *t;
	char missing[300], top[64];
	snprintf(missing, sizeof(missing), "%s/missing", root);
	assert_int_equal(cgroup_tree_new(l, missing, &ops, &s, &t), 0);
	assert_int_equal(cgroup_tree_start(t), -ENOENT);
	cgroup_tree_free(t);
	/* a trailing slash is the same root */
	char slash[300];
	snprintf(slash, sizeof(slash), "%s/", root);
	assert_int_equal(cgroup_tree_new(l, slash, &ops, &s, &t), 0);
	assert_int_equal(cgroup_tree_start(t), 0);
	mkdirs(root, "kubepods.slice/kubepods-pod12_34.slice/cri-containerd-" CID1 ".scope");
	wait_line(l, &s, "+ 12-34 c10 guaranteed");
	cgroup_tree_free(t);
	/* the top looked for */
	assert_int_equal(cgroup_tree_find_top(root, top, sizeof(top)), 0);
	assert_string_equal(top, "kubepods.slice");
	assert_int_equal(cgroup_tree_find_top(missing, top, sizeof(top)), -ENOENT);
	char empty[300];
	snprintf(empty, sizeof(empty), "%s/kubepods.slice/kubepods-pod12_34.slice", root);
	assert_int_equal(cgroup_tree_find_top(empty, top, sizeof(top)), -ENOENT);
	assert_int_equal(cgroup_tree_find_top(root, top, 4), -ENAMETOOLONG);
	loop_free(l);
	rmdirs(root, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_and_events),
		cmocka_unit_test(test_rescan),
		cmocka_unit_test(test_root),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
