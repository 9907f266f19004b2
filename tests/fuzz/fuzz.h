/* Shared by the fuzz targets: an abort that names the broken invariant, and a NUL-terminated copy
 * of the input for parsers that take C strings. */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                            \
	do {                                                                                         \
		if (!(cond)) {                                                                       \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                     \
		}                                                                                    \
	} while (0)

/* A malloc'd copy of data with a NUL after it; aborts when out of memory. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A malloc'd copy of the input as libFuzzer gives it: exactly size bytes, no NUL after, so a read past
 * the end is caught by ASan. */
static inline char *fuzz_memdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	return s;
}

/* True when buf (len bytes) is, after an optional newline, exactly the text s. */
static inline int fuzz_text_is(const char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);
	if (len && buf[len - 1] == '\n')
		len--;
	return len == n && memcmp(buf, s, n) == 0;
}
