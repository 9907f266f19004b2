/* sampler_read and the host figures it carries (sampler.h). */
#include "kernel/sampler.h"

#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "kernel/cgroup.h"
#include "policy/eval.h"

struct sampler_needs sampler_needs_of(const struct policy *p)
{
	unsigned needs = eval_needs(p);
	struct sampler_needs n = {
		.sample_what = (needs & EVAL_NEEDS_PSI ? CG_SAMPLE_PSI : 0) |
		               (needs & EVAL_NEEDS_EVENTS ? CG_SAMPLE_EVENTS : 0) |
		               (p->needs_stat ? CG_SAMPLE_STAT : 0),
		.host_every_check = needs & EVAL_NEEDS_HOST,
	};
	for (size_t i = 0; i < p->n_handlers; i++)
		if (p->handlers[i].on == EVENT_OOM_KILL)
			n.sample_what |= CG_SAMPLE_EVENTS;
	return n;
}

int sampler_host_refresh(struct sampler_host *h, struct sample *s)
{
	uint64_t total, available;
	int r = hostmem_read(&h->mem, &total, &available);
	if (r < 0)
		return r;
	h->total_bytes = total;
	h->available_bytes = available;
	h->known = h->fresh = true;
	s->host_total_bytes = total;
	s->host_available_bytes = available;
	return 0;
}

int sampler_read(struct target *t, const struct policy *p, const struct sampler_needs *needs,
                 struct sampler_host *h, struct sample *ret)
{
	/* Built in ret, neither zeroed nor copied (488 bytes, twice, at every check): meminfo is read
	 * first, as it is the one read that can fail after the cgroup's; cg_sample leaves ret as it
	 * was on failure and otherwise fills every field of the cgroup; this function sets the rest
	 * but the trend fits, which are check_step's and read only when has_trend. */
	bool host_now = needs->host_every_check || !h->known;
	uint64_t total = h->total_bytes, available = h->available_bytes;
	int r;
	if (host_now && (r = hostmem_read(&h->mem, &total, &available)) < 0) {
		log_warn("reading meminfo under %s: %s; check skipped", t->spec.proc_root, strerror(-r));
		return 1; /* skipped and logged: not the target's failure */
	}
	r = cg_sample(&t->cg, needs->sample_what, ret);
	if (r < 0)
		return r;
	/* Not read now: the last figures, refreshed before any event carries them. */
	h->fresh = host_now;
	if (host_now) {
		h->total_bytes = total;
		h->available_bytes = available;
		h->known = true;
	}
	ret->host_total_bytes = total;
	ret->host_available_bytes = available;
	if (p->maximum_available_bytes)
		ret->limit_bytes = p->maximum_available_bytes;
	else if (ret->limit_bytes == CG_UNLIMITED) /* 0 is a real limit: the cgroup can hold nothing */
		ret->limit_bytes = total ? total : 1;
	ret->usage = p->usage;
	ret->has_trend = false;
	ret->mono_usec = now_mono_usec();
	ret->real_usec = now_real_usec();
	return 0;
}
