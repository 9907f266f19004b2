/* resolve_cgroup_from_text: the input is /proc/PID/cgroup, a line "--- mountinfo ---", then
 * mountinfo (without the separator, all of it is /proc/PID/cgroup and mountinfo is empty). A
 * success is an absolute path. */
#include <errno.h>

#include "fuzz.h"
#include "kernel/resolve.h"

#define SEPARATOR "\n--- mountinfo ---\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	char *mountinfo = strstr(text, SEPARATOR);
	char *path = NULL;
	char err[512];

	if (mountinfo) {
		*mountinfo = '\0';
		mountinfo += strlen(SEPARATOR);
	} else {
		mountinfo = text + size;
	}
	memset(err, 'x', sizeof(err));
	int r = resolve_cgroup_from_text(text, mountinfo, &path, err, sizeof(err));
	if (r == 0) {
		FUZZ_ASSERT(path);
		/* Known bug: find_mount() checks that a mount's root is absolute, not its mount point. */
		FUZZ_ASSERT(path[0] == '/');
		free(path);
	} else {
		/* err is only written on failure; then it is a terminated string. */
		FUZZ_ASSERT(r < 0 && path == NULL);
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	}
	free(text);
	return 0;
}
