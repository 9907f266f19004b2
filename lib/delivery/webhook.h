/* Webhook delivery: POSTs on the delivery queue (delivery.h), one destination per URL, driven by
 * libcurl's multi interface on the loop. Never blocks the caller. One endpoint (one URL) receives
 * its events in the order they were posted, one at a time; retries with jittered exponential
 * backoff or the receiver's Retry-After; Standard Webhooks headers and memhook's own HMAC-SHA256
 * signature (webhook_sign.h), with the secrets of webhook_secrets.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "delivery/webhook_secrets.h" /* webhook_parse_secrets */
#include "delivery/webhook_sign.h"    /* hmac_sha256_hex, webhook_sign_standard */

struct loop;
struct webhook_client;

/* queued == delivered + failed + dropped + webhook_pending() at every moment. */
struct webhook_stats {
	uint64_t queued;          /* accepted by webhook_post */
	uint64_t delivered;       /* got a 2xx answer */
	uint64_t failed;          /* gave up: last retry failed, 3xx (never followed) or 410 Gone */
	uint64_t retried;         /* attempts after a first failure */
	uint64_t dropped;         /* never sent or never retried: the three below */
	uint64_t dropped_full;    /* pushed out of a full queue */
	uint64_t dropped_expired; /* older than the handler's max_age */
	uint64_t dropped_gone;    /* for a handler whose endpoint answered 410 Gone */
};

/* queue_cap: jobs waiting or in flight at most, over every endpoint; when full the oldest job not
 * in flight is dropped, counted and logged with the running dropped count. instance: this
 * memhook's (struct payload_origin), the first part of each message's webhook-id. */
int webhook_client_new(struct loop *l, size_t queue_cap, const char *instance, struct webhook_client **ret);
/* Aborts whatever is still queued or in flight (logged with a count). NULL ok. */
void webhook_client_free(struct webhook_client *c);
/* The source of the backoff's jitter (tests); NULL restores getrandom(). */
void webhook_client_set_random(struct webhook_client *c, uint64_t (*random_u64)(void *userdata),
                               void *userdata);

/* Queues a POST of body (a JSON object, Content-Type: application/json) for event seq to cfg->url.
 * Copies everything it needs (cfg may be freed afterwards). Reads the secrets now (file or
 * environment variable; see webhook_parse_secrets); each attempt is signed when it starts:
 * webhook-id, webhook-timestamp and webhook-signature (Standard Webhooks v1) and/or
 * "<signature_header>: sha256=<hex>", per cfg->signatures. The secret is never logged.
 * When earlier events for the same URL were lost, the body gets "dropped_before": N before its
 * closing brace. A failure is retried cfg->retries times within cfg->max_age_usec.
 * tag names the handler in logs. Returns 0 or -errno (-ENOENT/-EACCES: secret unreadable,
 * -EINVAL: no secret in it or a whsec_ secret that is not base64; the POST is not queued). */
int webhook_post(struct webhook_client *c, const struct webhook_cfg *cfg, uint64_t seq, const char *body,
                 size_t len, const char *tag);

/* Jobs waiting, backing off or in flight. */
size_t webhook_pending(const struct webhook_client *c);
void webhook_get_stats(const struct webhook_client *c, struct webhook_stats *ret);
