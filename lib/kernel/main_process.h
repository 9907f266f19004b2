/* A container's main process, for memhook node, where no pid is given: of the processes in its
 * cgroup.procs, the one that is its pid namespace's init (the last NSpid field of /proc/PID/status
 * is 1: the container's entrypoint, or its init such as tini), else the oldest (the least start
 * time; the lowest pid on a tie), as with hostPID the node sees every container's processes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/cgroup.h"

/* One process of the cgroup, as read. */
struct main_process_candidate {
	pid_t pid;
	bool ns_init;         /* its last NSpid is 1 */
	uint64_t start_ticks; /* /proc/PID/stat field 22 */
};

/* Pure: the index of the main process among c[0..n): a pid namespace's init first (the oldest of
 * several), else the oldest; ties to the lowest pid. -1 when n is 0. */
ssize_t main_process_choose(const struct main_process_candidate *c, size_t n);

/* Pure: the last field of the "NSpid:" line of /proc/PID/status text (the pid in the process's
 * own pid namespace). Returns 0, or -EBADMSG (no such line, a field that is no pid, overflow). */
int main_process_parse_nspid(const char *buf, size_t len, pid_t *ret_pid);

/* The main process of the cgroup t, read from cgroup.procs and <proc_root>/PID/{status,stat} (a
 * process that exits meanwhile is skipped). Returns 0 with its pid and start time, -ESRCH when the
 * cgroup holds none, or cg_read_procs_alloc's -errno. */
int main_process_find(const struct cg_target *t, const char *proc_root, pid_t *ret_pid,
                      uint64_t *ret_start_ticks);

/* A pidfd of t's main process, checked to be the process found (its start time read again after the
 * pidfd was opened: a pid reused between the two is refused with -ESRCH). Returns the pidfd or
 * -errno. */
int main_process_pidfd(const struct cg_target *t, const char *proc_root);
