/* Webhook delivery on the loop: libcurl's multi interface with its sockets and its timer handed to
 * the loop, a bounded FIFO of jobs, at most WEBHOOK_MAX_IN_FLIGHT transfers at once, retries after
 * backoff, 2*backoff, 4*backoff... scheduled with loop timers. Nothing here blocks or sleeps.
 *
 * Queue policy: queue_cap counts every job not finished (waiting, backing off or in flight). A
 * webhook_post on a full queue drops the oldest job that is not in flight (waiting to start or
 * backing off before a retry); when every queued job is in flight, the new job is the one dropped.
 * Either way the drop is counted in stats.dropped and logged with the running count.
 *
 * libcurl is loaded (curl_api.h) and curl_global_init runs on a client's first POST, so an idle
 * memhook never maps it; curl_global_cleanup runs when the last client that used it is freed (a
 * process-wide count; the loop is single-threaded so no lock is needed). */
#include "webhook.h"

#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "curl_api.h"
#include "defaults.h"
#include "log.h"
#include "loop.h"
#include "url.h"
#include "util.h"

/* Every libcurl call goes through the table filled by curl_api_load(). */
#define curl_global_init    curl_api.global_init
#define curl_global_cleanup curl_api.global_cleanup
#define curl_easy_init      curl_api.easy_init
#undef curl_easy_setopt
#define curl_easy_setopt curl_api.easy_setopt
#undef curl_easy_getinfo
#define curl_easy_getinfo  curl_api.easy_getinfo
#define curl_easy_cleanup  curl_api.easy_cleanup
#define curl_easy_strerror curl_api.easy_strerror
#define curl_multi_init    curl_api.multi_init
#undef curl_multi_setopt
#define curl_multi_setopt        curl_api.multi_setopt
#define curl_multi_add_handle    curl_api.multi_add_handle
#define curl_multi_remove_handle curl_api.multi_remove_handle
#define curl_multi_socket_action curl_api.multi_socket_action
#define curl_multi_assign        curl_api.multi_assign
#define curl_multi_info_read     curl_api.multi_info_read
#define curl_multi_cleanup       curl_api.multi_cleanup
#define curl_multi_strerror      curl_api.multi_strerror
#define curl_slist_append        curl_api.slist_append
#define curl_slist_free_all      curl_api.slist_free_all

#ifndef MEMHOOK_VERSION
#define MEMHOOK_VERSION "unknown"
#endif

/* Concurrent transfers: enough for a few handlers firing together, few enough not to flood a
 * receiver that is already slow. */
#define WEBHOOK_MAX_IN_FLIGHT 4
/* A secret is a token, not a document. */
#define SECRET_MAX_BYTES 4096
/* Used when a cfg carries no timeout (the policy default). */
#define DEFAULT_TIMEOUT_USEC (UINT64_C(5) * USEC_PER_SEC)
/* Backoff never grows beyond this (10 retries of 500 ms would otherwise reach ~4 min). */
#define MAX_BACKOFF_USEC (UINT64_C(300) * USEC_PER_SEC)

enum job_state { JOB_WAITING, JOB_BACKOFF, JOB_IN_FLIGHT };

struct job {
	struct webhook_client *c;
	struct job *prev, *next; /* oldest first */
	enum job_state state;
	CURL *easy;
	struct curl_slist *headers;
	char *url;
	char *url_log; /* url without user name and password (url_redact) */
	char *body;
	size_t body_len;
	char *tag;
	unsigned attempt; /* attempts started so far */
	unsigned retries;
	uint64_t backoff_usec;
	uint64_t timer_id; /* JOB_BACKOFF */
	char errbuf[CURL_ERROR_SIZE];
};

struct webhook_client {
	struct loop *loop;
	CURLM *multi;
	size_t queue_cap;
	size_t n_jobs;
	unsigned in_flight;
	struct job *head, *tail;
	uint64_t curl_timer_id;
	struct webhook_stats stats;
};

static unsigned curl_users;

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
}

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
}

/* Frees a job's handle, headers and strings; it must not be queued (any more). */
static void job_discard(struct job *j)
{
	if (!j)
		return;
	curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->headers);
	free(j->url);
	free(j->url_log);
	free(j->body);
	free(j->tag);
	free(j);
}

/* Takes the job out of the queue, out of curl and off the timers, and frees it. */
static void job_free(struct webhook_client *c, struct job *j)
{
	job_unlink(c, j);
	if (j->state == JOB_IN_FLIGHT) {
		curl_multi_remove_handle(c->multi, j->easy);
		c->in_flight--;
	}
	if (j->timer_id)
		loop_cancel_timer(c->loop, j->timer_id);
	job_discard(j);
}

/* Starts waiting jobs, oldest first, while there is room in flight. */
static void start_waiting(struct webhook_client *c)
{
	struct job *next;
	for (struct job *j = c->head; j && c->in_flight < WEBHOOK_MAX_IN_FLIGHT; j = next) {
		next = j->next;
		if (j->state != JOB_WAITING)
			continue;
		j->attempt++;
		j->errbuf[0] = '\0';
		CURLMcode m = curl_multi_add_handle(c->multi, j->easy);
		if (m != CURLM_OK) {
			/* Cannot happen with a valid handle; give the job up rather than spin on it. */
			log_msg_about(LOG_LEVEL_WARN, j->tag, "webhook %s: cannot start POST to %s: %s",
			              j->tag, j->url_log, curl_multi_strerror(m));
			c->stats.failed++;
			job_free(c, j);
			continue;
		}
		j->state = JOB_IN_FLIGHT;
		c->in_flight++;
	}
}

static void on_backoff_done(struct loop *l _unused_, void *userdata)
{
	struct job *j = userdata;
	j->timer_id = 0;
	j->state = JOB_WAITING;
	start_waiting(j->c);
}

/* A finished transfer: success, retry later, or give up. */
static void job_finished(struct webhook_client *c, struct job *j, CURLcode result)
{
	long status = 0;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(c->multi, j->easy);
	c->in_flight--;
	j->state = JOB_WAITING;

	if (result == CURLE_OK && status >= 200 && status < 300) {
		log_debug("webhook %s: POST %s: HTTP %ld (attempt %u/%u)", j->tag, j->url_log, status,
		          j->attempt, j->retries + 1);
		c->stats.delivered++;
		job_free(c, j);
		return;
	}

	char reason[CURL_ERROR_SIZE + 64];
	if (result != CURLE_OK)
		snprintf(reason, sizeof(reason), "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(result));
	else
		snprintf(reason, sizeof(reason), "HTTP %ld", status);

	if (j->attempt > j->retries) {
		log_msg_about(LOG_LEVEL_WARN, j->tag,
		              "webhook %s: POST %s failed: %s (attempt %u/%u), giving up", j->tag, j->url_log,
		              reason, j->attempt, j->retries + 1);
		c->stats.failed++;
		job_free(c, j);
		return;
	}

	uint64_t delay = j->backoff_usec;
	for (unsigned i = 1; i < j->attempt && delay < MAX_BACKOFF_USEC; i++)
		delay *= 2;
	if (delay > MAX_BACKOFF_USEC)
		delay = MAX_BACKOFF_USEC;
	log_msg_about(LOG_LEVEL_WARN, j->tag,
	              "webhook %s: POST %s failed: %s (attempt %u/%u), retrying in %" PRIu64 " ms", j->tag,
	              j->url_log, reason, j->attempt, j->retries + 1, delay / USEC_PER_MSEC);
	c->stats.retried++;
	j->state = JOB_BACKOFF;
	j->timer_id = loop_add_timer(c->loop, now_mono_usec() + delay, on_backoff_done, j);
	if (!j->timer_id)
		j->state = JOB_WAITING; /* no memory for a timer: retry right away */
}

static void check_completions(struct webhook_client *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result; /* msg is invalid after remove_handle */
		char *priv = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
		if (priv)
			job_finished(c, (struct job *)(void *)priv, result);
	}
	start_waiting(c);
}

/* ---- curl <-> loop ---- */

static void on_socket_ready(struct loop *l _unused_, int fd, uint32_t events, void *userdata)
{
	struct webhook_client *c = userdata;
	int flags = 0, running;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	check_completions(c);
}

static int socket_cb(CURL *easy _unused_, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct webhook_client *c = userp;

	if (what == CURL_POLL_REMOVE) {
		if (socketp) {
			loop_del_fd(c->loop, s);
			curl_multi_assign(c->multi, s, NULL);
		}
		return 0;
	}
	uint32_t events = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		events |= EPOLLOUT;
	if (socketp) {
		if (loop_mod_fd(c->loop, s, events) == 0)
			return 0;
		loop_del_fd(c->loop, s); /* stale registration: start over */
	}
	int r = loop_add_fd(c->loop, s, events, on_socket_ready, c);
	if (r == -EEXIST) {
		/* A watch left behind for a closed socket whose number curl reused. */
		loop_del_fd(c->loop, s);
		r = loop_add_fd(c->loop, s, events, on_socket_ready, c);
	}
	if (r < 0) {
		log_debug("webhook: cannot watch socket %d: %s", (int)s, strerror(-r));
		return -1;
	}
	curl_multi_assign(c->multi, s, c); /* any non-NULL marks "watched" */
	return 0;
}

static void on_curl_timer(struct loop *l _unused_, void *userdata)
{
	struct webhook_client *c = userdata;
	int running;
	c->curl_timer_id = 0;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_completions(c);
}

static int timer_cb(CURLM *multi _unused_, long timeout_ms, void *userp)
{
	struct webhook_client *c = userp;
	if (c->curl_timer_id) {
		loop_cancel_timer(c->loop, c->curl_timer_id);
		c->curl_timer_id = 0;
	}
	if (timeout_ms < 0)
		return 0;
	c->curl_timer_id = loop_add_timer(c->loop, now_mono_usec() + (uint64_t)timeout_ms * USEC_PER_MSEC,
	                                  on_curl_timer, c);
	return c->curl_timer_id ? 0 : -1;
}

static size_t discard_body(char *ptr _unused_, size_t size, size_t nmemb, void *userdata _unused_)
{
	return size * nmemb;
}

/* ---- client ---- */

int webhook_client_new(struct loop *l, size_t queue_cap, struct webhook_client **ret)
{
	if (!l || queue_cap == 0)
		return -EINVAL;
	struct webhook_client *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = l;
	c->queue_cap = queue_cap;
	*ret = c;
	return 0;
}

/* Loads and initialises libcurl and this client's multi handle, once. Returns 0 or -errno. */
static int ensure_multi(struct webhook_client *c)
{
	char err[256];
	if (c->multi)
		return 0;
	int r = curl_api_load(err, sizeof(err));
	if (r < 0) {
		log_error("webhook: %s", err);
		return r;
	}
	if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	curl_users++;
	c->multi = curl_multi_init();
	if (!c->multi) {
		if (--curl_users == 0)
			curl_global_cleanup();
		return -ENOMEM;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)WEBHOOK_MAX_IN_FLIGHT);
	return 0;
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
	if (c->curl_timer_id)
		loop_cancel_timer(c->loop, c->curl_timer_id);
	c->curl_timer_id = 0;
	if (c->multi) {
		curl_multi_cleanup(c->multi); /* may still call socket_cb to remove sockets */
		if (c->curl_timer_id)
			loop_cancel_timer(c->loop, c->curl_timer_id);
		if (curl_users > 0 && --curl_users == 0)
			curl_global_cleanup();
	}
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

/* Reads the secret of cfg into buf (NUL-terminated). The file is opened O_NONBLOCK and must be
 * regular: a FIFO there never holds the loop. Returns its length, -EBADFD (not a regular file) or
 * -errno. */
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
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
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

/* Adds the signature header for body under cfg's secret. Returns 0 or -errno. */
static int sign(const struct webhook_cfg *cfg, const char *body, size_t len, struct curl_slist **headers)
{
	char secret[SECRET_MAX_BYTES + 1];
	char hex[65];

	ssize_t n = read_secret(cfg, secret, sizeof(secret));
	if (n < 0)
		return (int)n;
	int r = hmac_sha256_hex(secret, (size_t)n, body, len, hex);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (r < 0)
		return r;

	_cleanup_free_ char *h = NULL;
	if (asprintf(&h, "%s: sha256=%s",
	             cfg->signature_header ? cfg->signature_header : WEBHOOK_SIGNATURE_HEADER_DEFAULT,
	             hex) < 0)
		return -ENOMEM;
	struct curl_slist *t = curl_slist_append(*headers, h);
	if (!t)
		return -ENOMEM;
	*headers = t;
	return 0;
}

static int append_header(struct curl_slist **headers, const char *h)
{
	struct curl_slist *t = curl_slist_append(*headers, h);
	if (!t)
		return -ENOMEM;
	*headers = t;
	return 0;
}

static int job_new(struct webhook_client *c, const struct webhook_cfg *cfg, const char *body, size_t len,
                   const char *tag, struct job **ret)
{
	struct job *j = calloc(1, sizeof(*j));
	int r = -ENOMEM;
	if (!j)
		return -ENOMEM;
	j->c = c;
	j->retries = cfg->retries;
	j->backoff_usec = cfg->backoff_usec;
	j->url = strdup(cfg->url);
	j->url_log = url_redact(cfg->url);
	j->tag = strdup(tag ? tag : "webhook");
	j->body = malloc(len + 1);
	j->easy = curl_easy_init();
	if (!j->url || !j->url_log || !j->tag || !j->body || !j->easy)
		goto fail;
	if (len)
		memcpy(j->body, body, len);
	j->body[len] = '\0';
	j->body_len = len;

	if ((r = append_header(&j->headers, "Content-Type: application/json")) < 0 ||
	    (r = append_header(&j->headers, "Expect:")) < 0) /* no 100-continue round trip */
		goto fail;
	for (char **h = cfg->headers; h && *h; h++)
		if ((r = append_header(&j->headers, *h)) < 0)
			goto fail;
	if ((cfg->secret_file || cfg->secret_env) && (r = sign(cfg, j->body, len, &j->headers)) < 0)
		goto fail;

	uint64_t timeout_ms = (cfg->timeout_usec ? cfg->timeout_usec : DEFAULT_TIMEOUT_USEC) / USEC_PER_MSEC;
	if (timeout_ms == 0)
		timeout_ms = 1;
	if (timeout_ms > INT32_MAX)
		timeout_ms = INT32_MAX;

	CURL *e = j->easy;
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_POST, 1L);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "memhook/" MEMHOOK_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard_body);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
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

/* Makes room for one more job. Returns true when the new job is the one to drop. */
static bool make_room(struct webhook_client *c)
{
	if (c->n_jobs < c->queue_cap)
		return false;
	struct job *victim = NULL;
	for (struct job *j = c->head; j; j = j->next)
		if (j->state != JOB_IN_FLIGHT) {
			victim = j;
			break;
		}
	c->stats.dropped++;
	/* Every job is in flight: the new event is the one that goes. */
	log_warn("webhook: queue full, dropped %s (%llu dropped so far)",
	         victim ? "the oldest waiting event" : "the new event", (unsigned long long)c->stats.dropped);
	if (!victim)
		return true;
	job_free(c, victim);
	return false;
}

int webhook_post(struct webhook_client *c, const struct webhook_cfg *cfg, const char *body, size_t len,
                 const char *tag)
{
	struct job *j;

	if (!c || !cfg || !cfg->url || (!body && len))
		return -EINVAL;
	int r = ensure_multi(c);
	if (r < 0)
		return r;
	r = job_new(c, cfg, body ? body : "", len, tag, &j);
	if (r < 0)
		return r;
	c->stats.queued++;
	if (make_room(c)) {
		job_discard(j);
		return 0;
	}
	j->state = JOB_WAITING;
	job_append(c, j);
	start_waiting(c);
	return 0;
}
