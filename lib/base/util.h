/* Small shared helpers: cleanup attributes, ownership transfer, clocks. */
#pragma once

#include <errno.h>
#include <limits.h> /* PATH_MAX */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC  UINT64_C(1000000)
#define NSEC_PER_USEC UINT64_C(1000)

static inline void freep(void *p)
{
	free(*(void **)p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_(f)    __attribute__((cleanup(f)))
#define _cleanup_free_  _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _unused_        __attribute__((unused))
#define _printf_(a, b)  __attribute__((format(printf, a, b)))
#define _noinline_      __attribute__((noinline))

/* Hands ownership on: returns the pointer and clears the variable. */
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _p = (p); \
		(p) = NULL;             \
		_p;                     \
	})
#define TAKE_FD(fd)             \
	({                      \
		int _fd = (fd); \
		(fd) = -1;      \
		_fd;            \
	})

/* The struct of type holding member at ptr. */
#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* A doubly linked list threaded through the items' prev and next fields (named, so one item can be on
 * two lists), with its ends in head and tail. LIST_APPEND puts item last; LIST_REMOVE takes it out
 * and clears its links. */
#define LIST_APPEND(head, tail, item, prev, next) \
	do {                                      \
		(item)->prev = (tail);            \
		(item)->next = NULL;              \
		if (tail)                         \
			(tail)->next = (item);    \
		else                              \
			(head) = (item);          \
		(tail) = (item);                  \
	} while (0)
/* LIST_UNLINK takes item out of a list that keeps no tail (and is LIST_REMOVE but for the tail). */
#define LIST_UNLINK(head, item, prev, next)                \
	do {                                               \
		if ((item)->prev)                          \
			(item)->prev->next = (item)->next; \
		else                                       \
			(head) = (item)->next;             \
		if ((item)->next)                          \
			(item)->next->prev = (item)->prev; \
		(item)->prev = (item)->next = NULL;        \
	} while (0)
#define LIST_REMOVE(head, tail, item, prev, next)    \
	do {                                         \
		if (!(item)->next)                   \
			(tail) = (item)->prev;       \
		LIST_UNLINK(head, item, prev, next); \
	} while (0)

/* Frees a NULL-terminated array of strings and the strings; accepts NULL. */
void strv_free(char **v);
/* A copy of a NULL-terminated array of strings; NULL on allocation failure. */
char **strv_dup(char *const *v);
static inline void strv_freep(char ***v)
{
	strv_free(*v);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* cJSON_Delete for __attribute__((cleanup)); accepts a NULL tree. */
struct cJSON;
void cjson_deletep(struct cJSON **j);
#define _cleanup_cjson_ _cleanup_(cjson_deletep)

/* pidfd_open(2) (Linux 5.3): an fd that refers to pid's process, readable once it has exited.
 * Returns the fd, or -1 with errno (ESRCH: no such process; ENOSYS: an older kernel). */
static inline int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}
/* pidfd_send_signal(2) (Linux 5.1): signo to the process of pidfd, never to a later holder of its
 * pid. Returns 0, or -1 with errno (ESRCH: it has exited). */
static inline int sys_pidfd_send_signal(int pidfd, int signo)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, signo, NULL, 0);
}

/* CLOCK_MONOTONIC and CLOCK_REALTIME in microseconds. */
uint64_t now_mono_usec(void);
uint64_t now_real_usec(void);

/* A CLOCK_REALTIME time as RFC 3339 UTC with milliseconds: "2026-11-25T21:11:00.123Z" (24
 * characters and the NUL). Returns 0, or -EINVAL when it does not fit in size. */
int format_rfc3339_usec(uint64_t real_usec, char *buf, size_t size);

/* Reads a whole small file under dirfd into buf (NUL-terminated, at most size-1 bytes).
 * Returns the length, or -errno (-EFBIG when it did not fit). */
ssize_t read_small_file_at(int dirfd, const char *name, char *buf, size_t size);

/* Opens path (absolute, or relative to at_fd) without following a symlink in any of its
 * components: openat2() with RESOLVE_NO_SYMLINKS (Linux 5.6; it also refuses /proc's magic links),
 * else one openat(O_NOFOLLOW) per component. flags as openat's (O_CLOEXEC is added). Returns the
 * fd, or -errno (-ELOOP: a symlink on the way; -ENOENT, -ENOTDIR as openat). */
int open_nofollow_at(int at_fd, const char *path, int flags);
/* open_nofollow_at's fallback without openat2, component by component (tested on its own). */
int open_nofollow_walk(int at_fd, const char *path, int flags);

/* Reads the regular file path into buf (NUL-terminated, at most size-1 bytes), opened O_NONBLOCK
 * so a FIFO there never holds the loop. ret_st (or NULL): its fstat. Returns the length, -EBADFD
 * (not a regular file), -EFBIG (did not fit) or -errno. */
struct stat;
ssize_t read_regular_file(const char *path, char *buf, size_t size, struct stat *ret_st);

/* pread()s an open fd from offset 0 into buf (NUL-terminated); a short read ends it (files, not
 * pipes). Returns the length, -EFBIG when it did not fit, or -errno. */
ssize_t pread_all(int fd, char *buf, size_t size);

/* Creates a new temporary file beside path: "<dir>/.<name>.XXXXXX", made with O_CREAT|O_EXCL
 * (mkostemp), so a link or file someone planted there is never opened; rename() it over path.
 * Returns the fd (mode 0644, O_CLOEXEC) with its name in tmp,
 * or -errno. */
int open_temp_beside(const char *path, char tmp[static PATH_MAX]);

/* One function of a library loaded with dlopen: its symbol and where its pointer goes in the
 * struct of the library's functions. */
struct dl_symbol {
	const char *name;
	size_t offset;
};
/* dlopen()s soname (RTLD_NOW | RTLD_LOCAL) and stores each of syms' n functions in api at its
 * offset. label names the library in the error ("cannot load <label>: ..."). Returns 0 with the
 * handle in ret_handle, or -ENOPKG with the reason in err and nothing loaded. */
int dl_load_symbols(const char *soname, const char *label, const struct dl_symbol *syms, size_t n, void *api,
                    void **ret_handle, char *err, size_t err_size);
