/* memhook node with the API server: the node's pods (pod_watch.h) decide which containers are
 * watched and how. A container cgroup waits, unwatched, until its pod is known and lists its ID;
 * then its name says whether memhook.io/containers takes it, and its pod's annotations which
 * policy and webhook it gets (pod_policy.h). A change of those annotations makes the pod's monitors
 * again; a bad annotation is a log line and a Kubernetes Event on the pod, never a stop. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dir_watch.h"
#include "base/log.h"
#include "base/util.h"
#include "daemon/node_internal.h"
#include "daemon/pod_watch.h"
#include "delivery/kube_events.h"
#include "policy/pod_policy.h"

bool node_pod_settings_same(const struct pod_settings *a, const struct pod_settings *b)
{
	if (strcmp(a->policy_name, b->policy_name) != 0 || strcmp(a->webhook_url, b->webhook_url) != 0 ||
	    (!a->policy_json) != (!b->policy_json) ||
	    (a->policy_json && strcmp(a->policy_json, b->policy_json) != 0) ||
	    a->n_containers != b->n_containers || a->opted_in != b->opted_in)
		return false;
	for (size_t i = 0; i < a->n_containers; i++)
		if (strcmp(a->containers[i], b->containers[i]) != 0)
			return false;
	return true;
}

const char *node_pod_container_name(const struct pod_info *pod, const char *container_id)
{
	for (size_t i = 0; i < pod->n_containers; i++)
		if (*container_id && strcmp(pod->containers[i].id, container_id) == 0)
			return pod->containers[i].name;
	return NULL;
}

bool node_pod_takes(const struct pod_settings *s, const char *name)
{
	if (!s->n_containers)
		return true;
	for (size_t i = 0; i < s->n_containers; i++)
		if (strcmp(s->containers[i], name) == 0)
			return true;
	return false;
}

/* A bad annotation of pod: said once per new text, in the log and as an Event on the pod. */
static void say_pod_error(struct node *n, const struct pod_info *pod)
{
	struct node_pod_error *e = NULL;
	for (size_t i = 0; i < n->n_pod_errors; i++)
		if (strcmp(n->pod_errors[i].uid, pod->uid) == 0)
			e = &n->pod_errors[i];
	if (!pod->settings.error[0]) {
		if (e)
			*e = n->pod_errors[--n->n_pod_errors];
		return;
	}
	if (e && strcmp(e->error, pod->settings.error) == 0)
		return;
	if (!e) {
		struct node_pod_error *es = realloc(n->pod_errors, (n->n_pod_errors + 1) * sizeof(*es));
		if (!es)
			return;
		n->pod_errors = es;
		e = &es[n->n_pod_errors++];
		snprintf(e->uid, sizeof(e->uid), "%s", pod->uid);
	}
	snprintf(e->error, sizeof(e->error), "%s", pod->settings.error);
	log_warn("pod %s/%s: %s; that annotation is left out", pod->namespace, pod->name,
	         pod->settings.error);
	if (n->kube) {
		struct kube_pod kp = { pod->name, pod->namespace, pod->uid, NULL };
		(void)kube_events_post_note(n->kube, &kp, "BadAnnotation", "Warning", pod->settings.error);
	}
}

/* c's pod is pod: watches c as the pod asks, or leaves it out (logged). */
static void decide(struct node *n, struct node_container *c, const struct pod_info *pod)
{
	const char *name = node_pod_container_name(pod, c->pc.container_id);
	if (!name)
		return; /* waits for a status naming its ID */
	c->decided = true;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->pod_name, sizeof(c->pod_name), "%s", pod->name);
	snprintf(c->pod_ns, sizeof(c->pod_ns), "%s", pod->namespace);
	snprintf(c->about, sizeof(c->about), "%s/%s/%s", pod->namespace, pod->name, name);
	c->kpod = (struct kube_pod){ c->pod_name, c->pod_ns, c->pc.pod_uid, c->name };
	c->origin.pod_name = c->pod_name;
	c->origin.pod_namespace = c->pod_ns;
	c->origin.container = c->name;
	pod_settings_free(&c->used);
	if (pod_settings_copy(&pod->settings, &c->used) < 0)
		return;
	/* a restart: the container's monitor goes on, in the new cgroup */
	for (size_t i = 0; i < n->n_containers; i++) {
		struct node_container *g = n->containers[i];
		if (g == c || !g->gone || !g->monitor || strcmp(g->pc.pod_uid, c->pc.pod_uid) != 0 ||
		    strcmp(g->name, name) != 0)
			continue;
		log_info("%s: restarted as container %s; its monitor follows", c->about, c->pc.container_id);
		struct monitor_config mc;
		node_container_config(n, c, &mc);
		c->monitor = TAKE_PTR(g->monitor);
		monitor_retarget(c->monitor, &mc);
		return;
	}
	if (!node_pod_takes(&pod->settings, name)) {
		log_info("%s: not watched (memhook.io/containers does not name it)", c->about);
		return;
	}
	const struct pod_policy_source src = { n->cfg->policy_dir, n->cfg->policy_path, n->cfg->webhook_url };
	struct policy *p = NULL;
	char from[PATH_MAX], err[1024];
	int r = pod_policy_load(&pod->settings, &src, &p, from, sizeof(from), err, sizeof(err));
	if (r == -ENOENT) {
		log_debug("%s: not watched (the pod has no memhook.io/ annotation and the node no --policy)",
		          c->about);
		return;
	}
	if (r < 0) {
		log_warn("%s: not watched: %s", c->about, err);
		if (n->kube)
			(void)kube_events_post_note(n->kube, &c->kpod, "BadPolicy", "Warning", err);
		return;
	}
	log_info("%s: policy %s", c->about, from);
	(void)node_container_watch(n, c, p);
}

void node_pods_container_added(struct node *n, struct node_container *c)
{
	const struct pod_info *pod = pod_watch_find(n->pods, c->pc.pod_uid);
	if (pod)
		decide(n, c, pod);
	if (!c->decided)
		log_debug("%s: waits for its pod to name it", c->about);
}

static void on_pod_changed(void *ctx, const struct pod_info *pod)
{
	struct node *n = ctx;
	say_pod_error(n, pod);
	for (size_t i = 0; i < n->n_containers; i++) {
		struct node_container *c = n->containers[i];
		if (c->gone || strcmp(c->pc.pod_uid, pod->uid) != 0)
			continue;
		if (c->decided && node_pod_settings_same(&c->used, &pod->settings))
			continue; /* another container started, a new IP: nothing for this one */
		if (c->decided) {
			log_info("%s: the pod's memhook.io/ annotations changed; watched again", c->about);
			node_container_unwatch(c);
			c->decided = false;
		}
		decide(n, c, pod);
	}
}

static void on_pod_deleted(void *ctx, const char *uid)
{
	struct node *n = ctx;
	for (size_t i = 0; i < n->n_pod_errors; i++)
		if (strcmp(n->pod_errors[i].uid, uid) == 0) {
			n->pod_errors[i] = n->pod_errors[--n->n_pod_errors];
			break;
		}
	/* its containers are dropped at once, even while their cgroups linger (their entries go with
	 * the cgroups), those kept for a restart too */
	for (size_t i = 0; i < n->n_containers; i++)
		if (strcmp(n->containers[i]->pc.pod_uid, uid) == 0 && n->containers[i]->monitor) {
			const char *prev = log_set_about(n->containers[i]->about);
			log_info("its pod was deleted: no longer watched");
			log_set_about(prev);
			node_container_unwatch(n->containers[i]);
		}
}

static void on_synced(void *ctx)
{
	struct node *n = ctx;
	size_t waiting = 0;
	for (size_t i = 0; i < n->n_containers; i++)
		waiting += !n->containers[i]->decided;
	log_info("pods listed: %zu on this node; %zu container cgroup(s) not named by a pod (sandboxes, "
	         "or not started yet)",
	         pod_watch_count(n->pods), waiting);
}

/* c's policy loaded again from where its pod names it (why: for the log); one that does not load
 * leaves the old one running. */
static void reload_container(struct node *n, struct node_container *c, const char *why)
{
	const struct pod_policy_source src = { n->cfg->policy_dir, n->cfg->policy_path, n->cfg->webhook_url };
	struct policy *p = NULL;
	char from[PATH_MAX], err[1024];
	int r = pod_policy_load(&c->used, &src, &p, from, sizeof(from), err, sizeof(err));
	if (r == 0) {
		(void)monitor_replace_policy(c->monitor, p, from);
		return;
	}
	const char *prev = log_set_about(c->about);
	/* folded apart per cause: a SIGHUP's is not hidden behind a file's */
	log_msg_about(LOG_LEVEL_WARN, why, "%s; the old policy keeps running%s%s", why,
	              r == -ENOENT ? "" : ": ", r == -ENOENT ? "" : err);
	log_set_about(prev);
}

/* A file of --policy-dir appeared, changed or went: the containers whose pod names it (NAME or
 * NAME.json) get it again (a file gone: the rest of their pod's choice, as pod_policy_load makes
 * it; a policy that does not load: the old one keeps running). */
static void on_policy_file(void *ctx, const char *file, bool present)
{
	struct node *n = ctx;
	char why[512];
	snprintf(why, sizeof(why), "--policy-dir: %s %s", file, present ? "changed" : "went");
	for (size_t i = 0; i < n->n_containers; i++) {
		struct node_container *c = n->containers[i];
		const char *name = c->used.policy_name;
		size_t len = strlen(name);
		bool names = *name && (strcmp(file, name) == 0 ||
		                       (strncmp(file, name, len) == 0 && strcmp(file + len, ".json") == 0));
		if (c->monitor && !c->gone && names)
			reload_container(n, c, why);
	}
}

void node_pods_reload(struct node *n)
{
	size_t k = 0;
	for (size_t i = 0; i < n->n_containers; i++)
		if (n->containers[i]->monitor && !n->containers[i]->gone) {
			reload_container(n, n->containers[i], "SIGHUP: its policy does not load");
			k++;
		}
	log_info("SIGHUP: %zu container(s) given their pod's policy again", k);
}

static const struct pod_watch_ops pod_ops = {
	.pod_changed = on_pod_changed,
	.pod_deleted = on_pod_deleted,
	.synced = on_synced,
};

int node_pods_start(struct node *n)
{
	const struct node_config *cfg = n->cfg;
	if (cfg->kubernetes_events) {
		const struct kube_events_config kc = {
			.api_url = cfg->api_url,
			.token_file = cfg->token_file,
			.ca_file = cfg->ca_file,
			.pod_name = "memhook-node", /* never regarded: every Event names its pod */
			.pod_namespace = "default",
			.dry_run = cfg->dry_run,
		};
		int r = kube_events_new(n->loop, &kc, &n->kube);
		if (r < 0) {
			log_error("kubernetes events: %s", strerror(-r));
			return r;
		}
	}
	const struct pod_watch_config wc = {
		.api_url = cfg->api_url,
		.token_file = cfg->token_file,
		.ca_file = cfg->ca_file,
		.node_name = cfg->node_name,
	};
	int r = pod_watch_new(n->loop, &wc, &pod_ops, n, &n->pods);
	if (r < 0) {
		log_error("pod watch: %s", strerror(-r));
		return r;
	}
	if (cfg->policy_dir &&
	    (r = dir_watch_new(n->loop, cfg->policy_dir, on_policy_file, n, &n->policy_dir)) < 0) {
		log_error("--policy-dir %s: %s", cfg->policy_dir, strerror(-r));
		return r;
	}
	log_info("watching the pods of node %s at %s", cfg->node_name, cfg->api_url);
	return 0;
}

void node_pods_stop(struct node *n)
{
	dir_watch_free(n->policy_dir);
	n->policy_dir = NULL;
	pod_watch_free(n->pods);
	n->pods = NULL;
	kube_events_free(n->kube);
	n->kube = NULL;
	free(n->pod_errors);
	n->pod_errors = NULL;
	n->n_pod_errors = 0;
}
