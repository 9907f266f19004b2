#include "base/loop.h"

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/log.h"
#include "base/util.h"

struct watch {
	int fd;
	loop_fd_fn fn;
	void *userdata;
	bool removed;
	struct watch *next;
};

struct timer {
	uint64_t id;
	uint64_t deadline_usec;
	loop_timer_fn fn;
	void *userdata;
	struct timer *next; /* sorted by deadline, then id */
};

struct loop {
	int epfd;
	struct watch *watches;
	struct timer *timers;
	uint64_t next_timer_id;
	size_t n_removed;     /* watches marked removed, not freed yet: 0 spares the walk of the list */
	struct watch **by_fd; /* the live watch of each fd, indexed by fd: no walk to find one */
	size_t by_fd_cap;
	bool quit;
	unsigned dispatching;
};

int loop_new(struct loop **ret)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int r = -errno;
		free(l);
		return r;
	}
	*ret = l;
	return 0;
}

static void free_removed_watches(struct loop *l)
{
	if (!l->n_removed) /* the usual case: a loop of 500 monitors holds thousands of watches */
		return;
	l->n_removed = 0;
	struct watch **pp = &l->watches;
	while (*pp) {
		struct watch *w = *pp;
		if (w->removed) {
			*pp = w->next;
			free(w);
		} else
			pp = &w->next;
	}
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	for (struct watch *w = l->watches, *n; w; w = n) {
		n = w->next;
		free(w);
	}
	for (struct timer *t = l->timers, *n; t; t = n) {
		n = t->next;
		free(t);
	}
	free(l->by_fd);
	close(l->epfd);
	free(l);
}

static struct watch *find_watch(struct loop *l, int fd)
{
	return fd >= 0 && (size_t)fd < l->by_fd_cap ? l->by_fd[fd] : NULL;
}

/* Room in by_fd for fd. Returns 0 or -ENOMEM. */
static int by_fd_reserve(struct loop *l, int fd)
{
	if ((size_t)fd < l->by_fd_cap)
		return 0;
	size_t cap = l->by_fd_cap ? l->by_fd_cap : 64;
	while (cap <= (size_t)fd)
		cap *= 2;
	struct watch **a = realloc(l->by_fd, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (size_t i = l->by_fd_cap; i < cap; i++)
		a[i] = NULL;
	l->by_fd = a;
	l->by_fd_cap = cap;
	return 0;
}

int loop_add_fd(struct loop *l, int fd, uint32_t epoll_events, loop_fd_fn fn, void *userdata)
{
	if (fd < 0)
		return -EBADF;
	if (find_watch(l, fd))
		return -EEXIST;
	if (by_fd_reserve(l, fd) < 0)
		return -ENOMEM;
	struct watch *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .fn = fn, .userdata = userdata, .next = l->watches };
	struct epoll_event ev = { .events = epoll_events, .data.ptr = w };
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int r = -errno;
		free(w);
		return r;
	}
	l->watches = w;
	l->by_fd[fd] = w;
	return 0;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t epoll_events)
{
	struct watch *w = find_watch(l, fd);
	if (!w)
		return -ENOENT;
	struct epoll_event ev = { .events = epoll_events, .data.ptr = w };
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	struct watch *w = find_watch(l, fd);
	if (!w)
		return -ENOENT;
	/* The fd may already be closed (curl closes before telling us): ignore EBADF. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	w->removed = true; /* freed once no dispatch can still point at it */
	l->n_removed++;
	l->by_fd[fd] = NULL;
	if (!l->dispatching)
		free_removed_watches(l);
	return 0;
}

uint64_t loop_add_timer(struct loop *l, uint64_t deadline_usec, loop_timer_fn fn, void *userdata)
{
	struct timer *t = calloc(1, sizeof(*t));
	if (!t)
		return 0;
	*t = (struct timer){
		.id = ++l->next_timer_id, .deadline_usec = deadline_usec, .fn = fn, .userdata = userdata
	};
	struct timer **pp = &l->timers;
	while (*pp && (*pp)->deadline_usec <= deadline_usec)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	return t->id;
}

void loop_cancel_timer(struct loop *l, uint64_t id)
{
	for (struct timer **pp = &l->timers; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == id) {
			struct timer *t = *pp;
			*pp = t->next;
			free(t);
			return;
		}
	}
}

/* Runs the timers that are due; returns how many ran. */
static int run_due_timers(struct loop *l)
{
	int n = 0;
	if (!l->timers) /* the usual case: no clock read */
		return 0;
	uint64_t now = now_mono_usec();
	/* A timer added by a callback with a past deadline runs on the next iteration, not now. */
	uint64_t last_id = l->next_timer_id;
	struct timer **pp = &l->timers;
	while (*pp && (*pp)->deadline_usec <= now) {
		struct timer *t = *pp;
		if (t->id > last_id) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		loop_timer_fn fn = t->fn;
		void *ud = t->userdata;
		free(t);
		fn(l, ud);
		n++;
		pp = &l->timers; /* the list may have changed */
	}
	return n;
}

int loop_iterate(struct loop *l, uint64_t max_wait_usec)
{
	uint64_t wait_usec = max_wait_usec;
	if (l->timers) {
		uint64_t now = now_mono_usec();
		uint64_t until = l->timers->deadline_usec > now ? l->timers->deadline_usec - now : 0;
		if (until < wait_usec)
			wait_usec = until;
	}
	/* Round up so a timer is never woken a millisecond early and spun on. */
	uint64_t wait_ms = (wait_usec + USEC_PER_MSEC - 1) / USEC_PER_MSEC;
	if (wait_ms > INT32_MAX)
		wait_ms = INT32_MAX;

	struct epoll_event evs[16];
	int n = epoll_wait(l->epfd, evs, (int)ARRAY_SIZE(evs), (int)wait_ms);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	int ran = 0;
	l->dispatching++;
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		if (w->removed)
			continue;
		w->fn(l, w->fd, evs[i].events, w->userdata);
		ran++;
	}
	l->dispatching--;
	if (!l->dispatching)
		free_removed_watches(l);
	ran += run_due_timers(l);
	return ran;
}

int loop_run(struct loop *l)
{
	while (!l->quit) {
		int r = loop_iterate(l, UINT64_C(60) * USEC_PER_SEC);
		if (r < 0)
			return r;
	}
	return 0;
}

void loop_quit(struct loop *l)
{
	l->quit = true;
}
bool loop_quitting(const struct loop *l)
{
	return l->quit;
}

void loop_stop_signal(struct loop *l, int signo, bool *stop_now)
{
	if (!l->quit) {
		log_info("SIG%s: stopping", sigabbrev_np(signo));
		l->quit = true;
	} else if (!*stop_now) {
		log_warn("SIG%s again: stopping now, without waiting for queued webhooks",
		         sigabbrev_np(signo));
		*stop_now = true;
	}
}
