#include "delivery/kube_api.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "output/kube_event.h"

#include "base/curl_calls.h" /* every libcurl call through the table curl_api_load() fills */

const char *kube_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

ssize_t kube_read_small_file(const char *path, char *buf, size_t size, struct stat *ret_st)
{
	ssize_t n = read_regular_file(path, buf, size, ret_st);
	if (n < 0)
		return n;
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	buf[n] = '\0';
	return n;
}

int kube_api_config_from_env(struct kube_api_config *cfg, const char *what, char *url_buf, size_t url_size,
                             char *err, size_t err_size)
{
	*cfg = (struct kube_api_config){
		.api_url = kube_env("MEMHOOK_KUBERNETES_API"),
		.token_file = kube_env("MEMHOOK_KUBERNETES_TOKEN_FILE"),
		.ca_file = kube_env("MEMHOOK_KUBERNETES_CA_FILE"),
	};
	if (!cfg->token_file)
		cfg->token_file = KUBE_TOKEN_FILE;
	if (!cfg->ca_file)
		cfg->ca_file = KUBE_CA_FILE;
	if (!cfg->api_url) {
		int r = kube_api_url(kube_env("KUBERNETES_SERVICE_HOST"), kube_env("KUBERNETES_SERVICE_PORT"),
		                     url_buf, url_size);
		if (r < 0) {
			snprintf(err, err_size,
			         "%s: no API server: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT %s "
			         "(or "
			         "set MEMHOOK_KUBERNETES_API)",
			         what, r == -EINVAL ? "are not set to a host and a port" : "are too long");
			return -EINVAL;
		}
		cfg->api_url = url_buf;
	}
	if (strncmp(cfg->api_url, "https://", 8) != 0) {
		snprintf(err, err_size, "%s: the API server URL must be https:// (TLS is verified)", what);
		return -EINVAL;
	}
	return 0;
}

int kube_token_refresh(struct kube_token *t)
{
	struct stat st;
	if (stat(t->file, &st) < 0) {
		int r = -errno;
		kube_token_wipe(t);
		return r;
	}
	if (t->loaded && st.st_ino == t->st.st_ino && st.st_dev == t->st.st_dev &&
	    st.st_size == t->st.st_size && st.st_mtim.tv_sec == t->st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == t->st.st_mtim.tv_nsec)
		return 0;
	if (t->st.st_ino)
		log_debug("kubernetes: reading the token %s again", t->file);
	t->loaded = false;
	ssize_t n = kube_read_small_file(t->file, t->value, sizeof(t->value), &t->st);
	if (n <= 0) {
		kube_token_wipe(t);
		return n == 0 ? -ENODATA : (int)n;
	}
	if (strpbrk(t->value, "\r\n")) {
		kube_token_wipe(t);
		return -EINVAL;
	}
	t->loaded = true;
	return 0;
}

void kube_token_forget(struct kube_token *t)
{
	t->loaded = false;
}

void kube_token_wipe(struct kube_token *t)
{
	OPENSSL_cleanse(t->value, sizeof(t->value));
	t->loaded = false;
}

int kube_api_setup(CURL *e, const char *url, const struct kube_token *t, const char *ca_file,
                   const char *content_type, uint64_t timeout_usec, struct http_received *r,
                   struct curl_slist **headers)
{
	_cleanup_free_ char *auth = NULL;
	if (asprintf(&auth, "Authorization: Bearer %s", t->value) < 0)
		return -ENOMEM;
	int ret = http_header_append(headers, auth);
	OPENSSL_cleanse(auth, strlen(auth));
	if (ret < 0 || (content_type && (ret = http_header_append(headers, content_type)) < 0) ||
	    (ret = http_header_append(headers, "Accept: application/json")) < 0 ||
	    (ret = http_header_append(headers, "Expect:")) < 0)
		return ret < 0 ? ret : -ENOMEM;
	http_easy_setup(e, url, "https", timeout_usec, r);
	curl_easy_setopt(e, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *headers);
	return 0;
}
