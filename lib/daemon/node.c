/* memhook node: the containers found under the kubelet's cgroup root, each with its monitor, on one
 * loop; the signals and the stop around them. The HTTP endpoints are node_http.c's. */
#include "daemon/node.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/curl_api.h"
#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/units.h"
#include "base/util.h"
#include "daemon/daemon.h"
#include "daemon/monitor.h"
#include "daemon/node_internal.h"
#include "delivery/kube_events.h"
#include "kernel/cgroup_tree.h"

/* ---- containers ---- */

/* The policy a new container runs: the node's, with --webhook. NULL when it cannot be loaded now
 * (a file changed under us: logged). */
static struct policy *container_policy(const struct node *n)
{
	char err[1024];
	struct policy *p = NULL;
	int r = n->cfg->policy_path ? policy_load(n->cfg->policy_path, &p, err, sizeof(err))
	                            : policy_parse(policy_default_json, strlen(policy_default_json), &p, err,
	                                           sizeof(err));
	if (r == 0 && n->cfg->webhook_url &&
	    (r = policy_add_webhook(p, n->cfg->webhook_url, err, sizeof(err))) < 0) {
		policy_free(p);
		p = NULL;
	}
	if (r < 0)
		log_error("policy: %s", err);
	return r < 0 ? NULL : p;
}

void node_container_unwatch(struct node_container *c)
{
	monitor_set_event_stream(c->monitor, NULL);
	monitor_free(c->monitor);
	c->monitor = NULL;
}

static void container_free(struct node_container *c)
{
	if (!c)
		return;
	node_container_unwatch(c);
	pod_settings_free(&c->used);
	free(c->path);
	free(c);
}

void node_container_config(struct node *n, struct node_container *c, struct monitor_config *ret)
{
	*ret = (struct monitor_config){
		.target = { .mode = TARGET_CGROUP,
		            .cgroup_dir = c->path,
		            .proc_root = n->cfg->proc_root,
		            .find_main_process = true,
		            .v1_inherited_limit_every = NODE_V1_INHERITED_LIMIT_EVERY },
		.policy_path = n->cfg->policy_path,
		.webhook_url = n->cfg->webhook_url,
		.webhook_queue_cap = NODE_WEBHOOK_QUEUE_CAP,
		.dry_run = n->cfg->dry_run,
		.origin = &c->origin,
		.log_about = c->about,
		.quiet_start = true,
		.tick_slot = n->next_tick_slot++,
		.tick_slots = NODE_TICK_SLOTS,
		.v1_thresholds_async = true,
		.shared_hostmem = &n->meminfo,
		.kube_shared = n->kube,
		.kube_pod = &c->kpod,
	};
}

/* Starts watching c with policy p (taken). Where the pod watch names the container, this is where
 * its pod's policy (pod_policy_load) comes in, and where a container waits, unwatched, for its pod.
 * Returns 0 or -errno (logged). */
int node_container_watch(struct node *n, struct node_container *c, struct policy *p)
{
	if (!p)
		return -EINVAL;
	struct monitor_config mc;
	node_container_config(n, c, &mc);
	int r = monitor_new(n->loop, &mc, p, &c->monitor);
	if (r < 0)
		return r;
	monitor_set_event_stream(c->monitor, n->stream);
	if (n->paused)
		monitor_set_paused(c->monitor, true);
	r = monitor_start(c->monitor);
	if (r < 0) { /* the policy does not fit this cgroup: logged */
		monitor_free(c->monitor);
		c->monitor = NULL;
	}
	return r;
}

static struct node_container *find_container(const struct node *n, const char *path, size_t *ret_i)
{
	for (size_t i = 0; i < n->n_containers; i++)
		if (!n->containers[i]->gone && strcmp(n->containers[i]->path, path) == 0) {
			*ret_i = i;
			return n->containers[i];
		}
	return NULL;
}

/* Drops the containers that are gone and whose monitor went to their restart (or whose pod went). */
static void sweep_gone(struct node *n)
{
	for (size_t i = n->n_containers; i-- > 0;)
		if (n->containers[i]->gone && !n->containers[i]->monitor) {
			container_free(n->containers[i]);
			n->containers[i] = n->containers[--n->n_containers];
		}
}

static void on_container_added(void *ctx, const char *path, const struct pod_cgroup *pc)
{
	struct node *n = ctx;
	sweep_gone(n);
	if (n->n_containers == n->cap_containers) {
		size_t cap = n->cap_containers ? 2 * n->cap_containers : 64;
		struct node_container **cs = realloc(n->containers, cap * sizeof(*cs));
		if (!cs) {
			log_error("container %s: %s", path, strerror(ENOMEM));
			return;
		}
		n->containers = cs;
		n->cap_containers = cap;
	}
	struct node_container *c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		free(c);
		log_error("container %s: %s", path, strerror(ENOMEM));
		return;
	}
	c->pc = *pc;
	memcpy(c->short_id, pc->container_id, NODE_SHORT_ID_LEN);
	c->short_id[NODE_SHORT_ID_LEN] = '\0';
	snprintf(c->about, sizeof(c->about), "pod %s container %s", pc->pod_uid, c->short_id);
	c->origin = (struct payload_origin){
		.instance = n->cfg->instance,
		.hostname = n->cfg->hostname,
		.pod_uid = c->pc.pod_uid,
		.container = c->short_id,
		.container_id = c->pc.container_id,
	};
	n->containers[n->n_containers++] = c;
	log_info("container found: pod %s (%s), container %s (%s%s%s)", pc->pod_uid, pod_qos_name(pc->qos),
	         pc->container_id, *pc->runtime ? pc->runtime : "cgroupfs", ", ", path);
	if (n->pods) /* watched once its pod names it */
		node_pods_container_added(n, c);
	else /* without the API server: watched at once, with the node's policy */
		(void)node_container_watch(n, c, container_policy(n));
}

/* Whether c's restart came before its cgroup went: another container of its pod, of its name, is
 * watched (two monitors of one container would show one series twice). */
static bool restarted_already(const struct node *n, const struct node_container *c)
{
	for (size_t i = 0; i < n->n_containers; i++) {
		const struct node_container *o = n->containers[i];
		if (o != c && !o->gone && o->monitor && c->name[0] && strcmp(o->name, c->name) == 0 &&
		    strcmp(o->pc.pod_uid, c->pc.pod_uid) == 0)
			return true;
	}
	return false;
}

static void on_container_removed(void *ctx, const char *path, const struct pod_cgroup *pc)
{
	struct node *n = ctx;
	sweep_gone(n);
	size_t i;
	struct node_container *c = find_container(n, path, &i);
	if (!c)
		return;
	log_info("container gone: pod %s, container %s", pc->pod_uid, pc->container_id);
	if (n->pods && c->monitor && !restarted_already(n, c)) {
		/* with the pod watch: kept for the container's restart (same pod and name, a new ID and
		 * cgroup), which takes this monitor over; freed with its pod */
		c->gone = true;
		return;
	}
	n->containers[i] = n->containers[--n->n_containers];
	container_free(c);
}

static const struct cgroup_tree_ops tree_ops = {
	.added = on_container_added,
	.removed = on_container_removed,
};

/* ---- signals ---- */

static void reload_all(struct node *n)
{
	if (n->pods) { /* each container as its pod says */
		node_pods_reload(n);
		return;
	}
	if (!n->cfg->policy_path) {
		log_info("SIGHUP: no policy file (the embedded default runs); nothing to reload");
		return;
	}
	char err[1024];
	struct policy *p = NULL;
	if (policy_load(n->cfg->policy_path, &p, err, sizeof(err)) < 0) {
		log_error("SIGHUP: new policy rejected, the old one keeps running: %s", err);
		return;
	}
	policy_free(p);
	log_info("SIGHUP: reloading %s for %zu container(s)", n->cfg->policy_path, n->n_containers);
	for (size_t i = 0; i < n->n_containers; i++)
		if (n->containers[i]->monitor)
			monitor_reload(n->containers[i]->monitor);
}

static void on_signal(struct loop *l, int fd, uint32_t events _unused_, void *userdata)
{
	struct node *n = userdata;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			loop_stop_signal(l, (int)si.ssi_signo, &n->stop_now);
			break;
		case SIGHUP:
			reload_all(n);
			break;
		case SIGUSR1:
			log_info("SIGUSR1: %zu container(s) watched under %s", n->n_containers,
			         n->cfg->cgroup_root);
			for (size_t i = 0; i < n->n_containers; i++)
				log_info("  %s: level %d, %s", n->containers[i]->about,
				         n->containers[i]->monitor ? monitor_level(n->containers[i]->monitor)
				                                   : -1,
				         n->containers[i]->path);
			break;
		case SIGUSR2:
			n->paused = !n->paused;
			log_info("SIGUSR2: evaluation %s", n->paused ? "paused" : "resumed");
			for (size_t i = 0; i < n->n_containers; i++)
				if (n->containers[i]->monitor)
					monitor_set_paused(n->containers[i]->monitor, n->paused);
			break;
		default:
			break;
		}
	}
}

/* ---- setup, run, stop ---- */

/* Each container holds about 10 fds (container/README.md, Node mode): the soft limit goes up to the
 * hard one, as systemd does for its own services (a soft 1024 would stop at ~100 containers). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		log_debug("open files: soft limit %llu -> %llu", (unsigned long long)was,
		          (unsigned long long)rl.rlim_max);
}

static int node_setup(struct node *n, const struct node_config *cfg)
{
	*n = (struct node){ .cfg = cfg, .signal_fd = -1, .meminfo = { .meminfo_fd = -1 } };
	int r = loop_new(&n->loop);
	if (r < 0) {
		log_error("event loop: %s", strerror(-r));
		return r;
	}
	if ((r = hostmem_open(cfg->proc_root, &n->meminfo)) < 0) {
		log_error("cannot open %s/meminfo: %s", cfg->proc_root, strerror(-r));
		return r;
	}
	raise_fd_limit();
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	n->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (n->signal_fd < 0 || (r = loop_add_fd(n->loop, n->signal_fd, EPOLLIN, on_signal, n)) < 0) {
		r = n->signal_fd < 0 ? -errno : r;
		log_error("signalfd: %s", strerror(-r));
		return r;
	}
	if (cfg->listen && (r = node_http_start(n)) < 0)
		return r;
	if (cfg->api_url && (r = node_pods_start(n)) < 0)
		return r;
	if ((r = cgroup_tree_new(n->loop, cfg->cgroup_root, &tree_ops, n, &n->tree)) < 0) {
		log_error("inotify: %s", strerror(-r));
		return r;
	}
	return 0;
}

static void node_teardown(struct node *n)
{
	node_http_stop(n);
	cgroup_tree_free(n->tree);
	for (size_t i = 0; i < n->n_containers; i++)
		container_free(n->containers[i]);
	free(n->containers);
	node_pods_stop(n); /* after the monitors, which post through its Events client */
	node_http_free_stream(n);
	if (n->signal_fd >= 0)
		close(n->signal_fd);
	hostmem_close(&n->meminfo);
	if (n->curl_held)
		curl_api_global_release();
	loop_free(n->loop);
}

static bool any_pending(const struct node *n)
{
	if (n->kube && kube_events_pending(n->kube))
		return true;
	for (size_t i = 0; i < n->n_containers; i++)
		if (n->containers[i]->monitor && monitor_pending(n->containers[i]->monitor))
			return true;
	return false;
}

/* Gives queued webhooks up to grace_usec, then logs each container's undelivered ones. */
static void node_drain(struct node *n, uint64_t grace_usec)
{
	uint64_t deadline = now_mono_usec() + grace_usec;
	while (any_pending(n) && now_mono_usec() < deadline && !n->stop_now)
		loop_iterate(n->loop, deadline - now_mono_usec());
	for (size_t i = 0; i < n->n_containers; i++)
		if (n->containers[i]->monitor && monitor_pending(n->containers[i]->monitor)) {
			const char *prev = log_set_about(n->containers[i]->about);
			monitor_log_stopped(n->containers[i]->monitor, n->stop_now);
			log_set_about(prev);
		}
}

int node_run(const struct node_config *cfg)
{
	struct node n;
	int r = node_setup(&n, cfg);
	if (r < 0)
		goto out;
	/* the policy once, before any container: a bad one is the operator's error */
	struct policy *p = container_policy(&n);
	if (!p) {
		r = -EINVAL;
		goto out;
	}
	char interval[32];
	units_format_duration(p->check_interval_usec, interval, sizeof(interval));
	log_info("memhook %s node: cgroup root %s, policy %s, %zu level(s), %zu handler(s), checking "
	         "every %s%s",
	         MEMHOOK_VERSION, cfg->cgroup_root, cfg->policy_path ? cfg->policy_path : "(default)",
	         p->n_levels, p->n_handlers, interval, cfg->dry_run ? "; dry run: no action is done" : "");
	/* libcurl loaded now when the policy sends webhooks: the first webhook of the process would
	 * otherwise wait ~10 ms for it (dlopen and curl_global_init) */
	bool webhooks = false;
	for (size_t i = 0; i < p->n_handlers; i++)
		webhooks |= p->handlers[i].action == ACTION_WEBHOOK;
	policy_free(p);
	char err[256];
	if (webhooks && curl_api_global_acquire(err, sizeof(err)) == 0)
		n.curl_held = true;
	else if (webhooks)
		log_warn("libcurl: %s; webhooks will fail", err);
	if (!cfg->api_url && (cfg->policy_dir || cfg->kubernetes_events))
		log_info("without the API server, %s%s%s not used (no pod names a policy, no pod is known "
		         "to regard)",
		         cfg->policy_dir ? "--policy-dir" : "",
		         cfg->policy_dir && cfg->kubernetes_events ? " and " : "",
		         cfg->kubernetes_events ? "--kubernetes-events are" : " is");
	uint64_t t0 = now_mono_usec();
	if ((r = cgroup_tree_start(n.tree)) < 0) {
		log_error("cgroup root %s: %s", cfg->cgroup_root, strerror(-r));
		goto out;
	}
	n.started = true;
	log_info("watching %zu container(s) under %s (started in %llu ms; %zu directories watched)",
	         n.n_containers, cfg->cgroup_root,
	         (unsigned long long)((now_mono_usec() - t0) / USEC_PER_MSEC), cgroup_tree_watches(n.tree));
	r = loop_run(n.loop);
	if (r < 0) {
		log_error("event loop: %s", strerror(-r));
		goto out;
	}
	node_drain(&n, cfg->grace_usec ? cfg->grace_usec : GRACE_DEFAULT_USEC);
	log_info("stopped: %zu container(s) were watched", n.n_containers);
	r = 0;
out:
	node_teardown(&n);
	return r;
}

int node_find_cgroup_root(const char *sys_fs_cgroup, char *ret, size_t size)
{
	static const char *const subdirs[] = { "", "/memory" };
	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		char dir[PATH_MAX], top[POD_TOP_NAME_SIZE];
		snprintf(dir, sizeof(dir), "%s%s", sys_fs_cgroup, subdirs[i]);
		if (cgroup_tree_find_top(dir, top, sizeof(top)) == 0) {
			if ((size_t)snprintf(ret, size, "%s", dir) >= size)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENOENT;
}
