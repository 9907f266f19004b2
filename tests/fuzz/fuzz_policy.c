/* policy_parse: any bytes. A success is a policy the rest of memhook can trust (the contract in
 * lib/policy/policy.h); describing it and checking it against either cgroup version must not crash. */
#include <errno.h>

#include "fuzz.h"
#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	struct policy *p = NULL;

	memset(err, 'x', sizeof(err));
	int r = policy_parse((const char *)data, size, &p, err, sizeof(err));
	FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL || r == -ENOMEM);
		FUZZ_ASSERT(p == NULL);
		FUZZ_ASSERT(err[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(r == 0 && p);
	FUZZ_ASSERT(p->n_levels >= 1 && p->n_levels <= POLICY_MAX_LEVELS && p->levels);
	FUZZ_ASSERT(p->check_interval_usec >= 10000);
	for (size_t i = 0; i < p->n_levels; i++) {
		const struct level *l = &p->levels[i];
		FUZZ_ASSERT(l->name && l->name[0] != '\0');
		FUZZ_ASSERT(l->for_usec <= HYSTERESIS_MAX_USEC && l->clear_for_usec <= HYSTERESIS_MAX_USEC);
		FUZZ_ASSERT(!l->has_clear_when ||
		            (l->clear_when.path && strstr(l->clear_when.path, "clear_when")));
	}
	for (size_t i = 0; i < p->n_handlers; i++) {
		const struct handler *h = &p->handlers[i];
		FUZZ_ASSERT(h->path);
		FUZZ_ASSERT(h->level >= -1 && h->level <= (int)p->n_levels);
		if (h->action == ACTION_WEBHOOK)
			FUZZ_ASSERT(h->webhook.url && h->webhook.retries <= 10);
		if (h->action == ACTION_EXEC)
			FUZZ_ASSERT(h->exec.argv && h->exec.argv[0] && h->exec.argv[0][0] == '/');
		if (h->action == ACTION_RECLAIM)
			FUZZ_ASSERT(h->reclaim.bytes > 0 ||
			            (h->reclaim.percent > 0 && h->reclaim.percent <= 100));
	}
	for (size_t i = 0; i < p->n_probes; i++)
		FUZZ_ASSERT(p->probes[i].argv && p->probes[i].argv[0] && p->probes[i].argv[0][0] == '/');

	FILE *out = fopen("/dev/null", "w");
	if (out) {
		policy_describe(p, out);
		fclose(out);
	}
	for (int version = 1; version <= 2; version++) {
		int c = policy_check_target(p, version, err, sizeof(err));
		FUZZ_ASSERT(c == 0 || c == -EINVAL);
		if (version == 1 && c == 0)
			FUZZ_ASSERT(!p->needs_v2 && !p->needs_reclaim);
		if (version == 2)
			FUZZ_ASSERT(c == 0);
	}
	policy_free(p);
	return 0;
}
