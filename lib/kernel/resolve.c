/* Finding the target: a pid's memory cgroup directory (through /proc/PID/cgroup and mountinfo,
 * cgroup namespaces included) and a process by name. */
#include "kernel/resolve.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

/* /proc/PID/cgroup has one short line per hierarchy; mountinfo grows with the mounts (a busy
 * container host can have thousands of ~150-byte lines): caps of 64 KiB and 4 MiB. */
#define PROC_CGROUP_MAX (64 * 1024)
#define MOUNTINFO_MAX   (4 * 1024 * 1024)
#define FIELD_MAX       4096

static void set_err(char *err, size_t err_size, const char *fmt, ...) _printf_(3, 4);
static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_size == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

/* A mountinfo field [s, e) with its octal escapes (\040 space, \011 tab, \012 newline, \134
 * backslash) undone, into out. Returns 0 or -EBADMSG (too long). */
static int unescape_field(const char *s, const char *e, char *out, size_t out_size)
{
	size_t n = 0;

	while (s < e) {
		char c = *s;
		if (c == '\\' && e - s >= 4 && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			c = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else
			s++;
		if (n + 1 >= out_size)
			return -EBADMSG;
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

/* Splits a line [s, e) on single spaces into at most cap fields. Returns the count. */
static size_t split_fields(const char *s, const char *e, const char **fs, const char **fe, size_t cap)
{
	size_t n = 0;

	while (s < e && n < cap) {
		while (s < e && *s == ' ')
			s++;
		if (s >= e)
			break;
		fs[n] = s;
		while (s < e && *s != ' ')
			s++;
		fe[n++] = s;
	}
	return n;
}

/* True when the comma-separated list [s, e) holds item. */
static bool list_has(const char *s, const char *e, const char *item)
{
	size_t len = strlen(item);

	while (s < e) {
		const char *c = memchr(s, ',', (size_t)(e - s));
		const char *ie = c ? c : e;
		if ((size_t)(ie - s) == len && memcmp(s, item, len) == 0)
			return true;
		s = c ? c + 1 : e;
	}
	return false;
}

struct mount {
	char root[FIELD_MAX];
	char point[FIELD_MAX];
};

/* The length of a mount root without its trailing slashes ("/a//" is "/a"), never below 1. */
static size_t root_len(const char *root)
{
	size_t n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	return n;
}

/* True when root is a component-wise prefix of path ("/a" is a prefix of "/a/b", not of "/ab"). */
static bool path_under(const char *path, const char *root)
{
	size_t n = root_len(root);

	if (n == 1)
		return path[0] == '/';
	return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* True when path has a ".." component (an escape from the reader's cgroup namespace). */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

/* The mountinfo line of fstype whose super options (for "cgroup") hold "memory"; among several,
 * the one whose root holds path, the longest root winning (bind mounts of sub-trees).
 * Returns 1 when a mount of that kind was found (under or not: *ret_under says), 0 when none,
 * or -EBADMSG. */
static int find_mount(const char *mountinfo, bool v1, const char *path, struct mount *ret, bool *ret_under)
{
	const char *p = mountinfo, *end = mountinfo + strlen(mountinfo);
	struct mount m;
	bool found = false, under = false;
	size_t best_len = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		const char *fs[64], *fe[64];
		size_t n = split_fields(p, le, fs, fe, ARRAY_SIZE(fs)), sep = 0;

		p = eol ? eol + 1 : end;
		/* id parent major:minor root mountpoint options [optional...] - fstype source superoptions */
		for (size_t i = 6; i < n; i++)
			if (fe[i] - fs[i] == 1 && fs[i][0] == '-') {
				sep = i;
				break;
			}
		if (sep == 0 || sep + 3 >= n)
			continue; /* a garbage line is skipped */
		{
			const char *type = fs[sep + 1];
			size_t type_len = (size_t)(fe[sep + 1] - type);
			if (v1) {
				if (type_len != 6 || memcmp(type, "cgroup", 6) != 0 ||
				    !list_has(fs[sep + 3], fe[sep + 3], "memory"))
					continue;
			} else if (type_len != 7 || memcmp(type, "cgroup2", 7) != 0)
				continue;
		}
		if (unescape_field(fs[3], fe[3], m.root, sizeof(m.root)) < 0 ||
		    unescape_field(fs[4], fe[4], m.point, sizeof(m.point)) < 0 || m.root[0] != '/' ||
		    m.point[0] != '/')
			continue;
		if (path && path_under(path, m.root)) {
			if (!under || strlen(m.root) > best_len) {
				*ret = m;
				best_len = strlen(m.root);
			}
			under = true;
		} else if (!found)
			*ret = m;
		found = true;
	}
	*ret_under = under;
	return found ? 1 : 0;
}

/* The path of the /proc/PID/cgroup line for v1 memory ("N:...memory...:/path") or v2 ("0::/path").
 * Returns 0 (malloc'd *ret_path), -ENOENT (no such line), -ENOMEM. */
static int find_cgroup_line(const char *text, bool v1, char **ret_path)
{
	const char *p = text, *end = text + strlen(text);

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		const char *c1 = memchr(p, ':', (size_t)(le - p));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		const char *line = p;

		p = eol ? eol + 1 : end;
		if (!c1 || !c2 || c2 + 1 >= le || c2[1] != '/')
			continue; /* garbage, or an empty path */
		for (const char *d = line; d < c1; d++)
			if (*d < '0' || *d > '9')
				goto next;
		if (c1 == line)
			continue;
		if (v1 ? !list_has(c1 + 1, c2, "memory")
		       : !(c1 - line == 1 && line[0] == '0' && c2 == c1 + 1))
			continue;
		*ret_path = strndup(c2 + 1, (size_t)(le - c2 - 1));
		return *ret_path ? 0 : -ENOMEM;
	next:;
	}
	return -ENOENT;
}

/* On a hybrid host (v1 hierarchies beside a cgroup2 mount, like Docker's hosts with systemd's
 * "hybrid" layout) the memory controller lives on the v1 mount and the cgroup2 mount has no
 * memory files, so v1 memory wins whenever both a v1 memory mount and a memory line exist. */
int resolve_cgroup_from_text(const char *proc_cgroup, const char *mountinfo, char **ret_path, char *err,
                             size_t err_size)
{
	_cleanup_free_ char *cg_path = NULL;
	_cleanup_free_ struct mount *m = NULL;
	bool under = false, v1 = true;
	const char *rest;
	char *out;
	int r;

	if (!proc_cgroup || !mountinfo || !ret_path)
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;

	r = find_cgroup_line(proc_cgroup, true, &cg_path);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		r = find_mount(mountinfo, true, cg_path, m, &under);
		if (r <= 0) {
			free(cg_path);
			cg_path = NULL;
		}
	}
	if (!cg_path) {
		v1 = false;
		r = find_cgroup_line(proc_cgroup, false, &cg_path);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			set_err(err, err_size,
			        "no memory cgroup: neither a v1 line naming \"memory\" with a v1 "
			        "memory mount nor a \"0::\" line");
			return -ENOENT;
		}
		r = find_mount(mountinfo, false, cg_path, m, &under);
		if (r <= 0) {
			set_err(err, err_size,
			        "no memory cgroup mount: mountinfo has neither a cgroup mount with "
			        "the memory controller nor a cgroup2 mount");
			return -ENOENT;
		}
	}

	if (has_dotdot(cg_path) || !under) {
		set_err(err, err_size,
		        "cgroup path %s is outside the %s mount at %s (root %s): the target is in another "
		        "cgroup "
		        "namespace",
		        cg_path, v1 ? "cgroup v1 memory" : "cgroup2", m->point, m->root);
		return -EXDEV;
	}
	rest = cg_path + (root_len(m->root) == 1 ? 0 : root_len(m->root));
	while (*rest == '/' && rest[1] == '/')
		rest++;
	if (strcmp(rest, "/") == 0)
		rest = "";
	{
		size_t pl = strlen(m->point);
		bool slash = pl > 0 && m->point[pl - 1] == '/';
		if (asprintf(&out, "%s%s", m->point, slash && rest[0] == '/' ? rest + 1 : rest) < 0)
			return -ENOMEM;
	}
	*ret_path = out;
	return 0;
}

/* Reads <dir>/<name> into a malloc'd string of at most cap bytes. */
static int read_text(int dirfd, const char *name, size_t cap, char **ret)
{
	_cleanup_free_ char *buf = malloc(cap);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	n = read_small_file_at(dirfd, name, buf, cap);
	if (n < 0)
		return (int)n;
	if (memchr(buf, '\0', (size_t)n))
		return -EBADMSG;
	*ret = TAKE_PTR(buf);
	return 0;
}

int resolve_pid_cgroup(const char *proc_root, pid_t pid, char **ret_path, char *err, size_t err_size)
{
	_cleanup_close_ int rootfd = -1;
	_cleanup_free_ char *cg_text = NULL, *mi_text = NULL;
	char name[64], msg[1024] = "";
	int r;

	if (!proc_root)
		proc_root = "/proc";
	if (pid <= 0) {
		set_err(err, err_size, "%s: invalid pid %d", proc_root, (int)pid);
		return -ESRCH;
	}
	rootfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		r = -errno;
		set_err(err, err_size, "%s: %s", proc_root, strerror(-r));
		return r;
	}
	snprintf(name, sizeof(name), "%d/cgroup", (int)pid);
	r = read_text(rootfd, name, PROC_CGROUP_MAX, &cg_text);
	if (r < 0) {
		set_err(err, err_size, "%s/%s: %s", proc_root, name,
		        r == -ENOENT ? "no such process" : strerror(-r));
		return r == -ENOENT ? -ESRCH : r;
	}
	r = read_text(rootfd, "self/mountinfo", MOUNTINFO_MAX, &mi_text);
	if (r < 0) {
		set_err(err, err_size, "%s/self/mountinfo: %s", proc_root, strerror(-r));
		return r;
	}
	r = resolve_cgroup_from_text(cg_text, mi_text, ret_path, msg, sizeof(msg));
	if (r < 0)
		set_err(err, err_size, "%s/%s: %s", proc_root, name, msg);
	return r;
}

/* The pid an all-digit /proc entry names, or 0. */
static pid_t parse_pid(const char *s)
{
	const char *p = s;
	uint64_t v;

	if (units_parse_u64_cursor(&p, s + strlen(s), &v) < 0 || *p || v > INT32_MAX)
		return 0;
	return (pid_t)v;
}

/* True when pid's comm, or the basename of its argv[0], is name. A vanished process is no match. */
static bool process_matches(int rootfd, pid_t pid, const char *name)
{
	char path[64], buf[4096];
	ssize_t n;
	size_t len;
	const char *base;

	snprintf(path, sizeof(path), "%d/comm", (int)pid);
	n = read_small_file_at(rootfd, path, buf, sizeof(buf));
	if (n > 0) {
		len = (size_t)n;
		if (buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (strcmp(buf, name) == 0)
			return true;
	}
	snprintf(path, sizeof(path), "%d/cmdline", (int)pid);
	n = read_small_file_at(rootfd, path, buf, sizeof(buf));
	if (n <= 0 && n != -EFBIG)
		return false; /* gone, or a kernel thread / zombie with no cmdline */
	if (n == -EFBIG)
		buf[sizeof(buf) - 1] = '\0'; /* argv[0] alone is what matters; pread_all filled buf */
	/* argv[0] ends at the first NUL (buf is NUL-terminated by the reader) */
	base = strrchr(buf, '/');
	base = base ? base + 1 : buf;
	return base[0] != '\0' && strcmp(base, name) == 0;
}

int resolve_process(const char *proc_root, const char *name, pid_t *ret_pid)
{
	DIR *d;
	struct dirent *de;
	pid_t self = getpid(), best = 0;
	int rootfd;

	if (!name || !*name || !ret_pid)
		return -EINVAL;
	if (!proc_root)
		proc_root = "/proc";
	d = opendir(proc_root);
	if (!d)
		return -errno;
	rootfd = dirfd(d);
	while ((errno = 0, de = readdir(d))) {
		pid_t pid = parse_pid(de->d_name);
		if (pid <= 0 || pid == self || (best && pid >= best))
			continue;
		if (process_matches(rootfd, pid, name))
			best = pid;
	}
	closedir(d);
	if (!best)
		return -ESRCH;
	*ret_pid = best;
	return 0;
}
