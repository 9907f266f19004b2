/* Webhook delivery: bounded per-endpoint queues of POSTs driven by libcurl's multi interface on the
 * loop. Never blocks the caller. One endpoint (one URL) receives its events in the order they were
 * posted, one at a time; retries with jittered exponential backoff or the receiver's Retry-After;
 * Standard Webhooks headers and memhook's own HMAC-SHA256 signature. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

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

/* HMAC-SHA256 of msg under key, lower-case hex (64 chars + NUL). Returns 0 or -EIO. */
int hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len, char ret_hex[65]);

/* Standard Webhooks v1: base64 of HMAC-SHA256 under key over "<id>.<timestamp>.<body>" (44 chars +
 * NUL). Returns 0, -ENOMEM or -EIO. */
int webhook_sign_standard(const void *key, size_t key_len, const char *id, uint64_t timestamp_sec,
                          const void *body, size_t len, char ret_b64[45]);

/* One secret's key: points into the text given to webhook_parse_secrets (plain) or into its
 * decode buffer (whsec_). */
struct webhook_key {
	const unsigned char *bytes;
	size_t len;
};

/* Splits text (len bytes) at spaces, tabs and newlines into at most WEBHOOK_SECRETS_MAX secrets.
 * "whsec_<base64>" is the base64-decoded key (standard alphabet, padding optional), written into
 * decoded (at least len bytes); anything else is its own bytes. Returns the number of keys (>= 1),
 * -EINVAL (no secret, a whsec_ that is not base64 or decodes to nothing) or -E2BIG (too many). */
int webhook_parse_secrets(const char *text, size_t len, unsigned char *decoded,
                          struct webhook_key ret_keys[WEBHOOK_SECRETS_MAX]);

/* The delay of retry number attempt (1 for the first retry) with full jitter: uniform in
 * [0, backoff * 2^(attempt-1)] (the bound capped at 5 min) picked by random (any 64-bit value). */
uint64_t webhook_retry_delay_usec(uint64_t backoff_usec, unsigned attempt, uint64_t random);

/* A Retry-After value (RFC 9110: delay-seconds or an HTTP-date, IMF-fixdate or the two obsolete
 * forms) as a delay from now_real_usec; a date in the past is 0. Returns 0 or -EINVAL. */
int webhook_parse_retry_after(const char *value, uint64_t now_real_usec, uint64_t *ret_delay_usec);
