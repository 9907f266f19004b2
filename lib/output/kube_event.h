/* What memhook's events become in Kubernetes: events.k8s.io/v1 Event bodies, their names and
 * notes, the series of repeats, the API server's address. Pure: no I/O, the clock is passed in. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/defaults.h"
#include "policy/event.h"
#include "policy/sample.h"

#define KUBE_REPORTING_CONTROLLER "memhook.io/memhook"
#define KUBE_ACTION               "MemoryPressure"

/* The Pod an Event is about (the Downward API); uid may be NULL (then left out). container: the
 * container of the pod the Event is about (memhook node, which watches each one apart), or NULL;
 * it heads the note ("container app: ...") and is part of the series' subject. */
struct kube_pod {
	const char *name;
	const char *ns;
	const char *uid;
	const char *container;
};

/* The reason ("MemoryLevelEntered", ...) and type ("Warning" or "Normal") of events of kind k.
 * Returns 0, or -EINVAL for the kinds that are not sent (no reason in their row of event.h). */
int kube_event_reason(enum event_kind k, const char **ret_reason, const char **ret_type);

/* real_usec as a MicroTime: RFC 3339 in UTC with microseconds, "2026-11-25T21:11:00.123456Z". */
void kube_micro_time(uint64_t real_usec, char ret[32]);

/* "<pod>.<hex of unique>": the pod name cut so that the whole fits KUBE_NAME_MAX_CHARS (a DNS
 * subdomain: a cut never leaves a '.' or '-' before the dot). size >= KUBE_NAME_MAX_CHARS + 1. */
void kube_event_name(const char *pod, uint64_t unique, char *ret, size_t size);

/* The note: what happened (the row's k8s_note), the level and the sample (s may be NULL), at most size - 1
 * bytes (size <= KUBE_NOTE_MAX_BYTES + 1 keeps it within the API server's limit). */
void kube_event_note(const struct event *ev, const char *level_name, const char *previous_level_name,
                     const struct sample *s, char *ret, size_t size);

/* The JSON of a new Event (malloc'd), or NULL when out of memory. */
char *kube_event_body(const struct kube_pod *pod, const char *name, const char *reason, const char *type,
                      const char *note, uint64_t event_real_usec);
/* The JSON merge patch of a repeat: {"series":{"count":N,"lastObservedTime":...}}; NULL: ENOMEM. */
char *kube_series_patch(uint64_t count, uint64_t last_real_usec);

/* The API server's base URL from KUBERNETES_SERVICE_HOST and _PORT: "https://HOST:PORT", an IPv6
 * address in brackets. Returns 0, -EINVAL (missing or empty, or a port that is not 1..65535) or
 * -ENAMETOOLONG. */
int kube_api_url(const char *host, const char *port, char *ret, size_t size);

/* What a series is about besides its reason and levels: the pod (its namespace, name and
 * container) and, for
 * an Event of memhook's own word about the pod (kube_events_post_note), the note. FNV-1a. */
uint64_t kube_subject_key(const struct kube_pod *pod, const char *note);

/* One Event being repeated: created as name, seen count times, last at last_mono_usec. */
struct kube_series {
	bool used;
	uint64_t subject; /* kube_subject_key: the key with the reason and the levels */
	char reason[KUBE_FIELD_MAX_CHARS + 1];
	int level, previous_level;
	char name[KUBE_NAME_MAX_CHARS + 1];
	uint64_t count;
	uint64_t last_mono_usec;
};

struct kube_series_table {
	struct kube_series s[KUBE_EVENTS_SERIES_MAX];
};

/* The series of (subject, reason, level, previous_level) seen within window_usec before now, or NULL. */
struct kube_series *kube_series_find(struct kube_series_table *t, uint64_t subject, const char *reason,
                                     int level, int previous_level, uint64_t now_mono_usec,
                                     uint64_t window_usec);
/* Starts a series for a created Event (count 1), in a free slot or the least recently seen. */
struct kube_series *kube_series_start(struct kube_series_table *t, uint64_t subject, const char *reason,
                                      int level, int previous_level, const char *name,
                                      uint64_t now_mono_usec);
/* Forgets a series (its Event is gone: 404). */
void kube_series_forget(struct kube_series *s);
