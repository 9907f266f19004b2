/* Webhook delivery: a bounded queue of POSTs driven by libcurl's multi interface on the loop.
 * Never blocks the caller; retries with exponential backoff; optional HMAC-SHA256 signature. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

struct loop;
struct webhook_client;

struct webhook_stats {
	uint64_t queued;    /* accepted by webhook_post */
	uint64_t delivered; /* got a 2xx answer */
	uint64_t failed;    /* gave up after the last retry */
	uint64_t retried;   /* attempts after a first failure */
	uint64_t dropped;   /* pushed out of a full queue */
};

/* queue_cap: jobs waiting or in flight at most; when full the oldest waiting job is dropped,
 * counted and logged with the running dropped count. */
int webhook_client_new(struct loop *l, size_t queue_cap, struct webhook_client **ret);
/* Aborts whatever is still queued or in flight (logged with a count). NULL ok. */
void webhook_client_free(struct webhook_client *c);

/* Queues a POST of body (Content-Type: application/json) to cfg->url. Copies everything it needs
 * (cfg may be freed afterwards). Reads the HMAC secret now (file or environment variable) and
 * signs the body: "<signature_header>: sha256=<hex>". The secret is never logged.
 * A non-2xx answer or a transport error is retried cfg->retries times, waiting backoff, 2*backoff...
 * tag names the handler in logs. Returns 0 or -errno (-ENOENT/-EACCES: secret unreadable, the
 * POST is not queued). */
int webhook_post(struct webhook_client *c, const struct webhook_cfg *cfg, const char *body, size_t len,
                 const char *tag);

/* Jobs waiting, backing off or in flight. */
size_t webhook_pending(const struct webhook_client *c);
void webhook_get_stats(const struct webhook_client *c, struct webhook_stats *ret);

/* HMAC-SHA256 of msg under key, lower-case hex (64 chars + NUL). Returns 0 or -EIO. */
int hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len, char ret_hex[65]);
