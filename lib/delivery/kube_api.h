/* The in-cluster connection to the Kubernetes API server that the Events client (kube_events.h)
 * and the pod watch (daemon/pod_watch.h) share: the server's URL, the service account's token
 * (read again when kubelet rotates it), the CA its certificate is verified with, and a request
 * set up with them on libcurl. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/curl_api.h"
#include "base/defaults.h"
#include "delivery/http_multi.h"

struct kube_api_config {
	const char *api_url;    /* "https://host:port" */
	const char *token_file; /* read at start and again whenever it changes (rotation) */
	const char *ca_file;    /* the CA bundle the API server's certificate is verified with */
};

/* Fills cfg from the environment: MEMHOOK_KUBERNETES_API (else https://KUBERNETES_SERVICE_HOST:
 * KUBERNETES_SERVICE_PORT, written into url_buf), MEMHOOK_KUBERNETES_TOKEN_FILE and
 * MEMHOOK_KUBERNETES_CA_FILE (else the service account's files). The strings point into the
 * environment or url_buf. Returns 0 or -EINVAL with the reason in err, after "what: ". */
int kube_api_config_from_env(struct kube_api_config *cfg, const char *what, char *url_buf, size_t url_size,
                             char *err, size_t err_size);

/* The value of an environment variable, NULL when unset or empty. */
const char *kube_env(const char *name);

/* Reads a small text file into buf (NUL-terminated, trailing whitespace cut; read_regular_file).
 * Returns its length, -EBADFD, -EFBIG or -errno. */
ssize_t kube_read_small_file(const char *path, char *buf, size_t size, struct stat *ret_st);

/* The service account's token, read again when its file's inode, size or mtime changed (kubelet
 * rotates projected tokens by swapping a symlink) or after kube_token_forget (a 401). */
struct kube_token {
	const char *file;
	char value[KUBE_TOKEN_MAX_BYTES + 1];
	bool loaded;
	struct stat st; /* of the file read */
};

/* Makes value current: stats the file and reads it when it changed (or when not loaded). Returns
 * 0, -ENODATA (empty), -EINVAL (a line break inside: a header must not be split) or -errno; on
 * failure value is wiped. */
int kube_token_refresh(struct kube_token *t);
/* The next refresh reads the file whatever its stat says. */
void kube_token_forget(struct kube_token *t);
/* Wipes the token from memory. */
void kube_token_wipe(struct kube_token *t);

/* Sets up e for a request to url (https only, verified against ca_file) with the token as a
 * bearer, "Accept: application/json" and the extra header line content_type (NULL: none),
 * appended to *headers (freed by the caller, after the transfer), the reply read into r and
 * timeout_usec to connect and in all (http_easy_setup). Returns 0 or -ENOMEM. */
int kube_api_setup(CURL *e, const char *url, const struct kube_token *t, const char *ca_file,
                   const char *content_type, uint64_t timeout_usec, struct http_received *r,
                   struct curl_slist **headers);
