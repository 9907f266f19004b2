#include "monitor.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "dispatch.h"
#include "dump.h"
#include "eval.h"
#include "hostmem.h"
#include "log.h"
#include "loop.h"
#include "payload.h"
#include "spawn.h"
#include "transitions.h"
#include "units.h"
#include "webhook.h"

/* The status file is rewritten at most this often (and on every level change). */
#define STATUS_PERIOD_USEC (5 * USEC_PER_SEC)
/* A PSI trigger: 5% stall in a 2 s window. Unprivileged openers need a window that is a
 * multiple of 2 s (kernel psi.rst; measured on the project's machines). */
#define PSI_TRIGGER "some 100000 2000000\n"
/* Wakeups closer together than this are folded into one check (memory.events can notify up to
 * 100 times a second under memory.high throttling). */
#define WAKE_MIN_GAP_USEC (20 * USEC_PER_MSEC)

struct monitor;

struct probe_ctx {
	struct monitor *m;
	size_t index;
};

struct monitor {
	struct monitor_config cfg;
	struct policy *policy;
	struct loop *loop;
	struct dispatch dispatch; /* the actions: webhooks, children, failure count */
	struct hostmem host;
	struct target target;
	int timer_fd;
	int signal_fd;
	int psi_fd;          /* PSI trigger on the target's memory.pressure, -1 when none */
	bool events_watched; /* target's memory.events fd is in the loop */

	int level;
	bool paused;
	bool reload_pending; /* SIGHUP arrived while probes ran */
	uint64_t seq;
	uint64_t checks;
	uint64_t *last_fired_usec; /* per handler */
	char lost_reason[512];
	bool lost_logged;

	/* custom probes of the check in progress; probe_ctxs[i] is probe i's callback data (one array
	 * per policy: no allocation per check, nothing to leak when a stop kills running probes) */
	struct probe_ctx *probe_ctxs;
	bool *probe_results;
	unsigned probes_pending;
	bool check_in_progress;
	bool once; /* monitor_once: evaluate without acting */
	struct sample sample;

	uint64_t status_written_usec;
	int status_level;
	uint64_t last_check_usec;
	unsigned sample_what;  /* CG_SAMPLE_* the policy needs */
	bool host_every_check; /* a global_* condition: read meminfo at every check */
	bool host_fresh;       /* the sample's host figures were read at this check */
	bool host_known;       /* host figures were read at least once */
	uint64_t host_total_bytes, host_available_bytes; /* the last read */
	uint64_t wake_timer;                             /* a deferred check after a wakeup, 0 when none */
};

static const char *level_name(const struct policy *p, int level)
{
	if (level <= 0)
		return NULL;
	if ((size_t)level > p->n_levels)
		return "?";
	return p->levels[level - 1].name;
}

static const char *level_label(const struct policy *p, int level)
{
	const char *n = level_name(p, level);
	return n ? n : "normal";
}

/* ---- status file (liveness) ---- */

static void write_status(struct monitor *m, bool force)
{
	if (!m->cfg.status_file)
		return;
	uint64_t now = now_mono_usec();
	if (!force && m->status_level == m->level && now - m->status_written_usec < STATUS_PERIOD_USEC)
		return;
	char tmp[4096], ts[64];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", m->cfg.status_file) >= (int)sizeof(tmp))
		return;
	payload_format_time(now_real_usec(), ts, sizeof(ts));
	FILE *f = fopen(tmp, "we");
	if (!f) {
		log_warn("status file %s: %s", tmp, strerror(errno));
		m->status_written_usec = now; /* do not retry at every check */
		return;
	}
	fprintf(f,
	        "{\"time\":\"%s\",\"level\":%d,\"level_name\":\"%s\",\"checks\":%llu,\"seq\":%llu,"
	        "\"target_present\":%s,\"paused\":%s,\"action_failures\":%llu}\n",
	        ts, m->level, level_label(m->policy, m->level), (unsigned long long)m->checks,
	        (unsigned long long)m->seq, m->target.present ? "true" : "false",
	        m->paused ? "true" : "false", (unsigned long long)m->dispatch.failures);
	if (fclose(f) != 0 || rename(tmp, m->cfg.status_file) < 0)
		log_warn("status file %s: %s", m->cfg.status_file, strerror(errno));
	m->status_written_usec = now;
	m->status_level = m->level;
}

/* Reads /proc/meminfo into the sample and the cache. Returns 0 or -errno. */
static int refresh_host(struct monitor *m, struct sample *s)
{
	int r = hostmem_read(&m->host, &m->host_total_bytes, &m->host_available_bytes);
	if (r < 0)
		return r;
	m->host_known = m->host_fresh = true;
	s->host_total_bytes = m->host_total_bytes;
	s->host_available_bytes = m->host_available_bytes;
	return 0;
}

/* Runs every handler that takes ev. */
static void emit(struct monitor *m, const struct event *ev, const struct sample *s)
{
	uint64_t now = now_mono_usec();
	struct event_ctx ctx = {
		.ev = ev,
		.level_name = level_name(m->policy, ev->level),
		.previous_level_name = level_name(m->policy, ev->previous_level),
		.seq = 0, /* numbered when a handler takes it: receivers see every number */
		.real_usec = now_real_usec(),
		.cgroup_path = m->target.present ? m->target.cg.path : NULL,
		.pid = m->target.pid,
		.sample = s,
	};
	struct dispatch_event de = { .ctx = &ctx, .target = &m->target };

	for (size_t i = 0; i < m->policy->n_handlers; i++) {
		const struct handler *h = &m->policy->handlers[i];
		if (!transitions_handler_due(h, ev, m->last_fired_usec[i], now))
			continue;
		transitions_record_fired(&m->last_fired_usec[i], now);
		if (!ctx.seq) {
			ctx.seq = ++m->seq;
			if (s == &m->sample && !m->host_fresh && refresh_host(m, &m->sample) < 0)
				log_debug("meminfo unreadable; the event carries the last host figures");
		}
		dispatch_action(&m->dispatch, h, &de);
	}
	dispatch_event_done(&de);
}

static void log_step(struct monitor *m, const struct event *ev, const struct sample *s)
{
	char usage[32], limit[32];
	units_format_size(s->usage_bytes, usage, sizeof(usage));
	units_format_size(s->limit_bytes, limit, sizeof(limit));
	switch (ev->kind) {
	case EVENT_ENTERED:
		log_info("level %d -> %d (%s): entered; usage %s of %s, %.1f%% free", ev->previous_level,
		         ev->level, level_label(m->policy, ev->level), usage, limit,
		         sample_local_free_percent(s));
		break;
	case EVENT_LEFT:
		log_info("level %d -> %d (%s): left %s; usage %s of %s, %.1f%% free", ev->previous_level,
		         ev->level, level_label(m->policy, ev->level),
		         level_label(m->policy, ev->previous_level), usage, limit,
		         sample_local_free_percent(s));
		break;
	case EVENT_NORMAL:
		log_info("level 0 (normal): memory is back to normal; usage %s of %s, %.1f%% free", usage,
		         limit, sample_local_free_percent(s));
		break;
	default:
		break;
	}
}

/* ---- target tracking ---- */

static void on_wakeup(struct loop *l, int fd, uint32_t events, void *userdata);

static void unwatch_target(struct monitor *m)
{
	if (m->events_watched) {
		loop_del_fd(m->loop, m->target.cg.events_fd);
		m->events_watched = false;
	}
	if (m->psi_fd >= 0) {
		loop_del_fd(m->loop, m->psi_fd);
		close(m->psi_fd);
		m->psi_fd = -1;
	}
}

/* Wakes a check on memory.events changes (POLLPRI) and, when the policy looks at pressure, on a
 * PSI trigger. Both are optional: without them the interval still catches everything. */
static void watch_target(struct monitor *m)
{
	struct cg_target *cg = &m->target.cg;
	if (cg->version != CG_V2)
		return;
	if ((m->sample_what & CG_SAMPLE_EVENTS) && cg->events_fd >= 0 &&
	    loop_add_fd(m->loop, cg->events_fd, EPOLLPRI | EPOLLET, on_wakeup, m) == 0)
		m->events_watched = true;
	/* Only on cgroupfs: a trigger is a write, and in a fixture tree it would overwrite the file. */
	if (!(m->sample_what & CG_SAMPLE_PSI) || cg->pressure_fd < 0 || !m->target.on_cgroupfs)
		return;
	int fd = openat(cg->dirfd, "memory.pressure", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		log_debug("PSI trigger: cannot open memory.pressure for writing: %s", strerror(errno));
		return;
	}
	if (write(fd, PSI_TRIGGER, strlen(PSI_TRIGGER)) < 0 ||
	    loop_add_fd(m->loop, fd, EPOLLPRI, on_wakeup, m) < 0) {
		log_debug("PSI trigger not armed: %s", strerror(errno));
		close(fd);
		return;
	}
	m->psi_fd = fd;
}

static void target_lost(struct monitor *m, const char *reason)
{
	char desc[512];
	target_describe(&m->target, desc, sizeof(desc));
	log_warn("target lost: %s: %s", desc, reason);
	struct event ev = { EVENT_TARGET_LOST, m->level, m->level };
	emit(m, &ev, NULL);
	unwatch_target(m);
	target_release(&m->target);
	m->lost_logged = true;
	write_status(m, true);
}

/* Tries to (re)acquire a missing target; logs the first failure only. */
static bool ensure_target(struct monitor *m, bool first)
{
	if (m->target.present)
		return true;
	char err[512] = "";
	int r = target_acquire(&m->target, err, sizeof(err));
	if (r < 0) {
		if (!m->lost_logged || strcmp(err, m->lost_reason) != 0) {
			log_warn("target not found: %s; waiting for it", err);
			snprintf(m->lost_reason, sizeof(m->lost_reason), "%s", err);
			m->lost_logged = true;
		}
		return false;
	}
	char desc[512];
	char perr[512];
	target_describe(&m->target, desc, sizeof(desc));
	if (policy_check_target(m->policy, (int)m->target.cg.version, perr, sizeof(perr)) < 0)
		log_error("target %s: %s; those actions will fail", desc, perr);
	if (first && !m->lost_logged)
		log_info("watching %s", desc);
	else {
		log_info("target found: %s", desc);
		struct event ev = { EVENT_TARGET_FOUND, m->level, m->level };
		emit(m, &ev, NULL);
	}
	m->lost_logged = false;
	m->lost_reason[0] = '\0';
	watch_target(m);
	return true;
}

/* ---- the check ---- */

/* Fills the sample from the target and the host. Returns 0; 1 when /proc/meminfo could not be
 * read (logged); or the target's -errno (vanished: -ENOENT/-ENODEV, garbage: -EBADMSG). */
static int take_sample(struct monitor *m, struct sample *s)
{
	int r = cg_sample(&m->target.cg, m->sample_what, s);
	if (r < 0)
		return r;
	m->host_fresh = false;
	if (m->host_every_check || !m->host_known) {
		r = refresh_host(m, s);
		if (r < 0) {
			log_warn("reading meminfo under %s: %s; check skipped", m->target.spec.proc_root,
			         strerror(-r));
			return 1; /* skipped and logged: not the target's failure */
		}
	} else {
		/* Not needed to decide: the last figures; refreshed before any event is sent. */
		s->host_total_bytes = m->host_total_bytes;
		s->host_available_bytes = m->host_available_bytes;
	}
	if (m->policy->maximum_available_bytes)
		s->limit_bytes = m->policy->maximum_available_bytes;
	else if (s->limit_bytes == CG_UNLIMITED || s->limit_bytes == 0)
		s->limit_bytes = s->host_total_bytes ? s->host_total_bytes : 1;
	s->mono_usec = now_mono_usec();
	s->real_usec = now_real_usec();
	return 0;
}

static void apply_reload(struct monitor *m);

static void finish_check(struct monitor *m)
{
	const struct sample *s = &m->sample;
	m->check_in_progress = false;
	if (m->once)
		return;
	m->checks++;

	if (s->has_events && s->events_delta[MEMEV_OOM_KILL] > 0) {
		log_warn("OOM kill in the target: oom_kill +%llu (total %llu)",
		         (unsigned long long)s->events_delta[MEMEV_OOM_KILL],
		         (unsigned long long)s->events[MEMEV_OOM_KILL]);
		struct event ev = { EVENT_OOM_KILL, m->level, m->level };
		emit(m, &ev, s);
	}

	int new_level = eval_level(m->policy, s, m->probe_results);
	struct event steps[POLICY_MAX_LEVELS + 1];
	size_t n = transitions_step(m->level, new_level, steps, ARRAY_SIZE(steps));
	for (size_t i = 0; i < n; i++) {
		if (m->policy->log_transitions)
			log_step(m, &steps[i], s);
		m->level = steps[i].level;
		emit(m, &steps[i], s);
	}
	write_status(m, false);
	if (m->reload_pending)
		apply_reload(m);
}

static void on_probe_done(const struct spawn_result *r, void *userdata)
{
	struct probe_ctx *c = userdata;
	struct monitor *m = c->m;
	m->probe_results[c->index] = r->exit_code == 0 && !r->timed_out;
	if (r->timed_out)
		log_debug("probe %s timed out (false)", m->policy->probes[c->index].path);
	if (--m->probes_pending == 0)
		finish_check(m);
}

/* Starts every custom probe; the check finishes when the last one is done. */
static void start_probes(struct monitor *m)
{
	m->check_in_progress = true;
	m->probes_pending = 1; /* held until every probe is started */
	for (size_t i = 0; i < m->policy->n_probes; i++) {
		const struct probe *p = &m->policy->probes[i];
		m->probe_results[i] = false;
		int r = spawn_start(m->dispatch.spawner, p->argv, NULL, p->timeout_usec, p->path,
		                    on_probe_done, &m->probe_ctxs[i]);
		if (r < 0) {
			log_warn("probe %s: cannot run %s: %s (false)", p->path, p->argv[0], strerror(-r));
			continue;
		}
		m->probes_pending++;
	}
	if (--m->probes_pending == 0)
		finish_check(m);
}

static void run_check(struct monitor *m)
{
	if (m->paused || loop_quitting(m->loop))
		return;
	m->last_check_usec = now_mono_usec();
	if (m->check_in_progress) {
		log_debug("check skipped: the previous one still waits for its probes");
		return;
	}
	if (!ensure_target(m, false))
		return;
	int alive = target_check(&m->target);
	if (alive < 0) {
		char reason[64];
		if (alive == -ESRCH)
			snprintf(reason, sizeof(reason), "process %d exited", (int)m->target.pid);
		else
			snprintf(reason, sizeof(reason), "its cgroup was removed");
		target_lost(m, reason);
		return;
	}
	int r = take_sample(m, &m->sample);
	if (r == -ENOENT || r == -ENODEV) {
		target_lost(m, "its cgroup was removed");
		return;
	}
	if (r > 0)
		return;
	if (r < 0) {
		log_warn("reading %s: %s; check skipped", m->target.cg.path,
		         r == -EBADMSG ? "unexpected content" : strerror(-r));
		return;
	}
	if (m->policy->n_probes)
		start_probes(m);
	else
		finish_check(m);
}

/* ---- reload, signals, timer ---- */

static int arm_timer(struct monitor *m)
{
	uint64_t usec = m->policy->check_interval_usec;
	struct itimerspec its = {
		.it_interval = { (time_t)(usec / USEC_PER_SEC), (long)(usec % USEC_PER_SEC * NSEC_PER_USEC) },
		.it_value = { (time_t)(usec / USEC_PER_SEC), (long)(usec % USEC_PER_SEC * NSEC_PER_USEC) },
	};
	return timerfd_settime(m->timer_fd, 0, &its, NULL) < 0 ? -errno : 0;
}

static int install_policy(struct monitor *m, struct policy *p)
{
	uint64_t *last = calloc(p->n_handlers + 1, sizeof(*last));
	bool *probes = calloc(p->n_probes + 1, sizeof(*probes));
	struct probe_ctx *ctxs = calloc(p->n_probes + 1, sizeof(*ctxs));
	if (!last || !probes || !ctxs) {
		free(last);
		free(probes);
		free(ctxs);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n_probes; i++)
		ctxs[i] = (struct probe_ctx){ m, i };
	policy_free(m->policy);
	free(m->last_fired_usec);
	free(m->probe_results);
	free(m->probe_ctxs);
	m->policy = p;
	m->last_fired_usec = last;
	m->probe_results = probes;
	m->probe_ctxs = ctxs;
	unsigned needs = eval_needs(p);
	m->host_every_check = needs & EVAL_NEEDS_HOST;
	m->sample_what = (needs & EVAL_NEEDS_PSI ? CG_SAMPLE_PSI : 0) |
	                 (needs & EVAL_NEEDS_EVENTS ? CG_SAMPLE_EVENTS : 0);
	for (size_t i = 0; i < p->n_handlers; i++)
		if (p->handlers[i].on == EVENT_OOM_KILL)
			m->sample_what |= CG_SAMPLE_EVENTS;
	if ((size_t)m->level > p->n_levels) {
		log_info("the new policy has %zu level(s): level %d becomes %zu", p->n_levels, m->level,
		         p->n_levels);
		m->level = (int)p->n_levels;
	}
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
	if (r < 0) {
		policy_free(p);
		log_error("SIGHUP: new policy rejected, the old one keeps running: %s", err);
		return;
	}
	if (m->target.present && policy_check_target(p, (int)m->target.cg.version, err, sizeof(err)) < 0) {
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
	unwatch_target(m);
	if (m->target.present)
		watch_target(m);
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
}

static void on_wake_timer(struct loop *l _unused_, void *userdata)
{
	struct monitor *m = userdata;
	m->wake_timer = 0;
	run_check(m);
}

static void on_wakeup(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct monitor *m = userdata;
	/* POLLERR on a PSI trigger: its cgroup is gone (the check notices). On memory.events it is
	 * part of kernfs's ordinary change notification (POLLERR|POLLPRI). */
	if (fd == m->psi_fd && (events & EPOLLERR)) {
		loop_del_fd(l, fd);
		close(fd);
		m->psi_fd = -1;
		run_check(m);
		return;
	}
	log_debug("woken by %s", fd == m->psi_fd ? "a PSI trigger" : "memory.events");
	uint64_t now = now_mono_usec();
	if (now - m->last_check_usec >= WAKE_MIN_GAP_USEC)
		run_check(m);
	else if (!m->wake_timer)
		m->wake_timer = loop_add_timer(l, m->last_check_usec + WAKE_MIN_GAP_USEC, on_wake_timer, m);
}

static void on_signal(struct loop *l, int fd, uint32_t events _unused_, void *userdata)
{
	struct monitor *m = userdata;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			log_info("SIG%s: stopping", sigabbrev_np((int)si.ssi_signo));
			loop_quit(l);
			break;
		case SIGHUP:
			if (m->check_in_progress)
				m->reload_pending = true;
			else
				apply_reload(m);
			break;
		case SIGUSR1:
			if (!m->target.present) {
				log_warn("SIGUSR1: no target to dump");
				break;
			}
			log_info("SIGUSR1: memory breakdown of %s follows", m->target.cg.path);
			int r = dump_memory(&m->target.cg, m->target.spec.proc_root, stderr);
			if (r < 0)
				log_warn("SIGUSR1: dump failed: %s", strerror(-r));
			break;
		case SIGUSR2:
			m->paused = !m->paused;
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

static int monitor_setup(struct monitor *m, const struct monitor_config *cfg, struct policy *policy)
{
	*m = (struct monitor){
		.cfg = *cfg, .timer_fd = -1, .signal_fd = -1, .psi_fd = -1, .host = { .meminfo_fd = -1 }
	};
	target_init(&m->target, &cfg->target);
	int r = install_policy(m, policy);
	if (r < 0) {
		policy_free(policy);
		return r;
	}
	r = hostmem_open(m->target.spec.proc_root, &m->host);
	if (r < 0) {
		log_error("cannot open %s/meminfo: %s", m->target.spec.proc_root, strerror(-r));
		return r;
	}
	r = loop_new(&m->loop);
	if (r < 0)
		return r;
	r = spawner_new(m->loop, &m->dispatch.spawner);
	if (r < 0)
		return r;
	return 0;
}

static void monitor_teardown(struct monitor *m)
{
	if (m->loop)
		unwatch_target(m);
	webhook_client_free(m->dispatch.webhooks);
	spawner_free(m->dispatch.spawner);
	dispatch_free(&m->dispatch);
	if (m->timer_fd >= 0)
		close(m->timer_fd);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	loop_free(m->loop);
	target_release(&m->target);
	hostmem_close(&m->host);
	policy_free(m->policy);
	free(m->last_fired_usec);
	free(m->probe_results);
	free(m->probe_ctxs);
}

int monitor_run(const struct monitor_config *cfg, struct policy *policy)
{
	struct monitor m;
	int r = monitor_setup(&m, cfg, policy);
	if (r < 0)
		goto out;
	r = webhook_client_new(m.loop,
	                       cfg->webhook_queue_cap ? cfg->webhook_queue_cap : WEBHOOK_QUEUE_CAP_DEFAULT,
	                       &m.dispatch.webhooks);
	if (r < 0) {
		log_error("webhook client: %s", strerror(-r));
		goto out;
	}

	sigset_t set;
	handled_signals(&set);
	m.signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	m.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (m.signal_fd < 0 || m.timer_fd < 0) {
		r = -errno;
		log_error("signalfd/timerfd: %s", strerror(-r));
		goto out;
	}
	if ((r = loop_add_fd(m.loop, m.signal_fd, EPOLLIN, on_signal, &m)) < 0 ||
	    (r = loop_add_fd(m.loop, m.timer_fd, EPOLLIN, on_timer, &m)) < 0 || (r = arm_timer(&m)) < 0) {
		log_error("event loop: %s", strerror(-r));
		goto out;
	}

	char interval[32];
	units_format_duration(m.policy->check_interval_usec, interval, sizeof(interval));
	log_info("memhook %s: policy %s, %zu level(s), %zu handler(s), checking every %s", MEMHOOK_VERSION,
	         cfg->policy_path ? cfg->policy_path : "(default)", m.policy->n_levels, m.policy->n_handlers,
	         interval);
	if (ensure_target(&m, true)) {
		char perr[512];
		if (policy_check_target(m.policy, (int)m.target.cg.version, perr, sizeof(perr)) < 0) {
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

	/* Give queued webhooks a bounded grace period. */
	uint64_t deadline = now_mono_usec() + (cfg->grace_usec ? cfg->grace_usec : GRACE_DEFAULT_USEC);
	if (webhook_pending(m.dispatch.webhooks))
		log_info("delivering %zu queued webhook(s) before stopping",
		         webhook_pending(m.dispatch.webhooks));
	while (webhook_pending(m.dispatch.webhooks) && now_mono_usec() < deadline)
		loop_iterate(m.loop, deadline - now_mono_usec());
	if (webhook_pending(m.dispatch.webhooks))
		log_warn("stopping with %zu webhook(s) undelivered after the grace period",
		         webhook_pending(m.dispatch.webhooks));
	struct webhook_stats st;
	webhook_get_stats(m.dispatch.webhooks, &st);
	log_info("stopped: %llu checks, %llu events, webhooks %llu delivered / %llu failed / %llu dropped, "
	         "%llu failed actions",
	         (unsigned long long)m.checks, (unsigned long long)m.seq, (unsigned long long)st.delivered,
	         (unsigned long long)st.failed, (unsigned long long)st.dropped,
	         (unsigned long long)m.dispatch.failures);
	r = 0;
out:
	monitor_teardown(&m);
	return r;
}

/* ---- run --once ---- */

int monitor_once(const struct monitor_config *cfg, struct policy *policy, FILE *out, char *err,
                 size_t err_size)
{
	struct monitor m;
	int r = monitor_setup(&m, cfg, policy);
	if (r < 0) {
		snprintf(err, err_size, "setup: %s", strerror(-r));
		goto out;
	}
	m.once = true;
	m.sample_what = CG_SAMPLE_ALL; /* --once shows everything */
	m.host_every_check = true;
	r = target_acquire(&m.target, err, err_size);
	if (r < 0)
		goto out;
	char perr[512];
	if (policy_check_target(m.policy, (int)m.target.cg.version, perr, sizeof(perr)) < 0)
		log_warn("%s", perr);
	r = take_sample(&m, &m.sample);
	if (r > 0) {
		snprintf(err, err_size, "cannot read meminfo under %s", m.target.spec.proc_root);
		r = -EIO;
		goto out;
	}
	if (r < 0) {
		snprintf(err, err_size, "reading %s: %s", m.target.cg.path,
		         r == -EBADMSG ? "unexpected content" : strerror(-r));
		goto out;
	}
	if (m.policy->n_probes) {
		uint64_t deadline = now_mono_usec() + USEC_PER_SEC;
		for (size_t i = 0; i < m.policy->n_probes; i++)
			deadline += m.policy->probes[i].timeout_usec;
		start_probes(&m);
		while (m.check_in_progress && now_mono_usec() < deadline)
			loop_iterate(m.loop, deadline - now_mono_usec());
	}
	int level = eval_level(m.policy, &m.sample, m.probe_results);

	cJSON *root = cJSON_CreateObject();
	cJSON *target = cJSON_AddObjectToObject(root, "target");
	cJSON_AddStringToObject(target, "cgroup", m.target.cg.path);
	cJSON_AddNumberToObject(target, "version", (double)m.target.cg.version);
	if (m.target.pid > 0)
		cJSON_AddNumberToObject(target, "pid", (double)m.target.pid);
	else
		cJSON_AddNullToObject(target, "pid");
	char *mnt = NULL;
	enum cg_version v;
	if (cg_find_memory_mount(&mnt, &v) == 0) {
		cJSON *host = cJSON_AddObjectToObject(root, "host");
		cJSON_AddStringToObject(host, "memory_controller", mnt);
		cJSON_AddNumberToObject(host, "cgroup_version", (double)v);
		free(mnt);
	}
	cJSON_AddItemToObject(root, "sample", payload_sample_json(&m.sample));
	cJSON_AddNumberToObject(root, "level", level);
	cJSON_AddStringToObject(root, "level_name", level_label(m.policy, level));
	cJSON *conds = eval_explain(m.policy, &m.sample, m.probe_results);
	if (conds)
		cJSON_AddItemToObject(root, "conditions", conds);
	char *text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text) {
		r = -ENOMEM;
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	fprintf(out, "%s\n", text);
	free(text);
	r = 0;
out:
	monitor_teardown(&m);
	return r;
}
