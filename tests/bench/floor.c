/* The platform floor memhook's figures are compared with: what the least possible daemon costs on
 * this machine.
 *
 *   floor wakeup INTERVAL_MS ITERATIONS [FILE...]
 *       an epoll loop on a timerfd that, at each tick, preads each FILE from offset 0 until EOF
 *       (the least a check can do); prints "us_per_wakeup <float>" (CPU time per tick from
 *       /proc/self/schedstat, or utime+stime when schedstat is missing).
 *   floor libs
 *       curl_global_init(CURL_GLOBAL_DEFAULT) and curl_multi_init(), as memhook does at start, then
 *       prints "rss_kib_before <n>", "hwm_kib <n>" from /proc/self/status (the resident size that
 *       loading and initialising libcurl and its dependencies costs by itself).
 *
 * Built by run.sh with the same libraries as memhook. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

static long long cpu_nsec(void)
{
	FILE *f = fopen("/proc/self/schedstat", "re");
	long long ns = -1;
	if (f) {
		if (fscanf(f, "%lld", &ns) != 1)
			ns = -1;
		fclose(f);
	}
	if (ns >= 0)
		return ns;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static long status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;
	size_t n = strlen(key);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

static int wakeup(long interval_ms, long iterations, int n_files, char **files)
{
	int fds[64];
	static char buf[16384];
	if (interval_ms < 1 || iterations < 1 || n_files > 64) {
		fprintf(stderr, "floor: bad arguments\n");
		return 2;
	}
	for (int i = 0; i < n_files; i++) {
		fds[i] = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			fprintf(stderr, "floor: %s: %s\n", files[i], strerror(errno));
			return 1;
		}
	}
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct itimerspec its = {{interval_ms / 1000, (interval_ms % 1000) * 1000000L},
				 {interval_ms / 1000, (interval_ms % 1000) * 1000000L}};
	struct epoll_event ev = {.events = EPOLLIN};
	if (tfd < 0 || ep < 0 || timerfd_settime(tfd, 0, &its, NULL) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0) {
		fprintf(stderr, "floor: timerfd/epoll: %s\n", strerror(errno));
		return 1;
	}
	long long start = cpu_nsec();
	for (long k = 0; k < iterations; k++) {
		struct epoll_event out;
		uint64_t ticks;
		if (epoll_wait(ep, &out, 1, -1) < 0 && errno != EINTR)
			return 1;
		if (read(tfd, &ticks, sizeof(ticks)) < 0)
			return 1;
		for (int i = 0; i < n_files; i++) {
			off_t off = 0;
			ssize_t r;
			while ((r = pread(fds[i], buf, sizeof(buf), off)) > 0)
				off += r;
		}
	}
	printf("us_per_wakeup %.2f\n", (double)(cpu_nsec() - start) / 1e3 / (double)iterations);
	return 0;
}

static int libs(void)
{
	printf("rss_kib_before %ld\n", status_kib("VmRSS"));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	CURLM *multi = curl_multi_init();
	if (!multi)
		return 1;
	printf("hwm_kib %ld\n", status_kib("VmHWM"));
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "wakeup") == 0)
		return wakeup(strtol(argv[2], NULL, 10), strtol(argv[3], NULL, 10), argc - 4, argv + 4);
	if (argc == 2 && strcmp(argv[1], "libs") == 0)
		return libs();
	fprintf(stderr, "usage: floor wakeup INTERVAL_MS ITERATIONS [FILE...] | floor libs\n");
	return 2;
}
