/* Direct actions on the target: signals to its processes and writes to memory.reclaim and
 * memory.high. */
#include "actions/signal_reclaim.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "decide/memory_high.h"
#include "kernel/main_process.h"
#include "base/util.h"

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

/* Current usage read from usage_fd, or fallback when it cannot be read (or usage_fd is -1). */
static uint64_t read_usage(int usage_fd, uint64_t fallback)
{
	char buf[64];
	uint64_t v;

	if (usage_fd < 0)
		return fallback;
	ssize_t n = pread_all(usage_fd, buf, sizeof(buf));
	if (n < 0 || cg_parse_u64(buf, (size_t)n, &v) < 0)
		return fallback;
	return v;
}

uint64_t reclaim_amount(const struct reclaim_cfg *cfg, uint64_t usage_bytes)
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

/* Opens name under the cgroup directory dirfd for writing, with extra_flags (O_TRUNC): never
 * through a symlink (O_NOFOLLOW: -ELOOP), never waiting in open() (O_NONBLOCK, then cleared: a
 * FIFO in its place fails at once with ENXIO; the write itself blocks, away from the loop), and
 * only a file of the directory's own filesystem, a cgroup one when the directory is on one
 * (cg_check_write_fd). Returns 0 with *ret_fd, -EOPNOTSUPP (no such file in a directory that is
 * still there), -ENOENT (the cgroup is gone) or -errno. */
static int open_for_write(int dirfd, const char *name, int extra_flags, int *ret_fd)
{
	_cleanup_close_ int fd =
	        openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | extra_flags);
	if (fd < 0 && errno == ENOENT)
		return cg_dir_alive(dirfd) == -ENOENT ? -ENOENT : -EOPNOTSUPP;
	if (fd < 0)
		return -errno;
	int r = cg_check_write_fd(dirfd, fd);
	if (r < 0)
		return r;
	int flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int reclaim_prepare(const struct cg_target *t, const struct reclaim_cfg *cfg, uint64_t usage_bytes,
                    struct reclaim_job *ret)
{
	if (!t || t->version == CG_V1)
		return -EOPNOTSUPP;

	_cleanup_close_ int fd = -1;
	int r = open_for_write(t->dirfd, "memory.reclaim", 0, &fd);
	if (r < 0)
		return r;
	_cleanup_close_ int usage_fd = t->usage_fd >= 0 ? fcntl(t->usage_fd, F_DUPFD_CLOEXEC, 3) : -1;

	struct reclaim_job j = { .reclaim_fd = -1, .usage_fd = -1 };
	j.result.requested_bytes = reclaim_amount(cfg, usage_bytes);
	j.text_len = (size_t)snprintf(j.text, sizeof(j.text), "%" PRIu64, j.result.requested_bytes);
	j.result.before_bytes = read_usage(usage_fd, usage_bytes);
	j.reclaim_fd = TAKE_FD(fd);
	j.usage_fd = TAKE_FD(usage_fd);
	*ret = j;
	return 0;
}

void reclaim_run(struct reclaim_job *j)
{
	j->error = 0;
	for (int tries = 0;; tries++) {
		ssize_t n = write(j->reclaim_fd, j->text, j->text_len);
		if (n == (ssize_t)j->text_len)
			break;
		if (n >= 0) {
			j->error = -EIO; /* a short write to a cgroup file: should not happen */
			return;
		}
		if (errno == EAGAIN) {
			j->result.partial = 1;
			break;
		}
		if (errno == EINTR && tries < RECLAIM_EINTR_RETRIES)
			continue;
		j->error = -errno;
		return;
	}
	j->result.after_bytes = read_usage(j->usage_fd, j->result.before_bytes);
}

void reclaim_job_close(struct reclaim_job *j)
{
	if (!j)
		return;
	if (j->reclaim_fd >= 0)
		close(j->reclaim_fd);
	if (j->usage_fd >= 0)
		close(j->usage_fd);
	j->reclaim_fd = j->usage_fd = -1;
}

int action_reclaim(struct cg_target *t, const struct reclaim_cfg *cfg, uint64_t usage_bytes,
                   struct reclaim_result *ret)
{
	struct reclaim_job j;
	int r = reclaim_prepare(t, cfg, usage_bytes, &j);
	if (r < 0)
		return r;
	reclaim_run(&j);
	reclaim_job_close(&j);
	if (j.error < 0)
		return j.error;
	if (ret)
		*ret = j.result;
	return 0;
}

int memory_high_read(int dirfd, char *buf, size_t size)
{
	char text[64];
	_cleanup_close_ int fd = openat(dirfd, "memory.high", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return cg_dir_alive(dirfd) == -ENOENT ? -ENOENT : -EOPNOTSUPP;
	if (fd < 0)
		return -errno;
	ssize_t n = pread_all(fd, text, sizeof(text) - 1);
	if (n == -ENODEV) /* a removed cgroup's file */
		return -ENOENT;
	if (n < 0)
		return (int)n;
	text[n] = '\0';
	if (n > 0 && text[n - 1] == '\n')
		text[n - 1] = '\0';
	if (!memory_high_valid(text) || strlen(text) >= size)
		return -EBADMSG;
	memcpy(buf, text, strlen(text) + 1);
	return 0;
}

int memory_high_prepare(int dirfd, const char *text, int usage_fd, struct reclaim_job *ret)
{
	struct reclaim_job j = { .reclaim_fd = -1, .usage_fd = -1 };
	size_t len = strlen(text);
	if (len >= sizeof(j.text))
		return -EINVAL;
	_cleanup_close_ int fd = -1;
	int r = open_for_write(dirfd, "memory.high", O_TRUNC, &fd);
	if (r < 0)
		return r;
	_cleanup_close_ int ufd = usage_fd >= 0 ? fcntl(usage_fd, F_DUPFD_CLOEXEC, 3) : -1;
	memcpy(j.text, text, len);
	j.text_len = len;
	j.result.before_bytes = read_usage(ufd, 0);
	j.reclaim_fd = TAKE_FD(fd);
	j.usage_fd = TAKE_FD(ufd);
	*ret = j;
	return 0;
}

int target_signal(const struct target *t, const struct signal_cfg *cfg)
{
	if (!cfg->whole_cgroup && t->pidfd >= 0)
		return sys_pidfd_send_signal(t->pidfd, cfg->signo) < 0 ? -errno : 1;
	if (!cfg->whole_cgroup && t->pid <= 0 && t->spec.find_main_process) {
		_cleanup_close_ int fd = main_process_pidfd(&t->cg, t->spec.proc_root);
		if (fd < 0)
			return fd == -ENOENT || fd == -ENODEV ? -ESRCH : fd;
		return sys_pidfd_send_signal(fd, cfg->signo) < 0 ? -errno : 1;
	}
	return action_signal(&t->cg, t->pid, cfg);
}
