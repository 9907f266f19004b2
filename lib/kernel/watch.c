/* Target life (acquire, lost, found) and wakeups (memory.events POLLPRI, PSI trigger, v1 usage
 * thresholds and OOM notifier, folding). */
#include "kernel/watch.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "kernel/cg_register.h"
#include "kernel/cg_threshold.h"
#include "kernel/cgroup.h"
#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

void watch_init(struct watch *w, const struct target_spec *spec, struct loop *l, watch_wake_fn wake,
                void *userdata)
{
	*w = (struct watch){ .loop = l, .psi_fd = -1, .oom_fd = -1, .wake = wake, .userdata = userdata };
	tripwire_init(&w->trip);
	target_init_spec(&w->target, spec);
}

/* Closes an eventfd of ours that is in the loop (closing unregisters it with the kernel). */
static void drop_fd(struct watch *w, int *fd)
{
	if (*fd < 0)
		return;
	loop_del_fd(w->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void disarm_thresholds(struct watch *w)
{
	cg_register_cancel(w->thr_job); /* its duplicates unregister the eventfds closed here */
	w->thr_job = NULL;
	for (size_t i = 0; i < w->n_thr; i++)
		drop_fd(w, &w->thr_fds[i]);
	w->n_thr = 0;
	w->thr_armed = false;
}

static void disarm(struct watch *w)
{
	if (w->pidfd_watched) {
		loop_del_fd(w->loop, w->target.pidfd);
		w->pidfd_watched = false;
	}
	if (w->events_watched) {
		loop_del_fd(w->loop, w->target.cg.events_fd);
		w->events_watched = false;
	}
	if (w->psi_fd >= 0) {
		loop_del_fd(w->loop, w->psi_fd);
		close(w->psi_fd);
		w->psi_fd = -1;
	}
	disarm_thresholds(w);
	drop_fd(w, &w->oom_fd);
	if (w->oom_timer) {
		loop_cancel_timer(w->loop, w->oom_timer);
		w->oom_timer = 0;
	}
}

void watch_free(struct watch *w)
{
	if (w->loop)
		disarm(w);
	tripwire_stop(&w->trip, "stopping");
	target_release(&w->target);
}

static void on_wake_timer(struct loop *l _unused_, void *userdata)
{
	struct watch *w = userdata;
	w->wake_timer = 0;
	w->last_wake_usec = now_mono_usec();
	w->wake(w->userdata);
}

/* A wakeup: a check now, unless another wakeup ran one less than WAKE_MIN_GAP ago; then one
 * folded check when the gap is over (a check already waiting for it takes this wakeup too). The
 * gap is between wakeups, not from the last check: timer checks come every min_interval (10 ms)
 * while usage nears a threshold, and folding a threshold's wakeup behind them would delay the
 * very check it is for (measured: 4-8 ms of lag behind the kernel in the OOM race). */
static void wake_folded(struct watch *w)
{
	uint64_t now = now_mono_usec();
	if (now - w->last_wake_usec >= WAKE_MIN_GAP_USEC) {
		w->last_wake_usec = now;
		w->wake(w->userdata);
	} else if (!w->wake_timer) {
		w->wake_timer =
		        loop_add_timer(w->loop, w->last_wake_usec + WAKE_MIN_GAP_USEC, on_wake_timer, w);
	}
}

/* A check from the loop's next iteration (never from inside the running check), folded. */
static void wake_later(struct watch *w)
{
	if (!w->wake_timer) {
		uint64_t at = w->last_check_usec + WAKE_MIN_GAP_USEC;
		uint64_t now = now_mono_usec();
		w->wake_timer = loop_add_timer(w->loop, at > now ? at : now, on_wake_timer, w);
	}
}

static void on_wakeup(struct loop *l, int fd, uint32_t events, void *userdata)
{
	struct watch *w = userdata;
	/* POLLERR on a PSI trigger: its cgroup is gone (the check notices). On memory.events it is
	 * part of kernfs's ordinary change notification (POLLERR|POLLPRI). */
	if (fd == w->psi_fd && (events & EPOLLERR)) {
		loop_del_fd(l, fd);
		close(fd);
		w->psi_fd = -1;
		w->wake(w->userdata);
		return;
	}
	/* A charge above the tripwire counts `high`: usage reached the next threshold (page cache
	 * above it may be reclaimed back under it since). The tripwire moves on at once (the app is
	 * charged a reclaim attempt for every return to user space above it), then a check runs at
	 * once, however soon after the last wakeup (the next level's threshold may follow in 14 ms at
	 * 3 GB/s), once per value armed; later notifications of the same value fold. */
	char buf[512];
	uint64_t ev[MEMEV_COUNT], usage;
	ssize_t n;
	if (fd != w->psi_fd && tripwire_armed(&w->trip) &&
	    (n = pread_all(w->target.cg.events_fd, buf, sizeof(buf))) >= 0 &&
	    cg_parse_events(buf, (size_t)n, ev) == 0 && cg_read_usage(w->target.cg.usage_fd, &usage) == 0 &&
	    tripwire_crossed(&w->trip, ev[MEMEV_HIGH], usage)) {
		bool news = w->trip.generation != w->trip_woke_generation;
		log_debug("woken by the tripwire (%llu bytes)", (unsigned long long)w->trip.armed_bytes);
		w->trip_woke_generation = w->trip.generation; /* this value's crossing, not the next's */
		tripwire_move(&w->trip, usage, w->trip.thr_limit_bytes);
		if (news) {
			w->last_wake_usec = now_mono_usec();
			w->wake(w->userdata);
			return;
		}
	}
	log_debug("woken by %s", fd == w->psi_fd ? "a PSI trigger" : "memory.events");
	wake_folded(w);
}

static void on_oom_timer(struct loop *l _unused_, void *userdata)
{
	struct watch *w = userdata;
	w->oom_timer = 0;
	log_debug("the check after the OOM notification");
	wake_folded(w);
}

/* A v1 eventfd fired: a usage threshold crossed (either way), the OOM notifier, or the cgroup is
 * being removed (the kernel signals every registered eventfd once then; the check finds it gone).
 * Reading the count clears it. */
static void on_v1_event(struct loop *l, int fd, uint32_t events _unused_, void *userdata)
{
	struct watch *w = userdata;
	uint64_t count;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_debug("eventfd read: %s", strerror(errno));
	if (fd == w->oom_fd) {
		log_debug("woken by the OOM notifier");
		/* the kill is counted after the notification: look again a little later */
		if (!w->oom_timer)
			w->oom_timer =
			        loop_add_timer(l, now_mono_usec() + OOM_FOLLOWUP_USEC, on_oom_timer, w);
	} else {
		for (size_t i = 0; i < w->n_thr; i++) {
			if (w->thr_fds[i] != fd)
				continue;
			log_debug("woken by a usage threshold (%llu bytes)",
			          (unsigned long long)w->thr_bytes[i]);
			/* Another threshold is news, however soon after the last wakeup (25% and 10%
			 * free are 14 ms apart at 3 GB/s): a check at once. The same one again within
			 * the gap is usage wobbling across it: folded like any wakeup. */
			uint64_t now = now_mono_usec();
			if (now - w->thr_woke_usec[i] >= WAKE_MIN_GAP_USEC) {
				w->thr_woke_usec[i] = w->last_wake_usec = now;
				w->wake(w->userdata);
				return;
			}
		}
	}
	wake_folded(w);
}

/* Logs the first registration failure of a target at info; later ones at debug. */
static void log_v1_failure(struct watch *w, const char *what, int r)
{
	if (w->thr_failure_logged) {
		log_debug("%s not armed on %s: %s", what, w->target.cg.path, strerror(-r));
		return;
	}
	w->thr_failure_logged = true;
	log_info("%s not armed on %s: %s; the check interval alone sees memory cross its thresholds", what,
	         w->target.cg.path, strerror(-r));
}

/* Whether the kernel's notifications through cgroup.event_control apply: cgroup v1, and on
 * cgroupfs (in a fixture tree registering is a write that would overwrite a file). */
static bool v1_notifications(const struct watch *w)
{
	return w->target.present && w->target.cg.version == CG_V1 && w->target.on_cgroupfs;
}

/* The main process exited (its pidfd is readable): a check now loses the target. Taken out of the
 * loop at once, so a check that cannot run now (paused, probes running) is not woken again and
 * again. */
static void on_target_exit(struct loop *l, int fd, uint32_t events _unused_, void *userdata)
{
	struct watch *w = userdata;
	loop_del_fd(l, fd);
	w->pidfd_watched = false;
	w->exit_seen = true;
	log_debug("the target's main process %d exited", (int)w->target.pid);
	w->wake(w->userdata);
}

/* Registers a v1 notification on the file of file_fd (arg as cg_event_register's) and watches its
 * eventfd on the loop. Returns the eventfd, or -errno after logging what failed. */
static int v1_register(struct watch *w, int file_fd, const char *arg, const char *what)
{
	int fd = cg_event_register(w->target.cg.dirfd, file_fd, arg);
	int r = fd < 0 ? fd : loop_add_fd(w->loop, fd, EPOLLIN, on_v1_event, w);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		log_v1_failure(w, what, r);
		return r;
	}
	return fd;
}

/* Wakes a check when the main process exits (its pidfd), on memory.events changes (POLLPRI) and,
 * when the policy looks at pressure, on a PSI trigger. All are optional: without them the interval
 * still catches everything. */
static void arm(struct watch *w)
{
	struct cg_target *cg = &w->target.cg;
	if (w->target.pidfd >= 0 && !w->exit_seen &&
	    loop_add_fd(w->loop, w->target.pidfd, EPOLLIN, on_target_exit, w) == 0)
		w->pidfd_watched = true;
	if (v1_notifications(w) && (w->sample_what & CG_SAMPLE_EVENTS) && cg->events_fd >= 0) {
		/* the usage thresholds come at the first check, which knows the limit */
		int fd = v1_register(w, cg->events_fd, NULL, "the OOM notifier (memory.oom_control)");
		if (fd >= 0)
			w->oom_fd = fd;
	}
	if (cg->version != CG_V2)
		return;
	/* The tripwire: only on cgroupfs (in a fixture tree memory.high is a plain file). */
	bool trip = w->trip_on && w->target.on_cgroupfs;
	if (trip && w->trip.high_fd < 0 && !w->trip.stood_down && tripwire_start(&w->trip, cg) < 0)
		log_debug("tripwire: not started on %s", cg->path);
	if (((w->sample_what & CG_SAMPLE_EVENTS) || trip) && cg->events_fd >= 0) {
		/* kernfs reports POLLPRI for any change since the fd last read the file (or was
		 * opened): read it once, so that only changes from now on wake a check */
		char buf[256];
		if (pread(cg->events_fd, buf, sizeof(buf), 0) < 0)
			log_debug("memory.events: %s", strerror(errno));
		if (loop_add_fd(w->loop, cg->events_fd, EPOLLPRI | EPOLLET, on_wakeup, w) == 0)
			w->events_watched = true;
	}
	/* Only on cgroupfs: a trigger is a write, and in a fixture tree it would overwrite the file. */
	if (!(w->sample_what & CG_SAMPLE_PSI) || cg->pressure_fd < 0 || !w->target.on_cgroupfs)
		return;
	int fd = openat(cg->dirfd, "memory.pressure", O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		log_debug("PSI trigger: cannot open memory.pressure for writing: %s", strerror(errno));
		return;
	}
	if (write(fd, PSI_TRIGGER, strlen(PSI_TRIGGER)) < 0 ||
	    loop_add_fd(w->loop, fd, EPOLLPRI, on_wakeup, w) < 0) {
		log_debug("PSI trigger not armed: %s", strerror(errno));
		close(fd);
		return;
	}
	w->psi_fd = fd;
}

/* A --pid target whose process is gone: logged, and never taken again. */
static void log_gone(struct watch *w)
{
	log_warn("pid %d is gone and will not be taken again: a new process with that number is a "
	         "different process; memhook keeps running without a target until it is stopped",
	         (int)w->target.spec.pid);
	w->state = WATCH_GONE;
}

enum watch_acquired watch_acquire(struct watch *w)
{
	if (w->target.present)
		return WATCH_ACQUIRED_HELD;
	if (w->state == WATCH_GONE)
		return WATCH_ACQUIRED_NONE;
	char err[512] = "";
	int r = target_acquire(&w->target, err, sizeof(err));
	if (r == -ESTALE) {
		log_warn("target not found: %s", err);
		log_gone(w);
		return WATCH_ACQUIRED_NONE;
	}
	if (r < 0) {
		if (w->state != WATCH_MISSING || strcmp(err, w->missing_reason) != 0) {
			log_warn("target not found: %s; waiting for it", err);
			snprintf(w->missing_reason, sizeof(w->missing_reason), "%s", err);
		}
		w->state = WATCH_MISSING;
		return WATCH_ACQUIRED_NONE;
	}
	enum watch_acquired how = w->state == WATCH_UNSEEN ? WATCH_ACQUIRED_FIRST : WATCH_ACQUIRED_AGAIN;
	char desc[512];
	target_describe(&w->target, desc, sizeof(desc));
	if (how == WATCH_ACQUIRED_FIRST)
		log_info("watching %s", desc);
	else
		log_info("target found: %s", desc);
	w->state = WATCH_PRESENT;
	w->missing_reason[0] = '\0';
	w->exit_seen = false;
	w->thr_failure_logged = false;
	arm(w);
	return how;
}

int watch_check_alive(const struct watch *w, char *reason, size_t reason_size)
{
	int r = target_check(&w->target);
	if (r == -ESRCH)
		snprintf(reason, reason_size, "process %d exited", (int)w->target.pid);
	else if (r < 0)
		snprintf(reason, reason_size, "its cgroup was removed");
	return r;
}

void watch_lose(struct watch *w, int why, const char *reason)
{
	char desc[512];
	target_describe(&w->target, desc, sizeof(desc));
	log_warn("target lost: %s: %s", desc, reason);
	disarm(w);
	tripwire_stop(&w->trip, "target lost");
	w->trip.stood_down = false; /* a target found again starts afresh */
	target_release(&w->target);
	w->state = WATCH_MISSING;
	w->missing_reason[0] = '\0';
	w->exit_seen = false;
	if (why == -ESRCH && w->target.spec.mode == TARGET_PID)
		log_gone(w);
}

bool watch_exit_pending(const struct watch *w)
{
	return w->target.present && w->exit_seen;
}

void watch_rearm(struct watch *w, unsigned sample_what, bool tripwire)
{
	w->sample_what = sample_what;
	if (!tripwire && w->trip_on)
		tripwire_stop(&w->trip, "the policy turns the tripwire off");
	/* A new policy: its thresholds, and a fresh look at a memory.high the tripwire stood down for */
	w->trip.thr_valid = false;
	if (tripwire)
		w->trip.stood_down = false;
	w->trip_on = tripwire;
	disarm(w);
	if (w->target.present)
		arm(w);
	if (v1_notifications(w))
		wake_later(w); /* arms the new policy's usage thresholds at its limit */
}

/* Whether a usage moving from a to b crossed one of the registered thresholds. */
static bool crossed_between(const struct watch *w, uint64_t a, uint64_t b)
{
	for (size_t i = 0; i < w->n_thr; i++)
		if ((a >= w->thr_bytes[i]) != (b >= w->thr_bytes[i]))
			return true;
	return false;
}

/* The end of an asynchronous registration: the eventfds not registered are dropped (polling sees
 * the rest), and a crossing between the sample and the registration gets a check. */
static void on_thresholds_registered(void *userdata, size_t registered, int error)
{
	struct watch *w = userdata;
	w->thr_job = NULL;
	if (error) {
		log_v1_failure(w, "usage thresholds (memory.usage_in_bytes)", error);
		for (size_t i = registered; i < w->n_thr; i++)
			drop_fd(w, &w->thr_fds[i]);
		w->n_thr = registered;
	}
	uint64_t usage;
	if (w->n_thr && cg_read_usage(w->target.cg.usage_fd, &usage) == 0 &&
	    crossed_between(w, w->thr_sample_usage, usage))
		wake_later(w);
}

/* watch_thresholds' registration of bytes[0..n) by cg_register's writers: the eventfds are in the
 * loop at once and wake checks from when the kernel has them. */
static void arm_thresholds_async(struct watch *w, const uint64_t *bytes, size_t n, uint64_t sample_usage)
{
	char args[CG_THRESHOLDS_MAX][24];
	const char *argv[CG_THRESHOLDS_MAX];
	for (size_t i = 0; i < n; i++) {
		int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		int r = fd < 0 ? -errno : loop_add_fd(w->loop, fd, EPOLLIN, on_v1_event, w);
		if (r < 0) {
			if (fd >= 0)
				close(fd);
			log_v1_failure(w, "usage thresholds (memory.usage_in_bytes)", r);
			break;
		}
		snprintf(args[i], sizeof(args[i]), "%llu", (unsigned long long)bytes[i]);
		argv[i] = args[i];
		w->thr_fds[w->n_thr] = fd;
		w->thr_woke_usec[w->n_thr] = 0;
		w->thr_bytes[w->n_thr++] = bytes[i];
	}
	if (!w->n_thr)
		return;
	w->thr_sample_usage = sample_usage;
	int r = cg_register_async(w->loop, w->target.cg.dirfd, w->target.cg.usage_fd, w->thr_fds, argv,
	                          w->n_thr, on_thresholds_registered, w, &w->thr_job);
	if (r < 0) {
		log_v1_failure(w, "usage thresholds (memory.usage_in_bytes)", r);
		for (size_t i = 0; i < w->n_thr; i++)
			drop_fd(w, &w->thr_fds[i]);
		w->n_thr = 0;
	}
}

void watch_thresholds(struct watch *w, const struct policy *p, const struct sample *s)
{
	const struct cg_target *cg = &w->target.cg;
	if (!v1_notifications(w) || (w->thr_armed && w->thr_limit_bytes == s->limit_bytes))
		return;
	disarm_thresholds(w);
	w->thr_armed = true;
	w->thr_limit_bytes = s->limit_bytes;
	long page = sysconf(_SC_PAGESIZE);
	uint64_t bytes[CG_THRESHOLDS_MAX];
	bool capped;
	size_t n = cg_thresholds_of(p, s->limit_bytes, page > 0 ? (uint64_t)page : 4096, bytes, &capped);
	if (capped)
		log_info("the policy has more than %d usage thresholds at a limit of %llu bytes: the "
		         "lowest are left to the check interval",
		         CG_THRESHOLDS_MAX, (unsigned long long)s->limit_bytes);
	if (w->thr_async) {
		arm_thresholds_async(w, bytes, n, s->usage_bytes);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char arg[24];
		snprintf(arg, sizeof(arg), "%llu", (unsigned long long)bytes[i]);
		int fd = v1_register(w, cg->usage_fd, arg, "usage thresholds (memory.usage_in_bytes)");
		if (fd < 0)
			break;
		w->thr_fds[w->n_thr] = fd;
		w->thr_woke_usec[w->n_thr] = 0;
		w->thr_bytes[w->n_thr++] = bytes[i];
	}
	if (w->n_thr)
		log_debug("%zu usage threshold(s) armed for a limit of %llu bytes, %llu to %llu bytes",
		          w->n_thr, (unsigned long long)s->limit_bytes, (unsigned long long)w->thr_bytes[0],
		          (unsigned long long)w->thr_bytes[w->n_thr - 1]);
	/* The kernel starts from the usage it sees at registration: a crossing after s was read and
	 * before then is never notified, so a check looks at it. */
	uint64_t usage;
	if (w->n_thr && cg_read_usage(cg->usage_fd, &usage) == 0 && crossed_between(w, s->usage_bytes, usage))
		wake_later(w);
}

void watch_tripwire(struct watch *w, const struct policy *p, const struct sample *s)
{
	if (w->trip_on && w->target.present)
		tripwire_update(&w->trip, p, s);
}

void watch_tripwire_stand_down(struct watch *w, const char *why)
{
	if (w->trip.high_fd >= 0)
		tripwire_stand_down(&w->trip, why);
}

void watch_note_check(struct watch *w, uint64_t now_usec)
{
	w->last_check_usec = now_usec;
}
