#include "kernel/cg_register.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/loop.h"
#include "base/util.h"

/* Writers at most: 16 grace periods overlap (500 containers of 3 thresholds registered in about a
 * second on a 2-core VM, against 20 s one after the other). An idle writer waits on a condition
 * variable and costs no wakeup. */
#define CG_REGISTER_THREADS 16

struct cg_register_job {
	int dirfd, control_fd;
	int efds[CG_THRESHOLDS_MAX];
	char args[CG_THRESHOLDS_MAX][24]; /* "" for none */
	size_t n;
	size_t registered;
	int error;
	bool cancelled; /* the loop's thread only */
	cg_register_done_fn done;
	void *userdata;
	struct cg_register_job *next;
};

/* One pool per process: the writers, their queue, and the finished jobs handed to the loop. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct cg_register_job *queue, **queue_tail;
	struct cg_register_job *finished; /* the writers push, the loop takes */
	size_t threads, idle, pending;
	struct loop *loop;
	int done_fd; /* an eventfd the writers bump when a job is finished */
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
	.queue_tail = &pool.queue,
	.done_fd = -1,
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Writes one job: its eventfds for its control file, in order, stopping at the first failure. */
static void write_job(struct cg_register_job *j)
{
	int ctl = openat(j->dirfd, "cgroup.event_control", O_WRONLY | O_CLOEXEC);
	if (ctl < 0) {
		j->error = -errno;
		return;
	}
	for (size_t i = 0; i < j->n; i++) {
		char line[96];
		int n = snprintf(line, sizeof(line), "%d %d%s%s\n", j->efds[i], j->control_fd,
		                 j->args[i][0] ? " " : "", j->args[i]);
		ssize_t w = write(ctl, line, (size_t)n);
		if (w != n) {
			j->error = w < 0 ? -errno : -EIO;
			break;
		}
		j->registered++;
	}
	close(ctl);
}

/* The job's duplicates: closing an eventfd the caller closed too unregisters it. */
static void close_job_fds(struct cg_register_job *j)
{
	close_fd(&j->dirfd);
	close_fd(&j->control_fd);
	for (size_t i = 0; i < j->n; i++)
		close_fd(&j->efds[i]);
}

static void *writer(void *arg _unused_)
{
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.queue) {
			pool.idle++;
			pthread_cond_wait(&pool.wake, &pool.lock);
			pool.idle--;
		}
		struct cg_register_job *j = pool.queue;
		pool.queue = j->next;
		if (!pool.queue)
			pool.queue_tail = &pool.queue;
		pthread_mutex_unlock(&pool.lock);
		write_job(j);
		close_job_fds(j);
		pthread_mutex_lock(&pool.lock);
		j->next = pool.finished;
		pool.finished = j;
		uint64_t one = 1;
		if (write(pool.done_fd, &one, sizeof(one)) < 0) { /* a full counter still wakes */
		}
	}
	return NULL;
}

/* The loop's side: every finished job's done, then the job freed. */
static void on_finished(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata _unused_)
{
	uint64_t count;
	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&pool.lock);
	struct cg_register_job *list = pool.finished;
	pool.finished = NULL;
	pthread_mutex_unlock(&pool.lock);
	while (list) {
		struct cg_register_job *j = list;
		list = j->next;
		pool.pending--; /* the loop's thread only */
		if (!j->cancelled)
			j->done(j->userdata, j->registered, j->error);
		free(j);
	}
}

/* The pool's eventfd on l, made at first use. Returns 0 or -errno. */
static int attach(struct loop *l)
{
	if (pool.loop == l)
		return 0;
	if (pool.done_fd < 0 && (pool.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
		return -errno;
	if (pool.loop)
		loop_del_fd(pool.loop, pool.done_fd);
	pool.loop = NULL;
	int r = loop_add_fd(l, pool.done_fd, EPOLLIN, on_finished, NULL);
	if (r < 0)
		return r;
	pool.loop = l;
	return 0;
}

/* One more writer when every one is busy, up to CG_REGISTER_THREADS. Called with the lock held. */
static int grow(void)
{
	if (pool.idle || pool.threads >= CG_REGISTER_THREADS)
		return 0;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024); /* a write and a snprintf */
	/* the loop's signals stay blocked in the writers: they were blocked when they were made */
	pthread_t t;
	int e = pthread_create(&t, &attr, writer, NULL);
	pthread_attr_destroy(&attr);
	if (e)
		return pool.threads ? 0 : -e; /* one writer is enough to go on */
	pool.threads++;
	return 0;
}

int cg_register_async(struct loop *l, int dirfd, int control_fd, const int *efds, const char *const *args,
                      size_t n, cg_register_done_fn done, void *userdata, struct cg_register_job **ret)
{
	if (n > CG_THRESHOLDS_MAX)
		return -EINVAL;
	int r = attach(l);
	if (r < 0)
		return r;
	struct cg_register_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->dirfd = j->control_fd = -1;
	for (size_t i = 0; i < CG_THRESHOLDS_MAX; i++)
		j->efds[i] = -1;
	j->n = n;
	j->done = done;
	j->userdata = userdata;
	j->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	j->control_fd = fcntl(control_fd, F_DUPFD_CLOEXEC, 0);
	r = j->dirfd < 0 || j->control_fd < 0 ? -errno : 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if ((j->efds[i] = fcntl(efds[i], F_DUPFD_CLOEXEC, 0)) < 0)
			r = -errno;
		snprintf(j->args[i], sizeof(j->args[i]), "%s", args && args[i] ? args[i] : "");
	}
	if (r < 0) {
		close_job_fds(j);
		free(j);
		return r;
	}
	pthread_mutex_lock(&pool.lock);
	r = grow();
	if (r == 0) {
		*pool.queue_tail = j;
		pool.queue_tail = &j->next;
		pool.pending++;
		pthread_cond_signal(&pool.wake);
	}
	pthread_mutex_unlock(&pool.lock);
	if (r < 0) {
		close_job_fds(j);
		free(j);
		return r;
	}
	*ret = j;
	return 0;
}

void cg_register_cancel(struct cg_register_job *j)
{
	if (j)
		j->cancelled = true;
}

size_t cg_register_pending(void)
{
	return pool.pending;
}
