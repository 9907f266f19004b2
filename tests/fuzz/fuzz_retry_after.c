/* delivery_parse_retry_after: a Retry-After header value, chosen by the receiver. A success is a
 * delay that a date in the past makes 0; a failure leaves the output untouched. */
#include <errno.h>

#include "fuzz.h"
#include "delivery/delivery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = fuzz_strndup(data, size);
	const uint64_t now_usec = UINT64_C(1764000000) * 1000000; /* late 2025 */
	uint64_t delay = 12345;

	int r = delivery_parse_retry_after(value, now_usec, &delay);
	FUZZ_ASSERT(r == 0 || r == -EINVAL);
	if (r != 0)
		FUZZ_ASSERT(delay == 12345);
	free(value);
	return 0;
}
