/* Target life (acquire, lost, found) and wakeups (memory.events POLLPRI, PSI trigger, folding). */
#include "watch.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "cgroup.h"
#include "defaults.h"
#include "log.h"
#include "loop.h"
#include "util.h"

void watch_init(struct watch *w, const struct target_spec *spec, struct loop *l, watch_wake_fn wake,
                void *userdata)
{
	*w = (struct watch){ .loop = l, .psi_fd = -1, .wake = wake, .userdata = userdata };
	target_init_spec(&w->target, spec);
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
}

void watch_free(struct watch *w)
{
	if (w->loop)
		disarm(w);
	target_release(&w->target);
}

static void on_wake_timer(struct loop *l _unused_, void *userdata)
{
	struct watch *w = userdata;
	w->wake_timer = 0;
	w->wake(w->userdata);
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
	log_debug("woken by %s", fd == w->psi_fd ? "a PSI trigger" : "memory.events");
	uint64_t now = now_mono_usec();
	if (now - w->last_check_usec >= WAKE_MIN_GAP_USEC)
		w->wake(w->userdata);
	else if (!w->wake_timer)
		w->wake_timer = loop_add_timer(l, w->last_check_usec + WAKE_MIN_GAP_USEC, on_wake_timer, w);
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

/* Wakes a check when the main process exits (its pidfd), on memory.events changes (POLLPRI) and,
 * when the policy looks at pressure, on a PSI trigger. All are optional: without them the interval
 * still catches everything. */
static void arm(struct watch *w)
{
	struct cg_target *cg = &w->target.cg;
	if (w->target.pidfd >= 0 && !w->exit_seen &&
	    loop_add_fd(w->loop, w->target.pidfd, EPOLLIN, on_target_exit, w) == 0)
		w->pidfd_watched = true;
	if (cg->version != CG_V2)
		return;
	if ((w->sample_what & CG_SAMPLE_EVENTS) && cg->events_fd >= 0 &&
	    loop_add_fd(w->loop, cg->events_fd, EPOLLPRI | EPOLLET, on_wakeup, w) == 0)
		w->events_watched = true;
	/* Only on cgroupfs: a trigger is a write, and in a fixture tree it would overwrite the file. */
	if (!(w->sample_what & CG_SAMPLE_PSI) || cg->pressure_fd < 0 || !w->target.on_cgroupfs)
		return;
	int fd = openat(cg->dirfd, "memory.pressure", O_RDWR | O_NONBLOCK | O_CLOEXEC);
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

void watch_rearm(struct watch *w, unsigned sample_what)
{
	w->sample_what = sample_what;
	disarm(w);
	if (w->target.present)
		arm(w);
}

void watch_note_check(struct watch *w, uint64_t now_usec)
{
	w->last_check_usec = now_usec;
}
