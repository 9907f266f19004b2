/* The watched target: a cgroup directory, the cgroup of a pid, or the cgroup of a named process.
 * Acquiring resolves and opens it; a target that vanishes is released and re-acquired later. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/cgroup.h"
#include "policy/policy.h"

enum target_mode { TARGET_CGROUP, TARGET_PID, TARGET_PROCESS };

struct target_spec {
	enum target_mode mode;
	const char *cgroup_dir;   /* TARGET_CGROUP */
	pid_t pid;                /* TARGET_PID */
	const char *process_name; /* TARGET_PROCESS */
	const char *proc_root;    /* "/proc" unless testing */
	/* TARGET_CGROUP without a pid (memhook node): a signal goes to the main process found at that
	 * moment (main_process.h: its pid namespace's init, else the oldest) through a pidfd; false:
	 * the lowest pid */
	bool find_main_process;
	/* cgroup v1 without a limit of its own: the inherited limit read at every Nth check (struct
	 * cg_target's hier_every); 0: every check */
	unsigned v1_inherited_limit_every;
};

struct target {
	struct target_spec spec;
	bool present;
	pid_t pid; /* main process; 0 when the target is a bare cgroup */
	int pidfd; /* the main process held (pidfd_open, on the real /proc), -1 when none */
	bool has_start_time;
	uint64_t start_time_ticks; /* the main process's start (PID/stat field 22, clock ticks after
	                            * boot); a process with the same pid and another start is another
	                            * process. Kept across a loss for TARGET_PID: a pid is taken again
	                            * only by the same process. */
	struct cg_target cg;       /* open while present */
	bool on_cgroupfs;          /* false for a fixture tree: removal is seen through st_nlink */
	/* Decided once, by target_init_spec: TARGET_CGROUP's directory with the symlinks of its path
	 * resolved (realpath of the part that exists then; the rest as given), which every acquire
	 * opens without following a symlink; and whether the target must be on a cgroup filesystem
	 * (that part is on one, or the pid's cgroup is read from the real /proc). */
	char cgroup_dir[PATH_MAX];
	bool want_cgroupfs;
};

/* A target not acquired yet, for spec (proc_root defaults to /proc); every fd is -1, so
 * target_release is safe at once. Resolves TARGET_CGROUP's path once (see cgroup_dir). */
void target_init_spec(struct target *t, const struct target_spec *spec);

/* Resolves and opens the target; a main process is held by a pidfd on the real /proc, and its start
 * time is remembered (when <proc_root>/PID/stat is there). Returns 0, or -errno with a message naming
 * the place in err (-ESRCH: no such process, -ESTALE: TARGET_PID's pid now belongs to another
 * process than the one acquired before, -ENOENT: no such cgroup, -EXDEV: cgroup outside our
 * namespace, -EMEDIUMTYPE: not a memory cgroup, or not on a cgroup filesystem when want_cgroupfs,
 * -ELOOP: a symlink on the way, -EACCES: its memory files are not readable). */
int target_acquire(struct target *t, char *err, size_t err_size);

/* Whether the target is still there: 0, -ESRCH (its main process exited: its pidfd is readable,
 * or without one, its pid is gone or has another start time) or -ENOENT (its cgroup directory was
 * removed; real cgroups also fail reads with ENODEV, fixture trees only show it here). */
int target_check(const struct target *t);

/* Closes the cgroup and the pidfd; not present any more. */
void target_release(struct target *t);

/* "cgroup /sys/fs/cgroup/x (v2), pid 123" into buf. */
const char *target_describe(const struct target *t, char *buf, size_t size);

/* Pure: the start time (field 22, clock ticks after boot) from the text of /proc/PID/stat,
 * "PID (COMM) STATE PPID ... STARTTIME ...", where COMM may hold spaces and parentheses (the last
 * ')' ends it). Returns 0, or -EBADMSG for anything else (-ERANGE when it overflows). */
int target_parse_start_time(const char *buf, size_t len, uint64_t *ret_ticks);

/* The start time of pid from <proc_root>/PID/stat. Returns 0, -ENOENT (no such process, or a
 * fixture without the file), -EBADMSG or -errno. */
int target_read_start_time(const char *proc_root, pid_t pid, uint64_t *ret_ticks);
