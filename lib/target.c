#include "target.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "resolve.h"
#include "util.h"

void target_init_spec(struct target *t, const struct target_spec *spec)
{
	memset(t, 0, sizeof(*t));
	t->spec = *spec;
	if (!t->spec.proc_root)
		t->spec.proc_root = "/proc";
	cg_target_init(&t->cg);
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
	default:
		return strerror(-r);
	}
}

/* The cgroup directory of pid. When its cgroup is outside our cgroup namespace (a sidecar with a
 * private cgroupns on a cgroup v2 node reads "0::/../<id>"), falls back to the target's own view,
 * <proc_root>/PID/root/sys/fs/cgroup: a container's cgroup2 mount, made inside its own cgroup
 * namespace, is rooted at its cgroup. That path is used only when it is a memory cgroup; reading
 * it needs ptrace access to the target (same uid, or CAP_SYS_PTRACE). */
static int pid_cgroup(const char *proc_root, pid_t pid, char **ret_path, char *err, size_t err_size)
{
	int r = resolve_pid_cgroup(proc_root, pid, ret_path, err, err_size);
	if (r != -EXDEV)
		return r;
	char own[PATH_MAX];
	snprintf(own, sizeof(own), "%s/%d/root/sys/fs/cgroup", proc_root, (int)pid);
	struct cg_target cg;
	int q = cg_open(own, &cg);
	cg_close(&cg);
	if (q < 0)
		return r; /* err still says why the namespaced path was refused */
	char *p = strdup(own);
	if (!p)
		return -ENOMEM;
	*ret_path = p;
	return 0;
}

int target_acquire(struct target *t, char *err, size_t err_size)
{
	_cleanup_free_ char *path = NULL;
	pid_t pid = 0;
	int r;

	switch (t->spec.mode) {
	case TARGET_CGROUP:
		path = strdup(t->spec.cgroup_dir);
		if (!path)
			return -ENOMEM;
		break;
	case TARGET_PROCESS:
		r = resolve_process(t->spec.proc_root, t->spec.process_name, &pid);
		if (r < 0) {
			snprintf(err, err_size, "no process named %s under %s", t->spec.process_name,
			         t->spec.proc_root);
			return r;
		}
		r = pid_cgroup(t->spec.proc_root, pid, &path, err, err_size);
		if (r < 0)
			return r;
		break;
	case TARGET_PID:
		pid = t->spec.pid;
		r = pid_cgroup(t->spec.proc_root, pid, &path, err, err_size);
		if (r < 0)
			return r;
		break;
	}

	struct cg_target cg;
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
	t->cg = cg;
	struct statfs sfs;
	t->on_cgroupfs = fstatfs(cg.dirfd, &sfs) == 0 &&
	                 (sfs.f_type == CGROUP_SUPER_MAGIC || sfs.f_type == CGROUP2_SUPER_MAGIC);
	t->pid = pid;
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
	if (strcmp(t->spec.proc_root, "/proc") == 0)
		return kill(t->pid, 0) == 0 || errno == EPERM ? 0 : -ESRCH;
	char path[64];
	snprintf(path, sizeof(path), "%d", (int)t->pid);
	_cleanup_close_ int dfd = open(t->spec.proc_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return dfd >= 0 && faccessat(dfd, path, F_OK, 0) == 0 ? 0 : -ESRCH;
}

void target_release(struct target *t)
{
	cg_close(&t->cg);
	t->present = false;
	t->pid = 0;
}

const char *target_describe(const struct target *t, char *buf, size_t size)
{
	if (!t->present) {
		switch (t->spec.mode) {
		case TARGET_CGROUP:
			snprintf(buf, size, "cgroup %s", t->spec.cgroup_dir);
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
