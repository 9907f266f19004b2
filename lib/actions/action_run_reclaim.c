/* The reclaim action's run: in the ordered stream, its write to memory.reclaim on a worker
 * (worker.c); the stream waits for the kernel at most reclaim_hold_usec. */
#include "actions/action_run.h"

#include <stdio.h>

#include "base/log.h"
#include "base/units.h"
#include "output/metrics.h"

static int reclaim_prepare_job(struct dispatch_job *j, const struct handler *h,
                               const struct dispatch_event *e)
{
	j->reclaim = h->reclaim;
	j->usage_bytes = e->ctx->sample ? e->ctx->sample->usage_bytes : 0;
	return 0;
}

static enum action_start reclaim_start(struct dispatch *d, struct dispatch_job *j)
{
	struct target *t = j->target;
	if (!t || !t->present) {
		dispatch_count_failure(d, j->kind, j->tag, "reclaim", -ENOENT);
		return ACTION_START_DONE;
	}
	int r = worker_ready(d);
	if (r == 0)
		r = reclaim_prepare(&t->cg, &j->reclaim, j->usage_bytes, &j->rj);
	if (r == 0)
		r = worker_launch(d, j);
	if (r < 0) {
		dispatch_count_failure(d, j->kind, j->tag, "reclaim", r);
		return ACTION_START_DONE;
	}
	log_debug("%s: reclaim started: %s bytes to memory.reclaim", j->tag, j->rj.text);
	j->hold_usec = d->reclaim_hold_usec ? d->reclaim_hold_usec : RECLAIM_HOLD_DEFAULT_USEC;
	return ACTION_START_HOLD;
}

static void reclaim_finish(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	const struct reclaim_result *res = &j->rj.result;
	if (j->rj.error < 0) {
		dispatch_count_failure(d, j->kind, j->tag, "reclaim", j->rj.error);
		return;
	}
	metrics_count_action(d->metrics, j->kind, ACTION_RESULT_OK); /* partial too: it ran */
	char req[32], before[32], after[32], fell[32];
	unsigned long long took_ms = (now_mono_usec() - j->started_usec) / USEC_PER_MSEC;
	uint64_t diff = res->before_bytes > res->after_bytes ? res->before_bytes - res->after_bytes : 0;
	units_format_size(res->requested_bytes, req, sizeof(req));
	units_format_size(res->before_bytes, before, sizeof(before));
	units_format_size(res->after_bytes, after, sizeof(after));
	units_format_size(diff, fell, sizeof(fell));
	if (res->partial)
		log_warn("%s: reclaim of %s was partial (EAGAIN: the kernel could not reclaim that much); "
		         "usage %s -> %s, fell by %s, in %llu ms",
		         j->tag, req, before, after, fell, took_ms);
	else
		log_info("%s: reclaimed %s; usage %s -> %s, fell by %s, in %llu ms", j->tag, req, before,
		         after, fell, took_ms);
}

/* "reclaim 8Ki from /sys/fs/cgroup/app" */
static const char *reclaim_would(const struct handler *h, const struct dispatch_event *e, char *buf,
                                 size_t size)
{
	const char *cg = action_run_target_path(e);
	char amount[64];
	uint64_t usage = e->ctx->sample ? e->ctx->sample->usage_bytes : 0;
	units_format_size(reclaim_amount(&h->reclaim, usage), amount, sizeof(amount));
	snprintf(buf, size, "reclaim %s from %s", amount, cg);
	return buf;
}

const struct action_run_ops action_run_reclaim = {
	.name = "reclaim",
	.prepare = reclaim_prepare_job,
	.start = reclaim_start,
	.finish = reclaim_finish,
	.would = reclaim_would,
};
