/* The node's pods (pod_watch.h): kube_watch's objects turned into struct pod_info, kept by UID so
 * that a MODIFIED that changes nothing memhook reads is not reported and a relist can say which
 * pods went while no watch ran. */
#include "daemon/pod_watch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/util.h"
#include "delivery/kube_watch.h"

struct known {
	struct pod_info info;
	bool seen; /* in the list running */
};

struct pod_watch {
	struct kube_watch *kw;
	struct pod_watch_ops ops;
	void *ctx;
	struct known **pods;
	size_t n, cap;
	bool listing;
	bool full_warned;
};

/* ---- a Pod object ---- */

void pod_container_id(const char *container_id, char ret[65])
{
	ret[0] = '\0';
	const char *sep = container_id ? strstr(container_id, "://") : NULL;
	const char *hex = sep ? sep + 3 : container_id;
	if (!hex || strlen(hex) != 64)
		return;
	for (size_t i = 0; i < 64; i++) {
		char c = hex[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			ret[0] = '\0';
			return;
		}
		ret[i] = c;
	}
	ret[64] = '\0';
}

/* The string member key of o into buf when it fits (else -EINVAL); absent: "" (or -EINVAL when required). */
static int get_str(const cJSON *o, const char *key, char *buf, size_t size, bool required)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	buf[0] = '\0';
	if (!it)
		return required ? -EINVAL : 0;
	if (!cJSON_IsString(it) || strlen(it->valuestring) >= size || (required && !it->valuestring[0]))
		return -EINVAL;
	strcpy(buf, it->valuestring);
	return 0;
}

static void add_statuses(struct pod_info *p, const cJSON *statuses)
{
	const cJSON *st;
	cJSON_ArrayForEach(st, statuses)
	{
		struct pod_container_info c;
		if (p->n_containers == POD_CONTAINERS_MAX ||
		    get_str(st, "name", c.name, sizeof(c.name), true) < 0)
			continue;
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(st, "containerID");
		pod_container_id(cJSON_IsString(id) ? id->valuestring : NULL, c.id);
		p->containers[p->n_containers++] = c;
	}
}

/* The names of the pod's containers (spec, else the statuses) into names (pointing into pod). */
static size_t container_names(const cJSON *pod, const char **names, size_t max)
{
	static const char *const where[][2] = {
		{ "spec", "containers" },
		{ "spec", "initContainers" },
		{ "status", "containerStatuses" },
		{ "status", "initContainerStatuses" },
	};
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(where); i++) {
		if (i == 2 && n > 0)
			break; /* the spec said them */
		const cJSON *part = cJSON_GetObjectItemCaseSensitive(pod, where[i][0]);
		const cJSON *c;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(part, where[i][1]))
		{
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
			if (cJSON_IsString(name) && n < max)
				names[n++] = name->valuestring;
		}
	}
	return n;
}

int pod_info_parse(const cJSON *pod, struct pod_info *ret)
{
	*ret = (struct pod_info){ .n_containers = 0 };
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(pod, "status");
	if (get_str(md, "uid", ret->uid, sizeof(ret->uid), true) < 0 ||
	    get_str(md, "namespace", ret->namespace, sizeof(ret->namespace), true) < 0 ||
	    get_str(md, "name", ret->name, sizeof(ret->name), true) < 0)
		return -EINVAL;
	if (get_str(status, "podIP", ret->ip, sizeof(ret->ip), false) < 0)
		ret->ip[0] = '\0';
	add_statuses(ret, cJSON_GetObjectItemCaseSensitive(status, "containerStatuses"));
	add_statuses(ret, cJSON_GetObjectItemCaseSensitive(status, "initContainerStatuses"));

	const char *names[2 * POD_CONTAINERS_MAX];
	size_t n_names = container_names(pod, names, ARRAY_SIZE(names));
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
	size_t n = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, ann) if (a->string && strncmp(a->string, POD_ANNOTATION_PREFIX,
	                                                    strlen(POD_ANNOTATION_PREFIX)) == 0) n++;
	struct pod_annotation *list = n ? calloc(n, sizeof(*list)) : NULL;
	if (n && !list)
		return -ENOMEM;
	size_t i = 0;
	cJSON_ArrayForEach(a, ann)
	{
		if (i < n && a->string &&
		    strncmp(a->string, POD_ANNOTATION_PREFIX, strlen(POD_ANNOTATION_PREFIX)) == 0)
			list[i++] =
			        (struct pod_annotation){ a->string, cJSON_IsString(a) ? a->valuestring : "" };
	}
	int r = pod_spec_parse(list, i, ret->ip, names, n_names, &ret->settings);
	free(list);
	return r;
}

void pod_info_free(struct pod_info *p)
{
	if (p)
		pod_settings_free(&p->settings);
}

bool pod_info_equal(const struct pod_info *a, const struct pod_info *b)
{
	if (strcmp(a->uid, b->uid) != 0 || strcmp(a->namespace, b->namespace) != 0 ||
	    strcmp(a->name, b->name) != 0 || strcmp(a->ip, b->ip) != 0 || a->n_containers != b->n_containers)
		return false;
	for (size_t i = 0; i < a->n_containers; i++)
		if (strcmp(a->containers[i].name, b->containers[i].name) != 0 ||
		    strcmp(a->containers[i].id, b->containers[i].id) != 0)
			return false;
	return pod_settings_equal(&a->settings, &b->settings);
}

/* ---- the set of known pods ---- */

static size_t find(const struct pod_watch *w, const char *uid)
{
	for (size_t i = 0; i < w->n; i++)
		if (strcmp(w->pods[i]->info.uid, uid) == 0)
			return i;
	return SIZE_MAX;
}

static void forget(struct pod_watch *w, size_t i)
{
	char uid[sizeof(w->pods[i]->info.uid)];
	strcpy(uid, w->pods[i]->info.uid);
	pod_info_free(&w->pods[i]->info);
	free(w->pods[i]);
	w->pods[i] = w->pods[--w->n];
	w->ops.pod_deleted(w->ctx, uid);
}

static void on_list_begin(void *ctx)
{
	struct pod_watch *w = ctx;
	w->listing = true;
	for (size_t i = 0; i < w->n; i++)
		w->pods[i]->seen = false;
}

static void on_list_end(void *ctx)
{
	struct pod_watch *w = ctx;
	w->listing = false;
	for (size_t i = w->n; i-- > 0;)
		if (!w->pods[i]->seen)
			forget(w, i);
	w->ops.synced(w->ctx);
}

static void on_object(void *ctx, enum kube_watch_type type, const cJSON *obj)
{
	struct pod_watch *w = ctx;
	struct pod_info p;
	int r = pod_info_parse(obj, &p);
	if (r < 0) {
		log_debug("pod watch: a pod passed over: %s",
		          r == -ENOMEM ? "out of memory" : "no uid, name or namespace");
		return;
	}
	size_t i = find(w, p.uid);
	if (type == KUBE_WATCH_DELETED) {
		pod_info_free(&p);
		if (i != SIZE_MAX)
			forget(w, i);
		return;
	}
	if (i == SIZE_MAX) {
		if (w->n == POD_WATCH_PODS_MAX) {
			if (!w->full_warned)
				log_warn("pod watch: more than %d pods on the node; pod %s/%s and later ones "
				         "not taken",
				         POD_WATCH_PODS_MAX, p.namespace, p.name);
			w->full_warned = true;
			pod_info_free(&p);
			return;
		}
		if (w->n == w->cap) {
			size_t ncap = w->cap ? w->cap * 2 : 32;
			struct known **n = realloc(w->pods, ncap * sizeof(*n));
			if (!n) {
				pod_info_free(&p);
				return;
			}
			w->pods = n;
			w->cap = ncap;
		}
		struct known *k = calloc(1, sizeof(*k));
		if (!k) {
			pod_info_free(&p);
			return;
		}
		w->pods[w->n++] = k;
		k->info = p;
		k->seen = true;
		w->ops.pod_changed(w->ctx, &k->info);
		return;
	}
	struct known *k = w->pods[i];
	k->seen = true;
	if (!w->listing && pod_info_equal(&k->info, &p)) {
		pod_info_free(&p);
		return;
	}
	pod_info_free(&k->info);
	k->info = p;
	w->ops.pod_changed(w->ctx, &k->info);
}

/* ---- the watch ---- */

int pod_watch_new(struct loop *l, const struct pod_watch_config *cfg, const struct pod_watch_ops *ops,
                  void *ctx, struct pod_watch **ret)
{
	if (!cfg->node_name || !*cfg->node_name || !ops->pod_changed || !ops->pod_deleted || !ops->synced)
		return -EINVAL;
	struct pod_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ops = *ops;
	w->ctx = ctx;
	_cleanup_free_ char *selector = NULL;
	if (asprintf(&selector, "spec.nodeName=%s", cfg->node_name) < 0) {
		free(w);
		return -ENOMEM;
	}
	struct kube_watch_config kc = {
		.api_url = cfg->api_url,
		.token_file = cfg->token_file,
		.ca_file = cfg->ca_file,
		.path = "/api/v1/pods",
		.field_selector = selector,
		.what = "pod watch",
		.watch_timeout_usec = cfg->watch_timeout_usec,
		.stall_margin_usec = cfg->stall_margin_usec,
		.backoff_usec = cfg->backoff_usec,
		.line_max_bytes = cfg->line_max_bytes,
	};
	static const struct kube_watch_ops kops = {
		.list_begin = on_list_begin,
		.object = on_object,
		.list_end = on_list_end,
	};
	int r = kube_watch_new(l, &kc, &kops, w, &w->kw);
	if (r < 0) {
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

void pod_watch_free(struct pod_watch *w)
{
	if (!w)
		return;
	kube_watch_free(w->kw);
	for (size_t i = 0; i < w->n; i++) {
		pod_info_free(&w->pods[i]->info);
		free(w->pods[i]);
	}
	free(w->pods);
	free(w);
}

size_t pod_watch_count(const struct pod_watch *w)
{
	return w ? w->n : 0;
}

const struct pod_info *pod_watch_find(const struct pod_watch *w, const char *uid)
{
	size_t i = w ? find(w, uid) : SIZE_MAX;
	return i == SIZE_MAX ? NULL : &w->pods[i]->info;
}

void pod_watch_get_stats(const struct pod_watch *w, struct kube_watch_stats *ret)
{
	kube_watch_get_stats(w->kw, ret);
}
