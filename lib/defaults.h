/* Every default and bound memhook applies when the policy or the command line says nothing, each
 * with where its value came from. Documented in README ("Policy", "Options"). */
#pragma once

#include "util.h" /* USEC_PER_* */

/* ---- the policy document ---- */

/* Satella checks every 10 s; 1 s catches a growth well before the OOM killer at the cost of one
 * pread of memory.current per second. */
#define CHECK_INTERVAL_DEFAULT_USEC USEC_PER_SEC
/* Below 10 ms the checks themselves dominate the target's CPU. */
#define CHECK_INTERVAL_MIN_USEC (10 * USEC_PER_MSEC)
/* A policy is a few KiB; 1 MiB is plenty and bounds what one open() can make us read. */
#define POLICY_FILE_MAX_BYTES (UINT64_C(1) << 20)
/* Levels are steps of severity, not a table: a few are enough, and a bound keeps a transition's
 * event list on the stack. */
#define POLICY_MAX_LEVELS 32
/* One handler per level and event is 32 * 7 = 224; 256 leaves room beside that and bounds what
 * one reload parses and keeps (80,000 headers once held the loop for 21 s). */
#define POLICY_MAX_HANDLERS 256
/* A level name goes into every event, log line and the status file: a word, not a paragraph. */
#define POLICY_NAME_MAX_CHARS 64
/* Any other string of the policy (a path, an argument, a header value): PATH_MAX (4096) is the
 * longest path the kernel takes, and nothing else in a policy needs more. */
#define POLICY_STRING_MAX_CHARS 4096
/* A command's program and arguments: a probe or a hook script needs a handful; the bound keeps
 * a policy from asking for a megabyte of argv. */
#define COMMAND_MAX_ARGS 128

/* ---- conditions ---- */

/* What local conditions count as used ("usage"): memory.current, as Satella and the OOM killer
 * count it; the working set (kubelet's eviction signal) and anon are opt-in (README, "What used
 * means"). */
#define USAGE_DEFAULT USAGE_CURRENT

/* A custom probe answers a yes/no question; a second is long for that, and the check waits on it. */
#define PROBE_TIMEOUT_DEFAULT_USEC USEC_PER_SEC
/* Every probe is a child with its pipes at every check: 600 probes ran out of file descriptors
 * (limit 1024) and the level they guarded never entered. 16 is a few questions per level. */
#define POLICY_MAX_PROBES 16
/* Conditions under one "all" or "any": a level is a few tests combined, not a table. */
#define CONDITION_MAX_CHILDREN 64
/* all/any/not nest at most this deep ("when" itself is depth 1): real policies nest 2 or 3
 * deep, and every level of nesting is a recursion when the policy is parsed and evaluated. */
#define CONDITION_MAX_DEPTH 16

/* ---- actions ---- */

/* OOMHero posts with 3 s and no retry; 5 s leaves room for a receiver under load, and the Standard
 * Webhooks guidance (15-30 s) is too long for a warning that memory is running out. */
#define WEBHOOK_TIMEOUT_DEFAULT_USEC (5 * USEC_PER_SEC)
/* Three retries after 500 ms, 1 s, 2 s: a restarting receiver is back within those 3.5 s. */
#define WEBHOOK_RETRIES_DEFAULT      3
#define WEBHOOK_BACKOFF_DEFAULT_USEC (500 * USEC_PER_MSEC)
/* With doubling backoff, 10 retries already span minutes: more is a receiver that is down. */
#define WEBHOOK_RETRIES_MAX 10
/* An event not delivered within a minute describes memory that has long changed: the receiver
 * learns of it through "dropped_before" rather than late as if it were news (issue 9). */
#define WEBHOOK_MAX_AGE_DEFAULT_USEC (60 * USEC_PER_SEC)
/* Secrets at once in a secret file or variable: the current one and the next while keys rotate
 * (Standard Webhooks), with room for one more. */
#define WEBHOOK_SECRETS_MAX 4
/* Concurrent transfers over every endpoint (one at most per endpoint): enough for a few receivers
 * at once, few enough not to flood a network that is already slow. */
#define WEBHOOK_MAX_IN_FLIGHT 4
/* GitHub's X-Hub-Signature-256 form, under memhook's own name (CONVENTIONS.md). */
#define WEBHOOK_SIGNATURE_HEADER_DEFAULT "X-Memhook-Signature"
/* Headers a webhook adds: an Authorization and a few more. 80,000 took 15 s to check for
 * duplicates (pairwise, ignoring case); 64 take 2,016 comparisons. */
#define WEBHOOK_MAX_HEADERS 64
/* A header name (and signature_header): real ones are under 40 characters. */
#define WEBHOOK_HEADER_NAME_MAX_CHARS 256
/* Browsers and CDNs stop at about 2 KiB (IE's 2,083); a webhook URL with a token fits well. */
#define WEBHOOK_URL_MAX_CHARS 2048
/* An exec action is a short script (a dump, a notification); 10 s bounds a hung one. */
#define EXEC_TIMEOUT_DEFAULT_USEC (10 * USEC_PER_SEC)
/* exec, signal and reclaim run one after the other in event order (lib/dispatch.c). An exec
 * holds the ones after it until it exits, or at most its timeout plus this: the SIGKILL at the
 * timeout normally ends it at once; a child stuck in the kernel (D state) must not hold the
 * stream for good. */
#define EXEC_HOLD_GRACE_USEC USEC_PER_SEC
/* A reclaim holds the ones after it at most this long; the write then finishes in the background
 * and is logged when the kernel is done. 512 MiB from zram took about 1 s in the test VM; 30 s is
 * a kernel struggling, and the critical action after it must not wait longer. */
#define RECLAIM_HOLD_DEFAULT_USEC (30 * USEC_PER_SEC)
/* On stop, reclaims still in the kernel get this long to report; then memhook exits without them
 * (the exit interrupts the write). */
#define RECLAIM_STOP_WAIT_USEC USEC_PER_SEC
/* Reclaims still in the kernel at once (each past its hold, on its own worker thread): a kernel
 * that takes minutes per write gets no fifth thread; that reclaim fails instead. */
#define RECLAIM_RUNNING_MAX 4
/* Ordered actions (exec, signal, reclaim) waiting for the one before them: 64 is every level
 * entered and left several times over while a slow exec runs; past it the oldest waiting one is
 * dropped, so a flood of events cannot make memhook's memory grow. */
#define ACTION_QUEUE_CAP_DEFAULT 64

/* ---- the daemon (cmd/memhook.c, lib/monitor.c) ---- */

/* Time queued webhooks get on SIGTERM: one default webhook timeout; Kubernetes' termination grace
 * period (30 s) leaves room for it. */
#define GRACE_DEFAULT_USEC (5 * USEC_PER_SEC)
/* `memhook status`: a status file rewritten every 5 s that is older than 30 s (six missed
 * rewrites) belongs to a memhook that is stuck or gone. */
#define STATUS_MAX_AGE_DEFAULT_USEC (30 * USEC_PER_SEC)
/* Webhook jobs waiting or in flight: 64 covers a burst of every level entered and left several
 * times over, while a receiver that is down cannot make memhook's memory grow. */
#define WEBHOOK_QUEUE_CAP_DEFAULT 64
/* The status file is rewritten at most this often (and on every level change, loss and find): a
 * liveness probe every 10 s (Kubernetes' default period) always sees a fresh one. */
#define STATUS_PERIOD_USEC (5 * USEC_PER_SEC)
/* A PSI trigger: 5% stall in a 2 s window. Unprivileged openers need a window that is a
 * multiple of 2 s (kernel psi.rst; measured on the project's machines). */
#define PSI_TRIGGER "some 100000 2000000\n"
/* Wakeups closer together than this are folded into one check (memory.events can notify up to
 * 100 times a second under memory.high throttling). */
#define WAKE_MIN_GAP_USEC (20 * USEC_PER_MSEC)

/* ---- the target ---- */

/* cgroup.procs is read into a growing array up to this many pids (the kernel's pid_max is at most
 * 4 Mi; a million processes in one cgroup is not a container). */
#define CG_PROCS_MAX (1u << 20)
