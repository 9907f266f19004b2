/* trace_parse_line (a trace file, line by line, as `memhook simulate` reads it): a failure leaves
 * the sample and the parser untouched; a sample's clock never goes back; a group it says it has
 * is a group the line had; a percent is 0..100. */
#include <errno.h>

#include "fuzz.h"
#include "output/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);
	struct trace_parser tp;
	uint64_t last_usec = 0;
	const char *p = buf, *end = buf + size;

	trace_parser_init(&tp);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		struct sample s, canary;
		struct trace_parser before = tp;
		char err[256];
		memset(&s, 0x5a, sizeof(s));
		canary = s;
		int r = trace_parse_line(&tp, p, len, &s, err, sizeof(err));
		FUZZ_ASSERT(r == 1 || r == 0 || r == -EBADMSG);
		if (r <= 0)
			FUZZ_ASSERT(memcmp(&s, &canary, sizeof(s)) == 0);
		if (r < 0)
			FUZZ_ASSERT(memcmp(&tp, &before, sizeof(tp)) == 0 && strlen(err) > 0);
		if (r == 1) {
			FUZZ_ASSERT(tp.format_known);
			FUZZ_ASSERT(s.mono_usec >= last_usec);
			last_usec = s.mono_usec;
			for (int k = 0; s.has_psi && k < PSI_KINDS; k++)
				for (int w = 0; w < PSI_WINDOWS; w++)
					FUZZ_ASSERT(s.psi.avg[k][w] >= 0 && s.psi.avg[k][w] <= 100);
			if (s.has_stat && tp.format == TRACE_FORMAT_JSONL)
				FUZZ_ASSERT(memmem(p, len, "anon_bytes", 10) &&
				            memmem(p, len, "working_set_bytes", 17));
			for (int e = 0; !s.has_events && e < MEMEV_COUNT; e++)
				FUZZ_ASSERT(s.events[e] == 0 && s.events_delta[e] == 0);
			for (int e = 0; s.has_events && e < MEMEV_COUNT; e++)
				FUZZ_ASSERT(s.events_delta[e] <= s.events[e]);
		}
		p += len + 1;
	}
	free(buf);
	return 0;
}
