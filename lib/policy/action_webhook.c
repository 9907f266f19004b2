/* The schema of the webhook action: URL, timeout, headers, retries, signing, max_age, TLS. */
#include <assert.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/action.h"
#include "policy/policy_parse.h"
#include "base/units.h"
#include "base/url.h"

/* RFC 9110 token: the characters allowed in a header name. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

/* Header names a policy may not set, compared ignoring case: libcurl writes the framing and the
 * connection (Content-Length, Transfer-Encoding, Host, Connection, Expect and the other hop-by-hop
 * headers of RFC 9110 7.6.1), so a second copy from the policy desynchronises a keep-alive
 * receiver ("Content-Length: 0" before a 479-byte body makes the body a second request); memhook
 * writes Content-Type (the body is always JSON) and the Standard Webhooks headers. The handler's
 * signature_header is checked beside them (webhook_parse). User-Agent and Authorization stay
 * allowed: libcurl sends a policy's User-Agent instead of memhook's, once. */
#define BY_CURL     "libcurl for each request"
#define BY_STANDARD "memhook (signature \"standard\")"
static const struct {
	const char *name;
	const char *set_by;
} reserved_headers[] = {
	{ "Content-Length", BY_CURL },
	{ "Transfer-Encoding", BY_CURL },
	{ "Host", BY_CURL },
	{ "Connection", BY_CURL },
	{ "Expect", BY_CURL },
	{ "Keep-Alive", BY_CURL },
	{ "Proxy-Connection", BY_CURL },
	{ "TE", BY_CURL },
	{ "Trailer", BY_CURL },
	{ "Upgrade", BY_CURL },
	{ "Content-Type", "memhook (application/json)" },
	{ "webhook-id", BY_STANDARD },
	{ "webhook-timestamp", BY_STANDARD },
	{ "webhook-signature", BY_STANDARD },
};

/* Fails on a reserved header name (ignoring case), naming it and who sets it. Returns 0 or -EINVAL. */
static int want_free_header(struct want_ctx *w, const char *name, const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(reserved_headers); i++)
		if (strcasecmp(name, reserved_headers[i].name) == 0)
			return want_fail(w, path, "%s is set by %s; a policy may not set it",
			                 reserved_headers[i].name, reserved_headers[i].set_by);
	return 0;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool is_env_name(const char *s)
{
	if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

/* {"Name": "value", ...} into "Name: value" strings; *ret is owned by the policy as soon as set. */
static int parse_headers(struct want_ctx *w, const cJSON *j, const char *path, char ***ret)
{
	int r;

	if ((r = want_object(w, j, path)) < 0)
		return r;
	int n = cJSON_GetArraySize(j);
	if (n > WEBHOOK_MAX_HEADERS) /* before the pairwise duplicate check below */
		return want_fail(w, path, "at most %d headers", WEBHOOK_MAX_HEADERS);
	char **h = calloc((size_t)n + 1, sizeof(char *));
	if (!h)
		return want_oom(w);
	*ret = h; /* owned by the policy from here on */
	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		WANT_PATH_KEY(hp, w, path, it->string);
		for (const cJSON *prev = j->child; prev != it; prev = prev->next)
			if (strcasecmp(prev->string, it->string) == 0) {
				r = want_fail(w, hp, "duplicate header");
				/* placed at the repeat when it is spelled as the first (the loop stops at
				 * the first repeat: no other member has its exact key before it) */
				w->fail_nth = strcmp(prev->string, it->string) == 0;
				return r;
			}
		if (!is_token(it->string))
			return want_fail(w, hp, "invalid header name");
		if ((r = want_max_chars(w, it->string, hp, WEBHOOK_HEADER_NAME_MAX_CHARS)) < 0)
			return r;
		if ((r = want_free_header(w, it->string, hp)) < 0)
			return r;
		const char *value = NULL;
		if ((r = want_string(w, it, hp, &value)) < 0)
			return r;
		if (has_ctl(value))
			return want_fail(w, hp, "must not contain control characters");
		if (asprintf(&h[i], "%s: %s", it->string, value) < 0) {
			h[i] = NULL;
			return want_oom(w);
		}
	}
	return 0;
}

/* An http(s) URL with a host and no spaces or control characters, strdup'd into *ret. */
static int want_url(struct want_ctx *w, const cJSON *it, const char *path, char **ret)
{
	int r;

	if ((r = want_dup_string(w, it, path, ret)) < 0)
		return r;
	const char *url = *ret;
	if ((r = want_max_chars(w, url, path, WEBHOOK_URL_MAX_CHARS)) < 0)
		return r;
	size_t scheme = strncasecmp(url, "http://", 7) == 0    ? 7
	                : strncasecmp(url, "https://", 8) == 0 ? 8
	                                                       : 0;
	if (scheme == 0)
		return want_fail(w, path, "must start with http:// or https://");
	if (url[scheme] == '\0' || url[scheme] == '/')
		return want_fail(w, path, "has no host");
	for (const char *s = url; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return want_fail(w, path, "must not contain spaces or control characters");
	return 0;
}

/* ["standard", "memhook"]: 1..2 distinct names into a bit set (1 << enum webhook_signature). */
static int parse_signatures(struct want_ctx *w, const cJSON *j, const char *path, unsigned *ret)
{
	unsigned bits = 0;
	size_t i = 0;

	if (!cJSON_IsArray(j))
		return want_fail(w, path, "must be an array of \"standard\" and \"memhook\"");
	if (!j->child)
		return want_fail(w, path, "must name at least one of \"standard\" and \"memhook\"");
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		char ip[256];
		snprintf(ip, sizeof(ip), "%s[%zu]", path, i);
		int v = want_name(w, it, ip, webhook_signature_from_name,
		                  "must be \"standard\" or \"memhook\"");
		if (v < 0)
			return v;
		if (bits & (1u << v))
			return want_fail(w, ip, "named twice");
		bits |= 1u << v;
	}
	*ret = bits;
	return 0;
}

static int webhook_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	static const char *const keys[] = { "url",       "timeout",     "headers",    "retries",
		                            "backoff",   "secret_file", "secret_env", "signature_header",
		                            "signature", "max_age",     "tls_verify", NULL };
	struct webhook_cfg *wh = &h->webhook;
	struct want_ctx *w = &c->w;
	const cJSON *it;
	int r;

	wh->timeout_usec = WEBHOOK_TIMEOUT_DEFAULT_USEC;
	wh->retries = WEBHOOK_RETRIES_DEFAULT;
	wh->backoff_usec = WEBHOOK_BACKOFF_DEFAULT_USEC;
	wh->tls_verify = true;
	wh->signatures = (1u << WEBHOOK_SIGNATURE_STANDARD) | (1u << WEBHOOK_SIGNATURE_MEMHOOK);
	wh->max_age_usec = WEBHOOK_MAX_AGE_DEFAULT_USEC;
	/* Unique within the policy: the handler's place in it. The monitor moves a reloaded policy's
	 * past the last one's (webhook_cfg.id). */
	assert(h >= c->p->handlers && h < c->p->handlers + c->p->n_handlers);
	wh->id = (uint64_t)(h - c->p->handlers) + 1;
	wh->signature_header = strdup(WEBHOOK_SIGNATURE_HEADER_DEFAULT);
	if (!wh->signature_header)
		return want_oom(w);
	if ((r = want_object(w, j, path)) < 0 || (r = want_keys(w, j, path, keys, "unknown key")) < 0)
		return r;

	WANT_REQUIRED_KEY(up, it, w, j, path, "url");
	if ((r = want_url(w, it, up, &wh->url)) < 0)
		return r;
	wh->url_log = url_redact(wh->url);
	if (!wh->url_log)
		return want_oom(w);
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "timeout"))) {
		WANT_PATH_KEY(tp, w, path, "timeout");
		if ((r = want_positive_duration(w, it, tp, &wh->timeout_usec)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "headers"))) {
		WANT_PATH_KEY(hp, w, path, "headers");
		if ((r = parse_headers(w, it, hp, &wh->headers)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "retries"))) {
		WANT_PATH_KEY(rp, w, path, "retries");
		long long n = 0;
		if ((r = want_integer(w, it, rp, &n)) < 0)
			return r;
		if (n < 0 || n > WEBHOOK_RETRIES_MAX)
			return want_fail(w, rp, "must be between 0 and %d", WEBHOOK_RETRIES_MAX);
		wh->retries = (unsigned)n;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "backoff"))) {
		WANT_PATH_KEY(bp, w, path, "backoff");
		if ((r = want_duration(w, it, bp, &wh->backoff_usec)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "secret_file"))) {
		WANT_PATH_KEY(sp, w, path, "secret_file");
		if ((r = want_dup_string(w, it, sp, &wh->secret_file)) < 0)
			return r;
		if (wh->secret_file[0] != '/')
			return want_fail(w, sp, "must be an absolute path");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "secret_env"))) {
		WANT_PATH_KEY(sp, w, path, "secret_env");
		if (wh->secret_file)
			return want_fail(w, sp, "cannot be combined with secret_file");
		if ((r = want_dup_string(w, it, sp, &wh->secret_env)) < 0)
			return r;
		if (!is_env_name(wh->secret_env))
			return want_fail(w, sp, "must be an environment variable name");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "signature_header"))) {
		WANT_PATH_KEY(sp, w, path, "signature_header");
		if ((r = want_dup_string(w, it, sp, &wh->signature_header)) < 0)
			return r;
		if (!is_token(wh->signature_header))
			return want_fail(w, sp, "invalid header name");
		if ((r = want_max_chars(w, wh->signature_header, sp, WEBHOOK_HEADER_NAME_MAX_CHARS)) < 0)
			return r;
		if ((r = want_free_header(w, wh->signature_header, sp)) < 0)
			return r;
	}
	/* After both keys: a header named as the signature header would be sent twice. */
	for (char **hl = wh->headers; hl && *hl; hl++) {
		size_t n = strcspn(*hl, ":");
		if (strlen(wh->signature_header) == n && strncasecmp(*hl, wh->signature_header, n) == 0) {
			_cleanup_free_ char *name = strndup(*hl, n);
			if (!name)
				return want_oom(w);
			WANT_PATH_KEY(hp, w, path, "headers");
			WANT_PATH_KEY(np, w, hp, name);
			return want_fail(
			        w, np,
			        "is the signature_header (%s): set by memhook; a policy may not set it",
			        wh->signature_header);
		}
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "signature"))) {
		WANT_PATH_KEY(sp, w, path, "signature");
		if ((r = parse_signatures(w, it, sp, &wh->signatures)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "max_age"))) {
		WANT_PATH_KEY(mp, w, path, "max_age");
		if ((r = want_positive_duration(w, it, mp, &wh->max_age_usec)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "tls_verify"))) {
		WANT_PATH_KEY(tp, w, path, "tls_verify");
		if ((r = want_bool(w, it, tp, &wh->tls_verify)) < 0)
			return r;
	}
	return 0;
}

/* "https://host/path (timeout 5s, retries 3, signed with secret_env X, TLS not verified)", the URL
 * without its password (url_redact); max_age and signature only when not the defaults. */
static void webhook_describe(const struct handler *h, FILE *out)
{
	char buf[64];

	fputs(h->webhook.url_log ? h->webhook.url_log : "(url not shown)", out);
	fprintf(out, " (timeout %s, retries %u",
	        units_format_duration(h->webhook.timeout_usec, buf, sizeof(buf)), h->webhook.retries);
	if (h->webhook.max_age_usec != WEBHOOK_MAX_AGE_DEFAULT_USEC)
		fprintf(out, ", max_age %s",
		        units_format_duration(h->webhook.max_age_usec, buf, sizeof(buf)));
	if (h->webhook.secret_file)
		fprintf(out, ", signed with secret_file %s", h->webhook.secret_file);
	else if (h->webhook.secret_env)
		fprintf(out, ", signed with secret_env %s", h->webhook.secret_env);
	if (h->webhook.signatures != (1u << WEBHOOK_SIGNATURES) - 1) { /* not the default: both */
		fputs(", signature", out);
		for (int i = 0; i < WEBHOOK_SIGNATURES; i++)
			if (h->webhook.signatures & (1u << i))
				fprintf(out, " %s", webhook_signature_name((enum webhook_signature)i));
	}
	if (!h->webhook.tls_verify)
		fputs(", TLS not verified", out);
	fputc(')', out);
}

const struct action_ops action_schema_webhook = {
	.name = "webhook",
	.parse = webhook_parse,
	.describe = webhook_describe,
};
