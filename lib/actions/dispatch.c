#include "actions/dispatch.h"

#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/log.h"
#include "base/loop.h"
#include "output/metrics.h"
#include "actions/signal_reclaim.h"
#include "base/spawn.h"
#include "base/units.h"
#include "delivery/webhook.h"

/* An ordered action (or a detached exec): what it needs copied out of the handler and the event,
 * which a policy reload or the next event may free before its turn comes. */
struct dispatch_job {
	struct dispatch *d;
	enum action_kind kind;
	char tag[64]; /* the handler's path */
	struct target *target;
	/* exec */
	char **argv;
	char **env;
	uint64_t timeout_usec;
	bool detach;
	/* signal */
	struct signal_cfg signal;
	/* reclaim */
	struct reclaim_cfg reclaim;
	uint64_t usage_bytes;
	struct reclaim_job rj;
	/* memory_high: the value to set (or, restore, the saved one to put back) */
	struct memory_high_cfg high;
	uint64_t limit_bytes; /* the event's effective limit; 0 with no sample */
	bool restore;
	bool first_write; /* this write saved memory.high's value: undone when it fails */
	char was[24];     /* memory.high before this write */
	int notify_fd;    /* the worker writes the job's address here when the write is done */
	bool in_kernel;
	uint64_t started_usec;
	uint64_t hold_timer; /* the stream moves on at this timer */
	uint64_t hold_usec;
	struct dispatch_job *next;
};

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

static void count_failure(struct dispatch *d, enum action_kind kind, const char *tag, const char *what, int r)
{
	d->failures++;
	metrics_count_action(d->metrics, kind, ACTION_RESULT_FAILED);
	log_msg_about(LOG_LEVEL_WARN, tag, "%s: %s failed: %s (failed actions: %llu)", tag, what,
	              failure_text(r), (unsigned long long)d->failures);
}

static void failed(struct dispatch *d, const struct handler *h, const char *what, int r)
{
	count_failure(d, h->action, h->path, what, r);
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

/* A job for h's action on event e, or NULL when out of memory. */
static struct dispatch_job *job_new(struct dispatch *d, const struct handler *h,
                                    const struct dispatch_event *e)
{
	struct dispatch_job *j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	*j = (struct dispatch_job){ .d = d, .kind = h->action, .target = e->target, .notify_fd = -1 };
	j->rj.reclaim_fd = j->rj.usage_fd = -1;
	snprintf(j->tag, sizeof(j->tag), "%s", h->path);
	switch (h->action) {
	case ACTION_EXEC:
		j->argv = strv_dup(h->exec.argv);
		j->env = payload_build_env(e->ctx); /* the event as it is now, not at the job's turn */
		j->timeout_usec = h->exec.timeout_usec;
		j->detach = h->exec.detach;
		if (!j->argv || !j->env) {
			job_free(j);
			return NULL;
		}
		break;
	case ACTION_SIGNAL:
		j->signal = h->signal;
		break;
	case ACTION_RECLAIM:
		j->reclaim = h->reclaim;
		j->usage_bytes = e->ctx->sample ? e->ctx->sample->usage_bytes : 0;
		break;
	case ACTION_MEMORY_HIGH:
		j->high = h->memory_high;
		j->limit_bytes = e->ctx->sample ? e->ctx->sample->limit_bytes : 0;
		break;
	default:
		break;
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

/* Frees j (an exec or a reclaim that has finished), wherever it is: at the head of the stream or
 * beside it. */
static void job_release(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	if (d->head == j)
		d->head = NULL;
	else
		side_remove(d, j);
	job_free(j);
}

/* j has finished: it no longer holds the stream, which goes on. */
static void job_finished(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	job_release(j);
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
	              j->tag, action_kind_name(j->kind), held);
	if (d->head == j) {
		d->head = NULL;
		side_add(d, j);
	}
	pump(d);
}

/* Makes j the job the stream waits for, for at most hold_usec. */
static void hold(struct dispatch *d, struct dispatch_job *j, uint64_t hold_usec)
{
	d->head = j;
	j->hold_usec = hold_usec;
	if (d->loop)
		j->hold_timer = loop_add_timer(d->loop, j->started_usec + hold_usec, on_hold_timeout, j);
}

/* ---- signal ---- */

static void run_signal(struct dispatch *d, const char *tag, const struct signal_cfg *cfg,
                       const struct target *t)
{
	const char *name = sigabbrev_np(cfg->signo) ?: "?";
	int r = t && t->present ? target_signal(t, cfg) : -ESRCH;
	if (r < 0) {
		char what[64];
		snprintf(what, sizeof(what), "signal SIG%s", name);
		count_failure(d, ACTION_SIGNAL, tag, what, r);
		return;
	}
	metrics_count_action(d->metrics, ACTION_SIGNAL, ACTION_RESULT_OK);
	log_info("%s: sent SIG%s to %d process%s", tag, name, r, r == 1 ? "" : "es");
}

/* ---- reclaim: the write on a worker thread, the result back through a pipe ---- */

static void report_reclaim(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	const struct reclaim_result *res = &j->rj.result;
	if (j->rj.error < 0) {
		count_failure(d, ACTION_RECLAIM, j->tag, "reclaim", j->rj.error);
		return;
	}
	metrics_count_action(d->metrics, ACTION_RECLAIM, ACTION_RESULT_OK); /* partial too: it ran */
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

static void report_memory_high(struct dispatch_job *j);

/* Logs what a worker's write did. */
static void report_job(struct dispatch_job *j)
{
	if (j->kind == ACTION_MEMORY_HIGH)
		report_memory_high(j);
	else
		report_reclaim(j);
}

/* Reads the finished jobs the workers sent (at most what the pipe holds now) and hands each to
 * done. Returns how many. */
static unsigned read_finished(struct dispatch *d, void (*done)(struct dispatch_job *))
{
	unsigned n = 0;
	struct dispatch_job *j;
	while (read(d->done_pipe[0], &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		j->in_kernel = false;
		d->reclaims_running--;
		report_job(j);
		done(j);
		n++;
	}
	return n;
}

static void on_reclaim_done(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_,
                            void *userdata)
{
	read_finished(userdata, job_finished);
}

static void *reclaim_worker(void *arg)
{
	struct dispatch_job *j = arg;
	int fd = j->notify_fd;
	reclaim_run(&j->rj);
	/* The last touch of j: once written, the loop owns it again. 8 bytes: atomic on a pipe. */
	while (write(fd, &j, sizeof(j)) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The pipe workers report on, watched by the loop. Returns 0 or -errno. */
static int open_done_pipe(struct dispatch *d)
{
	if (d->pipe_open)
		return 0;
	if (!d->loop)
		return -EINVAL;
	if (pipe2(d->done_pipe, O_CLOEXEC) < 0)
		return -errno;
	int r = fcntl(d->done_pipe[0], F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
	if (r == 0)
		r = loop_add_fd(d->loop, d->done_pipe[0], EPOLLIN, on_reclaim_done, d);
	if (r < 0) {
		close(d->done_pipe[0]);
		close(d->done_pipe[1]);
		return r;
	}
	d->pipe_open = true;
	return 0;
}

/* Starts a worker thread for j's write, with every signal blocked (the loop's signalfd takes
 * them). Returns 0 or -errno. */
static int start_worker(struct dispatch_job *j)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	sigfillset(&all);
	int r = pthread_attr_init(&attr);
	if (r)
		return -r;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&attr, 64 * 1024); /* it calls write and pread */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&tid, &attr, reclaim_worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -r;
}

/* Hands j's prepared write (j->rj) to a worker. Returns 0 or -errno. */
static int launch_write(struct dispatch *d, struct dispatch_job *j)
{
	j->notify_fd = d->done_pipe[1];
	j->in_kernel = true;
	int r = start_worker(j);
	if (r < 0) {
		j->in_kernel = false;
		return r;
	}
	d->reclaims_running++;
	return 0;
}

/* Starts j's reclaim. Returns whether it runs (the stream then waits for it). */
static bool start_reclaim(struct dispatch *d, struct dispatch_job *j)
{
	struct target *t = j->target;
	if (!t || !t->present) {
		count_failure(d, ACTION_RECLAIM, j->tag, "reclaim", -ENOENT);
		return false;
	}
	if (d->reclaims_running >= RECLAIM_RUNNING_MAX) {
		count_failure(d, ACTION_RECLAIM, j->tag, "reclaim",
		              -EBUSY); /* earlier ones are still in the kernel */
		return false;
	}
	int r = open_done_pipe(d);
	if (r == 0)
		r = reclaim_prepare(&t->cg, &j->reclaim, j->usage_bytes, &j->rj);
	if (r == 0)
		r = launch_write(d, j);
	if (r < 0) {
		count_failure(d, ACTION_RECLAIM, j->tag, "reclaim", r);
		return false;
	}
	log_debug("%s: reclaim started: %s bytes to memory.reclaim", j->tag, j->rj.text);
	return true;
}

/* ---- memory_high: set on a worker like a reclaim; the replaced value kept and restored ---- */

static uint64_t page_bytes(void)
{
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? (uint64_t)page : 4096;
}

/* Closes the saved cgroup and forgets its value. */
static void high_forget(struct dispatch *d)
{
	if (d->high.saved && d->high.dirfd >= 0)
		close(d->high.dirfd);
	memory_high_forget(&d->high);
	d->high.dirfd = -1;
}

/* Whether the cgroup whose memory.high memhook saved is t's (by identity, not by path). */
static bool high_is_target(const struct dispatch *d, const struct target *t)
{
	return d->high.saved && t && t->present && d->high.dev == t->cg.dev && d->high.ino == t->cg.ino;
}

/* "48Mi" for a byte count, "max" as it is. */
static const char *high_format(const char *text, char *buf, size_t size)
{
	uint64_t v;
	if (strcmp(text, "max") == 0 ||
	    units_parse_u64_cursor(&(const char *){ text }, text + strlen(text), &v) < 0)
		return text;
	return units_format_size(v, buf, size);
}

static void report_memory_high(struct dispatch_job *j)
{
	struct dispatch *d = j->d;
	char before[32], after[32], val[32], was[32];
	unsigned long long took_ms = (now_mono_usec() - j->started_usec) / USEC_PER_MSEC;
	const char *what = j->restore ? "memory_high restore" : "memory_high";
	if (j->rj.error < 0) {
		if (j->first_write && !j->restore)
			high_forget(d); /* nothing was changed: nothing to restore */
		count_failure(d, ACTION_MEMORY_HIGH, j->tag, what, j->rj.error);
		return;
	}
	units_format_size(j->rj.result.before_bytes, before, sizeof(before));
	units_format_size(j->rj.result.after_bytes, after, sizeof(after));
	const char *v = high_format(j->rj.text, val, sizeof(val)), *w = high_format(j->was, was, sizeof(was));
	metrics_count_action(d->metrics, ACTION_MEMORY_HIGH, ACTION_RESULT_OK);
	if (j->restore)
		log_info("%s: memory.high restored to %s (memhook had set %s); usage %s, in %llu ms", j->tag,
		         v, w, after, took_ms);
	else
		log_info("%s: memory.high set to %s (it was %s; restored on normal); usage %s -> %s in %llu "
		         "ms",
		         j->tag, v, w, before, after, took_ms);
}

/* Starts the write j stands for, or does what restoring needs without one. Returns whether a
 * write runs (the stream then waits for it). */
static bool start_memory_high(struct dispatch *d, struct dispatch_job *j)
{
	struct target *t = j->target;
	int r = open_done_pipe(d);
	if (r == 0 && d->reclaims_running >= RECLAIM_RUNNING_MAX)
		r = -EBUSY;
	if (j->restore) {
		if (!d->high.saved)
			return false; /* the memory_high before it failed: nothing changed */
		int fd = d->high.dirfd;
		if (r == 0)
			r = memory_high_read(fd, j->was, sizeof(j->was));
		enum memory_high_restore plan =
		        r == 0 ? memory_high_restore_plan(&d->high, j->was) : MEMORY_HIGH_NOTHING;
		if (plan == MEMORY_HIGH_RESTORE) {
			snprintf(j->was, sizeof(j->was), "%" PRIu64, d->high.set_bytes);
			r = memory_high_prepare(fd, d->high.original,
			                        high_is_target(d, t) ? t->cg.usage_fd : -1, &j->rj);
		}
		if (r == -ENOENT)
			log_info("%s: memory.high of %s not restored: that cgroup was removed (one made "
			         "again at its path is another cgroup, which memhook did not change)",
			         j->tag, d->high.path);
		else if (r == 0 && plan == MEMORY_HIGH_ALREADY)
			log_info("%s: memory.high of %s is %s again; nothing to restore", j->tag,
			         d->high.path, d->high.original);
		else if (r == 0 && plan == MEMORY_HIGH_CHANGED)
			log_warn("%s: memory.high of %s is %s, not the %" PRIu64
			         " memhook set: changed by someone "
			         "else, left as it is (it was %s before memhook)",
			         j->tag, d->high.path, j->was, d->high.set_bytes, d->high.original);
		else if (r < 0)
			log_warn("%s: memory.high of %s not restored to %s: %s", j->tag, d->high.path,
			         d->high.original, strerror(-r));
		high_forget(d); /* written now, or never */
		if (r < 0 || plan != MEMORY_HIGH_RESTORE)
			return false;
		if ((r = launch_write(d, j)) < 0)
			log_warn("%s: memory.high of %s not restored: %s", j->tag, d->high.path,
			         strerror(-r));
		return r == 0;
	}
	if (r == 0 && (!t || !t->present))
		r = -ENOENT;
	if (r == 0 && t->cg.version == CG_V1)
		r = -EOPNOTSUPP;
	if (r == 0 && j->high.percent > 0 && !j->limit_bytes)
		r = -ENODATA; /* an event without a sample: no limit to take a percent of */
	if (r == 0 && d->high.saved && !high_is_target(d, t)) {
		if (cg_dir_alive(d->high.dirfd) == -ENOENT)
			log_info("%s: the target %s is another cgroup than the one memhook set memory.high "
			         "of (%s, since removed): nothing to restore there; this one's is taken as "
			         "it is",
			         j->tag, t->cg.path, d->high.path);
		else
			log_info(
			        "%s: the target is another cgroup now; memory.high of %s is left at %" PRIu64,
			        j->tag, d->high.path, d->high.set_bytes);
		high_forget(d);
	}
	if (r == 0)
		r = memory_high_read(t->cg.dirfd, j->was, sizeof(j->was));
	if (r == 0) {
		char text[24];
		uint64_t bytes = memory_high_amount(&j->high, j->limit_bytes, page_bytes());
		snprintf(text, sizeof(text), "%" PRIu64, bytes);
		r = memory_high_prepare(t->cg.dirfd, text, t->cg.usage_fd, &j->rj);
		if (r == 0 && (j->first_write = memory_high_note_write(&d->high, j->was, bytes))) {
			d->high.dirfd = fcntl(t->cg.dirfd, F_DUPFD_CLOEXEC, 3);
			d->high.dev = t->cg.dev;
			d->high.ino = t->cg.ino;
			snprintf(d->high.path, sizeof(d->high.path), "%s", t->cg.path);
			if (d->high.dirfd < 0) {
				r = -errno;
				memory_high_forget(&d->high);
			}
		}
	}
	if (r == 0)
		r = launch_write(d, j);
	if (r < 0) {
		if (j->first_write)
			high_forget(d);
		count_failure(d, ACTION_MEMORY_HIGH, j->tag, "memory_high", r);
		return false;
	}
	log_debug("%s: memory_high started: %s to memory.high", j->tag, j->rj.text);
	return true;
}

/* ---- exec ---- */

static void on_exec_done(const struct spawn_result *r, void *userdata)
{
	struct dispatch_job *j = userdata;
	struct dispatch *d = j->d;
	bool ok = !r->timed_out && r->exit_code == 0;
	metrics_count_action(d->metrics, ACTION_EXEC, ok ? ACTION_RESULT_OK : ACTION_RESULT_FAILED);
	if (!ok) {
		d->failures++;
		if (r->timed_out)
			log_msg_about(LOG_LEVEL_WARN, j->tag,
			              "%s: exec killed at its timeout (failed actions: %llu)", j->tag,
			              (unsigned long long)d->failures);
		else if (r->exit_code < 0)
			log_msg_about(LOG_LEVEL_WARN, j->tag,
			              "%s: exec killed by signal %d (failed actions: %llu)", j->tag,
			              r->term_signal, (unsigned long long)d->failures);
		else
			log_msg_about(LOG_LEVEL_WARN, j->tag, "%s: exec exited %d (failed actions: %llu)",
			              j->tag, r->exit_code, (unsigned long long)d->failures);
	} else
		log_info("%s: exec exited 0", j->tag);
	job_finished(j);
}

/* Starts j's command. Returns whether it runs. */
static bool start_exec(struct dispatch *d, struct dispatch_job *j)
{
	int r = spawn_start(d->spawner, j->argv, j->env, j->timeout_usec, j->tag, on_exec_done, j);
	strv_free(j->env); /* the child has its copy */
	j->env = NULL;
	if (r < 0) {
		char what[300];
		snprintf(what, sizeof(what), "exec %s", j->argv[0]);
		count_failure(d, ACTION_EXEC, j->tag, what, r);
		return false;
	}
	return true;
}

/* ---- the stream ---- */

/* Starts j: it becomes the head (exec, reclaim), runs beside (detached exec) or is done at once
 * (signal, or a failure to start). */
static void start_job(struct dispatch *d, struct dispatch_job *j)
{
	j->started_usec = now_mono_usec();
	switch (j->kind) {
	case ACTION_SIGNAL:
		run_signal(d, j->tag, &j->signal, j->target);
		break;
	case ACTION_EXEC:
		if (!start_exec(d, j))
			break;
		if (j->detach)
			side_add(d, j);
		else
			hold(d, j, j->timeout_usec + EXEC_HOLD_GRACE_USEC);
		return;
	case ACTION_RECLAIM:
		if (!start_reclaim(d, j))
			break;
		hold(d, j, d->reclaim_hold_usec ? d->reclaim_hold_usec : RECLAIM_HOLD_DEFAULT_USEC);
		return;
	case ACTION_MEMORY_HIGH:
		if (!start_memory_high(d, j))
			break;
		hold(d, j, d->reclaim_hold_usec ? d->reclaim_hold_usec : RECLAIM_HOLD_DEFAULT_USEC);
		return;
	default:
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

static void enqueue(struct dispatch *d, struct dispatch_job *j)
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
		              old->tag, action_kind_name(old->kind), cap_of(d),
		              (unsigned long long)d->dropped, (unsigned long long)d->failures);
		job_free(old);
	}
	if (d->queue_tail)
		d->queue_tail->next = j;
	else
		d->queue = j;
	d->queue_tail = j;
	d->queued++;
}

/* ---- webhook ---- */

static void run_webhook(struct dispatch *d, const struct handler *h, struct dispatch_event *e)
{
	if (!e->body) {
		e->body = payload_build_json(e->ctx, &e->body_len);
		if (!e->body) {
			failed(d, h, "webhook", -ENOMEM);
			return;
		}
	}
	int r = webhook_post(d->webhooks, &h->webhook, e->ctx->seq, e->body, e->body_len, h->path);
	if (r < 0)
		failed(d, h, "webhook", r);
	else
		log_debug("%s: webhook to %s queued (seq %llu)", h->path, h->webhook.url_log,
		          (unsigned long long)e->ctx->seq);
}

/* ---- dry run ---- */

/* Logs what h would do for e. */
static void log_would(const struct handler *h, const struct dispatch_event *e)
{
	const struct target *t = e->target;
	const char *cg = t && t->present ? t->cg.path : "(no target now)";
	char buf[64];
	switch (h->action) {
	case ACTION_WEBHOOK:
		log_info("%s: would send webhook to %s (seq %llu, %s level %d)", h->path, h->webhook.url_log,
		         (unsigned long long)e->ctx->seq, event_kind_name(e->ctx->ev->kind),
		         e->ctx->ev->level);
		break;
	case ACTION_SIGNAL:
		if (h->signal.whole_cgroup)
			log_info("%s: would signal SIG%s to every process of %s", h->path,
			         sigabbrev_np(h->signal.signo) ?: "?", cg);
		else if (t && t->present && t->pid > 0)
			log_info("%s: would signal SIG%s to the main process %d", h->path,
			         sigabbrev_np(h->signal.signo) ?: "?", (int)t->pid);
		else
			log_info("%s: would signal SIG%s to the main process (lowest pid) of %s", h->path,
			         sigabbrev_np(h->signal.signo) ?: "?", cg);
		break;
	case ACTION_RECLAIM: {
		uint64_t usage = e->ctx->sample ? e->ctx->sample->usage_bytes : 0;
		units_format_size(reclaim_amount(&h->reclaim, usage), buf, sizeof(buf));
		log_info("%s: would reclaim %s from %s", h->path, buf, cg);
		break;
	}
	case ACTION_EXEC: {
		char cmd[1024];
		size_t n = 0;
		for (size_t i = 0; h->exec.argv[i] && n < sizeof(cmd); i++)
			n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "",
			                      h->exec.argv[i]);
		log_info("%s: would run %s (timeout %s%s)", h->path, cmd,
		         units_format_duration(h->exec.timeout_usec, buf, sizeof(buf)),
		         h->exec.detach ? ", detached" : "");
		break;
	}
	case ACTION_MEMORY_HIGH: {
		const struct sample *smp = e->ctx->sample;
		if (h->memory_high.percent > 0 && smp) {
			char lim[32];
			units_format_size(memory_high_amount(&h->memory_high, smp->limit_bytes, page_bytes()),
			                  buf, sizeof(buf));
			units_format_size(smp->limit_bytes, lim, sizeof(lim));
			log_info("%s: would set memory.high of %s to %s (%g%% of the limit %s)", h->path, cg,
			         buf, h->memory_high.percent, lim);
		} else if (h->memory_high.percent > 0)
			log_info("%s: would set memory.high of %s to %g%% of the limit", h->path, cg,
			         h->memory_high.percent);
		else
			log_info("%s: would set memory.high of %s to %s", h->path, cg,
			         units_format_size(memory_high_amount(&h->memory_high, 0, page_bytes()), buf,
			                           sizeof(buf)));
		break;
	}
	case ACTION_KINDS:
		break;
	}
}

/* ---- entry points ---- */

void dispatch_action(struct dispatch *d, const struct handler *h, struct dispatch_event *e)
{
	if (d->dry_run) {
		log_would(h, e);
		return;
	}
	if (h->action == ACTION_WEBHOOK) {
		run_webhook(d, h, e);
		return;
	}
	if (h->action >= ACTION_KINDS)
		return;
	struct dispatch_job *j = job_new(d, h, e);
	if (!j) {
		failed(d, h, action_kind_name(h->action), -ENOMEM);
		return;
	}
	if (h->action == ACTION_EXEC && h->exec.detach) {
		start_job(d, j); /* beside the stream, now */
		return;
	}
	enqueue(d, j);
	pump(d);
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
	struct dispatch_job *j = calloc(1, sizeof(*j));
	if (!j) {
		log_warn("memory_high: out of memory; memory.high is restored at stop");
		return;
	}
	*j = (struct dispatch_job){ .d = d, .kind = ACTION_MEMORY_HIGH, .restore = true, .notify_fd = -1 };
	j->rj.reclaim_fd = j->rj.usage_fd = -1;
	snprintf(j->tag, sizeof(j->tag), "normal");
	enqueue(d, j);
	pump(d);
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

/* Whether j is still in a worker's hands (it must not be freed). */
static bool in_kernel(const struct dispatch_job *j)
{
	return j->in_kernel;
}

static void *restore_worker(void *arg)
{
	reclaim_run(arg);
	return NULL;
}

/* At stop: memory.high back to the value memhook replaced, when it still holds memhook's. The
 * write runs on a thread memhook waits for at most MEMORY_HIGH_RESTORE_WAIT_USEC (raising
 * memory.high takes effect as the write begins; a reclaim below it may follow). */
static void restore_at_stop(struct dispatch *d)
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
		high_forget(d);
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
	high_forget(d);
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
	/* Reclaims in the kernel: a bounded wait for their reports. */
	uint64_t deadline = now_mono_usec() + RECLAIM_STOP_WAIT_USEC;
	while (d->reclaims_running && now_mono_usec() < deadline) {
		struct pollfd p = { .fd = d->done_pipe[0], .events = POLLIN };
		int ms = (int)((deadline - now_mono_usec() + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
		if (poll(&p, 1, ms) > 0)
			read_finished(d, job_release); /* stopping: no stream to resume */
	}
	restore_at_stop(d);
	/* Execs: their children were the spawner's (freed first, without callbacks). */
	if (d->head && !in_kernel(d->head))
		job_free(d->head);
	else if (d->head)
		side_add(d, d->head); /* left to its worker below */
	d->head = NULL;
	for (struct dispatch_job **pp = &d->side; *pp;) {
		struct dispatch_job *j = *pp;
		if (in_kernel(j)) {
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
		if (d->loop)
			loop_del_fd(d->loop, d->done_pipe[0]);
		return;
	}
	if (d->pipe_open) {
		if (d->loop)
			loop_del_fd(d->loop, d->done_pipe[0]);
		close(d->done_pipe[0]);
		close(d->done_pipe[1]);
		d->pipe_open = false;
	}
}
