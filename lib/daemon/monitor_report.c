/* What a monitor shows: its status file, what /metrics, /healthz and /readyz answer, its target for
 * SIGUSR1, the totals logged at the stop. Reads the monitor; changes nothing a check decides on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/units.h"
#include "daemon/monitor_internal.h"
#include "delivery/kube_events.h"
#include "delivery/webhook.h"
#include "kernel/dump.h"
#include "output/status.h"

/* ---- status file (liveness) ---- */

/* Whether the status file is due: forced, on a level change, or STATUS_PERIOD_USEC after the last. */
static bool status_due(const struct monitor *m, bool force, uint64_t now_usec)
{
	return force || m->status_level != m->state.level ||
	       now_usec - m->status_written_usec >= STATUS_PERIOD_USEC;
}

void monitor_write_status(struct monitor *m, bool force)
{
	if (!m->cfg.status_file)
		return;
	uint64_t now = now_mono_usec();
	if (!status_due(m, force, now))
		return;
	struct status st = {
		.level = m->state.level,
		.level_name = policy_level_name(m->policy, m->state.level),
		.checks = m->checks,
		.seq = m->seq,
		.target_present = m->watch.target.present,
		.paused = m->paused,
		.action_failures = m->dispatch.failures,
		.real_usec = now_real_usec(),
		.sample = m->watch.target.present && m->checks > 0 ? &m->sample : NULL,
	};
	int r = status_write(m->cfg.status_file, &st);
	if (r < 0)
		log_warn("status file %s: %s", m->cfg.status_file, strerror(-r));
	m->status_written_usec = now;
	m->status_level = m->state.level;
}

const char *monitor_target_path(const struct monitor *m)
{
	return m->watch.target.present ? m->watch.target.cg.path : NULL;
}

int monitor_dump(const struct monitor *m, FILE *out)
{
	const struct target *t = &m->watch.target;
	if (!t->present)
		return -ENOENT;
	return dump_memory(&t->cg, t->spec.proc_root, out);
}

/* ---- what /metrics, /healthz and /readyz show ---- */

/* A sample of everything /metrics shows (memory.events, PSI, memory.stat, MemAvailable), read at
 * the scrape whatever the policy reads, so a memhook nobody scrapes reads no more than its policy
 * needs. It reads through a copy of the target: the check's own state (the last event counters
 * its deltas start from) is left as it was. Returns whether ret was read (else the last check's
 * sample is shown). */
static bool scrape_sample(struct monitor *m, struct sample *ret)
{
	if (!m->watch.target.present)
		return false;
	struct target peek = m->watch.target;
	struct sampler_host host = m->host;
	const struct sampler_needs all = { .sample_what = CG_SAMPLE_ALL | CG_SAMPLE_STAT,
		                           .host_every_check = true };
	return sampler_read(&peek, m->policy, &all, &host, ret) == 0;
}

void monitor_metrics_view(struct monitor *m, struct sample *scratch, struct metrics_view *ret)
{
	const struct target *t = &m->watch.target;
	const struct sample *shown = scrape_sample(m, scratch) ? scratch : &m->sample;
	struct webhook_stats st;
	webhook_get_stats(m->dispatch.webhooks, &st);
	*ret = (struct metrics_view){
		.version = MEMHOOK_VERSION,
		.counters = &m->metrics,
		.level = m->state.level,
		.n_levels = m->policy->n_levels,
		.target_up = t->present,
		.paused = m->paused,
		.sample = t->present && m->metrics.checks ? shown : NULL,
		.events_oom_kill_only = t->cg.version == CG_V1,
		.webhook_delivered = st.delivered,
		.webhook_failed = st.failed,
		.webhook_dropped = st.dropped,
		.webhook_queue_length = webhook_pending(m->dispatch.webhooks),
		.log_lines_dropped = log_lines_dropped(),
		.pressure_watch = m->dispatch.pressure != NULL, /* served since a policy named one */
	};
	for (size_t l = 0; l <= ret->n_levels && l <= POLICY_MAX_LEVELS; l++)
		ret->level_names[l] = policy_level_name(m->policy, (int)l);
	if (m->kube) {
		struct kube_events_stats ks;
		kube_events_get_stats(m->kube, &ks);
		ret->kube_events = true;
		ret->kube_sent = ks.sent;
		ret->kube_failed = ks.failed;
		ret->kube_dropped = ks.dropped;
	}
}

bool monitor_healthy(const struct monitor *m, uint64_t now_usec, char *why, size_t why_size)
{
	uint64_t age = now_usec - m->last_check_done_usec;
	snprintf(why, why_size, "no check finished for %llu ms (interval %llu ms)\n",
	         (unsigned long long)(age / USEC_PER_MSEC),
	         (unsigned long long)(m->policy->check_interval_usec / USEC_PER_MSEC));
	return metrics_healthy(now_usec, m->last_check_done_usec, m->policy->check_interval_usec, m->paused);
}

bool monitor_ready(const struct monitor *m)
{
	/* The policy was loaded before the loop started; the target is what may be missing. */
	return m->watch.target.present;
}

int monitor_level(const struct monitor *m)
{
	return m->state.level;
}

uint64_t monitor_checks(const struct monitor *m)
{
	return m->checks;
}

size_t monitor_webhooks_pending(const struct monitor *m)
{
	return webhook_pending(m->dispatch.webhooks);
}

bool monitor_pending(const struct monitor *m)
{
	return webhook_pending(m->dispatch.webhooks) || kube_events_pending(m->kube);
}

void monitor_log_stopped(const struct monitor *m, bool cut_short)
{
	struct webhook_client *wc = m->dispatch.webhooks;
	if (webhook_pending(wc))
		log_warn("stopping with %zu webhook(s) undelivered %s", webhook_pending(wc),
		         cut_short ? "(stopped by a second signal)" : "after the grace period");
	struct webhook_stats st;
	webhook_get_stats(wc, &st);
	log_info("stopped: %llu checks, %llu events, webhooks %llu delivered / %llu failed / %llu dropped, "
	         "%llu failed actions",
	         (unsigned long long)m->checks, (unsigned long long)m->seq, (unsigned long long)st.delivered,
	         (unsigned long long)st.failed, (unsigned long long)st.dropped,
	         (unsigned long long)m->dispatch.failures);
	if (m->kube) {
		struct kube_events_stats ks;
		kube_events_get_stats(m->kube, &ks);
		log_info("kubernetes events: %llu sent / %llu failed / %llu dropped / %zu undelivered",
		         (unsigned long long)ks.sent, (unsigned long long)ks.failed,
		         (unsigned long long)ks.dropped, kube_events_pending(m->kube));
	}
}
