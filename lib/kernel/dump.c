/* The target's memory breakdown (Satella's dump_memory_on): memory.stat's byte-valued categories,
 * largest first, then the cgroup's processes by RSS. Not on the hot path: it may allocate. */
#include "kernel/dump.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

#define DUMP_STAT_MAX (64 * 1024)
#define STATUS_MAX    (16 * 1024)

/* The byte-valued memory.stat keys (counters like pgfault and workingset_* are events, not sizes). */
static const char *const v2_byte_keys[] = {
	"anon",
	"file",
	"kernel",
	"kernel_stack",
	"pagetables",
	"sec_pagetables",
	"percpu",
	"sock",
	"vmalloc",
	"shmem",
	"zswap",
	"zswapped",
	"file_mapped",
	"file_dirty",
	"file_writeback",
	"swapcached",
	"anon_thp",
	"file_thp",
	"shmem_thp",
	"inactive_anon",
	"active_anon",
	"inactive_file",
	"active_file",
	"unevictable",
	"slab_reclaimable",
	"slab_unreclaimable",
	"slab",
};
/* v1: each is read as total_<key> (this cgroup and its descendants) when present. */
static const char *const v1_byte_keys[] = {
	"cache", "rss",        "rss_huge",      "shmem",       "mapped_file",   "dirty",       "writeback",
	"swap",  "swapcached", "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
};

struct entry {
	const char *name;
	uint64_t bytes;
};

struct proc_entry {
	pid_t pid;
	uint64_t rss_bytes;
	char comm[64];
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_proc(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;
	if (x->rss_bytes != y->rss_bytes)
		return x->rss_bytes < y->rss_bytes ? 1 : -1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Name and VmRSS from a /proc/PID/status text. VmRSS absent (kernel thread, zombie) is 0. */
static void parse_status(const char *buf, struct proc_entry *e)
{
	const char *p;

	p = strstr(buf, "Name:\t");
	if (p == buf || (p && p[-1] == '\n')) {
		size_t n;
		p += 6;
		n = strcspn(p, "\n");
		if (n >= sizeof(e->comm))
			n = sizeof(e->comm) - 1;
		memcpy(e->comm, p, n);
		e->comm[n] = '\0';
	}
	p = strstr(buf, "\nVmRSS:");
	if (p) {
		uint64_t kb = 0;
		p += 7;
		while (*p == ' ' || *p == '\t')
			p++;
		/* No number, or one too large for bytes: unknown, shown as 0. */
		if (units_parse_u64_cursor(&p, p + strlen(p), &kb) < 0 || kb > UINT64_MAX / 1024)
			kb = 0;
		e->rss_bytes = kb * 1024;
	}
}

/* The three usages a policy can decide on ("usage"): current, working set (current minus inactive
 * file pages) and anon, from the usage file and the memory.stat text already read. Nothing when either
 * cannot be read. */
static void dump_usage(const struct cg_target *t, const char *stat, size_t stat_len, FILE *out)
{
	char buf[64], a[32], b[32], c[32], d[32];
	struct cg_stat st;
	uint64_t usage;
	ssize_t n = read_small_file_at(
	        t->dirfd, t->version == CG_V1 ? "memory.usage_in_bytes" : "memory.current", buf, sizeof(buf));
	if (n < 0 || cg_parse_u64(buf, (size_t)n, &usage) < 0 ||
	    cg_parse_stat(stat, stat_len, t->version, &st) < 0)
		return;
	uint64_t ws = usage > st.inactive_file_bytes ? usage - st.inactive_file_bytes : 0;
	fprintf(out, "usage: current %s, working_set %s (current - inactive_file %s), anon %s\n",
	        units_format_size(usage, a, sizeof(a)), units_format_size(ws, b, sizeof(b)),
	        units_format_size(st.inactive_file_bytes, c, sizeof(c)),
	        units_format_size(st.anon_bytes, d, sizeof(d)));
}

static int dump_stat(const struct cg_target *t, FILE *out)
{
	_cleanup_free_ char *buf = malloc(DUMP_STAT_MAX);
	const char *const *keys = t->version == CG_V1 ? v1_byte_keys : v2_byte_keys;
	size_t n_keys = t->version == CG_V1 ? ARRAY_SIZE(v1_byte_keys) : ARRAY_SIZE(v2_byte_keys);
	struct entry entries[ARRAY_SIZE(v2_byte_keys)];
	size_t n = 0;
	ssize_t len;
	char hs[32];

	if (!buf)
		return -ENOMEM;
	len = read_small_file_at(t->dirfd, "memory.stat", buf, DUMP_STAT_MAX);
	if (len < 0)
		return (int)len;
	for (size_t i = 0; i < n_keys; i++) {
		char total_key[64];
		uint64_t v;
		int r = -ENOENT;
		if (t->version == CG_V1) {
			snprintf(total_key, sizeof(total_key), "total_%s", keys[i]);
			r = cg_parse_keyed(buf, (size_t)len, total_key, &v);
		}
		if (r == -ENOENT)
			r = cg_parse_keyed(buf, (size_t)len, keys[i], &v);
		if (r == -EBADMSG)
			return r;
		if (r == 0)
			entries[n++] = (struct entry){ keys[i], v };
	}
	qsort(entries, n, sizeof(entries[0]), cmp_entry);
	fprintf(out, "memory.stat of %s (cgroup v%d), largest first:\n", t->path ? t->path : "?",
	        t->version == CG_V1 ? 1 : 2);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "  %-20s %10s\n", entries[i].name,
		        units_format_size(entries[i].bytes, hs, sizeof(hs)));
	dump_usage(t, buf, (size_t)len, out);
	return 0;
}

static int dump_procs(const struct cg_target *t, const char *proc_root, FILE *out)
{
	_cleanup_free_ pid_t *pids = NULL;
	_cleanup_free_ struct proc_entry *procs = NULL;
	_cleanup_close_ int rootfd = -1;
	_cleanup_free_ char *status = malloc(STATUS_MAX);
	size_t n_procs = 0;
	char hs[32];

	if (!status)
		return -ENOMEM;
	ssize_t n = cg_read_procs_alloc(t, &pids);
	if (n < 0)
		return (int)n;
	procs = calloc((size_t)n + 1, sizeof(*procs));
	if (!procs)
		return -ENOMEM;
	rootfd = open(proc_root ? proc_root : "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return -errno;
	for (ssize_t i = 0; i < n; i++) {
		char name[64];
		struct proc_entry *e = &procs[n_procs];
		snprintf(name, sizeof(name), "%d/status", (int)pids[i]);
		/* A process that exited between cgroup.procs and now is skipped. */
		if (read_small_file_at(rootfd, name, status, STATUS_MAX) < 0)
			continue;
		e->pid = pids[i];
		strcpy(e->comm, "?");
		parse_status(status, e);
		n_procs++;
	}
	qsort(procs, n_procs, sizeof(procs[0]), cmp_proc);
	fprintf(out, "processes by RSS (%zu):\n", n_procs);
	fprintf(out, "  %8s %10s  %s\n", "PID", "RSS", "COMM");
	for (size_t i = 0; i < n_procs; i++)
		fprintf(out, "  %8d %10s  %s\n", (int)procs[i].pid,
		        units_format_size(procs[i].rss_bytes, hs, sizeof(hs)), procs[i].comm);
	return 0;
}

int dump_memory(const struct cg_target *t, const char *proc_root, FILE *out)
{
	int r;

	if (!t || t->dirfd < 0 || !out)
		return -EINVAL;
	r = dump_stat(t, out);
	if (r < 0)
		return r;
	return dump_procs(t, proc_root, out);
}
