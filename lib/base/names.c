/* The one table of names for each enum of lib/base/names.h, and their lookups. */
#include "base/names.h"

#include <errno.h>
#include <string.h>

#include "base/util.h"

static const char *const psi_kind_names[PSI_KINDS] = {
	[PSI_SOME] = "some",
	[PSI_FULL] = "full",
};

static const char *const psi_window_names[PSI_WINDOWS] = {
	[PSI_AVG10] = "avg10",
	[PSI_AVG60] = "avg60",
	[PSI_AVG300] = "avg300",
};

/* Also the keys of v2 memory.events and of v1 memory.oom_control's oom_kill. */
static const char *const memevent_names[MEMEV_COUNT] = {
	[MEMEV_LOW] = "low", [MEMEV_HIGH] = "high",         [MEMEV_MAX] = "max",
	[MEMEV_OOM] = "oom", [MEMEV_OOM_KILL] = "oom_kill", [MEMEV_OOM_GROUP_KILL] = "oom_group_kill",
};

static const char *const usage_kind_names[USAGE_KINDS] = {
	[USAGE_CURRENT] = "current",
	[USAGE_WORKING_SET] = "working_set",
	[USAGE_ANON] = "anon",
};

static const char *const action_names[ACTION_KINDS] = {
	[ACTION_WEBHOOK] = "webhook", [ACTION_SIGNAL] = "signal",           [ACTION_RECLAIM] = "reclaim",
	[ACTION_EXEC] = "exec",       [ACTION_MEMORY_HIGH] = "memory_high",
};

static const char *const webhook_signature_names[WEBHOOK_SIGNATURES] = {
	[WEBHOOK_SIGNATURE_STANDARD] = "standard",
	[WEBHOOK_SIGNATURE_MEMHOOK] = "memhook",
};

static const char *const log_level_names[LOG_LEVELS] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const char *const log_format_names[LOG_FORMATS] = {
	[LOG_FORMAT_TEXT] = "text",
	[LOG_FORMAT_JSON] = "json",
};

static const char *const action_result_names[ACTION_RESULTS] = {
	[ACTION_RESULT_OK] = "ok",
	[ACTION_RESULT_FAILED] = "failed",
	[ACTION_RESULT_DROPPED] = "dropped",
};

static const char *const level_direction_names[LEVEL_DIRECTIONS] = {
	[LEVEL_UP] = "up",
	[LEVEL_DOWN] = "down",
};

static const char *const trace_format_names[TRACE_FORMATS] = {
	[TRACE_FORMAT_CSV] = "csv",
	[TRACE_FORMAT_JSONL] = "jsonl",
};

/* Returns the name, or "unknown" for a value out of range. */
static const char *lookup(const char *const *names, size_t n, int value)
{
	if (value < 0 || (size_t)value >= n || !names[value])
		return "unknown";
	return names[value];
}

/* Returns the index of s in names, or -EINVAL. */
static int reverse(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

/* The pair of lookups for one enum and its table. */
#define NAME_LOOKUPS(prefix, type, table)                        \
	const char *prefix##_name(type v)                        \
	{                                                        \
		return lookup(table, ARRAY_SIZE(table), (int)v); \
	}                                                        \
	int prefix##_from_name(const char *s)                    \
	{                                                        \
		return reverse(table, ARRAY_SIZE(table), s);     \
	}

NAME_LOOKUPS(psi_kind, enum psi_kind, psi_kind_names)
NAME_LOOKUPS(psi_window, enum psi_window, psi_window_names)
NAME_LOOKUPS(memevent, enum memevent, memevent_names)
NAME_LOOKUPS(usage_kind, enum usage_kind, usage_kind_names)
NAME_LOOKUPS(action_kind, enum action_kind, action_names)
NAME_LOOKUPS(webhook_signature, enum webhook_signature, webhook_signature_names)
NAME_LOOKUPS(log_level, enum log_level, log_level_names)
NAME_LOOKUPS(log_format, enum log_format, log_format_names)
NAME_LOOKUPS(action_result, enum action_result, action_result_names)
NAME_LOOKUPS(level_direction, enum level_direction, level_direction_names)
NAME_LOOKUPS(trace_format, enum trace_format, trace_format_names)
