/* The kubelet's container cgroups under a cgroup root, found once by a walk at start and then kept
 * up to date through inotify: one inotify fd, a watch on the root, on the pods' top, on each QoS
 * level and on each pod directory (a container directory is a leaf: no watch, no fd). A directory
 * created is scanned once when its watch is added (what was made inside it before the watch is not
 * missed); an inotify queue overflow rescans the tree and reports what changed. Nothing is read on
 * a check: the tree costs nothing while no pod comes or goes. */
#pragma once

#include <stddef.h>

#include "kernel/pod_cgroup.h"

struct loop;
struct cgroup_tree;

struct cgroup_tree_ops {
	/* A container cgroup appeared: path is root/rel, pc what its name says. Once per directory
	 * until it is removed. */
	void (*added)(void *ctx, const char *path, const struct pod_cgroup *pc);
	/* It was removed (or its pod's directory was). */
	void (*removed)(void *ctx, const char *path, const struct pod_cgroup *pc);
};

/* A tree of root (a cgroup directory: /sys/fs/cgroup, /sys/fs/cgroup/memory, or a test's root) on
 * l; nothing is read before cgroup_tree_start. Returns 0 or -errno (-ENOMEM, inotify_init1's). */
int cgroup_tree_new(struct loop *l, const char *root, const struct cgroup_tree_ops *ops, void *ctx,
                    struct cgroup_tree **ret);
/* Watches root and walks it once, reporting every container found (ops->added). Returns 0, or
 * -errno for the root (-ENOENT, -ENOSPC: out of inotify watches, ...). */
int cgroup_tree_start(struct cgroup_tree *t);
/* Removes the watches, reports nothing. NULL ok. */
void cgroup_tree_free(struct cgroup_tree *t);

/* Walks the tree again now and reports what changed, as an inotify queue overflow does (for a
 * caller that knows better than inotify, and tests). */
void cgroup_tree_rescan(struct cgroup_tree *t);

/* Directories watched (inotify watches held) and containers known. */
size_t cgroup_tree_watches(const struct cgroup_tree *t);
size_t cgroup_tree_containers(const struct cgroup_tree *t);

/* The first directory beneath root that is a kubelet's top (pod_cgroup_is_top: kubepods.slice,
 * kubepods, ...), its name into ret. Returns 0, -ENOENT when none, or opendir's -errno. */
int cgroup_tree_find_top(const char *root, char *ret, size_t size);
