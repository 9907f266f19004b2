/* The list and watch client (kube_watch.h). One request at a time:
 *
 *   list:  GET PATH?limit=N[&continue=C][&fieldSelector=S]          200: pages until no continue
 *   watch: GET PATH?watch=1&allowWatchBookmarks=true&resourceVersion=RV&timeoutSeconds=T[&fieldSelector=S]
 *          200 and a WatchEvent per line: ADDED/MODIFIED/DELETED (the object, its RV kept),
 *          BOOKMARK (the RV kept), ERROR (a Status: 410 relists, another code backs off)
 *
 * After a watch the server ended: the next watch at once. After 410 (status or ERROR event): a
 * relist, at once when the watch had lasted a second (or a list's continue token expired), else
 * after the backoff (a server that answers every watch with 410 is not hammered). After any other
 * failure: the backoff, then the watch again from the RV (transport, 401 with the token read
 * again, 403, 429, 5xx, an ERROR event, a stall), or a relist (garbage, a cut line, another 4xx,
 * any list failure). */
#include "delivery/kube_watch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/curl_api.h"
#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "delivery/http_multi.h"
#include "delivery/kube_api.h"

#include "base/curl_calls.h" /* every libcurl call through the table curl_api_load() fills */

enum phase { PHASE_IDLE, PHASE_LIST, PHASE_WATCH };
enum end_why { END_NONE, END_GONE, END_GARBAGE, END_CUT, END_ERROR_EVENT, END_NOMEM };

struct kube_watch {
	struct loop *loop;
	struct http_multi *http;
	struct kube_watch_config cfg; /* its strings are the copies below */
	char *api_url, *token_file, *ca_file, *path, *what, *selector;
	struct kube_watch_ops ops;
	void *ctx;
	struct kube_token token;
	enum phase phase;
	/* the request in flight */
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	struct http_transfer xfer;
	struct http_received reply; /* a non-200 answer */
	long status;
	enum end_why why;
	char why_text[160];
	uint64_t started_usec;
	bool progressed; /* this watch brought an event or a bookmark */
	/* a list page, or the line being framed */
	char *buf;
	size_t used, cap;
	char *continue_token;
	char rv[KUBE_RESOURCE_VERSION_MAX_CHARS + 1];
	unsigned failures; /* in a row */
	uint64_t timer_id;
	bool rbac_warned;
	struct kube_watch_stats stats;
};

#define RBAC_HINT                                                                                       \
	"a ClusterRole with verbs [get, list, watch] on resource \"pods\", bound to memhook's service " \
	"account"

/* ---- pure pieces ---- */

int kube_lines_feed(char **buf, size_t *used, size_t *cap, size_t max, const char *data, size_t len,
                    int (*fn)(void *userdata, char *line, size_t len), void *userdata)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		if (*used + take + 1 > max) {
			*used = 0;
			return -EMSGSIZE;
		}
		if (*used + take + 1 > *cap) {
			size_t ncap = *cap ? *cap : 4096;
			while (ncap < *used + take + 1)
				ncap *= 2;
			if (ncap > max)
				ncap = max;
			char *n = realloc(*buf, ncap);
			if (!n)
				return -ENOMEM;
			*buf = n;
			*cap = ncap;
		}
		memcpy(*buf + *used, data, take);
		*used += take;
		if (!nl)
			return 0;
		data += take + 1;
		len -= take + 1;
		size_t l = *used;
		*used = 0;
		if (l > 0 && (*buf)[l - 1] == '\r')
			l--;
		(*buf)[l] = '\0';
		if (l == 0)
			continue;
		int r = fn(userdata, *buf, l);
		if (r)
			return r;
	}
	return 0;
}

char *kube_query_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		    strchr("-._~", *c))
			*o++ = (char)*c;
		else {
			*o++ = '%';
			*o++ = hex[*c >> 4];
			*o++ = hex[*c & 15];
		}
	}
	*o = '\0';
	return out;
}

/* ---- requests ---- */

static void request_free(struct kube_watch *w)
{
	if (w->easy) {
		http_multi_remove(w->http, w->easy);
		curl_easy_cleanup(w->easy);
	}
	w->easy = NULL;
	curl_slist_free_all(w->headers);
	w->headers = NULL;
	free(w->url);
	w->url = NULL;
}

static void start_list(struct kube_watch *w);
static void start_watch(struct kube_watch *w);

static void on_timer(struct loop *l _unused_, void *userdata)
{
	struct kube_watch *w = userdata;
	w->timer_id = 0;
	if (w->rv[0])
		start_watch(w);
	else
		start_list(w);
}

/* A failure: the next request after the backoff (bound doubling per failure in a row, half of it
 * fixed and half random); relist forgets the resourceVersion. The count in a row ends with a watch
 * that brought something or lasted (a list alone does not end it: a server whose watches all fail
 * after a good list is still backed off from). */
static void retry_later(struct kube_watch *w, bool relist, const char *why)
{
	w->failures++;
	w->stats.failures++;
	if (relist)
		w->rv[0] = '\0';
	uint64_t bound = w->cfg.backoff_usec;
	for (unsigned i = 1; i < w->failures && bound < w->cfg.backoff_max_usec; i++)
		bound *= 2;
	if (bound > w->cfg.backoff_max_usec)
		bound = w->cfg.backoff_max_usec;
	uint64_t r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = now_mono_usec() * UINT64_C(0x9E3779B97F4A7C15);
	uint64_t delay = bound / 2 + r % (bound / 2 + 1);
	log_msg_about(LOG_LEVEL_WARN, w->what, "%s: %s; %s in %" PRIu64 " ms (failure %u in a row)", w->what,
	              why, relist ? "listing again" : "watching again", delay / USEC_PER_MSEC, w->failures);
	w->phase = PHASE_IDLE;
	w->timer_id = loop_add_timer(w->loop, now_mono_usec() + delay, on_timer, w);
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata);
static void on_done(struct http_transfer *t, CURLcode result);

/* Starts a GET of url (taken). Returns 0, or -errno after retry_later. */
static int request_start(struct kube_watch *w, char *url, uint64_t timeout_usec)
{
	request_free(w);
	w->url = url;
	w->status = 0;
	w->why = END_NONE;
	w->why_text[0] = '\0';
	free(w->buf); /* a list page's or a long line's room is not kept */
	w->buf = NULL;
	w->used = w->cap = 0;
	w->progressed = false;
	w->started_usec = now_mono_usec();
	char why[200];
	int r = url ? kube_token_refresh(&w->token) : -ENOMEM;
	if (r < 0) {
		snprintf(why, sizeof(why), "token %s: %s", w->token_file,
		         r == -ENODATA ? "empty" : strerror(-r));
		goto fail;
	}
	if (!(w->easy = curl_easy_init())) {
		r = -ENOMEM;
		goto oom;
	}
	if ((r = kube_api_setup(w->easy, url, &w->token, w->ca_file, NULL, timeout_usec, &w->reply,
	                        &w->headers)) < 0)
		goto oom;
	curl_easy_setopt(w->easy, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(KUBE_WATCH_CONNECT_TIMEOUT_USEC / USEC_PER_MSEC));
	curl_easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	w->xfer.done = on_done;
	if ((r = http_multi_add(w->http, w->easy, &w->xfer)) < 0) {
		snprintf(why, sizeof(why), "cannot start a request");
		goto fail;
	}
	log_debug("%s: GET %s", w->what, url);
	return 0;
oom:
	snprintf(why, sizeof(why), "out of memory");
fail:
	request_free(w);
	retry_later(w, w->phase == PHASE_LIST, why);
	return r;
}

static void start_list(struct kube_watch *w)
{
	char *url = NULL, *cont = w->continue_token ? kube_query_escape(w->continue_token) : NULL;
	w->phase = PHASE_LIST;
	if (!w->continue_token || cont)
		if (asprintf(&url, "%s%s?limit=%u%s%s%s%s", w->api_url, w->path, w->cfg.list_page_limit,
		             cont ? "&continue=" : "", cont ? cont : "", w->selector ? "&fieldSelector=" : "",
		             w->selector ? w->selector : "") < 0)
			url = NULL;
	free(cont);
	request_start(w, url, KUBE_WATCH_LIST_TIMEOUT_USEC);
}

static void start_watch(struct kube_watch *w)
{
	char *url = NULL, *rv = kube_query_escape(w->rv);
	w->phase = PHASE_WATCH;
	w->stats.watches++;
	unsigned timeout_sec = (unsigned)((w->cfg.watch_timeout_usec + USEC_PER_SEC - 1) / USEC_PER_SEC);
	if (rv &&
	    asprintf(&url, "%s%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u%s%s",
	             w->api_url, w->path, rv, timeout_sec, w->selector ? "&fieldSelector=" : "",
	             w->selector ? w->selector : "") < 0)
		url = NULL;
	free(rv);
	request_start(w, url, (uint64_t)timeout_sec * USEC_PER_SEC + w->cfg.stall_margin_usec);
}

/* ---- what comes back ---- */

static int set_rv(struct kube_watch *w, const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");
	if (!cJSON_IsString(rv) || !rv->valuestring[0] ||
	    strlen(rv->valuestring) > KUBE_RESOURCE_VERSION_MAX_CHARS)
		return -EINVAL;
	strcpy(w->rv, rv->valuestring);
	return 0;
}

static int end(struct kube_watch *w, enum end_why why, const char *text)
{
	w->why = why;
	snprintf(w->why_text, sizeof(w->why_text), "%s", text);
	return 1;
}

/* One WatchEvent line. Returns 0, or 1 to end the watch (w->why says why). */
static int on_line(void *userdata, char *line, size_t len)
{
	struct kube_watch *w = userdata;
	_cleanup_cjson_ cJSON *ev = cJSON_ParseWithLength(line, len);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	if (!cJSON_IsObject(ev) || !cJSON_IsString(type) || !cJSON_IsObject(obj))
		return end(w, END_GARBAGE, "a line that is not a WatchEvent");
	const char *t = type->valuestring;
	if (strcmp(t, "ERROR") == 0) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "message");
		char text[160];
		snprintf(text, sizeof(text), "ERROR event %d: %.100s",
		         cJSON_IsNumber(code) ? code->valueint : 0,
		         cJSON_IsString(msg) ? msg->valuestring : "");
		for (char *c = text; *c; c++)
			if ((unsigned char)*c < 0x20)
				*c = ' ';
		return end(w, cJSON_IsNumber(code) && code->valueint == 410 ? END_GONE : END_ERROR_EVENT,
		           text);
	}
	enum kube_watch_type kt;
	if (strcmp(t, "ADDED") == 0)
		kt = KUBE_WATCH_ADDED;
	else if (strcmp(t, "MODIFIED") == 0)
		kt = KUBE_WATCH_MODIFIED;
	else if (strcmp(t, "DELETED") == 0)
		kt = KUBE_WATCH_DELETED;
	else if (strcmp(t, "BOOKMARK") == 0) {
		if (set_rv(w, obj) < 0)
			return end(w, END_GARBAGE, "a BOOKMARK without a resourceVersion");
		w->stats.bookmarks++;
		w->progressed = true;
		w->failures = 0;
		return 0;
	} else
		return end(w, END_GARBAGE, "a WatchEvent of an unknown type");
	if (set_rv(w, obj) < 0)
		return end(w, END_GARBAGE, "an object without a resourceVersion");
	w->stats.events++;
	w->progressed = true;
	w->failures = 0;
	w->ops.object(w->ctx, kt, obj);
	return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct kube_watch *w = userdata;
	size_t len = size * nmemb;
	if (!w->status)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &w->status);
	if (w->status != 200)
		return http_answer_body(ptr, size, nmemb, &w->reply.answer);
	if (w->phase == PHASE_LIST) {
		if (w->used + len + 1 > w->cfg.list_max_bytes)
			return (size_t)!end(w, END_CUT, "a list page past its bound");
		if (w->used + len + 1 > w->cap) {
			size_t ncap = w->cap ? w->cap : 65536;
			while (ncap < w->used + len + 1)
				ncap *= 2;
			char *n = realloc(w->buf, ncap);
			if (!n)
				return (size_t)!end(w, END_NOMEM, "out of memory");
			w->buf = n;
			w->cap = ncap;
		}
		memcpy(w->buf + w->used, ptr, len);
		w->used += len;
		return len;
	}
	int r = kube_lines_feed(&w->buf, &w->used, &w->cap, w->cfg.line_max_bytes, ptr, len, on_line, w);
	if (r == -EMSGSIZE)
		end(w, END_CUT, "a line past its bound");
	else if (r < 0)
		end(w, END_NOMEM, "out of memory");
	return r == 0 ? len : 0;
}

/* The message of a Status answer, cleaned for the log. */
static void status_message(const struct kube_watch *w, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!w->reply.answer.kept_len)
		return;
	_cleanup_cjson_ cJSON *o = cJSON_ParseWithLength(w->reply.answer.kept, w->reply.answer.kept_len);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
	snprintf(buf, size, ": %.120s", cJSON_IsString(m) ? m->valuestring : w->reply.answer.kept);
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

/* A list page came: its objects handed on; the next page, or the watch. */
static void list_page(struct kube_watch *w)
{
	w->buf[w->used] = '\0';
	_cleanup_cjson_ cJSON *list = cJSON_ParseWithLength(w->buf, w->used);
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items");
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(list, "metadata");
	const cJSON *cont = cJSON_GetObjectItemCaseSensitive(md, "continue");
	w->used = 0;
	char rv_was[sizeof(w->rv)];
	strcpy(rv_was, w->rv);
	if (!cJSON_IsArray(items) || set_rv(w, list) < 0 || (cont && !cJSON_IsString(cont))) {
		free(w->continue_token);
		w->continue_token = NULL;
		retry_later(w, true, "a list answer that is not a list");
		return;
	}
	if (!w->continue_token)
		w->ops.list_begin(w->ctx);
	const cJSON *it;
	cJSON_ArrayForEach(it, items)
	{
		if (cJSON_IsObject(it))
			w->ops.object(w->ctx, KUBE_WATCH_ADDED, it);
	}
	free(w->continue_token);
	w->continue_token = NULL;
	if (cont && cont->valuestring[0]) {
		if (!(w->continue_token = strdup(cont->valuestring))) {
			retry_later(w, true, "out of memory");
			return;
		}
		strcpy(w->rv, rv_was);
		start_list(w);
		return;
	}
	w->stats.lists++;
	log_debug("%s: listed at resourceVersion %s", w->what, w->rv);
	w->ops.list_end(w->ctx);
	start_watch(w);
}

static void on_done(struct http_transfer *t, CURLcode result)
{
	struct kube_watch *w = container_of(t, struct kube_watch, xfer);
	long status = w->status;
	if (!status)
		curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
	bool list = w->phase == PHASE_LIST, had_continue = w->continue_token != NULL;
	bool http = result == CURLE_OK ||
	            (result == CURLE_WRITE_ERROR && (w->reply.answer.cut || w->why != END_NONE));
	uint64_t lasted = now_mono_usec() - w->started_usec;
	char why[300], msg[140];
	status_message(w, msg, sizeof(msg));
	char curl_err[CURL_ERROR_SIZE + 1];
	snprintf(curl_err, sizeof(curl_err), "%s",
	         w->reply.errbuf[0] ? w->reply.errbuf : curl_easy_strerror(result));
	request_free(w);

	if (w->why == END_GONE || (http && status == 410)) {
		w->stats.gone++;
		free(w->continue_token);
		w->continue_token = NULL;
		if (lasted >= KUBE_WATCH_MIN_USEFUL_USEC || (list && had_continue)) {
			log_info("%s: resourceVersion %s is gone (410): listing again", w->what, w->rv);
			w->rv[0] = '\0';
			start_list(w);
		} else
			retry_later(w, true, w->why == END_GONE ? w->why_text : "HTTP 410 Gone");
		return;
	}
	if (w->why == END_CUT || w->why == END_GARBAGE || w->why == END_NOMEM || w->why == END_ERROR_EVENT) {
		if (w->why == END_CUT)
			w->stats.cut++;
		free(w->continue_token);
		w->continue_token = NULL;
		retry_later(w, list || w->why != END_ERROR_EVENT, w->why_text);
		return;
	}
	if (http && status == 200 && list) {
		list_page(w);
		return;
	}
	if (http && status == 200) { /* the server ended the watch */
		if (w->progressed || lasted >= KUBE_WATCH_MIN_USEFUL_USEC) {
			w->failures = 0;
			log_debug("%s: the watch ended after %" PRIu64 " ms; again from %s", w->what,
			          lasted / USEC_PER_MSEC, w->rv);
			start_watch(w);
		} else
			retry_later(w, false, "the watch ended at once with nothing in it");
		return;
	}
	free(w->continue_token);
	w->continue_token = NULL;
	if (http) {
		snprintf(why, sizeof(why), "HTTP %ld%s", status, msg);
		if (status == 401)
			kube_token_forget(&w->token);
		if (status == 403 && !w->rbac_warned) {
			log_warn("%s: HTTP 403 Forbidden%s; memhook needs " RBAC_HINT, w->what, msg);
			w->rbac_warned = true;
		}
		bool again = status == 401 || status == 403 || status == 429 || status >= 500;
		retry_later(w, list || !again, why);
		return;
	}
	if (result == CURLE_OPERATION_TIMEDOUT && !list)
		snprintf(why, sizeof(why),
		         "the server stalled (nothing for %" PRIu64 " s past the watch's timeout)",
		         w->cfg.stall_margin_usec / USEC_PER_SEC);
	else
		snprintf(why, sizeof(why), "%s", curl_err);
	retry_later(w, list, why);
}

/* ---- the client ---- */

int kube_watch_new(struct loop *l, const struct kube_watch_config *cfg, const struct kube_watch_ops *ops,
                   void *ctx, struct kube_watch **ret)
{
	if (!cfg->api_url || !cfg->token_file || !cfg->ca_file || !cfg->path || !ops->object ||
	    !ops->list_begin || !ops->list_end)
		return -EINVAL;
	struct kube_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->loop = l;
	w->ops = *ops;
	w->ctx = ctx;
	w->cfg = *cfg;
#define OR(field, def) w->cfg.field = cfg->field ? cfg->field : (def)
	OR(watch_timeout_usec, KUBE_WATCH_TIMEOUT_USEC);
	OR(stall_margin_usec, KUBE_WATCH_STALL_MARGIN_USEC);
	OR(backoff_usec, KUBE_WATCH_BACKOFF_USEC);
	OR(backoff_max_usec, KUBE_WATCH_BACKOFF_MAX_USEC);
	OR(line_max_bytes, KUBE_WATCH_LINE_MAX_BYTES);
	OR(list_max_bytes, KUBE_WATCH_LIST_MAX_BYTES);
	OR(list_page_limit, KUBE_WATCH_LIST_PAGE_LIMIT);
#undef OR
	w->api_url = strdup(cfg->api_url);
	w->token_file = strdup(cfg->token_file);
	w->ca_file = strdup(cfg->ca_file);
	w->path = strdup(cfg->path);
	w->what = strdup(cfg->what ? cfg->what : "kubernetes watch");
	w->selector = cfg->field_selector ? kube_query_escape(cfg->field_selector) : NULL;
	w->token.file = w->token_file;
	if (!w->api_url || !w->token_file || !w->ca_file || !w->path || !w->what ||
	    (cfg->field_selector && !w->selector)) {
		kube_watch_free(w);
		return -ENOMEM;
	}
	size_t n = strlen(w->api_url);
	while (n > 0 && w->api_url[n - 1] == '/')
		w->api_url[--n] = '\0';
	char err[256] = "";
	int r = http_multi_new(l, 1L, &w->http, err, sizeof(err));
	if (r < 0) {
		log_debug("%s: %s", w->what, err[0] ? err : strerror(-r));
		kube_watch_free(w);
		return r;
	}
	*ret = w;
	start_list(w);
	return 0;
}

void kube_watch_free(struct kube_watch *w)
{
	if (!w)
		return;
	if (w->http)
		request_free(w);
	if (w->timer_id)
		loop_cancel_timer(w->loop, w->timer_id);
	http_multi_free(w->http);
	kube_token_wipe(&w->token);
	free(w->buf);
	free(w->continue_token);
	free(w->api_url);
	free(w->token_file);
	free(w->ca_file);
	free(w->path);
	free(w->what);
	free(w->selector);
	free(w);
}

void kube_watch_get_stats(const struct kube_watch *w, struct kube_watch_stats *ret)
{
	*ret = w->stats;
}

const char *kube_watch_resource_version(const struct kube_watch *w)
{
	return w->rv;
}
