/* cgroup v1 usage thresholds and the OOM notifier: which thresholds a policy can cross (pure) and
 * their registration with cgroup.event_control. */
#include "kernel/cg_threshold.h"

#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include "kernel/cgroup.h"
#include "policy/condition.h"
#include "base/util.h"

/* The kept thresholds: ascending, distinct, the highest cap of those offered. */
struct threshold_set {
	uint64_t *bytes;
	size_t n;
	bool capped;
};

/* Adds v unless it is there; when full, v replaces the lowest if it is higher. */
static void set_add(struct threshold_set *set, uint64_t v)
{
	size_t i = 0;
	while (i < set->n && set->bytes[i] < v)
		i++;
	if (i < set->n && set->bytes[i] == v)
		return;
	if (set->n == CG_THRESHOLDS_MAX) {
		set->capped = true;
		if (i == 0)
			return; /* at or below every kept one */
		/* drop the lowest: bytes[1..i) move down one, v goes at i - 1 */
		memmove(set->bytes, set->bytes + 1, (i - 1) * sizeof(*set->bytes));
		set->bytes[i - 1] = v;
		return;
	}
	memmove(set->bytes + i + 1, set->bytes + i, (set->n - i) * sizeof(*set->bytes));
	set->bytes[i] = v;
	set->n++;
}

/* Whether cond holds at a usage of pages pages (the sample's other figures are not read by local
 * conditions; without memory.stat every usage kind is the usage). */
static bool holds_at(const struct condition *cond, uint64_t limit_bytes, uint64_t page_bytes, uint64_t pages)
{
	struct sample s = { .usage_bytes = pages * page_bytes, .limit_bytes = limit_bytes };
	return condition_ops(cond->kind)->eval(cond, &s, NULL);
}

/* The least usage in pages at which the local condition cond holds, searched in (0, max_pages]:
 * it holds more as usage grows (free memory only shrinks). Returns false when it holds at 0
 * already or not even at max_pages. */
static bool least_pages(const struct condition *cond, uint64_t limit_bytes, uint64_t page_bytes,
                        uint64_t max_pages, uint64_t *ret_pages)
{
	if (holds_at(cond, limit_bytes, page_bytes, 0) || !holds_at(cond, limit_bytes, page_bytes, max_pages))
		return false;
	uint64_t lo = 0, hi = max_pages; /* false at lo, true at hi */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (holds_at(cond, limit_bytes, page_bytes, mid))
			hi = mid;
		else
			lo = mid;
	}
	*ret_pages = hi;
	return true;
}

static void walk(const struct condition *cond, uint64_t limit_bytes, uint64_t page_bytes, uint64_t max_pages,
                 struct threshold_set *set)
{
	const struct cond_ops *ops = condition_ops(cond->kind);
	const struct sample none_used = { .limit_bytes = limit_bytes };
	struct cond_threshold t;
	uint64_t pages;
	/* a usage threshold (the row's threshold column), found exactly as the kernel compares it */
	if (ops->threshold && ops->threshold(cond, &none_used, &t) && t.measure == COND_MEASURE_USAGE &&
	    least_pages(cond, limit_bytes, page_bytes, max_pages, &pages))
		set_add(set, pages * page_bytes);
	for (size_t i = 0; i < cond->n_children; i++) /* under all, any and not alike */
		walk(&cond->children[i], limit_bytes, page_bytes, max_pages, set);
}

size_t cg_thresholds_of(const struct policy *p, uint64_t limit_bytes, uint64_t page_bytes,
                        uint64_t ret_bytes[CG_THRESHOLDS_MAX], bool *ret_capped)
{
	assert(page_bytes > 0);
	/* At the limit and above nothing is free: every local condition's last chance to turn.
	 * ceil(limit / page), kept where pages * page_bytes does not overflow. */
	uint64_t max_pages = limit_bytes / page_bytes + (limit_bytes % page_bytes != 0);
	if (max_pages > UINT64_MAX / page_bytes)
		max_pages = UINT64_MAX / page_bytes;
	struct threshold_set set = { .bytes = ret_bytes };
	for (size_t l = 0; l < p->n_levels; l++) {
		walk(&p->levels[l].when, limit_bytes, page_bytes, max_pages, &set);
		if (p->levels[l].has_clear_when)
			walk(&p->levels[l].clear_when, limit_bytes, page_bytes, max_pages, &set);
	}
	*ret_capped = set.capped;
	return set.n;
}

int cg_event_register(int dirfd, int control_fd, const char *args)
{
	_cleanup_close_ int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return -errno;
	_cleanup_close_ int ctl = openat(dirfd, "cgroup.event_control", O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (ctl < 0)
		return -errno;
	char line[96];
	int n = snprintf(line, sizeof(line), "%d %d%s%s", efd, control_fd, args ? " " : "", args ? args : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	ssize_t w = write(ctl, line, (size_t)n);
	if (w < 0)
		return -errno;
	if (w != n)
		return -EIO;
	return TAKE_FD(efd);
}

int cg_read_usage(int usage_fd, uint64_t *ret_bytes)
{
	char buf[64];
	ssize_t n = pread_all(usage_fd, buf, sizeof(buf));
	if (n == -EFBIG)
		return -EBADMSG;
	if (n < 0)
		return (int)n;
	return cg_parse_u64(buf, (size_t)n, ret_bytes);
}
