/* units_parse_size: any string. A success consumed digits, so "0" is the only way to say 0. */
#include <errno.h>

#include "fuzz.h"
#include "base/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	uint64_t bytes = 12345;

	int r = units_parse_size(s, &bytes);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0) {
		FUZZ_ASSERT(s[0] >= '0' && s[0] <= '9');
		if (bytes == 0)
			FUZZ_ASSERT(strspn(s, "0") > 0 && strspn(s, "0123456789") == strspn(s, "0"));
		char buf[64];
		units_format_size(bytes, buf, sizeof(buf));
		FUZZ_ASSERT(memchr(buf, '\0', sizeof(buf)) != NULL);
	} else {
		FUZZ_ASSERT(bytes == 12345);
	}
	free(s);
	return 0;
}
