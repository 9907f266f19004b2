/* hog CTL_FIFO STATUS_FILE [CGROUP_DIR]: a memory hog the VM tests drive step by step.
 * Creates the fifo CTL_FIFO when missing, joins CGROUP_DIR (writes its pid into cgroup.procs),
 * then reads one command a line from CTL_FIFO (opened read-write, so writers may come and go
 * without an EOF):
 *   grow N     map N more MiB, in 1 MiB chunks, and touch every page
 *   shrink N   unmap the last N MiB
 *   touch      touch every page again (faults swapped-out pages back in)
 *   exit
 * At start and after every command it replaces STATUS_FILE (write + rename, never half-written)
 * with "<MiB held> <commands done>", so a test can wait for a command to have finished.
 *
 * hog --mkdir DIR / hog --rmdir DIR: make a cgroup, or remove one with its children (deepest
 * first). Built static, this costs a fraction of an exec of mkdir/find/rmdir under emulation. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

/* Removes DIR's subdirectories, deepest first, then DIR. Returns 0 or -1 (errno set). */
static int rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (rmtree(sub) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--mkdir") == 0) {
		if (mkdir(argv[2], 0755) == 0)
			return 0;
		fprintf(stderr, "hog: mkdir %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--rmdir") == 0) {
		if (rmtree(argv[2]) == 0)
			return 0;
		fprintf(stderr, "hog: rmdir %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
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
	unlink(argv[2]);
	if (mkfifo(argv[1], 0600) < 0 && errno != EEXIST) {
		fprintf(stderr, "hog: mkfifo %s: %s\n", argv[1], strerror(errno));
		return 1;
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
