/* record: the check's reading (sampler_read) on a timer, each sample written as a trace line. */
#include "daemon/record.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include "kernel/cgroup.h"
#include "decide/check.h"
#include "kernel/sampler.h"
#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "output/trace.h"
#include "base/units.h"

/* Everything a trace has columns for. memory.stat (working set, anon) joins through its
 * CG_SAMPLE_ flag as soon as cg_sample reads it. */
#ifdef CG_SAMPLE_STAT
#define RECORD_SAMPLE_WHAT (CG_SAMPLE_ALL | CG_SAMPLE_STAT)
#else
#define RECORD_SAMPLE_WHAT CG_SAMPLE_ALL
#endif

struct recorder {
	const struct record_config *cfg;
	struct target target;
	struct sampler_host host;
	struct sampler_needs needs;
	struct policy no_policy; /* maximum_available "auto": the limit a check would see */
	struct loop *loop;
	int timer_fd, signal_fd;
	uint64_t start_mono_usec;
	uint64_t ticks; /* intervals elapsed since the first sample */
	uint64_t lines;
	int result; /* what record_run returns */
};

int record_block_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return sigprocmask(SIG_BLOCK, &set, NULL) < 0 ? -errno : 0;
}

int record_open_output(const char *path)
{
	char tmp[PATH_MAX];
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode)) {
		int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
			return fd;
		close(fd); /* swapped for a file since lstat: replaced below like any file */
	}
	int fd = open_temp_beside(path, tmp);
	if (fd < 0)
		return fd;
	if (rename(tmp, path) < 0) {
		int r = -errno;
		close(fd);
		unlink(tmp);
		return r;
	}
	return fd;
}

/* Writes all of buf to the output, waiting for it together with the signals. Returns 0, 1 when
 * a signal came first (read by on_signal next), or -errno. */
static int write_out(struct recorder *rec, const char *buf, size_t len)
{
	while (len > 0) {
		struct pollfd pfd[2] = { { .fd = rec->cfg->out_fd, .events = POLLOUT },
			                 { .fd = rec->signal_fd, .events = POLLIN } };
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents & POLLIN)
			return 1;
		if (!pfd[0].revents)
			continue;
		/* POLLOUT on a pipe: a free slot, so a write of up to PIPE_BUF (a trace line is at most
		 * TRACE_LINE_MAX_BYTES) goes in whole without waiting. POLLERR: write says why. */
		ssize_t n = write(rec->cfg->out_fd, buf, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void stop(struct recorder *rec, int result)
{
	if (rec->result == 0)
		rec->result = result;
	loop_quit(rec->loop);
}

/* Whether the target went away: logged, and the recording ends (a clean stop). */
static bool target_gone(struct recorder *rec, int r)
{
	char desc[512];
	if (r != -ENOENT && r != -ENODEV && r != -ESRCH)
		return false;
	target_describe(&rec->target, desc, sizeof(desc));
	log_info("target gone: %s: %s; %llu line(s) recorded", desc,
	         r == -ESRCH ? "its main process exited" : "its cgroup was removed",
	         (unsigned long long)rec->lines);
	stop(rec, 0);
	return true;
}

/* Takes one sample and writes its line. */
static void record_sample(struct recorder *rec)
{
	struct sample s;
	char line[TRACE_LINE_MAX_BYTES];
	int r = target_check(&rec->target);
	if (r == 0)
		r = sampler_read(&rec->target, &rec->no_policy, &rec->needs, &rec->host, &s);
	if (r > 0 || target_gone(rec, r))
		return; /* meminfo unreadable (logged), or the end */
	if (r < 0) {
		log_warn("reading %s: %s; sample skipped", rec->target.cg.path,
		         r == -EBADMSG ? "unexpected content" : strerror(-r));
		return;
	}
	if (rec->lines == 0)
		rec->start_mono_usec = s.mono_usec;
	/* elapsed to the millisecond, as the time column: a wakeup's jitter is not information */
	uint64_t elapsed = s.mono_usec - rec->start_mono_usec;
	s.mono_usec = rec->start_mono_usec + (elapsed + USEC_PER_MSEC / 2) / USEC_PER_MSEC * USEC_PER_MSEC;
	int n = trace_format_row(rec->cfg->format, &s, rec->start_mono_usec, line, sizeof(line));
	r = n < 0 ? n : write_out(rec, line, (size_t)n);
	if (r < 0) {
		log_error("writing to %s: %s", rec->cfg->out_name, strerror(-r));
		stop(rec, r);
		return;
	}
	if (r == 0)
		rec->lines++;
}

/* Whether the duration is over: the sample at duration / interval intervals was the last. */
static bool duration_over(const struct recorder *rec)
{
	const struct record_config *c = rec->cfg;
	return c->duration_usec && rec->ticks >= c->duration_usec / c->interval_usec;
}

static void on_timer(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata)
{
	struct recorder *rec = userdata;
	uint64_t expirations = 0;
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		log_debug("timerfd read: %s", strerror(errno));
	if (expirations > 1)
		log_debug("%llu interval(s) missed", (unsigned long long)(expirations - 1));
	rec->ticks += expirations;
	record_sample(rec);
	if (!loop_quitting(rec->loop) && duration_over(rec)) {
		log_info("duration reached: %llu line(s) recorded", (unsigned long long)rec->lines);
		stop(rec, 0);
	}
}

static void on_signal(struct loop *l _unused_, int fd, uint32_t events _unused_, void *userdata)
{
	struct recorder *rec = userdata;
	struct signalfd_siginfo si;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (loop_quitting(rec->loop))
			continue;
		log_info("SIG%s: stopping; %llu line(s) recorded", sigabbrev_np((int)si.ssi_signo),
		         (unsigned long long)rec->lines);
		stop(rec, 0);
	}
}

/* Acquires the target, opens meminfo and sets up the loop. Returns 0 or -errno (logged). */
static int record_setup(struct recorder *rec)
{
	char err[1024];
	int r = hostmem_open(rec->target.spec.proc_root, &rec->host.mem);
	if (r < 0) {
		log_error("cannot open %s/meminfo: %s", rec->target.spec.proc_root, strerror(-r));
		return r;
	}
	if ((r = target_acquire(&rec->target, err, sizeof(err))) < 0) {
		log_error("%s", err);
		return r;
	}
	if ((r = loop_new(&rec->loop)) < 0)
		return r;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	rec->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	rec->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (rec->signal_fd < 0 || rec->timer_fd < 0) {
		r = -errno;
		log_error("signalfd/timerfd: %s", strerror(-r));
		return r;
	}
	if ((r = loop_add_fd(rec->loop, rec->signal_fd, EPOLLIN, on_signal, rec)) < 0 ||
	    (r = loop_add_fd(rec->loop, rec->timer_fd, EPOLLIN, on_timer, rec)) < 0) {
		log_error("event loop: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* Starts the interval timer: right before the first sample, so that the samples fall on whole
 * intervals from it (elapsed 1.000, 2.000, ...), whatever the header's write took. Returns 0 or
 * -errno (logged). */
static int start_timer(struct recorder *rec)
{
	uint64_t usec = rec->cfg->interval_usec;
	struct timespec every = { (time_t)(usec / USEC_PER_SEC),
		                  (long)(usec % USEC_PER_SEC * NSEC_PER_USEC) };
	struct itimerspec its = { .it_interval = every, .it_value = every };
	if (timerfd_settime(rec->timer_fd, 0, &its, NULL) < 0) {
		int r = -errno;
		log_error("timerfd: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* Writes the header (csv), starts the timer and takes the first sample, at elapsed 0. A signal
 * during the header's write is left to on_signal. Returns 0, or -errno (logged). */
static int record_begin(struct recorder *rec)
{
	char header[TRACE_LINE_MAX_BYTES];
	int n = trace_format_header(rec->cfg->format, header, sizeof(header));
	int r = n <= 0 ? n : write_out(rec, header, (size_t)n);
	if (r < 0) {
		log_error("writing to %s: %s", rec->cfg->out_name, strerror(-r));
		return r;
	}
	if (r > 0)
		return 0;
	if ((r = start_timer(rec)) < 0)
		return r;
	record_sample(rec);
	return 0;
}

int record_run(const struct record_config *cfg)
{
	struct recorder rec = {
		.cfg = cfg,
		.host = { .mem = { .meminfo_fd = -1 } },
		.needs = { .sample_what = RECORD_SAMPLE_WHAT, .host_every_check = true },
		.timer_fd = -1,
		.signal_fd = -1,
	};
	target_init_spec(&rec.target, &cfg->target);
	int r = record_setup(&rec);
	if (r == 0) {
		char desc[512], interval[32];
		log_info("recording %s every %s to %s (%s)", target_describe(&rec.target, desc, sizeof(desc)),
		         units_format_duration(cfg->interval_usec, interval, sizeof(interval)), cfg->out_name,
		         trace_format_name(cfg->format));
		if ((r = record_begin(&rec)) < 0)
			stop(&rec, r);
		r = 0;
		if (!loop_quitting(rec.loop) && duration_over(&rec))
			stop(&rec, 0);
		if (!loop_quitting(rec.loop))
			r = loop_run(rec.loop);
		if (r == 0)
			r = rec.result;
	}
	if (rec.timer_fd >= 0)
		close(rec.timer_fd);
	if (rec.signal_fd >= 0)
		close(rec.signal_fd);
	loop_free(rec.loop);
	target_release(&rec.target);
	hostmem_close(&rec.host.mem);
	return r;
}
