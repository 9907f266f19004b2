/* The watched target: a cgroup directory, the cgroup of a pid, or the cgroup of a named process.
 * Acquiring resolves and opens it; a target that vanishes is released and re-acquired later. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"

enum target_mode { TARGET_CGROUP, TARGET_PID, TARGET_PROCESS };

struct target_spec {
	enum target_mode mode;
	const char *cgroup_dir;   /* TARGET_CGROUP */
	pid_t pid;                /* TARGET_PID */
	const char *process_name; /* TARGET_PROCESS */
	const char *proc_root;    /* "/proc" unless testing */
};

struct target {
	struct target_spec spec;
	bool present;
	pid_t pid;           /* main process; 0 when the target is a bare cgroup */
	struct cg_target cg; /* open while present */
	bool on_cgroupfs;    /* false for a fixture tree: removal is seen through st_nlink */
};

/* A target not acquired yet, for spec (proc_root defaults to /proc); every fd is -1, so
 * target_release is safe at once. */
void target_init_spec(struct target *t, const struct target_spec *spec);

/* Resolves and opens the target. Returns 0, or -errno with a message naming the place in err
 * (-ESRCH: no such process, -ENOENT: no such cgroup, -EXDEV: cgroup outside our namespace,
 * -EMEDIUMTYPE: not a memory cgroup). */
int target_acquire(struct target *t, char *err, size_t err_size);

/* Whether the target is still there: 0, -ESRCH (its main process exited) or -ENOENT (its cgroup
 * directory was removed; real cgroups also fail reads with ENODEV, fixture trees only show it here). */
int target_check(const struct target *t);

void target_release(struct target *t);

/* "cgroup /sys/fs/cgroup/x (v2), pid 123" into buf. */
const char *target_describe(const struct target *t, char *buf, size_t size);
