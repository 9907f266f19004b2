/* meminfo_parse (/proc/meminfo): both keys required; available never reported above... nothing the
 * kernel promises, so only: success sets both outputs, failure sets neither. */
#include <errno.h>

#include "fuzz.h"
#include "hostmem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	uint64_t total = 12345, avail = 12345;

	int r = meminfo_parse(buf, size, &total, &avail);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -ERANGE);
	if (r != 0)
		FUZZ_ASSERT(total == 12345 && avail == 12345);
	else
		FUZZ_ASSERT(memmem(buf, size, "MemTotal:", 9) && memmem(buf, size, "MemAvailable:", 13));
	free(buf);
	return 0;
}
