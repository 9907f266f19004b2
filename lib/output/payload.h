/* What an event says to the outside: the webhook's JSON body and the exec's environment. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/event.h"
#include "policy/sample.h"
#include "base/util.h" /* strv_free, format_rfc3339_usec */

/* Who sends: the same for every event of one memhook, gathered once by its caller (cmd/: the
 * hostname, the downward API's POD_NAME and POD_NAMESPACE, an instance id drawn at start). */
struct payload_origin {
	const char *instance; /* PAYLOAD_INSTANCE_SIZE - 1 lower-case hex digits (payload_format_instance) */
	const char *hostname; /* "" when unknown */
	const char *pod_name; /* NULL when unset */
	const char *pod_namespace; /* NULL when unset */
	/* memhook node: the container's pod and the container; NULL when unknown (the sidecar) */
	const char *pod_uid;
	const char *container;    /* its name; without the API server, its ID's first 12 hex digits */
	const char *container_id; /* 64 hex digits */
};

/* 16 hex digits and the NUL */
#define PAYLOAD_INSTANCE_SIZE 17

struct event_ctx {
	const struct payload_origin *origin;
	const struct event *ev;
	const char *level_name;          /* name of ev->level ("normal" for 0; policy_level_name) */
	const char *previous_level_name; /* likewise for ev->previous_level */
	uint64_t seq;                    /* only grows over memhook's lifetime */
	uint64_t real_usec;              /* event time, CLOCK_REALTIME */
	const char *cgroup_path;         /* target cgroup directory, NULL when unknown */
	pid_t pid;                       /* target main pid, 0 when unknown */
	const struct sample *sample;     /* the sample that caused it; NULL when there is none */
};

/* An instance id from 64 random bits: 16 lower-case hex digits into ret (PAYLOAD_INSTANCE_SIZE). One
 * per process: a restarted memhook, whose seq starts again, has another. */
void payload_format_instance(uint64_t random_bits, char ret[PAYLOAD_INSTANCE_SIZE]);

/* The webhook body (compact JSON, malloc'd, NUL-terminated), documented in README and in
 * policies/payload.schema.json. Adds c->origin: instance, hostname and, when set, the pod.
 * It ends with '}' so the webhook client can append "dropped_before" per endpoint.
 * Returns NULL only on allocation failure. */
char *payload_build_json(const struct event_ctx *c, size_t *ret_len);

struct cJSON;
/* The payload's "sample" object (also printed by `run --once`); NULL on allocation failure. */
struct cJSON *payload_sample_json(const struct sample *s);

/* "MEMHOOK_EVENT=entered", "MEMHOOK_LEVEL=2", ..., "MEMHOOK_INSTANCE=<c->origin->instance>" as a malloc'd
 * NULL-terminated array (free with strv_free). NULL on allocation failure. */
char **payload_build_env(const struct event_ctx *c);

/* RFC 3339 UTC with milliseconds: "2026-11-25T21:11:00.123Z". Returns 0 or -EINVAL. The payload's
 * name for util's format_rfc3339_usec, which log lines use too. */
static inline int payload_format_time(uint64_t real_usec, char *buf, size_t size)
{
	return format_rfc3339_usec(real_usec, buf, size);
}
