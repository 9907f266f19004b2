/* pod_cgroup_parse (a directory's path under the kubelet's cgroup root, from readdir and inotify):
 * any bytes, NUL-terminated. What it says must be what the layout allows: a kind with exactly its
 * fields, a UID of hex digits and dashes, a container ID of 64 lower-case hex digits. */
#include <string.h>

#include "kernel/pod_cgroup.h"
#include "fuzz.h"

static bool all_of(const char *s, const char *allowed)
{
	return strspn(s, allowed) == strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	struct pod_cgroup pc;
	pod_cgroup_parse(buf, &pc);
	FUZZ_ASSERT(pc.kind >= POD_CGROUP_OTHER && pc.kind <= POD_CGROUP_CONTAINER);
	FUZZ_ASSERT(pc.runtime != NULL);
	if (pc.kind == POD_CGROUP_OTHER)
		FUZZ_ASSERT(!pc.pod_uid[0] && !pc.container_id[0] && !pc.runtime[0]);
	if (pc.kind >= POD_CGROUP_POD) {
		size_t n = strlen(pc.pod_uid);
		FUZZ_ASSERT(n > 0 && n < POD_UID_SIZE && all_of(pc.pod_uid, "0123456789abcdef-"));
		FUZZ_ASSERT(pc.pod_uid[0] != '-' && pc.pod_uid[n - 1] != '-' && !strstr(pc.pod_uid, "--"));
		FUZZ_ASSERT(strstr(buf, "pod") != NULL);
	} else {
		FUZZ_ASSERT(!pc.pod_uid[0]);
	}
	if (pc.kind == POD_CGROUP_CONTAINER) {
		FUZZ_ASSERT(strlen(pc.container_id) == 64 && all_of(pc.container_id, "0123456789abcdef"));
		FUZZ_ASSERT(strstr(buf, pc.container_id) != NULL);
	} else {
		FUZZ_ASSERT(!pc.container_id[0]);
	}
	size_t len = strlen(buf); /* a NUL in the input ends the path there */
	if (pc.kind != POD_CGROUP_OTHER)
		FUZZ_ASSERT(len > 0 && buf[0] != '/' && buf[len - 1] != '/' && !strstr(buf, "//"));
	free(buf);
	return 0;
}
