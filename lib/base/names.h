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

/* Condition kinds, each once as X(NAME, name): the value COND_<NAME> and the row cond_<name>
 * (struct cond_ops, defined beside its functions in lib/policy/cond_*.c, its name the policy's
 * key); lib/policy/condition.c makes the table of rows from this list. */
#define COND_KIND_LIST(X)                   \
	X(GLOBAL_ABSOLUTE, global_absolute) \
	X(GLOBAL_RELATIVE, global_relative) \
	X(LOCAL_ABSOLUTE, local_absolute)   \
	X(LOCAL_RELATIVE, local_relative)   \
	X(CUSTOM, custom)                   \
	X(ALL, all)                         \
	X(ANY, any)                         \
	X(NOT, not )                        \
	X(PRESSURE, pressure)               \
	X(EVENTS, events)                   \
	X(TIME_TO_LIMIT, time_to_limit)     \
	X(GROWTH, growth)

#define COND_KIND_VALUE(NAME, name) COND_##NAME,
enum cond_kind { COND_KIND_LIST(COND_KIND_VALUE) COND_KINDS };
#undef COND_KIND_VALUE

/* Handler actions, each once as X(NAME, name): the value ACTION_<NAME>, its name in policies,
 * logs and metrics, its schema row action_schema_<name> (lib/policy/action_*.c) and its run row
 * action_run_<name> (lib/actions/action_run_<name>.c); lib/policy/handler.c and
 * lib/actions/action_run.c make their tables from this list. memory_high sets memory.high (v2),
 * restored on normal and at exit; pressure_watch makes the clients of a memory-pressure socket
 * readable. */
#define ACTION_KIND_LIST(X)         \
	X(WEBHOOK, webhook)         \
	X(SIGNAL, signal)           \
	X(RECLAIM, reclaim)         \
	X(EXEC, exec)               \
	X(MEMORY_HIGH, memory_high) \
	X(PRESSURE_WATCH, pressure_watch)

#define ACTION_KIND_VALUE(NAME, name) ACTION_##NAME,
enum action_kind { ACTION_KIND_LIST(ACTION_KIND_VALUE) ACTION_KINDS };
#undef ACTION_KIND_VALUE

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
