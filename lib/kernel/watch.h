/* The target's life and the wakeups it gives: acquiring it (and waiting for it while it is
 * missing), noticing it is gone, and waking a check on memory.events changes (POLLPRI) and on a
 * PSI trigger (cgroup v2), on the kernel's usage thresholds and OOM notifier (cgroup v1), wakeups
 * close together folded into one check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/defaults.h"
#include "policy/policy.h"
#include "policy/sample.h"
#include "kernel/target.h"
#include "kernel/tripwire.h"

struct loop;

/* Runs a check (a wakeup came); the watch only decides when. */
typedef void (*watch_wake_fn)(void *userdata);

enum watch_state {
	WATCH_UNSEEN,  /* never acquired, never missed */
	WATCH_PRESENT, /* acquired and open */
	WATCH_MISSING, /* not there (reason logged), or lost */
	WATCH_GONE,    /* --pid whose process exited: that pid is never taken again */
};

struct watch {
	struct target target;
	enum watch_state state;
	char missing_reason[512]; /* the last "target not found" logged, to log each reason once */
	struct loop *loop;
	unsigned sample_what; /* CG_SAMPLE_*: which wakeups to arm */
	int psi_fd;           /* PSI trigger on memory.pressure, -1 when none */
	bool events_watched;  /* memory.events is in the loop */
	bool pidfd_watched;   /* the target's pidfd is in the loop */
	bool exit_seen;       /* the pidfd said the main process exited; the next check loses it */
	uint64_t last_check_usec;
	uint64_t last_wake_usec; /* when a wakeup last ran a check: wakeups closer than WAKE_MIN_GAP fold */
	uint64_t wake_timer;     /* a folded check after a wakeup, 0 when none */
	/* cgroup v1 on cgroupfs: the kernel's usage thresholds and OOM notifier (cg_threshold.h) */
	int thr_fds[CG_THRESHOLDS_MAX];            /* one eventfd per threshold, each in the loop */
	uint64_t thr_bytes[CG_THRESHOLDS_MAX];     /* the threshold of each */
	uint64_t thr_woke_usec[CG_THRESHOLDS_MAX]; /* when each last woke a check at once */
	size_t n_thr;
	bool thr_armed;                  /* registered (or tried) for thr_limit_bytes since the last arm */
	uint64_t thr_limit_bytes;        /* the effective limit they were computed for */
	bool thr_failure_logged;         /* a registration failure was logged for this target */
	bool thr_async;                  /* registered by cg_register's writers, the loop never waiting */
	struct cg_register_job *thr_job; /* the registration being written, NULL when none */
	uint64_t thr_sample_usage;       /* the usage of the sample they were registered after */
	int oom_fd;                      /* the OOM notifier's eventfd, -1 when none */
	uint64_t oom_timer;              /* the check after an OOM notification, 0 when none */
	/* cgroup v2 on cgroupfs: memory.high as a usage tripwire (tripwire.h) */
	bool trip_on; /* the policy wants it */
	struct tripwire trip;
	uint64_t trip_woke_generation; /* the tripwire value whose crossing last woke a check */
	watch_wake_fn wake;
	void *userdata;
};

void watch_init(struct watch *w, const struct target_spec *spec, struct loop *l, watch_wake_fn wake,
                void *userdata);
/* Disarms the wakeups and releases the target. */
void watch_free(struct watch *w);

/* What watch_acquire did. */
enum watch_acquired {
	WATCH_ACQUIRED_NONE,  /* still missing */
	WATCH_ACQUIRED_HELD,  /* it was present already */
	WATCH_ACQUIRED_FIRST, /* found at the first try: "watching ..." */
	WATCH_ACQUIRED_AGAIN, /* found after it was missing or lost: "target found: ..." */
};

/* Acquires the target when it is not present, logs it (each new reason it is missing once) and arms
 * its wakeups, its pidfd among them: the main process's exit wakes a check at once. Gone (a --pid
 * whose process exited, or whose pid another process has now): NONE without trying. */
enum watch_acquired watch_acquire(struct watch *w);

/* Whether the present target is still there: 0, or -ESRCH/-ENOENT with the reason in reason. */
int watch_check_alive(const struct watch *w, char *reason, size_t reason_size);

/* Logs the loss with reason, disarms the wakeups and releases the target: missing, or gone for a
 * --pid whose process exited (why: watch_check_alive's -ESRCH), logged as such. */
void watch_lose(struct watch *w, int why, const char *reason);

/* Whether the pidfd said the main process exited and no check has lost it yet (a check that was
 * skipped, e.g. while probes ran, must run again). */
bool watch_exit_pending(const struct watch *w);

/* Re-arms the wakeups for sample_what and tripwire (a new policy's), when the target is present. On
 * cgroup v1 the usage thresholds are dropped and a check comes at once to arm the new policy's
 * (watch_thresholds). A tripwire turned off is removed (memory.high back to max); turned on, it
 * starts afresh (tripwire_start) and is armed by the next check (watch_tripwire). */
void watch_rearm(struct watch *w, unsigned sample_what, bool tripwire);

/* After a check's sample s under policy p: on cgroup v2 on cgroupfs, moves the tripwire to the
 * lowest usage threshold above s's usage (tripwire_update). A crossing of the armed value wakes a
 * check at once (memory.events `high`), however soon after another wakeup. */
void watch_tripwire(struct watch *w, const struct policy *p, const struct sample *s);

/* The tripwire stands down for this target (memhook's memory_high action writes memory.high):
 * memory.high back to max first, when it holds the tripwire. */
void watch_tripwire_stand_down(struct watch *w, const char *why);

/* After a check's sample s under policy p: on cgroup v1 on cgroupfs, registers the kernel's usage
 * thresholds of p at s's effective limit (cg_thresholds_of) when they are not registered for that
 * limit yet (the target's first check, a new limit, a new policy); each wakes a check when usage
 * crosses it, either way. A usage that crossed one between s and the registration gets a check
 * at once. A failure is logged once per target; polling goes on. Cheap when nothing changed. */
void watch_thresholds(struct watch *w, const struct policy *p, const struct sample *s);

/* A check started at now_usec: a wakeup within WAKE_MIN_GAP of it waits for a folded check. */
void watch_note_check(struct watch *w, uint64_t now_usec);
