/* Names of the enums that appear in policies, logs and payloads, and their reverse lookups. */
#include <errno.h>
#include <string.h>

#include "event.h"
#include "policy.h"
#include "sample.h"
#include "util.h"

static const char *const event_names[EVENT_KINDS] = {
	[EVENT_ENTERED] = "entered",         [EVENT_LEFT] = "left",
	[EVENT_REMAINING] = "remaining",     [EVENT_NORMAL] = "normal",
	[EVENT_TARGET_LOST] = "target_lost", [EVENT_TARGET_FOUND] = "target_found",
	[EVENT_OOM_KILL] = "oom_kill",
};

static const char *const psi_kind_names[PSI_KINDS] = {
	[PSI_SOME] = "some",
	[PSI_FULL] = "full",
};

static const char *const psi_window_names[PSI_WINDOWS] = {
	[PSI_AVG10] = "avg10",
	[PSI_AVG60] = "avg60",
	[PSI_AVG300] = "avg300",
};

static const char *const memevent_names[MEMEV_COUNT] = {
	[MEMEV_LOW] = "low", [MEMEV_HIGH] = "high",         [MEMEV_MAX] = "max",
	[MEMEV_OOM] = "oom", [MEMEV_OOM_KILL] = "oom_kill",
};

static const char *const action_names[] = {
	[ACTION_WEBHOOK] = "webhook",
	[ACTION_SIGNAL] = "signal",
	[ACTION_RECLAIM] = "reclaim",
	[ACTION_EXEC] = "exec",
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

const char *event_kind_name(enum event_kind k)
{
	return lookup(event_names, ARRAY_SIZE(event_names), (int)k);
}
int event_kind_from_name(const char *s)
{
	return reverse(event_names, ARRAY_SIZE(event_names), s);
}

const char *psi_kind_name(enum psi_kind k)
{
	return lookup(psi_kind_names, ARRAY_SIZE(psi_kind_names), (int)k);
}
int psi_kind_from_name(const char *s)
{
	return reverse(psi_kind_names, ARRAY_SIZE(psi_kind_names), s);
}

const char *psi_window_name(enum psi_window w)
{
	return lookup(psi_window_names, ARRAY_SIZE(psi_window_names), (int)w);
}
int psi_window_from_name(const char *s)
{
	return reverse(psi_window_names, ARRAY_SIZE(psi_window_names), s);
}

const char *memevent_name(enum memevent e)
{
	return lookup(memevent_names, ARRAY_SIZE(memevent_names), (int)e);
}
int memevent_from_name(const char *s)
{
	return reverse(memevent_names, ARRAY_SIZE(memevent_names), s);
}

const char *action_kind_name(enum action_kind k)
{
	return lookup(action_names, ARRAY_SIZE(action_names), (int)k);
}
