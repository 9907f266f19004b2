/* The target cgroup: detection of v2 or v1 by its files, fds kept open, and a per-check read with
 * pread() only (no open, no allocation). A vanished cgroup is reported as -ENOENT/-ENODEV. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/sample.h"

enum cg_version { CG_V1 = 1, CG_V2 = 2 };

#define CG_MAX_ANCESTORS 32
#define CG_UNLIMITED     UINT64_MAX
/* v1 reports "no limit" as PAGE_COUNTER_MAX * PAGE_SIZE (9223372036854771712 with 4 KiB pages);
 * anything at or above 2^62 is taken as unlimited, as cAdvisor and OpenJDK do. */
#define CG_V1_UNLIMITED_MIN_BYTES (UINT64_C(1) << 62)

struct cg_target {
	char *path; /* the cgroup directory as given */
	enum cg_version version;
	int dirfd;
	/* The directory's identity (st_dev, st_ino; on cgroupfs the inode is the cgroup's id): a
	 * cgroup removed and made again at the same path is another cgroup. */
	dev_t dev;
	ino_t ino;
	int usage_fd;    /* memory.current | memory.usage_in_bytes */
	int limit_fd;    /* memory.max | memory.limit_in_bytes */
	int events_fd;   /* v2 memory.events | v1 memory.oom_control; -1 when absent */
	int pressure_fd; /* v2 memory.pressure; -1 when absent */
	int stat_fd;     /* memory.stat; -1 when absent (v1: hierarchical_memory_limit) */
	int ancestor_limit_fds[CG_MAX_ANCESTORS]; /* v2: memory.max of each ancestor that has one */
	size_t n_ancestors;
	uint64_t prev_events[MEMEV_COUNT];
	int have_prev_events;
	const char *bad_file; /* the file of cg_sample's last -EBADMSG ("memory.stat"), else NULL */
	/* The limit file's last text and its value: a limit rarely changes, so a check whose read
	 * gives the same bytes skips the parse (memcmp of a few bytes against ~100 instructions). */
	char limit_text[32];
	size_t limit_text_len; /* 0: nothing cached */
	uint64_t limit_value;
	/* v1 without a limit of its own: the inherited one (memory.stat's hierarchical_memory_limit,
	 * a read of ~40 formatted lines) read at every hier_every-th sample and kept between (memhook
	 * node: 500 containers without limits spent half their idle CPU on it); 0 or 1: every sample */
	unsigned hier_every, hier_age;
	bool hier_have;
	uint64_t hier_limit;
};

/* Sets every fd to -1 and every other field to zero: a cg_target that cg_close may release. */
void cg_target_init(struct cg_target *t);

/* Opens the cgroup directory: v2 when memory.current and memory.max exist, otherwise v1 when
 * memory.usage_in_bytes and memory.limit_in_bytes exist. For v2, opens memory.max of each ancestor
 * directory going up until one lacks memory.max (the root cgroup has none).
 * Returns 0, -ENOENT (no such directory), -ENOTDIR, -EMEDIUMTYPE (a directory with neither set of
 * files: "not a memory cgroup"), or another -errno (-EACCES: a memory file is there but cannot be
 * opened). *ret is initialised even on failure (fds -1). */
int cg_open(const char *path, struct cg_target *ret);
/* cg_open for the directory rel beneath at_fd (AT_FDCWD, or a directory already open), opened
 * without following a symlink in any component of rel (open_nofollow_at); path is what the target
 * is called in messages. cg_open(path) is cg_open_at(AT_FDCWD, path, path). The memory files are
 * opened with O_NOFOLLOW. Returns as cg_open, and -ELOOP for a symlink on the way. */
int cg_open_at(int at_fd, const char *rel, const char *path, struct cg_target *ret);
/* Closes every fd and frees path; idempotent. */
void cg_close(struct cg_target *t);

/* What cg_sample reads beyond usage and limit: only what the policy looks at, so an idle check
 * costs as few reads as possible. */
#define CG_SAMPLE_PSI    1u /* memory.pressure */
#define CG_SAMPLE_EVENTS 2u /* memory.events (v1: memory.oom_control) */
#define CG_SAMPLE_STAT   4u /* memory.stat: working set and anon (a policy whose usage is not current) */
#define CG_SAMPLE_ALL    (CG_SAMPLE_PSI | CG_SAMPLE_EVENTS | CG_SAMPLE_STAT)

/* Reads usage_bytes, limit_bytes (own limit; when unlimited, the smallest ancestor limit; v1:
 * hierarchical_memory_limit; CG_UNLIMITED when none) and, as `what` asks, PSI (has_psi), memory.events
 * (has_events, events_delta since the previous call; v1: oom_kill from memory.oom_control), memory.stat
 * (has_stat, working_set_bytes = usage - inactive_file clamped at 0, anon_bytes; one pread that also
 * serves v1's hierarchical_memory_limit). Does not touch the host_* fields or the timestamps.
 * Returns 0, -ENOENT/-ENODEV when the cgroup is gone, -EBADMSG when a file holds garbage (its name,
 * "memory.stat", then in t->bad_file). */
int cg_sample(struct cg_target *t, unsigned what, struct sample *s);

/* Pids in cgroup.procs, at most cap (the whole file is checked). Returns the count, -EBADMSG for a
 * garbage line, or -errno (-ENOENT/-ENODEV: the cgroup is gone). */
ssize_t cg_read_procs(const struct cg_target *t, pid_t *ret_pids, size_t cap);
/* Every pid in cgroup.procs, in a malloc'd array (*ret_pids, also when the count is 0). Returns the
 * count, -E2BIG beyond CG_PROCS_MAX (lib/base/defaults.h), -EBADMSG or -errno as cg_read_procs. */
ssize_t cg_read_procs_alloc(const struct cg_target *t, pid_t **ret_pids);

/* Whether the cgroup directory dirfd is still there: 0, or -ENOENT once it was removed (a fixture
 * directory's link count falls to 0; a removed cgroup keeps its count, but not its cgroup.procs,
 * which every cgroup directory has). */
int cg_dir_alive(int dirfd);

/* Whether fd (a file memhook opened under the cgroup directory dirfd, to write) may be written: it
 * is on the directory's own filesystem (no mount over it), and on a cgroup filesystem (fstatfs)
 * whenever the directory is on one (cgroupfs holds regular files only; a fixture tree may hold a
 * FIFO standing in for a slow kernel write). Returns 0, -EXDEV (another filesystem) or -errno. */
int cg_check_write_fd(int dirfd, int fd);

/* Where the memory controller is mounted on this host and on which version, via libcgroup
 * (cgroup_init + cgroup_get_subsys_mount_point). *ret_mount is malloc'd. Returns 0 or -errno. */
int cg_find_memory_mount(char **ret_mount, enum cg_version *ret_version);

/* ---- Pure parsers (tested against hostile input) ---- */

/* A single number, optionally followed by one newline. Returns 0, -EBADMSG, -ERANGE. */
int cg_parse_u64(const char *buf, size_t len, uint64_t *ret);
/* A limit: a number or "max" (-> CG_UNLIMITED); v1's "unlimited" values (>= 2^62) also map to
 * CG_UNLIMITED. Returns 0, -EBADMSG, -ERANGE. */
int cg_parse_limit(const char *buf, size_t len, uint64_t *ret);
/* memory.pressure: "some avg10=.. avg60=.. avg300=.. total=..\nfull ...". A missing "full" line
 * (older kernels, the host root) leaves full at 0. Returns 0 or -EBADMSG. */
int cg_parse_psi(const char *buf, size_t len, struct psi *ret);
/* memory.events ("low N\nhigh N\n..."): unknown keys ignored, missing keys 0. v1 memory.oom_control
 * ("oom_kill_disable 0\nunder_oom 0\noom_kill N") fills MEMEV_OOM_KILL. Returns 0 or -EBADMSG. */
int cg_parse_events(const char *buf, size_t len, uint64_t ret[MEMEV_COUNT]);
/* Looks up one key of a "key value" file (memory.stat). Returns 0, -ENOENT (no such key) or
 * -EBADMSG. */
int cg_parse_keyed(const char *buf, size_t len, const char *key, uint64_t *ret);

/* What memory.stat says about the usage: the reclaimable file pages and the anonymous memory. */
struct cg_stat {
	uint64_t inactive_file_bytes; /* v2 inactive_file, v1 total_inactive_file */
	uint64_t anon_bytes;          /* v2 anon, v1 total_rss */
};
/* memory.stat of version v, in one pass: v2 keys inactive_file and anon; v1 the hierarchical
 * total_inactive_file and total_rss (not the cgroup-local inactive_file and rss). The whole file is
 * checked: a garbage line is -EBADMSG, a file without one of the two keys -ENOENT (*ret untouched
 * on failure). */
int cg_parse_stat(const char *buf, size_t len, enum cg_version v, struct cg_stat *ret);
