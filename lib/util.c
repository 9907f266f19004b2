#include "util.h"

#include <fcntl.h>
#include <time.h>

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

ssize_t read_small_file_at(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return pread_all(fd, buf, size);
}
