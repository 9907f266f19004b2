/* One watched target: its timer and wakeups start checks; each check's result (check.h) is logged
 * and emitted to the handlers; the status file is rewritten on a period and on changes. Everything
 * it keeps is in struct monitor: a loop may hold several. */
#include "daemon/monitor.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/spawn.h"
#include "base/units.h"
#include "daemon/monitor_internal.h"
#include "decide/transitions.h"
#include "delivery/kube_events.h"
#include "delivery/webhook.h"
#include "kernel/probes.h"
#include "output/event_stream.h"

/* Every entry into a monitor (its timer, its wakeups, the caller's calls) names it in the log while
 * it runs: MONITOR_ABOUT(m) at the top of the function, restored at its end. */
static void about_restore(const char **prev)
{
	log_set_about(*prev);
}
#define MONITOR_ABOUT(m) \
	const char *about_prev_ __attribute__((cleanup(about_restore))) = log_set_about((m)->cfg.log_about)

/* ---- emitting a check's events ---- */

/* Logs what an event means for the operator, as its row of event.h says: oom kills always, steps
 * when the policy asks. Decides whether a line is written before formatting anything: a steady
 * check's `remaining` step, or any step at a log level that hides it, costs no formatting (the bulk
 * of a check's instructions). */
/* Formats and writes ev's line (log_event decided it is written). Apart so that a check whose
 * step writes nothing (remaining, every check) sets up no 512-byte line. */
static _noinline_ void write_event_line(const struct monitor *m, const struct event_kind_row *row,
                                        const struct event *ev, const struct sample *s)
{
	char line[512];
	row->log_line(ev, s, policy_level_name(m->policy, ev->level),
	              policy_level_name(m->policy, ev->previous_level), line, sizeof(line));
	log_msg_about(row->log_level, row->name, "%s", line); /* folded apart per kind */
}

static void log_event(const struct monitor *m, const struct event *ev, const struct sample *s)
{
	const struct event_kind_row *row = event_kind_row(ev->kind);
	if (!s || !row || !row->log_line || (row->log_transitions_only && !m->policy->log_transitions) ||
	    !log_enabled(row->log_level))
		return; /* remaining (every check), target events: no line */
	write_event_line(m, row, ev, s);
}

/* Marks the handlers that take ev now (recording when they fired). Returns how many. */
static size_t select_handlers(struct monitor *m, const struct event *ev)
{
	if (!m->policy->n_handlers)
		return 0;
	uint64_t now = now_mono_usec();
	size_t n = 0;
	for (size_t i = 0; i < m->policy->n_handlers; i++) {
		struct handler_state *hs = &m->handlers[i];
		hs->fires = transitions_handler_due(&m->policy->handlers[i], ev, hs->last_fired_usec, now);
		if (hs->fires)
			transitions_record_fired(&hs->last_fired_usec, now);
		n += hs->fires;
	}
	return n;
}

/* Whether the tripwire may be armed: the policy's key, and never in a dry run (which changes
 * nothing in the cgroup). */
static bool tripwire_wanted(const struct monitor *m)
{
	return !m->policy->tripwire_off && !m->cfg.dry_run;
}

/* A memory_high action about to run takes memory.high over: the tripwire stands down first (its
 * value gone), so the value the action saves to restore is the one the tripwire replaced. */
static void tripwire_yield(struct monitor *m)
{
	if (m->cfg.dry_run)
		return;
	for (size_t i = 0; i < m->policy->n_handlers; i++)
		if (m->handlers[i].fires && m->policy->handlers[i].action == ACTION_MEMORY_HIGH) {
			char why[96];
			snprintf(why, sizeof(why), "%s: memory_high", m->policy->handlers[i].path);
			watch_tripwire_stand_down(&m->watch, why);
			return;
		}
}

/* Runs the selected handlers' actions for ev, numbering it. s: the sample it carries, or NULL. */
static void emit(struct monitor *m, const struct event *ev, const struct sample *s)
{
	const struct policy *p = m->policy;
	struct target *t = &m->watch.target;
	struct event_ctx ctx = {
		.origin = m->cfg.origin,
		.ev = ev,
		.level_name = policy_level_name(p, ev->level),
		.previous_level_name = policy_level_name(p, ev->previous_level),
		.seq = ++m->seq, /* numbered only when a handler takes it: receivers see every number */
		.real_usec = now_real_usec(),
		.cgroup_path = t->present ? t->cg.path : NULL,
		.pid = t->pid,
		.sample = s,
	};
	struct dispatch_event de = { .ctx = &ctx, .target = t };
	tripwire_yield(m);
	if (m->stream) { /* the body built once, for the stream and the webhooks */
		const struct event_kind_row *row = event_kind_row(ev->kind);
		de.body = payload_build_json(&ctx, &de.body_len);
		if (!de.body ||
		    event_stream_publish(m->stream, ctx.seq, row ? row->name : "?", de.body, de.body_len) < 0)
			log_warn("event stream: event %llu not published: %s", (unsigned long long)ctx.seq,
			         strerror(ENOMEM));
	}
	for (size_t i = 0; i < p->n_handlers; i++)
		if (m->handlers[i].fires)
			dispatch_action(&m->dispatch, &p->handlers[i], &de);
	dispatch_event_done(&de);
}

/* Logs and emits r's events in order; the level follows each step. r's host figures are refreshed
 * first when an event carrying them is taken and they were not read at this check. */
static void emit_result(struct monitor *m, struct check_result *r)
{
	for (size_t i = 0; i < r->n_events; i++) {
		const struct event *ev = &r->events[i];
		const struct sample *s = r->has_sample && check_event_has_sample(ev) ? &r->sample : NULL;
		log_event(m, ev, s);
		metrics_count_step(&m->metrics, ev->kind, ev->level, ev->previous_level);
		if (m->cfg.kube_shared) /* memhook node: about the container's pod */
			kube_events_post_about(m->cfg.kube_shared, m->cfg.kube_pod, ev,
			                       policy_level_name(m->policy, ev->level),
			                       policy_level_name(m->policy, ev->previous_level), s);
		if (m->kube) /* whatever the handlers take */
			kube_events_post(m->kube, ev, policy_level_name(m->policy, ev->level),
			                 policy_level_name(m->policy, ev->previous_level), s);
		m->state.level = ev->level;
		if (ev->kind == EVENT_NORMAL) /* before normal's own actions */
			dispatch_memory_high_normal(&m->dispatch);
		/* the stream takes what --webhook takes, numbered as if a handler took it */
		const struct event_kind_row *row = event_kind_row(ev->kind);
		bool streamed = m->stream && row && row->webhook;
		if (!select_handlers(m, ev) && !streamed)
			continue;
		if (s && !m->host.fresh && sampler_host_refresh(&m->host, &r->sample) < 0)
			log_debug("meminfo unreadable; the event carries the last host figures");
		emit(m, ev, s);
	}
	m->state.level = r->level;
}

/* ---- the check ---- */

static void apply_reload(struct monitor *m);
static void run_check(void *userdata);
static void schedule_next_check(struct monitor *m, const struct check_result *r);

/* Decides and emits the target's appearance or loss (no sample). */
static void emit_target_event(struct monitor *m, enum check_target what)
{
	struct check_result r;
	check_step(m->policy, &m->state, what, NULL, NULL, &r);
	emit_result(m, &r);
}

/* The probes are done (or there were none): the check decides and its result is emitted. */
static void on_probes_done(const bool *results, void *userdata)
{
	struct monitor *m = userdata;
	MONITOR_ABOUT(m);
	struct check_result r;
	m->checks++;
	m->metrics.checks++;
	m->last_check_done_usec = now_mono_usec();
	check_step(m->policy, &m->state, CHECK_TARGET_PRESENT, &m->sample, results, &r);
	/* One line per check, for measuring the loop's pace from outside (tests/vm/reclaim_gap.sh). */
	log_debug("check %llu at %llu us (monotonic): usage %llu bytes, level %d; next in %llu us",
	          (unsigned long long)m->checks, (unsigned long long)now_mono_usec(),
	          (unsigned long long)m->sample.usage_bytes, r.level,
	          (unsigned long long)r.next_check_delay_usec);
	schedule_next_check(m, &r);
	emit_result(m, &r);
	/* cgroup v2: memory.high to the next usage threshold (written only when that changes); after
	 * the actions, which start first (the app pays a reclaim attempt per return to user space
	 * above it meanwhile: microseconds more) */
	watch_tripwire(&m->watch, m->policy, &m->sample);
	monitor_write_status(m, false);
	if (m->reload_pending)
		apply_reload(m);
	/* The main process exited while the probes ran: lose it now, not at the next interval. */
	if (watch_exit_pending(&m->watch))
		run_check(m);
}

/* Acquires a missing target; a found one is checked against the policy and announced. Returns
 * whether the target is present. */
static bool acquire_target(struct monitor *m)
{
	enum watch_acquired how = watch_acquire(&m->watch);
	if (how == WATCH_ACQUIRED_NONE)
		return false;
	if (how == WATCH_ACQUIRED_HELD)
		return true;
	char desc[512], perr[512];
	const struct target *t = &m->watch.target;
	if (policy_check_target(m->policy, (int)t->cg.version, perr, sizeof(perr)) < 0)
		log_error("target %s: %s; those actions will fail", target_describe(t, desc, sizeof(desc)),
		          perr);
	if (how == WATCH_ACQUIRED_AGAIN)
		emit_target_event(m, CHECK_TARGET_FOUND);
	monitor_write_status(m, true); /* target_present at once, as on a loss */
	return true;
}

/* A check, on the monitor's timer (on_timer names the monitor in the log) or a wakeup. */
static void check_now(struct monitor *m)
{
	if (m->paused || loop_quitting(m->loop))
		return;
	uint64_t now = now_mono_usec();
	watch_note_check(&m->watch, now);
	if (probes_running(m->probes)) {
		log_debug("check skipped: the previous one still waits for its probes");
		return;
	}
	/* A check that ends without a level (no target, lost, unreadable) still ends: healthz */
	m->last_check_done_usec = now;
	if (!acquire_target(m))
		return;
	char reason[64];
	int r = watch_check_alive(&m->watch, reason, sizeof(reason));
	if (r >= 0) {
		r = sampler_read(&m->watch.target, m->policy, &m->needs, &m->host, &m->sample);
		if (r > 0)
			return; /* meminfo: logged */
		if (r == -ENOENT || r == -ENODEV)
			snprintf(reason, sizeof(reason), "its cgroup was removed");
	}
	if (r == -ENOENT || r == -ENODEV || r == -ESRCH) {
		emit_target_event(m, CHECK_TARGET_LOST);
		watch_lose(&m->watch, r, reason);
		monitor_write_status(m, true);
		return;
	}
	if (r < 0) {
		if (r == -EBADMSG && m->watch.target.cg.bad_file)
			log_warn("reading %s: unexpected content in %s; check skipped",
			         m->watch.target.cg.path, m->watch.target.cg.bad_file);
		else
			log_warn("reading %s: %s; check skipped", m->watch.target.cg.path,
			         r == -EBADMSG ? "unexpected content" : strerror(-r));
		return;
	}
	/* cgroup v1: the kernel's usage thresholds at this check's limit (registered once per limit) */
	watch_thresholds(&m->watch, m->policy, &m->sample);
	probes_start(m->probes); /* on_probes_done finishes the check */
}

/* run_check as a wakeup's callback (watch.h) and the monitor's own calls: names it in the log. */
static void run_check(void *userdata)
{
	struct monitor *m = userdata;
	MONITOR_ABOUT(m);
	check_now(m);
}

/* ---- reload, pause, timer ---- */

static struct timespec timespec_of(uint64_t usec)
{
	return (struct timespec){ (time_t)(usec / USEC_PER_SEC),
		                  (long)(usec % USEC_PER_SEC * NSEC_PER_USEC) };
}

/* The check timer: its first tick at first_usec (CLOCK_MONOTONIC), then every check_interval, so
 * a check that never comes to its end (no target, skipped) still leaves the ticks running. */
static int arm_timer_at(struct monitor *m, uint64_t first_usec)
{
	struct itimerspec its = { .it_interval = timespec_of(m->policy->check_interval_usec),
		                  .it_value = timespec_of(first_usec) };
	return timerfd_settime(m->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -errno : 0;
}

/* With tick_slots, the monitor's next tick after t_usec on its slot of the period's grid. */
static uint64_t period_tick(const struct monitor *m, uint64_t t_usec)
{
	uint64_t p = m->policy->check_interval_usec;
	uint64_t phase = p * (m->cfg.tick_slot % m->cfg.tick_slots) / m->cfg.tick_slots;
	uint64_t k = t_usec >= phase ? (t_usec - phase) / p + 1 : 0;
	return k * p + phase;
}

/* Every check_interval from now (start, reload). */
static int arm_timer(struct monitor *m)
{
	m->timer_adapted = false;
	uint64_t now = now_mono_usec();
	return arm_timer_at(m,
	                    m->cfg.tick_slots ? period_tick(m, now) : now + m->policy->check_interval_usec);
}

/* After a check: the next tick at its adaptive delay (lib/decide/adaptive.h). A whole check_interval
 * leaves a timer ticking on its own period as it is: no syscall while usage is flat. */
static void schedule_next_check(struct monitor *m, const struct check_result *r)
{
	if (!r->has_sample)
		return;
	bool sooner = r->next_check_delay_usec < m->policy->check_interval_usec;
	if (!sooner && !m->timer_adapted)
		return;
	uint64_t at = r->sample.mono_usec + r->next_check_delay_usec;
	int e = arm_timer_at(m, sooner || !m->cfg.tick_slots ? at : period_tick(m, r->sample.mono_usec));
	if (e < 0)
		log_debug("timerfd_settime: %s", strerror(-e));
	m->timer_adapted = sooner && e == 0;
}

/* Makes p the running policy (taking it) with its per-handler state and probes; the level is
 * clamped to p's levels. Returns 0, or -ENOMEM with nothing changed. */
static int install_policy(struct monitor *m, struct policy *p)
{
	struct handler_state *handlers = calloc(p->n_handlers + 1, sizeof(*handlers));
	struct probes *probes = NULL;
	if (!handlers || probes_new(p, m->dispatch.spawner, on_probes_done, m, &probes) < 0) {
		free(handlers);
		return -ENOMEM;
	}
	spawner_deny_secrets_of(m->dispatch.spawner, p);
	for (int l = 1; m->policy && l <= POLICY_MAX_LEVELS; l++) /* a renamed level: a new series */
		if ((size_t)l > p->n_levels ||
		    strcmp(policy_level_name(m->policy, l), policy_level_name(p, l)) != 0)
			metrics_forget_level(&m->metrics, l);
	/* Webhook ids are unique within a policy; past every previous policy's here, so a 410 Gone for
	 * an old handler's delivery never disables a new one (webhook.h). */
	for (size_t i = 0; i < p->n_handlers; i++)
		p->handlers[i].webhook.id += m->webhook_ids;
	m->webhook_ids += p->n_handlers;
	policy_free(m->policy);
	free(m->handlers);
	probes_free(m->probes);
	m->policy = p;
	m->handlers = handlers;
	m->probes = probes;
	m->needs = sampler_needs_of(p);
	if (m->cfg.kube_events || m->cfg.kube_shared) /* OOMKillDetected, whatever the handlers take */
		m->needs.sample_what |= CG_SAMPLE_EVENTS;
	int level = check_clamp_level(p, m->state.level);
	if (level != m->state.level) {
		log_info("the new policy has %zu level(s): level %d becomes %d", p->n_levels, m->state.level,
		         level);
	}
	check_state_restart(p, &m->state); /* the level, clamped; every timer afresh */
	dispatch_policy_installed(&m->dispatch, p->handlers, p->n_handlers);
	return 0;
}

static void apply_reload(struct monitor *m)
{
	m->reload_pending = false;
	if (!m->cfg.policy_path) {
		log_info("SIGHUP: no policy file (the embedded default runs); nothing to reload");
		return;
	}
	char err[1024];
	struct policy *p = NULL;
	int r = policy_load(m->cfg.policy_path, &p, err, sizeof(err));
	if (r == 0 && m->cfg.webhook_url)
		r = policy_add_webhook(p, m->cfg.webhook_url, err, sizeof(err));
	if (r == 0 && m->watch.target.present)
		r = policy_check_target(p, (int)m->watch.target.cg.version, err, sizeof(err));
	if (r < 0) {
		log_error("SIGHUP: new policy rejected, the old one keeps running: %s", err);
		policy_free(p);
		return;
	}
	if (install_policy(m, p) < 0) {
		log_error("SIGHUP: out of memory; the old policy keeps running");
		policy_free(p);
		return;
	}
	arm_timer(m);
	watch_rearm(&m->watch, m->needs.sample_what, tripwire_wanted(m));
	log_info("SIGHUP: policy %s reloaded: %zu level(s), %zu handler(s)", m->cfg.policy_path, p->n_levels,
	         p->n_handlers);
}

static void on_timer(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata)
{
	struct monitor *m = userdata;
	MONITOR_ABOUT(m);
	uint64_t expirations;
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
	check_now(m);
	/* Also while the target is lost or evaluation paused: memhook itself is alive. */
	monitor_write_status(userdata, false);
	log_fold_flush(false); /* a fault that stopped repeating gets its summary now */
}

void monitor_retarget(struct monitor *m, const struct monitor_config *cfg)
{
	MONITOR_ABOUT(m);
	if (m->watch.target.present) {
		emit_target_event(m, CHECK_TARGET_LOST);
		watch_lose(&m->watch, -ENOENT, "the container restarted");
	}
	m->cfg.target = cfg->target;
	m->cfg.origin = cfg->origin;
	m->cfg.log_about = cfg->log_about;
	m->cfg.kube_pod = cfg->kube_pod;
	log_set_about(cfg->log_about);
	target_init_spec(&m->watch.target, &m->cfg.target);
	if (m->watch.state != WATCH_UNSEEN) /* found again: target_found */
		m->watch.state = WATCH_MISSING;
	run_check(m);
	monitor_write_status(m, true);
}

int monitor_replace_policy(struct monitor *m, struct policy *p, const char *from)
{
	MONITOR_ABOUT(m);
	char err[512];
	if (m->watch.target.present &&
	    policy_check_target(p, (int)m->watch.target.cg.version, err, sizeof(err)) < 0) {
		log_error("policy %s rejected, the old one keeps running: %s", from, err);
		policy_free(p);
		return -EINVAL;
	}
	if (install_policy(m, p) < 0) {
		log_error("policy %s: out of memory; the old one keeps running", from);
		policy_free(p);
		return -ENOMEM;
	}
	arm_timer(m);
	watch_rearm(&m->watch, m->needs.sample_what, tripwire_wanted(m));
	log_info("policy %s installed: %zu level(s), %zu handler(s)", from, p->n_levels, p->n_handlers);
	return 0;
}

void monitor_reload(struct monitor *m)
{
	MONITOR_ABOUT(m);
	if (probes_running(m->probes))
		m->reload_pending = true;
	else
		apply_reload(m);
}

void monitor_set_event_stream(struct monitor *m, struct event_stream *es)
{
	if (m)
		m->stream = es;
}

void monitor_set_paused(struct monitor *m, bool paused)
{
	if (m->paused && !paused)
		check_state_restart(m->policy, &m->state); /* unwatched: no run went on */
	m->paused = paused;
	monitor_write_status(m, true);
}

/* ---- new, start, stop, free ---- */

int monitor_new(struct loop *l, const struct monitor_config *cfg, struct policy *policy, struct monitor **ret)
{
	assert(cfg->origin);
	struct monitor *m = calloc(1, sizeof(*m));
	if (!m) {
		policy_free(policy);
		return -ENOMEM;
	}
	*m = (struct monitor){
		.cfg = *cfg, .loop = l, .timer_fd = -1, .host = { .mem = { .meminfo_fd = -1 } }
	};
	watch_init(&m->watch, &cfg->target, l, run_check, m); /* before any failure: monitor_free */
	m->watch.thr_async = cfg->v1_thresholds_async;
	m->dispatch.loop = l;
	m->dispatch.dry_run = cfg->dry_run;
	m->dispatch.metrics = &m->metrics;
	m->last_check_done_usec = now_mono_usec();
	int r = spawner_new(l, &m->dispatch.spawner);
	if (r == 0)
		r = install_policy(m, policy);
	if (r < 0) {
		if (!m->policy)
			policy_free(policy);
		goto fail;
	}
	watch_rearm(&m->watch, m->needs.sample_what, tripwire_wanted(m));
	if (cfg->shared_hostmem)
		m->host.mem = *cfg->shared_hostmem;
	else
		r = hostmem_open(m->watch.target.spec.proc_root, &m->host.mem);
	if (r < 0) {
		log_error("cannot open %s/meminfo: %s", m->watch.target.spec.proc_root, strerror(-r));
		goto fail;
	}
	r = webhook_client_new(l, cfg->webhook_queue_cap ? cfg->webhook_queue_cap : WEBHOOK_QUEUE_CAP_DEFAULT,
	                       cfg->origin->instance, &m->dispatch.webhooks);
	if (r < 0) {
		log_error("webhook client: %s", strerror(-r));
		goto fail;
	}
	if (cfg->kube_events && (r = kube_events_new(l, cfg->kube_events, &m->kube)) < 0) {
		log_error("kubernetes events: %s", strerror(-r));
		goto fail;
	}
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->timer_fd < 0) {
		r = -errno;
		log_error("timerfd: %s", strerror(-r));
		goto fail;
	}
	if ((r = loop_add_fd(l, m->timer_fd, EPOLLIN, on_timer, m)) < 0 || (r = arm_timer(m)) < 0) {
		log_error("event loop: %s", strerror(-r));
		goto fail;
	}
	*ret = m;
	return 0;
fail:
	monitor_free(m);
	return r;
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	MONITOR_ABOUT(m);
	watch_free(&m->watch);
	webhook_client_free(m->dispatch.webhooks);
	kube_events_free(m->kube);
	spawner_free(m->dispatch.spawner); /* before the probes: drops their callbacks */
	dispatch_free(&m->dispatch);
	if (m->timer_fd >= 0) {
		loop_del_fd(m->loop, m->timer_fd);
		close(m->timer_fd);
	}
	if (!m->cfg.shared_hostmem)
		hostmem_close(&m->host.mem);
	probes_free(m->probes);
	free(m->handlers);
	policy_free(m->policy);
	free(m);
}

int monitor_start(struct monitor *m)
{
	MONITOR_ABOUT(m);
	char interval[32];
	units_format_duration(m->policy->check_interval_usec, interval, sizeof(interval));
	if (!m->cfg.quiet_start)
		log_info("memhook %s: policy %s, %zu level(s), %zu handler(s), checking every %s",
		         MEMHOOK_VERSION, m->cfg.policy_path ? m->cfg.policy_path : "(default)",
		         m->policy->n_levels, m->policy->n_handlers, interval);
	if (m->cfg.dry_run && !m->cfg.quiet_start)
		log_info("dry run: every action is logged as what it would do (would send, would signal, "
		         "would reclaim, would run); none is done");
	if (acquire_target(m)) {
		char perr[512];
		if (policy_check_target(m->policy, (int)m->watch.target.cg.version, perr, sizeof(perr)) < 0)
			return -EINVAL; /* a policy error, known as soon as the target is */
	}
	run_check(m); /* the first check now, not one interval later */
	monitor_write_status(m, true);
	return 0;
}
