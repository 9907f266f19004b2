/* Prometheus metrics: the counters the monitor and dispatch increment where they decide, and the
 * text exposition (format 0.0.4) built purely from a view of the daemon's state. Served by
 * lib/output/http_server.c on /metrics; the names and meanings are in README "Metrics and health". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/defaults.h"
#include "base/names.h"
#include "policy/event.h"
#include "policy/sample.h"

/* What memhook counted over its lifetime. Plain data: zero it to start. */
struct metrics {
	uint64_t checks; /* checks that sampled the target and decided a level */
	/* [level][direction]: up = that level was entered, down = it was left */
	uint64_t transitions[POLICY_MAX_LEVELS + 1][LEVEL_DIRECTIONS];
	/* actions done by dispatch (webhooks: only those that failed before being queued; the queue's
	 * own outcomes come from its statistics, struct metrics_view) */
	uint64_t actions[ACTION_KINDS][ACTION_RESULTS];
	/* pressure_watch: a client of a memory-pressure socket (or a FIFO) made readable */
	uint64_t pressure_notifications;
};

/* Counts an event's level step: entered L is up at L, left L is down at L (ev->previous_level).
 * Other events count nothing. NULL m is ignored. */
void metrics_count_step(struct metrics *m, enum event_kind kind, int level, int previous_level);
/* Counts one action's outcome. NULL m is ignored. */
void metrics_count_action(struct metrics *m, enum action_kind kind, enum action_result result);
/* Forgets the transitions counted for level (its name changed on a reload: the series is a new
 * one). */
void metrics_forget_level(struct metrics *m, int level);

/* Everything /metrics shows, gathered by the monitor at a scrape. */
struct metrics_view {
	const char *version;
	const struct metrics *counters;
	int level;
	size_t n_levels;
	const char *level_names[POLICY_MAX_LEVELS + 1]; /* [0] = "normal", [1..n_levels] the policy's */
	bool target_up;
	bool paused;
	const struct sample *sample; /* the last check's; NULL before the first */
	bool events_oom_kill_only;   /* cgroup v1: memory.oom_control has only oom_kill */
	/* the webhook queue (struct webhook_stats, webhook_pending) */
	uint64_t webhook_delivered, webhook_failed, webhook_dropped, webhook_queue_length;
	/* Kubernetes Events (struct kube_events_stats), shown when kube_events is set */
	bool kube_events;
	uint64_t kube_sent, kube_failed, kube_dropped;
	uint64_t log_lines_dropped; /* log_lines_dropped(): stderr's reader did not take them */
	bool pressure_watch;        /* the policy serves a memory-pressure socket: its counter is shown */
	/* GET /events (struct event_stream_stats), shown when events_stream is set (--listen) */
	bool events_stream;
	uint64_t subscribers, subscribers_cut;
};

/* The text exposition of v with HELP and TYPE lines, NUL-terminated, malloc'ed; its length
 * (without the NUL) in ret_len. Returns NULL when out of memory. */
char *metrics_format(const struct metrics_view *v, size_t *ret_len);

/* What belongs to the process, not to a target (memhook node: shown once). */
struct metrics_process {
	const char *version;
	uint64_t log_lines_dropped;
	bool events_stream; /* GET /events (--listen): the subscribers' gauges are shown */
	uint64_t subscribers, subscribers_cut;
	/* more families of the process's own, written after build_info; NULL: none */
	void (*extra)(FILE *f, void *userdata);
	void *extra_userdata;
};

/* The exposition of n targets (memhook node: one per container), each family's HELP and TYPE once
 * and one series per target carrying labels[i] (the text inside the braces, escaped with
 * metrics_write_label_value; NULL or "": no labels), then p's. A family only some targets have (a
 * sample not read yet, memory.events) shows their series only. metrics_format(v) is
 * metrics_format_many(&v, {NULL}, 1, v's process figures). NULL when out of memory. */
char *metrics_format_many(const struct metrics_view *const *views, const char *const *labels, size_t n,
                          const struct metrics_process *p, size_t *ret_len);

/* Writes s into f as a label value: backslash, double quote and newline escaped as the
 * exposition format asks. */
void metrics_write_label_value(FILE *f, const char *s);

/* Whether memhook is healthy at now_usec: paused on purpose, or a check finished within
 * HEALTH_CHECK_INTERVALS intervals (last_check_usec: when the last check finished, or when
 * memhook started before the first). */
bool metrics_healthy(uint64_t now_usec, uint64_t last_check_usec, uint64_t interval_usec, bool paused);
