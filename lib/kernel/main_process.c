#include "kernel/main_process.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/units.h"
#include "base/util.h"
#include "kernel/target.h"

/* /proc/PID/status is about 1.5 KiB; NSpid sits in its first half. */
#define STATUS_MAX 4096

ssize_t main_process_choose(const struct main_process_candidate *c, size_t n)
{
	ssize_t best = -1;
	for (size_t i = 0; i < n; i++) {
		if (best < 0) {
			best = (ssize_t)i;
			continue;
		}
		const struct main_process_candidate *b = &c[best], *x = &c[i];
		bool better = x->ns_init != b->ns_init           ? x->ns_init
		              : x->start_ticks != b->start_ticks ? x->start_ticks < b->start_ticks
		                                                 : x->pid < b->pid;
		if (better)
			best = (ssize_t)i;
	}
	return best;
}

int main_process_parse_nspid(const char *buf, size_t len, pid_t *ret_pid)
{
	static const char key[] = "NSpid:";
	const char *end = buf ? buf + len : NULL;
	for (const char *line = buf; line && line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *line_end = nl ? nl : end;
		if ((size_t)(line_end - line) >= sizeof(key) - 1 && memcmp(line, key, sizeof(key) - 1) == 0) {
			const char *p = line + sizeof(key) - 1;
			uint64_t last = 0;
			int fields = 0;
			while (p < line_end) {
				if (*p != '\t' && *p != ' ')
					return -EBADMSG;
				while (p < line_end && (*p == '\t' || *p == ' '))
					p++;
				if (p == line_end)
					break;
				uint64_t v;
				if (units_parse_u64_cursor(&p, line_end, &v) < 0 || v == 0 || v > INT32_MAX)
					return -EBADMSG;
				last = v;
				fields++;
			}
			if (!fields)
				return -EBADMSG;
			*ret_pid = (pid_t)last;
			return 0;
		}
		line = nl ? nl + 1 : end;
	}
	return -EBADMSG;
}

/* Whether pid's last NSpid is 1. Returns 1, 0, or -errno (-ENOENT: it exited). */
static int read_ns_init(int procfd, pid_t pid)
{
	char name[32], buf[STATUS_MAX];
	snprintf(name, sizeof(name), "%d/status", (int)pid);
	ssize_t n = read_small_file_at(procfd, name, buf, sizeof(buf));
	if (n == -EFBIG) /* longer than we read: NSpid is in the part we have */
		n = sizeof(buf);
	if (n < 0)
		return (int)n;
	pid_t inner;
	int r = main_process_parse_nspid(buf, (size_t)n, &inner);
	return r < 0 ? r : inner == 1;
}

int main_process_find(const struct cg_target *t, const char *proc_root, pid_t *ret_pid,
                      uint64_t *ret_start_ticks)
{
	_cleanup_free_ pid_t *pids = NULL;
	ssize_t n = cg_read_procs_alloc(t, &pids);
	if (n < 0)
		return (int)n;
	_cleanup_close_ int procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return -errno;
	_cleanup_free_ struct main_process_candidate *c = calloc((size_t)n + 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	size_t k = 0;
	for (ssize_t i = 0; i < n; i++) {
		struct main_process_candidate x = { .pid = pids[i] };
		int init = read_ns_init(procfd, pids[i]);
		if (init < 0 || target_read_start_time(proc_root, pids[i], &x.start_ticks) < 0)
			continue; /* exited meanwhile */
		x.ns_init = init == 1;
		c[k++] = x;
	}
	ssize_t best = main_process_choose(c, k);
	if (best < 0)
		return -ESRCH;
	*ret_pid = c[best].pid;
	*ret_start_ticks = c[best].start_ticks;
	return 0;
}

int main_process_pidfd(const struct cg_target *t, const char *proc_root)
{
	pid_t pid;
	uint64_t start, again;
	int r = main_process_find(t, proc_root, &pid, &start);
	if (r < 0)
		return r;
	int fd = sys_pidfd_open(pid);
	if (fd < 0)
		return -errno;
	if (target_read_start_time(proc_root, pid, &again) < 0 || again != start) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}
