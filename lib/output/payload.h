/* What an event says to the outside: the webhook's JSON body and the exec's environment. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/event.h"
#include "policy/sample.h"
#include "base/util.h" /* strv_free, format_rfc3339_usec */

struct event_ctx {
	const struct event *ev;
	const char *level_name;          /* name of ev->level ("normal" for 0; policy_level_name) */
	const char *previous_level_name; /* likewise for ev->previous_level */
	uint64_t seq;                    /* only grows over memhook's lifetime */
	uint64_t real_usec;              /* event time, CLOCK_REALTIME */
	const char *cgroup_path;         /* target cgroup directory, NULL when unknown */
	pid_t pid;                       /* target main pid, 0 when unknown */
	const struct sample *sample;     /* the sample that caused it; NULL when there is none */
};

/* This process's instance id: 16 lower-case hex digits drawn from getrandom() at first use, the
 * same for the rest of the process (a restarted memhook, whose seq starts again, has another).
 * Never fails: without getrandom's entropy the clock and the pid stand in. */
const char *payload_instance(void);

/* The webhook body (compact JSON, malloc'd, NUL-terminated), documented in README and in
 * policies/payload.schema.json. Adds instance, hostname and, when set, POD_NAME / POD_NAMESPACE.
 * It ends with '}' so the webhook client can append "dropped_before" per endpoint.
 * Returns NULL only on allocation failure. */
char *payload_build_json(const struct event_ctx *c, size_t *ret_len);

struct cJSON;
/* The payload's "sample" object (also printed by `run --once`); NULL on allocation failure. */
struct cJSON *payload_sample_json(const struct sample *s);

/* "MEMHOOK_EVENT=entered", "MEMHOOK_LEVEL=2", ..., "MEMHOOK_INSTANCE=<payload_instance()>" as a malloc'd
 * NULL-terminated array (free with strv_free). NULL on allocation failure. */
char **payload_build_env(const struct event_ctx *c);

/* RFC 3339 UTC with milliseconds: "2026-11-25T21:11:00.123Z". Returns 0 or -EINVAL. The payload's
 * name for util's format_rfc3339_usec, which log lines use too. */
static inline int payload_format_time(uint64_t real_usec, char *buf, size_t size)
{
	return format_rfc3339_usec(real_usec, buf, size);
}
