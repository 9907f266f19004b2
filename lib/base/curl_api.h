/* libcurl, loaded with dlopen on the first webhook. An idle memhook never maps libcurl and the
 * ~35 libraries it pulls in (TLS, GSSAPI, LDAP...): 7.3 MiB of RSS on loading alone, 9.7 MiB once
 * initialised, against ~3 MiB for all of memhook without it (tests/bench/README.md). */
#pragma once

#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stddef.h>

struct curl_api {
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode code);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *m, CURLMoption opt, ...);
	CURLMcode (*multi_add_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_remove_handle)(CURLM *m, CURL *h);
	CURLMcode (*multi_socket_action)(CURLM *m, curl_socket_t s, int ev_bitmask, int *running);
	CURLMcode (*multi_assign)(CURLM *m, curl_socket_t s, void *sockp);
	CURLMsg *(*multi_info_read)(CURLM *m, int *msgs_in_queue);
	CURLMcode (*multi_cleanup)(CURLM *m);
	const char *(*multi_strerror)(CURLMcode code);
	struct curl_slist *(*slist_append)(struct curl_slist *list, const char *s);
	void (*slist_free_all)(struct curl_slist *list);
};

/* Filled by curl_api_load(); all NULL before. */
extern struct curl_api curl_api;

/* Loads libcurl.so.4 and resolves every function (once; later calls return at once).
 * Returns 0, or -ENOPKG with dlerror()'s text in err. */
int curl_api_load(char *err, size_t err_size);

/* Loads libcurl (curl_api_load) and counts one more user of its process-wide state: the first
 * runs curl_global_init. Returns 0, or -ENOPKG / -EIO with the reason in err. */
int curl_api_global_acquire(char *err, size_t err_size);
/* One user less: the last runs curl_global_cleanup. */
void curl_api_global_release(void);
