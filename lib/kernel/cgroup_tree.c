#include "kernel/cgroup_tree.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

/* What a watched directory's inotify watch reports: children made, removed, moved. */
#define TREE_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)
/* Reads of the inotify fd per wakeup: a burst of pods is taken over several loop turns. */
#define TREE_READS_PER_WAKEUP 16

/* A directory of ours: the root (rel ""), the top, a QoS level, a pod (watched), or a container. */
struct entry {
	char *rel;
	int wd; /* -1: a container, or a watch the kernel dropped */
	struct pod_cgroup pc;
	bool seen; /* the last rescan found it */
};

struct cgroup_tree {
	struct loop *loop;
	char *root;
	int fd;
	const struct cgroup_tree_ops *ops;
	void *ctx;
	struct entry **entries;
	size_t n, cap;
	size_t n_containers;
	bool rescanning; /* an overflow's walk: known directories are walked again too */
};

static struct entry *find_rel(const struct cgroup_tree *t, const char *rel, size_t *ret_i)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->entries[i]->rel, rel) == 0) {
			if (ret_i)
				*ret_i = i;
			return t->entries[i];
		}
	return NULL;
}

static struct entry *find_wd(const struct cgroup_tree *t, int wd)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->entries[i]->wd == wd)
			return t->entries[i];
	return NULL;
}

/* root/rel into buf. Returns 0 or -ENAMETOOLONG. */
static int full_path(const struct cgroup_tree *t, const char *rel, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s%s", t->root, *rel ? "/" : "", rel);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void report(struct cgroup_tree *t, const struct entry *e, bool added)
{
	char path[PATH_MAX];
	if (full_path(t, e->rel, path, sizeof(path)) < 0)
		return;
	if (added)
		t->ops->added(t->ctx, path, &e->pc);
	else
		t->ops->removed(t->ctx, path, &e->pc);
}

/* Drops entry i (reporting a container's removal). */
static void drop(struct cgroup_tree *t, size_t i)
{
	struct entry *e = t->entries[i];
	if (e->pc.kind == POD_CGROUP_CONTAINER) {
		t->n_containers--;
		report(t, e, false);
	}
	if (e->wd >= 0)
		(void)inotify_rm_watch(t->fd, e->wd); /* gone with its directory already: EINVAL */
	t->entries[i] = t->entries[--t->n];
	free(e->rel);
	free(e);
}

/* Drops rel and everything beneath it, containers first. */
static void drop_subtree(struct cgroup_tree *t, const char *rel)
{
	_cleanup_free_ char *r = strdup(rel);
	if (!r)
		return;
	size_t len = strlen(r);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = t->n; i-- > 0;) {
			struct entry *e = t->entries[i];
			bool under =
			        strncmp(e->rel, r, len) == 0 && (e->rel[len] == '/' || e->rel[len] == '\0');
			if (under && (pass == 1 || e->pc.kind == POD_CGROUP_CONTAINER))
				drop(t, i);
		}
}

static int scan(struct cgroup_tree *t, const char *rel);

/* A directory rel appeared (or a scan found it): a container is reported; a directory of ours gets
 * its watch and is scanned. An entry known already is only marked seen. Returns 0 or -errno. */
static int found(struct cgroup_tree *t, const char *rel)
{
	struct entry *known = find_rel(t, rel, NULL);
	if (known) {
		known->seen = true;
		/* what was made in it while events were lost */
		return t->rescanning && known->pc.kind != POD_CGROUP_CONTAINER ? scan(t, rel) : 0;
	}
	struct pod_cgroup pc;
	if (*rel) {
		pod_cgroup_parse(rel, &pc);
		if (pc.kind == POD_CGROUP_OTHER)
			return 0;
	} else {
		pc = (struct pod_cgroup){ .kind = POD_CGROUP_OTHER, .runtime = "" };
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct entry **es = realloc(t->entries, cap * sizeof(*es));
		if (!es)
			return -ENOMEM;
		t->entries = es;
		t->cap = cap;
	}
	struct entry *e = calloc(1, sizeof(*e));
	if (!e || !(e->rel = strdup(rel))) {
		free(e);
		return -ENOMEM;
	}
	e->pc = pc;
	e->wd = -1;
	e->seen = true;
	if (pc.kind != POD_CGROUP_CONTAINER) {
		char path[PATH_MAX];
		int r = full_path(t, rel, path, sizeof(path));
		if (r == 0 && (e->wd = inotify_add_watch(t->fd, path, TREE_MASK)) < 0)
			r = -errno;
		if (r < 0) {
			free(e->rel);
			free(e);
			/* gone already: its removal would have been the next event */
			return r == -ENOENT ? 0 : r;
		}
	}
	t->entries[t->n++] = e;
	if (pc.kind == POD_CGROUP_CONTAINER) {
		t->n_containers++;
		report(t, e, true);
		return 0;
	}
	return scan(t, rel);
}

/* rel's subdirectories, each found. Returns 0, or -errno for rel itself (a vanished one: 0). */
static int scan(struct cgroup_tree *t, const char *rel)
{
	char path[PATH_MAX];
	int r = full_path(t, rel, path, sizeof(path));
	if (r < 0)
		return r;
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* beneath the root, only a top is ours: the rest is not even parsed */
		if (!*rel && !pod_cgroup_is_top(de->d_name))
			continue;
		char child[PATH_MAX];
		int n = snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		r = found(t, child);
		if (r < 0 && r != -ENOENT)
			log_debug("cgroup tree: %s/%s: %s", path, de->d_name, strerror(-r));
		if (r == -ENOSPC) /* out of inotify watches: said once by the caller */
			break;
	}
	closedir(d);
	return r == -ENOSPC ? r : 0;
}

void cgroup_tree_rescan(struct cgroup_tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		t->entries[i]->seen = false;
	t->entries[0]->seen = true; /* the root */
	t->rescanning = true;
	(void)scan(t, "");
	t->rescanning = false;
	for (size_t i = t->n; i-- > 0;)
		if (i < t->n && !t->entries[i]->seen)
			drop_subtree(t, t->entries[i]->rel);
}

static void on_event(struct cgroup_tree *t, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		log_warn("cgroup tree: inotify queue overflow; walking %s again", t->root);
		cgroup_tree_rescan(t);
		return;
	}
	struct entry *parent = find_wd(t, ev->wd);
	if (!parent)
		return;
	if (ev->mask & IN_IGNORED) { /* its directory went: the parent's IN_DELETE drops it */
		parent->wd = -1;
		return;
	}
	if (!(ev->mask & IN_ISDIR) || !ev->len)
		return;
	char rel[PATH_MAX];
	int n = snprintf(rel, sizeof(rel), "%s%s%s", parent->rel, *parent->rel ? "/" : "", ev->name);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return;
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		if (!*parent->rel && !pod_cgroup_is_top(ev->name))
			return;
		int r = found(t, rel);
		if (r < 0)
			log_warn("cgroup tree: %s/%s: %s", t->root, rel, strerror(-r));
	} else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
		drop_subtree(t, rel);
	}
}

static void on_readable(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata)
{
	struct cgroup_tree *t = userdata;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (int i = 0; i < TREE_READS_PER_WAKEUP; i++) {
		ssize_t len = read(fd, buf, sizeof(buf));
		if (len <= 0)
			return;
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			on_event(t, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

int cgroup_tree_new(struct loop *l, const char *root, const struct cgroup_tree_ops *ops, void *ctx,
                    struct cgroup_tree **ret)
{
	struct cgroup_tree *t = calloc(1, sizeof(*t));
	if (!t || !(t->root = strdup(root))) {
		free(t);
		return -ENOMEM;
	}
	size_t len = strlen(t->root);
	while (len > 1 && t->root[len - 1] == '/')
		t->root[--len] = '\0';
	t->loop = l;
	t->ops = ops;
	t->ctx = ctx;
	t->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->fd < 0) {
		int r = -errno;
		free(t->root);
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

int cgroup_tree_start(struct cgroup_tree *t)
{
	int r = loop_add_fd(t->loop, t->fd, EPOLLIN, on_readable, t);
	if (r < 0)
		return r;
	/* the root's own watch first: a top made during the walk is an event */
	char path[PATH_MAX];
	if ((r = full_path(t, "", path, sizeof(path))) < 0)
		return r;
	if (access(path, F_OK) < 0)
		return -errno;
	return found(t, "");
}

void cgroup_tree_free(struct cgroup_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->entries[i]->rel);
		free(t->entries[i]);
	}
	free(t->entries);
	if (t->fd >= 0) {
		loop_del_fd(t->loop, t->fd);
		close(t->fd); /* drops every watch */
	}
	free(t->root);
	free(t);
}

size_t cgroup_tree_watches(const struct cgroup_tree *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++)
		n += t->entries[i]->wd >= 0;
	return n;
}

size_t cgroup_tree_containers(const struct cgroup_tree *t)
{
	return t->n_containers;
}

int cgroup_tree_find_top(const char *root, char *ret, size_t size)
{
	DIR *d = opendir(root);
	if (!d)
		return -errno;
	struct dirent *de;
	int r = -ENOENT;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && pod_cgroup_is_top(de->d_name)) {
			r = snprintf(ret, size, "%s", de->d_name) < (int)size ? 0 : -ENAMETOOLONG;
			break;
		}
	closedir(d);
	return r;
}
