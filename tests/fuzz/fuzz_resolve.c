/* resolve_cgroup_from_text: the input is /proc/PID/cgroup, a line "--- mountinfo ---", then
 * mountinfo (without the separator, all of it is /proc/PID/cgroup and mountinfo is empty). A
 * success is an absolute path. */
#include <errno.h>

#include "fuzz.h"
#include "resolve.h"

#define SEPARATOR "\n--- mountinfo ---\n"

/* Known bug (tests/fuzz/crashes/README.md): a mount root with a trailing slash ("//", "/a//") is
 * matched without it by path_under() but skipped with it when the path is cut, reading past the
 * end of a shorter cgroup path. True when a mountinfo line's root field (the 4th) ends in a slash
 * after its first character: such inputs are skipped while the known bugs are tolerated. */
static int has_root_with_trailing_slash(const char *mountinfo)
{
	for (const char *line = mountinfo; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line;
		for (int field = 0; field < 3; field++) {
			while (*p == ' ')
				p++;
			while (*p && *p != ' ' && *p != '\n')
				p++;
		}
		while (*p == ' ')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\n')
			p++;
		if (p - s > 1 && p[-1] == '/')
			return 1;
	}
	return 0;
}

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
	if (FUZZ_KNOWN_BUG(root_trailing_slash) && has_root_with_trailing_slash(mountinfo)) {
		free(text);
		return 0;
	}
	memset(err, 'x', sizeof(err));
	int r = resolve_cgroup_from_text(text, mountinfo, &path, err, sizeof(err));
	if (r == 0) {
		FUZZ_ASSERT(path);
		/* Known bug: find_mount() checks that a mount's root is absolute, not its mount point. */
		FUZZ_ASSERT(path[0] == '/' || FUZZ_KNOWN_BUG(relative_mount_point));
		free(path);
	} else {
		/* err is only written on failure; then it is a terminated string. */
		FUZZ_ASSERT(r < 0 && path == NULL);
		FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	}
	free(text);
	return 0;
}
