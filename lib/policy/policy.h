/* The policy: severity levels (condition trees) and handlers (event -> action). Parsed from JSON
 * with cJSON, validated completely, then read-only. Every node carries its JSON path for messages.
 *
 * JSON contract (unknown keys anywhere are errors):
 *   check_interval     duration string, default "1s", >= 10ms: the longest wait between checks
 *   assume_growth      rate "1Gi/s" (default none): adaptive checks take local usage to grow at
 *                      least this fast, so a burst from flat is caught (costs checks when idle)
 *   min_interval       duration string, default "10ms", >= 1ms, <= check_interval: the shortest
 *                      (adaptive checks, lib/decide/adaptive.h; equal to check_interval: checks every
 *                      check_interval)
 *   maximum_available  "auto" (default) or a size: overrides the target's local maximum
 *   log_transitions    bool, default true
 *   tripwire           bool, default true: on cgroup v2, memory.high is set at the next usage
 *                      threshold so the kernel wakes a check as usage crosses it
 *                      (lib/kernel/tripwire.h); false: never
 *   usage              "current" (default) | "working_set" | "anon": what local conditions measure
 *   levels             1..32 of {"name": str (unique, non-empty, <= 64 chars), "when": condition,
 *                      "for": duration (0..24h, default 0: entered once when has held that long),
 *                      "clear_for": duration (0..24h, default 0: left once the clear condition has
 *                      held that long), "clear_when": condition (default: not when)}
 *   handlers           array (may be empty, <= 256) of handler objects
 * every other string is at most 4096 characters (lib/base/defaults.h has every bound)
 * condition: an object with exactly one key:
 *   global_absolute size | global_relative percent | local_absolute size | local_relative percent
 *   local_absolute / local_relative also {"below": size|percent, "usage": usage kind}: the
 *   condition's own usage (global_* take no usage: they measure the host)
 *   custom {"command": [abs path, args...], "timeout": duration (default "1s")}  (<= 16 per policy)
 *   all [cond, ...] (1..64) | any [cond, ...] (1..64) | not cond       (nested <= 16 deep)
 *   pressure {"kind": "some"|"full" (default "some"), "window": "avg10"|"avg60"|"avg300"
 *             (default "avg10"), "above": percent}                         (cgroup v2 only)
 *   events "high"|"max"|"oom"|"oom_kill"|"low"  or  {"counter": name, "increased_by": n >= 1}
 *                                                                          (cgroup v2 only)
 *          (and "oom_group_kill", v2 memory.events of kernel 5.17+; 0 on older kernels)
 * handler: {"on": event name, "level": int (optional; 1..n_levels, 0 allowed for remaining),
 *           "every": duration (remaining only, rate limit),
 *           exactly one action key: "webhook" | "signal" | "reclaim" | "exec" | "memory_high"}
 *   webhook  {"url": http(s) URL (<= 2048 chars), "timeout": duration "5s",
 *             "headers": {name (<= 256 chars): value} (<= 64),
 *             "retries": int 0..10 (default 3), "backoff": duration "500ms" (doubles each retry),
 *             "secret_file": abs path | "secret_env": VAR (whitespace-separated secrets, each
 *             "whsec_<base64>" or plain, <= 4), "signature": ["standard", "memhook"] (1..2 of
 *             them, default both), "signature_header": name (default "X-Memhook-Signature"),
 *             "max_age": duration "60s" (> 0), "tls_verify": bool (default true)}
 *   signal   "SIGUSR1" | "USR1" | 10  or  {"signal": ..., "to": "main"|"cgroup" (default "main")}
 *   reclaim  "64Mi" | "5%"  or  {"amount": "64Mi"|"5%"}
 *   memory_high "200Mi" | "80%" (of the effective limit)  or  {"amount": ...}   (cgroup v2 only;
 *             the value replaced is restored on normal and at exit)
 *   exec     [abs path, args...]  or  {"command": [...], "timeout": duration (default "10s"),
 *             "detach": bool (default false: runs in event order with signal and reclaim)}
 *   (a command is 1..128 strings)
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/defaults.h" /* POLICY_MAX_LEVELS and every default above */
#include "policy/event.h"
#include "base/names.h" /* enum cond_kind, action_kind and every other name */
#include "policy/sample.h"

struct condition {
	enum cond_kind kind;
	char *path;                 /* "levels[2].when.any[0]" */
	uint64_t bytes;             /* *_ABSOLUTE: true when free bytes < bytes */
	double percent;             /* *_RELATIVE: free percent < percent; PRESSURE: avg > percent */
	enum psi_kind psi_kind;     /* PRESSURE */
	enum psi_window psi_window; /* PRESSURE */
	enum usage_kind usage; /* LOCAL_*, TIME_TO_LIMIT, GROWTH: what "used" means (the condition's, else the
	                          policy's) */
	enum memevent memevent;     /* EVENTS */
	uint64_t increased_by;      /* EVENTS: true when events_delta[memevent] >= increased_by */
	size_t probe;               /* CUSTOM: index into policy.probes */
	uint64_t window_usec;       /* TIME_TO_LIMIT, GROWTH: how far back the fit reaches */
	uint64_t below_usec;        /* TIME_TO_LIMIT: true when the projected time is below this */
	double rate_bytes_per_sec;  /* GROWTH: true when the slope is above this */
	size_t trend;               /* TIME_TO_LIMIT, GROWTH: index into policy.trends and the sample's
	                             * trend_fits */
	struct condition *children; /* ALL, ANY: n_children >= 1; NOT: exactly 1 */
	size_t n_children;
};

/* What one trend condition fits: a kind of usage over a window. */
struct trend_spec {
	enum usage_kind usage;
	uint64_t window_usec;
};

struct probe {
	char **argv; /* NULL-terminated; argv[0] absolute */
	uint64_t timeout_usec;
	const char *path; /* the condition's path, for logs */
};

struct level {
	char *name;
	struct condition when;
	uint64_t for_usec;       /* entered once when has held this long; 0: at once (Satella) */
	uint64_t clear_for_usec; /* left once the clear condition has held this long; 0: at once */
	bool has_clear_when;     /* clear_when below is set; otherwise the clear condition is not when */
	struct condition clear_when;
};

struct webhook_cfg {
	char *url;
	char *url_log;         /* url as every message shows it: no user name or password (url_redact) */
	uint64_t timeout_usec; /* per attempt, default 5 s */
	char **headers;        /* NULL-terminated "Name: value" */
	unsigned retries;      /* further attempts after the first, default 3 */
	uint64_t backoff_usec; /* first retry delay, doubled each time, default 500 ms */
	char *secret_file;     /* HMAC secret source, at most one of the two */
	char *secret_env;
	char *signature_header; /* default "X-Memhook-Signature" */
	unsigned signatures;    /* bit (1 << enum webhook_signature) per header set; 0: both */
	uint64_t max_age_usec;  /* undelivered by then after the event: dropped; 0: default 60 s */
	uint64_t id;            /* unique per handler of a policy (its index + 1; the monitor moves a
	                         * reload's past the old ones): a 410 Gone disables this id's deliveries */
	bool tls_verify;        /* default true */
};

struct signal_cfg {
	int signo;
	bool whole_cgroup; /* every pid in cgroup.procs rather than the main process */
};

struct reclaim_cfg {
	uint64_t bytes; /* absolute amount, or 0 when percent is used */
	double percent; /* of the current usage, 0 < percent <= 100 */
};

struct memory_high_cfg {
	uint64_t bytes; /* absolute value, or 0 when percent is used */
	double percent; /* of the effective limit (sample.limit_bytes), 0 < percent <= 100 */
};

struct exec_cfg {
	char **argv;           /* NULL-terminated; argv[0] absolute */
	uint64_t timeout_usec; /* default 10 s */
	bool detach;           /* runs at once beside the ordered actions, holding none back */
};

/* pressure_watch: systemd's memory-pressure protocol served at path (lib/actions/pressure_socket.h) */
struct pressure_watch_cfg {
	char *path;                 /* absolute: an AF_UNIX stream socket, or a FIFO */
	bool fifo;                  /* a FIFO instead of a socket */
	uint64_t min_interval_usec; /* notifications at most this often; a firing within waits */
};

struct handler {
	char *path; /* "handlers[3]" */
	enum event_kind on;
	int level;           /* -1: any level */
	uint64_t every_usec; /* remaining: at most once per this; 0: every check */
	enum action_kind action;
	struct webhook_cfg webhook;
	struct signal_cfg signal;
	struct reclaim_cfg reclaim;
	struct exec_cfg exec;
	struct memory_high_cfg memory_high;
	struct pressure_watch_cfg pressure_watch;
};

struct policy {
	uint64_t check_interval_usec;
	uint64_t min_interval_usec;         /* adaptive checks: the shortest wait (lib/decide/adaptive.h) */
	double assume_growth_bytes_per_sec; /* adaptive checks: local usage is taken to grow at least this
	                                       fast (0: as measured) */
	uint64_t maximum_available_bytes;   /* 0: auto */
	bool log_transitions;
	bool tripwire_off;     /* "tripwire": false (default on: memory.high as a usage tripwire on
	                          cgroup v2, lib/kernel/tripwire.h); false when zeroed */
	enum usage_kind usage; /* "usage": what local conditions measure unless they say otherwise */
	struct level *levels;  /* levels[0] is level 1 */
	size_t n_levels;
	struct handler *handlers;
	size_t n_handlers;
	struct probe *probes; /* every custom condition, in document order */
	size_t n_probes;
	struct trend_spec trends[POLICY_MAX_TRENDS]; /* every trend condition, in document order */
	size_t n_trends;
	uint64_t trend_max_window_usec; /* the longest of them: the ring's span (0: no trends) */
	bool needs_v2;                  /* uses pressure or events conditions */
	bool needs_reclaim;             /* has a reclaim handler */
	bool needs_stat;     /* usage (the policy's or a condition's) other than current: memory.stat */
	bool has_hysteresis; /* some level has for, clear_for or clear_when (check_step's timers) */
};

/* The embedded default policy (policies/default.json), NUL-terminated. */
extern const char policy_default_json[];

/* Parses and validates a policy. On failure returns -EINVAL (or -ENOMEM) and writes
 * "<json path>: <reason>" into err; *ret is untouched. */
int policy_parse(const char *json, size_t len, struct policy **ret, char *err, size_t err_size);
/* policy_parse, and where in json its error is: *ret_line and *ret_col (from 1; the column counts
 * bytes, as in "invalid JSON near line L column C") of the key, or array element, the error's path
 * names; both 0 when the error names no place found in the text (the whole document, a key that
 * is missing, a key with '.' or '[' in it). */
int policy_parse_at(const char *json, size_t len, struct policy **ret, char *err, size_t err_size,
                    unsigned *ret_line, unsigned *ret_col);

/* Reads a regular file (at most 1 MiB) and parses it; errors name the file, and the line and column
 * when policy_parse_at found them: "<file>:<line>:<column>: <json path>: <reason>". A FIFO, device or
 * directory is refused at once ("<path>: not a regular file", -EBADFD or -EISDIR), never waited
 * on. -errno on I/O errors. */
int policy_load(const char *path, struct policy **ret, char *err, size_t err_size);

void policy_free(struct policy *p);

/* Adds a webhook handler posting to url for every kind in the --webhook set (event.h's webhook
 * column: all but remaining), in the order of their rows (the --webhook option).
 * Returns 0 or -EINVAL ("--webhook.webhook.url: ..." in err) / -ENOMEM. */
int policy_add_webhook(struct policy *p, const char *url, char *err, size_t err_size);

/* Checks what depends on the target: reclaim, pressure and events need cgroup v2 (version 2).
 * Returns 0 or -EINVAL with the handler/condition path in err. */
int policy_check_target(const struct policy *p, int cgroup_version, char *err, size_t err_size);

/* The name of a level: "normal" for 0, "?" past the policy's levels. */
const char *policy_level_name(const struct policy *p, int level);

/* Prints one line per level and per handler (for `memhook check`). */
void policy_describe(const struct policy *p, FILE *out);
