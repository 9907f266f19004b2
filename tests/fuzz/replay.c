/* Replays fuzz inputs without libFuzzer: `replay NAME DIR|FILE...` feeds every
 * regular file (directories one level deep) to LLVMFuzzerTestOneInput and prints how many it fed.
 * Built with the normal compiler and the sanitizers, so `make test` needs no fuzzing run. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Inputs above this are not real-looking seeds: a bound, so a stray big file cannot stall the suite. */
#define REPLAY_MAX_BYTES (1024 * 1024)

/* Feeds one file. Returns 1 when fed, -1 when it cannot be read. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uint8_t *buf = malloc(REPLAY_MAX_BYTES);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n = fread(buf, 1, REPLAY_MAX_BYTES, f);
	int bad = ferror(f) || !feof(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: %s: unreadable or over %d bytes\n", path, REPLAY_MAX_BYTES);
		free(buf);
		return -1;
	}
	/* An exact-size copy, as libFuzzer hands it: a read past the end is an ASan error. */
	uint8_t *data = malloc(n ? n : 1);
	if (!data) {
		free(buf);
		return -1;
	}
	memcpy(data, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Feeds every regular file in dir, in name order. Returns the number fed or -1. A missing directory
 * counts as empty (a target with no crash inputs yet). */
static long replay_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **grown = realloc(names, cap * sizeof(*names));
			if (!grown)
				abort();
			names = grown;
		}
		size_t len = strlen(dir) + strlen(e->d_name) + 2;
		names[n] = malloc(len);
		if (!names[n])
			abort();
		snprintf(names[n], len, "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	long fed = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			int r = replay_file(names[i]);
			if (r < 0)
				fed = -1;
			else if (fed >= 0)
				fed += r;
		}
		free(names[i]);
	}
	free(names);
	return fed;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s NAME DIR|FILE...\n", argv[0]);
		return 2;
	}
	long total = 0;
	for (int i = 2; i < argc; i++) {
		struct stat st;
		long r;
		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode))
			r = replay_file(argv[i]);
		else
			r = replay_dir(argv[i]);
		if (r < 0) {
			fprintf(stderr, "replay %s: cannot read %s\n", argv[1], argv[i]);
			return 1;
		}
		total += r;
	}
	printf("fuzz-replay %-16s %4ld inputs replayed\n", argv[1], total);
	return 0;
}
