/* memhook node's insides, shared by node.c (the containers, signals, the stop) and node_http.c
 * (its endpoints). Nothing outside lib/daemon/node*.c includes it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "daemon/monitor.h"
#include "daemon/node.h"
#include "kernel/hostmem.h"
#include "kernel/pod_cgroup.h"
#include "output/http_server.h"
#include "output/kube_event.h"
#include "policy/pod_spec.h"
#include "output/payload.h"

/* The container's short name without the API server: its ID's first 12 hex digits (as docker ps
 * and crictl show it). */
#define NODE_SHORT_ID_LEN 12
/* Webhooks queued per container: a container's receiver is its own app; 64 cover a burst of level
 * steps (the sidecar's 1024 would cost 500 containers ~ 8 MiB of queue slots when full). */
#define NODE_WEBHOOK_QUEUE_CAP 64
/* The containers' checks fall on 20 slots of the interval (50 ms apart at 1 s), taken in turn: 20
 * wakeups a second for any number of containers, and at 500 containers 25 checks a slot (0.7 ms on
 * a 2-core VM): a kernel threshold notification waits for at most one slot's checks, where one
 * burst of all 500 delayed it by up to 15 ms. */
#define NODE_TICK_SLOTS 20
/* cgroup v1, a container without a limit of its own (besteffort): the limit it inherits from its
 * pod and QoS level read at every 10th check (10 s at the default interval): a pod's limit changes
 * on a resize, rarely, and reading it every check was half of 500 idle containers' CPU. */
#define NODE_V1_INHERITED_LIMIT_EVERY 10

/* One container cgroup found under the root, and its monitor. */
struct node_container {
	char *path; /* the cgroup directory */
	struct pod_cgroup pc;
	char short_id[NODE_SHORT_ID_LEN + 1];
	char about[POD_UID_SIZE + 384]; /* "pod UID container SHORT", or "NS/POD/NAME": the log's */
	struct payload_origin origin;   /* its strings point into this struct */
	struct monitor *monitor;        /* NULL: not watched (waiting for its pod, filtered, failed) */
	/* With the pod watch (node_pods.c): the pod's and the container's names, the settings the
	 * monitor was made with (a change of them makes it again) */
	char name[64], pod_name[256], pod_ns[64];
	struct kube_pod kpod;
	struct pod_settings used;
	bool decided; /* its pod was seen with its ID: watched, or left out on purpose */
	bool gone;    /* its cgroup was removed; its monitor waits for the container's restart */
};

/* The last bad annotation said of a pod (a log line and an Event once per change). */
struct node_pod_error {
	char uid[POD_UID_SIZE];
	char error[256];
};

struct node {
	const struct node_config *cfg;
	struct loop *loop;
	struct cgroup_tree *tree;
	struct node_container **containers;
	size_t n_containers, cap_containers;
	struct http_server *http;    /* --listen; NULL: off */
	struct event_stream *stream; /* GET /events, with --listen: every container's events */
	struct http_route routes[4]; /* --listen's: /metrics, /healthz, /readyz, /events (the stream's) */
	struct hostmem meminfo;      /* /proc/meminfo, one fd for every monitor */
	int signal_fd;
	unsigned next_tick_slot; /* the slot of the next container's checks */
	bool started;            /* the first walk is done: /readyz */
	bool paused;
	bool stop_now;
	bool curl_held; /* libcurl loaded at start (the policy sends webhooks) */
	/* the pod watch (node_pods.c); NULL with --no-kubernetes-api */
	struct pod_watch *pods;
	struct kube_events *kube;     /* Events about the containers' pods; NULL: off */
	struct dir_watch *policy_dir; /* --policy-dir: a changed file reloads the pods that name it */
	struct node_pod_error *pod_errors;
	size_t n_pod_errors;
};

/* The configuration of c's monitor. */
void node_container_config(struct node *n, struct node_container *c, struct monitor_config *ret);
/* Starts watching c with policy p (taken). Returns 0 or -errno (logged). */
int node_container_watch(struct node *n, struct node_container *c, struct policy *p);
/* Frees c's monitor (its queued webhooks with it). */
void node_container_unwatch(struct node_container *c);

/* The pod watch (node_pods.c): started when the node has an API server. Returns 0 or -errno
 * (logged). */
int node_pods_start(struct node *n);
void node_pods_stop(struct node *n);
/* SIGHUP: every watched container's policy loaded again from where its pod names it (its file of
 * --policy-dir, inline, --policy, the embedded default). */
void node_pods_reload(struct node *n);
/* A container cgroup appeared: watched once its pod names it (at once when the pod is known). */
void node_pods_container_added(struct node *n, struct node_container *c);

struct pod_info;
/* Pure: whether a and b ask for the same policy, webhook and containers (a change of anything else
 * of the pod, a new IP or another container started, leaves its monitors as they are). */
bool node_pod_settings_same(const struct pod_settings *a, const struct pod_settings *b);
/* Pure: the name of the container of ID container_id in pod, or NULL when the pod does not list it
 * (yet: a status comes after the cgroup; or never: the pod's sandbox). */
const char *node_pod_container_name(const struct pod_info *pod, const char *container_id);
/* Pure: whether memhook.io/containers (s) takes the container called name (none named: all). */
bool node_pod_takes(const struct pod_settings *s, const char *name);

/* --listen: the endpoints (node_http.c). Returns 0 or -errno (logged). */
int node_http_start(struct node *n);
/* Closes the listener (its /events subscribers leave the stream). NULL fields ok. */
void node_http_stop(struct node *n);
/* Frees the event stream, after every monitor let go of it. */
void node_http_free_stream(struct node *n);
