/* `memhook debug-pod-watch` (hidden; for tests/contract/pod_watch.bats): the node's pod watch
 * (lib/daemon/pod_watch.h) alone, each callback printed as a JSON line on stdout; with --events a
 * pod's bad annotation also becomes a BadAnnotation Event regarding that pod. The environment is
 * the node's: NODE_NAME, the API server's (kube_api_config_from_env), and for --events POD_NAME
 * and POD_NAMESPACE. Options, for tests: --watch-timeout SEC, --stall-margin SEC, --backoff MS,
 * --line-max BYTES, --events-api URL (the Events to another server than the pods). Runs until
 * SIGTERM or SIGINT, then frees everything and exits 0. */
#include "debug_pod_watch.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "daemon/pod_watch.h"
#include "delivery/kube_api.h"
#include "delivery/kube_events.h"
#include "options.h"

struct dbg {
	struct kube_events *events;
};

static void print(cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	if (s)
		printf("%s\n", s);
	fflush(stdout);
	free(s);
	cJSON_Delete(o);
}

static void on_changed(void *ctx, const struct pod_info *p)
{
	struct dbg *d = ctx;
	const struct pod_settings *s = &p->settings;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "changed");
	cJSON_AddStringToObject(o, "uid", p->uid);
	cJSON_AddStringToObject(o, "namespace", p->namespace);
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "ip", p->ip);
	cJSON *cs = cJSON_AddArrayToObject(o, "containers");
	for (size_t i = 0; i < p->n_containers; i++) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "name", p->containers[i].name);
		cJSON_AddStringToObject(c, "id", p->containers[i].id);
		cJSON_AddItemToArray(cs, c);
	}
	cJSON *so = cJSON_AddObjectToObject(o, "settings");
	cJSON_AddBoolToObject(so, "opted_in", s->opted_in);
	cJSON_AddStringToObject(so, "policy", s->policy_name);
	cJSON_AddBoolToObject(so, "policy_json", s->policy_json != NULL);
	cJSON_AddStringToObject(so, "webhook", s->webhook_url);
	cJSON *sel = cJSON_AddArrayToObject(so, "containers");
	for (size_t i = 0; i < s->n_containers; i++)
		cJSON_AddItemToArray(sel, cJSON_CreateString(s->containers[i]));
	cJSON_AddStringToObject(so, "error", s->error);
	print(o);
	if (s->error[0]) {
		log_warn("pod %s/%s: %s", p->namespace, p->name, s->error);
		struct kube_pod kp = { p->name, p->namespace, p->uid, NULL };
		kube_events_post_note(d->events, &kp, "BadAnnotation", "Warning", s->error);
	}
}

static void on_deleted(void *ctx _unused_, const char *uid)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "deleted");
	cJSON_AddStringToObject(o, "uid", uid);
	print(o);
}

static void on_synced(void *ctx _unused_)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "event", "synced");
	print(o);
}

static void on_signal(struct loop *l, int fd, uint32_t events _unused_, void *userdata _unused_)
{
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		loop_quit(l);
}

int cmd_debug_pod_watch(int argc, char **argv)
{
	struct pod_watch_config cfg = { .node_name = kube_env("NODE_NAME") };
	bool events = false;
	const char *events_api = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		uint64_t v = i + 1 < argc ? strtoull(argv[i + 1], NULL, 10) : 0;
		if (strcmp(a, "--events") == 0)
			events = true;
		else if (strcmp(a, "--watch-timeout") == 0 && ++i)
			cfg.watch_timeout_usec = v * USEC_PER_SEC;
		else if (strcmp(a, "--stall-margin") == 0 && ++i)
			cfg.stall_margin_usec = v * USEC_PER_SEC;
		else if (strcmp(a, "--backoff") == 0 && ++i)
			cfg.backoff_usec = v * USEC_PER_MSEC;
		else if (strcmp(a, "--events-api") == 0 && ++i)
			events_api = argv[i];
		else if (strcmp(a, "--line-max") == 0 && ++i)
			cfg.line_max_bytes = v;
		else {
			fprintf(stderr, "memhook debug-pod-watch: unknown option %s\n", a);
			return EXIT_USAGE;
		}
	}
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	char url[512], ns[256], err[512];
	struct kube_api_config api;
	if (!cfg.node_name) {
		fprintf(stderr, "memhook debug-pod-watch: NODE_NAME is not set\n");
		return EXIT_USAGE;
	}
	if (kube_api_config_from_env(&api, "debug-pod-watch", url, sizeof(url), err, sizeof(err)) < 0) {
		fprintf(stderr, "memhook %s\n", err);
		return EXIT_USAGE;
	}
	cfg.api_url = api.api_url;
	cfg.token_file = api.token_file;
	cfg.ca_file = api.ca_file;

	struct loop *l = NULL;
	struct dbg d = { NULL };
	struct pod_watch *w = NULL;
	int r = loop_new(&l);
	if (r == 0 && events) {
		struct kube_events_config kc;
		if (kube_events_config_from_env(&kc, url, sizeof(url), ns, sizeof(ns), err, sizeof(err)) <
		    0) {
			fprintf(stderr, "memhook debug-pod-watch: %s\n", err);
			loop_free(l);
			return EXIT_USAGE;
		}
		if (events_api)
			kc.api_url = events_api;
		r = kube_events_new(l, &kc, &d.events);
	}
	/* SIGTERM and SIGINT end the loop: everything is freed (a sanitizer build checks for leaks) */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	int sfd =
	        sigprocmask(SIG_BLOCK, &set, NULL) == 0 ? signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC) : -1;
	if (r == 0)
		r = sfd < 0 ? -errno : loop_add_fd(l, sfd, EPOLLIN, on_signal, NULL);
	static const struct pod_watch_ops ops = { on_changed, on_deleted, on_synced };
	if (r == 0)
		r = pod_watch_new(l, &cfg, &ops, &d, &w);
	if (r == 0)
		r = loop_run(l);
	if (r < 0)
		fprintf(stderr, "memhook debug-pod-watch: %s\n", strerror(-r));
	pod_watch_free(w);
	kube_events_free(d.events);
	if (sfd >= 0)
		close(sfd);
	loop_free(l);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
