/* memhook: argv and environment in, a config out, then the library runs it. Only cmd/ exits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/units.h"
#include "commands.h"
#include "debug_pod_watch.h"
#include "daemon/daemon.h"
#include "daemon/node.h"
#include "delivery/kube_api.h"
#include "delivery/kube_events.h"
#include "options.h"
#include "output/http_server.h"
#include "output/payload.h"
#include "policy/policy.h"

/* HOST_NAME_MAX is 64 on Linux; a little more for safety. */
#define HOSTNAME_SIZE 256

/* The strings struct payload_origin points at. */
struct origin_text {
	char instance[PAYLOAD_INSTANCE_SIZE];
	char hostname[HOSTNAME_SIZE];
};

/* Who this memhook is to its receivers: an instance id drawn now, the hostname, and the pod the
 * downward API names (POD_NAME, POD_NAMESPACE). Never fails: without getrandom's entropy the
 * clock and the pid stand in; without a hostname it is "". */
static void origin_from_environment(struct origin_text *text, struct payload_origin *ret)
{
	uint64_t v = 0;
	/* GRND_NONBLOCK: at early boot the pool may not be ready, and memhook must not wait on it. */
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = now_real_usec() ^ ((uint64_t)getpid() << 40) ^ now_mono_usec();
	payload_format_instance(v, text->instance);
	if (gethostname(text->hostname, sizeof(text->hostname)) < 0)
		text->hostname[0] = '\0';
	text->hostname[sizeof(text->hostname) - 1] = '\0';
	*ret = (struct payload_origin){
		.instance = text->instance,
		.hostname = text->hostname,
		.pod_name = getenv("POD_NAME"),
		.pod_namespace = getenv("POD_NAMESPACE"),
	};
}

static int setup_logging(const struct options *o)
{
	enum log_format fmt = LOG_FORMAT_TEXT;
	enum log_level lvl = LOG_LEVEL_INFO;
	if (o->log_format) {
		int f = log_format_from_name(o->log_format);
		if (f < 0) {
			fprintf(stderr, "memhook: --log-format: '%s' is not text or json\n", o->log_format);
			return EXIT_USAGE;
		}
		fmt = (enum log_format)f;
	}
	if (o->log_level) {
		int l = log_level_from_name(o->log_level);
		if (l < 0) {
			fprintf(stderr, "memhook: --log-level: '%s' is not error, warn, info or debug\n",
			        o->log_level);
			return EXIT_USAGE;
		}
		lvl = (enum log_level)l;
	}
	log_setup(fmt, lvl);
	return 0;
}

/* What every long-running command does before its loop: the signals blocked, folding, a stderr
 * that never stalls the loop. Returns 0 or EXIT_RUNTIME after printing why. */
static int before_loop(void)
{
	int r = daemon_block_signals();
	if (r < 0) {
		fprintf(stderr, "memhook: blocking signals: %s\n", strerror(-r));
		return EXIT_RUNTIME;
	}
	/* A fault that repeats at every check (a garbage file, a dead receiver) logs about once a second. */
	log_set_fold_window(USEC_PER_SEC);
	/* A log reader that stops reading (a full pipe) must not stop the loop. */
	int nb = log_stderr_nonblocking();
	if (nb < 0)
		log_warn("stderr: cannot make it non-blocking: %s; a stalled log reader stalls memhook",
		         strerror(-nb));
	return 0;
}

/* The exit code of a daemon's or node's run. */
static int finish(int r)
{
	log_fold_flush(true);
	log_stderr_blocking(LOG_EXIT_FLUSH_USEC);
	if (r == -EINVAL)
		return EXIT_USAGE;
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* memhook node: every container of this node's pods. */
static int main_node(const struct options *o)
{
	if (o->cgroup_dir || o->pid_text || o->process_name || o->once || o->status_file) {
		fputs("memhook: node finds its targets: --cgroup, --pid, --process, --once and --status-file "
		      "do "
		      "not go with it\n",
		      stderr);
		return EXIT_USAGE;
	}
	struct kube_api_config api = { 0 };
	char api_url[512], err[512];
	const char *node_name = getenv("NODE_NAME");
	if (!o->no_kubernetes_api) {
		if (!node_name || !*node_name) {
			fputs("memhook: node: NODE_NAME is not set (the Downward API's spec.nodeName); or "
			      "give "
			      "--no-kubernetes-api\n",
			      stderr);
			return EXIT_USAGE;
		}
		if (kube_api_config_from_env(&api, "node", api_url, sizeof(api_url), err, sizeof(err)) < 0) {
			fprintf(stderr, "memhook: %s\n", err);
			return EXIT_USAGE;
		}
	}
	char root[4096];
	if (o->cgroup_root)
		snprintf(root, sizeof(root), "%s", o->cgroup_root);
	else if (node_find_cgroup_root("/sys/fs/cgroup", root, sizeof(root)) < 0) {
		fputs("memhook: node: no kubepods.slice or kubepods under /sys/fs/cgroup or "
		      "/sys/fs/cgroup/memory: give --cgroup-root DIR\n",
		      stderr);
		return EXIT_RUNTIME;
	}
	struct origin_text origin_text;
	struct payload_origin origin;
	origin_from_environment(&origin_text, &origin);
	struct node_config cfg = {
		.cgroup_root = root,
		.policy_path = o->policy_path,
		.webhook_url = o->webhook_url,
		.listen = o->listen,
		.proc_root = o->proc_root ? o->proc_root : "/proc",
		.dry_run = o->dry_run,
		.grace_usec = GRACE_DEFAULT_USEC,
		.instance = origin.instance,
		.hostname = origin.hostname,
		.api_url = api.api_url,
		.token_file = api.token_file,
		.ca_file = api.ca_file,
		.node_name = node_name,
		.policy_dir = o->policy_dir,
		.kubernetes_events = o->kubernetes_events,
	};
	if (o->grace && options_duration("--grace", o->grace, &cfg.grace_usec))
		return EXIT_USAGE;
	if (o->listen) {
		struct sockaddr_storage sa;
		socklen_t len;
		if (http_parse_listen(o->listen, &sa, &len, err, sizeof(err)) < 0) {
			fprintf(stderr, "memhook: --listen: %s\n", err);
			return EXIT_USAGE;
		}
	}
	struct policy *p = NULL; /* checked here, loaded again for each container */
	int r = cmd_load_policy(o->policy_path, o->webhook_url, &p);
	if (r)
		return r;
	policy_free(p);
	if ((r = before_loop()))
		return r;
	return finish(node_run(&cfg));
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "debug-pod-watch") == 0) /* hidden: tests/contract/pod_watch.bats */
		return cmd_debug_pod_watch(argc - 1, argv + 1);
	struct options o;
	int r = options_parse(argc, argv, &o);
	if (r)
		return r;
	if ((r = setup_logging(&o)))
		return r;
	if (o.command == CMD_STATUS)
		return cmd_status(&o);
	if (o.command == CMD_SIMULATE || o.command == CMD_PLOT)
		return cmd_simulate(&o);

	if (o.command == CMD_NODE)
		return main_node(&o);

	struct target_spec spec;
	bool named;
	if ((r = options_target(&o, o.command == CMD_RUN || o.command == CMD_DUMP || o.command == CMD_RECORD,
	                        &spec, &named)))
		return r;
	if (o.command == CMD_RECORD)
		return cmd_record(&o, &spec);
	if (o.command == CMD_CHECK)
		return cmd_check(&o, &spec, named);
	if (o.command == CMD_DUMP)
		return cmd_dump(&spec);

	struct origin_text origin_text;
	struct payload_origin origin;
	origin_from_environment(&origin_text, &origin);
	struct daemon_config cfg = {
		.monitor = {
			.origin = &origin,
			.target = spec,
			.policy_path = o.policy_path,
			.status_file = o.status_file,
			.webhook_url = o.webhook_url,
			.webhook_queue_cap = WEBHOOK_QUEUE_CAP_DEFAULT,
			.dry_run = o.dry_run,
		},
		.grace_usec = GRACE_DEFAULT_USEC,
		.listen = o.listen,
	};
	if (o.listen && !o.once) {
		struct sockaddr_storage sa;
		socklen_t len;
		char err[300];
		if (http_parse_listen(o.listen, &sa, &len, err, sizeof(err)) < 0) {
			fprintf(stderr, "memhook: --listen: %s\n", err);
			return EXIT_USAGE;
		}
	}
	if (o.grace && options_duration("--grace", o.grace, &cfg.grace_usec))
		return EXIT_USAGE;
	struct kube_events_config kube;
	char kube_url[512], kube_ns[256], kube_err[512];
	if (o.kubernetes_events && o.command == CMD_RUN && !o.once) {
		if (kube_events_config_from_env(&kube, kube_url, sizeof(kube_url), kube_ns, sizeof(kube_ns),
		                                kube_err, sizeof(kube_err)) < 0) {
			fprintf(stderr, "memhook: %s\n", kube_err);
			return EXIT_USAGE;
		}
		kube.dry_run = o.dry_run;
		cfg.monitor.kube_events = &kube;
	}
	struct policy *p = NULL;
	if ((r = cmd_load_policy(o.policy_path, o.webhook_url, &p)))
		return r;

	if (o.once)
		return cmd_once(&spec, p);
	if ((r = before_loop())) {
		policy_free(p);
		return r;
	}
	r = daemon_run(&cfg, p);
	return finish(r);
}
