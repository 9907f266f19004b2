/* hog CTL_FIFO STATUS_FILE [CGROUP_DIR]: a memory hog the VM tests drive step by step.
 * Joins CGROUP_DIR first (writes its pid into cgroup.procs), then reads one command a line from
 * CTL_FIFO (opened read-write, so writers may come and go without an EOF):
 *   grow N     map N more MiB, in 1 MiB chunks, and touch every page
 *   shrink N   unmap the last N MiB
 *   touch      touch every page again (faults swapped-out pages back in)
 *   exit
 * At start and after every command it replaces STATUS_FILE (write + rename, never half-written)
 * with "<MiB held> <commands done>", so a test can wait for a command to have finished. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK_BYTES (1UL << 20)
#define MAX_CHUNKS 4096 /* 4 GiB: far above anything a test VM has */
#define PAGE_BYTES 4096UL

static void *chunks[MAX_CHUNKS];
static unsigned long n_chunks;
static unsigned long n_done;

static void touch(char *p)
{
	for (unsigned long off = 0; off < CHUNK_BYTES; off += PAGE_BYTES)
		p[off] = (char)(p[off] + 1);
}

static void status(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%lu %lu\n", n_chunks, n_done) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "hog: writing %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: hog CTL_FIFO STATUS_FILE [CGROUP_DIR]\n");
		return 2;
	}
	if (argc > 3) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/cgroup.procs", argv[3]);
		FILE *f = fopen(path, "w");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f) != 0) {
			fprintf(stderr, "hog: joining %s: %s\n", argv[3], strerror(errno));
			return 1;
		}
	}
	int fd = open(argv[1], O_RDWR);
	FILE *ctl = fd < 0 ? NULL : fdopen(fd, "r");
	if (!ctl) {
		fprintf(stderr, "hog: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	status(argv[2]);
	char line[128];
	while (fgets(line, sizeof(line), ctl)) {
		unsigned long n = 0;
		if (sscanf(line, "grow %lu", &n) == 1) {
			for (; n > 0 && n_chunks < MAX_CHUNKS; n--) {
				void *p = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (p == MAP_FAILED) {
					fprintf(stderr, "hog: mmap: %s\n", strerror(errno));
					break;
				}
				touch(p);
				chunks[n_chunks++] = p;
			}
		} else if (sscanf(line, "shrink %lu", &n) == 1) {
			for (; n > 0 && n_chunks > 0; n--)
				munmap(chunks[--n_chunks], CHUNK_BYTES);
		} else if (strncmp(line, "touch", 5) == 0) {
			for (unsigned long i = 0; i < n_chunks; i++)
				touch(chunks[i]);
		} else if (strncmp(line, "exit", 4) == 0) {
			break;
		} else {
			fprintf(stderr, "hog: unknown command: %s", line);
		}
		n_done++;
		status(argv[2]);
	}
	return 0;
}
