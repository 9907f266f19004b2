/* A directory's files watched with inotify on the loop, said by name when one appears, changes or
 * goes: made for a mounted ConfigMap (`memhook node --policy-dir`), whose kubelet swaps a "..data"
 * symlink to a new timestamped directory on each update, every key a symlink through it, but as
 * good for a plain directory edited in place.
 *
 * What counts is each file's content: every inotify wakeup (all its events drained at once) reads
 * the directory again and compares each file's stat and, when its stat moved, a hash of its
 * content; a ConfigMap update that rewrites every key but changes one says that one. Names
 * starting with '.' (kubelet's own) and what is not a regular file once symlinks are followed are
 * passed over; at most DIR_WATCH_ENTRIES_MAX names, files hashed up to DIR_WATCH_FILE_MAX_BYTES. */
#pragma once

#include <stdbool.h>

struct loop;
struct dir_watch;

/* name: a file of the directory; present: false when it went. */
typedef void (*dir_watch_fn)(void *ctx, const char *name, bool present);

/* Watches dir (its files now are the baseline: nothing is said of them). Returns 0, or -errno
 * (-ENOENT, -ENOTDIR; inotify's -EMFILE, -ENOSPC). */
int dir_watch_new(struct loop *l, const char *dir, dir_watch_fn fn, void *ctx, struct dir_watch **ret);
/* NULL ok. Not from its callback. */
void dir_watch_free(struct dir_watch *w);

/* Reads the directory again now, as a wakeup does (for a caller that knows better than inotify).
 * Returns the number of names said, or -errno. */
int dir_watch_rescan(struct dir_watch *w);
