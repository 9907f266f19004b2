/* cg_parse_u64 (memory.current, memory.usage_in_bytes): exactly size bytes, no NUL after. */
#include <errno.h>

#include "kernel/cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	uint64_t v = 12345;

	int r = cg_parse_u64(buf, size, &v);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r == 0) {
		FUZZ_ASSERT(size > 0 && buf[0] >= '0' && buf[0] <= '9');
		if (v == 0)
			FUZZ_ASSERT(buf[0] == '0');
	} else {
		FUZZ_ASSERT(v == 12345);
	}
	free(buf);
	return 0;
}
