#include "dispatch.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "signal_reclaim.h"
#include "log.h"
#include "spawn.h"
#include "units.h"
#include "webhook.h"

/* An exec in flight: the handler's path outlives a policy reload through this copy. */
struct exec_run {
	struct dispatch *d;
	char tag[64];
	struct exec_run *prev, *next;
};

static void failed(struct dispatch *d, const struct handler *h, const char *what, int r)
{
	d->failures++;
	/* -EBADFD: a secret_file (or another file memhook reads by path) that is no regular file */
	log_msg_about(LOG_LEVEL_WARN, h->path, "%s: %s failed: %s (failed actions: %llu)", h->path, what,
	              r == -EBADFD ? "not a regular file" : strerror(-r), (unsigned long long)d->failures);
}

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

static void run_signal(struct dispatch *d, const struct handler *h, const struct target *t)
{
	const char *name = sigabbrev_np(h->signal.signo) ?: "?";
	int r = t->present ? target_signal(t, &h->signal) : -ESRCH;
	if (r < 0) {
		char what[64];
		snprintf(what, sizeof(what), "signal SIG%s", name);
		failed(d, h, what, r);
		return;
	}
	log_info("%s: sent SIG%s to %d process%s", h->path, name, r, r == 1 ? "" : "es");
}

static void run_reclaim(struct dispatch *d, const struct handler *h, struct dispatch_event *e)
{
	struct target *t = e->target;
	if (!t->present) {
		failed(d, h, "reclaim", -ENOENT);
		return;
	}
	struct reclaim_result res = { 0 };
	uint64_t usage = e->ctx->sample ? e->ctx->sample->usage_bytes : 0;
	int r = action_reclaim(&t->cg, &h->reclaim, usage, &res);
	if (r < 0) {
		failed(d, h, "reclaim", r);
		return;
	}
	char req[32], before[32], after[32], fell[32];
	uint64_t diff = res.before_bytes > res.after_bytes ? res.before_bytes - res.after_bytes : 0;
	units_format_size(res.requested_bytes, req, sizeof(req));
	units_format_size(res.before_bytes, before, sizeof(before));
	units_format_size(res.after_bytes, after, sizeof(after));
	units_format_size(diff, fell, sizeof(fell));
	if (res.partial)
		log_warn("%s: reclaim of %s was partial (EAGAIN: the kernel could not reclaim that much); "
		         "usage %s -> %s, fell by %s",
		         h->path, req, before, after, fell);
	else
		log_info("%s: reclaimed %s; usage %s -> %s, fell by %s", h->path, req, before, after, fell);
}

static void exec_unlink(struct exec_run *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		x->d->running = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

static void on_exec_done(const struct spawn_result *r, void *userdata)
{
	struct exec_run *x = userdata;
	struct dispatch *d = x->d;
	if (r->timed_out || r->exit_code != 0) {
		d->failures++;
		if (r->timed_out)
			log_msg_about(LOG_LEVEL_WARN, x->tag,
			              "%s: exec killed at its timeout (failed actions: %llu)", x->tag,
			              (unsigned long long)d->failures);
		else if (r->exit_code < 0)
			log_msg_about(LOG_LEVEL_WARN, x->tag,
			              "%s: exec killed by signal %d (failed actions: %llu)", x->tag,
			              r->term_signal, (unsigned long long)d->failures);
		else
			log_msg_about(LOG_LEVEL_WARN, x->tag, "%s: exec exited %d (failed actions: %llu)",
			              x->tag, r->exit_code, (unsigned long long)d->failures);
	} else
		log_info("%s: exec exited 0", x->tag);
	exec_unlink(x);
	free(x);
}

static void run_exec(struct dispatch *d, const struct handler *h, const struct event_ctx *ctx)
{
	char **env = payload_build_env(ctx);
	struct exec_run *x = calloc(1, sizeof(*x));
	if (!env || !x) {
		strv_free(env);
		free(x);
		failed(d, h, "exec", -ENOMEM);
		return;
	}
	x->d = d;
	snprintf(x->tag, sizeof(x->tag), "%s", h->path);
	int r = spawn_start(d->spawner, h->exec.argv, env, h->exec.timeout_usec, h->path, on_exec_done, x);
	strv_free(env);
	if (r < 0) {
		free(x);
		char what[300];
		snprintf(what, sizeof(what), "exec %s", h->exec.argv[0]);
		failed(d, h, what, r);
		return;
	}
	x->next = d->running;
	if (d->running)
		d->running->prev = x;
	d->running = x;
}

void dispatch_action(struct dispatch *d, const struct handler *h, struct dispatch_event *e)
{
	switch (h->action) {
	case ACTION_WEBHOOK:
		run_webhook(d, h, e);
		break;
	case ACTION_SIGNAL:
		run_signal(d, h, e->target);
		break;
	case ACTION_RECLAIM:
		run_reclaim(d, h, e);
		break;
	case ACTION_EXEC:
		run_exec(d, h, e->ctx);
		break;
	case ACTION_KINDS: /* the count, not an action */
		break;
	}
}

void dispatch_event_done(struct dispatch_event *e)
{
	free(e->body);
	e->body = NULL;
}

void dispatch_free(struct dispatch *d)
{
	while (d->running) {
		struct exec_run *x = d->running;
		d->running = x->next;
		free(x);
	}
}
