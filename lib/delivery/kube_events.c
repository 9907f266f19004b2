/* The Kubernetes Events client (kube_events.h). Jobs wait in one FIFO and go one at a time, so a
 * repeat is sent after the Event it repeats was created and its series is known:
 *
 *   no series of (reason, level, previous level) seen within KUBE_EVENTS_SERIES_WINDOW_USEC
 *     -> POST .../namespaces/NS/events            (201: a series of count 1 starts)
 *   else
 *     -> PATCH .../namespaces/NS/events/NAME      {"series":{"count":N+1,"lastObservedTime":...}}
 *        as a JSON merge patch                    (200: the series counts N+1)
 *
 * Answers: 409 to a POST (the name is taken) is retried once at once under a new name; 404 to a
 * PATCH (the Event expired: the API server keeps Events an hour by default) forgets the series
 * and creates a new Event; 401 re-reads the token and retries; 429, 5xx and transport errors are
 * retried after the Retry-After or 1 s, 2 s, 4 s; 403 is logged once with the Role it needs; any
 * other answer, a TLS verification failure or the last retry gives the event up (counted failed).
 *
 * The queue is the delivery queue (delivery.h) with one destination, one request in flight, no
 * jitter and no max age; a full queue drops the oldest Event waiting, never the one backing off.
 *
 * The token is stat()ed before every request and read again when its inode, size or mtime changed
 * (kubelet rotates projected tokens by swapping a symlink), and after a 401. */
#include "delivery/kube_events.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/curl_api.h"
#include "base/defaults.h"
#include "delivery/delivery.h"
#include "delivery/http_multi.h"
#include "delivery/kube_api.h"
#include "output/kube_event.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"

#include "base/curl_calls.h" /* every libcurl call through the table curl_api_load() fills */

/* The subject of folded warnings: every failure of this client is one stream of log lines. */
#define LOG_SUBJECT "kubernetes-events"

/* The Role the service account needs, said once on a 403. */
#define RBAC_HINT                                                                                        \
	"a Role with verbs [create, patch] on resource \"events\" in apiGroup \"events.k8s.io\", bound " \
	"to the pod's service account (container/kubernetes/rbac.yaml)"

struct kjob {
	struct delivery_job dj;
	struct http_transfer xfer;
	struct kube_events *k;
	const char *reason, *type; /* static strings, or reason_buf */
	char reason_buf[KUBE_FIELD_MAX_CHARS + 1];
	int level, previous_level;
	/* the pod the Event is about, and the series' subject (kube_subject_key) */
	char pod_name[KUBE_NAME_MAX_CHARS + 1], pod_ns[KUBE_NAME_MAX_CHARS + 1], pod_uid[64];
	uint64_t subject;
	char note[KUBE_NOTE_MAX_BYTES + 1];
	uint64_t real_usec; /* when the event happened: eventTime or lastObservedTime */
	bool renamed;       /* a 409 was retried under a new name */
	bool recreate;      /* a 404 to a PATCH: create instead */
	/* the request in flight */
	bool is_patch;
	char name[KUBE_NAME_MAX_CHARS + 1];
	uint64_t series_count;
	char *url, *body;
	struct curl_slist *headers;
	CURL *easy;
	struct http_received reply; /* of the last request */
};

struct kube_events {
	struct loop *loop;
	struct http_multi *http;
	char *api_url, *token_file, *ca_file, *pod_name, *pod_namespace, *pod_uid;
	bool dry_run;
	struct delivery_queue *q;
	struct kube_series_table series;
	uint64_t names; /* Event names made: the low bits of their suffix */
	struct kube_token token;
	bool rbac_warned;
};

/* ---- configuration ---- */

int kube_events_config_from_env(struct kube_events_config *cfg, char *url_buf, size_t url_size, char *ns_buf,
                                size_t ns_size, char *err, size_t err_size)
{
	struct kube_api_config api;
	*cfg = (struct kube_events_config){
		.pod_name = kube_env("POD_NAME"),
		.pod_namespace = kube_env("POD_NAMESPACE"),
		.pod_uid = kube_env("POD_UID"),
	};
	int r = kube_api_config_from_env(&api, "--kubernetes-events", url_buf, url_size, err, err_size);
	if (r < 0)
		return r;
	cfg->api_url = api.api_url;
	cfg->token_file = api.token_file;
	cfg->ca_file = api.ca_file;
	if (!cfg->pod_name) {
		snprintf(err, err_size,
		         "--kubernetes-events: POD_NAME is not set (the Downward API: fieldRef "
		         "metadata.name)");
		return -EINVAL;
	}
	if (strlen(cfg->pod_name) > KUBE_NAME_MAX_CHARS) {
		snprintf(err, err_size, "--kubernetes-events: POD_NAME is longer than %d characters",
		         KUBE_NAME_MAX_CHARS);
		return -EINVAL;
	}
	if (!cfg->pod_namespace) {
		ssize_t n = kube_read_small_file(KUBE_NAMESPACE_FILE, ns_buf, ns_size, NULL);
		if (n <= 0) {
			snprintf(err, err_size,
			         "--kubernetes-events: POD_NAMESPACE is not set and %s is unreadable (%s)",
			         KUBE_NAMESPACE_FILE, n == 0 ? "empty" : strerror((int)-n));
			return -EINVAL;
		}
		cfg->pod_namespace = ns_buf;
	}
	return 0;
}

/* ---- jobs ---- */

static struct kjob *kjob_of(struct delivery_job *dj)
{
	return container_of(dj, struct kjob, dj);
}

static uint64_t failed_so_far(const struct kube_events *k)
{
	struct delivery_stats s;
	delivery_get_stats(k->q, &s);
	return s.failed;
}

static void kjob_request_free(struct kjob *j)
{
	if (j->easy)
		curl_easy_cleanup(j->easy);
	j->easy = NULL;
	curl_slist_free_all(j->headers);
	j->headers = NULL;
	free(j->url);
	free(j->body);
	j->url = j->body = NULL;
}

static void on_done(struct http_transfer *t, CURLcode result);

/* Builds and starts the request of the head job j: a PATCH of its series when one is running,
 * else a POST under a new name (or the name of an earlier attempt). Returns 0 or -errno. */
static int request_start(struct kube_events *k, struct kjob *j)
{
	int r;
	kjob_request_free(j);
	struct kube_series *s =
	        j->recreate ? NULL
	                    : kube_series_find(&k->series, j->subject, j->reason, j->level, j->previous_level,
	                                       now_mono_usec(), KUBE_EVENTS_SERIES_WINDOW_USEC);
	j->is_patch = s != NULL;
	if (s) {
		snprintf(j->name, sizeof(j->name), "%s", s->name);
		j->series_count = s->count + 1;
		j->body = kube_series_patch(j->series_count, j->real_usec);
		r = asprintf(&j->url, "%s/apis/events.k8s.io/v1/namespaces/%s/events/%s", k->api_url,
		             j->pod_ns, j->name);
	} else {
		if (!j->name[0] || j->renamed)
			kube_event_name(j->pod_name, (j->real_usec << 8) | (++k->names & 0xff), j->name,
			                sizeof(j->name));
		struct kube_pod pod = { j->pod_name, j->pod_ns, j->pod_uid[0] ? j->pod_uid : NULL, NULL };
		j->body = kube_event_body(&pod, j->name, j->reason, j->type, j->note, j->real_usec);
		r = asprintf(&j->url, "%s/apis/events.k8s.io/v1/namespaces/%s/events", k->api_url, j->pod_ns);
	}
	if (r < 0) {
		j->url = NULL;
		return -ENOMEM;
	}
	if (!j->body)
		return -ENOMEM;

	if (!(j->easy = curl_easy_init()))
		return -ENOMEM;
	CURL *e = j->easy;
	r = kube_api_setup(e, j->url, &k->token, k->ca_file,
	                   j->is_patch ? "Content-Type: application/merge-patch+json"
	                               : "Content-Type: application/json",
	                   KUBE_EVENTS_TIMEOUT_USEC, &j->reply, &j->headers);
	if (r < 0)
		return r;
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(j->body));
	if (j->is_patch)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
	j->xfer.done = on_done;
	return http_multi_add(k->http, e, &j->xfer);
}

/* delivery_ops.start: loads libcurl on the first Event, reads the token when it changed, and
 * starts the request. Returns 0 or -errno (logged). */
static int op_start(struct delivery_job *dj, void *userdata)
{
	struct kube_events *k = userdata;
	struct kjob *j = kjob_of(dj);
	if (!k->http) {
		char err[256] = "";
		int r = http_multi_new(k->loop, 1L, &k->http, err, sizeof(err));
		if (r < 0) {
			log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: %s",
			              err[0] ? err : strerror(-r));
			return r;
		}
	}
	int r = kube_token_refresh(&k->token);
	if (r < 0) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
		              "kubernetes events: %s Event not sent: token %s: %s (%" PRIu64 " failed)",
		              j->reason, k->token_file, r == -ENODATA ? "empty" : strerror(-r),
		              failed_so_far(k) + 1);
		return r;
	}
	r = request_start(k, j);
	if (r < 0)
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: cannot start %s: %s",
		              j->reason, strerror(-r));
	return r;
}

static void op_abort(struct delivery_job *dj, void *userdata)
{
	struct kube_events *k = userdata;
	http_multi_remove(k->http, kjob_of(dj)->easy);
}

static void op_lost(const struct delivery_job *dj, enum delivery_loss kind, const char *why _unused_,
                    const struct delivery_stats *s, void *userdata _unused_)
{
	const struct kjob *j = container_of(dj, const struct kjob, dj);
	if (kind == DELIVERY_LOST_FULL)
		log_msg_about(
		        LOG_LEVEL_WARN, LOG_SUBJECT,
		        "kubernetes events: queue full (%d), dropped the oldest waiting Event (%s; %" PRIu64
		        " dropped so far)",
		        KUBE_EVENTS_QUEUE_CAP, j->reason, s->dropped + 1);
}

static void op_free(struct delivery_job *dj, void *userdata _unused_)
{
	struct kjob *j = kjob_of(dj);
	kjob_request_free(j);
	free(j);
}

static const struct delivery_ops kube_ops = {
	.start = op_start,
	.abort = op_abort,
	.lost = op_lost,
	.free = op_free,
};

/* The message of a Kubernetes Status answer, or the start of the body. */
static void response_message(const struct kjob *j, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!j->reply.answer.kept_len)
		return;
	_cleanup_cjson_ cJSON *o = cJSON_ParseWithLength(j->reply.answer.kept, j->reply.answer.kept_len);
	const cJSON *m = o ? cJSON_GetObjectItemCaseSensitive(o, "message") : NULL;
	snprintf(buf, size, ": %.200s", cJSON_IsString(m) ? m->valuestring : j->reply.answer.kept);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* A retryable failure of j: backs off, or gives up after the last retry or when the Retry-After
 * asks for too long. */
static void kjob_retry(struct kube_events *k, struct kjob *j, long status, const char *reason)
{
	const char *method = j->is_patch ? "PATCH" : "POST";
	const char *retry_after = (status == 429 || status == 503) && j->reply.retry_after.has
	                                  ? j->reply.retry_after.value
	                                  : NULL;
	uint64_t delay = 0;
	bool asked = false;
	switch (delivery_plan_retry(k->q, &j->dj, retry_after, &delay, &asked)) {
	case DELIVERY_PLAN_LAST:
	case DELIVERY_PLAN_TOO_LATE: /* no max age: never */
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
		              "kubernetes events: %s %s failed: %s (attempt %u/%u), giving up (%" PRIu64
		              " failed)",
		              method, j->reason, reason, j->dj.failures, KUBE_EVENTS_RETRIES + 1,
		              failed_so_far(k) + 1);
		delivery_give_up(k->q, &j->dj, DELIVERY_LOST_FAILED);
		return;
	case DELIVERY_PLAN_TOO_LONG:
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
		              "kubernetes events: %s %s failed: %s with Retry-After %s, longer than "
		              "memhook waits; giving up (%" PRIu64 " failed)",
		              method, j->reason, reason, j->reply.retry_after.value, failed_so_far(k) + 1);
		delivery_give_up(k->q, &j->dj, DELIVERY_LOST_FAILED);
		return;
	case DELIVERY_PLAN_RETRY:
		break;
	}
	log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
	              "kubernetes events: %s %s failed: %s (attempt %u/%u), retrying in %" PRIu64 " ms%s",
	              method, j->reason, reason, j->dj.failures, KUBE_EVENTS_RETRIES + 1,
	              delay / USEC_PER_MSEC, asked ? " (Retry-After)" : "");
	delivery_retry(k->q, &j->dj, delay);
}

/* http_multi: j's request has finished: what the API server's answer means. */
static void on_done(struct http_transfer *t, CURLcode result)
{
	struct kjob *j = container_of(t, struct kjob, xfer);
	struct kube_events *k = j->k;
	long status = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	bool http = http_answered(result, &j->reply.answer);
	const char *method = j->is_patch ? "PATCH" : "POST";
	char msg[240];
	response_message(j, msg, sizeof(msg));
	if (j->reply.answer.cut)
		log_debug("kubernetes events: %s %s: HTTP %ld: the answer was cut after %d bytes", method,
		          j->reason, status, HTTP_ANSWER_MAX_BYTES);

	if (http && status >= 200 && status < 300) {
		uint64_t now = now_mono_usec();
		if (j->is_patch) {
			struct kube_series *s = kube_series_find(&k->series, j->subject, j->reason, j->level,
			                                         j->previous_level, now, UINT64_MAX);
			if (s) {
				s->count = j->series_count;
				s->last_mono_usec = now;
			}
		} else
			kube_series_start(&k->series, j->subject, j->reason, j->level, j->previous_level,
			                  j->name, now);
		log_debug("kubernetes events: %s %s %s: HTTP %ld%s", method, j->reason, j->name, status,
		          j->is_patch ? " (series)" : "");
		delivery_delivered(k->q, &j->dj);
	} else if (http && status == 409 && !j->is_patch && !j->renamed) {
		log_debug(
		        "kubernetes events: POST %s: the name %s is taken (409); once more under a new name",
		        j->reason, j->name);
		j->renamed = true;
		delivery_again(k->q, &j->dj);
	} else if (http && status == 404 && j->is_patch && !j->recreate) {
		log_debug("kubernetes events: PATCH %s: Event %s is gone (404); creating a new one",
		          j->reason, j->name);
		struct kube_series *s = kube_series_find(&k->series, j->subject, j->reason, j->level,
		                                         j->previous_level, now_mono_usec(), UINT64_MAX);
		if (s)
			kube_series_forget(s);
		j->recreate = true;
		j->name[0] = '\0';
		delivery_again(k->q, &j->dj);
	} else if (http && status == 403) {
		if (!k->rbac_warned)
			log_warn("kubernetes events: %s %s: HTTP 403 Forbidden%s; memhook needs " RBAC_HINT
			         " (said once; later 403s are counted in the failures)",
			         method, j->reason, msg);
		else
			log_debug("kubernetes events: %s %s: HTTP 403", method, j->reason);
		k->rbac_warned = true;
		delivery_give_up(k->q, &j->dj, DELIVERY_LOST_FAILED);
	} else if (http && (status == 401 || status == 429 || status >= 500)) {
		char reason[300];
		snprintf(reason, sizeof(reason), "HTTP %ld%s", status, msg);
		if (status == 401)
			kube_token_forget(&k->token); /* read the token again: it may have rotated */
		kjob_retry(k, j, status, reason);
	} else if (http) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
		              "kubernetes events: %s %s failed: HTTP %ld%s (%" PRIu64 " failed)", method,
		              j->reason, status, msg, failed_so_far(k) + 1);
		delivery_give_up(k->q, &j->dj, DELIVERY_LOST_FAILED);
	} else if (result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE ||
	           result == CURLE_SSL_CERTPROBLEM) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
		              "kubernetes events: %s %s to %s failed: TLS: %s (CA %s); not retried (%" PRIu64
		              " failed)",
		              method, j->reason, k->api_url,
		              j->reply.errbuf[0] ? j->reply.errbuf : curl_easy_strerror(result), k->ca_file,
		              failed_so_far(k) + 1);
		delivery_give_up(k->q, &j->dj, DELIVERY_LOST_FAILED);
	} else
		kjob_retry(k, j, 0, j->reply.errbuf[0] ? j->reply.errbuf : curl_easy_strerror(result));
}

/* ---- client ---- */

int kube_events_new(struct loop *l, const struct kube_events_config *cfg, struct kube_events **ret)
{
	struct kube_events *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->loop = l;
	k->dry_run = cfg->dry_run;
	struct delivery_config qcfg = {
		.queue_cap = KUBE_EVENTS_QUEUE_CAP,
		.max_in_flight = 1,
		.full_spares_backoff = true,
		.idle_dests_max = 1,
	};
	if (delivery_new(l, &qcfg, &kube_ops, k, &k->q) < 0) {
		free(k);
		return -ENOMEM;
	}
	k->api_url = strdup(cfg->api_url);
	k->token_file = strdup(cfg->token_file);
	k->ca_file = strdup(cfg->ca_file);
	k->pod_name = strdup(cfg->pod_name);
	k->pod_namespace = strdup(cfg->pod_namespace);
	k->pod_uid = cfg->pod_uid ? strdup(cfg->pod_uid) : NULL;
	k->token.file = k->token_file;
	if (!k->api_url || !k->token_file || !k->ca_file || !k->pod_name || !k->pod_namespace ||
	    (cfg->pod_uid && !k->pod_uid)) {
		kube_events_free(k);
		return -ENOMEM;
	}
	size_t len = strlen(k->api_url);
	while (len > 0 && k->api_url[len - 1] == '/')
		k->api_url[--len] = '\0';
	*ret = k;
	return 0;
}

void kube_events_free(struct kube_events *k)
{
	if (!k)
		return;
	size_t pending = delivery_pending(k->q);
	if (pending)
		log_warn("kubernetes events: aborting %zu queued or in-flight Event(s)", pending);
	delivery_free(k->q);
	http_multi_free(k->http);
	kube_token_wipe(&k->token);
	free(k->api_url);
	free(k->token_file);
	free(k->ca_file);
	free(k->pod_name);
	free(k->pod_namespace);
	free(k->pod_uid);
	free(k);
}

/* Copies the pod (NULL: the config's) into j and sets its series' subject. Returns 0 or -EINVAL
 * (a pod without a name or namespace, or one too long). */
static int kjob_about(const struct kube_events *k, struct kjob *j, const struct kube_pod *pod,
                      const char *note)
{
	struct kube_pod own = { k->pod_name, k->pod_namespace, k->pod_uid, NULL };
	if (!pod)
		pod = &own;
	if (!pod->name || !pod->ns || !*pod->name || !*pod->ns || strlen(pod->name) >= sizeof(j->pod_name) ||
	    strlen(pod->ns) >= sizeof(j->pod_ns) || (pod->uid && strlen(pod->uid) >= sizeof(j->pod_uid)))
		return -EINVAL;
	strcpy(j->pod_name, pod->name);
	strcpy(j->pod_ns, pod->ns);
	strcpy(j->pod_uid, pod->uid ? pod->uid : "");
	j->subject = kube_subject_key(pod, note);
	return 0;
}

/* Writes "container NAME: " into j's note when pod names its container; returns its length. */
static size_t note_head(struct kjob *j, const struct kube_pod *pod)
{
	if (!pod || !pod->container || !*pod->container)
		return 0;
	int n = snprintf(j->note, sizeof(j->note), "container %s: ", pod->container);
	return n > 0 && (size_t)n < sizeof(j->note) / 2 ? (size_t)n : 0;
}

/* Queues j (its reason, type, levels, note and pod set), or logs it on a dry run. */
static int kjob_queue(struct kube_events *k, struct kjob *j)
{
	j->k = k;
	j->real_usec = now_real_usec();
	if (k->dry_run) {
		log_info("kubernetes events: would create or repeat Event %s (%s) regarding pod %s/%s: %s",
		         j->reason, j->type, j->pod_ns, j->pod_name, j->note);
		free(j);
		return 0;
	}
	j->dj.dest = k->api_url;
	j->dj.retries = KUBE_EVENTS_RETRIES;
	j->dj.backoff_usec = KUBE_EVENTS_BACKOFF_USEC;
	j->dj.retry_after_max_usec = KUBE_EVENTS_RETRY_AFTER_MAX_USEC;
	int r = delivery_add(k->q, &j->dj);
	if (r < 0) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: %s: out of memory", j->reason);
		free(j);
		return r;
	}
	return 0;
}

int kube_events_post(struct kube_events *k, const struct event *ev, const char *level_name,
                     const char *previous_level_name, const struct sample *s)
{
	return kube_events_post_about(k, NULL, ev, level_name, previous_level_name, s);
}

int kube_events_post_about(struct kube_events *k, const struct kube_pod *pod, const struct event *ev,
                           const char *level_name, const char *previous_level_name, const struct sample *s)
{
	const char *reason, *type;
	if (!k || kube_event_reason(ev->kind, &reason, &type) < 0)
		return 0;
	struct kjob *j = calloc(1, sizeof(*j));
	if (!j) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: %s: out of memory", reason);
		return -ENOMEM;
	}
	j->reason = reason;
	j->type = type;
	j->level = ev->level;
	j->previous_level = ev->previous_level;
	int r = kjob_about(k, j, pod, NULL);
	if (r < 0) {
		free(j);
		return r;
	}
	size_t head = note_head(j, pod);
	kube_event_note(ev, level_name, previous_level_name, s, j->note + head, sizeof(j->note) - head);
	return kjob_queue(k, j);
}

/* A reason as the API server takes it: UpperCamelCase letters and digits, at most 128. */
static bool reason_ok(const char *reason)
{
	size_t n = strlen(reason);
	return n > 0 && n <= KUBE_FIELD_MAX_CHARS && reason[0] >= 'A' && reason[0] <= 'Z' &&
	       strspn(reason, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

int kube_events_post_note(struct kube_events *k, const struct kube_pod *pod, const char *reason,
                          const char *type, const char *note)
{
	if (!k)
		return 0;
	if (!reason_ok(reason) || (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0))
		return -EINVAL;
	struct kjob *j = calloc(1, sizeof(*j));
	if (!j) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: %s: out of memory", reason);
		return -ENOMEM;
	}
	strcpy(j->reason_buf, reason);
	j->reason = j->reason_buf;
	j->type = strcmp(type, "Normal") == 0 ? "Normal" : "Warning";
	int r = kjob_about(k, j, pod, note);
	if (r < 0) {
		free(j);
		return r;
	}
	/* a note cut at a byte boundary, and never a control character in it */
	size_t head = note_head(j, pod);
	snprintf(j->note + head, sizeof(j->note) - head, "%s", note);
	for (char *c = j->note; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return kjob_queue(k, j);
}

size_t kube_events_pending(const struct kube_events *k)
{
	return k ? delivery_pending(k->q) : 0;
}

void kube_events_get_stats(const struct kube_events *k, struct kube_events_stats *ret)
{
	struct delivery_stats s;
	delivery_get_stats(k ? k->q : NULL, &s);
	*ret = (struct kube_events_stats){
		.posted = s.queued,
		.sent = s.delivered,
		.failed = s.failed,
		.dropped = s.dropped,
	};
}
