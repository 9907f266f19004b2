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
 * The token is stat()ed before every request and read again when its inode, size or mtime changed
 * (kubelet rotates projected tokens by swapping a symlink), and after a 401. */
#include "delivery/kube_events.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/curl_api.h"
#include "base/defaults.h"
#include "delivery/http_multi.h"
#include "output/kube_event.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "delivery/webhook.h" /* webhook_parse_retry_after */

#include "base/curl_calls.h" /* every libcurl call through the table curl_api_load() fills */

#ifndef MEMHOOK_VERSION
#define MEMHOOK_VERSION "unknown"
#endif

/* The subject of folded warnings: every failure of this client is one stream of log lines. */
#define LOG_SUBJECT "kubernetes-events"
/* An API server's Status answer is a few hundred bytes; its message is all we log of it. */
#define RESPONSE_MAX_BYTES 2048

/* The Role the service account needs, said once on a 403. */
#define RBAC_HINT                                                                                        \
	"a Role with verbs [create, patch] on resource \"events\" in apiGroup \"events.k8s.io\", bound " \
	"to the pod's service account (container/kubernetes/rbac.yaml)"

struct kjob {
	struct http_transfer xfer; /* first: curl's private pointer is the job */
	struct kube_events *k;
	struct kjob *next;
	const char *reason, *type;
	int level, previous_level;
	char note[KUBE_NOTE_MAX_BYTES + 1];
	uint64_t real_usec; /* when the event happened: eventTime or lastObservedTime */
	unsigned attempt;   /* attempts that count against the retries */
	bool renamed;       /* a 409 was retried under a new name */
	bool recreate;      /* a 404 to a PATCH: create instead */
	bool backing_off;
	uint64_t timer_id;
	/* the request in flight */
	bool is_patch;
	char name[KUBE_NAME_MAX_CHARS + 1];
	uint64_t series_count;
	char *url, *body;
	struct curl_slist *headers;
	CURL *easy;
	char response[RESPONSE_MAX_BYTES + 1];
	size_t response_len;
	struct http_retry_after retry_after; /* of the last answer */
	char errbuf[CURL_ERROR_SIZE];
};

struct kube_events {
	struct loop *loop;
	struct http_multi *http;
	char *api_url, *token_file, *ca_file, *pod_name, *pod_namespace, *pod_uid;
	bool dry_run;
	struct kjob *head, *tail;
	size_t n_jobs;
	bool in_flight;
	struct kube_series_table series;
	uint64_t names; /* Event names made: the low bits of their suffix */
	char token[KUBE_TOKEN_MAX_BYTES + 1];
	bool token_loaded;
	struct stat token_st; /* of the token read */
	bool rbac_warned;
	struct kube_events_stats stats;
};

/* ---- configuration ---- */

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Reads a small text file into buf (NUL-terminated, trailing whitespace cut), opened O_NONBLOCK
 * and required to be a regular file. Returns its length, -EBADFD, -EFBIG or -errno. */
static ssize_t read_small_file(const char *path, char *buf, size_t size, struct stat *ret_st)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	ssize_t n = pread_all(fd, buf, size);
	if (n < 0)
		return n;
	if ((size_t)n >= size)
		return -EFBIG;
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	if (ret_st)
		*ret_st = st;
	return n;
}

int kube_events_config_from_env(struct kube_events_config *cfg, char *url_buf, size_t url_size, char *ns_buf,
                                size_t ns_size, char *err, size_t err_size)
{
	*cfg = (struct kube_events_config){
		.api_url = env_nonempty("MEMHOOK_KUBERNETES_API"),
		.token_file = env_nonempty("MEMHOOK_KUBERNETES_TOKEN_FILE"),
		.ca_file = env_nonempty("MEMHOOK_KUBERNETES_CA_FILE"),
		.pod_name = env_nonempty("POD_NAME"),
		.pod_namespace = env_nonempty("POD_NAMESPACE"),
		.pod_uid = env_nonempty("POD_UID"),
	};
	if (!cfg->token_file)
		cfg->token_file = KUBE_TOKEN_FILE;
	if (!cfg->ca_file)
		cfg->ca_file = KUBE_CA_FILE;
	if (!cfg->api_url) {
		int r = kube_api_url(env_nonempty("KUBERNETES_SERVICE_HOST"),
		                     env_nonempty("KUBERNETES_SERVICE_PORT"), url_buf, url_size);
		if (r < 0) {
			snprintf(err, err_size,
			         "--kubernetes-events: no API server: KUBERNETES_SERVICE_HOST and "
			         "KUBERNETES_SERVICE_PORT %s (or set MEMHOOK_KUBERNETES_API)",
			         r == -EINVAL ? "are not set to a host and a port" : "are too long");
			return -EINVAL;
		}
		cfg->api_url = url_buf;
	}
	if (strncmp(cfg->api_url, "https://", 8) != 0) {
		snprintf(err, err_size,
		         "--kubernetes-events: the API server URL must be https:// (TLS is verified)");
		return -EINVAL;
	}
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
		ssize_t n = read_small_file(KUBE_NAMESPACE_FILE, ns_buf, ns_size, NULL);
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

/* Takes the head job out of the queue (it is not in flight) and frees it. */
static void kjob_pop(struct kube_events *k)
{
	struct kjob *j = k->head;
	k->head = j->next;
	if (!k->head)
		k->tail = NULL;
	k->n_jobs--;
	if (j->timer_id)
		loop_cancel_timer(k->loop, j->timer_id);
	kjob_request_free(j);
	free(j);
}

static void start_next(struct kube_events *k);

/* Gives the head job up, counted as failed. */
static void kjob_fail(struct kube_events *k)
{
	k->stats.failed++;
	kjob_pop(k);
}

/* The token for this request: read again when the file changed since the last read, or when
 * force. Returns 0 or -errno (the last token read stays in k->token only when it is still valid). */
static int token_refresh(struct kube_events *k, bool force)
{
	struct stat st;
	if (stat(k->token_file, &st) < 0)
		return -errno;
	if (!force && k->token_loaded && st.st_ino == k->token_st.st_ino && st.st_dev == k->token_st.st_dev &&
	    st.st_size == k->token_st.st_size && st.st_mtim.tv_sec == k->token_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == k->token_st.st_mtim.tv_nsec)
		return 0;
	if (k->token_loaded)
		log_debug("kubernetes events: reading the token %s again (it changed)", k->token_file);
	k->token_loaded = false;
	ssize_t n = read_small_file(k->token_file, k->token, sizeof(k->token), &k->token_st);
	if (n <= 0) {
		OPENSSL_cleanse(k->token, sizeof(k->token));
		return n == 0 ? -ENODATA : (int)n;
	}
	if (strpbrk(k->token, "\r\n")) {
		OPENSSL_cleanse(k->token, sizeof(k->token));
		return -EINVAL; /* a header line must not be split */
	}
	k->token_loaded = true;
	return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct kjob *j = userdata;
	size_t len = size * nmemb;
	size_t room = RESPONSE_MAX_BYTES - j->response_len;
	size_t take = len < room ? len : room;
	memcpy(j->response + j->response_len, ptr, take);
	j->response_len += take;
	j->response[j->response_len] = '\0';
	return len;
}

static int append_header(struct curl_slist **headers, const char *h)
{
	struct curl_slist *t = curl_slist_append(*headers, h);
	if (!t)
		return -ENOMEM;
	*headers = t;
	return 0;
}

static void on_done(struct http_transfer *t, CURLcode result);

/* Builds and starts the request of the head job j: a PATCH of its series when one is running,
 * else a POST under a new name (or the name of an earlier attempt). Returns 0 or -errno. */
static int request_start(struct kube_events *k, struct kjob *j)
{
	int r;
	kjob_request_free(j);
	struct kube_series *s = j->recreate
	                                ? NULL
	                                : kube_series_find(&k->series, j->reason, j->level, j->previous_level,
	                                                   now_mono_usec(), KUBE_EVENTS_SERIES_WINDOW_USEC);
	j->is_patch = s != NULL;
	if (s) {
		snprintf(j->name, sizeof(j->name), "%s", s->name);
		j->series_count = s->count + 1;
		j->body = kube_series_patch(j->series_count, j->real_usec);
		r = asprintf(&j->url, "%s/apis/events.k8s.io/v1/namespaces/%s/events/%s", k->api_url,
		             k->pod_namespace, j->name);
	} else {
		if (!j->name[0] || j->renamed)
			kube_event_name(k->pod_name, (j->real_usec << 8) | (++k->names & 0xff), j->name,
			                sizeof(j->name));
		struct kube_pod pod = { k->pod_name, k->pod_namespace, k->pod_uid };
		j->body = kube_event_body(&pod, j->name, j->reason, j->type, j->note, j->real_usec);
		r = asprintf(&j->url, "%s/apis/events.k8s.io/v1/namespaces/%s/events", k->api_url,
		             k->pod_namespace);
	}
	if (r < 0) {
		j->url = NULL;
		return -ENOMEM;
	}
	if (!j->body)
		return -ENOMEM;

	_cleanup_free_ char *auth = NULL;
	if (asprintf(&auth, "Authorization: Bearer %s", k->token) < 0)
		return -ENOMEM;
	r = append_header(&j->headers, auth);
	OPENSSL_cleanse(auth, strlen(auth));
	if (r < 0 ||
	    (r = append_header(&j->headers, j->is_patch ? "Content-Type: application/merge-patch+json"
	                                                : "Content-Type: application/json")) < 0 ||
	    (r = append_header(&j->headers, "Accept: application/json")) < 0 ||
	    (r = append_header(&j->headers, "Expect:")) < 0)
		return r;

	if (!(j->easy = curl_easy_init()))
		return -ENOMEM;
	CURL *e = j->easy;
	long timeout_ms = (long)(KUBE_EVENTS_TIMEOUT_USEC / USEC_PER_MSEC);
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_CAINFO, k->ca_file);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(j->body));
	if (j->is_patch)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PATCH");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "memhook/" MEMHOOK_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_retry_after_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &j->retry_after);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	j->errbuf[0] = '\0';
	j->response_len = 0;
	j->response[0] = '\0';
	j->retry_after = (struct http_retry_after){ .has = false };
	j->xfer.done = on_done;
	if ((r = http_multi_add(k->http, e, &j->xfer)) < 0)
		return r;
	k->in_flight = true;
	return 0;
}

/* Starts the head job when nothing is in flight and it is not backing off; gives up on the way
 * jobs that cannot start (no token, no memory). */
static void start_next(struct kube_events *k)
{
	while (k->head && !k->in_flight && !k->head->backing_off) {
		struct kjob *j = k->head;
		if (!k->http) {
			char err[256] = "";
			int r = http_multi_new(k->loop, 1L, &k->http, err, sizeof(err));
			if (r < 0) {
				log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: %s",
				              err[0] ? err : strerror(-r));
				kjob_fail(k);
				continue;
			}
		}
		int r = token_refresh(k, false);
		if (r < 0) {
			log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
			              "kubernetes events: %s Event not sent: token %s: %s (%" PRIu64
			              " failed)",
			              j->reason, k->token_file, r == -ENODATA ? "empty" : strerror(-r),
			              k->stats.failed + 1);
			kjob_fail(k);
			continue;
		}
		r = request_start(k, j);
		if (r < 0) {
			log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: cannot start %s: %s",
			              j->reason, strerror(-r));
			kjob_fail(k);
		}
	}
}

static void on_backoff_done(struct loop *l _unused_, void *userdata)
{
	struct kjob *j = userdata;
	j->timer_id = 0;
	j->backing_off = false;
	start_next(j->k);
}

/* The message of a Kubernetes Status answer, or the start of the body. */
static void response_message(const struct kjob *j, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!j->response_len)
		return;
	_cleanup_cjson_ cJSON *o = cJSON_ParseWithLength(j->response, j->response_len);
	const cJSON *m = o ? cJSON_GetObjectItemCaseSensitive(o, "message") : NULL;
	snprintf(buf, size, ": %.200s", cJSON_IsString(m) ? m->valuestring : j->response);
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

/* A retryable failure of the head job: backs off, or gives up after the last retry or when the
 * Retry-After asks for too long. */
static void kjob_retry(struct kube_events *k, struct kjob *j, long status, const char *reason)
{
	const char *method = j->is_patch ? "PATCH" : "POST";
	if (j->attempt > KUBE_EVENTS_RETRIES) {
		log_msg_about(
		        LOG_LEVEL_WARN, LOG_SUBJECT,
		        "kubernetes events: %s %s failed: %s (attempt %u/%u), giving up (%" PRIu64 " failed)",
		        method, j->reason, reason, j->attempt, KUBE_EVENTS_RETRIES + 1, k->stats.failed + 1);
		kjob_fail(k);
		return;
	}
	uint64_t delay = KUBE_EVENTS_BACKOFF_USEC << (j->attempt - 1);
	bool asked = false;
	if ((status == 429 || status == 503) && j->retry_after.has &&
	    webhook_parse_retry_after(j->retry_after.value, now_real_usec(), &delay) == 0) {
		asked = true;
		if (delay > KUBE_EVENTS_RETRY_AFTER_MAX_USEC) {
			log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
			              "kubernetes events: %s %s failed: %s with Retry-After %s, longer than "
			              "memhook waits; giving up (%" PRIu64 " failed)",
			              method, j->reason, reason, j->retry_after.value, k->stats.failed + 1);
			kjob_fail(k);
			return;
		}
	}
	log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
	              "kubernetes events: %s %s failed: %s (attempt %u/%u), retrying in %" PRIu64 " ms%s",
	              method, j->reason, reason, j->attempt, KUBE_EVENTS_RETRIES + 1, delay / USEC_PER_MSEC,
	              asked ? " (Retry-After)" : "");
	j->backing_off = true;
	j->timer_id = loop_add_timer(k->loop, now_mono_usec() + delay, on_backoff_done, j);
	if (!j->timer_id)
		j->backing_off = false; /* no memory for a timer: retry right away */
}

static void on_done(struct http_transfer *t, CURLcode result)
{
	struct kjob *j = (struct kjob *)(void *)t;
	struct kube_events *k = j->k;
	long status = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	k->in_flight = false;
	bool http = result == CURLE_OK;
	const char *method = j->is_patch ? "PATCH" : "POST";
	char msg[240];
	response_message(j, msg, sizeof(msg));

	if (http && status >= 200 && status < 300) {
		uint64_t now = now_mono_usec();
		if (j->is_patch) {
			struct kube_series *s = kube_series_find(&k->series, j->reason, j->level,
			                                         j->previous_level, now, UINT64_MAX);
			if (s) {
				s->count = j->series_count;
				s->last_mono_usec = now;
			}
		} else
			kube_series_start(&k->series, j->reason, j->level, j->previous_level, j->name, now);
		log_debug("kubernetes events: %s %s %s: HTTP %ld%s", method, j->reason, j->name, status,
		          j->is_patch ? " (series)" : "");
		k->stats.sent++;
		kjob_pop(k);
	} else if (http && status == 409 && !j->is_patch && !j->renamed) {
		log_debug(
		        "kubernetes events: POST %s: the name %s is taken (409); once more under a new name",
		        j->reason, j->name);
		j->renamed = true;
	} else if (http && status == 404 && j->is_patch && !j->recreate) {
		log_debug("kubernetes events: PATCH %s: Event %s is gone (404); creating a new one",
		          j->reason, j->name);
		struct kube_series *s = kube_series_find(&k->series, j->reason, j->level, j->previous_level,
		                                         now_mono_usec(), UINT64_MAX);
		if (s)
			kube_series_forget(s);
		j->recreate = true;
		j->name[0] = '\0';
	} else if (http && status == 403) {
		if (!k->rbac_warned)
			log_warn("kubernetes events: %s %s: HTTP 403 Forbidden%s; memhook needs " RBAC_HINT
			         " (said once; later 403s are counted in the failures)",
			         method, j->reason, msg);
		else
			log_debug("kubernetes events: %s %s: HTTP 403", method, j->reason);
		k->rbac_warned = true;
		kjob_fail(k);
	} else if (http && (status == 401 || status == 429 || status >= 500)) {
		char reason[300];
		snprintf(reason, sizeof(reason), "HTTP %ld%s", status, msg);
		if (status == 401)
			k->token_loaded = false; /* read the token again: it may have rotated */
		j->attempt++;
		kjob_retry(k, j, status, reason);
	} else if (http) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
		              "kubernetes events: %s %s failed: HTTP %ld%s (%" PRIu64 " failed)", method,
		              j->reason, status, msg, k->stats.failed + 1);
		kjob_fail(k);
	} else if (result == CURLE_PEER_FAILED_VERIFICATION || result == CURLE_SSL_CACERT_BADFILE ||
	           result == CURLE_SSL_CERTPROBLEM) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT,
		              "kubernetes events: %s %s to %s failed: TLS: %s (CA %s); not retried (%" PRIu64
		              " failed)",
		              method, j->reason, k->api_url,
		              j->errbuf[0] ? j->errbuf : curl_easy_strerror(result), k->ca_file,
		              k->stats.failed + 1);
		kjob_fail(k);
	} else {
		j->attempt++;
		kjob_retry(k, j, 0, j->errbuf[0] ? j->errbuf : curl_easy_strerror(result));
	}
	start_next(k);
}

/* ---- client ---- */

int kube_events_new(struct loop *l, const struct kube_events_config *cfg, struct kube_events **ret)
{
	struct kube_events *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->loop = l;
	k->dry_run = cfg->dry_run;
	k->api_url = strdup(cfg->api_url);
	k->token_file = strdup(cfg->token_file);
	k->ca_file = strdup(cfg->ca_file);
	k->pod_name = strdup(cfg->pod_name);
	k->pod_namespace = strdup(cfg->pod_namespace);
	k->pod_uid = cfg->pod_uid ? strdup(cfg->pod_uid) : NULL;
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
	if (k->n_jobs)
		log_warn("kubernetes events: aborting %zu queued or in-flight Event(s)", k->n_jobs);
	if (k->head && k->in_flight)
		http_multi_remove(k->http, k->head->easy);
	while (k->head)
		kjob_pop(k);
	http_multi_free(k->http);
	OPENSSL_cleanse(k->token, sizeof(k->token));
	free(k->api_url);
	free(k->token_file);
	free(k->ca_file);
	free(k->pod_name);
	free(k->pod_namespace);
	free(k->pod_uid);
	free(k);
}

int kube_events_post(struct kube_events *k, const struct event *ev, const char *level_name,
                     const char *previous_level_name, const struct sample *s)
{
	const char *reason, *type;
	if (!k || kube_event_reason(ev->kind, &reason, &type) < 0)
		return 0;
	struct kjob *j = calloc(1, sizeof(*j));
	if (!j) {
		log_msg_about(LOG_LEVEL_WARN, LOG_SUBJECT, "kubernetes events: %s: out of memory", reason);
		return -ENOMEM;
	}
	j->k = k;
	j->reason = reason;
	j->type = type;
	j->level = ev->level;
	j->previous_level = ev->previous_level;
	j->real_usec = now_real_usec();
	kube_event_note(ev, level_name, previous_level_name, s, j->note, sizeof(j->note));
	if (k->dry_run) {
		log_info("kubernetes events: would create or repeat Event %s (%s) regarding pod %s/%s: %s",
		         reason, type, k->pod_namespace, k->pod_name, j->note);
		free(j);
		return 0;
	}
	k->stats.posted++;
	if (k->tail)
		k->tail->next = j;
	else
		k->head = j;
	k->tail = j;
	k->n_jobs++;
	if (k->n_jobs > KUBE_EVENTS_QUEUE_CAP) {
		/* the oldest waiting one: the head unless it is in flight or backing off */
		struct kjob **victim = &k->head;
		if (k->in_flight || k->head->backing_off)
			victim = &k->head->next;
		struct kjob *v = *victim;
		*victim = v->next;
		if (k->tail == v)
			k->tail = victim == &k->head ? NULL : k->head;
		k->n_jobs--;
		k->stats.dropped++;
		log_msg_about(
		        LOG_LEVEL_WARN, LOG_SUBJECT,
		        "kubernetes events: queue full (%d), dropped the oldest waiting Event (%s; %" PRIu64
		        " dropped so far)",
		        KUBE_EVENTS_QUEUE_CAP, v->reason, k->stats.dropped);
		if (v->timer_id)
			loop_cancel_timer(k->loop, v->timer_id);
		free(v);
	}
	start_next(k);
	return 0;
}

size_t kube_events_pending(const struct kube_events *k)
{
	return k ? k->n_jobs : 0;
}

void kube_events_get_stats(const struct kube_events *k, struct kube_events_stats *ret)
{
	*ret = k ? k->stats : (struct kube_events_stats){ 0 };
}
