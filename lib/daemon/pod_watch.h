/* The node's pods, from the API server (`memhook node`): a list and watch of
 * /api/v1/pods?fieldSelector=spec.nodeName=NODE (delivery/kube_watch.h), each pod turned into a
 * struct pod_info (its identity, its containers' IDs, its memhook.io/ annotations interpreted by
 * policy/pod_spec.h) and handed to the caller:
 *
 *   pod_changed  a pod listed, added, or modified in what pod_info holds (a watch's MODIFIED
 *                that changes nothing in it, like most status updates, is not reported)
 *   pod_deleted  a pod deleted, or gone from a relist
 *   synced       a list is complete: every pod on the node has been reported since the list
 *                began (pod_deleted already said which known pods it no longer has)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/pod_spec.h"

struct loop;
struct cJSON;
struct pod_watch;

/* Containers of a pod reported (spec.containers and spec.initContainers' statuses; native
 * sidecars are init containers). */
#define POD_CONTAINERS_MAX 32

struct pod_container_info {
	char name[64];
	char id[65]; /* 64 hex, the runtime prefix ("containerd://", "cri-o://", "docker://") cut;
	              * "" while the container has not started */
};

struct pod_info {
	char uid[40], namespace[64], name[256], ip[48]; /* ip: status.podIP ("" until it has one) */
	size_t n_containers;
	struct pod_container_info containers[POD_CONTAINERS_MAX];
	struct pod_settings settings; /* the memhook.io/ annotations, interpreted */
};

struct pod_watch_ops {
	void (*pod_changed)(void *ctx,
	                    const struct pod_info *pod); /* added or modified (also after a relist) */
	void (*pod_deleted)(void *ctx, const char *uid);
	void (*synced)(void *ctx); /* a list finished */
};

struct pod_watch_config {
	const char *api_url, *token_file, *ca_file; /* delivery/kube_api.h: kube_api_config_from_env */
	const char *node_name;                      /* NODE_NAME (the Downward API: spec.nodeName) */
	/* 0: the defaults (defaults.h KUBE_WATCH_*); tests make them short */
	uint64_t watch_timeout_usec, stall_margin_usec, backoff_usec;
	size_t line_max_bytes;
};

/* Starts listing the node's pods on l at once. Copies cfg. Returns 0, -EINVAL (no node name),
 * -ENOPKG (libcurl missing) or -ENOMEM. */
int pod_watch_new(struct loop *l, const struct pod_watch_config *cfg, const struct pod_watch_ops *ops,
                  void *ctx, struct pod_watch **ret);
/* NULL ok. Not from one of its callbacks. */
void pod_watch_free(struct pod_watch *w);

/* The pods known now (reported and not deleted). */
size_t pod_watch_count(const struct pod_watch *w);
/* The pod of uid, or NULL; valid until the next callback. */
const struct pod_info *pod_watch_find(const struct pod_watch *w, const char *uid);
struct kube_watch_stats;
void pod_watch_get_stats(const struct pod_watch *w, struct kube_watch_stats *ret);

/* Pure: a Pod object (JSON) into *ret (overwritten: pod_info_free it after). Returns 0, -EINVAL
 * (no metadata.uid, name or namespace, or one too long: the pod cannot be told apart) or -ENOMEM.
 * Bad annotations are not an error: ret->settings.error says them. */
int pod_info_parse(const struct cJSON *pod, struct pod_info *ret);
void pod_info_free(struct pod_info *p);
/* True when a and b hold the same. */
bool pod_info_equal(const struct pod_info *a, const struct pod_info *b);

/* A containerID of a status ("containerd://<64 hex>") into its 64 hex (lowercase), "" when it is
 * not one. */
void pod_container_id(const char *container_id, char ret[65]);
