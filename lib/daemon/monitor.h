/* One watched target as a value: its policy, its check state (level, hysteresis timers, handlers'
 * `every`), its wakeups (watch.h), its queues (the ordered actions, webhooks, Kubernetes Events),
 * its status file and /metrics counters. A check runs on its own timerfd and on the target's
 * wakeups; each check's events (check.h) are logged and emitted to the handlers. A loop may hold
 * several monitors; what belongs to the process (signals, the HTTP listener, the log) is the
 * caller's (daemon.h). `run --once` is once.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "delivery/kube_events.h"
#include "kernel/hostmem.h"
#include "kernel/target.h"
#include "output/metrics.h"
#include "output/payload.h"
#include "policy/policy.h"

struct loop;
struct monitor;

/* What a monitor watches and where it reports. Its strings (and kube_events) are borrowed: they
 * must outlive the monitor. */
struct monitor_config {
	struct target_spec target;
	const char *policy_path;  /* NULL: the embedded default; monitor_reload reloads from here */
	const char *webhook_url;  /* --webhook: also post every event there (kept across reloads) */
	const char *status_file;  /* NULL: none */
	size_t webhook_queue_cap; /* 0: WEBHOOK_QUEUE_CAP_DEFAULT */
	bool dry_run;             /* --dry-run: actions are logged as what they would do, none is done */
	const struct kube_events_config *kube_events; /* --kubernetes-events; NULL: off */
	const struct payload_origin *origin; /* who sends: in every webhook body and exec environment */
	const char *log_about; /* memhook node: what its log lines are about (log_set_about); NULL: none */
	bool quiet_start;      /* memhook node: no start line of its own (the node logs one) */
	/* memhook node: the interval's ticks fall on multiples of check_interval (CLOCK_MONOTONIC)
	 * plus tick_slot/tick_slots of it, so the monitors of one loop check in tick_slots groups:
	 * tick_slots wakeups a period, not one per monitor, and no group long enough to delay a
	 * wakeup of the kernel's by more than a few checks. 0 slots: no alignment. */
	unsigned tick_slot, tick_slots;
	/* memhook node: cgroup v1's usage thresholds are registered by writer threads
	 * (kernel/cg_register.h), the loop never waiting on the kernel's grace periods */
	bool v1_thresholds_async;
	/* memhook node: /proc/meminfo opened once for every monitor (borrowed); NULL: its own */
	const struct hostmem *shared_hostmem;
	/* memhook node: the node's Kubernetes Events client (borrowed), the Events regarding kube_pod
	 * (borrowed); NULL: none (kube_events makes a client of the monitor's own) */
	struct kube_events *kube_shared;
	const struct kube_pod *kube_pod;
};

/* A monitor of cfg's target on l, running policy (taken: freed on failure too), its timer armed;
 * nothing is read before monitor_start. Returns 0, or -errno (logged). */
int monitor_new(struct loop *l, const struct monitor_config *cfg, struct policy *policy,
                struct monitor **ret);
/* Disarms its fds and timers (l keeps running), forgets queued actions and webhooks, restores
 * memory.high when it changed it. NULL ok. */
void monitor_free(struct monitor *m);

/* Logs the start, acquires the target and runs the first check. Returns 0, or -EINVAL when the
 * policy does not fit the target found (reclaim or v2 conditions on a v1 cgroup; logged). */
int monitor_start(struct monitor *m);

/* The same watched thing in another cgroup (memhook node: a container restarted, with a new ID and
 * cgroup): cfg's target, origin, log_about and kube_pod replace the monitor's (borrowed, as at
 * monitor_new); the rest of it (policy, level, queues, counters) is kept. A target still present
 * is lost first (target_lost); the new one is acquired at once, as found again (target_found). */
void monitor_retarget(struct monitor *m, const struct monitor_config *cfg);

/* Runs p (taken; refused and freed when it does not fit the target: -EINVAL, logged) from now on, as
 * a reload does: memhook node's policies that come from elsewhere than a file of its own (a pod's
 * policy of --policy-dir changed). Returns 0, -EINVAL or -ENOMEM. */
int monitor_replace_policy(struct monitor *m, struct policy *p, const char *from);

/* Reloads the policy from cfg's policy_path (SIGHUP): a rejected one is logged and the old one
 * keeps running; while probes run, the reload waits for their end. */
void monitor_reload(struct monitor *m);
/* Pauses or resumes evaluation (SIGUSR2); a resumed check starts every timer afresh. */
void monitor_set_paused(struct monitor *m, bool paused);

struct event_stream;
/* Every event of the --webhook set is numbered from now on, and every numbered event is published
 * to es (GET /events), which the caller keeps until it sets NULL. NULL m ok. */
void monitor_set_event_stream(struct monitor *m, struct event_stream *es);

/* The present target's cgroup path, NULL while it is missing. */
const char *monitor_target_path(const struct monitor *m);
/* Writes the target's memory breakdown to out (SIGUSR1). Returns 0, -ENOENT when the target is
 * missing, or dump_memory's -errno. */
int monitor_dump(const struct monitor *m, FILE *out);

/* The level after the last check (0: normal). */
int monitor_level(const struct monitor *m);
/* Checks that came to their end. */
uint64_t monitor_checks(const struct monitor *m);

/* Fills ret with what /metrics shows, reading a fresh sample into scratch (which ret points at)
 * when the target is present. ret points into m and scratch: valid until the loop runs again. */
void monitor_metrics_view(struct monitor *m, struct sample *scratch, struct metrics_view *ret);
/* /healthz: whether a check finished recently enough at now_usec (or evaluation is paused); why
 * says what is wrong either way. */
bool monitor_healthy(const struct monitor *m, uint64_t now_usec, char *why, size_t why_size);
/* /readyz: whether the target is present. */
bool monitor_ready(const struct monitor *m);

/* Webhooks queued or in flight. */
size_t monitor_webhooks_pending(const struct monitor *m);
/* Whether webhooks or Kubernetes Events still wait to be delivered. */
bool monitor_pending(const struct monitor *m);
/* Logs the undelivered webhooks (cut_short: a second signal ended the grace period) and the totals. */
void monitor_log_stopped(const struct monitor *m, bool cut_short);
