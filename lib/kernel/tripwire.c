/* The cgroup v2 tripwire on memory.high: start (a left-behind one removed), moves, stop. */
#include "kernel/tripwire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "decide/tripwire_plan.h"
#include "kernel/cg_threshold.h"
#include "kernel/target.h"

void tripwire_init(struct tripwire *tw)
{
	*tw = (struct tripwire){ .high_fd = -1, .dirfd = -1 };
}

bool tripwire_armed(const struct tripwire *tw)
{
	return tw->high_fd >= 0 && tw->armed_bytes > 0;
}

/* memory.high's text without the newline into buf[24]. Returns 0, -EBADMSG or -errno. */
static int read_high(const struct tripwire *tw, char buf[24])
{
	char text[64];
	ssize_t n = pread_all(tw->high_fd, text, sizeof(text) - 1);
	if (n < 0)
		return (int)n;
	text[n] = '\0';
	if (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	if (n == 0 || n >= 24)
		return -EBADMSG;
	memcpy(buf, text, (size_t)n + 1);
	return 0;
}

/* memory.events' `high` count now, or the last one read when it cannot be read. */
static uint64_t read_high_count(const struct tripwire *tw)
{
	char buf[512];
	uint64_t ev[MEMEV_COUNT];
	ssize_t n = pread_all(tw->events_fd, buf, sizeof(buf));
	if (n < 0 || cg_parse_events(buf, (size_t)n, ev) < 0)
		return tw->last_high;
	return ev[MEMEV_HIGH];
}

bool tripwire_crossed(struct tripwire *tw, uint64_t high_count, uint64_t usage_bytes)
{
	bool crossed = tripwire_armed(tw) && high_count > tw->last_high &&
	               tripwire_is_crossing(tw->armed_bytes, usage_bytes, tw->thr_limit_bytes);
	if (crossed)
		tw->floor_bytes = tw->armed_bytes;
	tw->last_high = high_count;
	return crossed;
}

/* Writes text to memory.high. Returns 0 or -errno. */
static int write_high(const struct tripwire *tw, const char *text)
{
	size_t len = strlen(text);
	ssize_t w = pwrite(tw->high_fd, text, len, 0);
	if (w < 0)
		return -errno;
	return (size_t)w == len ? 0 : -EIO;
}

/* Whether pid runs with start time start_ticks (the record's owner is alive). */
static bool owner_alive(pid_t pid, uint64_t start_ticks)
{
	uint64_t ticks;
	if (pid == getpid())
		return false; /* this memhook's own, from a target it lost: nobody holds it */
	return target_read_start_time("/proc", pid, &ticks) == 0 && ticks == start_ticks;
}

static void close_all(struct tripwire *tw)
{
	if (tw->high_fd >= 0)
		close(tw->high_fd);
	if (tw->dirfd >= 0)
		close(tw->dirfd);
	tw->high_fd = tw->dirfd = -1;
	tw->armed_bytes = 0;
	tw->thr_valid = false;
}

/* Records armed_bytes as this memhook's tripwire. Returns 0 or -errno. */
static int record(const struct tripwire *tw, uint64_t armed_bytes)
{
	struct tripwire_record rec = { .armed_bytes = armed_bytes,
		                       .pid = getpid(),
		                       .start_ticks = tw->self_start_ticks };
	char buf[96];
	int n = tripwire_record_format(&rec, buf, sizeof(buf));
	if (n < 0)
		return -EINVAL;
	return fsetxattr(tw->dirfd, TRIPWIRE_XATTR, buf, (size_t)n, 0) < 0 ? -errno : 0;
}

static void unrecord(const struct tripwire *tw)
{
	if (fremovexattr(tw->dirfd, TRIPWIRE_XATTR) < 0 && errno != ENODATA)
		log_debug("tripwire: removing %s of %s: %s", TRIPWIRE_XATTR, tw->path, strerror(errno));
}

/* A record left on the cgroup: removes a dead memhook's tripwire; stands down for a live one's.
 * high is memory.high's text, updated when it is restored. Returns 0, or 1 when it stood down. */
static int clear_leftover(struct tripwire *tw, char high[24])
{
	char buf[128];
	ssize_t n = fgetxattr(tw->dirfd, TRIPWIRE_XATTR, buf, sizeof(buf));
	struct tripwire_record rec;
	if (n < 0 || tripwire_record_parse(buf, (size_t)n, &rec) < 0) {
		if (n >= 0) /* not memhook's format: a record nobody can trust, and nothing armed by it */
			unrecord(tw);
		return 0;
	}
	switch (tripwire_leftover(&rec, high, owner_alive(rec.pid, rec.start_ticks))) {
	case TRIPWIRE_LEFTOVER_LIVE:
		log_info("memory.high of %s holds the tripwire of memhook pid %d, which is running: no "
		         "tripwire from this one",
		         tw->path, (int)rec.pid);
		return 1;
	case TRIPWIRE_LEFTOVER_RESTORE: {
		int r = write_high(tw, "max");
		if (r < 0) {
			log_warn("the tripwire memhook pid %d left on %s (memory.high %s) could not be "
			         "removed: %s",
			         (int)rec.pid, tw->path, high, strerror(-r));
			return 1;
		}
		log_info("removed the tripwire memhook pid %d left on %s when it ended without cleaning "
		         "up: memory.high %s -> max",
		         (int)rec.pid, tw->path, high);
		snprintf(high, 24, "max");
		unrecord(tw);
		return 0;
	}
	case TRIPWIRE_LEFTOVER_STALE:
		log_info("a record of memhook pid %d's tripwire on %s, but memory.high is %s now (set by "
		         "someone else): record removed, memory.high left as it is",
		         (int)rec.pid, tw->path, high);
		unrecord(tw);
		return 0;
	}
	return 0;
}

int tripwire_start(struct tripwire *tw, const struct cg_target *cg)
{
	char high[24];
	close_all(tw);
	tw->stood_down = false;
	snprintf(tw->path, sizeof(tw->path), "%s", cg->path);
	_cleanup_close_ int fd = openat(cg->dirfd, "memory.high", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	int r = fd < 0 ? -errno : cg_check_write_fd(cg->dirfd, fd);
	if (r < 0) {
		log_info("no tripwire on %s: memory.high cannot be written (%s); a burst is seen by the "
		         "next check",
		         cg->path, strerror(-r));
		tw->stood_down = true;
		return 1;
	}
	tw->dirfd = fcntl(cg->dirfd, F_DUPFD_CLOEXEC, 3);
	if (tw->dirfd < 0)
		return -errno;
	tw->high_fd = TAKE_FD(fd);
	tw->events_fd = cg->events_fd;
	tw->floor_bytes = 0;
	if ((r = target_read_start_time("/proc", getpid(), &tw->self_start_ticks)) < 0 ||
	    (r = read_high(tw, high)) < 0) {
		close_all(tw);
		return r;
	}
	if (clear_leftover(tw, high) > 0) {
		tripwire_stand_down(tw, NULL);
		return 1;
	}
	if (tripwire_seen(high, 0) != TRIPWIRE_SEEN_FREE) {
		log_info("no tripwire on %s: memory.high is %s, set by someone else (left as it is)",
		         cg->path, high);
		tripwire_stand_down(tw, NULL);
		return 1;
	}
	return 0;
}

/* Stands down after memory.high was found at text, not memhook's armed value: said once. */
static void lost_to_another_writer(struct tripwire *tw, const char *text)
{
	log_info("memory.high of %s is %s, not the tripwire memhook armed (%" PRIu64
	         "): someone else set it, it stays; the tripwire stands down for this target",
	         tw->path, text, tw->armed_bytes);
	unrecord(tw);
	tw->armed_bytes = 0; /* not memhook's any more: never restored */
	close_all(tw);
	tw->stood_down = true;
}

int tripwire_update(struct tripwire *tw, const struct policy *p, const struct sample *s)
{
	if (tw->high_fd < 0 || tw->stood_down)
		return 0;
	if (!tw->thr_valid || tw->thr_limit_bytes != s->limit_bytes) {
		long page = sysconf(_SC_PAGESIZE);
		bool capped;
		tw->n_thr = cg_thresholds_of(p, s->limit_bytes, page > 0 ? (uint64_t)page : 4096, tw->thr,
		                             &capped);
		tw->thr_valid = true;
		tw->thr_limit_bytes = s->limit_bytes;
	}
	return tripwire_move(tw, s->usage_bytes, s->limit_bytes);
}

int tripwire_move(struct tripwire *tw, uint64_t usage_bytes, uint64_t limit_bytes)
{
	if (tw->high_fd < 0 || tw->stood_down || !tw->thr_valid)
		return 0;
	tw->floor_bytes = tripwire_floor(tw->floor_bytes, usage_bytes, limit_bytes);
	uint64_t want = tripwire_plan(tw->thr, tw->n_thr, usage_bytes, tw->floor_bytes);
	if (want == tw->armed_bytes)
		return 0;
	char high[24], text[24];
	int r = read_high(tw, high);
	if (r < 0)
		goto fail;
	if (tripwire_seen(high, tw->armed_bytes) !=
	    (tw->armed_bytes ? TRIPWIRE_SEEN_OURS : TRIPWIRE_SEEN_FREE)) {
		lost_to_another_writer(tw, high);
		return 0;
	}
	/* Recorded before it is written: a memhook killed in between leaves a record of a value
	 * memory.high does not hold, which the next one only drops. */
	if (want && (r = record(tw, want)) < 0) {
		log_info("no tripwire on %s: it cannot be recorded for the next memhook (%s %s); "
		         "memory.high left at max",
		         tw->path, TRIPWIRE_XATTR, strerror(-r));
		tripwire_stand_down(tw, NULL);
		return 0;
	}
	if (want)
		snprintf(text, sizeof(text), "%" PRIu64, want);
	else
		snprintf(text, sizeof(text), "max");
	if ((r = write_high(tw, text)) < 0)
		goto fail;
	if (!want)
		unrecord(tw);
	log_debug("tripwire: memory.high %s -> %s at a usage of %" PRIu64 " bytes (limit %" PRIu64 ")", high,
	          text, usage_bytes, limit_bytes);
	tw->armed_bytes = want;
	tw->last_high = read_high_count(tw);
	tw->generation++;
	tw->moves++;
	return 1;
fail:
	log_info("tripwire on %s: memory.high: %s; it stands down", tw->path, strerror(-r));
	tripwire_stand_down(tw, NULL);
	return r;
}

void tripwire_stop(struct tripwire *tw, const char *why)
{
	if (tw->high_fd < 0)
		return;
	if (tw->armed_bytes) {
		char high[24];
		int r = read_high(tw, high);
		if (r == 0 && tripwire_seen(high, tw->armed_bytes) == TRIPWIRE_SEEN_OURS)
			r = write_high(tw, "max");
		else if (r == 0)
			r = -EBUSY;
		if (r == -ENODEV || r == -ENOENT)
			why = NULL; /* the cgroup is gone, and its memory.high with it */
		if (why && r == 0)
			log_info("%s: tripwire removed: memory.high of %s back to max (it was %" PRIu64 ")",
			         why, tw->path, tw->armed_bytes);
		else if (why && r == -EBUSY)
			log_info("%s: memory.high of %s is %s, not memhook's tripwire: left as it is", why,
			         tw->path, high);
		else if (why)
			log_warn("%s: the tripwire on %s not removed: %s", why, tw->path, strerror(-r));
		if (r == 0 || r == -EBUSY)
			unrecord(tw);
	}
	close_all(tw);
}

void tripwire_stand_down(struct tripwire *tw, const char *why)
{
	tripwire_stop(tw, why);
	tw->stood_down = true;
}
