#include "base/util.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>

void strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
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

ssize_t read_small_file_at(int dirfd, const char *name, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	return pread_all(fd, buf, size);
}
