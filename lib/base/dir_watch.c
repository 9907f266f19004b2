#include "base/dir_watch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

struct entry {
	char *name;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	uint64_t hash; /* of the content, or 0 past DIR_WATCH_FILE_MAX_BYTES */
	bool seen;     /* in the scan running */
};

struct dir_watch {
	struct loop *loop;
	char *dir;
	int inotify_fd, dir_fd;
	dir_watch_fn fn;
	void *ctx;
	struct entry *entries;
	size_t n;
	bool full_warned;
};

/* FNV-1a 64 of the file's content, read through fd (a regular file). 0 when it is too large. */
static uint64_t content_hash(int fd)
{
	uint64_t h = UINT64_C(14695981039346656037);
	char buf[16384];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		total += (size_t)n;
		if (total > DIR_WATCH_FILE_MAX_BYTES)
			return 0;
		for (ssize_t i = 0; i < n; i++)
			h = (h ^ (unsigned char)buf[i]) * UINT64_C(1099511628211);
	}
	return h ? h : 1;
}

static struct entry *find(struct dir_watch *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->entries[i].name, name) == 0)
			return &w->entries[i];
	return NULL;
}

/* Looks at one name: returns 1 when it is new or changed (its entry updated), 0 when the same,
 * -1 when it is not a regular file to watch (or cannot be read now). */
static int look(struct dir_watch *w, const char *name, bool *ret_new)
{
	/* symlinks followed (a ConfigMap's keys are), FIFOs never waited on */
	_cleanup_close_ int fd = openat(w->dir_fd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	struct entry *e = find(w, name);
	*ret_new = e == NULL;
	if (e) {
		e->seen = true;
		if (e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
		    e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec)
			return 0;
	}
	uint64_t hash = content_hash(fd);
	if (!e) {
		if (w->n == DIR_WATCH_ENTRIES_MAX) {
			if (!w->full_warned)
				log_warn("%s: more than %d files; %s and later ones not watched", w->dir,
				         DIR_WATCH_ENTRIES_MAX, name);
			w->full_warned = true;
			return -1;
		}
		char *copy = strdup(name);
		struct entry *n = copy ? realloc(w->entries, (w->n + 1) * sizeof(*n)) : NULL;
		if (!n) {
			free(copy);
			return -1;
		}
		w->entries = n;
		e = &w->entries[w->n++];
		*e = (struct entry){ .name = copy, .seen = true };
	}
	bool changed = *ret_new || hash != e->hash || hash == 0;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->size = st.st_size;
	e->mtime = st.st_mtim;
	e->hash = hash;
	return changed ? 1 : 0;
}

/* Reads the directory and says what changed (when tell). Returns the number said, or -errno. */
static int scan(struct dir_watch *w, bool tell)
{
	int fd = openat(w->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < w->n; i++)
		w->entries[i].seen = false;
	int said = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		bool is_new = false;
		if (look(w, de->d_name, &is_new) == 1 && tell) {
			log_debug("%s: %s %s", w->dir, de->d_name, is_new ? "appeared" : "changed");
			w->fn(w->ctx, de->d_name, true);
			said++;
		}
	}
	closedir(d);
	for (size_t i = w->n; i-- > 0;) {
		if (w->entries[i].seen)
			continue;
		char *name = w->entries[i].name;
		w->entries[i] = w->entries[--w->n];
		if (tell) {
			log_debug("%s: %s went", w->dir, name);
			w->fn(w->ctx, name, false);
			said++;
		}
		free(name);
	}
	return said;
}

static void on_inotify(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata)
{
	struct dir_watch *w = userdata;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool gone = false;
	/* drain what is queued (a bounded number of reads: the queue is the kernel's, of at most
	 * max_queued_events), then one scan for all of it */
	for (int i = 0; i < 64; i++) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				gone = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (gone) {
		log_warn("%s: the directory went; its files are no longer watched", w->dir);
		loop_del_fd(w->loop, w->inotify_fd);
	}
	int r = scan(w, true);
	if (r < 0 && !gone)
		log_debug("%s: cannot read the directory: %s", w->dir, strerror(-r));
}

int dir_watch_new(struct loop *l, const char *dir, dir_watch_fn fn, void *ctx, struct dir_watch **ret)
{
	struct dir_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct dir_watch){ .loop = l, .fn = fn, .ctx = ctx, .inotify_fd = -1, .dir_fd = -1 };
	int r;
	if (!(w->dir = strdup(dir))) {
		r = -ENOMEM;
		goto fail;
	}
	if ((w->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
		r = -errno;
		goto fail;
	}
	if (inotify_add_watch(w->inotify_fd, dir,
	                      IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
	                              IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR) < 0) {
		r = -errno;
		goto fail;
	}
	if ((r = scan(w, false)) < 0 || (r = loop_add_fd(l, w->inotify_fd, EPOLLIN, on_inotify, w)) < 0)
		goto fail;
	*ret = w;
	return 0;
fail:
	dir_watch_free(w);
	return r;
}

void dir_watch_free(struct dir_watch *w)
{
	if (!w)
		return;
	if (w->inotify_fd >= 0) {
		loop_del_fd(w->loop, w->inotify_fd);
		close(w->inotify_fd);
	}
	if (w->dir_fd >= 0)
		close(w->dir_fd);
	for (size_t i = 0; i < w->n; i++)
		free(w->entries[i].name);
	free(w->entries);
	free(w->dir);
	free(w);
}

int dir_watch_rescan(struct dir_watch *w)
{
	return scan(w, true);
}
