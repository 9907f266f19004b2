/* libcurl's multi interface on the loop: its sockets and its timer are handed to the loop, and each
 * finished transfer is handed back to whoever added it. Shared by the webhook queue (webhook.c)
 * and the Kubernetes Events client (kube_events.c); neither blocks nor sleeps. libcurl is loaded
 * (curl_api.h) and curl_global_init runs on the first http_multi_new, so an idle memhook never
 * maps it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "base/curl_api.h"

struct loop;
struct http_multi;

/* A Retry-After value is at most this long (an HTTP date is 29 characters, delta-seconds fewer);
 * a longer one is taken as none. */
#define RETRY_AFTER_MAX_CHARS 63

/* The Retry-After header of a response, as http_retry_after_header keeps it. */
struct http_retry_after {
	bool has;
	char value[RETRY_AFTER_MAX_CHARS + 1];
};

/* A CURLOPT_HEADERFUNCTION that keeps the value of a Retry-After header (trailing CR/LF cut) in
 * the struct http_retry_after given as CURLOPT_HEADERDATA; every other header is passed over. */
size_t http_retry_after_header(char *buf, size_t size, size_t nmemb, void *userdata);

/* What a transfer's CURLOPT_PRIVATE points to: done is called once the transfer has finished (its
 * handle already removed from the multi handle), with curl's result. Embed it in the job. */
struct http_transfer {
	void (*done)(struct http_transfer *t, CURLcode result);
};

/* Loads and initialises libcurl (once per process) and a multi handle with at most
 * max_connections connections. Returns 0, -ENOPKG (libcurl missing: err says why), -EIO or
 * -ENOMEM. */
int http_multi_new(struct loop *l, long max_connections, struct http_multi **ret, char *err, size_t err_size);
/* Aborts what is in flight without calling done. NULL ok. */
void http_multi_free(struct http_multi *h);

/* Starts easy (its CURLOPT_PRIVATE set to t, which must outlive the transfer). Returns 0 or -EIO. */
int http_multi_add(struct http_multi *h, CURL *easy, struct http_transfer *t);
/* Takes easy out before it finished (done is not called). */
void http_multi_remove(struct http_multi *h, CURL *easy);
