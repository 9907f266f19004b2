/* meminfo_parse (/proc/meminfo). Invariants: -EBADMSG or 0, and nothing written on failure; on
 * success both keys start a line, MemTotal > 0, MemAvailable <= MemTotal, both whole KiB; and the
 * parser stops once it has both: a newline and any bytes after the input change nothing. */
#include <errno.h>

#include "fuzz.h"
#include "kernel/hostmem.h"

/* Whether key starts a line of buf (at its start or after a newline). */
static int starts_a_line(const char *buf, size_t size, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i + n <= size; i++)
		if ((i == 0 || buf[i - 1] == '\n') && memcmp(buf + i, key, n) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	uint64_t total = 12345, avail = 12345;

	int r = meminfo_parse(buf, size, &total, &avail);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG);
	if (r != 0) {
		FUZZ_ASSERT(total == 12345 && avail == 12345);
		free(buf);
		return 0;
	}
	FUZZ_ASSERT(starts_a_line(buf, size, "MemTotal:") && starts_a_line(buf, size, "MemAvailable:"));
	FUZZ_ASSERT(total > 0 && avail <= total && total % 1024 == 0 && avail % 1024 == 0);

	/* The input, a newline, then the input again as trailing garbage: the same answer. */
	char *twice = malloc(2 * size + 1);
	if (!twice)
		abort();
	memcpy(twice, buf, size);
	twice[size] = '\n';
	memcpy(twice + size + 1, buf, size);
	uint64_t total2 = 0, avail2 = 0;
	FUZZ_ASSERT(meminfo_parse(twice, 2 * size + 1, &total2, &avail2) == 0);
	FUZZ_ASSERT(total2 == total && avail2 == avail);
	free(twice);
	free(buf);
	return 0;
}
