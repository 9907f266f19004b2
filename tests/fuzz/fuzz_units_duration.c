/* units_parse_duration: any string. A bare number is refused; a success consumed digits. */
#include <errno.h>

#include "fuzz.h"
#include "base/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	uint64_t usec = 12345;

	int r = units_parse_duration(s, &usec);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
	if (r == 0) {
		size_t digits = strspn(s, "0123456789");
		FUZZ_ASSERT(digits > 0 && s[digits] != '\0');
		if (usec == 0)
			FUZZ_ASSERT(strspn(s, "0") == digits);
		char buf[64];
		units_format_duration(usec, buf, sizeof(buf));
		FUZZ_ASSERT(memchr(buf, '\0', sizeof(buf)) != NULL);
	} else {
		FUZZ_ASSERT(usec == 12345);
	}
	free(s);
	return 0;
}
