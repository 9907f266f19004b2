/* The table of event kinds (event.h): one row per kind, and the functions of the kinds that need
 * their own payload fields, log line or Kubernetes note. */
#include "policy/event.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

/* ---- the level steps: log lines and notes ---- */

/* "usage 50Mi of 100Mi", "working set 50Mi of 100Mi" or "anon 50Mi of 100Mi" (what the policy
 * decides on) into used_of, and the percent free of that. */
static double step_figures(const struct sample *s, char *used_of, size_t size)
{
	char used[32], limit[32];
	units_format_size(sample_used_bytes(s, s->usage), used, sizeof(used));
	units_format_size(s->limit_bytes, limit, sizeof(limit));
	snprintf(used_of, size, "%s %s of %s",
	         s->usage == USAGE_WORKING_SET ? "working set"
	         : s->usage == USAGE_ANON      ? "anon"
	                                       : "usage",
	         used, limit);
	return sample_local_free_percent_of(s, s->usage);
}

static void entered_log(const struct event *ev, const struct sample *s, const char *level_name,
                        _unused_ const char *previous_level_name, char *ret, size_t size)
{
	char figures[96];
	double free_pct = step_figures(s, figures, sizeof(figures));
	snprintf(ret, size, "level %d -> %d (%s): entered; %s, %.1f%% free", ev->previous_level, ev->level,
	         level_name, figures, free_pct);
}

static void left_log(const struct event *ev, const struct sample *s, const char *level_name,
                     const char *previous_level_name, char *ret, size_t size)
{
	char figures[96];
	double free_pct = step_figures(s, figures, sizeof(figures));
	snprintf(ret, size, "level %d -> %d (%s): left %s; %s, %.1f%% free", ev->previous_level, ev->level,
	         level_name, previous_level_name, figures, free_pct);
}

static void normal_log(_unused_ const struct event *ev, const struct sample *s,
                       _unused_ const char *level_name, _unused_ const char *previous_level_name, char *ret,
                       size_t size)
{
	char figures[96];
	double free_pct = step_figures(s, figures, sizeof(figures));
	snprintf(ret, size, "level 0 (normal): memory is back to normal; %s, %.1f%% free", figures, free_pct);
}

static void entered_note(const struct event *ev, _unused_ const struct sample *s, const char *level_name,
                         const char *previous_level_name, char *ret, size_t size)
{
	snprintf(ret, size, "Memory level %d (%s) entered from %d (%s)", ev->level, level_name,
	         ev->previous_level, previous_level_name);
}

static void left_note(const struct event *ev, _unused_ const struct sample *s, const char *level_name,
                      const char *previous_level_name, char *ret, size_t size)
{
	snprintf(ret, size, "Memory level %d (%s) left for %d (%s)", ev->previous_level, previous_level_name,
	         ev->level, level_name);
}

static void normal_note(const struct event *ev, _unused_ const struct sample *s,
                        _unused_ const char *level_name, const char *previous_level_name, char *ret,
                        size_t size)
{
	snprintf(ret, size, "Memory back to normal from level %d (%s)", ev->previous_level,
	         previous_level_name);
}

/* ---- the target ---- */

static void target_lost_note(const struct event *ev, _unused_ const struct sample *s, const char *level_name,
                             _unused_ const char *previous_level_name, char *ret, size_t size)
{
	snprintf(ret, size, "memhook lost its target at level %d (%s); it keeps watching", ev->level,
	         level_name);
}

/* ---- OOM kills (memory.events' oom_kill grew) ---- */

static void oom_kill_log(_unused_ const struct event *ev, const struct sample *s,
                         _unused_ const char *level_name, _unused_ const char *previous_level_name, char *ret,
                         size_t size)
{
	snprintf(ret, size, "OOM kill in the target: oom_kill +%llu (total %llu)",
	         (unsigned long long)s->events_delta[MEMEV_OOM_KILL],
	         (unsigned long long)s->events[MEMEV_OOM_KILL]);
}

static void oom_kill_note(const struct event *ev, const struct sample *s, const char *level_name,
                          _unused_ const char *previous_level_name, char *ret, size_t size)
{
	snprintf(ret, size,
	         "OOM kill in the watched container (+%" PRIu64 ", %" PRIu64 " in total) at level %d (%s)",
	         s ? s->events_delta[MEMEV_OOM_KILL] : 0, s ? s->events[MEMEV_OOM_KILL] : 0, ev->level,
	         level_name);
}

/* ---- the effective limit changed (lib/decide/limit_watch.c) ---- */

static size_t limit_changed_fields(const struct event *ev, struct event_field ret[EVENT_FIELDS_MAX])
{
	ret[0] = (struct event_field){ "old_limit_bytes", ev->old_limit_bytes };
	ret[1] = (struct event_field){ "new_limit_bytes", ev->new_limit_bytes };
	return 2;
}

static void limit_changed_log(const struct event *ev, const struct sample *s, _unused_ const char *level_name,
                              _unused_ const char *previous_level_name, char *ret, size_t size)
{
	char from[32], to[32], usage[64];
	units_format_size(ev->old_limit_bytes, from, sizeof(from));
	units_format_size(ev->new_limit_bytes, to, sizeof(to));
	units_format_size(s->usage_bytes, usage, sizeof(usage));
	snprintf(ret, size, "limit changed: %s -> %s (%llu -> %llu bytes); usage %s, %.1f%% free", from, to,
	         (unsigned long long)ev->old_limit_bytes, (unsigned long long)ev->new_limit_bytes, usage,
	         sample_local_free_percent(s));
}

/* ---- the table ---- */

const struct event_kind_row event_kinds[EVENT_KINDS] = {
	[EVENT_ENTERED] = { .name = "entered",
	                    .color = "#c62828",
	                    .about = EVENT_CLASS_STEP,
	                    .levels = EVENT_LEVELS_FROM_1,
	                    .k8s_reason = "MemoryLevelEntered",
	                    .k8s_type = "Warning",
	                    .webhook = true,
	                    .log_line = entered_log,
	                    .log_level = LOG_LEVEL_INFO,
	                    .log_transitions_only = true,
	                    .k8s_note = entered_note },
	[EVENT_LEFT] = { .name = "left",
	                 .color = "#2e7d32",
	                 .about = EVENT_CLASS_STEP,
	                 .levels = EVENT_LEVELS_FROM_1,
	                 .level_is_previous = true,
	                 .k8s_reason = "MemoryLevelLeft",
	                 .k8s_type = "Normal",
	                 .webhook = true,
	                 .log_line = left_log,
	                 .log_level = LOG_LEVEL_INFO,
	                 .log_transitions_only = true,
	                 .k8s_note = left_note },
	/* every check that stays at a level: no log line, no Kubernetes Event, not in --webhook */
	[EVENT_REMAINING] = { .name = "remaining", .about = EVENT_CLASS_STAY, .levels = EVENT_LEVELS_FROM_0 },
	[EVENT_NORMAL] = { .name = "normal",
	                   .color = "#1565c0",
	                   .about = EVENT_CLASS_STEP,
	                   .levels = EVENT_LEVELS_ZERO,
	                   .k8s_reason = "MemoryNormal",
	                   .k8s_type = "Normal",
	                   .webhook = true,
	                   .log_line = normal_log,
	                   .log_level = LOG_LEVEL_INFO,
	                   .log_transitions_only = true,
	                   .k8s_note = normal_note },
	[EVENT_TARGET_LOST] = { .name = "target_lost",
	                        .about = EVENT_CLASS_TARGET,
	                        .k8s_reason = "TargetLost",
	                        .k8s_type = "Warning",
	                        .webhook = true,
	                        .k8s_note = target_lost_note },
	[EVENT_TARGET_FOUND] = { .name = "target_found", .about = EVENT_CLASS_TARGET, .webhook = true },
	[EVENT_OOM_KILL] = { .name = "oom_kill",
	                     .color = "#000000",
	                     .about = EVENT_CLASS_AT_LEVEL,
	                     .k8s_reason = "OOMKillDetected",
	                     .k8s_type = "Warning",
	                     .webhook = true,
	                     .log_line = oom_kill_log,
	                     .log_level = LOG_LEVEL_WARN,
	                     .k8s_note = oom_kill_note },
	[EVENT_LIMIT_CHANGED] = { .name = "limit_changed",
	                          .color = "#ef6c00",
	                          .about = EVENT_CLASS_AT_LEVEL,
	                          .webhook = true,
	                          .payload_fields = limit_changed_fields,
	                          .log_line = limit_changed_log,
	                          .log_level = LOG_LEVEL_INFO },
};

const char *event_kind_name(enum event_kind k)
{
	const struct event_kind_row *row = event_kind_row(k);
	return row ? row->name : "unknown";
}

int event_kind_from_name(const char *s)
{
	if (!s)
		return -EINVAL;
	for (int k = 0; k < EVENT_KINDS; k++)
		if (strcmp(event_kinds[k].name, s) == 0)
			return k;
	return -EINVAL;
}

bool event_kind_takes_level(enum event_kind k)
{
	const struct event_kind_row *row = event_kind_row(k);
	return row && (row->levels == EVENT_LEVELS_FROM_1 || row->levels == EVENT_LEVELS_FROM_0);
}

int event_kind_min_level(enum event_kind k)
{
	const struct event_kind_row *row = event_kind_row(k);
	return row && (row->levels == EVENT_LEVELS_FROM_0 || row->levels == EVENT_LEVELS_ZERO) ? 0 : 1;
}

bool event_kind_at_level(enum event_kind k, int level)
{
	const struct event_kind_row *row = event_kind_row(k);
	if (!row || level < 0)
		return false;
	switch (row->levels) {
	case EVENT_LEVELS_ZERO:
		return level == 0;
	case EVENT_LEVELS_FROM_1:
		return level >= 1;
	case EVENT_LEVELS_FROM_0:
		return true;
	default:
		return false;
	}
}

int event_handler_level(const struct event *ev)
{
	const struct event_kind_row *row = event_kind_row(ev->kind);
	return row && row->level_is_previous ? ev->previous_level : ev->level;
}

void event_kind_names_list(char *ret, size_t size)
{
	size_t n = 0;
	ret[0] = '\0';
	for (int k = 0; k < EVENT_KINDS && n < size; k++) {
		const char *sep = k == 0 ? "" : k == EVENT_KINDS - 1 ? " or " : ", ";
		int w = snprintf(ret + n, size - n, "%s%s", sep, event_kinds[k].name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}
