/* The daemon: one epoll loop that checks the target on a timerfd (and on memory.events / PSI
 * wakeups, watch.h), emits each check's events (check.h) to the handlers and keeps the status
 * file (status.h). `run --once` is once.h. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "delivery/kube_events.h"
#include "policy/policy.h"
#include "kernel/target.h"

struct monitor_config {
	struct target_spec target;
	const char *policy_path; /* NULL: the embedded default; SIGHUP reloads from here */
	const char *webhook_url; /* --webhook: also post every event there (kept across reloads) */
	const char *status_file; /* NULL: none */
	uint64_t grace_usec;     /* webhook delivery time left on SIGTERM */
	size_t webhook_queue_cap;
	bool dry_run;       /* --dry-run: actions are logged as what they would do, none is done */
	const char *listen; /* --listen ADDR:PORT: /metrics, /healthz, /readyz (http_server.h); NULL: off */
	const struct kube_events_config *kube_events; /* --kubernetes-events; NULL: off */
};

/* Runs until SIGTERM/SIGINT. Takes ownership of policy. Returns 0 on a clean stop, -EINVAL when
 * the policy does not fit the target found at start (reclaim or v2 conditions on a v1 cgroup), or
 * -errno on a runtime failure (all logged). The caller must have blocked the handled signals
 * (monitor_block_signals). */
int monitor_run(const struct monitor_config *cfg, struct policy *policy);

/* The signals monitor_run takes through its signalfd; block them in every thread first. */
int monitor_block_signals(void);
