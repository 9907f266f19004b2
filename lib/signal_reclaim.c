/* Direct actions on the target: signals to its processes and writes to memory.reclaim. */
#include "signal_reclaim.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* memory.reclaim may be interrupted by a signal; retry that many times. */
#define RECLAIM_EINTR_RETRIES 3

/* Reads cgroup.procs into a malloc'd array. Returns the count (possibly 0) or -errno;
 * a vanished cgroup (ENOENT, ENODEV) becomes -ESRCH: there is nobody to signal. */
static ssize_t read_all_procs(const struct cg_target *t, pid_t **ret_pids)
{
	if (!t || t->dirfd < 0)
		return -ESRCH;
	ssize_t n = cg_read_procs_alloc(t, ret_pids);
	return n == -ENOENT || n == -ENODEV ? -ESRCH : n;
}

int action_signal(const struct cg_target *t, pid_t main_pid, const struct signal_cfg *cfg)
{
	_cleanup_free_ pid_t *pids = NULL;

	if (!cfg->whole_cgroup && main_pid > 0)
		return kill(main_pid, cfg->signo) < 0 ? -errno : 1;

	ssize_t n = read_all_procs(t, &pids);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ESRCH;

	if (!cfg->whole_cgroup) {
		pid_t lowest = 0;
		for (ssize_t i = 0; i < n; i++)
			if (pids[i] > 0 && (lowest == 0 || pids[i] < lowest))
				lowest = pids[i];
		if (lowest == 0)
			return -ESRCH;
		return kill(lowest, cfg->signo) < 0 ? -errno : 1;
	}

	int signalled = 0, first_error = 0;
	for (ssize_t i = 0; i < n; i++) {
		if (pids[i] <= 0)
			continue;
		if (kill(pids[i], cfg->signo) < 0) {
			if (!first_error)
				first_error = -errno;
		} else
			signalled++;
	}
	if (signalled > 0)
		return signalled;
	return first_error ? first_error : -ESRCH;
}

/* Current usage from the open usage fd, or fallback when it cannot be read. */
static uint64_t read_usage(const struct cg_target *t, uint64_t fallback)
{
	char buf[64];
	uint64_t v;

	if (t->usage_fd < 0)
		return fallback;
	ssize_t n = pread_all(t->usage_fd, buf, sizeof(buf));
	if (n < 0 || cg_parse_u64(buf, (size_t)n, &v) < 0)
		return fallback;
	return v;
}

/* The amount to ask for: bytes or percent of usage, rounded up to whole pages, at least one. */
static uint64_t reclaim_amount(const struct reclaim_cfg *cfg, uint64_t usage_bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t page_bytes = page > 0 ? (uint64_t)page : 4096;
	uint64_t want;

	if (cfg->bytes > 0)
		want = cfg->bytes;
	else {
		double pct = cfg->percent > 100.0 ? 100.0 : cfg->percent > 0 ? cfg->percent : 0.0;
		want = (uint64_t)((double)usage_bytes * pct / 100.0);
	}
	if (want > UINT64_MAX - page_bytes)
		return UINT64_MAX / page_bytes * page_bytes;
	want = (want + page_bytes - 1) / page_bytes * page_bytes;
	return want ? want : page_bytes;
}

int action_reclaim(struct cg_target *t, const struct reclaim_cfg *cfg, uint64_t usage_bytes,
                   struct reclaim_result *ret)
{
	if (!t || t->version == CG_V1)
		return -EOPNOTSUPP;

	_cleanup_close_ int fd = openat(t->dirfd, "memory.reclaim", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EOPNOTSUPP : -errno;

	struct reclaim_result r = { .requested_bytes = reclaim_amount(cfg, usage_bytes) };
	char text[24];
	int len = snprintf(text, sizeof(text), "%" PRIu64, r.requested_bytes);

	r.before_bytes = read_usage(t, usage_bytes);
	for (int tries = 0;; tries++) {
		ssize_t n = write(fd, text, (size_t)len);
		if (n == len)
			break;
		if (n >= 0)
			return -EIO; /* a short write to a cgroup file: should not happen */
		if (errno == EAGAIN) {
			r.partial = 1;
			break;
		}
		if (errno == EINTR && tries < RECLAIM_EINTR_RETRIES)
			continue;
		return -errno;
	}
	r.after_bytes = read_usage(t, r.before_bytes);
	if (ret)
		*ret = r;
	return 0;
}
