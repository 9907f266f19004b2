/* The target cgroup: open once, then pread() the kept fds on every check. The readers here only do
 * I/O; the pure parsers of the kernel's memory files are in cgroup_parse.c. */
#include "kernel/cgroup.h"

#include <fcntl.h>
#include <libcgroup.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "base/defaults.h"
#include "base/units.h"
#include "base/util.h"

/* memory.stat is ~1.2 KiB on v1 and ~1.5-2 KiB on v2 (6.x kernels); 8 KiB leaves room for new keys. */
#define STAT_BUF_SIZE 8192
/* memory.events is ~80 bytes, memory.pressure ~130, memory.oom_control ~40. */
#define SMALL_BUF_SIZE 512

/* ---- Open and close ---- */

void cg_target_init(struct cg_target *t)
{
	memset(t, 0, sizeof(*t));
	t->dirfd = t->usage_fd = t->limit_fd = t->events_fd = t->pressure_fd = t->stat_fd = -1;
	for (size_t i = 0; i < CG_MAX_ANCESTORS; i++)
		t->ancestor_limit_fds[i] = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void cg_close(struct cg_target *t)
{
	if (!t)
		return;
	close_fd(&t->dirfd);
	close_fd(&t->usage_fd);
	close_fd(&t->limit_fd);
	close_fd(&t->events_fd);
	close_fd(&t->pressure_fd);
	close_fd(&t->stat_fd);
	for (size_t i = 0; i < CG_MAX_ANCESTORS; i++)
		close_fd(&t->ancestor_limit_fds[i]);
	t->n_ancestors = 0;
	free(t->path);
	t->path = NULL;
}

static int open_ro(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

/* An optional file: its fd, -1 when absent, or -errno on another failure. */
static int open_optional(int dirfd, const char *name, int *ret_fd)
{
	int fd = open_ro(dirfd, name);
	if (fd == -ENOENT) {
		*ret_fd = -1;
		return 0;
	}
	if (fd < 0)
		return fd;
	*ret_fd = fd;
	return 0;
}

/* v2: memory.max of each ancestor, going up while the parent directory has one (the root cgroup
 * and anything above the mount have none). */
static int open_ancestors(struct cg_target *t)
{
	_cleanup_close_ int cur = dup(t->dirfd);

	if (cur < 0)
		return -errno;
	while (t->n_ancestors < CG_MAX_ANCESTORS) {
		int parent = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int fd;
		if (parent < 0)
			return -errno;
		close(cur);
		cur = parent;
		fd = open_ro(cur, "memory.max");
		if (fd == -ENOENT)
			break;
		if (fd < 0)
			return fd;
		t->ancestor_limit_fds[t->n_ancestors++] = fd;
	}
	return 0;
}

int cg_open(const char *path, struct cg_target *ret)
{
	return cg_open_at(AT_FDCWD, path, path, ret);
}

int cg_open_at(int at_fd, const char *rel, const char *path, struct cg_target *ret)
{
	struct cg_target t;
	struct stat st;
	int r;

	cg_target_init(&t);
	cg_target_init(ret);
	if (!path || !rel)
		return -EINVAL;
	t.path = strdup(path);
	if (!t.path)
		return -ENOMEM;
	t.dirfd = open_nofollow_at(at_fd, rel, O_RDONLY | O_DIRECTORY);
	if (t.dirfd < 0) {
		r = t.dirfd;
		t.dirfd = -1;
		goto fail;
	}
	if (fstat(t.dirfd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	t.dev = st.st_dev;
	t.ino = st.st_ino;

	t.usage_fd = open_ro(t.dirfd, "memory.current");
	t.limit_fd = open_ro(t.dirfd, "memory.max");
	if (t.usage_fd >= 0 && t.limit_fd >= 0) {
		t.version = CG_V2;
	} else if ((t.usage_fd < 0 && t.usage_fd != -ENOENT) || (t.limit_fd < 0 && t.limit_fd != -ENOENT)) {
		/* There but not readable (EACCES, EPERM...): said as such, not "not a memory cgroup". */
		r = t.usage_fd < 0 && t.usage_fd != -ENOENT ? t.usage_fd : t.limit_fd;
		if (t.usage_fd < 0)
			t.usage_fd = -1;
		if (t.limit_fd < 0)
			t.limit_fd = -1;
		goto fail;
	} else {
		if (t.usage_fd >= 0)
			close(t.usage_fd);
		if (t.limit_fd >= 0)
			close(t.limit_fd);
		t.usage_fd = open_ro(t.dirfd, "memory.usage_in_bytes");
		t.limit_fd = open_ro(t.dirfd, "memory.limit_in_bytes");
		if (t.usage_fd < 0 || t.limit_fd < 0) {
			r = (t.usage_fd == -ENOENT || t.limit_fd == -ENOENT) ? -EMEDIUMTYPE
			    : t.usage_fd < 0                                 ? t.usage_fd
			                                                     : t.limit_fd;
			if (t.usage_fd < 0)
				t.usage_fd = -1;
			if (t.limit_fd < 0)
				t.limit_fd = -1;
			goto fail;
		}
		t.version = CG_V1;
	}

	r = open_optional(t.dirfd, t.version == CG_V2 ? "memory.events" : "memory.oom_control", &t.events_fd);
	if (r < 0)
		goto fail;
	/* v1 directories have memory.pressure only on kernels with cgroup1 PSI enabled; not on this
	 * project's hosts, so has_psi stays false there. */
	r = open_optional(t.dirfd, "memory.pressure", &t.pressure_fd);
	if (r < 0)
		goto fail;
	r = open_optional(t.dirfd, "memory.stat", &t.stat_fd);
	if (r < 0)
		goto fail;
	if (t.version == CG_V2) {
		r = open_ancestors(&t);
		if (r < 0)
			goto fail;
	}
	*ret = t;
	return 0;
fail:
	cg_close(&t);
	return r;
}

/* ---- The per-check read: pread only ---- */

/* pread()s fd into buf; a file too big for its buffer is garbage. Keeps -ENODEV/-ENOENT as is. */
static ssize_t read_fd(int fd, char *buf, size_t size)
{
	ssize_t n = pread_all(fd, buf, size);
	if (n == -EFBIG)
		return -EBADMSG;
	return n;
}

static int read_limit(int fd, uint64_t *ret)
{
	char buf[64];
	ssize_t n = read_fd(fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return cg_parse_limit(buf, (size_t)n, ret) < 0 ? -EBADMSG : 0;
}

/* The target's own limit file: read every check, parsed only when its bytes changed. */
static int read_limit_cached(struct cg_target *t, uint64_t *ret)
{
	char buf[sizeof(t->limit_text)];
	ssize_t n = read_fd(t->limit_fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (t->limit_text_len && (size_t)n == t->limit_text_len &&
	    memcmp(buf, t->limit_text, (size_t)n) == 0) {
		*ret = t->limit_value;
		return 0;
	}
	uint64_t v;
	if (cg_parse_limit(buf, (size_t)n, &v) < 0)
		return -EBADMSG;
	memcpy(t->limit_text, buf, (size_t)n);
	t->limit_text_len = (size_t)n;
	t->limit_value = v;
	*ret = v;
	return 0;
}

/* -EBADMSG, recording which file held the garbage (for the caller's message). */
static int bad(struct cg_target *t, const char *file)
{
	t->bad_file = file;
	return -EBADMSG;
}

/* The names of the files read at every check, by version. */
static const char *usage_name(const struct cg_target *t)
{
	return t->version == CG_V1 ? "memory.usage_in_bytes" : "memory.current";
}
static const char *limit_name(const struct cg_target *t)
{
	return t->version == CG_V1 ? "memory.limit_in_bytes" : "memory.max";
}

/* Reading an fd of a removed cgroup: measured on cgroup v1 (kernel 6.18) every file — usage,
 * limit, memory.stat, memory.oom_control, cgroup.procs — fails with ENODEV after rmdir; v2 gives
 * ENODEV as well (kernfs: the node is deactivated). Opening by path afterwards gives ENOENT.
 * Both come back negated and unchanged so the caller treats them as "target lost". */
int cg_sample(struct cg_target *t, unsigned what, struct sample *s)
{
	char buf[STAT_BUF_SIZE];
	uint64_t usage, limit = 0, events[MEMEV_COUNT], delta[MEMEV_COUNT] = { 0 };
	struct psi psi = { 0 };
	struct cg_stat st = { 0 };
	bool has_psi = false, has_events = false, has_stat = false;
	ssize_t n;
	int r;

	if (!t || !s || t->usage_fd < 0 || t->limit_fd < 0)
		return -EBADF;
	t->bad_file = NULL;

	n = read_fd(t->usage_fd, buf, sizeof(buf));
	if (n < 0)
		return n == -EBADMSG ? bad(t, usage_name(t)) : (int)n;
	if (cg_parse_u64(buf, (size_t)n, &usage) < 0)
		return bad(t, usage_name(t));

	r = read_limit_cached(t, &limit);
	if (r < 0)
		return r == -EBADMSG ? bad(t, limit_name(t)) : r;
	if (limit == CG_UNLIMITED && t->version == CG_V2) {
		for (size_t i = 0; i < t->n_ancestors; i++) {
			uint64_t a;
			r = read_limit(t->ancestor_limit_fds[i], &a);
			if (r < 0)
				return r == -EBADMSG ? bad(t, "memory.max of an ancestor") : r;
			if (a < limit)
				limit = a;
		}
	}

	/* memory.stat: one pread for both of its uses, v1's inherited limit and the usage figures. */
	bool want_hier = limit == CG_UNLIMITED && t->version == CG_V1;
	if (want_hier && t->hier_every > 1 && t->hier_have && ++t->hier_age % t->hier_every != 0 &&
	    !(what & CG_SAMPLE_STAT)) {
		limit = t->hier_limit; /* kept from the last read */
		want_hier = false;
	}
	if (t->stat_fd >= 0 && (want_hier || (what & CG_SAMPLE_STAT))) {
		n = read_fd(t->stat_fd, buf, sizeof(buf));
		if (n < 0)
			return n == -EBADMSG ? bad(t, "memory.stat") : (int)n;
		if (want_hier) {
			uint64_t h;
			r = cg_parse_keyed(buf, (size_t)n, "hierarchical_memory_limit", &h);
			if (r == -EBADMSG)
				return bad(t, "memory.stat");
			if (r == 0 && h < CG_V1_UNLIMITED_MIN_BYTES)
				limit = h;
			t->hier_limit = limit;
			t->hier_have = true;
			t->hier_age = 0;
		}
		if (what & CG_SAMPLE_STAT) {
			/* Without the keys (no kernel seen lacks them): no figures, the usage is
			 * current's; the sample says so by having no working set. */
			r = cg_parse_stat(buf, (size_t)n, t->version, &st);
			if (r == -EBADMSG)
				return bad(t, "memory.stat");
			has_stat = r == 0;
		}
	}

	if ((what & CG_SAMPLE_PSI) && t->pressure_fd >= 0) {
		n = read_fd(t->pressure_fd, buf, sizeof(buf));
		/* EOPNOTSUPP: PSI switched off (psi=0, or cgroup.pressure 0): no PSI, not an error. */
		if (n == -EOPNOTSUPP)
			has_psi = false;
		else if (n == -EBADMSG)
			return bad(t, "memory.pressure");
		else if (n < 0)
			return (int)n;
		else if (cg_parse_psi(buf, (size_t)n, &psi) < 0)
			return bad(t, "memory.pressure");
		else
			has_psi = true;
	}

	if ((what & CG_SAMPLE_EVENTS) && t->events_fd >= 0) {
		const char *events_name = t->version == CG_V1 ? "memory.oom_control" : "memory.events";
		n = read_fd(t->events_fd, buf, sizeof(buf));
		if (n < 0)
			return n == -EBADMSG ? bad(t, events_name) : (int)n;
		if (cg_parse_events(buf, (size_t)n, events) < 0)
			return bad(t, events_name);
		has_events = true;
		if (t->have_prev_events) {
			bool went_down = false;
			for (size_t i = 0; i < MEMEV_COUNT; i++)
				if (events[i] < t->prev_events[i])
					went_down = true;
			/* A counter that went down: the cgroup was recreated; new baseline, delta 0. */
			if (!went_down)
				for (size_t i = 0; i < MEMEV_COUNT; i++)
					delta[i] = events[i] - t->prev_events[i];
		}
		memcpy(t->prev_events, events, sizeof(events));
		t->have_prev_events = 1;
	}

	s->usage_bytes = usage;
	s->limit_bytes = limit;
	s->has_stat = has_stat;
	/* kubelet's and cAdvisor's working set: usage less the inactive file pages, never below 0
	 * (memory.stat and the usage file are read apart, and v1's usage is approximate). */
	s->working_set_bytes = usage > st.inactive_file_bytes ? usage - st.inactive_file_bytes : 0;
	s->anon_bytes = st.anon_bytes;
	if (!has_stat)
		s->working_set_bytes = s->anon_bytes = 0;
	s->has_psi = has_psi;
	s->psi = psi;
	s->has_events = has_events;
	if (has_events) {
		memcpy(s->events, events, sizeof(events));
		memcpy(s->events_delta, delta, sizeof(delta));
	} else {
		memset(s->events, 0, sizeof(s->events));
		memset(s->events_delta, 0, sizeof(s->events_delta));
	}
	return 0;
}

/* ---- Outside the hot path ---- */

/* cgroup.procs text: one pid per line, an empty line skipped, the last newline optional. Writes the
 * first cap pids into pids and checks the rest. Returns the number of pids in the text or
 * -EBADMSG. */
static ssize_t parse_procs(const char *buf, size_t len, pid_t *pids, size_t cap)
{
	const char *p = buf, *end = buf + len;
	size_t n = 0;

	while (p < end) {
		uint64_t v;
		if (*p == '\n') {
			p++;
			continue;
		}
		if (units_parse_u64_cursor(&p, end, &v) < 0 || v > INT32_MAX || (p < end && *p != '\n'))
			return -EBADMSG;
		if (n < cap)
			pids[n] = (pid_t)v;
		n++;
	}
	return (ssize_t)n;
}

/* The whole of cgroup.procs, malloc'd (not NUL-terminated), at most what CG_PROCS_MAX pids of ten
 * digits take. Returns the length or -errno (-E2BIG when larger). */
static ssize_t read_procs_text(const struct cg_target *t, char **ret_buf)
{
	const size_t max = (size_t)CG_PROCS_MAX * 11;
	size_t cap = 4096, len = 0;

	_cleanup_close_ int fd = openat(t->dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap >= max)
				return -E2BIG;
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_buf = TAKE_PTR(buf);
	return (ssize_t)len;
}

ssize_t cg_read_procs(const struct cg_target *t, pid_t *ret_pids, size_t cap)
{
	_cleanup_free_ char *buf = NULL;

	if (!t || t->dirfd < 0 || (!ret_pids && cap > 0))
		return -EINVAL;
	ssize_t len = read_procs_text(t, &buf);
	if (len < 0)
		return len;
	ssize_t n = parse_procs(buf, (size_t)len, ret_pids, cap);
	if (n < 0)
		return n;
	return (size_t)n < cap ? n : (ssize_t)cap;
}

ssize_t cg_read_procs_alloc(const struct cg_target *t, pid_t **ret_pids)
{
	_cleanup_free_ char *buf = NULL;

	if (!t || t->dirfd < 0 || !ret_pids)
		return -EINVAL;
	ssize_t len = read_procs_text(t, &buf);
	if (len < 0)
		return len;
	ssize_t n = parse_procs(buf, (size_t)len, NULL, 0);
	if (n < 0)
		return n;
	if ((size_t)n > CG_PROCS_MAX)
		return -E2BIG;
	_cleanup_free_ pid_t *pids = calloc((size_t)n + 1, sizeof(pid_t));
	if (!pids)
		return -ENOMEM;
	parse_procs(buf, (size_t)len, pids, (size_t)n);
	*ret_pids = TAKE_PTR(pids);
	return n;
}

static bool is_cgroupfs(int fd)
{
	struct statfs sfs;
	return fstatfs(fd, &sfs) == 0 &&
	       (sfs.f_type == CGROUP2_SUPER_MAGIC || sfs.f_type == CGROUP_SUPER_MAGIC);
}

int cg_dir_alive(int dirfd)
{
	struct stat st;
	if (fstat(dirfd, &st) < 0)
		return -errno;
	if (st.st_nlink == 0)
		return -ENOENT;
	/* Measured on v1 (kernel 6.18): after rmdir the directory fd still stats with 2 links and
	 * opens "."; a name under it is ENOENT. */
	if (is_cgroupfs(dirfd) && faccessat(dirfd, "cgroup.procs", F_OK, AT_SYMLINK_NOFOLLOW) < 0 &&
	    (errno == ENOENT || errno == ENODEV))
		return -ENOENT;
	return 0;
}

int cg_check_write_fd(int dirfd, int fd)
{
	struct stat dst, fst;
	if (fstat(dirfd, &dst) < 0 || fstat(fd, &fst) < 0)
		return -errno;
	if (fst.st_dev != dst.st_dev)
		return -EXDEV;
	if (is_cgroupfs(dirfd) && !is_cgroupfs(fd))
		return -EXDEV;
	return 0;
}

int cg_find_memory_mount(char **ret_mount, enum cg_version *ret_version)
{
	char *mnt = NULL;
	struct statfs sfs;
	int r;

	if (!ret_mount || !ret_version)
		return -EINVAL;
	r = cgroup_init();
	if (r == ECGOTHER)
		return -(cgroup_get_last_errno() ?: EIO);
	if (r != 0)
		return -ENOENT; /* ECGROUPNOTMOUNTED and friends: no cgroup hierarchy at all */
	r = cgroup_get_subsys_mount_point("memory", &mnt);
	if (r == ECGOTHER)
		return -(cgroup_get_last_errno() ?: EIO);
	if (r != 0 || !mnt)
		return -ENOENT; /* ECGROUPNOTEXIST: the memory controller is not mounted */
	if (statfs(mnt, &sfs) < 0) {
		r = -errno;
		free(mnt);
		return r;
	}
	if (sfs.f_type == CGROUP2_SUPER_MAGIC)
		*ret_version = CG_V2;
	else if (sfs.f_type == CGROUP_SUPER_MAGIC)
		*ret_version = CG_V1;
	else {
		free(mnt);
		return -EMEDIUMTYPE;
	}
	*ret_mount = mnt;
	return 0;
}
