/* Finding the target: the cgroup directory of a pid (through <proc_root>/PID/cgroup and
 * <proc_root>/self/mountinfo, cgroup namespaces included), and a process by name. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* The memory cgroup directory of pid. Prefers a v1 line naming the memory controller when a v1
 * memory mount exists, else the v2 "0::" line with a cgroup2 mount. A path outside the mount's
 * root (a "/.." path from another cgroup namespace) is -EXDEV with the reason in err.
 * Returns 0 (malloc'd *ret_path), -ESRCH (no such pid), -ENOENT (no memory cgroup mount) or -errno;
 * err gets a message naming the file. */
int resolve_pid_cgroup(const char *proc_root, pid_t pid, char **ret_path, char *err, size_t err_size);

/* Pure: the same from the texts of /proc/PID/cgroup and mountinfo. */
int resolve_cgroup_from_text(const char *proc_cgroup, const char *mountinfo, char **ret_path, char *err,
                             size_t err_size);

/* The process whose comm or argv[0] basename equals name; the lowest pid when several match
 * (the container's main process). memhook's own pid is skipped. Returns 0, -ESRCH or -errno. */
int resolve_process(const char *proc_root, const char *name, pid_t *ret_pid);
