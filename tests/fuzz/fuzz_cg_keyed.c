/* cg_parse_keyed (memory.stat): looks up the keys memhook reads and one taken from the input. */
#include <errno.h>

#include "kernel/cgroup.h"
#include "fuzz.h"

static void lookup(const char *buf, size_t len, const char *key)
{
	uint64_t v = 12345;
	int r = cg_parse_keyed(buf, len, key, &v);
	FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -EBADMSG || r == -ERANGE);
	if (r != 0)
		FUZZ_ASSERT(v == 12345);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);

	lookup(buf, size, "hierarchical_memory_limit");
	lookup(buf, size, "anon");
	lookup(buf, size, "file");
	lookup(buf, size, "");
	/* The first word of the input as a key: exercises the match path, not only misses. */
	size_t n = 0;
	while (n < size && n < 64 && buf[n] != ' ' && buf[n] != '\n' && buf[n] != '\0')
		n++;
	char key[65];
	memcpy(key, buf, n);
	key[n] = '\0';
	lookup(buf, size, key);
	free(buf);
	return 0;
}
