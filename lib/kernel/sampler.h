/* One check's reading: the sample check_step decides on, from the target's cgroup and the host's
 * meminfo, reading only what the policy's conditions and handlers need. I/O only, no decision. */
#pragma once

#include <stdbool.h>

#include "kernel/hostmem.h"
#include "kernel/target.h"
#include "policy/policy.h"
#include "policy/sample.h"

/* What the checks of a policy read, so a check reads nothing more. */
struct sampler_needs {
	unsigned sample_what;  /* CG_SAMPLE_*: pressure and events conditions, oom_kill handlers */
	bool host_every_check; /* a global_* condition: meminfo at every check */
};

/* What p's conditions and handlers read. */
struct sampler_needs sampler_needs_of(const struct policy *p);

/* The host's memory as last read: checks that do not decide on it reuse the last figures, and
 * they are refreshed before an event carries them. */
struct sampler_host {
	struct hostmem mem;
	bool known; /* read at least once */
	bool fresh; /* read during the current check */
	uint64_t total_bytes, available_bytes;
};

/* Reads meminfo into h and into s's host figures. Returns 0 or -errno (h and s untouched). */
int sampler_host_refresh(struct sampler_host *h, struct sample *s);

/* Fills ret from the target and the host: what needs asks for, the host figures (read when
 * needs->host_every_check or never read, otherwise the last ones), the effective limit (p's
 * maximum_available, else the cgroup's, 0 included, else MemTotal) and the times. Returns 0; 1 when meminfo
 * could not be read (logged: the host's problem, the check is skipped); or the target's -errno
 * (vanished: -ENOENT/-ENODEV, garbage: -EBADMSG). */
int sampler_read(struct target *t, const struct policy *p, const struct sampler_needs *needs,
                 struct sampler_host *h, struct sample *ret);
