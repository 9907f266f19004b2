/* The single-threaded event loop: epoll over fds, plus one-shot timers that become the
 * epoll_wait timeout. Callbacks run on the loop's thread; they may add and remove fds and timers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct loop;

typedef void (*loop_fd_fn)(struct loop *l, int fd, uint32_t epoll_events, void *userdata);
typedef void (*loop_timer_fn)(struct loop *l, void *userdata);

int loop_new(struct loop **ret);
/* Closes nothing it was given; frees timers without calling them. Accepts NULL. */
void loop_free(struct loop *l);

/* Watches fd for epoll events (EPOLLIN, EPOLLOUT, EPOLLPRI...). One watcher per fd.
 * Returns 0 or -errno (-EEXIST when already watched). */
int loop_add_fd(struct loop *l, int fd, uint32_t epoll_events, loop_fd_fn fn, void *userdata);
int loop_mod_fd(struct loop *l, int fd, uint32_t epoll_events);
/* Stops watching fd; safe to call from within that fd's callback. Returns 0 or -ENOENT. */
int loop_del_fd(struct loop *l, int fd);

/* Calls fn once at CLOCK_MONOTONIC deadline_usec (or at the next iteration if already past).
 * Returns a timer id > 0, or 0 on allocation failure. */
uint64_t loop_add_timer(struct loop *l, uint64_t deadline_usec, loop_timer_fn fn, void *userdata);
/* Cancels a pending timer; an unknown or already fired id is ignored. */
void loop_cancel_timer(struct loop *l, uint64_t id);

/* Waits at most max_wait_usec (or until the earliest timer) and dispatches what is ready.
 * Returns the number of callbacks run, or -errno. */
int loop_iterate(struct loop *l, uint64_t max_wait_usec);

/* Runs until loop_quit(). Returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_quit(struct loop *l);
bool loop_quitting(const struct loop *l);
/* SIGTERM or SIGINT (signo, named in the log): the first makes l quit (its owner then drains what
 * is queued, for its grace period), the next sets *stop_now (the grace period is cut short). */
void loop_stop_signal(struct loop *l, int signo, bool *stop_now);
