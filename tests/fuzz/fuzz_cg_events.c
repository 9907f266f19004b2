/* cg_parse_events (memory.events, v1 memory.oom_control): failure leaves the counters untouched. */
#include <errno.h>

#include "kernel/cgroup.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	uint64_t ev[MEMEV_COUNT];

	for (int i = 0; i < MEMEV_COUNT; i++)
		ev[i] = 12345;
	int r = cg_parse_events(buf, size, ev);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r != 0)
		for (int i = 0; i < MEMEV_COUNT; i++)
			FUZZ_ASSERT(ev[i] == 12345);
	free(buf);
	return 0;
}
