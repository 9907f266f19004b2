/* The direct actions on the target: signals to its processes, memory.reclaim and memory.high. (Webhooks:
 * webhook.h; commands: spawn.h.) They only act and report; the caller logs. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/cgroup.h"
#include "kernel/target.h"
#include "policy/policy.h"

/* Sends cfg->signo to main_pid, or with cfg->whole_cgroup to every pid in cgroup.procs. When
 * main_pid is 0 (target given as a cgroup) the lowest pid in cgroup.procs is the main process.
 * Returns the number of processes signalled (>= 1), or -ESRCH (nobody there / gone), -EPERM. */
int action_signal(const struct cg_target *t, pid_t main_pid, const struct signal_cfg *cfg);
/* Sends cfg's signal: to the main process through its pidfd when one is held (never to a later
 * process with its pid), otherwise as action_signal does (cgroup.procs read now for "to": "cgroup"
 * or a bare cgroup). Returns the number of processes signalled, or -errno (-ESRCH: gone). */
int target_signal(const struct target *t, const struct signal_cfg *cfg);

struct reclaim_result {
	uint64_t requested_bytes;
	uint64_t before_bytes; /* usage before the write */
	uint64_t after_bytes;  /* usage after it */
	int partial;           /* the kernel answered EAGAIN: reclaimed less than requested */
};

/* The amount a reclaim asks for: cfg->bytes, or cfg->percent of usage_bytes, rounded up to whole
 * pages, at least one page. */
uint64_t reclaim_amount(const struct reclaim_cfg *cfg, uint64_t usage_bytes);

/* A reclaim (or a memory.high write) made ready on the loop and written elsewhere (a worker
 * thread): the kernel reclaims in the writer's context, which can take seconds. Its fds are its own (dups),
 * so the target may be released while the write runs. */
struct reclaim_job {
	int reclaim_fd; /* memory.reclaim, opened for writing */
	int usage_fd;   /* a dup of memory.current, or -1 */
	char text[24];  /* the amount, in decimal */
	size_t text_len;
	struct reclaim_result result; /* requested and before set by reclaim_prepare, after by reclaim_run */
	int error;                    /* reclaim_run's: 0, or -errno of the write */
};

/* Opens memory.reclaim (never waiting in open(): a FIFO there fails with -ENXIO; never through a
 * symlink: -ELOOP; only a file of the cgroup's own filesystem, a cgroup one when the directory
 * is: -EXDEV), reads the usage before and works out the amount (see
 * action_reclaim). Returns 0 with *ret filled (its fds are the caller's: reclaim_job_close),
 * -EOPNOTSUPP (v1, no memory.reclaim), -ENOENT (the cgroup is gone) or -errno. */
int reclaim_prepare(const struct cg_target *t, const struct reclaim_cfg *cfg, uint64_t usage_bytes,
                    struct reclaim_job *ret);
/* Writes the amount (blocking for as long as the kernel reclaims; EINTR retried a few times, EAGAIN
 * is a partial reclaim) and reads the usage after. Sets j->error and j->result. Touches nothing
 * but j: safe on any thread. */
void reclaim_run(struct reclaim_job *j);
/* Closes j's fds. NULL ok. */
void reclaim_job_close(struct reclaim_job *j);

/* Writes the amount (cfg->bytes, or cfg->percent of usage_bytes, rounded to pages, at least one
 * page) to memory.reclaim, retrying EINTR a few times, on the caller's thread (prepare + run). Returns 0
 * (also for a partial reclaim, flagged in ret), -EOPNOTSUPP (v1, or a kernel without memory.reclaim) or
 * -errno. */
int action_reclaim(struct cg_target *t, const struct reclaim_cfg *cfg, uint64_t usage_bytes,
                   struct reclaim_result *ret);

/* Reads memory.high under the cgroup directory dirfd into buf ("max" or a byte count, without
 * the newline), never through a symlink. Returns 0, -EOPNOTSUPP (no memory.high: v1), -ENOENT
 * (the cgroup directory was removed), -EBADMSG (neither), -ELOOP or -errno. */
int memory_high_read(int dirfd, char *buf, size_t size);

/* Makes ready a write of text ("max" or bytes) to memory.high under dirfd, to be run with
 * reclaim_run (on a worker: writing below usage reclaims in the writer); opened as memory.reclaim
 * is (reclaim_prepare). usage_fd, when >= 0, is dup'd to read the usage before (now) and after.
 * Returns 0 with *ret filled (the caller closes it: reclaim_job_close), -EOPNOTSUPP (no
 * memory.high), -ENOENT (the cgroup is gone) or -errno. */
int memory_high_prepare(int dirfd, const char *text, int usage_fd, struct reclaim_job *ret);
