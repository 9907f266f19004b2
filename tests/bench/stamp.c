/* stamp FILE TAG: appends "TAG <CLOCK_MONOTONIC ns>\n" to FILE, the clock read first thing in
 * main. The OOM race's exec handler (tests/bench/oom_race.py): the moment memhook's action ran.
 * Built static by the Makefile, so the exec costs what a small handler costs, not a dynamic load. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (argc != 3) {
		fprintf(stderr, "usage: stamp FILE TAG\n");
		return 2;
	}
	char line[256];
	int n = snprintf(line, sizeof(line), "%s %lld\n", argv[2],
	                 (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (n < 0 || (size_t)n >= sizeof(line) || fd < 0 || write(fd, line, (size_t)n) != n) {
		perror("stamp");
		return 1;
	}
	return close(fd) == 0 ? 0 : 1;
}
