/* Webhook delivery (webhook.h) on the delivery queue (delivery.h): one destination per URL, so an
 * endpoint receives its events in order, one at a time, at most WEBHOOK_MAX_IN_FLIGHT transfers
 * over all of them. What is the webhooks' own stays here: the body (with the loss count the queue
 * hands a job, spliced in as "dropped_before"), the headers and signatures of each attempt, what
 * an answer means (2xx delivered; 410 Gone disables the handler until the policy is reloaded;
 * 3xx is never followed; anything else is retried with full jitter or at the Retry-After of a 429
 * or 503, within the handler's max_age), and the words of the log.
 *
 * The body is built once per event (by the caller); "dropped_before": N is spliced before its
 * closing brace when an attempt starts, so the signature covers it. The transfers run on
 * http_multi.h, created on a client's first POST, so an idle memhook never maps libcurl. */
#include "delivery/webhook.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/curl_api.h"
#include "base/defaults.h"
#include "delivery/delivery.h"
#include "delivery/http_multi.h"
#include "base/log.h"
#include "base/loop.h"
#include "output/payload.h"
#include "base/units.h"
#include "base/url.h"
#include "base/util.h"
#include "delivery/webhook_sign.h"

#include "base/curl_calls.h" /* every libcurl call through the table curl_api_load() fills */

struct job {
	struct delivery_job dj;
	struct http_transfer xfer;
	struct webhook_client *c;
	CURL *easy;
	struct curl_slist *headers; /* this attempt's */
	char **extra_headers;       /* the policy's, "Name: value" */
	char *url;
	char *url_log; /* url without user name and password (url_redact) */
	char *body;
	size_t body_len;
	char *sent_body; /* this attempt's, when dropped_before was spliced in */
	char *tag;
	char *signature_header;
	char msg_id[80];
	unsigned signatures; /* bits of enum webhook_signature */
	struct webhook_keys keys;
	uint64_t seq, cfg_id;
	struct http_received reply; /* of the last attempt (its body is only bounded, never used) */
};

struct webhook_client {
	struct loop *loop;
	struct http_multi *http;
	struct delivery_queue *q;
	char instance[PAYLOAD_INSTANCE_SIZE]; /* webhook-id's first part */
	uint64_t gone[WEBHOOK_GONE_MAX];      /* cfg ids disabled by 410 Gone */
	size_t n_gone;
};

static struct job *job_of(struct delivery_job *dj)
{
	return container_of(dj, struct job, dj);
}

/* FNV-1a, 32 bits: short and stable, enough to tell a handful of URLs apart in a message id. */
static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* ---- the 410 list ---- */

static bool is_gone(const struct webhook_client *c, uint64_t cfg_id)
{
	for (size_t i = 0; i < c->n_gone; i++)
		if (c->gone[i] == cfg_id)
			return true;
	return false;
}

/* Remembers cfg_id as disabled; when full, forgets the smallest id (the oldest policy's). */
static void gone_add(struct webhook_client *c, uint64_t cfg_id)
{
	if (is_gone(c, cfg_id))
		return;
	if (c->n_gone < WEBHOOK_GONE_MAX) {
		c->gone[c->n_gone++] = cfg_id;
		return;
	}
	size_t min = 0;
	for (size_t i = 1; i < c->n_gone; i++)
		if (c->gone[i] < c->gone[min])
			min = i;
	if (c->gone[min] < cfg_id)
		c->gone[min] = cfg_id;
}

/* ---- one attempt ---- */

/* The body of this attempt: j->body, or a copy with ,"dropped_before":N before its closing brace
 * (kept in j->sent_body). Returns 0 or -ENOMEM. */
static int attempt_body(struct job *j, const char **ret_body, size_t *ret_len)
{
	uint64_t dropped_before = j->dj.dropped_before;
	free(j->sent_body);
	j->sent_body = NULL;
	*ret_body = j->body;
	*ret_len = j->body_len;
	size_t end = j->body_len;
	while (end > 0 && strchr(" \t\r\n", j->body[end - 1]))
		end--;
	if (dropped_before == 0 || end == 0 || j->body[end - 1] != '}')
		return 0; /* nothing to say, or not an object (only tests post those) */
	size_t before = end - 1;
	while (before > 0 && strchr(" \t\r\n", j->body[before - 1]))
		before--;
	bool empty = before > 0 && j->body[before - 1] == '{';
	char field[48];
	int n = snprintf(field, sizeof(field), "%s\"dropped_before\":%" PRIu64, empty ? "" : ",",
	                 dropped_before);
	char *b = malloc(j->body_len + (size_t)n + 1);
	if (!b)
		return -ENOMEM;
	memcpy(b, j->body, end - 1);
	memcpy(b + end - 1, field, (size_t)n);
	memcpy(b + end - 1 + n, j->body + end - 1, j->body_len - (end - 1));
	b[j->body_len + (size_t)n] = '\0';
	j->sent_body = b;
	*ret_body = b;
	*ret_len = j->body_len + (size_t)n;
	return 0;
}

/* This attempt's headers: the fixed ones, the policy's, then the signatures over body. */
static int attempt_headers(struct job *j, const char *body, size_t len)
{
	int r;
	curl_slist_free_all(j->headers);
	j->headers = NULL;
	if ((r = http_header_append(&j->headers, "Content-Type: application/json")) < 0 ||
	    (r = http_header_append(&j->headers, "Expect:")) < 0) /* no 100-continue round trip */
		return r;
	for (char **h = j->extra_headers; h && *h; h++)
		if ((r = http_header_append(&j->headers, *h)) < 0)
			return r;
	struct webhook_signer s = { j->signatures, j->msg_id, &j->keys, j->signature_header };
	return webhook_sign_headers(&s, now_real_usec() / USEC_PER_SEC, body, len, &j->headers);
}

/* delivery_ops.start: body, headers and signatures of now. Returns 0 or -errno (logged). */
static int op_start(struct delivery_job *dj, void *userdata)
{
	struct webhook_client *c = userdata;
	struct job *j = job_of(dj);
	const char *body;
	size_t len;
	int r;

	http_received_reset(&j->reply);
	if ((r = attempt_body(j, &body, &len)) >= 0 && (r = attempt_headers(j, body, len)) >= 0) {
		curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
		r = http_multi_add(c->http, j->easy, &j->xfer);
	}
	if (r < 0) {
		/* Out of memory, or a handle curl refuses: give the job up rather than spin on it. */
		log_msg_about(LOG_LEVEL_WARN, j->tag, "webhook %s: cannot start POST to %s: %s", j->tag,
		              j->url_log, strerror(-r));
		return r;
	}
	if (dj->dropped_before)
		log_debug("webhook %s: seq %" PRIu64 " to %s says dropped_before %" PRIu64, j->tag, j->seq,
		          j->url_log, dj->dropped_before);
	return 0;
}

static void op_abort(struct delivery_job *dj, void *userdata)
{
	struct webhook_client *c = userdata;
	http_multi_remove(c->http, job_of(dj)->easy);
}

static bool op_refused(const struct delivery_job *dj, void *userdata)
{
	const struct job *j = container_of(dj, const struct job, dj);
	const struct webhook_client *c = userdata;
	return is_gone(c, j->cfg_id);
}

/* Logs j expired: why its max_age (dropped is the running count before it). */
static void log_expired(const struct job *j, const char *why, uint64_t dropped)
{
	char age[32];
	units_format_duration(j->dj.max_age_usec, age, sizeof(age));
	log_msg_about(LOG_LEVEL_WARN, j->tag,
	              "webhook %s: event seq %" PRIu64 " to %s dropped: %s its max_age (%s) (%" PRIu64
	              " dropped so far)",
	              j->tag, j->seq, j->url_log, why, age, dropped + 1);
}

static void op_lost(const struct delivery_job *dj, enum delivery_loss kind, const char *why,
                    const struct delivery_stats *s, void *userdata _unused_)
{
	const struct job *j = container_of(dj, const struct job, dj);
	switch (kind) {
	case DELIVERY_LOST_FULL:
		log_warn("webhook: queue full, dropped %s (%llu dropped so far)", why,
		         (unsigned long long)s->dropped + 1);
		break;
	case DELIVERY_LOST_EXPIRED:
		log_expired(j, why, s->dropped);
		break;
	case DELIVERY_LOST_REFUSED:
		log_debug("webhook %s: seq %" PRIu64 " to %s dropped: the endpoint answered 410 Gone", j->tag,
		          j->seq, j->url_log);
		break;
	case DELIVERY_LOST_FAILED:
		break;
	}
}

/* Frees a job's handle, headers, strings and keys; it is not queued (any more). */
static void job_discard(struct job *j)
{
	if (!j)
		return;
	curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->headers);
	strv_free(j->extra_headers);
	free(j->url);
	free(j->url_log);
	free(j->body);
	free(j->sent_body);
	free(j->tag);
	free(j->signature_header);
	webhook_keys_clear(&j->keys);
	free(j);
}

static void op_free(struct delivery_job *dj, void *userdata _unused_)
{
	job_discard(job_of(dj));
}

static const struct delivery_ops webhook_ops = {
	.start = op_start,
	.abort = op_abort,
	.refused = op_refused,
	.lost = op_lost,
	.free = op_free,
};

/* ---- answers ---- */

/* http_multi: j's transfer has finished: delivered, retried later, or given up. */
static void on_transfer_done(struct http_transfer *t, CURLcode result)
{
	struct job *j = container_of(t, struct job, xfer);
	struct webhook_client *c = j->c;
	struct delivery_queue *q = c->q;
	unsigned attempt = j->dj.starts, attempts = j->dj.retries + 1;
	long status = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	char *location = NULL; /* owned by the handle: read before anything else changes it */
	if (status >= 300 && status < 400)
		curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &location);
	_cleanup_free_ char *location_log = location ? url_redact(location) : NULL;
	bool http = http_answered(result, &j->reply.answer);

	if (http && status >= 200 && status < 300) {
		log_debug("webhook %s: POST %s: HTTP %ld (seq %" PRIu64 ", attempt %u/%u)", j->tag,
		          j->url_log, status, j->seq, attempt, attempts);
		delivery_delivered(q, &j->dj);
		return;
	}
	if (http && status == 410) {
		log_msg_about(LOG_LEVEL_WARN, j->tag,
		              "webhook %s: POST %s: HTTP 410 Gone: this handler's webhook is disabled until "
		              "the policy is reloaded (SIGHUP); its events are dropped",
		              j->tag, j->url_log);
		gone_add(c, j->cfg_id);
		delivery_give_up(q, &j->dj, DELIVERY_LOST_FAILED);
		return;
	}
	if (http && status >= 300 && status < 400) {
		log_msg_about(LOG_LEVEL_WARN, j->tag,
		              "webhook %s: POST %s failed: HTTP %ld: redirect%s%s not followed (a signed "
		              "body goes to its configured URL only), giving up",
		              j->tag, j->url_log, status, location_log ? " to " : "",
		              location_log ? location_log : "");
		delivery_give_up(q, &j->dj, DELIVERY_LOST_FAILED);
		return;
	}

	char reason[CURL_ERROR_SIZE + 64];
	if (!http)
		snprintf(reason, sizeof(reason), "%s",
		         j->reply.errbuf[0] ? j->reply.errbuf : curl_easy_strerror(result));
	else
		snprintf(reason, sizeof(reason), "HTTP %ld", status);

	uint64_t delay = 0;
	bool asked = false;
	const char *retry_after = http && (status == 429 || status == 503) && j->reply.retry_after.has
	                                  ? j->reply.retry_after.value
	                                  : NULL;
	switch (delivery_plan_retry(q, &j->dj, retry_after, &delay, &asked)) {
	case DELIVERY_PLAN_LAST:
		log_msg_about(LOG_LEVEL_WARN, j->tag,
		              "webhook %s: POST %s failed: %s (attempt %u/%u), giving up", j->tag, j->url_log,
		              reason, attempt, attempts);
		delivery_give_up(q, &j->dj, DELIVERY_LOST_FAILED);
		return;
	case DELIVERY_PLAN_TOO_LATE:
	case DELIVERY_PLAN_TOO_LONG: {
		struct delivery_stats s;
		char why[CURL_ERROR_SIZE + 160];
		snprintf(why, sizeof(why), "POST failed (%s, attempt %u/%u) and a retry %s would come after",
		         reason, attempt, attempts, asked ? "at its Retry-After" : "after backoff");
		delivery_get_stats(q, &s);
		log_expired(j, why, s.dropped);
		delivery_give_up(q, &j->dj, DELIVERY_LOST_EXPIRED);
		return;
	}
	case DELIVERY_PLAN_RETRY:
		break;
	}
	log_msg_about(LOG_LEVEL_WARN, j->tag,
	              "webhook %s: POST %s failed: %s (attempt %u/%u), retrying in %" PRIu64 " ms%s", j->tag,
	              j->url_log, reason, attempt, attempts, delay / USEC_PER_MSEC,
	              asked ? " (Retry-After)" : "");
	delivery_retry(q, &j->dj, delay);
}

/* ---- client ---- */

int webhook_client_new(struct loop *l, size_t queue_cap, const char *instance, struct webhook_client **ret)
{
	if (!l || queue_cap == 0 || !instance || strlen(instance) >= PAYLOAD_INSTANCE_SIZE)
		return -EINVAL;
	struct webhook_client *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = l;
	strcpy(c->instance, instance);
	struct delivery_config cfg = {
		.queue_cap = queue_cap,
		.max_in_flight = WEBHOOK_MAX_IN_FLIGHT,
		.full_spares_backoff = false,
		.idle_dests_max = WEBHOOK_IDLE_ENDPOINTS_MAX,
	};
	int r = delivery_new(l, &cfg, &webhook_ops, c, &c->q);
	if (r < 0) {
		free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void webhook_client_set_random(struct webhook_client *c, uint64_t (*random_u64)(void *userdata),
                               void *userdata)
{
	delivery_set_random(c->q, random_u64, userdata);
}

/* Loads and initialises libcurl and this client's multi handle, once. Returns 0 or -errno. */
static int ensure_multi(struct webhook_client *c)
{
	char err[256] = "";
	if (c->http)
		return 0;
	int r = http_multi_new(c->loop, (long)WEBHOOK_MAX_IN_FLIGHT, &c->http, err, sizeof(err));
	if (r < 0 && err[0])
		log_error("webhook: %s", err);
	return r;
}

void webhook_client_free(struct webhook_client *c)
{
	if (!c)
		return;
	size_t pending = delivery_pending(c->q);
	if (pending > 0)
		log_warn("webhook: aborting %zu queued or in-flight POST(s) (%u in flight)", pending,
		         delivery_in_flight(c->q));
	delivery_free(c->q);
	http_multi_free(c->http);
	free(c);
}

size_t webhook_pending(const struct webhook_client *c)
{
	return c ? delivery_pending(c->q) : 0;
}

void webhook_get_stats(const struct webhook_client *c, struct webhook_stats *ret)
{
	struct delivery_stats s;
	delivery_get_stats(c->q, &s);
	*ret = (struct webhook_stats){
		.queued = s.queued,
		.delivered = s.delivered,
		.failed = s.failed,
		.retried = s.retried,
		.dropped = s.dropped,
		.dropped_full = s.dropped_full,
		.dropped_expired = s.dropped_expired,
		.dropped_gone = s.dropped_refused,
	};
}

/* A job for cfg, its handle set up for every attempt. Returns 0, -ENOMEM or the secrets' -errno. */
static int job_new(struct webhook_client *c, const struct webhook_cfg *cfg, uint64_t seq, const char *body,
                   size_t len, const char *tag, struct job **ret)
{
	struct job *j = calloc(1, sizeof(*j));
	int r = -ENOMEM;
	if (!j)
		return -ENOMEM;
	j->xfer.done = on_transfer_done;
	j->c = c;
	j->seq = seq;
	j->cfg_id = cfg->id;
	j->dj.retries = cfg->retries;
	j->dj.backoff_usec = cfg->backoff_usec;
	j->dj.jitter = true;
	j->dj.max_age_usec = cfg->max_age_usec ? cfg->max_age_usec : WEBHOOK_MAX_AGE_DEFAULT_USEC;
	j->signatures = cfg->signatures ? cfg->signatures : (1u << WEBHOOK_SIGNATURES) - 1;
	j->url = strdup(cfg->url);
	j->url_log = url_redact(cfg->url);
	j->tag = strdup(tag ? tag : "webhook");
	j->signature_header =
	        strdup(cfg->signature_header ? cfg->signature_header : WEBHOOK_SIGNATURE_HEADER_DEFAULT);
	j->body = malloc(len + 1);
	j->easy = curl_easy_init();
	if (!j->url || !j->url_log || !j->tag || !j->signature_header || !j->body || !j->easy)
		goto fail;
	j->dj.dest = j->url;
	if (cfg->headers && !(j->extra_headers = strv_dup(cfg->headers)))
		goto fail;
	if (len)
		memcpy(j->body, body, len);
	j->body[len] = '\0';
	j->body_len = len;
	if ((cfg->secret_file || cfg->secret_env) && (r = webhook_keys_load(cfg, j->tag, &j->keys)) < 0)
		goto fail;
	snprintf(j->msg_id, sizeof(j->msg_id), "msg_%s_%" PRIu64 "_%08" PRIx32, c->instance, seq,
	         fnv1a(j->url_log));

	CURL *e = j->easy;
	http_easy_setup(e, j->url, "http,https",
	                cfg->timeout_usec ? cfg->timeout_usec : WEBHOOK_TIMEOUT_DEFAULT_USEC, &j->reply);
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	if (!cfg->tls_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	*ret = j;
	return 0;

fail:
	job_discard(j);
	return r;
}

int webhook_post(struct webhook_client *c, const struct webhook_cfg *cfg, uint64_t seq, const char *body,
                 size_t len, const char *tag)
{
	struct job *j;

	if (!c || !cfg || !cfg->url || (!body && len))
		return -EINVAL;
	int r = ensure_multi(c);
	if (r < 0)
		return r;
	r = job_new(c, cfg, seq, body ? body : "", len, tag, &j);
	if (r < 0)
		return r;
	r = delivery_add(c->q, &j->dj);
	if (r < 0)
		job_discard(j);
	return r;
}
