/* The direct actions on the target: signals to its processes and memory.reclaim. (Webhooks: webhook.h;
 * commands: spawn.h.) They only act and report; the caller logs. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "policy.h"

/* Sends cfg->signo to main_pid, or with cfg->whole_cgroup to every pid in cgroup.procs. When
 * main_pid is 0 (target given as a cgroup) the lowest pid in cgroup.procs is the main process.
 * Returns the number of processes signalled (>= 1), or -ESRCH (nobody there / gone), -EPERM. */
int action_signal(const struct cg_target *t, pid_t main_pid, const struct signal_cfg *cfg);

struct reclaim_result {
	uint64_t requested_bytes;
	uint64_t before_bytes; /* usage before the write */
	uint64_t after_bytes;  /* usage after it */
	int partial;           /* the kernel answered EAGAIN: reclaimed less than requested */
};

/* Writes the amount (cfg->bytes, or cfg->percent of usage_bytes, rounded to pages, at least one
 * page) to memory.reclaim, retrying EINTR a few times. Returns 0 (also for a partial reclaim,
 * flagged in ret), -EOPNOTSUPP (v1, or a kernel without memory.reclaim) or -errno. */
int action_reclaim(struct cg_target *t, const struct reclaim_cfg *cfg, uint64_t usage_bytes,
                   struct reclaim_result *ret);
