/* hog_rate RATE_MB_S [REPORT_MIB]: touches anonymous memory at a set rate until it is killed (the
 * OOM race of tests/bench/oom_race.py).
 *
 *   RATE_MB_S   MB/s (10^6 bytes a second) to touch, paced against CLOCK_MONOTONIC; 0 = as fast as
 *               it can (one write per 4 KiB page, no pacing)
 *   REPORT_MIB  every this many MiB touched, writes "<MiB touched> <CLOCK_MONOTONIC ns>\n" to stdout
 *               (default 8), so its parent can tell the rate it achieved
 *
 * The memory is one MAP_NORESERVE mapping of 64 GiB with MADV_NOHUGEPAGE (each page faults alone,
 * usage grows page by page as in an ordinary heap); it stops with exit 3 if it ever reaches the end
 * without being killed. Built static by the Makefile: its exec costs nothing to the race. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGE_BYTES   4096UL
#define MAP_BYTES    (64UL << 30)
#define STEP_BYTES   (64UL << 10) /* touched between two looks at the clock */
#define MIB          (1UL << 20)
#define NSEC_PER_SEC 1000000000ULL

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void report(unsigned long mib)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%lu %llu\n", mib, (unsigned long long)now_ns());
	if (write(STDOUT_FILENO, line, (size_t)n) < 0 && errno != EPIPE)
		_exit(4);
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: hog_rate RATE_MB_S [REPORT_MIB]\n");
		return 2;
	}
	double rate_bytes_per_ns = strtod(argv[1], NULL) * 1e6 / 1e9;
	unsigned long report_bytes = (argc == 3 ? strtoul(argv[2], NULL, 10) : 8UL) * MIB;
	if (rate_bytes_per_ns < 0 || report_bytes == 0) {
		fprintf(stderr, "hog_rate: bad arguments\n");
		return 2;
	}
	char *p = mmap(NULL, MAP_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	               -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "hog_rate: mmap: %s\n", strerror(errno));
		return 1;
	}
	madvise(p, MAP_BYTES, MADV_NOHUGEPAGE);

	uint64_t start_ns = now_ns();
	unsigned long touched = 0, next_report = report_bytes;
	report(0);
	while (touched < MAP_BYTES) {
		if (rate_bytes_per_ns > 0) {
			double due = rate_bytes_per_ns * (double)(now_ns() - start_ns);
			if ((double)touched >= due) {
				/* ahead of the rate: sleep until the next step is due */
				double wait_ns = ((double)touched + STEP_BYTES - due) / rate_bytes_per_ns;
				struct timespec ts = { (time_t)(wait_ns / 1e9),
					               (long)((uint64_t)wait_ns % NSEC_PER_SEC) };
				nanosleep(&ts, NULL);
				continue;
			}
		}
		for (unsigned long end = touched + STEP_BYTES; touched < end; touched += PAGE_BYTES)
			p[touched] = 1;
		if (touched >= next_report) {
			report(touched / MIB);
			next_report += report_bytes;
		}
	}
	return 3;
}
