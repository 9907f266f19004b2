/* The host's memory: MemTotal and MemAvailable from <proc_root>/meminfo, one pread per check. */
#include "kernel/hostmem.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

/* /proc/meminfo is ~1.5 KiB on 6.x kernels (56 lines); 8 KiB leaves room for new keys. */
#define MEMINFO_BUF_SIZE 8192

int hostmem_open(const char *proc_root, struct hostmem *ret)
{
	char path[4096];
	int fd;

	ret->meminfo_fd = -1;
	if (!proc_root)
		proc_root = "/proc";
	if ((size_t)snprintf(path, sizeof(path), "%s/meminfo", proc_root) >= sizeof(path))
		return -ENAMETOOLONG;
	/* O_NONBLOCK: a FIFO planted in a --proc-root tree must not block open() */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	ret->meminfo_fd = fd;
	return 0;
}

void hostmem_close(struct hostmem *h)
{
	if (h && h->meminfo_fd >= 0) {
		close(h->meminfo_fd);
		h->meminfo_fd = -1;
	}
}

/* The value of a "Key:   123 kB" line starting at p (p points just past the colon), in bytes. */
static int parse_kb_value(const char *p, const char *end, uint64_t *ret_bytes)
{
	uint64_t v;

	while (p < end && *p == ' ')
		p++;
	if (units_parse_u64_cursor(&p, end, &v) < 0)
		return -EBADMSG;
	if ((size_t)(end - p) < 3 || memcmp(p, " kB", 3) != 0)
		return -EBADMSG;
	p += 3;
	if (p < end && *p != '\n')
		return -EBADMSG;
	if (v > UINT64_MAX / 1024)
		return -EBADMSG;
	*ret_bytes = v * 1024;
	return 0;
}

int meminfo_parse(const char *buf, size_t len, uint64_t *ret_total_bytes, uint64_t *ret_available_bytes)
{
	const char *p = buf, *end = buf + len;
	uint64_t total = 0, avail = 0;
	bool have_total = false, have_avail = false;

	if (!buf)
		return -EBADMSG;
	/* Only the two keys matter, and they are the 1st and 3rd of ~56 lines on every kernel since
	 * 3.14: parsing stops once both are read (a global_* policy reads meminfo at every check; the
	 * whole text cost ~3,100 instructions). Other lines (formats vary by kernel) are skipped
	 * unread. The first occurrence wins; the colon makes "MemTotal" not match "MemTotalX". */
	while (p < end && !(have_total && have_avail)) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol : end;
		size_t n = (size_t)(line_end - p);

		if (!have_total && n > 9 && memcmp(p, "MemTotal:", 9) == 0) {
			if (parse_kb_value(p + 9, line_end, &total) < 0)
				return -EBADMSG;
			have_total = true;
		} else if (!have_avail && n > 13 && memcmp(p, "MemAvailable:", 13) == 0) {
			if (parse_kb_value(p + 13, line_end, &avail) < 0)
				return -EBADMSG;
			have_avail = true;
		}
		p = eol ? eol + 1 : end;
	}
	/* The kernel's MemAvailable is an estimate within MemTotal: more is garbage, and would make
	 * global_relative read more than 100% available. */
	if (!have_total || !have_avail || total == 0 || avail > total)
		return -EBADMSG;
	*ret_total_bytes = total;
	*ret_available_bytes = avail;
	return 0;
}

int hostmem_read(struct hostmem *h, uint64_t *ret_total_bytes, uint64_t *ret_available_bytes)
{
	char buf[MEMINFO_BUF_SIZE];
	ssize_t n;

	if (!h || h->meminfo_fd < 0)
		return -EBADF;
	n = pread_all(h->meminfo_fd, buf, sizeof(buf));
	if (n == -EFBIG)
		return -EBADMSG;
	if (n < 0)
		return (int)n;
	return meminfo_parse(buf, (size_t)n, ret_total_bytes, ret_available_bytes);
}
