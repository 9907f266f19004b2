/* A watch's stream, chosen by the API server (or whoever stands in its place): framed into lines
 * with kube_lines_feed (a bound of 4 KiB), each line's "object" (or the line itself) read by
 * pod_info_parse, whose memhook.io/ annotations go through pod_spec_parse. Invariants: every
 * string within its array, containers and their IDs (empty or 64 lowercase hex) within bounds,
 * an error exactly when errors were counted. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <strings.h>

#include "fuzz.h"
#include "daemon/pod_watch.h"
#include "delivery/kube_watch.h"

static void check_pod(const struct pod_info *p)
{
	FUZZ_ASSERT(memchr(p->uid, 0, sizeof(p->uid)) && p->uid[0]);
	FUZZ_ASSERT(memchr(p->namespace, 0, sizeof(p->namespace)) && p->namespace[0]);
	FUZZ_ASSERT(memchr(p->name, 0, sizeof(p->name)) && p->name[0]);
	FUZZ_ASSERT(memchr(p->ip, 0, sizeof(p->ip)));
	FUZZ_ASSERT(p->n_containers <= POD_CONTAINERS_MAX);
	for (size_t i = 0; i < p->n_containers; i++) {
		size_t n = strlen(p->containers[i].id);
		FUZZ_ASSERT(n == 0 || (n == 64 && strspn(p->containers[i].id, "0123456789abcdef") == 64));
		FUZZ_ASSERT(memchr(p->containers[i].name, 0, sizeof(p->containers[i].name)));
	}
	const struct pod_settings *s = &p->settings;
	FUZZ_ASSERT(s->n_containers <= POD_SPEC_CONTAINERS_MAX);
	FUZZ_ASSERT((s->n_errors == 0) == (s->error[0] == '\0'));
	FUZZ_ASSERT(!s->error[0] || s->opted_in);
	FUZZ_ASSERT(!(s->policy_name[0] && s->policy_json));
	FUZZ_ASSERT(strncasecmp(s->webhook_url, "http", 4) == 0 || !s->webhook_url[0]);
	FUZZ_ASSERT(!strchr(s->error, '\n'));
	for (size_t i = 0; i < s->n_containers; i++)
		FUZZ_ASSERT(pod_settings_selects(s, s->containers[i]));
}

static int on_line(void *userdata, char *line, size_t len)
{
	(void)userdata;
	FUZZ_ASSERT(strlen(line) <= len && line[len] == 0); /* a NUL inside is the JSON parser's to refuse */
	cJSON *j = cJSON_ParseWithLength(line, len);
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(j, "object");
	struct pod_info p;
	int r = pod_info_parse(obj ? obj : j, &p);
	FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r == 0) {
		check_pod(&p);
		struct pod_info q = p;
		FUZZ_ASSERT(pod_info_equal(&p, &q));
		pod_info_free(&p);
	}
	cJSON_Delete(j);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = NULL;
	size_t used = 0, cap = 0;
	/* in two chunks, split where the first byte says: framing must not depend on it */
	size_t cut = size ? data[0] % (size + 1) : 0;
	int r = kube_lines_feed(&buf, &used, &cap, 4096, (const char *)data, cut, on_line, NULL);
	if (r == 0)
		r = kube_lines_feed(&buf, &used, &cap, 4096, (const char *)data + cut, size - cut, on_line,
		                    NULL);
	FUZZ_ASSERT(r == 0 || r == -EMSGSIZE);
	FUZZ_ASSERT(cap <= 4096 && used < 4096);
	free(buf);
	return 0;
}
