#include "kernel/target.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "kernel/resolve.h"
#include "base/units.h"
#include "base/util.h"

/* /proc/PID/stat is one line of ~52 fields, about 300 bytes; a comm is at most 64 bytes. */
#define PROC_STAT_MAX 4096
/* The start time is the 22nd field; the 3rd (state) is the first after the comm. */
#define STAT_START_TIME_FIELD 22

/* Whether proc_root is the real /proc, where pids are this kernel's (a fixture's are made up). */
static bool real_proc(const char *proc_root)
{
	return strcmp(proc_root, "/proc") == 0;
}

static bool fs_is_cgroup(const struct statfs *sfs)
{
	return sfs->f_type == CGROUP_SUPER_MAGIC || sfs->f_type == CGROUP2_SUPER_MAGIC;
}

/* path with the symlinks of its existing part resolved (realpath of the longest prefix that
 * exists, then the rest as given) into buf; whether that existing part is on a cgroup filesystem
 * into *ret_cgroupfs. Unresolvable (EACCES...): path as given. */
static void resolve_at_start(const char *path, char *buf, size_t size, bool *ret_cgroupfs)
{
	char head[PATH_MAX], real[PATH_MAX];
	struct statfs sfs;
	size_t len = strlen(path);

	*ret_cgroupfs = false;
	snprintf(buf, size, "%s", path);
	if (len == 0 || len >= sizeof(head))
		return;
	memcpy(head, path, len + 1);
	const char *rest = "";
	for (;;) {
		if (realpath(head[0] ? head : ".", real)) {
			const char *sep = *rest && strcmp(real, "/") != 0 ? "/" : "";
			if (strlen(real) + strlen(sep) + strlen(rest) >= size)
				return; /* too long: as given */
			*ret_cgroupfs = statfs(real, &sfs) == 0 && fs_is_cgroup(&sfs);
			strcpy(buf, real);
			strcat(buf, sep);
			strcat(buf, rest);
			return;
		}
		if (errno != ENOENT)
			return;
		char *slash = strrchr(head, '/');
		if (!slash) {
			rest = path;
			head[0] = '\0';
			continue;
		}
		rest = path + (slash - head) + 1;
		if (slash == head) { /* "/x": the root exists */
			head[1] = '\0';
			continue;
		}
		*slash = '\0';
	}
}

void target_init_spec(struct target *t, const struct target_spec *spec)
{
	memset(t, 0, sizeof(*t));
	t->spec = *spec;
	if (!t->spec.proc_root)
		t->spec.proc_root = "/proc";
	t->pidfd = -1;
	cg_target_init(&t->cg);
	if (t->spec.mode == TARGET_CGROUP && t->spec.cgroup_dir)
		resolve_at_start(t->spec.cgroup_dir, t->cgroup_dir, sizeof(t->cgroup_dir), &t->want_cgroupfs);
	else
		t->want_cgroupfs = real_proc(t->spec.proc_root);
}

int target_parse_start_time(const char *buf, size_t len, uint64_t *ret_ticks)
{
	if (!buf || len == 0)
		return -EBADMSG;
	const char *end = buf + len;
	const char *open_paren = memchr(buf, '(', len);
	const char *close_paren = memrchr(buf, ')', len);
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -EBADMSG;
	/* The fields after the comm: " STATE PPID ..."; field 3 is the state. */
	const char *p = close_paren + 1;
	for (int field = 3; field < STAT_START_TIME_FIELD; field++) {
		if (p >= end || *p != ' ')
			return -EBADMSG;
		p++;
		const char *word = p;
		while (p < end && *p != ' ' && *p != '\n')
			p++;
		if (p == word)
			return -EBADMSG;
	}
	if (p >= end || *p != ' ')
		return -EBADMSG;
	p++;
	uint64_t v;
	int r = units_parse_u64_cursor(&p, end, &v);
	if (r < 0)
		return r == -ERANGE ? r : -EBADMSG;
	if (p < end && *p != ' ' && *p != '\n')
		return -EBADMSG;
	*ret_ticks = v;
	return 0;
}

int target_read_start_time(const char *proc_root, pid_t pid, uint64_t *ret_ticks)
{
	char name[32], buf[PROC_STAT_MAX];
	_cleanup_close_ int rootfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	snprintf(name, sizeof(name), "%d/stat", (int)pid);
	ssize_t n = read_small_file_at(rootfd, name, buf, sizeof(buf));
	if (n == -EFBIG)
		return -EBADMSG;
	if (n < 0)
		return (int)n;
	return target_parse_start_time(buf, (size_t)n, ret_ticks);
}

static const char *open_error(int r)
{
	switch (r) {
	case -ENOENT:
		return "no such cgroup directory";
	case -ENOTDIR:
		return "not a directory";
	case -EMEDIUMTYPE:
		return "not a memory cgroup (neither memory.current/memory.max nor "
		       "memory.usage_in_bytes/memory.limit_in_bytes)";
	case -ELOOP:
		return "a symlink on the way, not followed (the path's symlinks are resolved once, at "
		       "start)";
	default:
		return strerror(-r);
	}
}

/* The target's own view of its cgroup, root/sys/fs/cgroup: root (/proc's magic link to the
 * process's root directory) is followed, nothing beneath it is. own names it in messages. */
static int open_own_view(const char *root, const char *own, struct cg_target *ret)
{
	_cleanup_close_ int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		cg_target_init(ret);
		return -errno;
	}
	return cg_open_at(rootfd, "sys/fs/cgroup", own, ret);
}

/* The cgroup directory of pid. When its cgroup is outside our cgroup namespace (a sidecar with a
 * private cgroupns on a cgroup v2 node reads "0::/../<id>"), falls back to the target's own view,
 * <proc_root>/PID/root/sys/fs/cgroup: a container's cgroup2 mount, made inside its own cgroup
 * namespace, is rooted at its cgroup. That path is used only when it is a memory cgroup; reading
 * it needs ptrace access to the target (same uid, or CAP_SYS_PTRACE); then ret_root is the
 * <proc_root>/PID/root it is opened beneath (open_own_view), else left as it is. */
static int pid_cgroup(const char *proc_root, pid_t pid, char **ret_path, char ret_root[static PATH_MAX],
                      char *err, size_t err_size)
{
	int r = resolve_pid_cgroup(proc_root, pid, ret_path, err, err_size);
	if (r != -EXDEV)
		return r;
	char own[PATH_MAX + 16], root[PATH_MAX];
	snprintf(root, sizeof(root), "%s/%d/root", proc_root, (int)pid);
	snprintf(own, sizeof(own), "%s/sys/fs/cgroup", root);
	struct cg_target cg;
	int q = open_own_view(root, own, &cg);
	cg_close(&cg);
	if (q < 0)
		return r; /* err still says why the namespaced path was refused */
	char *p = strdup(own);
	if (!p)
		return -ENOMEM;
	*ret_path = p;
	memcpy(ret_root, root, sizeof(root));
	return 0;
}

/* Holds the main process pid, whose start time was read before its cgroup was resolved
 * (has_start): on the real /proc a pidfd, opened and then checked against that start time, so the
 * pidfd, the start time and the cgroup are all of one process. Returns 0 with *ret_pidfd (-1 when
 * pidfds are not supported or the pids are a fixture's), or -ESRCH with err set. */
static int hold_process(const struct target *t, pid_t pid, bool has_start, uint64_t start, int *ret_pidfd,
                        char *err, size_t err_size)
{
	*ret_pidfd = -1;
	if (!real_proc(t->spec.proc_root))
		return 0;
	_cleanup_close_ int fd = sys_pidfd_open(pid);
	if (fd < 0 && errno == ESRCH) {
		snprintf(err, err_size, "%s/%d: no such process", t->spec.proc_root, (int)pid);
		return -ESRCH;
	}
	/* Without pidfds (Linux < 5.3: ENOSYS) liveness falls back to kill(pid, 0) and the start time. */
	uint64_t again;
	if (has_start && (target_read_start_time(t->spec.proc_root, pid, &again) < 0 || again != start)) {
		snprintf(err, err_size, "%s/%d: the process exited while it was being resolved",
		         t->spec.proc_root, (int)pid);
		return -ESRCH;
	}
	*ret_pidfd = TAKE_FD(fd);
	return 0;
}

int target_acquire(struct target *t, char *err, size_t err_size)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int pidfd = -1;
	pid_t pid = 0;
	uint64_t start = 0;
	bool has_start = false;
	char own_root[PATH_MAX] = "";
	int r;

	switch (t->spec.mode) {
	case TARGET_CGROUP:
		path = strdup(t->cgroup_dir);
		if (!path)
			return -ENOMEM;
		break;
	case TARGET_PROCESS:
	case TARGET_PID:
		if (t->spec.mode == TARGET_PID)
			pid = t->spec.pid;
		else {
			r = resolve_process(t->spec.proc_root, t->spec.process_name, &pid);
			if (r < 0) {
				snprintf(err, err_size, "no process named %s under %s", t->spec.process_name,
				         t->spec.proc_root);
				return r;
			}
		}
		/* Unknown in a fixture without PID/stat: then only the pid's presence is checked. */
		has_start = target_read_start_time(t->spec.proc_root, pid, &start) == 0;
		if (t->spec.mode == TARGET_PID && has_start && t->has_start_time &&
		    start != t->start_time_ticks) {
			snprintf(err, err_size,
			         "pid %d now belongs to another process (started %llu ticks after boot, the "
			         "one watched at %llu)",
			         (int)pid, (unsigned long long)start,
			         (unsigned long long)t->start_time_ticks);
			return -ESTALE;
		}
		r = pid_cgroup(t->spec.proc_root, pid, &path, own_root, err, err_size);
		if (r < 0)
			return r;
		r = hold_process(t, pid, has_start, start, &pidfd, err, err_size);
		if (r < 0)
			return r;
		break;
	}

	struct cg_target cg;
	if (own_root[0])
		r = open_own_view(own_root, path, &cg);
	else
		r = cg_open(path, &cg);
	if (r < 0) {
		int n = snprintf(err, err_size, "%s: %s", path, open_error(r));
		_cleanup_free_ char *mnt = NULL;
		enum cg_version v;
		/* A hint for a mistyped --cgroup: where this host's memory controller really is. */
		if ((r == -ENOENT || r == -EMEDIUMTYPE) && t->spec.mode == TARGET_CGROUP && n > 0 &&
		    (size_t)n < err_size && cg_find_memory_mount(&mnt, &v) == 0)
			snprintf(err + n, err_size - (size_t)n,
			         " (this host's memory controller is at %s, cgroup v%d)", mnt, (int)v);
		cg_close(&cg);
		return r;
	}
	struct statfs sfs;
	bool on_cgroupfs = fstatfs(cg.dirfd, &sfs) == 0 && fs_is_cgroup(&sfs);
	if (t->want_cgroupfs && !on_cgroupfs) {
		/* It was on one at start: a directory swapped in on the way is not the target. */
		snprintf(err, err_size, "%s: not on a cgroup filesystem", path);
		cg_close(&cg);
		return -EMEDIUMTYPE;
	}
	t->cg = cg;
	t->cg.hier_every = t->spec.v1_inherited_limit_every;
	t->on_cgroupfs = on_cgroupfs;
	t->pid = pid;
	t->pidfd = TAKE_FD(pidfd);
	if (has_start) {
		t->has_start_time = true;
		t->start_time_ticks = start;
	}
	t->present = true;
	return 0;
}

int target_check(const struct target *t)
{
	struct stat st;
	/* A removed cgroup fails its reads with ENODEV; a removed fixture directory only shows here. */
	if (!t->on_cgroupfs && t->cg.dirfd >= 0 && fstat(t->cg.dirfd, &st) == 0 && st.st_nlink == 0)
		return -ENOENT;
	if (t->pid <= 0)
		return 0;
	if (t->pidfd >= 0) {
		struct pollfd pfd = { .fd = t->pidfd, .events = POLLIN };
		return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLIN | POLLHUP | POLLERR)) ? -ESRCH : 0;
	}
	if (real_proc(t->spec.proc_root)) {
		if (kill(t->pid, 0) < 0 && errno != EPERM)
			return -ESRCH;
	} else {
		char path[64];
		snprintf(path, sizeof(path), "%d", (int)t->pid);
		_cleanup_close_ int dfd = open(t->spec.proc_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || faccessat(dfd, path, F_OK, 0) < 0)
			return -ESRCH;
	}
	/* Without a pidfd, a pid taken by a new process shows as another start time. */
	uint64_t start;
	if (t->has_start_time) {
		int r = target_read_start_time(t->spec.proc_root, t->pid, &start);
		if (r == -ENOENT || (r == 0 && start != t->start_time_ticks))
			return -ESRCH;
	}
	return 0;
}

void target_release(struct target *t)
{
	cg_close(&t->cg);
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = -1;
	t->present = false;
	t->pid = 0;
	/* --pid: remembered, so that pid is taken again only by the same process. */
	if (t->spec.mode != TARGET_PID)
		t->has_start_time = false;
}

const char *target_describe(const struct target *t, char *buf, size_t size)
{
	if (!t->present) {
		switch (t->spec.mode) {
		case TARGET_CGROUP:
			snprintf(buf, size, "cgroup %s", t->cgroup_dir);
			break;
		case TARGET_PID:
			snprintf(buf, size, "pid %d", (int)t->spec.pid);
			break;
		case TARGET_PROCESS:
			snprintf(buf, size, "process %s", t->spec.process_name);
			break;
		}
		return buf;
	}
	if (t->pid > 0)
		snprintf(buf, size, "cgroup %s (v%d), pid %d", t->cg.path, (int)t->cg.version, (int)t->pid);
	else
		snprintf(buf, size, "cgroup %s (v%d)", t->cg.path, (int)t->cg.version);
	return buf;
}
