/* The process around the monitors: one loop, the signals it takes through a signalfd, the HTTP
 * listener (--listen) and the stop with its grace period. Today it holds one monitor (monitor.h). */
#pragma once

#include <stdint.h>

#include "daemon/monitor.h"
#include "policy/policy.h"

struct daemon_config {
	struct monitor_config monitor;
	uint64_t grace_usec; /* webhook delivery time left on SIGTERM; 0: GRACE_DEFAULT_USEC */
	const char *listen;  /* --listen ADDR:PORT: /metrics, /healthz, /readyz (http_server.h); NULL: off */
};

/* Runs until SIGTERM/SIGINT. Takes ownership of policy. Returns 0 on a clean stop, -EINVAL when
 * the policy does not fit the target found at start (reclaim or v2 conditions on a v1 cgroup), or
 * -errno on a runtime failure (all logged). The caller must have blocked the handled signals
 * (daemon_block_signals). */
int daemon_run(const struct daemon_config *cfg, struct policy *policy);

/* The signals daemon_run takes through its signalfd; block them in every thread first. */
int daemon_block_signals(void);
