/* memory.high put back to the value memhook replaced (d->high, kept by action_run_memory_high.c):
 * on normal, as a job of the ordered stream after the actions before it; at stop, on a thread
 * waited for a bounded time. Either only when memory.high still holds memhook's value. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "actions/action_run.h"
#include "base/log.h"

void dispatch_high_forget(struct dispatch *d)
{
	if (d->high.saved && d->high.dirfd >= 0)
		close(d->high.dirfd);
	memory_high_forget(&d->high);
	d->high.dirfd = -1;
}

bool dispatch_high_is_target(const struct dispatch *d, const struct target *t)
{
	return d->high.saved && t && t->present && d->high.dev == t->cg.dev && d->high.ino == t->cg.ino;
}

enum action_start dispatch_high_restore_start(struct dispatch *d, struct dispatch_job *j)
{
	struct target *t = j->target;
	int r = worker_ready(d);
	if (!d->high.saved)
		return ACTION_START_DONE; /* the memory_high before it failed: nothing changed */
	int fd = d->high.dirfd;
	if (r == 0)
		r = memory_high_read(fd, j->was, sizeof(j->was));
	enum memory_high_restore plan =
	        r == 0 ? memory_high_restore_plan(&d->high, j->was) : MEMORY_HIGH_NOTHING;
	if (plan == MEMORY_HIGH_RESTORE) {
		snprintf(j->was, sizeof(j->was), "%" PRIu64, d->high.set_bytes);
		r = memory_high_prepare(fd, d->high.original,
		                        dispatch_high_is_target(d, t) ? t->cg.usage_fd : -1, &j->rj);
	}
	if (r == -ENOENT)
		log_info("%s: memory.high of %s not restored: that cgroup was removed (one made "
		         "again at its path is another cgroup, which memhook did not change)",
		         j->tag, d->high.path);
	else if (r == 0 && plan == MEMORY_HIGH_ALREADY)
		log_info("%s: memory.high of %s is %s again; nothing to restore", j->tag, d->high.path,
		         d->high.original);
	else if (r == 0 && plan == MEMORY_HIGH_CHANGED)
		log_warn("%s: memory.high of %s is %s, not the %" PRIu64 " memhook set: changed by someone "
		         "else, left as it is (it was %s before memhook)",
		         j->tag, d->high.path, j->was, d->high.set_bytes, d->high.original);
	else if (r < 0)
		log_warn("%s: memory.high of %s not restored to %s: %s", j->tag, d->high.path,
		         d->high.original, strerror(-r));
	dispatch_high_forget(d); /* written now, or never */
	if (r < 0 || plan != MEMORY_HIGH_RESTORE)
		return ACTION_START_DONE;
	if ((r = worker_launch(d, j)) < 0) {
		log_warn("%s: memory.high of %s not restored: %s", j->tag, d->high.path, strerror(-r));
		return ACTION_START_DONE;
	}
	j->hold_usec = d->reclaim_hold_usec ? d->reclaim_hold_usec : RECLAIM_HOLD_DEFAULT_USEC;
	return ACTION_START_HOLD;
}

/* Whether a memory_high write is waiting or holding the stream. */
static bool high_pending(const struct dispatch *d)
{
	if (d->head && d->head->kind == ACTION_MEMORY_HIGH && !d->head->restore)
		return true;
	for (const struct dispatch_job *j = d->queue; j; j = j->next)
		if (j->kind == ACTION_MEMORY_HIGH && !j->restore)
			return true;
	return false;
}

void dispatch_memory_high_normal(struct dispatch *d)
{
	if (d->dry_run || (!d->high.saved && !high_pending(d)))
		return;
	struct dispatch_job *j = dispatch_job_alloc(d, ACTION_MEMORY_HIGH, "normal");
	if (!j) {
		log_warn("memory_high: out of memory; memory.high is restored at stop");
		return;
	}
	j->restore = true;
	dispatch_enqueue(d, j);
}

static void *restore_worker(void *arg)
{
	reclaim_run(arg);
	return NULL;
}

/* The write runs on a thread memhook waits for at most MEMORY_HIGH_RESTORE_WAIT_USEC (raising
 * memory.high takes effect as the write begins; a reclaim below it may follow). */
void dispatch_high_restore_at_stop(struct dispatch *d)
{
	struct reclaim_job *rj = NULL;
	char now[24];
	if (!d->high.saved)
		return;
	int r = memory_high_read(d->high.dirfd, now, sizeof(now));
	enum memory_high_restore plan =
	        r == 0 ? memory_high_restore_plan(&d->high, now) : MEMORY_HIGH_NOTHING;
	if (r == 0 && plan == MEMORY_HIGH_RESTORE && !(rj = calloc(1, sizeof(*rj))))
		r = -ENOMEM;
	if (rj)
		r = memory_high_prepare(d->high.dirfd, d->high.original, -1, rj);
	if (r == -ENOENT)
		log_info("stopping: memory.high of %s not restored: that cgroup was removed", d->high.path);
	else if (r < 0)
		log_warn("stopping: memory.high of %s not restored to %s: %s", d->high.path, d->high.original,
		         strerror(-r));
	else if (plan == MEMORY_HIGH_CHANGED)
		log_warn("stopping: memory.high of %s is %s, not the %" PRIu64 " memhook set: left as it is",
		         d->high.path, now, d->high.set_bytes);
	if (r < 0 || plan != MEMORY_HIGH_RESTORE) {
		free(rj);
		dispatch_high_forget(d);
		return;
	}
	sigset_t all, old;
	pthread_t tid;
	struct timespec until;
	uint64_t start = now_mono_usec();
	clock_gettime(CLOCK_REALTIME, &until); /* pthread_timedjoin_np's clock */
	until.tv_sec += (time_t)(MEMORY_HIGH_RESTORE_WAIT_USEC / USEC_PER_SEC);
	until.tv_nsec += (long)(MEMORY_HIGH_RESTORE_WAIT_USEC % USEC_PER_SEC * NSEC_PER_USEC);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&tid, NULL, restore_worker, rj);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0 && (r = -pthread_timedjoin_np(tid, NULL, &until)) == 0)
		r = rj->error;
	else if (r == -ETIMEDOUT)
		pthread_detach(tid);
	unsigned long long took_ms = (now_mono_usec() - start) / USEC_PER_MSEC;
	if (r == -ETIMEDOUT)
		log_warn("stopping: memory.high of %s restored to %s; the kernel is still reclaiming after "
		         "%llu ms, left to the exit",
		         d->high.path, d->high.original, took_ms);
	else if (r < 0)
		log_warn("stopping: memory.high of %s not restored to %s: %s", d->high.path, d->high.original,
		         strerror(-r));
	else
		log_info("stopping: memory.high of %s restored to %s (memhook had set %" PRIu64
		         ") in %llu ms",
		         d->high.path, d->high.original, d->high.set_bytes, took_ms);
	if (r != -ETIMEDOUT) { /* else the thread still uses it, until the exit */
		reclaim_job_close(rj);
		free(rj);
	}
	dispatch_high_forget(d);
}
