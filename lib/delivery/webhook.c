/* Webhook delivery on the loop: libcurl's multi interface with its sockets and its timer handed to
 * the loop, one queue of jobs per endpoint (per URL), scheduled with loop timers. Nothing here
 * blocks or sleeps.
 *
 * Order: an endpoint's jobs are kept in the order they were posted (seq order), and only the first
 * of them is ever started, so one endpoint has at most one transfer in flight and a job backing
 * off before a retry holds the later ones for that endpoint. Endpoints are independent; at most
 * WEBHOOK_MAX_IN_FLIGHT transfers run at once over all of them, started oldest job first.
 *
 * Queue policy: queue_cap counts every job not finished (waiting, backing off or in flight), over
 * every endpoint. A webhook_post on a full queue drops the oldest job that is not in flight
 * (waiting to start or backing off before a retry), which may be the new one itself. Either way
 * the drop is counted in stats.dropped and logged with the running count.
 *
 * Losses: an event given up for an endpoint (dropped from the full queue, past its max_age, failed
 * after its last retry, or for a handler disabled by 410 Gone) adds its count, plus whatever it
 * carried, to the endpoint's next event, which carries "dropped_before": N in its body. The body
 * is built once per event (by the caller); the field is spliced before its closing brace when an
 * attempt starts, so the signature covers it.
 *
 * The transfers run on http_multi.h (libcurl's multi interface on the loop), created on a client's
 * first POST, so an idle memhook never maps libcurl. */
#include "delivery/webhook.h"

#include <assert.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "base/curl_api.h"
#include "delivery/http_multi.h"
#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "output/payload.h"
#include "base/units.h"
#include "base/url.h"
#include "base/util.h"

#include "base/curl_calls.h" /* every libcurl call through the table curl_api_load() fills */

#ifndef MEMHOOK_VERSION
#define MEMHOOK_VERSION "unknown"
#endif

/* A secret file holds a few tokens, not a document. */
#define SECRET_MAX_BYTES 4096
/* Used when a cfg carries no timeout (the policy default). */
#define DEFAULT_TIMEOUT_USEC (UINT64_C(5) * USEC_PER_SEC)
/* Backoff never grows beyond this (10 retries of 500 ms would otherwise reach ~4 min). */
#define MAX_BACKOFF_USEC (UINT64_C(300) * USEC_PER_SEC)
/* Handlers disabled by 410 Gone remembered at once: every handler of a policy (the --webhook
 * option adds 6), so only a policy already replaced can lose an entry. */
#define GONE_MAX (POLICY_MAX_HANDLERS + 8)
/* Endpoints kept without a job (only to carry a loss count to their next event) at most. */
#define IDLE_ENDPOINTS_MAX (POLICY_MAX_HANDLERS + 8)

enum job_state { JOB_WAITING, JOB_BACKOFF, JOB_IN_FLIGHT };
enum job_loss { LOSS_FULL, LOSS_EXPIRED, LOSS_GONE, LOSS_FAILED };

struct endpoint {
	struct endpoint *prev, *next; /* created first, first */
	char *url;
	uint32_t hash;           /* of the redacted URL: the last part of webhook-id */
	struct job *head, *tail; /* its jobs in the order posted */
	size_t n_jobs;
	uint64_t carry; /* lost events after its last job, for the next one posted */
};

struct job {
	struct http_transfer xfer; /* first: curl's private pointer is the job */
	struct webhook_client *c;
	struct endpoint *ep;
	struct job *prev, *next;       /* every job, oldest first */
	struct job *ep_prev, *ep_next; /* this endpoint's, oldest first */
	enum job_state state;
	CURL *easy;
	struct curl_slist *headers; /* this attempt's */
	char **extra_headers;       /* the policy's, "Name: value" */
	char *url_log;              /* url without user name and password (url_redact) */
	char *body;
	size_t body_len;
	char *sent_body; /* this attempt's, when dropped_before was spliced in */
	char *tag;
	char *signature_header;
	char msg_id[80];
	unsigned signatures; /* bits of enum webhook_signature */
	unsigned char *key_data;
	size_t key_data_len;
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];
	int n_keys;
	uint64_t seq, cfg_id;
	uint64_t dropped_before; /* this endpoint's losses since its last delivery, before this job */
	unsigned attempt;        /* attempts started so far */
	unsigned retries;
	uint64_t backoff_usec;
	uint64_t max_age_usec;
	uint64_t deadline_usec;              /* CLOCK_MONOTONIC: posted + max_age */
	uint64_t timer_id;                   /* JOB_BACKOFF */
	struct http_retry_after retry_after; /* of the last answer */
	char errbuf[CURL_ERROR_SIZE];
};

struct webhook_client {
	struct loop *loop;
	struct http_multi *http;
	size_t queue_cap;
	size_t n_jobs;
	unsigned in_flight;
	struct job *head, *tail;
	struct endpoint *endpoints;
	size_t n_endpoints;
	uint64_t gone[GONE_MAX]; /* cfg ids disabled by 410 Gone */
	size_t n_gone;
	uint64_t expiry_timer_id, expiry_at_usec;
	uint64_t (*random_u64)(void *userdata);
	char instance[PAYLOAD_INSTANCE_SIZE]; /* webhook-id's first part */
	void *random_userdata;
	struct webhook_stats stats;
};

#define STR_(x)      #x
#define STRINGIFY(x) STR_(x)

/* ---- signatures ---- */

int hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len, char ret_hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	static const char hex[] = "0123456789abcdef";

	if (key_len > INT32_MAX)
		return -EIO;
	/* HMAC() wants a non-NULL key even when empty. */
	if (!HMAC(EVP_sha256(), key_len ? key : "", (int)key_len, msg_len ? msg : (const void *)"", msg_len,
	          md, &md_len) ||
	    md_len != 32)
		return -EIO;
	for (unsigned i = 0; i < md_len; i++) {
		ret_hex[2 * i] = hex[md[i] >> 4];
		ret_hex[2 * i + 1] = hex[md[i] & 0xf];
	}
	ret_hex[64] = '\0';
	return 0;
}

int webhook_sign_standard(const void *key, size_t key_len, const char *id, uint64_t timestamp_sec,
                          const void *body, size_t len, char ret_b64[45])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char prefix[128];

	if (key_len > INT32_MAX)
		return -EIO;
	int n = snprintf(prefix, sizeof(prefix), "%s.%" PRIu64 ".", id, timestamp_sec);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return -EIO;
	/* One buffer for HMAC(): the one-shot call is the API OpenSSL 3 has not deprecated. */
	_cleanup_free_ unsigned char *msg = malloc((size_t)n + len + 1);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, prefix, (size_t)n);
	if (len)
		memcpy(msg + n, body, len);
	if (!HMAC(EVP_sha256(), key_len ? key : "", (int)key_len, msg, (size_t)n + len, md, &md_len) ||
	    md_len != 32)
		return -EIO;
	EVP_EncodeBlock((unsigned char *)ret_b64, md, 32); /* 44 characters and a NUL */
	return 0;
}

/* The value of one base64 character, or -1. */
static int b64_value(char ch)
{
	if ('A' <= ch && ch <= 'Z')
		return ch - 'A';
	if ('a' <= ch && ch <= 'z')
		return ch - 'a' + 26;
	if ('0' <= ch && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decodes standard base64 (padding optional) into out (room for len bytes). Returns the number of
 * bytes, or -EINVAL. */
static ssize_t b64_decode(const char *s, size_t len, unsigned char *out)
{
	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -EINVAL;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(s[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (ssize_t)n;
}

int webhook_parse_secrets(const char *text, size_t len, unsigned char *decoded,
                          struct webhook_key ret_keys[WEBHOOK_SECRETS_MAX])
{
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];
	int n = 0;
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			i++;
		if (n == WEBHOOK_SECRETS_MAX)
			return -E2BIG;
		const char *tok = text + start;
		size_t tok_len = i - start;
		if (tok_len > 6 && memcmp(tok, "whsec_", 6) == 0) {
			ssize_t k = b64_decode(tok + 6, tok_len - 6, decoded + out);
			if (k <= 0)
				return -EINVAL;
			keys[n++] = (struct webhook_key){ decoded + out, (size_t)k };
			out += (size_t)k;
		} else
			keys[n++] = (struct webhook_key){ (const unsigned char *)tok, tok_len };
	}
	if (n == 0)
		return -EINVAL;
	memcpy(ret_keys, keys, (size_t)n * sizeof(keys[0]));
	return n;
}

/* ---- retry timing ---- */

uint64_t webhook_retry_delay_usec(uint64_t backoff_usec, unsigned attempt, uint64_t random)
{
	uint64_t cap = backoff_usec < MAX_BACKOFF_USEC ? backoff_usec : MAX_BACKOFF_USEC;
	for (unsigned i = 1; i < attempt && cap < MAX_BACKOFF_USEC; i++)
		cap *= 2;
	if (cap > MAX_BACKOFF_USEC)
		cap = MAX_BACKOFF_USEC;
	/* (cap + 1) * random / 2^64: uniform over [0, cap], exact at both ends */
	return (uint64_t)(((unsigned __int128)(cap + 1) * random) >> 64);
}

int webhook_parse_retry_after(const char *value, uint64_t now_real_usec, uint64_t *ret_delay_usec)
{
	static const char *const formats[] = {
		"%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		"%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		"%a %b %e %H:%M:%S %Y",      /* asctime: Sun Nov  6 08:49:37 1994 */
	};
	if (!value)
		return -EINVAL;
	while (*value == ' ' || *value == '\t')
		value++;
	size_t len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
		len--;
	if (len == 0 || len > RETRY_AFTER_MAX_CHARS)
		return -EINVAL;
	char buf[RETRY_AFTER_MAX_CHARS + 1];
	memcpy(buf, value, len);
	buf[len] = '\0';

	if ('0' <= buf[0] && buf[0] <= '9') {
		uint64_t sec = 0;
		for (const char *p = buf; *p; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			unsigned d = (unsigned)(*p - '0');
			if (sec > (UINT64_MAX / USEC_PER_SEC - d) / 10)
				return -EINVAL; /* overflow */
			sec = sec * 10 + d;
		}
		*ret_delay_usec = sec * USEC_PER_SEC;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		struct tm tm = { 0 };
		const char *end = strptime(buf, formats[i], &tm);
		if (!end || *end)
			continue;
		time_t t = timegm(&tm);
		if (t == (time_t)-1)
			return -EINVAL;
		uint64_t now_sec = now_real_usec / USEC_PER_SEC;
		*ret_delay_usec = t > 0 && (uint64_t)t > now_sec ? ((uint64_t)t - now_sec) * USEC_PER_SEC : 0;
		return 0;
	}
	return -EINVAL;
}

static uint64_t default_random(void *userdata _unused_)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	return now_mono_usec() * UINT64_C(0x9e3779b97f4a7c15); /* the pool is not ready: still spread */
}

/* ---- endpoints ---- */

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

static void endpoint_free(struct webhook_client *c, struct endpoint *ep)
{
	if (ep->prev)
		ep->prev->next = ep->next;
	else
		c->endpoints = ep->next;
	if (ep->next)
		ep->next->prev = ep->prev;
	c->n_endpoints--;
	free(ep->url);
	free(ep);
}

/* The endpoint of url, created when new (an idle one may be forgotten to bound them). NULL when
 * out of memory. */
static struct endpoint *endpoint_get(struct webhook_client *c, const char *url, const char *url_log)
{
	struct endpoint *last = NULL;
	for (struct endpoint *ep = c->endpoints; ep; last = ep, ep = ep->next)
		if (strcmp(ep->url, url) == 0)
			return ep;
	if (c->n_endpoints >= c->queue_cap + IDLE_ENDPOINTS_MAX) {
		for (struct endpoint *ep = c->endpoints; ep; ep = ep->next)
			if (ep->n_jobs == 0) {
				log_debug("webhook: forgetting %" PRIu64 " lost event(s) of an idle endpoint",
				          ep->carry);
				if (last == ep)
					last = ep->prev;
				endpoint_free(c, ep);
				break;
			}
	}
	struct endpoint *ep = calloc(1, sizeof(*ep));
	if (!ep || !(ep->url = strdup(url))) {
		free(ep);
		return NULL;
	}
	ep->hash = fnv1a(url_log);
	ep->prev = last;
	if (last)
		last->next = ep;
	else
		c->endpoints = ep;
	c->n_endpoints++;
	return ep;
}

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
	if (c->n_gone < GONE_MAX) {
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

/* ---- the queue ---- */

static void job_unlink(struct webhook_client *c, struct job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else
		c->head = j->next;
	if (j->next)
		j->next->prev = j->prev;
	else
		c->tail = j->prev;
	j->prev = j->next = NULL;
	c->n_jobs--;

	struct endpoint *ep = j->ep;
	if (j->ep_prev)
		j->ep_prev->ep_next = j->ep_next;
	else
		ep->head = j->ep_next;
	if (j->ep_next)
		j->ep_next->ep_prev = j->ep_prev;
	else
		ep->tail = j->ep_prev;
	j->ep_prev = j->ep_next = NULL;
	ep->n_jobs--;
}

/* Appends j to the queue and to its endpoint's; j takes what the endpoint carried. */
static void job_append(struct webhook_client *c, struct job *j)
{
	j->prev = c->tail;
	j->next = NULL;
	if (c->tail)
		c->tail->next = j;
	else
		c->head = j;
	c->tail = j;
	c->n_jobs++;

	struct endpoint *ep = j->ep;
	j->ep_prev = ep->tail;
	j->ep_next = NULL;
	if (ep->tail)
		ep->tail->ep_next = j;
	else
		ep->head = j;
	ep->tail = j;
	ep->n_jobs++;
	j->dropped_before = ep->carry;
	ep->carry = 0;
}

/* Frees a job's handle, headers, strings and keys; it must not be queued (any more). */
static void job_discard(struct job *j)
{
	if (!j)
		return;
	curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->headers);
	strv_free(j->extra_headers);
	free(j->url_log);
	free(j->body);
	free(j->sent_body);
	free(j->tag);
	free(j->signature_header);
	if (j->key_data) {
		OPENSSL_cleanse(j->key_data, j->key_data_len);
		free(j->key_data);
	}
	free(j);
}

/* Takes the job out of the queue, out of curl and off the timers, and frees it (and its endpoint
 * when that has nothing left to do or to say). */
static void job_free(struct webhook_client *c, struct job *j)
{
	struct endpoint *ep = j->ep;
	job_unlink(c, j);
	if (j->state == JOB_IN_FLIGHT) {
		http_multi_remove(c->http, j->easy);
		c->in_flight--;
	}
	if (j->timer_id)
		loop_cancel_timer(c->loop, j->timer_id);
	job_discard(j);
	if (ep->n_jobs == 0 && ep->carry == 0)
		endpoint_free(c, ep);
}

/* Gives j up: counts it as kind, hands its loss count (itself and what it carried) to its
 * endpoint's next event, and frees it. */
static void job_lose(struct webhook_client *c, struct job *j, enum job_loss kind)
{
	uint64_t lost = j->dropped_before + 1;
	if (j->ep_next)
		j->ep_next->dropped_before += lost;
	else
		j->ep->carry += lost;
	switch (kind) {
	case LOSS_FAILED:
		c->stats.failed++;
		break;
	case LOSS_FULL:
		c->stats.dropped++;
		c->stats.dropped_full++;
		break;
	case LOSS_EXPIRED:
		c->stats.dropped++;
		c->stats.dropped_expired++;
		break;
	case LOSS_GONE:
		c->stats.dropped++;
		c->stats.dropped_gone++;
		break;
	}
	job_free(c, j);
}

/* Logs and drops j: older than its max_age. */
static void job_expire(struct webhook_client *c, struct job *j, const char *why)
{
	char age[32];
	units_format_duration(j->max_age_usec, age, sizeof(age));
	log_msg_about(LOG_LEVEL_WARN, j->tag,
	              "webhook %s: event seq %" PRIu64 " to %s dropped: %s its max_age (%s) (%" PRIu64
	              " dropped so far)",
	              j->tag, j->seq, j->url_log, why, age, c->stats.dropped + 1);
	job_lose(c, j, LOSS_EXPIRED);
}

static int append_header(struct curl_slist **headers, const char *h)
{
	struct curl_slist *t = curl_slist_append(*headers, h);
	if (!t)
		return -ENOMEM;
	*headers = t;
	return 0;
}

/* The body of this attempt: j->body, or a copy with ,"dropped_before":N before its closing brace
 * (kept in j->sent_body). Returns 0 or -ENOMEM. */
static int attempt_body(struct job *j, const char **ret_body, size_t *ret_len)
{
	free(j->sent_body);
	j->sent_body = NULL;
	*ret_body = j->body;
	*ret_len = j->body_len;
	size_t end = j->body_len;
	while (end > 0 && strchr(" \t\r\n", j->body[end - 1]))
		end--;
	if (j->dropped_before == 0 || end == 0 || j->body[end - 1] != '}')
		return 0; /* nothing to say, or not an object (only tests post those) */
	size_t before = end - 1;
	while (before > 0 && strchr(" \t\r\n", j->body[before - 1]))
		before--;
	bool empty = before > 0 && j->body[before - 1] == '{';
	char field[48];
	int n = snprintf(field, sizeof(field), "%s\"dropped_before\":%" PRIu64, empty ? "" : ",",
	                 j->dropped_before);
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
	char line[1024];

	curl_slist_free_all(j->headers);
	j->headers = NULL;
	if ((r = append_header(&j->headers, "Content-Type: application/json")) < 0 ||
	    (r = append_header(&j->headers, "Expect:")) < 0) /* no 100-continue round trip */
		return r;
	for (char **h = j->extra_headers; h && *h; h++)
		if ((r = append_header(&j->headers, *h)) < 0)
			return r;
	if (j->signatures & (1u << WEBHOOK_SIGNATURE_STANDARD)) {
		uint64_t ts = now_real_usec() / USEC_PER_SEC;
		snprintf(line, sizeof(line), "webhook-id: %s", j->msg_id);
		if ((r = append_header(&j->headers, line)) < 0)
			return r;
		snprintf(line, sizeof(line), "webhook-timestamp: %" PRIu64, ts);
		if ((r = append_header(&j->headers, line)) < 0)
			return r;
		if (j->n_keys > 0) {
			size_t n = (size_t)snprintf(line, sizeof(line), "webhook-signature:");
			for (int k = 0; k < j->n_keys; k++) {
				char b64[45];
				if ((r = webhook_sign_standard(j->keys[k].bytes, j->keys[k].len, j->msg_id,
				                               ts, body, len, b64)) < 0)
					return r;
				n += (size_t)snprintf(line + n, sizeof(line) - n, " v1,%s", b64);
			}
			if ((r = append_header(&j->headers, line)) < 0)
				return r;
		}
	}
	if ((j->signatures & (1u << WEBHOOK_SIGNATURE_MEMHOOK)) && j->n_keys > 0) {
		char hex[65];
		if ((r = hmac_sha256_hex(j->keys[0].bytes, j->keys[0].len, body, len, hex)) < 0)
			return r;
		_cleanup_free_ char *h = NULL;
		if (asprintf(&h, "%s: sha256=%s", j->signature_header, hex) < 0)
			return -ENOMEM;
		if ((r = append_header(&j->headers, h)) < 0)
			return r;
	}
	return 0;
}

/* Starts an attempt of j: body, headers and signatures of now. Returns 0 or -errno. */
static int attempt_start(struct webhook_client *c, struct job *j)
{
	const char *body;
	size_t len;
	int r;

	j->attempt++;
	j->errbuf[0] = '\0';
	j->retry_after = (struct http_retry_after){ .has = false };
	if ((r = attempt_body(j, &body, &len)) < 0 || (r = attempt_headers(j, body, len)) < 0)
		return r;
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(j->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(j->easy, CURLOPT_HTTPHEADER, j->headers);
	if ((r = http_multi_add(c->http, j->easy, &j->xfer)) < 0)
		return r;
	j->state = JOB_IN_FLIGHT;
	c->in_flight++;
	if (j->dropped_before)
		log_debug("webhook %s: seq %" PRIu64 " to %s says dropped_before %" PRIu64, j->tag, j->seq,
		          j->url_log, j->dropped_before);
	return 0;
}

static void on_expiry(struct loop *l, void *userdata);

/* Keeps one timer at the earliest deadline of the jobs not in flight. */
static void arm_expiry(struct webhook_client *c)
{
	uint64_t first = UINT64_MAX;
	for (struct job *j = c->head; j; j = j->next)
		if (j->state != JOB_IN_FLIGHT && j->deadline_usec < first)
			first = j->deadline_usec;
	if (c->expiry_timer_id && c->expiry_at_usec == first)
		return;
	if (c->expiry_timer_id)
		loop_cancel_timer(c->loop, c->expiry_timer_id);
	c->expiry_timer_id = 0;
	if (first == UINT64_MAX)
		return;
	c->expiry_at_usec = first;
	c->expiry_timer_id = loop_add_timer(c->loop, first, on_expiry, c);
}

/* Starts, oldest first, each endpoint's first job when it is waiting, while there is room in
 * flight; drops on the way those past their max_age or of a handler disabled by 410. */
static void start_waiting(struct webhook_client *c)
{
	uint64_t now = now_mono_usec();
	struct job *next;
	for (struct job *j = c->head; j; j = next) {
		next = j->next;
		if (j->state != JOB_WAITING || j != j->ep->head)
			continue;
		if (is_gone(c, j->cfg_id)) {
			log_debug("webhook %s: seq %" PRIu64 " to %s dropped: the endpoint answered 410 Gone",
			          j->tag, j->seq, j->url_log);
			job_lose(c, j, LOSS_GONE);
			continue;
		}
		if (now >= j->deadline_usec) {
			job_expire(c, j, "waited past");
			continue;
		}
		if (c->in_flight >= WEBHOOK_MAX_IN_FLIGHT)
			continue; /* later endpoints' gone or expired jobs still go */
		int r = attempt_start(c, j);
		if (r < 0) {
			/* Out of memory, or a handle curl refuses: give the job up rather than spin on it. */
			log_msg_about(LOG_LEVEL_WARN, j->tag, "webhook %s: cannot start POST to %s: %s",
			              j->tag, j->url_log, strerror(-r));
			job_lose(c, j, LOSS_FAILED);
		}
	}
	arm_expiry(c);
}

static void on_expiry(struct loop *l _unused_, void *userdata)
{
	struct webhook_client *c = userdata;
	uint64_t now = now_mono_usec();
	struct job *next;
	c->expiry_timer_id = 0;
	for (struct job *j = c->head; j; j = next) {
		next = j->next;
		if (j->state != JOB_IN_FLIGHT && now >= j->deadline_usec)
			job_expire(c, j, j->state == JOB_BACKOFF ? "backing off past" : "waited past");
	}
	start_waiting(c);
}

static void on_backoff_done(struct loop *l _unused_, void *userdata)
{
	struct job *j = userdata;
	j->timer_id = 0;
	j->state = JOB_WAITING;
	start_waiting(j->c);
}

/* A finished transfer: delivered, retried later, or given up. */
static void job_finished(struct webhook_client *c, struct job *j, CURLcode result)
{
	long status = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	char *location = NULL; /* owned by the handle: read before anything else changes it */
	if (status >= 300 && status < 400)
		curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &location);
	_cleanup_free_ char *location_log = location ? url_redact(location) : NULL;
	c->in_flight--;
	j->state = JOB_WAITING;
	bool http = result == CURLE_OK;

	if (http && status >= 200 && status < 300) {
		log_debug("webhook %s: POST %s: HTTP %ld (seq %" PRIu64 ", attempt %u/%u)", j->tag,
		          j->url_log, status, j->seq, j->attempt, j->retries + 1);
		c->stats.delivered++;
		job_free(c, j);
		return;
	}
	if (http && status == 410) {
		log_msg_about(LOG_LEVEL_WARN, j->tag,
		              "webhook %s: POST %s: HTTP 410 Gone: this handler's webhook is disabled until "
		              "the policy is reloaded (SIGHUP); its events are dropped",
		              j->tag, j->url_log);
		gone_add(c, j->cfg_id);
		job_lose(c, j, LOSS_FAILED);
		return;
	}
	if (http && status >= 300 && status < 400) {
		log_msg_about(LOG_LEVEL_WARN, j->tag,
		              "webhook %s: POST %s failed: HTTP %ld: redirect%s%s not followed (a signed "
		              "body goes to its configured URL only), giving up",
		              j->tag, j->url_log, status, location_log ? " to " : "",
		              location_log ? location_log : "");
		job_lose(c, j, LOSS_FAILED);
		return;
	}

	char reason[CURL_ERROR_SIZE + 64];
	if (!http)
		snprintf(reason, sizeof(reason), "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(result));
	else
		snprintf(reason, sizeof(reason), "HTTP %ld", status);

	if (j->attempt > j->retries) {
		log_msg_about(LOG_LEVEL_WARN, j->tag,
		              "webhook %s: POST %s failed: %s (attempt %u/%u), giving up", j->tag, j->url_log,
		              reason, j->attempt, j->retries + 1);
		job_lose(c, j, LOSS_FAILED);
		return;
	}

	uint64_t delay;
	bool asked = false;
	if (http && (status == 429 || status == 503) && j->retry_after.has &&
	    webhook_parse_retry_after(j->retry_after.value, now_real_usec(), &delay) == 0)
		asked = true;
	else
		delay = webhook_retry_delay_usec(j->backoff_usec, j->attempt,
		                                 c->random_u64(c->random_userdata));
	uint64_t now = now_mono_usec();
	if (delay >= j->deadline_usec - (now < j->deadline_usec ? now : j->deadline_usec)) {
		char why[CURL_ERROR_SIZE + 160];
		snprintf(why, sizeof(why), "POST failed (%s, attempt %u/%u) and a retry %s would come after",
		         reason, j->attempt, j->retries + 1, asked ? "at its Retry-After" : "after backoff");
		job_expire(c, j, why);
		return;
	}
	log_msg_about(LOG_LEVEL_WARN, j->tag,
	              "webhook %s: POST %s failed: %s (attempt %u/%u), retrying in %" PRIu64 " ms%s", j->tag,
	              j->url_log, reason, j->attempt, j->retries + 1, delay / USEC_PER_MSEC,
	              asked ? " (Retry-After)" : "");
	c->stats.retried++;
	j->state = JOB_BACKOFF;
	j->timer_id = loop_add_timer(c->loop, now + delay, on_backoff_done, j);
	if (!j->timer_id)
		j->state = JOB_WAITING; /* no memory for a timer: retry right away */
}

/* http_multi: j's transfer has finished (its handle is out of the multi handle). */
static void on_transfer_done(struct http_transfer *t, CURLcode result)
{
	struct job *j = (struct job *)(void *)t;
	struct webhook_client *c = j->c;
	job_finished(c, j, result);
	start_waiting(c);
}

static size_t discard_body(char *ptr _unused_, size_t size, size_t nmemb, void *userdata _unused_)
{
	return size * nmemb;
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
	c->queue_cap = queue_cap;
	c->random_u64 = default_random;
	strcpy(c->instance, instance);
	*ret = c;
	return 0;
}

void webhook_client_set_random(struct webhook_client *c, uint64_t (*random_u64)(void *userdata),
                               void *userdata)
{
	c->random_u64 = random_u64 ? random_u64 : default_random;
	c->random_userdata = random_u64 ? userdata : NULL;
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
	if (c->n_jobs > 0)
		log_warn("webhook: aborting %zu queued or in-flight POST(s) (%u in flight)", c->n_jobs,
		         c->in_flight);
	while (c->head)
		job_free(c, c->head);
	while (c->endpoints)
		endpoint_free(c, c->endpoints);
	if (c->expiry_timer_id)
		loop_cancel_timer(c->loop, c->expiry_timer_id);
	http_multi_free(c->http);
	free(c);
}

size_t webhook_pending(const struct webhook_client *c)
{
	return c ? c->n_jobs : 0;
}

void webhook_get_stats(const struct webhook_client *c, struct webhook_stats *ret)
{
	*ret = c->stats;
}

/* Reads the secret text of cfg into buf (NUL-terminated). The file is opened O_NONBLOCK and must
 * be regular: a FIFO there never holds the loop. Returns its length, -EBADFD (not a regular file),
 * -EFBIG (more than size - 1 bytes) or -errno. */
static ssize_t read_secret(const struct webhook_cfg *cfg, char *buf, size_t size)
{
	if (cfg->secret_file) {
		_cleanup_close_ int fd = open(cfg->secret_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return -EBADFD;
		ssize_t n = pread_all(fd, buf, size);
		if (n < 0)
			return n;
		return n;
	}
	const char *v = getenv(cfg->secret_env);
	if (!v)
		return -ENOENT;
	size_t n = strlen(v);
	if (n >= size)
		return -EFBIG;
	memcpy(buf, v, n + 1);
	return (ssize_t)n;
}

/* Reads cfg's secrets into j's own copy of their keys. Returns 0 or -errno (logged at warn when
 * the text is no valid secret: the caller only sees -EINVAL). */
static int job_load_keys(struct job *j, const struct webhook_cfg *cfg)
{
	char text[SECRET_MAX_BYTES + 1];
	unsigned char decoded[SECRET_MAX_BYTES];
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];

	ssize_t n = read_secret(cfg, text, sizeof(text));
	int r = n < 0 ? (int)n : webhook_parse_secrets(text, (size_t)n, decoded, keys);
	if (r < 0) {
		if (r == -EINVAL || r == -E2BIG)
			log_msg_about(LOG_LEVEL_WARN, j->tag, "webhook %s: %s %s: %s", j->tag,
			              cfg->secret_file ? "secret_file" : "secret_env",
			              cfg->secret_file ? cfg->secret_file : cfg->secret_env,
			              r == -E2BIG ? "more than " STRINGIFY(WEBHOOK_SECRETS_MAX) " secrets"
			                          : "no secret, or a whsec_ secret that is not base64");
		goto out;
	}
	size_t total = 0;
	for (int k = 0; k < r; k++)
		total += keys[k].len;
	j->key_data = malloc(total ? total : 1);
	if (!j->key_data) {
		r = -ENOMEM;
		goto out;
	}
	j->key_data_len = total;
	size_t off = 0;
	for (int k = 0; k < r; k++) {
		memcpy(j->key_data + off, keys[k].bytes, keys[k].len);
		j->keys[k] = (struct webhook_key){ j->key_data + off, keys[k].len };
		off += keys[k].len;
	}
	j->n_keys = r;
	r = 0;
out:
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(decoded, sizeof(decoded));
	return r;
}

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
	j->retries = cfg->retries;
	j->backoff_usec = cfg->backoff_usec;
	j->max_age_usec = cfg->max_age_usec ? cfg->max_age_usec : WEBHOOK_MAX_AGE_DEFAULT_USEC;
	j->deadline_usec = now_mono_usec() + j->max_age_usec;
	j->signatures = cfg->signatures ? cfg->signatures : (1u << WEBHOOK_SIGNATURES) - 1;
	j->url_log = url_redact(cfg->url);
	j->tag = strdup(tag ? tag : "webhook");
	j->signature_header =
	        strdup(cfg->signature_header ? cfg->signature_header : WEBHOOK_SIGNATURE_HEADER_DEFAULT);
	j->body = malloc(len + 1);
	j->easy = curl_easy_init();
	if (!j->url_log || !j->tag || !j->signature_header || !j->body || !j->easy)
		goto fail;
	if (cfg->headers && !(j->extra_headers = strv_dup(cfg->headers)))
		goto fail;
	if (len)
		memcpy(j->body, body, len);
	j->body[len] = '\0';
	j->body_len = len;
	if ((cfg->secret_file || cfg->secret_env) && (r = job_load_keys(j, cfg)) < 0)
		goto fail;
	r = -ENOMEM;
	if (!(j->ep = endpoint_get(c, cfg->url, j->url_log)))
		goto fail;
	snprintf(j->msg_id, sizeof(j->msg_id), "msg_%s_%" PRIu64 "_%08" PRIx32, c->instance, seq,
	         j->ep->hash);

	uint64_t timeout_ms = (cfg->timeout_usec ? cfg->timeout_usec : DEFAULT_TIMEOUT_USEC) / USEC_PER_MSEC;
	if (timeout_ms == 0)
		timeout_ms = 1;
	if (timeout_ms > INT32_MAX)
		timeout_ms = INT32_MAX;

	CURL *e = j->easy;
	curl_easy_setopt(e, CURLOPT_URL, j->ep->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* never: a signed body goes nowhere else */
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "memhook/" MEMHOOK_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_retry_after_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &j->retry_after);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
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

/* Keeps the queue within its cap by dropping the oldest job not in flight, which may be the one
 * just appended. */
static void make_room(struct webhook_client *c, const struct job *newest)
{
	if (c->n_jobs <= c->queue_cap)
		return;
	struct job *victim = NULL;
	for (struct job *j = c->head; j && !victim; j = j->next)
		if (j->state != JOB_IN_FLIGHT)
			victim = j;
	assert(victim); /* the newest job is not in flight yet */
	log_warn("webhook: queue full, dropped %s (%llu dropped so far)",
	         victim == newest ? "the new event" : "the oldest waiting event",
	         (unsigned long long)c->stats.dropped + 1);
	job_lose(c, victim, LOSS_FULL);
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
	c->stats.queued++;
	j->state = JOB_WAITING;
	job_append(c, j);
	make_room(c, j);
	start_waiting(c);
	return 0;
}
