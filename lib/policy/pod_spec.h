/* What a pod asks of `memhook node` through its memhook.io/ annotations, interpreted. Pure: the
 * annotations, the pod's IP and its containers' names in, a struct pod_settings out.
 *
 *   memhook.io/policy: NAME         a policy of the --policy-dir directory (DIR/NAME or DIR/NAME.json)
 *   memhook.io/policy-json: {...}   a policy inline (validated here, errors "memhook.io/policy-json:L:C:
 * ...") memhook.io/webhook: URL         http(s); "$(POD_IP)" is replaced by the pod's IP ([IP] for IPv6)
 *   memhook.io/containers: a,b      the containers watched (names of the pod's); absent: all
 *
 * A bad annotation is left out (as if absent) and said in error: never a stop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define POD_ANNOTATION_PREFIX      "memhook.io/"
#define POD_ANNOTATION_POLICY      "memhook.io/policy"
#define POD_ANNOTATION_POLICY_JSON "memhook.io/policy-json"
#define POD_ANNOTATION_WEBHOOK     "memhook.io/webhook"
#define POD_ANNOTATION_CONTAINERS  "memhook.io/containers"
/* The placeholder memhook.io/webhook may hold, as Kubernetes writes dependent variables. */
#define POD_IP_PLACEHOLDER "$(POD_IP)"

/* The containers memhook.io/containers may name at most (a pod rarely has more than a few). */
#define POD_SPEC_CONTAINERS_MAX 16
/* A container name is a DNS label: at most 63 characters. */
#define POD_CONTAINER_NAME_MAX_CHARS 63
/* A ConfigMap key: at most 253 characters of [-._a-zA-Z0-9]. */
#define POD_POLICY_NAME_MAX_CHARS 253
#define POD_WEBHOOK_URL_MAX_CHARS 1023

struct pod_annotation {
	const char *key;
	const char *value;
};

struct pod_settings {
	bool opted_in;                                   /* any memhook.io/ annotation, good or bad */
	char policy_name[POD_POLICY_NAME_MAX_CHARS + 3]; /* memhook.io/policy ("" when none) */
	char *policy_json; /* memhook.io/policy-json (malloc'ed; NULL when none) */
	char webhook_url[POD_WEBHOOK_URL_MAX_CHARS + 1]; /* with $(POD_IP) filled in ("" when none, or
	                                                  * while the pod has no IP: webhook_waits_ip) */
	bool webhook_waits_ip; /* the URL names $(POD_IP) and the pod has none yet */
	size_t n_containers;   /* memhook.io/containers; 0: all */
	char containers[POD_SPEC_CONTAINERS_MAX][POD_CONTAINER_NAME_MAX_CHARS + 1];
	char error[256];   /* the first bad annotation: what and where ("" when fine) */
	unsigned n_errors; /* bad annotations in all (error names the first) */
};

/* Interprets the n annotations of a pod (other prefixes than memhook.io/ are passed over) whose IP
 * is pod_ip ("" or NULL: none yet) and whose containers (spec.containers and spec.initContainers)
 * are the n_names names. *ret is overwritten (call pod_settings_free on it before reuse). Returns 0
 * (bad annotations are in ret->error) or -ENOMEM (*ret freed and zeroed). */
int pod_spec_parse(const struct pod_annotation *annotations, size_t n, const char *pod_ip,
                   const char *const *names, size_t n_names, struct pod_settings *ret);

/* Frees policy_json and zeroes s. NULL ok. */
void pod_settings_free(struct pod_settings *s);

/* A deep copy (policy_json duplicated). Returns 0 or -ENOMEM (*ret zeroed). */
int pod_settings_copy(const struct pod_settings *s, struct pod_settings *ret);
/* True when a and b ask the same (policy_json compared as text). */
bool pod_settings_equal(const struct pod_settings *a, const struct pod_settings *b);

/* True when memhook.io/containers selects the container named name (all do when it is absent). */
bool pod_settings_selects(const struct pod_settings *s, const char *name);

/* True when entry, a file name of the policy directory, is the file of the policy NAME: "NAME"
 * or "NAME.json". */
bool pod_policy_file_is(const char *entry, const char *name);
