/* The webhook action's run: posted at the event to its endpoint's queue (lib/delivery/webhook.h
 * orders them per endpoint), not a job of the ordered stream. The body is built on first use
 * and shared by every webhook handler of the event. */
#include "actions/action_run.h"

#include <stdio.h>

#include "base/log.h"
#include "delivery/webhook.h"

static void webhook_at_event(struct dispatch *d, const struct handler *h, struct dispatch_event *e)
{
	if (!e->body) {
		e->body = payload_build_json(e->ctx, &e->body_len);
		if (!e->body) {
			dispatch_count_failure(d, h->action, h->path, "webhook", -ENOMEM);
			return;
		}
	}
	int r = webhook_post(d->webhooks, &h->webhook, e->ctx->seq, e->body, e->body_len, h->path);
	if (r < 0)
		dispatch_count_failure(d, h->action, h->path, "webhook", r);
	else
		log_debug("%s: webhook to %s queued (seq %llu)", h->path, h->webhook.url_log,
		          (unsigned long long)e->ctx->seq);
}

/* "send webhook to https://example.com/hook (seq 3, entered level 2)" */
static const char *webhook_would(const struct handler *h, const struct dispatch_event *e, char *buf,
                                 size_t size)
{
	snprintf(buf, size, "send webhook to %s (seq %llu, %s level %d)", h->webhook.url_log,
	         (unsigned long long)e->ctx->seq, event_kind_name(e->ctx->ev->kind), e->ctx->ev->level);
	return buf;
}

const struct action_run_ops action_run_webhook = {
	.name = "webhook",
	.at_event = webhook_at_event,
	.would = webhook_would,
};
