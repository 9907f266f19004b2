/* race_run CGROUP_DIR HOG RATE_MB_S [PERCENT...]: one run of the OOM race (tests/bench/oom_race.py).
 *
 * Starts HOG (hog_rate) at RATE_MB_S inside CGROUP_DIR and waits, in one epoll loop, for:
 *   - the kernel's own usage notifications, the physical limit of how early anyone can know:
 *     cgroup v1: a memory.usage_in_bytes threshold at each PERCENT of the limit (default 75 and 90)
 *     through cgroup.event_control and an eventfd, and the OOM notifier of memory.oom_control;
 *     cgroup v2 has no usage thresholds: memory.events (POLLPRI), whose `max` counter grows when
 *     usage hits memory.max (the last moment before the OOM killer) and `oom_kill` at the kill;
 *     its `high` counter grows when usage passes memory.high, which is where memhook's tripwire
 *     sits: the first `high` increase seen with memory.current at or past a PERCENT's bytes is
 *     that threshold's notification (the one memhook's check is woken by);
 *   - the hog's progress lines ("MiB ns"), to tell the rate it achieved;
 *   - the hog's death (a pidfd), the kill as its parent sees it.
 * Every time is CLOCK_MONOTONIC in ns, taken when epoll returns. Prints one JSON object:
 *   {"cgroup_version": 1|2, "limit_bytes": N, "start_ns": N, "death_ns": N, "signal": N, "status": N,
 *    "oom_ns": N|null, "v2_max_ns": N|null, "v2_high": N (memory.events high, counted in the run),
 *    "thresholds": [{"percent": P, "bytes": B, "ns": N|null}],
 *    "progress": [[MiB, ns], ...]}
 * "ns" of a threshold is its first notification after the start. Exit status 0 when the hog died
 * (killed or not: the caller judges), 1 when the run could not be measured. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THRESHOLDS   8
#define MAX_PROGRESS     4096
#define RUN_TIMEOUT_MS   300000 /* 50 MB/s fills 256 MiB in 5.4 s; a run this long is stuck */
#define DRAIN_TIMEOUT_MS 50     /* after the death: notifications still in flight */
#define NSEC_PER_SEC     1000000000ULL

enum { SRC_THRESHOLD, SRC_OOM, SRC_EVENTS, SRC_PROGRESS, SRC_PIDFD };

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static int die(const char *what)
{
	fprintf(stderr, "race_run: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Reads DIR/NAME into buf (NUL-terminated); returns the length or -1. */
static ssize_t read_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* The value of "KEY N" in a flat-keyed file such as memory.events, or 0. */
static uint64_t keyed(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, n) == 0 && p[n] == ' ')
			return strtoull(p + n + 1, NULL, 10);
	return 0;
}

static int watch(int ep, int fd, uint32_t events, int src, int index)
{
	struct epoll_event ev = { .events = events, .data.u64 = ((uint64_t)src << 32) | (uint32_t)index };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void print_ns(const char *key, uint64_t ns)
{
	if (ns)
		printf("\"%s\": %" PRIu64, key, ns);
	else
		printf("\"%s\": null", key);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: race_run CGROUP_DIR HOG RATE_MB_S [PERCENT...]\n");
		return 2;
	}
	const char *cg = argv[1], *hog = argv[2], *rate = argv[3];
	int percents[MAX_THRESHOLDS] = { 75, 90 }, n_thr = 2;
	if (argc > 4) {
		n_thr = 0;
		for (int i = 4; i < argc && n_thr < MAX_THRESHOLDS; i++)
			percents[n_thr++] = atoi(argv[i]);
	}

	char buf[4096];
	int version = read_file(cg, "memory.max", buf, sizeof(buf)) >= 0 ? 2 : 1;
	if (version == 1 && read_file(cg, "memory.limit_in_bytes", buf, sizeof(buf)) < 0)
		return die("reading the limit (memory.max, memory.limit_in_bytes)");
	uint64_t limit_bytes = strtoull(buf, NULL, 10);
	if (limit_bytes == 0 || limit_bytes > (1ULL << 50)) {
		fprintf(stderr, "race_run: %s has no memory limit\n", cg);
		return 1;
	}

	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return die("epoll_create1");
	int thr_fd[MAX_THRESHOLDS];
	uint64_t thr_bytes[MAX_THRESHOLDS], thr_ns[MAX_THRESHOLDS] = { 0 };
	uint64_t oom_ns = 0, v2_max_ns = 0, events_max = 0, events_oom_kill = 0, events_high = 0, high_now = 0;
	int events_fd = -1, oom_fd = -1, current_fd = -1;
	char path[4096];
	if (version == 1) {
		snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", cg);
		int usage_fd = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s/memory.oom_control", cg);
		int oom_ctl_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (usage_fd < 0 || oom_ctl_fd < 0)
			return die("opening memory.usage_in_bytes, memory.oom_control");
		for (int i = 0; i < n_thr; i++) {
			thr_bytes[i] = limit_bytes / 100 * (uint64_t)percents[i];
			thr_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			snprintf(buf, sizeof(buf), "%d %d %" PRIu64, thr_fd[i], usage_fd, thr_bytes[i]);
			if (thr_fd[i] < 0 || write_file(cg, "cgroup.event_control", buf) < 0 ||
			    watch(ep, thr_fd[i], EPOLLIN, SRC_THRESHOLD, i) < 0)
				return die("registering a usage threshold (cgroup.event_control)");
		}
		oom_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		snprintf(buf, sizeof(buf), "%d %d", oom_fd, oom_ctl_fd);
		if (oom_fd < 0 || write_file(cg, "cgroup.event_control", buf) < 0 ||
		    watch(ep, oom_fd, EPOLLIN, SRC_OOM, 0) < 0)
			return die("registering the OOM notifier (cgroup.event_control)");
	} else {
		/* no usage thresholds on v2: the `high` count past each PERCENT's bytes (the tripwire) */
		for (int i = 0; i < n_thr; i++)
			thr_bytes[i] = limit_bytes / 100 * (uint64_t)percents[i];
		snprintf(path, sizeof(path), "%s/memory.current", cg);
		current_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (current_fd < 0)
			return die("opening memory.current");
		snprintf(path, sizeof(path), "%s/memory.events", cg);
		events_fd = open(path, O_RDONLY | O_CLOEXEC);
		if (events_fd < 0 || pread(events_fd, buf, sizeof(buf) - 1, 0) < 0)
			return die("opening memory.events");
		buf[sizeof(buf) - 1] = '\0';
		events_max = keyed(buf, "max");
		events_oom_kill = keyed(buf, "oom_kill");
		events_high = high_now = keyed(buf, "high");
		if (watch(ep, events_fd, EPOLLPRI, SRC_EVENTS, 0) < 0)
			return die("epoll on memory.events");
	}

	int sync_pipe[2], progress_pipe[2];
	if (pipe2(sync_pipe, O_CLOEXEC) < 0 || pipe2(progress_pipe, O_CLOEXEC) < 0)
		return die("pipe2");
	pid_t pid = fork();
	if (pid < 0)
		return die("fork");
	if (pid == 0) {
		char go;
		dup2(progress_pipe[1], STDOUT_FILENO);
		close(sync_pipe[1]);
		if (read(sync_pipe[0], &go, 1) != 1)
			_exit(5);
		execl(hog, hog, rate, "8", (char *)NULL);
		_exit(6);
	}
	close(sync_pipe[0]);
	close(progress_pipe[1]);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (write_file(cg, "cgroup.procs", buf) < 0 || pidfd < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		errno = e;
		return die("moving the hog into the cgroup / pidfd_open");
	}
	if (watch(ep, pidfd, EPOLLIN, SRC_PIDFD, 0) < 0 ||
	    watch(ep, progress_pipe[0], EPOLLIN, SRC_PROGRESS, 0) < 0)
		return die("epoll_ctl");

	static uint64_t progress[MAX_PROGRESS][2];
	int n_progress = 0;
	char line[256];
	size_t line_len = 0;
	uint64_t start_ns = now_ns(), death_ns = 0;
	if (write(sync_pipe[1], "g", 1) != 1)
		return die("starting the hog");
	int status = 0, progress_open = 1;
	for (;;) {
		int timeout_ms = death_ns ? DRAIN_TIMEOUT_MS : RUN_TIMEOUT_MS;
		struct epoll_event evs[8];
		int n = epoll_wait(ep, evs, 8, timeout_ms);
		uint64_t t = now_ns();
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return die("epoll_wait");
		if (n == 0 && !death_ns) {
			fprintf(stderr, "race_run: the hog was not killed within %d ms\n", RUN_TIMEOUT_MS);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
		if (n == 0 && !progress_open)
			break;
		for (int k = 0; k < n; k++) {
			int src = (int)(evs[k].data.u64 >> 32), index = (int)(uint32_t)evs[k].data.u64;
			uint64_t count;
			switch (src) {
			case SRC_THRESHOLD:
				if (read(thr_fd[index], &count, sizeof(count)) > 0 && !thr_ns[index])
					thr_ns[index] = t;
				break;
			case SRC_OOM:
				if (read(oom_fd, &count, sizeof(count)) > 0 && !oom_ns)
					oom_ns = t;
				break;
			case SRC_EVENTS: {
				ssize_t r = pread(events_fd, buf, sizeof(buf) - 1, 0);
				if (r < 0)
					break;
				buf[r] = '\0';
				if (!v2_max_ns && keyed(buf, "max") > events_max)
					v2_max_ns = t;
				if (!oom_ns && keyed(buf, "oom_kill") > events_oom_kill)
					oom_ns = t;
				uint64_t high = keyed(buf, "high");
				char cur[32];
				ssize_t c;
				if (high > high_now && (c = pread(current_fd, cur, sizeof(cur) - 1, 0)) > 0) {
					cur[c] = '\0';
					uint64_t usage = strtoull(cur, NULL, 10);
					for (int i = 0; i < n_thr; i++)
						if (!thr_ns[i] && usage >= thr_bytes[i])
							thr_ns[i] = t;
				}
				if (high > high_now)
					high_now = high;
				break;
			}
			case SRC_PROGRESS: {
				ssize_t r =
				        read(progress_pipe[0], line + line_len, sizeof(line) - 1 - line_len);
				if (r <= 0) {
					epoll_ctl(ep, EPOLL_CTL_DEL, progress_pipe[0], NULL);
					progress_open = 0;
					break;
				}
				line_len += (size_t)r;
				line[line_len] = '\0';
				char *nl;
				while ((nl = strchr(line, '\n'))) {
					unsigned long long mib, ns;
					if (n_progress < MAX_PROGRESS &&
					    sscanf(line, "%llu %llu", &mib, &ns) == 2) {
						progress[n_progress][0] = mib;
						progress[n_progress][1] = ns;
						n_progress++;
					}
					line_len -= (size_t)(nl + 1 - line);
					memmove(line, nl + 1, line_len + 1);
				}
				if (line_len >= sizeof(line) - 1)
					line_len = 0; /* a line this long is not ours */
				break;
			}
			case SRC_PIDFD:
				if (!death_ns) {
					death_ns = t;
					waitpid(pid, &status, 0);
					epoll_ctl(ep, EPOLL_CTL_DEL, pidfd, NULL);
				}
				break;
			}
		}
	}

	printf("{\"cgroup_version\": %d, \"limit_bytes\": %" PRIu64 ", \"start_ns\": %" PRIu64
	       ", \"death_ns\": %" PRIu64 ", \"signal\": %d, \"status\": %d, ",
	       version, limit_bytes, start_ns, death_ns, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	print_ns("oom_ns", oom_ns);
	printf(", ");
	print_ns("v2_max_ns", v2_max_ns);
	printf(", \"v2_high\": %" PRIu64 ", \"thresholds\": [", high_now - events_high);
	for (int i = 0; i < n_thr; i++) {
		printf("%s{\"percent\": %d, \"bytes\": %" PRIu64 ", ", i ? ", " : "", percents[i],
		       thr_bytes[i]);
		print_ns("ns", thr_ns[i]);
		printf("}");
	}
	printf("], \"progress\": [");
	for (int i = 0; i < n_progress; i++)
		printf("%s[%" PRIu64 ", %" PRIu64 "]", i ? ", " : "", progress[i][0], progress[i][1]);
	printf("]}\n");
	return 0;
}
