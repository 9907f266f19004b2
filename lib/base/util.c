#include "base/util.h"

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

char **strv_dup(char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	char **d = calloc(n + 1, sizeof(char *));
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(d[i] = strdup(v[i]))) {
			strv_free(d);
			return NULL;
		}
	return d;
}

void cjson_deletep(cJSON **j)
{
	if (*j)
		cJSON_Delete(*j);
}

static uint64_t clock_usec(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / NSEC_PER_USEC;
}

uint64_t now_mono_usec(void)
{
	return clock_usec(CLOCK_MONOTONIC);
}
uint64_t now_real_usec(void)
{
	return clock_usec(CLOCK_REALTIME);
}

int format_rfc3339_usec(uint64_t real_usec, char *buf, size_t size)
{
	time_t sec = (time_t)(real_usec / USEC_PER_SEC);
	struct tm tm;

	if (!buf || !gmtime_r(&sec, &tm))
		return -EINVAL;
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	if (n == 0)
		return -EINVAL;
	int m = snprintf(buf + n, size - n, ".%03uZ", (unsigned)(real_usec % USEC_PER_SEC / USEC_PER_MSEC));
	if (m < 0 || (size_t)m >= size - n)
		return -EINVAL;
	return 0;
}

ssize_t pread_all(int fd, char *buf, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return -EINVAL;
	for (;;) {
		size_t want = size - 1 - len;
		ssize_t n = pread(fd, buf + len, want, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len += (size_t)n;
		/* A short read is the end of a regular, proc or cgroup file: no second syscall to
		 * see 0 (this is the per-check path). */
		if (n == 0 || (size_t)n < want)
			break;
		if (len == size - 1) {
			char extra;
			n = pread(fd, &extra, 1, (off_t)len);
			if (n > 0)
				return -EFBIG;
			break;
		}
	}
	buf[len] = '\0';
	return (ssize_t)len;
}

ssize_t read_regular_file(const char *path, char *buf, size_t size, struct stat *ret_st)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	ssize_t n = pread_all(fd, buf, size);
	if (n >= 0 && ret_st)
		*ret_st = st;
	return n;
}

ssize_t read_small_file_at(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	return pread_all(fd, buf, size);
}

/* Creates a new temporary file beside path: "<dir>/.<name>.XXXXXX" with a random suffix, made with
 * O_CREAT|O_EXCL (mkostemp), so a link or file someone planted there is never opened. Returns the fd
 * (mode 0644) with its name in tmp, or -errno. */
int open_temp_beside(const char *path, char tmp[static PATH_MAX])
{
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path + 1) : 0;
	const char *name = slash ? slash + 1 : path;
	if (snprintf(tmp, PATH_MAX, "%.*s.%s.XXXXXX", dir_len, path, name) >= PATH_MAX)
		return -ENAMETOOLONG;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644) < 0) {
		int r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	return fd;
}

/* The fallback for kernels without openat2: each directory on the way opened with O_PATH |
 * O_NOFOLLOW (a symlink then opens as itself, and is refused), the last component with the
 * caller's flags and O_NOFOLLOW. "." and ".." are no symlinks and are walked as they are. */
int open_nofollow_walk(int at_fd, const char *path, int flags)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);
	if (len == 0)
		return -ENOENT;
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	while (len > 1 && buf[len - 1] == '/') /* "dir/" is "dir" */
		buf[--len] = '\0';
	_cleanup_close_ int cur = buf[0] == '/' ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)
	                                        : openat(at_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	char *p = buf;
	for (;;) {
		while (*p == '/')
			p++;
		char *slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		struct stat st;
		int next = openat(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			return -errno;
		int r = fstat(next, &st) < 0   ? -errno
		        : S_ISLNK(st.st_mode)  ? -ELOOP
		        : !S_ISDIR(st.st_mode) ? -ENOTDIR
		                               : 0;
		if (r < 0) {
			close(next);
			return r;
		}
		close(cur);
		cur = next;
		p = slash + 1;
	}
	const char *last = *p ? p : ".";
	int fd = openat(cur, last, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	int r = -errno;
	struct stat st;
	/* O_DIRECTORY | O_NOFOLLOW on a symlink is ENOTDIR: said as openat2 says it */
	if (r == -ENOTDIR && fstatat(cur, last, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return r;
}

int open_nofollow_at(int at_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_SYMLINKS,
	};
	if (!path)
		return -EINVAL;
	long fd = syscall(SYS_openat2, at_fd, path, &how, sizeof(how));
	if (fd >= 0)
		return (int)fd;
	/* ENOSYS: before Linux 5.6; EPERM: a seccomp filter that refuses the call it does not know. */
	if (errno != ENOSYS && errno != EPERM)
		return -errno;
	return open_nofollow_walk(at_fd, path, flags);
}

int dl_load_symbols(const char *soname, const char *label, const struct dl_symbol *syms, size_t n, void *api,
                    void **ret_handle, char *err, size_t err_size)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, err_size, "cannot load %s: %s", label, dlerror());
		return -ENOPKG;
	}
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			snprintf(err, err_size, "%s lacks %s", soname, syms[i].name);
			dlclose(h);
			return -ENOPKG;
		}
		/* POSIX guarantees object and function pointers convert through dlsym's void *. */
		*(void **)((char *)api + syms[i].offset) = f;
	}
	*ret_handle = h;
	return 0;
}
