/* The enums whose values have names in policies, logs, payloads and the command line, each with
 * its one table of names (lib/base/names.c) and the lookups both ways. Event kinds have a table
 * with more columns than a name: lib/policy/event.h; so have condition kinds (condition.h). */
#pragma once

/* memory.pressure lines and windows (policy "pressure", payload "psi"). */
enum psi_kind { PSI_SOME, PSI_FULL, PSI_KINDS };
enum psi_window { PSI_AVG10, PSI_AVG60, PSI_AVG300, PSI_WINDOWS };

/* memory.events counters (v2). On v1 only MEMEV_OOM_KILL is filled, from memory.oom_control. */
enum memevent {
	MEMEV_LOW,
	MEMEV_HIGH,
	MEMEV_MAX,
	MEMEV_OOM,
	MEMEV_OOM_KILL,
	MEMEV_OOM_GROUP_KILL, /* v2, kernel 5.17+: absent from older memory.events, then 0 */
	MEMEV_COUNT,
};

/* What "used" means (policy and condition "usage"): memory.current / usage_in_bytes; that minus
 * inactive file pages (kubelet's working set); anonymous memory (v2 anon, v1 total_rss). */
enum usage_kind { USAGE_CURRENT, USAGE_WORKING_SET, USAGE_ANON, USAGE_KINDS };

/* Condition kinds: the keys of a policy's condition objects (lib/policy/condition.h has their table,
 * names included: cond_kind_name). */
enum cond_kind {
	COND_GLOBAL_ABSOLUTE,
	COND_GLOBAL_RELATIVE,
	COND_LOCAL_ABSOLUTE,
	COND_LOCAL_RELATIVE,
	COND_CUSTOM,
	COND_ALL,
	COND_ANY,
	COND_NOT,
	COND_PRESSURE,
	COND_EVENTS,
	COND_TIME_TO_LIMIT,
	COND_GROWTH,
	COND_KINDS,
};

/* Handler actions: the action keys of a handler (lib/policy/action.h has their table). */
enum action_kind {
	ACTION_WEBHOOK,
	ACTION_SIGNAL,
	ACTION_RECLAIM,
	ACTION_EXEC,
	ACTION_MEMORY_HIGH, /* sets memory.high (v2), restored on normal and at exit */
	ACTION_KINDS,
};

/* The signature headers a webhook sends ("signature" in a policy): Standard Webhooks (webhook-id,
 * webhook-timestamp, webhook-signature) and memhook's own X-Memhook-Signature. */
enum webhook_signature { WEBHOOK_SIGNATURE_STANDARD, WEBHOOK_SIGNATURE_MEMHOOK, WEBHOOK_SIGNATURES };

/* Log levels (--log-level, and the level of each log line) and formats (--log-format). */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG, LOG_LEVELS };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON, LOG_FORMATS };

/* The outcome of an action (metrics: memhook_actions_total{result}): done, failed, or dropped
 * before it was done (a full queue, too old, a receiver gone). */
enum action_result { ACTION_RESULT_OK, ACTION_RESULT_FAILED, ACTION_RESULT_DROPPED, ACTION_RESULTS };

/* The direction of a level step (metrics: memhook_level_transitions_total{direction}): up to a
 * level entered, down from a level left. */
enum level_direction { LEVEL_UP, LEVEL_DOWN, LEVEL_DIRECTIONS };
/* Trace formats (memhook record --format, lib/output/trace.h): CSV with a header line, or JSON lines. */
enum trace_format { TRACE_FORMAT_CSV, TRACE_FORMAT_JSONL, TRACE_FORMATS };

/* The enums with a table of names in names.c, as X(prefix, type): each has prefix_name(), the name,
 * or "unknown" for a value out of range, and prefix_from_name(), the value whose name is exactly s
 * (case-sensitive), or -EINVAL (also for NULL). */
#define NAMED_ENUMS(X)                               \
	X(psi_kind, enum psi_kind)                   \
	X(psi_window, enum psi_window)               \
	X(memevent, enum memevent)                   \
	X(usage_kind, enum usage_kind)               \
	X(action_kind, enum action_kind)             \
	X(webhook_signature, enum webhook_signature) \
	X(log_level, enum log_level)                 \
	X(log_format, enum log_format)               \
	X(action_result, enum action_result)         \
	X(level_direction, enum level_direction)     \
	X(trace_format, enum trace_format)

#define NAME_LOOKUPS_DECLARE(prefix, type) \
	const char *prefix##_name(type v); \
	int prefix##_from_name(const char *s);
NAMED_ENUMS(NAME_LOOKUPS_DECLARE)
