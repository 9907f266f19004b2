/* record: the check's reading (sampler_read) on a timer, each sample written as a trace line. */
#include "daemon/record.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
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
	if (n < 0 || fwrite(line, 1, (size_t)n, rec->cfg->out) != (size_t)n || fflush(rec->cfg->out) != 0) {
		log_error("writing to %s: %s", rec->cfg->out_name, strerror(n < 0 ? -n : errno));
		stop(rec, -EIO);
		return;
	}
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
	uint64_t usec = rec->cfg->interval_usec;
	struct timespec every = { (time_t)(usec / USEC_PER_SEC),
		                  (long)(usec % USEC_PER_SEC * NSEC_PER_USEC) };
	struct itimerspec its = { .it_interval = every, .it_value = every };
	if ((r = loop_add_fd(rec->loop, rec->signal_fd, EPOLLIN, on_signal, rec)) < 0 ||
	    (r = loop_add_fd(rec->loop, rec->timer_fd, EPOLLIN, on_timer, rec)) < 0 ||
	    (timerfd_settime(rec->timer_fd, 0, &its, NULL) < 0 && (r = -errno) < 0)) {
		log_error("event loop: %s", strerror(-r));
		return r;
	}
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
		record_sample(&rec); /* the first line now, at elapsed 0 */
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
