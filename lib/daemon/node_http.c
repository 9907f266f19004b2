/* memhook node's endpoints (--listen): /metrics with one series per watched container, labelled
 * namespace, pod and container; /healthz (every container's checks on time); /readyz (the first walk
 * of the cgroup root is done); /events (every container's events, one stream). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "daemon/node_internal.h"
#include "kernel/cgroup_tree.h"
#include "output/event_stream.h"
#include "output/http_server.h"
#include "output/metrics.h"

/* The labels of c's series: namespace (unknown without the API server: ""), pod (the pod UID
 * without it) and container (the ID's first 12 hex digits without it). malloc'd; NULL on ENOMEM. */
static char *container_labels(const struct node_container *c)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fputs("namespace=\"", f);
	metrics_write_label_value(f, c->origin.pod_namespace ? c->origin.pod_namespace : "");
	fputs("\",pod=\"", f);
	metrics_write_label_value(f, c->origin.pod_name ? c->origin.pod_name : c->origin.pod_uid);
	fputs("\",container=\"", f);
	metrics_write_label_value(f, c->origin.container);
	fputs("\"", f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The node's own families: containers watched and the directories the tree watches. */
static void node_families(FILE *f, void *userdata)
{
	const struct node *n = userdata;
	fprintf(f,
	        "# HELP memhook_node_containers Container cgroups watched under the cgroup root.\n"
	        "# TYPE memhook_node_containers gauge\nmemhook_node_containers %zu\n",
	        n->n_containers);
	fprintf(f,
	        "# HELP memhook_node_watched_directories Directories of the cgroup root watched "
	        "through inotify (the root, the pods' top, QoS levels, pods).\n"
	        "# TYPE memhook_node_watched_directories gauge\nmemhook_node_watched_directories %zu\n",
	        n->tree ? cgroup_tree_watches(n->tree) : 0);
}

static void route_metrics(void *userdata, struct http_reply *ret)
{
	struct node *n = userdata;
	size_t k = 0, cap = n->n_containers;
	struct metrics_view *views = calloc(cap + 1, sizeof(*views));
	const struct metrics_view **vp = calloc(cap + 1, sizeof(*vp));
	char **labels = calloc(cap + 1, sizeof(*labels));
	struct sample *scratch = calloc(cap + 1, sizeof(*scratch));
	if (views && vp && labels && scratch)
		for (size_t i = 0; i < cap; i++) {
			struct node_container *c = n->containers[i];
			if (!c->monitor || !(labels[k] = container_labels(c)))
				continue;
			monitor_metrics_view(c->monitor, &scratch[k], &views[k]);
			vp[k] = &views[k];
			k++;
		}
	struct event_stream_stats st;
	event_stream_get_stats(n->stream, &st);
	const struct metrics_process p = {
		.version = MEMHOOK_VERSION,
		.log_lines_dropped = log_lines_dropped(),
		.events_stream = true,
		.subscribers = st.subscribers,
		.subscribers_cut = st.cut,
		.extra = node_families,
		.extra_userdata = n,
	};
	ret->body = views && vp && labels && scratch
	                    ? metrics_format_many(vp, (const char *const *)labels, k, &p, &ret->len)
	                    : NULL;
	for (size_t i = 0; labels && i < k; i++)
		free(labels[i]);
	free(labels);
	free(vp);
	free(views);
	free(scratch);
	ret->status = ret->body ? 200 : 500;
	ret->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* Healthy when every watched container's checks come on time. */
static void route_healthz(void *userdata, struct http_reply *ret)
{
	struct node *n = userdata;
	char why[768] = "";
	bool ok = true;
	uint64_t now = now_mono_usec();
	for (size_t i = 0; ok && i < n->n_containers; i++) {
		struct node_container *c = n->containers[i];
		char w[160];
		if (c->monitor && !monitor_healthy(c->monitor, now, w, sizeof(w))) {
			ok = false;
			snprintf(why, sizeof(why), "%s: %s", c->about, w);
		}
	}
	http_reply_plain(ret, ok, why);
}

static void route_readyz(void *userdata, struct http_reply *ret)
{
	struct node *n = userdata;
	http_reply_plain(ret, n->started, "the cgroup root is not walked yet\n");
}

int node_http_start(struct node *n)
{
	char err[512];
	n->stream = event_stream_new(n->loop, n->cfg->instance, &event_stream_http_transport);
	if (!n->stream) {
		log_error("--listen: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	n->routes[0] = (struct http_route){ "/metrics", route_metrics, NULL, NULL };
	n->routes[1] = (struct http_route){ "/healthz", route_healthz, NULL, NULL };
	n->routes[2] = (struct http_route){ "/readyz", route_readyz, NULL, NULL };
	n->routes[3] = (struct http_route){ "/events", NULL, &event_stream_http_source, n->stream };
	int r = http_server_new(n->loop, n->cfg->listen, n->routes, ARRAY_SIZE(n->routes), n, &n->http, err,
	                        sizeof(err));
	if (r < 0) {
		log_error("--listen: %s", err);
		return r;
	}
	log_info("listening on http://%s (/metrics, /healthz, /readyz, /events)",
	         http_server_address(n->http));
	return 0;
}

void node_http_stop(struct node *n)
{
	http_server_free(n->http);
	n->http = NULL;
}

void node_http_free_stream(struct node *n)
{
	event_stream_free(n->stream);
	n->stream = NULL;
}
