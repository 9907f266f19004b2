/* The writes that can block in the kernel (memory.reclaim, memory.high) run on worker threads,
 * never on the loop: each worker writes its finished job's address to a pipe the loop watches,
 * and the job's row (action_run.h: finish) reports it there. */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "actions/action_run.h"
#include "base/loop.h"

/* Reads the finished jobs the workers sent (at most what the pipe holds now), has each reported
 * by its row and hands it to done. Returns how many. */
static unsigned read_finished(struct dispatch *d, void (*done)(struct dispatch_job *))
{
	unsigned n = 0;
	struct dispatch_job *j;
	while (read(d->done_pipe[0], &j, sizeof(j)) == (ssize_t)sizeof(j)) {
		j->in_kernel = false;
		d->reclaims_running--;
		action_run(j->kind)->finish(j);
		done(j);
		n++;
	}
	return n;
}

static void on_reclaim_done(struct loop *l _unused_, int fd _unused_, uint32_t events _unused_,
                            void *userdata)
{
	read_finished(userdata, dispatch_job_finished);
}

static void *reclaim_worker(void *arg)
{
	struct dispatch_job *j = arg;
	int fd = j->notify_fd;
	reclaim_run(&j->rj);
	/* The last touch of j: once written, the loop owns it again. 8 bytes: atomic on a pipe. */
	while (write(fd, &j, sizeof(j)) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The pipe workers report on, watched by the loop. Returns 0 or -errno. */
static int open_done_pipe(struct dispatch *d)
{
	if (d->pipe_open)
		return 0;
	if (!d->loop)
		return -EINVAL;
	if (pipe2(d->done_pipe, O_CLOEXEC) < 0)
		return -errno;
	int r = fcntl(d->done_pipe[0], F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
	if (r == 0)
		r = loop_add_fd(d->loop, d->done_pipe[0], EPOLLIN, on_reclaim_done, d);
	if (r < 0) {
		close(d->done_pipe[0]);
		close(d->done_pipe[1]);
		return r;
	}
	d->pipe_open = true;
	return 0;
}

int worker_ready(struct dispatch *d)
{
	int r = open_done_pipe(d);
	if (r == 0 && d->reclaims_running >= RECLAIM_RUNNING_MAX)
		r = -EBUSY; /* earlier ones are still in the kernel */
	return r;
}

/* Starts a worker thread for j's write, with every signal blocked (the loop's signalfd takes
 * them). Returns 0 or -errno. */
static int start_worker(struct dispatch_job *j)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	sigfillset(&all);
	int r = pthread_attr_init(&attr);
	if (r)
		return -r;
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	(void)pthread_attr_setstacksize(&attr, 64 * 1024); /* it calls write and pread */
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&tid, &attr, reclaim_worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -r;
}

int worker_launch(struct dispatch *d, struct dispatch_job *j)
{
	assert(action_run(j->kind)->finish);
	j->notify_fd = d->done_pipe[1];
	j->in_kernel = true;
	int r = start_worker(j);
	if (r < 0) {
		j->in_kernel = false;
		return r;
	}
	d->reclaims_running++;
	return 0;
}

void worker_wait(struct dispatch *d, uint64_t deadline_usec)
{
	while (d->reclaims_running && now_mono_usec() < deadline_usec) {
		struct pollfd p = { .fd = d->done_pipe[0], .events = POLLIN };
		int ms = (int)((deadline_usec - now_mono_usec() + USEC_PER_MSEC - 1) / USEC_PER_MSEC);
		if (poll(&p, 1, ms) > 0)
			read_finished(d, dispatch_job_release); /* stopping: no stream to resume */
	}
}

void worker_close(struct dispatch *d)
{
	if (!d->pipe_open)
		return;
	if (d->loop)
		loop_del_fd(d->loop, d->done_pipe[0]);
	if (d->reclaims_running)
		return; /* the workers still write to it: left to the exit */
	close(d->done_pipe[0]);
	close(d->done_pipe[1]);
	d->pipe_open = false;
}
