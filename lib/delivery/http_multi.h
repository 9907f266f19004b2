/* libcurl's multi interface on the loop: its sockets and its timer are handed to the loop, and each
 * finished transfer is handed back to whoever added it. Shared by the webhook queue (webhook.c)
 * and the Kubernetes Events client (kube_events.c); neither blocks nor sleeps. libcurl is loaded
 * (curl_api.h) and curl_global_init runs on the first http_multi_new, so an idle memhook never
 * maps it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

#include "base/curl_api.h"
#include "base/defaults.h"

struct loop;
struct http_multi;

/* The Retry-After header of a response, as http_retry_after_header keeps it (RETRY_AFTER_MAX_CHARS:
 * defaults.h). */
struct http_retry_after {
	bool has;
	char value[RETRY_AFTER_MAX_CHARS + 1];
};

/* A CURLOPT_HEADERFUNCTION that keeps the value of a Retry-After header (trailing CR/LF cut) in
 * the struct http_retry_after given as CURLOPT_HEADERDATA; every other header is passed over. */
size_t http_retry_after_header(char *buf, size_t size, size_t nmemb, void *userdata);

/* Appends the header line h to *headers. Returns 0 or -ENOMEM (*headers unchanged). */
int http_header_append(struct curl_slist **headers, const char *h);

/* An answer's body: the first HTTP_ANSWER_KEEP_BYTES kept (NUL-terminated) for the log; past
 * HTTP_ANSWER_MAX_BYTES in all the transfer is cut (cut set, curl ends with CURLE_WRITE_ERROR and
 * the status line already read stands). Reset before each attempt. */
struct http_answer {
	char kept[HTTP_ANSWER_KEEP_BYTES + 1];
	size_t kept_len;
	uint64_t read_bytes;
	bool cut;
};
/* A CURLOPT_WRITEFUNCTION filling the struct http_answer given as CURLOPT_WRITEDATA. */
size_t http_answer_body(char *ptr, size_t size, size_t nmemb, void *userdata);
/* True when result is a transfer that ended with an HTTP answer: CURLE_OK, or cut by
 * http_answer_body. */
bool http_answered(CURLcode result, const struct http_answer *a);

/* What one transfer reads back: its answer's body (bounded), its Retry-After and curl's message.
 * Embedded in a job; http_received_reset before each attempt. */
struct http_received {
	struct http_answer answer;
	struct http_retry_after retry_after;
	char errbuf[CURL_ERROR_SIZE];
};
void http_received_reset(struct http_received *r);

/* Sets on e what every transfer of memhook's has: url (kept by the caller), protocols ("http,https"
 * or "https"), redirects never followed, memhook's User-Agent, timeout_usec (at least 1 ms) to
 * connect and in all, no signals, and r to read the reply into. */
void http_easy_setup(CURL *e, const char *url, const char *protocols, uint64_t timeout_usec,
                     struct http_received *r);

/* The CURLOPT_NOPROXY list: loopback (localhost, 127.0.0.0/8, ::1) never goes through a proxy,
 * followed by user_no_proxy (the NO_PROXY or no_proxy value, NULL: none), which CURLOPT_NOPROXY
 * would otherwise replace; "*" alone stays "*" (no proxy at all). NULL when out of memory. */
char *http_noproxy_list(const char *user_no_proxy);

/* What a transfer's CURLOPT_PRIVATE points to: done is called once the transfer has finished (its
 * handle already removed from the multi handle), with curl's result. Embed it in the job. */
struct http_transfer {
	void (*done)(struct http_transfer *t, CURLcode result);
};

/* Loads and initialises libcurl (once per process) and a multi handle with at most
 * max_connections connections; reads NO_PROXY (else no_proxy) for http_noproxy_list. Returns 0, -ENOPKG
 * (libcurl missing: err says why), -EIO or -ENOMEM. */
int http_multi_new(struct loop *l, long max_connections, struct http_multi **ret, char *err, size_t err_size);
/* Aborts what is in flight without calling done. NULL ok. */
void http_multi_free(struct http_multi *h);

/* Starts easy (its CURLOPT_PRIVATE set to t, which must outlive the transfer; its CURLOPT_NOPROXY
 * to the list of NO_PROXY read by http_multi_new). Returns 0 or -EIO. */
int http_multi_add(struct http_multi *h, CURL *easy, struct http_transfer *t);
/* Takes easy out before it finished (done is not called). */
void http_multi_remove(struct http_multi *h, CURL *easy);
