/* The events handlers can take, the record of one, and their table: one row per kind holding
 * every column a kind needs (its name, the levels it names, its Kubernetes reason, whether
 * --webhook takes it, the payload fields it adds, its log line and Kubernetes note). A new kind is
 * a value here and a row in lib/policy/event.c; nothing else lists or switches over event kinds. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/names.h" /* enum log_level */
#include "policy/sample.h"

/* Handler events (policy "on", payload "event", MEMHOOK_EVENT), in the order of their rows. */
enum event_kind {
	EVENT_ENTERED,
	EVENT_LEFT,
	EVENT_REMAINING,
	EVENT_NORMAL,
	EVENT_TARGET_LOST,
	EVENT_TARGET_FOUND,
	EVENT_OOM_KILL,
	EVENT_LIMIT_CHANGED, /* the effective limit changed (resize, docker update, VPA) */
	EVENT_KINDS,
};

/* One step. level is the level in effect after it, previous_level the one before:
 * entered 2 is {2, 1}; left 2 is {1, 2}; normal is {0, 1}; remaining 3 is {3, 3}.
 * The other kinds carry the current level in both. */
struct event {
	enum event_kind kind;
	int level;
	int previous_level;
	uint64_t old_limit_bytes, new_limit_bytes; /* the effective limits, for a kind that changes it */
};

/* What an event is about, which also orders `simulate`'s summary (steps, then stays, then the
 * rest; the target's presence never happens in a replay). */
enum event_class {
	EVENT_CLASS_STEP,     /* the level changed: entered, left, normal */
	EVENT_CLASS_STAY,     /* the level did not change: remaining */
	EVENT_CLASS_AT_LEVEL, /* something happened to the target at the current level */
	EVENT_CLASS_TARGET,   /* the target appeared or vanished: no sample */
};

/* The levels an event names: what a handler's "level" matches. */
enum event_levels {
	EVENT_LEVELS_CURRENT, /* whatever level is current; handlers name none */
	EVENT_LEVELS_ZERO,    /* level 0 only; handlers name none */
	EVENT_LEVELS_FROM_1,  /* a level from 1; handlers may name one */
	EVENT_LEVELS_FROM_0,  /* a level from 0; handlers may name one, 0 included */
};

/* A payload field of a kind's own: "key": value in the webhook body, MEMHOOK_<KEY>=value for exec. */
struct event_field {
	const char *key;
	uint64_t value;
};
#define EVENT_FIELDS_MAX 2

struct event_kind_row {
	const char *name; /* the policy's "on", the payload's "event" */
	enum event_class about;
	enum event_levels levels;
	bool level_is_previous; /* a handler's "level" is the one left (previous_level), not entered */
	const char *k8s_reason; /* events.k8s.io reason; NULL: not sent to Kubernetes */
	const char *k8s_type;   /* "Warning" or "Normal" */
	bool webhook;           /* in the set --webhook <url> posts */
	/* Writes the fields this kind adds to the payload into ret; returns how many (NULL: none). */
	size_t (*payload_fields)(const struct event *ev, struct event_field ret[EVENT_FIELDS_MAX]);
	/* The log line (NULL: none), written at log_level; only when the policy's log_transitions is
	 * on when log_transitions_only. s is the event's sample (never NULL here). */
	void (*log_line)(const struct event *ev, const struct sample *s, const char *level_name,
	                 const char *previous_level_name, char *ret, size_t size);
	enum log_level log_level;
	bool log_transitions_only;
	/* The first part of the Kubernetes note ("Memory level 2 (high) entered from 1 (warn)"); s may
	 * be NULL. NULL: "<name> at level N (<name>)". */
	void (*k8s_note)(const struct event *ev, const struct sample *s, const char *level_name,
	                 const char *previous_level_name, char *ret, size_t size);
	/* Its markers' colour in the pictures of simulate and plot (lib/output/plot.c); NULL: grey. */
	const char *color;
};

/* The rows, indexed by kind. */
extern const struct event_kind_row event_kinds[EVENT_KINDS];

/* The row of kind k, or NULL when k is out of range. Inline: every check asks, for its steps. */
static inline const struct event_kind_row *event_kind_row(enum event_kind k)
{
	return (unsigned)k < EVENT_KINDS ? &event_kinds[k] : NULL;
}

/* The name of k, or "unknown" for a value out of range. */
const char *event_kind_name(enum event_kind k);
/* The kind whose name is exactly s (case-sensitive), or -EINVAL (also for NULL). */
int event_kind_from_name(const char *s);

/* Whether handlers of kind k may name a level, and the lowest they may name. */
bool event_kind_takes_level(enum event_kind k);
int event_kind_min_level(enum event_kind k);
/* Whether an event of kind k can be at level (as a handler's "level" matches it); false for the
 * kinds at whatever level is current. */
bool event_kind_at_level(enum event_kind k, int level);
/* The level a handler's "level" matches for ev (the level left for a left). */
int event_handler_level(const struct event *ev);
/* Whether ev carries its check's sample (all but the target's appearance and loss). Inline, as
 * event_kind_row. */
static inline bool event_has_sample(const struct event *ev)
{
	const struct event_kind_row *row = event_kind_row(ev->kind);
	return row && row->about != EVENT_CLASS_TARGET;
}

/* "a, b, c or d": every kind's name, into ret (size >= 128). */
void event_kind_names_list(char *ret, size_t size);
