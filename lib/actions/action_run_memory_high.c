/* The memory_high action's run: in the ordered stream like a reclaim, its write to memory.high
 * on a worker (worker.c). The value it replaced is kept in d->high (the first one, across
 * several memory_high actions) for memory_high_restore.c to put back. */
#include "actions/action_run.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "base/units.h"
#include "output/metrics.h"

static uint64_t page_bytes(void)
{
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? (uint64_t)page : 4096;
}

/* "48Mi" for a byte count, "max" as it is. */
static const char *high_format(const char *text, char *buf, size_t size)
{
	uint64_t v;
	if (strcmp(text, "max") == 0 ||
	    units_parse_u64_cursor(&(const char *){ text }, text + strlen(text), &v) < 0)
		return text;
	return units_format_size(v, buf, size);
}

static int high_prepare(struct dispatch_job *j, const struct handler *h, const struct dispatch_event *e)
{
	j->high = h->memory_high;
	j->limit_bytes = e->ctx->sample ? e->ctx->sample->limit_bytes : 0;
	return 0;
}

/* Logs what the worker's write did (a set, or a restore). */
static void high_finish(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	char before[32], after[32], val[32], was[32];
	unsigned long long took_ms = (now_mono_usec() - j->started_usec) / USEC_PER_MSEC;
	const char *what = j->restore ? "memory_high restore" : "memory_high";
	if (j->rj.error < 0) {
		if (j->first_write && !j->restore)
			dispatch_high_forget(d); /* nothing was changed: nothing to restore */
		dispatch_count_failure(d, j->kind, j->tag, what, j->rj.error);
		return;
	}
	units_format_size(j->rj.result.before_bytes, before, sizeof(before));
	units_format_size(j->rj.result.after_bytes, after, sizeof(after));
	const char *v = high_format(j->rj.text, val, sizeof(val)), *w = high_format(j->was, was, sizeof(was));
	metrics_count_action(d->metrics, j->kind, ACTION_RESULT_OK);
	if (j->restore)
		log_info("%s: memory.high restored to %s (memhook had set %s); usage %s, in %llu ms", j->tag,
		         v, w, after, took_ms);
	else
		log_info("%s: memory.high set to %s (it was %s; restored on normal); usage %s -> %s in %llu "
		         "ms",
		         j->tag, v, w, before, after, took_ms);
}

/* Starts the write j stands for (or, for a restore, what restoring needs). The stream waits for a
 * write as for a reclaim. */
static enum action_start high_start(struct dispatch *d, struct dispatch_job *j)
{
	if (j->restore)
		return dispatch_high_restore_start(d, j);
	struct target *t = j->target;
	int r = worker_ready(d);
	if (r == 0 && (!t || !t->present))
		r = -ENOENT;
	if (r == 0 && t->cg.version == CG_V1)
		r = -EOPNOTSUPP;
	if (r == 0 && j->high.percent > 0 && !j->limit_bytes)
		r = -ENODATA; /* an event without a sample: no limit to take a percent of */
	if (r == 0 && d->high.saved && !dispatch_high_is_target(d, t)) {
		if (cg_dir_alive(d->high.dirfd) == -ENOENT)
			log_info("%s: the target %s is another cgroup than the one memhook set memory.high "
			         "of (%s, since removed): nothing to restore there; this one's is taken as "
			         "it is",
			         j->tag, t->cg.path, d->high.path);
		else
			log_info(
			        "%s: the target is another cgroup now; memory.high of %s is left at %" PRIu64,
			        j->tag, d->high.path, d->high.set_bytes);
		dispatch_high_forget(d);
	}
	if (r == 0)
		r = memory_high_read(t->cg.dirfd, j->was, sizeof(j->was));
	if (r == 0) {
		char text[24];
		uint64_t bytes = memory_high_amount(&j->high, j->limit_bytes, page_bytes());
		snprintf(text, sizeof(text), "%" PRIu64, bytes);
		r = memory_high_prepare(t->cg.dirfd, text, t->cg.usage_fd, &j->rj);
		if (r == 0 && (j->first_write = memory_high_note_write(&d->high, j->was, bytes))) {
			d->high.dirfd = fcntl(t->cg.dirfd, F_DUPFD_CLOEXEC, 3);
			d->high.dev = t->cg.dev;
			d->high.ino = t->cg.ino;
			snprintf(d->high.path, sizeof(d->high.path), "%s", t->cg.path);
			if (d->high.dirfd < 0) {
				r = -errno;
				memory_high_forget(&d->high);
			}
		}
	}
	if (r == 0)
		r = worker_launch(d, j);
	if (r < 0) {
		if (j->first_write)
			dispatch_high_forget(d);
		dispatch_count_failure(d, j->kind, j->tag, "memory_high", r);
		return ACTION_START_DONE;
	}
	log_debug("%s: memory_high started: %s to memory.high", j->tag, j->rj.text);
	j->hold_usec = d->reclaim_hold_usec ? d->reclaim_hold_usec : RECLAIM_HOLD_DEFAULT_USEC;
	return ACTION_START_HOLD;
}

/* "set memory.high of /sys/fs/cgroup/app to 40Mi (80% of the limit 50Mi)" */
static const char *high_would(const struct handler *h, const struct dispatch_event *e, char *buf, size_t size)
{
	const char *cg = action_run_target_path(e);
	const struct sample *smp = e->ctx->sample;
	char amount[64], lim[32];
	if (h->memory_high.percent > 0 && smp) {
		units_format_size(memory_high_amount(&h->memory_high, smp->limit_bytes, page_bytes()), amount,
		                  sizeof(amount));
		units_format_size(smp->limit_bytes, lim, sizeof(lim));
		snprintf(buf, size, "set memory.high of %s to %s (%g%% of the limit %s)", cg, amount,
		         h->memory_high.percent, lim);
	} else if (h->memory_high.percent > 0)
		snprintf(buf, size, "set memory.high of %s to %g%% of the limit", cg, h->memory_high.percent);
	else
		snprintf(buf, size, "set memory.high of %s to %s", cg,
		         units_format_size(memory_high_amount(&h->memory_high, 0, page_bytes()), amount,
		                           sizeof(amount)));
	return buf;
}

const struct action_run_ops action_run_memory_high = {
	.name = "memory_high",
	.prepare = high_prepare,
	.start = high_start,
	.finish = high_finish,
	.at_stop = dispatch_high_restore_at_stop,
	.would = high_would,
};
