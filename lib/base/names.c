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

#define ACTION_KIND_NAME(NAME, name) [ACTION_##NAME] = #name,
static const char *const action_kind_names[ACTION_KINDS] = { ACTION_KIND_LIST(ACTION_KIND_NAME) };
#undef ACTION_KIND_NAME

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

/* The pair of lookups for one enum of NAMED_ENUMS and its table, prefix_names. */
#define NAME_LOOKUPS(prefix, type)                                                 \
	const char *prefix##_name(type v)                                          \
	{                                                                          \
		return lookup(prefix##_names, ARRAY_SIZE(prefix##_names), (int)v); \
	}                                                                          \
	int prefix##_from_name(const char *s)                                      \
	{                                                                          \
		return reverse(prefix##_names, ARRAY_SIZE(prefix##_names), s);     \
	}

NAMED_ENUMS(NAME_LOOKUPS)
