/* The ordered stream of exec, signal, reclaim and memory_high jobs (see dispatch.h), and the
 * entry points. What a kind does is its row's (action_run.h); nothing here names a kind. */
#include "actions/dispatch.h"

#include <stdio.h>
#include <string.h>

#include "actions/action_run.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/units.h"
#include "output/metrics.h"

/* What a failed action's -errno means, said in the project's words where strerror misleads. */
static const char *failure_text(int r)
{
	switch (r) {
	case -EBADFD: /* a secret_file (or another file memhook reads by path) that is no regular file */
		return "not a regular file";
	case -ELOOP: /* O_NOFOLLOW / RESOLVE_NO_SYMLINKS */
		return "a symlink, not followed";
	case -EXDEV: /* cg_check_write_fd */
		return "not a file of the cgroup's own filesystem, not written";
	default:
		return strerror(-r);
	}
}

void dispatch_policy_installed(struct dispatch *d, const struct handler *hs, size_t n)
{
	for (size_t k = 0; k < ARRAY_SIZE(action_runs); k++)
		if (action_runs[k]->installed)
			action_runs[k]->installed(d, hs, n);
}

void dispatch_count_failure(struct dispatch *d, enum action_kind kind, const char *tag, const char *what,
                            int r)
{
	d->failures++;
	metrics_count_action(d->metrics, kind, ACTION_RESULT_FAILED);
	log_msg_about(LOG_LEVEL_WARN, tag, "%s: %s failed: %s (failed actions: %llu)", tag, what,
	              failure_text(r), (unsigned long long)d->failures);
}

static size_t cap_of(const struct dispatch *d)
{
	return d->queue_cap ? d->queue_cap : ACTION_QUEUE_CAP_DEFAULT;
}

/* ---- jobs ---- */

static void job_free(struct dispatch_job *j)
{
	if (!j)
		return;
	if (j->hold_timer && j->d->loop)
		loop_cancel_timer(j->d->loop, j->hold_timer);
	strv_free(j->argv);
	strv_free(j->env);
	reclaim_job_close(&j->rj);
	free(j);
}

struct dispatch_job *dispatch_job_alloc(struct dispatch *d, enum action_kind kind, const char *tag)
{
	struct dispatch_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	*j = (struct dispatch_job){ .d = d, .kind = kind, .notify_fd = -1 };
	j->rj.reclaim_fd = j->rj.usage_fd = -1;
	snprintf(j->tag, sizeof(j->tag), "%s", tag);
	return j;
}

/* A job for h's action on event e, or NULL when out of memory. */
static struct dispatch_job *job_new(struct dispatch *d, const struct action_run_ops *run,
                                    const struct handler *h, const struct dispatch_event *e)
{
	struct dispatch_job *j = dispatch_job_alloc(d, h->action, h->path);
	if (j)
		j->target = e->target;
	if (j && run->prepare(j, h, e) < 0) {
		job_free(j);
		return NULL;
	}
	return j;
}

static void side_add(struct dispatch *d, struct dispatch_job *j)
{
	j->next = d->side;
	d->side = j;
}

static void side_remove(struct dispatch *d, struct dispatch_job *j)
{
	for (struct dispatch_job **pp = &d->side; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			j->next = NULL;
			return;
		}
}

static void pump(struct dispatch *d);

void dispatch_job_release(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	if (d->head == j)
		d->head = NULL;
	else
		side_remove(d, j);
	job_free(j);
}

void dispatch_job_finished(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	dispatch_job_release(j);
	pump(d);
}

/* The hold of the head job is over: it goes on in the background, the stream moves on. */
static void on_hold_timeout(struct loop *l _unused_, void *userdata)
{
	struct dispatch_job *j = userdata;
	struct dispatch *d = j->d;
	char held[32];
	j->hold_timer = 0;
	units_format_duration(j->hold_usec, held, sizeof(held));
	log_msg_about(LOG_LEVEL_WARN, j->tag,
	              "%s: %s still running after %s; the actions after it go on (its result is logged "
	              "when it ends)",
	              j->tag, action_run(j->kind)->name, held);
	if (d->head == j) {
		d->head = NULL;
		side_add(d, j);
	}
	pump(d);
}

/* Makes j the job the stream waits for, for at most j->hold_usec. */
static void hold(struct dispatch *d, struct dispatch_job *j)
{
	d->head = j;
	if (d->loop)
		j->hold_timer = loop_add_timer(d->loop, j->started_usec + j->hold_usec, on_hold_timeout, j);
}

/* ---- the stream ---- */

/* Starts j: it becomes the head, runs beside, or is done at once (its row says which). */
static void start_job(struct dispatch *d, struct dispatch_job *j)
{
	j->started_usec = now_mono_usec();
	switch (action_run(j->kind)->start(d, j)) {
	case ACTION_START_HOLD:
		hold(d, j);
		return;
	case ACTION_START_BESIDE:
		side_add(d, j);
		return;
	case ACTION_START_DONE:
		break;
	}
	job_free(j);
}

/* Starts waiting jobs while nothing holds the stream. */
static void pump(struct dispatch *d)
{
	while (!d->head && d->queue) {
		struct dispatch_job *j = d->queue;
		d->queue = j->next;
		if (!d->queue)
			d->queue_tail = NULL;
		d->queued--;
		j->next = NULL;
		start_job(d, j);
	}
}

void dispatch_enqueue(struct dispatch *d, struct dispatch_job *j)
{
	if (d->queued >= cap_of(d)) {
		struct dispatch_job *old = d->queue;
		d->queue = old->next;
		if (!d->queue)
			d->queue_tail = NULL;
		d->queued--;
		d->dropped++;
		d->failures++;
		metrics_count_action(d->metrics, old->kind, ACTION_RESULT_DROPPED);
		log_msg_about(LOG_LEVEL_WARN, old->tag,
		              "%s: %s dropped: %zu ordered actions were waiting (dropped: %llu, failed "
		              "actions: %llu)",
		              old->tag, action_run(old->kind)->name, cap_of(d),
		              (unsigned long long)d->dropped, (unsigned long long)d->failures);
		job_free(old);
	}
	if (d->queue_tail)
		d->queue_tail->next = j;
	else
		d->queue = j;
	d->queue_tail = j;
	d->queued++;
	pump(d);
}

/* ---- entry points ---- */

void dispatch_action(struct dispatch *d, const struct handler *h, struct dispatch_event *e)
{
	const struct action_run_ops *run = action_run(h->action);
	if (!run)
		return;
	if (d->dry_run) {
		char text[ACTION_WOULD_MAX_CHARS];
		log_info("%s: would %s", h->path, run->would(h, e, text, sizeof(text)));
		return;
	}
	if (run->at_event) {
		run->at_event(d, h, e);
		return;
	}
	struct dispatch_job *j = job_new(d, run, h, e);
	if (!j) {
		dispatch_count_failure(d, h->action, h->path, run->name, -ENOMEM);
		return;
	}
	if (j->beside)
		start_job(d, j); /* beside the stream, now */
	else
		dispatch_enqueue(d, j);
}

void dispatch_event_done(struct dispatch_event *e)
{
	free(e->body);
	e->body = NULL;
}

size_t dispatch_pending(const struct dispatch *d)
{
	size_t n = d->queued + (d->head ? 1 : 0);
	for (const struct dispatch_job *j = d->side; j; j = j->next)
		n++;
	return n;
}

void dispatch_free(struct dispatch *d)
{
	if (d->queued)
		log_info("stopping: %zu ordered action(s) not run", d->queued);
	while (d->queue) {
		struct dispatch_job *j = d->queue;
		d->queue = j->next;
		job_free(j);
	}
	d->queue_tail = NULL;
	d->queued = 0;
	/* Writes in the kernel: a bounded wait for their reports. */
	worker_wait(d, now_mono_usec() + RECLAIM_STOP_WAIT_USEC);
	for (size_t k = 0; k < ARRAY_SIZE(action_runs); k++)
		if (action_runs[k]->at_stop)
			action_runs[k]->at_stop(d);
	/* Execs: their children were the spawner's (freed first, without callbacks). */
	if (d->head && !d->head->in_kernel)
		job_free(d->head);
	else if (d->head)
		side_add(d, d->head); /* left to its worker below */
	d->head = NULL;
	for (struct dispatch_job **pp = &d->side; *pp;) {
		struct dispatch_job *j = *pp;
		if (j->in_kernel) { /* still in a worker's hands: not to be freed */
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		job_free(j);
	}
	if (d->reclaims_running) {
		/* Their workers still write to the pipe and own their jobs: both are left to the exit. */
		log_warn("stopping with %u reclaim(s) still in the kernel", d->reclaims_running);
		for (struct dispatch_job *j = d->side; j; j = j->next)
			if (j->hold_timer && d->loop) {
				loop_cancel_timer(d->loop, j->hold_timer);
				j->hold_timer = 0;
			}
		d->side = NULL;
	}
	worker_close(d);
}
