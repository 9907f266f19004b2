/* target_parse_start_time (/proc/PID/stat, field 22): exactly size bytes, no NUL after. */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "kernel/target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	uint64_t v = 12345;

	int r = target_parse_start_time(buf, size, &v);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r == 0)
		FUZZ_ASSERT(memchr(buf, '(', size) && memchr(buf, ')', size));
	else
		FUZZ_ASSERT(v == 12345);
	free(buf);
	return 0;
}
