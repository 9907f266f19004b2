/* cg_parse_stat (memory.stat's working set and anon), for both versions: agrees with cg_parse_keyed
 * on the same keys, and leaves its output untouched on failure. */
#include <errno.h>

#include "kernel/cgroup.h"
#include "fuzz.h"

static void check(const char *buf, size_t len, enum cg_version v, const char *inactive_key,
                  const char *anon_key)
{
	struct cg_stat st = { 12345, 67890 };
	uint64_t inactive = 0, anon = 0;
	int r = cg_parse_stat(buf, len, v, &st);
	int ri = cg_parse_keyed(buf, len, inactive_key, &inactive);
	int ra = cg_parse_keyed(buf, len, anon_key, &anon);

	FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -EBADMSG);
	if (r != 0)
		FUZZ_ASSERT(st.inactive_file_bytes == 12345 && st.anon_bytes == 67890);
	/* the whole file is checked by both: garbage for one is garbage for the other */
	FUZZ_ASSERT((r == -EBADMSG) == (ri == -EBADMSG));
	FUZZ_ASSERT((r == -EBADMSG) == (ra == -EBADMSG));
	/* found by both, with the same values (the first occurrence of a key) */
	FUZZ_ASSERT((r == 0) == (ri == 0 && ra == 0));
	if (r == 0)
		FUZZ_ASSERT(st.inactive_file_bytes == inactive && st.anon_bytes == anon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_memdup(data, size);

	check(buf, size, CG_V2, "inactive_file", "anon");
	check(buf, size, CG_V1, "total_inactive_file", "total_rss");
	free(buf);
	return 0;
}
