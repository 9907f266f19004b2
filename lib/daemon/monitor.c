/* The daemon's loop: a timer, signals and wakeups start checks; each check's result (check.h) is
 * logged and emitted to the handlers; the status file is rewritten on a period and on changes. */
#include "daemon/monitor.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "decide/check.h"
#include "kernel/sampler.h"
#include "actions/dispatch.h"
#include "kernel/dump.h"
#include "delivery/kube_events.h"
#include "base/defaults.h"
#include "output/http_server.h"
#include "base/log.h"
#include "base/loop.h"
#include "output/metrics.h"
#include "kernel/probes.h"
#include "base/spawn.h"
#include "output/status.h"
#include "decide/transitions.h"
#include "base/units.h"
#include "kernel/watch.h"
#include "delivery/webhook.h"

/* Per handler of the running policy. */
struct handler_state {
	uint64_t last_fired_usec; /* `every` of remaining handlers; 0: never fired */
	bool fires;               /* takes the event being emitted */
};

struct monitor {
	struct monitor_config cfg;
	struct policy *policy;
	struct sampler_needs needs;
	struct handler_state *handlers; /* one per policy handler */
	struct probes *probes;          /* the policy's custom probes */
	struct loop *loop;
	struct dispatch dispatch; /* the actions: webhooks, children, failure count */
	struct kube_events *kube; /* --kubernetes-events; NULL: off */
	struct sampler_host host;
	struct watch watch; /* the target and its wakeups */
	int timer_fd;
	bool timer_adapted; /* the timer's next tick is a check's adaptive delay, not a whole period */
	int signal_fd;

	struct check_state state; /* the level and its hysteresis timers */
	bool paused;
	bool reload_pending; /* SIGHUP arrived while probes ran */
	bool stop_now;       /* a second SIGTERM/SIGINT: no more grace */
	uint64_t seq;        /* the last event number */
	uint64_t checks;
	struct sample sample; /* of the check waiting for its probes */

	uint64_t status_written_usec;
	int status_level;

	struct metrics metrics;        /* /metrics counters (dispatch counts actions here) */
	struct http_server *http;      /* --listen; NULL: off */
	uint64_t last_check_done_usec; /* /healthz: when the last check came to its end */
};

/* ---- status file (liveness) ---- */

/* Whether the status file is due: forced, on a level change, or STATUS_PERIOD_USEC after the last. */
static bool status_due(const struct monitor *m, bool force, uint64_t now_usec)
{
	return force || m->status_level != m->state.level ||
	       now_usec - m->status_written_usec >= STATUS_PERIOD_USEC;
}

/* Rewrites the status file when due. A failure is logged and not retried before the next period. */
static void write_status(struct monitor *m, bool force)
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

/* ---- emitting a check's events ---- */

/* Logs what an event means for the operator, as its row of event.h says: oom kills always, steps
 * when the policy asks. Decides whether a line is written before formatting anything: a steady
 * check's `remaining` step, or any step at a log level that hides it, costs no formatting (the bulk
 * of a check's instructions). */
static void log_event(const struct monitor *m, const struct event *ev, const struct sample *s)
{
	const struct event_kind_row *row = event_kind_row(ev->kind);
	if (!s || !row || !row->log_line || (row->log_transitions_only && !m->policy->log_transitions) ||
	    !log_enabled(row->log_level))
		return; /* remaining (every check), target events: no line */
	char line[512];
	row->log_line(ev, s, policy_level_name(m->policy, ev->level),
	              policy_level_name(m->policy, ev->previous_level), line, sizeof(line));
	log_msg_about(row->log_level, row->name, "%s", line); /* folded apart per kind */
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

/* Runs the selected handlers' actions for ev, numbering it. s: the sample it carries, or NULL. */
static void emit(struct monitor *m, const struct event *ev, const struct sample *s)
{
	const struct policy *p = m->policy;
	struct target *t = &m->watch.target;
	struct event_ctx ctx = {
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
		if (m->kube) /* whatever the handlers take */
			kube_events_post(m->kube, ev, policy_level_name(m->policy, ev->level),
			                 policy_level_name(m->policy, ev->previous_level), s);
		m->state.level = ev->level;
		if (ev->kind == EVENT_NORMAL) /* before normal's own actions */
			dispatch_memory_high_normal(&m->dispatch);
		if (!select_handlers(m, ev))
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
	write_status(m, false);
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
	write_status(m, true); /* target_present at once, as on a loss */
	return true;
}

static void run_check(void *userdata)
{
	struct monitor *m = userdata;
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
		write_status(m, true);
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

/* ---- reload, signals, timer ---- */

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

/* Every check_interval from now (start, reload). */
static int arm_timer(struct monitor *m)
{
	m->timer_adapted = false;
	return arm_timer_at(m, now_mono_usec() + m->policy->check_interval_usec);
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
	int e = arm_timer_at(m, r->sample.mono_usec + r->next_check_delay_usec);
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
	policy_free(m->policy);
	free(m->handlers);
	probes_free(m->probes);
	m->policy = p;
	m->handlers = handlers;
	m->probes = probes;
	m->needs = sampler_needs_of(p);
	if (m->cfg.kube_events) /* OOMKillDetected, whatever the handlers take */
		m->needs.sample_what |= CG_SAMPLE_EVENTS;
	int level = check_clamp_level(p, m->state.level);
	if (level != m->state.level) {
		log_info("the new policy has %zu level(s): level %d becomes %d", p->n_levels, m->state.level,
		         level);
	}
	check_state_restart(p, &m->state); /* the level, clamped; every timer afresh */
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
	watch_rearm(&m->watch, m->needs.sample_what);
	log_info("SIGHUP: policy %s reloaded: %zu level(s), %zu handler(s)", m->cfg.policy_path, p->n_levels,
	         p->n_handlers);
}

static void on_timer(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata)
{
	uint64_t expirations;
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
	run_check(userdata);
	/* Also while the target is lost or evaluation paused: memhook itself is alive. */
	write_status(userdata, false);
	log_fold_flush(false); /* a fault that stopped repeating gets its summary now */
}

/* Writes the memory dump through the log, which never waits on stderr (a FILE on fd 2 would). */
static void dump_to_log(const struct target *t)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r = f ? dump_memory(&t->cg, t->spec.proc_root, f) : -errno;
	if (f && fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		log_warn("SIGUSR1: dump failed: %s", strerror(-r));
		return;
	}
	log_write_text(text, len);
}

static void on_signal(struct loop *l, int fd, uint32_t events _unused_, void *userdata)
{
	struct monitor *m = userdata;
	const struct target *t = &m->watch.target;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!loop_quitting(l)) {
				log_info("SIG%s: stopping", sigabbrev_np((int)si.ssi_signo));
				loop_quit(l);
			} else if (!m->stop_now) {
				/* The second one means now: the grace period is cut short. */
				log_warn("SIG%s again: stopping now, without waiting for queued webhooks",
				         sigabbrev_np((int)si.ssi_signo));
				m->stop_now = true;
			}
			break;
		case SIGHUP:
			if (probes_running(m->probes))
				m->reload_pending = true;
			else
				apply_reload(m);
			break;
		case SIGUSR1:
			if (!t->present) {
				log_warn("SIGUSR1: no target to dump");
				break;
			}
			log_info("SIGUSR1: memory breakdown of %s follows", t->cg.path);
			dump_to_log(t);
			break;
		case SIGUSR2:
			m->paused = !m->paused;
			if (!m->paused)
				check_state_restart(m->policy, &m->state); /* unwatched: no run went on */
			log_info("SIGUSR2: evaluation %s", m->paused ? "paused" : "resumed");
			write_status(m, true);
			break;
		default:
			break;
		}
	}
}

/* The signals the loop takes through its signalfd. */
static void handled_signals(sigset_t *ret)
{
	sigemptyset(ret);
	sigaddset(ret, SIGTERM);
	sigaddset(ret, SIGINT);
	sigaddset(ret, SIGHUP);
	sigaddset(ret, SIGUSR1);
	sigaddset(ret, SIGUSR2);
}

int monitor_block_signals(void)
{
	sigset_t set;
	handled_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	/* A webhook receiver that vanished must not kill us through SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* ---- HTTP endpoints (--listen) ---- */

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

static void route_metrics(void *userdata, struct http_reply *ret)
{
	struct monitor *m = userdata;
	const struct target *t = &m->watch.target;
	struct sample now;
	const struct sample *shown = scrape_sample(m, &now) ? &now : &m->sample;
	struct webhook_stats st;
	webhook_get_stats(m->dispatch.webhooks, &st);
	struct metrics_view v = {
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
	};
	for (size_t l = 0; l <= v.n_levels && l <= POLICY_MAX_LEVELS; l++)
		v.level_names[l] = policy_level_name(m->policy, (int)l);
	if (m->kube) {
		struct kube_events_stats ks;
		kube_events_get_stats(m->kube, &ks);
		v.kube_events = true;
		v.kube_sent = ks.sent;
		v.kube_failed = ks.failed;
		v.kube_dropped = ks.dropped;
	}
	ret->body = metrics_format(&v, &ret->len);
	ret->status = 200;
	ret->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* A plain-text answer: 200 with ok_text, or 503 with why. */
static void plain(struct http_reply *ret, bool ok, const char *why)
{
	ret->status = ok ? 200 : 503;
	ret->body = strdup(ok ? "ok\n" : why);
	ret->len = ret->body ? strlen(ret->body) : 0;
}

static void route_healthz(void *userdata, struct http_reply *ret)
{
	struct monitor *m = userdata;
	char why[128];
	uint64_t age = now_mono_usec() - m->last_check_done_usec;
	snprintf(why, sizeof(why), "no check finished for %llu ms (interval %llu ms)\n",
	         (unsigned long long)(age / USEC_PER_MSEC),
	         (unsigned long long)(m->policy->check_interval_usec / USEC_PER_MSEC));
	plain(ret,
	      metrics_healthy(now_mono_usec(), m->last_check_done_usec, m->policy->check_interval_usec,
	                      m->paused),
	      why);
}

static void route_readyz(void *userdata, struct http_reply *ret)
{
	struct monitor *m = userdata;
	/* The policy was loaded before the loop started; the target is what may be missing. */
	plain(ret, m->watch.target.present, "the target is not found\n");
}

static const struct http_route http_routes[] = {
	{ "/metrics", route_metrics },
	{ "/healthz", route_healthz },
	{ "/readyz", route_readyz },
};

static int start_http(struct monitor *m)
{
	char err[512];
	int r = http_server_new(m->loop, m->cfg.listen, http_routes, ARRAY_SIZE(http_routes), m, &m->http,
	                        err, sizeof(err));
	if (r < 0) {
		log_error("--listen: %s", err);
		return r;
	}
	log_info("listening on http://%s (/metrics, /healthz, /readyz)", http_server_address(m->http));
	return 0;
}

/* ---- the log's backlog: stderr watched for room only while lines wait ---- */

static void on_stderr_writable(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_,
                               void *userdata _unused_)
{
	log_stderr_writable();
}

static void on_log_backlog(bool backlog, void *userdata)
{
	struct monitor *m = userdata;
	int fd = log_stderr_fd();
	if (fd < 0)
		return;
	/* Not logged on failure (it would queue behind itself): the next line written tries again. */
	if (backlog)
		(void)loop_add_fd(m->loop, fd, EPOLLOUT, on_stderr_writable, NULL);
	else
		(void)loop_del_fd(m->loop, fd);
}

/* ---- setup, run, teardown ---- */

/* Everything but the signal and timer fds. Takes policy (freed on failure). Returns 0 or -errno. */
static int monitor_setup(struct monitor *m, const struct monitor_config *cfg, struct policy *policy)
{
	*m = (struct monitor){
		.cfg = *cfg, .timer_fd = -1, .signal_fd = -1, .host = { .mem = { .meminfo_fd = -1 } }
	};
	int r = loop_new(&m->loop);
	watch_init(&m->watch, &cfg->target, m->loop, run_check, m); /* before any failure: teardown */
	m->dispatch.loop = m->loop;
	m->dispatch.dry_run = cfg->dry_run;
	m->dispatch.metrics = &m->metrics;
	m->last_check_done_usec = now_mono_usec();
	if (r == 0)
		r = spawner_new(m->loop, &m->dispatch.spawner);
	if (r == 0)
		r = install_policy(m, policy);
	if (r < 0) {
		if (!m->policy)
			policy_free(policy);
		return r;
	}
	watch_rearm(&m->watch, m->needs.sample_what);
	r = hostmem_open(m->watch.target.spec.proc_root, &m->host.mem);
	if (r < 0) {
		log_error("cannot open %s/meminfo: %s", m->watch.target.spec.proc_root, strerror(-r));
		return r;
	}
	r = webhook_client_new(m->loop,
	                       cfg->webhook_queue_cap ? cfg->webhook_queue_cap : WEBHOOK_QUEUE_CAP_DEFAULT,
	                       &m->dispatch.webhooks);
	if (r < 0) {
		log_error("webhook client: %s", strerror(-r));
		return r;
	}
	if (cfg->kube_events && (r = kube_events_new(m->loop, cfg->kube_events, &m->kube)) < 0) {
		log_error("kubernetes events: %s", strerror(-r));
		return r;
	}
	sigset_t set;
	handled_signals(&set);
	m->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m->signal_fd < 0 || m->timer_fd < 0) {
		r = -errno;
		log_error("signalfd/timerfd: %s", strerror(-r));
		return r;
	}
	if ((r = loop_add_fd(m->loop, m->signal_fd, EPOLLIN, on_signal, m)) < 0 ||
	    (r = loop_add_fd(m->loop, m->timer_fd, EPOLLIN, on_timer, m)) < 0 || (r = arm_timer(m)) < 0) {
		log_error("event loop: %s", strerror(-r));
		return r;
	}
	if (cfg->listen && (r = start_http(m)) < 0)
		return r;
	log_on_backlog(on_log_backlog, m);
	return 0;
}

static void monitor_teardown(struct monitor *m)
{
	log_on_backlog(NULL, NULL);
	http_server_free(m->http);
	watch_free(&m->watch);
	webhook_client_free(m->dispatch.webhooks);
	kube_events_free(m->kube);
	spawner_free(m->dispatch.spawner); /* before the probes: drops their callbacks */
	dispatch_free(&m->dispatch);
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	loop_free(m->loop);
	hostmem_close(&m->host.mem);
	probes_free(m->probes);
	free(m->handlers);
	policy_free(m->policy);
}

/* Gives queued webhooks up to grace_usec, then logs the totals. */
static void monitor_drain(struct monitor *m, uint64_t grace_usec)
{
	struct webhook_client *wc = m->dispatch.webhooks;
	uint64_t deadline = now_mono_usec() + grace_usec;
	if (webhook_pending(wc))
		log_info("delivering %zu queued webhook(s) before stopping", webhook_pending(wc));
	while ((webhook_pending(wc) || kube_events_pending(m->kube)) && now_mono_usec() < deadline &&
	       !m->stop_now)
		loop_iterate(m->loop, deadline - now_mono_usec());
	if (webhook_pending(wc))
		log_warn("stopping with %zu webhook(s) undelivered %s", webhook_pending(wc),
		         m->stop_now ? "(stopped by a second signal)" : "after the grace period");
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

int monitor_run(const struct monitor_config *cfg, struct policy *policy)
{
	struct monitor m;
	int r = monitor_setup(&m, cfg, policy);
	if (r < 0)
		goto out;

	char interval[32];
	units_format_duration(m.policy->check_interval_usec, interval, sizeof(interval));
	log_info("memhook %s: policy %s, %zu level(s), %zu handler(s), checking every %s", MEMHOOK_VERSION,
	         cfg->policy_path ? cfg->policy_path : "(default)", m.policy->n_levels, m.policy->n_handlers,
	         interval);
	if (cfg->dry_run)
		log_info("dry run: every action is logged as what it would do (would send, would signal, "
		         "would reclaim, would run); none is done");
	if (acquire_target(&m)) {
		char perr[512];
		if (policy_check_target(m.policy, (int)m.watch.target.cg.version, perr, sizeof(perr)) < 0) {
			r = -EINVAL; /* a policy error, known as soon as the target is */
			goto out;
		}
	}
	run_check(&m); /* the first check now, not one interval later */
	write_status(&m, true);

	r = loop_run(m.loop);
	if (r < 0) {
		log_error("event loop: %s", strerror(-r));
		goto out;
	}
	monitor_drain(&m, cfg->grace_usec ? cfg->grace_usec : GRACE_DEFAULT_USEC);
	r = 0;
out:
	monitor_teardown(&m);
	return r;
}
