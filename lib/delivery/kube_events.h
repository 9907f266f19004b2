/* Kubernetes Events: memhook's entered, left, normal, oom_kill and target_lost events as
 * events.k8s.io/v1 Events regarding the pod, created with the service account's token over
 * verified TLS, on http_multi (never blocking the loop). One request at a time, in order, from a
 * bounded queue; a repeat of the same reason at the same level within a few minutes PATCHes the
 * existing Event's series instead of creating another. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output/kube_event.h"
#include "policy/event.h"
#include "policy/sample.h"

struct loop;
struct kube_events;

struct kube_events_config {
	const char *api_url;    /* "https://host:port", no trailing slash */
	const char *token_file; /* read at start and again whenever it changes (rotation) */
	const char *ca_file;    /* the CA bundle the API server's certificate is verified with */
	const char *pod_name;   /* regarding.name, reportingInstance, the prefix of Event names */
	const char *pod_namespace;
	const char *pod_uid; /* NULL: regarding.uid is left out */
	bool dry_run;        /* log what would be sent; send nothing */
};

/* posted == sent + failed + dropped + kube_events_pending() at every moment. */
struct kube_events_stats {
	uint64_t posted;  /* events taken (of the kinds that are sent) */
	uint64_t sent;    /* created (201) or their series patched (200) */
	uint64_t failed;  /* given up: 403, another 4xx, the last retry, TLS or token trouble */
	uint64_t dropped; /* pushed out of a full queue */
};

/* Fills cfg from the environment: MEMHOOK_KUBERNETES_API (else https://KUBERNETES_SERVICE_HOST:
 * KUBERNETES_SERVICE_PORT), MEMHOOK_KUBERNETES_TOKEN_FILE, MEMHOOK_KUBERNETES_CA_FILE (else the
 * service account's files), POD_NAME, POD_NAMESPACE (else the service account's namespace file,
 * read into ns_buf), POD_UID. The strings point into the environment or the buffers. Returns 0
 * or -EINVAL with the reason in err. */
int kube_events_config_from_env(struct kube_events_config *cfg, char *url_buf, size_t url_size, char *ns_buf,
                                size_t ns_size, char *err, size_t err_size);

/* Copies cfg. libcurl is loaded on the first event. Returns 0 or -ENOMEM. */
int kube_events_new(struct loop *l, const struct kube_events_config *cfg, struct kube_events **ret);
/* Aborts what is queued or in flight (logged with a count). NULL ok. */
void kube_events_free(struct kube_events *k);

/* Queues the Event of ev (a kind that is not sent is ignored; returns 0). s: the sample it
 * carries, or NULL. Never blocks. Returns 0 or -errno (logged). */
int kube_events_post(struct kube_events *k, const struct event *ev, const char *level_name,
                     const char *previous_level_name, const struct sample *s);

/* kube_events_post regarding pod (NULL: the config's pod) instead, in pod's namespace (creating
 * Events in another namespace than memhook's needs a ClusterRole). Returns 0 or -errno (-EINVAL:
 * a pod without a name or namespace). */
int kube_events_post_about(struct kube_events *k, const struct kube_pod *pod, const struct event *ev,
                           const char *level_name, const char *previous_level_name, const struct sample *s);

/* An Event of memhook's own word about pod (NULL: the config's): reason ("BadAnnotation",
 * UpperCamelCase, at most 128), type "Normal" or "Warning", note (cut at 1 kB, control characters
 * made spaces). The same note about the same pod within KUBE_EVENTS_SERIES_WINDOW_USEC repeats the
 * Event's series. Returns 0 or -EINVAL (a bad reason, type or pod) / -ENOMEM. */
int kube_events_post_note(struct kube_events *k, const struct kube_pod *pod, const char *reason,
                          const char *type, const char *note);

size_t kube_events_pending(const struct kube_events *k);
void kube_events_get_stats(const struct kube_events *k, struct kube_events_stats *ret);
