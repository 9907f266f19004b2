/* The target cgroup: open once, then pread() the kept fds on every check. Pure parsers for the
 * kernel's memory files live at the top; the readers below them only do I/O. */
#include "cgroup.h"

#include <fcntl.h>
#include <libcgroup.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/statfs.h>

#include "defaults.h"
#include "units.h"
#include "util.h"

/* memory.stat is ~1.2 KiB on v1 and ~1.5-2 KiB on v2 (6.x kernels); 8 KiB leaves room for new keys. */
#define STAT_BUF_SIZE 8192
/* memory.events is ~80 bytes, memory.pressure ~130, memory.oom_control ~40. */
#define SMALL_BUF_SIZE 512
/* v1 reports "no limit" as PAGE_COUNTER_MAX * PAGE_SIZE (9223372036854771712 with 4 KiB pages);
 * anything at or above 2^62 is taken as unlimited, as cAdvisor and OpenJDK do. */
#define V1_UNLIMITED_THRESHOLD (UINT64_C(1) << 62)

/* ---- Cursor helpers ---- */

/* Decimal digits at *p (at least one; units_parse_u64_cursor). Returns 0, -EBADMSG, -ERANGE. */
static int parse_u64_cursor(const char **p, const char *end, uint64_t *ret)
{
	int r = units_parse_u64_cursor(p, end, ret);
	return r == -EINVAL ? -EBADMSG : r;
}

/* True when [p, end) is empty or exactly one '\n'. */
static bool at_end_or_newline(const char *p, const char *end)
{
	return p == end || (p + 1 == end && *p == '\n');
}

static bool is_key_char(char c)
{
	return c > ' ' && c < 0x7f;
}

/* One "key value\n" line of memory.stat / memory.events / memory.oom_control. Advances *p past the
 * line. Returns 1 with a line, 0 at the end of the buffer, -EBADMSG or -ERANGE. */
static int keyed_next(const char **p, const char *end, const char **ret_key, size_t *ret_key_len,
                      uint64_t *ret_value)
{
	const char *s = *p, *key;
	uint64_t v;
	int r;

	if (s >= end)
		return 0;
	key = s;
	while (s < end && is_key_char(*s))
		s++;
	if (s == key || s >= end || *s != ' ')
		return -EBADMSG;
	*ret_key_len = (size_t)(s - key);
	while (s < end && *s == ' ')
		s++;
	r = parse_u64_cursor(&s, end, &v);
	if (r < 0)
		return r;
	if (s < end) {
		if (*s != '\n')
			return -EBADMSG;
		s++;
	}
	*ret_key = key;
	*ret_value = v;
	*p = s;
	return 1;
}

static bool key_is(const char *key, size_t key_len, const char *want)
{
	return strlen(want) == key_len && memcmp(key, want, key_len) == 0;
}

/* ---- Pure parsers ---- */

int cg_parse_u64(const char *buf, size_t len, uint64_t *ret)
{
	const char *p = buf, *end = buf + len;
	uint64_t v;
	int r;

	if (!buf)
		return -EBADMSG;
	r = parse_u64_cursor(&p, end, &v);
	if (r < 0)
		return r;
	if (!at_end_or_newline(p, end))
		return -EBADMSG;
	*ret = v;
	return 0;
}

int cg_parse_limit(const char *buf, size_t len, uint64_t *ret)
{
	uint64_t v;
	int r;

	if (!buf)
		return -EBADMSG;
	if (len >= 3 && memcmp(buf, "max", 3) == 0) {
		if (!at_end_or_newline(buf + 3, buf + len))
			return -EBADMSG;
		*ret = CG_UNLIMITED;
		return 0;
	}
	r = cg_parse_u64(buf, len, &v);
	if (r < 0)
		return r;
	*ret = v >= V1_UNLIMITED_THRESHOLD ? CG_UNLIMITED : v;
	return 0;
}

/* "12.34" as a double, without locale or strtod: integer part, then up to any number of decimals. */
static int parse_decimal_cursor(const char **p, const char *end, double *ret)
{
	const char *s = *p;
	uint64_t whole;
	double v, scale = 0.1;
	int r;

	r = parse_u64_cursor(&s, end, &whole);
	if (r < 0)
		return r;
	v = (double)whole;
	if (s < end && *s == '.') {
		s++;
		if (s >= end || *s < '0' || *s > '9')
			return -EBADMSG;
		while (s < end && *s >= '0' && *s <= '9') {
			v += (*s - '0') * scale;
			scale /= 10;
			s++;
		}
	}
	*p = s;
	*ret = v;
	return 0;
}

/* One PSI line after its "some"/"full" word: " avg10=X avg60=X avg300=X total=N", each key once. */
static int parse_psi_fields(const char **p, const char *end, double avg[PSI_WINDOWS], uint64_t *ret_total)
{
	static const char *const names[PSI_WINDOWS] = { "avg10=", "avg60=", "avg300=" };
	const char *s = *p;
	unsigned seen = 0; /* bit per window, bit 3 for total */

	while (s < end && *s != '\n') {
		bool matched = false;
		if (*s != ' ')
			return -EBADMSG;
		while (s < end && *s == ' ')
			s++;
		for (size_t w = 0; w < PSI_WINDOWS; w++) {
			size_t n = strlen(names[w]);
			if ((size_t)(end - s) > n && memcmp(s, names[w], n) == 0) {
				if (seen & (1u << w))
					return -EBADMSG;
				s += n;
				if (parse_decimal_cursor(&s, end, &avg[w]) < 0 || avg[w] > 100.0)
					return -EBADMSG;
				seen |= 1u << w;
				matched = true;
				break;
			}
		}
		if (!matched) {
			if ((size_t)(end - s) > 6 && memcmp(s, "total=", 6) == 0 && !(seen & 8u)) {
				s += 6;
				if (parse_u64_cursor(&s, end, ret_total) < 0)
					return -EBADMSG;
				seen |= 8u;
			} else
				return -EBADMSG;
		}
	}
	if (seen != 0xfu)
		return -EBADMSG;
	if (s < end)
		s++; /* the newline */
	*p = s;
	return 0;
}

int cg_parse_psi(const char *buf, size_t len, struct psi *ret)
{
	const char *p = buf, *end = buf + len;
	struct psi psi = { 0 };
	bool seen[PSI_KINDS] = { false, false };

	if (!buf || len == 0)
		return -EBADMSG;
	while (p < end) {
		enum psi_kind k;
		if ((size_t)(end - p) >= 4 && memcmp(p, "some", 4) == 0)
			k = PSI_SOME;
		else if ((size_t)(end - p) >= 4 && memcmp(p, "full", 4) == 0)
			k = PSI_FULL;
		else
			return -EBADMSG;
		if (seen[k])
			return -EBADMSG;
		p += 4;
		if (parse_psi_fields(&p, end, psi.avg[k], &psi.total_usec[k]) < 0)
			return -EBADMSG;
		seen[k] = true;
	}
	if (!seen[PSI_SOME])
		return -EBADMSG;
	*ret = psi;
	return 0;
}

int cg_parse_events(const char *buf, size_t len, uint64_t ret[MEMEV_COUNT])
{
	uint64_t v[MEMEV_COUNT] = { 0 };
	const char *p = buf, *end = buf + len, *key;
	size_t key_len;
	uint64_t value;
	int r;

	if (!buf || len == 0)
		return -EBADMSG;
	while ((r = keyed_next(&p, end, &key, &key_len, &value)) > 0)
		for (size_t i = 0; i < MEMEV_COUNT; i++)
			/* v2 memory.events keys, and v1 memory.oom_control's oom_kill (same name,
			 * same meaning): the names of lib/names.h. */
			if (key_is(key, key_len, memevent_name((enum memevent)i)))
				v[i] = value;
	if (r < 0)
		return -EBADMSG;
	memcpy(ret, v, sizeof(v));
	return 0;
}

int cg_parse_keyed(const char *buf, size_t len, const char *key, uint64_t *ret)
{
	const char *p = buf, *end = buf + len, *k;
	size_t key_len;
	uint64_t value, found_value = 0;
	bool found = false;
	int r;

	if (!buf || len == 0 || !key)
		return -EBADMSG;
	/* The whole file is checked: a file with a garbage line is garbage, whichever key is asked. */
	while ((r = keyed_next(&p, end, &k, &key_len, &value)) > 0)
		if (!found && key_is(k, key_len, key)) {
			found = true;
			found_value = value;
		}
	if (r < 0)
		return -EBADMSG;
	if (!found)
		return -ENOENT;
	*ret = found_value;
	return 0;
}

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
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
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
	struct cg_target t;
	int r;

	cg_target_init(&t);
	cg_target_init(ret);
	if (!path)
		return -EINVAL;
	t.path = strdup(path);
	if (!t.path)
		return -ENOMEM;
	t.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t.dirfd < 0) {
		r = -errno;
		goto fail;
	}

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

/* Reading an fd of a removed cgroup: measured on cgroup v1 (kernel 6.18) every file — usage,
 * limit, memory.stat, memory.oom_control, cgroup.procs — fails with ENODEV after rmdir; v2 gives
 * ENODEV as well (kernfs: the node is deactivated). Opening by path afterwards gives ENOENT.
 * Both come back negated and unchanged so the caller treats them as "target lost". */
int cg_sample(struct cg_target *t, unsigned what, struct sample *s)
{
	char buf[STAT_BUF_SIZE];
	uint64_t usage, limit, events[MEMEV_COUNT], delta[MEMEV_COUNT] = { 0 };
	struct psi psi = { 0 };
	bool has_psi = false, has_events = false;
	ssize_t n;
	int r;

	if (!t || !s || t->usage_fd < 0 || t->limit_fd < 0)
		return -EBADF;

	n = read_fd(t->usage_fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (cg_parse_u64(buf, (size_t)n, &usage) < 0)
		return -EBADMSG;

	r = read_limit(t->limit_fd, &limit);
	if (r < 0)
		return r;
	if (limit == CG_UNLIMITED && t->version == CG_V2) {
		for (size_t i = 0; i < t->n_ancestors; i++) {
			uint64_t a;
			r = read_limit(t->ancestor_limit_fds[i], &a);
			if (r < 0)
				return r;
			if (a < limit)
				limit = a;
		}
	} else if (limit == CG_UNLIMITED && t->version == CG_V1 && t->stat_fd >= 0) {
		uint64_t h;
		n = read_fd(t->stat_fd, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		r = cg_parse_keyed(buf, (size_t)n, "hierarchical_memory_limit", &h);
		if (r == -EBADMSG)
			return r;
		if (r == 0 && h < V1_UNLIMITED_THRESHOLD)
			limit = h;
	}

	if ((what & CG_SAMPLE_PSI) && t->pressure_fd >= 0) {
		n = read_fd(t->pressure_fd, buf, sizeof(buf));
		/* EOPNOTSUPP: PSI switched off (psi=0, or cgroup.pressure 0): no PSI, not an error. */
		if (n == -EOPNOTSUPP)
			has_psi = false;
		else if (n < 0)
			return (int)n;
		else if (cg_parse_psi(buf, (size_t)n, &psi) < 0)
			return -EBADMSG;
		else
			has_psi = true;
	}

	if ((what & CG_SAMPLE_EVENTS) && t->events_fd >= 0) {
		n = read_fd(t->events_fd, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		if (cg_parse_events(buf, (size_t)n, events) < 0)
			return -EBADMSG;
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

	_cleanup_close_ int fd = openat(t->dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
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
