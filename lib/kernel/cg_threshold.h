/* cgroup v1 notifications through cgroup.event_control (kernel cgroup-v1/memory.rst, "Memory
 * thresholds" and "OOM Control"): an eventfd per memory.usage_in_bytes threshold the policy's local
 * conditions can cross, and one for the OOM notifier. Pure: which thresholds (cg_thresholds_of).
 * I/O: registering an eventfd (cg_event_register); closing it unregisters. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/defaults.h" /* CG_THRESHOLDS_MAX */
#include "policy/policy.h"

/* The distinct usage thresholds, in bytes of memory.usage_in_bytes and ascending, at which a
 * local_absolute or local_relative condition of p (every level's when and clear_when, through
 * all/any/not) starts to hold for an effective limit of limit_bytes: for each, the least usage,
 * a multiple of page_bytes, at which the condition's own evaluation holds. The kernel compares
 * pages (the byte value divided by the page size), so a usage of whole pages is at or above the
 * threshold exactly when the condition holds, both ways. A condition on the working set or anon
 * gets the same threshold on the usage: usage >= working set >= anon, so it fires no later than
 * the condition starts to hold (possibly before: the check then finds it false, and polling
 * catches the rest). A condition that holds at no usage or at every usage (a limit of 0) has
 * none. At most CG_THRESHOLDS_MAX: with more, the highest are kept and *ret_capped is set.
 * Returns the count written to ret_bytes. page_bytes > 0. */
size_t cg_thresholds_of(const struct policy *p, uint64_t limit_bytes, uint64_t page_bytes,
                        uint64_t ret_bytes[CG_THRESHOLDS_MAX], bool *ret_capped);

/* Registers a new eventfd for the notification of the control file control_fd (open for reading,
 * in the cgroup directory dirfd) by writing "<eventfd> <control_fd>[ <args>]" to
 * cgroup.event_control: args is a threshold in bytes for memory.usage_in_bytes, NULL for
 * memory.oom_control. Returns the eventfd (non-blocking, close-on-exec; closing it unregisters),
 * or -errno (-ENOENT: no cgroup.event_control, as on cgroup v2; -EACCES/-EROFS: not writable). */
int cg_event_register(int dirfd, int control_fd, const char *args);

/* Reads memory.usage_in_bytes through usage_fd. Returns 0 or -errno (-EBADMSG for garbage). */
int cg_read_usage(int usage_fd, uint64_t *ret_bytes);
