/* cg_parse_limit (memory.max, memory.limit_in_bytes): a parsed limit is 0 only when the file says 0,
 * and CG_UNLIMITED for "max". */
#include <errno.h>

#include "kernel/cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	uint64_t v = 12345;

	int r = cg_parse_limit(buf, size, &v);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r == 0) {
		if (v == 0)
			FUZZ_ASSERT(buf[0] == '0');
		if (fuzz_text_is(buf, size, "max"))
			FUZZ_ASSERT(v == CG_UNLIMITED);
		if (v >= (UINT64_C(1) << 62))
			FUZZ_ASSERT(v == CG_UNLIMITED);
	} else {
		FUZZ_ASSERT(v == 12345);
	}
	free(buf);
	return 0;
}
