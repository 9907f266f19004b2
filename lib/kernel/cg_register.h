/* cgroup v1's cgroup.event_control written off the loop's thread. Each registration of a memory
 * threshold costs the kernel an RCU grace period (mem_cgroup_usage_register_event calls
 * synchronize_rcu: 5 to 16 ms measured on a 2-core VM), so 500 containers of 3 thresholds each take
 * 20 s written one after the other, with the loop stopped. A small pool of threads writes them;
 * their grace periods overlap, the loop never waits, and the loop hears of each job's end. */
#pragma once

#include <stddef.h>

#include "base/defaults.h" /* CG_THRESHOLDS_MAX */

struct loop;
struct cg_register_job;

/* The job's end, on the loop's thread: registered is how many of its eventfds were registered (in
 * order: the first failure ends the job), error the failure's -errno or 0. Not called for a job
 * cancelled before. */
typedef void (*cg_register_done_fn)(void *userdata, size_t registered, int error);

/* Queues the registration of efds[i] (eventfds) for control_fd (a file of the cgroup directory
 * dirfd) with args[i] (a threshold in bytes, or NULL for memory.oom_control), as cg_event_register
 * writes it. Every fd is duplicated: the caller may close its own at any time (an eventfd closed
 * before it is registered is unregistered when the job ends). Returns 0 with the job in *ret, or
 * -errno (-ENOMEM, -EMFILE, pthread_create's). n <= CG_THRESHOLDS_MAX. */
int cg_register_async(struct loop *l, int dirfd, int control_fd, const int *efds, const char *const *args,
                      size_t n, cg_register_done_fn done, void *userdata, struct cg_register_job **ret);

/* The job's done is never called (it may still be written: its eventfds then unregister when it
 * ends, as the caller closed them). NULL ok. */
void cg_register_cancel(struct cg_register_job *j);

/* Jobs queued or being written. */
size_t cg_register_pending(void);
