/* Every default and bound memhook applies when the policy or the command line says nothing, each
 * with where its value came from. Documented in README ("Policy", "Options"). */
#pragma once

#include "base/util.h" /* USEC_PER_* */

/* ---- the policy document ---- */

/* Satella checks every 10 s; 1 s catches a growth well before the OOM killer at the cost of one
 * pread of memory.current per second. */
#define CHECK_INTERVAL_DEFAULT_USEC USEC_PER_SEC
/* Below 10 ms the checks themselves dominate the target's CPU. */
#define CHECK_INTERVAL_MIN_USEC (10 * USEC_PER_MSEC)
/* Adaptive checks (lib/decide/adaptive.c, README "Adaptive checks"): check_interval is the longest
 * interval, min_interval the shortest. 10 ms (issue 11): at 1 GB/s a check every 10 ms sees each
 * 10 MB, so a level 25 MiB below the limit (10% of 256 MiB) gets two checks before the kill. */
#define MIN_INTERVAL_DEFAULT_USEC (10 * USEC_PER_MSEC)
/* A check costs ~50 us of CPU at a 10 ms interval (README, Benchmarks): at 1 ms that is 5% of a
 * core, spent only while usage closes fast on a threshold (a few tens of ms before a crossing). */
#define MIN_INTERVAL_MIN_USEC USEC_PER_MSEC
/* The next check comes at this fraction of the time the measured growth needs to reach the nearest
 * threshold: the growth may double in between and the check still comes before the crossing, and
 * an approach at a steady rate costs about log2(check_interval / min_interval) extra checks. */
#define ADAPTIVE_SAFETY 0.5
/* Closer than this to a threshold while growing: the next check at min_interval. Four of the
 * kernel's per-CPU charge batches (MEMCG_CHARGE_BATCH, 64 pages): below it usage readings move in
 * steps of that size. Also the growth that counts as none: a rate that would move usage less than
 * this in a whole check_interval. */
#define ADAPTIVE_MARGIN_BYTES (UINT64_C(1) << 20)
/* The growth rate remembered from earlier checks halves every this long (the newest two checks'
 * rate replaces it when larger): a hog that pauses between allocations, or a reading that did
 * not move between two checks 10 ms apart, keeps the checks dense; after a burst they are back
 * at check_interval within a few seconds. */
#define ADAPTIVE_RATE_HALF_LIFE_USEC USEC_PER_SEC
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

/* A level's "for" and "clear_for" (hysteresis): at most a day. The peers hold for seconds to
 * minutes (oomd's duration, systemd-oomd's 30 s, kubelet's 5 m pressure transition period); a
 * longer hold is a typo (a unit missed: "30h" for "30s"), and the bound keeps now - since far
 * from overflow. */
#define HYSTERESIS_MAX_USEC (24 * 60 * 60 * USEC_PER_SEC)

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
/* exec, signal and reclaim run one after the other in event order (lib/actions/dispatch.c). An exec
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
/* A memory_high write below usage makes the kernel reclaim in the writer, like memory.reclaim:
 * it runs on a worker thread and holds the ordered stream as long as a reclaim
 * (RECLAIM_HOLD_DEFAULT_USEC). Restoring at stop raises memory.high, which the kernel applies
 * before any reclaim, so the restored value holds once the write has begun: memhook waits this
 * long for the write to return, then exits (the exit interrupts the kernel's reclaim loop). */
#define MEMORY_HIGH_RESTORE_WAIT_USEC USEC_PER_SEC
/* Ordered actions (exec, signal, reclaim) waiting for the one before them: 64 is every level
 * entered and left several times over while a slow exec runs; past it the oldest waiting one is
 * dropped, so a flood of events cannot make memhook's memory grow. */
#define ACTION_QUEUE_CAP_DEFAULT 64

/* ---- the daemon (cmd/memhook.c, lib/daemon/daemon.c, lib/daemon/monitor.c) ---- */

/* Time queued webhooks get on SIGTERM: one default webhook timeout; Kubernetes' termination grace
 * period (30 s) leaves room for it. */
#define GRACE_DEFAULT_USEC (5 * USEC_PER_SEC)
/* `memhook status`: a status file rewritten every 5 s that is older than 30 s (six missed
 * rewrites) belongs to a memhook that is stuck or gone. */
#define STATUS_MAX_AGE_DEFAULT_USEC (30 * USEC_PER_SEC)
/* Webhook jobs waiting or in flight: 64 covers a burst of every level entered and left several
 * times over, while a receiver that is down cannot make memhook's memory grow. */
#define WEBHOOK_QUEUE_CAP_DEFAULT 64
/* Handlers disabled by 410 Gone remembered at once: every handler of a policy (the --webhook
 * option adds 6), so only a policy already replaced can lose an entry. */
#define WEBHOOK_GONE_MAX (POLICY_MAX_HANDLERS + 8)
/* Destinations kept without a job (only to carry a loss count to their next event) at most. */
#define WEBHOOK_IDLE_ENDPOINTS_MAX (POLICY_MAX_HANDLERS + 8)
/* A secret file holds a few tokens, not a document. */
#define WEBHOOK_SECRET_MAX_BYTES 4096

/* ---- outgoing HTTP (webhooks, Kubernetes Events: lib/delivery/http_multi.c) ---- */

#ifndef MEMHOOK_VERSION
#define MEMHOOK_VERSION "unknown" /* the Makefile defines it */
#endif
#define MEMHOOK_USER_AGENT "memhook/" MEMHOOK_VERSION
/* Of an answer's body, what is kept for the log: an API server's Status is a few hundred bytes
 * and its message is all we log of it. */
#define HTTP_ANSWER_KEEP_BYTES 2048
/* An answer is read up to this much, then the transfer is cut: a webhook's answer is discarded
 * and an API server's Event is a few KiB, while a 1 GiB answer took 12 s of CPU to read. */
#define HTTP_ANSWER_MAX_BYTES (64 * 1024)
/* A Retry-After value is at most this long (an HTTP date is 29 characters, delta-seconds fewer);
 * a longer one is taken as none. */
#define RETRY_AFTER_MAX_CHARS 63
/* The status file is rewritten at most this often (and on every level change, loss and find): a
 * liveness probe every 10 s (Kubernetes' default period) always sees a fresh one. */
#define STATUS_PERIOD_USEC (5 * USEC_PER_SEC)
/* A PSI trigger: 5% stall in a 2 s window. Unprivileged openers need a window that is a
 * multiple of 2 s (kernel psi.rst; measured on the project's machines). */
#define PSI_TRIGGER "some 100000 2000000\n"
/* Wakeups closer together than this are folded into one check (memory.events can notify up to
 * 100 times a second under memory.high throttling). */
#define WAKE_MIN_GAP_USEC (20 * USEC_PER_MSEC)
/* cgroup v1 usage thresholds (cgroup.event_control, lib/kernel/cg_threshold.c): one eventfd each, so a
 * bound on the fds a policy can make memhook hold. 32 is one local condition per level at the
 * policy's most levels (POLICY_MAX_LEVELS); past it the lowest thresholds are left to polling (the
 * highest, nearest the OOM killer, are the ones worth a wakeup). */
#define CG_THRESHOLDS_MAX 32
/* v1's OOM notification comes as the kernel starts its OOM kill, before it has chosen the victim
 * and counted oom_kill (0-14 ms later on the project's host, 3 runs): a second check this long
 * after the notification sees the kill when the first one was too early. */
#define OOM_FOLLOWUP_USEC (100 * USEC_PER_MSEC)

/* ---- the target ---- */

/* cgroup.procs is read into a growing array up to this many pids (the kernel's pid_max is at most
 * 4 Mi; a million processes in one cgroup is not a container). */
#define CG_PROCS_MAX (1u << 20)

/* Trend conditions (time_to_limit, growth): the ring of recent samples each fit reads. 512 points
 * of 32 bytes is 16 KiB, held once; the ring keeps a window covered by 256..512 points however fast
 * checks come (lib/decide/trend.c thins them), which a least-squares slope needs no more of. */
#define TREND_RING_CAP 512
/* Trend conditions in one policy (each costs one pass over the ring per check). */
#define POLICY_MAX_TRENDS 8
/* A fit needs 3 points spanning half its window: two points are a line through noise. */
#define TREND_MIN_POINTS 3
/* A trend window: 1 s (a few checks at the shortest intervals) to 1 h (kubelet's longest
 * eviction windows are minutes; an hour covers slow leaks). */
#define TREND_WINDOW_MIN_USEC USEC_PER_SEC
#define TREND_WINDOW_MAX_USEC (3600 * USEC_PER_SEC)

/* ---- the HTTP endpoints (--listen: lib/output/http_server.c) ---- */

/* Connections at once over all clients: Prometheus keeps one per scraper and the kubelet opens one
 * per probe, so a few are in use; each costs a file descriptor (the usual soft RLIMIT_NOFILE is
 * 1024, containerd's 1048576) and at most HTTP_CONNECTION_MEMORY_LIMIT_BYTES. At the limit a new
 * connection is let in and the one that has waited longest for a request is closed (issue 16:
 * 1,000 idle connections from 100 addresses, /healthz answers; tests/bats/hardening_http.bats). */
#define HTTP_CONNECTION_LIMIT 64
/* Connections at once from one address: a flood from one client only ever closes its own
 * connections, never the kubelet's or Prometheus' (200 idle connections from one address hold 16;
 * tests/bats/http.bats). */
#define HTTP_PER_IP_CONNECTION_LIMIT 16
/* Connections accepted per wakeup before libmicrohttpd runs: those closed to make room are gone
 * before the next batch, so at most HTTP_CONNECTION_LIMIT + this many sockets are open, and a
 * probe accepted in one batch is read before a flood can push it out. */
#define HTTP_ACCEPT_BATCH 8
/* Out of file descriptors (EMFILE) accepting and no connection to close for room: the listening
 * socket rests this long instead of waking the loop at once again, while connections close. */
#define HTTP_ACCEPT_RETRY_USEC (100 * USEC_PER_MSEC)
/* An idle connection (between requests, or a client that went quiet) is closed after this many
 * seconds: Prometheus' default scrape_timeout is 10 s, and a kubelet probe times out after 1 s. */
#define HTTP_CONNECTION_TIMEOUT_SEC 10
/* A request must arrive whole within this long of the connection's start or of the previous
 * answer, however slowly it trickles in: the idle timeout above restarts at every byte, so a
 * slowloris client sending one byte a second would otherwise hold its slot for ever. */
#define HTTP_REQUEST_DEADLINE_USEC (10 * USEC_PER_SEC)
/* Memory per connection for the request line, headers and MHD's bookkeeping (the answer is not
 * in it): a scrape's request is under 1 KiB; libmicrohttpd's default is 32 KiB. A request whose
 * headers do not fit gets 431 (or 413) and the connection is closed. */
#define HTTP_CONNECTION_MEMORY_LIMIT_BYTES (16 * 1024)
/* Connections the kernel queues before memhook accepts them (listen(2) backlog; SOMAXCONN is 4096
 * since Linux 5.4): memhook accepts at every wakeup, at its limit too, so the queue drains. */
#define HTTP_LISTEN_BACKLOG 64
/* ---- the event stream (GET /events: lib/output/event_stream.c) ---- */

/* Recent events kept for a subscriber that reconnects with Last-Event-ID: at the default policy's
 * pace (a step every few seconds) minutes of events; each is its SSE text (a payload is under
 * 1 KiB), so at most about 256 KiB. */
#define SSE_RING_EVENTS 256
/* Subscribers at once; one more is answered 503. Streams are not counted against
 * HTTP_CONNECTION_LIMIT (a scrape or a probe is never refused for them); each costs a descriptor
 * and a few hundred bytes (the events are sent from the ring, not copied). */
#define SSE_SUBSCRIBERS_MAX 128
/* A subscriber further behind than this, in bytes not yet taken by its socket, when an event comes
 * (or that has not taken the previous keep-alive by the next) is cut and counted: a slow reader
 * costs memhook nothing and never holds the loop. 64 KiB is about 90 events. */
#define SSE_BACKLOG_MAX_BYTES (64 * 1024)
/* The socket send buffer of a stream (SO_SNDBUF; the kernel doubles it): with autotuning it
 * could grow to megabytes, hiding a reader that stopped. */
#define SSE_SNDBUF_BYTES (16 * 1024)
/* A keep-alive comment (": ping") this often: proxies and load balancers close a stream idle for
 * 60 s by default (nginx proxy_read_timeout, AWS ALB idle timeout). */
#define SSE_PING_USEC (15 * USEC_PER_SEC)

/* ---- pressure_watch: systemd's memory-pressure socket (lib/actions/pressure_socket.c) ---- */

/* Notifications at most this often by default: systemd's own default PSI trigger for a service is
 * "some 200ms 2s" (sd_event_add_memory_pressure), which the kernel fires at most once per 2 s
 * window; an app written for it expects no more. */
#define PRESSURE_MIN_INTERVAL_DEFAULT_USEC (2 * USEC_PER_SEC)
/* ... and no slower than this may be asked: a notification an hour late is none. */
#define PRESSURE_MIN_INTERVAL_MAX_USEC (3600 * USEC_PER_SEC)
/* Clients connected at once to one socket (one app has one or a few sd-event loops); one more is
 * closed at once. */
#define PRESSURE_CLIENTS_MAX 64
/* What a client may write (MEMORY_PRESSURE_WRITE: a PSI trigger line, under 64 bytes), read and
 * ignored per wakeup and in total; a client that writes more is closed. */
#define PRESSURE_CLIENT_WRITE_MAX_BYTES 4096
/* The path's length: sun_path holds 108 bytes with the NUL. */
#define PRESSURE_PATH_MAX_CHARS 107

/* /healthz answers 200 while a check finished within this many check intervals (issue 12). */
#define HEALTH_CHECK_INTERVALS 3

/* ---- Kubernetes Events (lib/output/kube_event.c, lib/delivery/kube_events.c) ---- */

/* The in-cluster service account files (client-go rest.InClusterConfig). */
#define KUBE_SA_DIR         "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_TOKEN_FILE     KUBE_SA_DIR "/token"
#define KUBE_CA_FILE        KUBE_SA_DIR "/ca.crt"
#define KUBE_NAMESPACE_FILE KUBE_SA_DIR "/namespace"
/* A repeat of the same reason at the same level within this long after the last one PATCHes the
 * existing Event's series instead of creating one: client-go's events broadcaster keeps a series
 * 6 minutes after its last observation (tools/events finishTime). */
#define KUBE_EVENTS_SERIES_WINDOW_USEC (6 * 60 * USEC_PER_SEC)
/* Series remembered at once: 5 reasons at a few levels each; past it the least recently seen is
 * forgotten (its next repeat creates a new Event). */
#define KUBE_EVENTS_SERIES_MAX 64
/* Events waiting or in flight (one at a time, in order): a burst of every level entered and left;
 * past it the oldest waiting one is dropped and counted. */
#define KUBE_EVENTS_QUEUE_CAP 32
/* One request: the API server answers in milliseconds; 5 s is the webhook default. */
#define KUBE_EVENTS_TIMEOUT_USEC WEBHOOK_TIMEOUT_DEFAULT_USEC
/* Retries of a 429, a 5xx or a transport error, after 1 s, 2 s, 4 s (or the Retry-After). */
#define KUBE_EVENTS_RETRIES      3
#define KUBE_EVENTS_BACKOFF_USEC USEC_PER_SEC
/* A Retry-After longer than this is not waited for: the event is given up (an API server asks
 * for 1 s under APF; a minute is an outage). */
#define KUBE_EVENTS_RETRY_AFTER_MAX_USEC (60 * USEC_PER_SEC)
/* A service account token is a JWT of about 1 KiB; a bound, not a limit anyone reaches. */
#define KUBE_TOKEN_MAX_BYTES (16 * 1024)
/* The API server's validation (pkg/apis/core/validation/events.go): note at most 1 kB, reason,
 * action and reportingInstance at most 128 characters, names DNS subdomains of 253. */
#define KUBE_NOTE_MAX_BYTES  1024
#define KUBE_FIELD_MAX_CHARS 128
#define KUBE_NAME_MAX_CHARS  253
/* ---- the policy directory (lib/base/dir_watch.c) ---- */

/* Files of a watched directory told apart: a ConfigMap of policies holds a few; past the bound
 * the names after it (in directory order) are not watched. */
#define DIR_WATCH_ENTRIES_MAX 256
/* A file's content hashed to tell a change: a policy is at most 1 MiB (POLICY_FILE_MAX_BYTES); a
 * larger file is compared by its stat alone. */
#define DIR_WATCH_FILE_MAX_BYTES (1024 * 1024)

/* ---- the pod watch (lib/delivery/kube_watch.c, lib/daemon/pod_watch.c) ---- */

/* timeoutSeconds of a watch: client-go's reflector asks for 5 to 10 minutes (minWatchTimeout);
 * the server ends the watch then, and the next starts from the last resourceVersion. */
#define KUBE_WATCH_TIMEOUT_USEC (5 * 60 * USEC_PER_SEC)
/* A server still silent this long past the watch's timeout has stalled: the request is given up. */
#define KUBE_WATCH_STALL_MARGIN_USEC (30 * USEC_PER_SEC)
/* Connecting, and a list page in all: the API server answers a node's pods in milliseconds. */
#define KUBE_WATCH_CONNECT_TIMEOUT_USEC (10 * USEC_PER_SEC)
#define KUBE_WATCH_LIST_TIMEOUT_USEC    (60 * USEC_PER_SEC)
/* After a failure: 1 s, doubling to 30 s (client-go's reflector backs off 800 ms to 30 s), with
 * jitter (half the bound fixed, half random), so that a node's memhooks do not come back at once. */
#define KUBE_WATCH_BACKOFF_USEC     USEC_PER_SEC
#define KUBE_WATCH_BACKOFF_MAX_USEC (30 * USEC_PER_SEC)
/* One WatchEvent line: the API server refuses objects past 1.5 MiB (etcd's request limit); 2 MiB
 * holds the largest with its wrapper. A longer line is a hostile or broken server: cut, relisted. */
#define KUBE_WATCH_LINE_MAX_BYTES (2 * 1024 * 1024)
/* One list page of KUBE_WATCH_LIST_PAGE_LIMIT pods: 100 pods of 20 KiB are 2 MiB; the bound
 * leaves room for large ones (a node runs 110 pods by default). */
#define KUBE_WATCH_LIST_PAGE_LIMIT 100
#define KUBE_WATCH_LIST_MAX_BYTES  (64 * 1024 * 1024)
/* A resourceVersion is an opaque string; etcd's are decimal numbers of at most 20 digits. */
#define KUBE_RESOURCE_VERSION_MAX_CHARS 64
/* A watch that ends (200) sooner than this with nothing in it counts as a failure: a server that
 * closes every watch at once is not polled in a tight loop. */
#define KUBE_WATCH_MIN_USEFUL_USEC USEC_PER_SEC
/* Pods a pod watch holds at once: a node runs 110 by default and rarely more than 250; past the
 * bound a new pod is not taken (logged), so a server inventing pods cannot grow memhook's memory. */
#define POD_WATCH_PODS_MAX 1024

/* ---- record and simulate (lib/daemon/record.c, lib/output/trace_line.c) ---- */

/* A trace at the default check interval: one line a second is 86,400 lines (about 25 MiB of CSV)
 * a day, fine enough to see a level's entry and cheap enough to record for days. */
#define RECORD_INTERVAL_DEFAULT_USEC CHECK_INTERVAL_DEFAULT_USEC
/* A trace line holds 22 values of at most 20 digits and their names: about 700 bytes as JSON.
 * 4 KiB bounds what one line of a hostile trace can make the reader hold. */
#define TRACE_LINE_MAX_BYTES 4096

/* The log's own buffer while stderr (a pipe or socket) cannot take more: 64 KiB holds about 400
 * lines of 160 bytes, a minute of a level flapping every check at 150 ms. Lines that do not fit
 * are dropped whole and counted (memhook_log_lines_dropped_total). */
#define LOG_BUFFER_BYTES (64 * 1024)
/* How long the last lines may wait for a stalled stderr at exit: well inside the 1 s a SIGTERM
 * is promised to take. */
#define LOG_EXIT_FLUSH_USEC (100 * USEC_PER_MSEC)
