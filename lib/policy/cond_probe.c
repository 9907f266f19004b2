/* The custom condition: a command (a probe) that holds when it exits 0 within its timeout. The
 * caller runs every probe of the policy before evaluating and passes the results in. */
#include <cjson/cJSON.h>
#include <stdlib.h>

#include "policy/condition.h"
#include "policy/policy_parse.h"
#include "base/units.h"

/* Appends a probe owning argv (freed here on failure) and points cond at it. */
static int add_probe(struct policy_ctx *c, struct condition *cond, char **argv)
{
	struct policy *p = c->p;
	if (p->n_probes == c->probes_cap) {
		size_t cap = c->probes_cap ? c->probes_cap * 2 : 4;
		struct probe *n = reallocarray(p->probes, cap, sizeof(*n));
		if (!n) {
			strv_free(argv);
			return want_oom(&c->w);
		}
		p->probes = n;
		c->probes_cap = cap;
	}
	cond->probe = p->n_probes;
	p->probes[p->n_probes++] = (struct probe){
		.argv = argv,
		.timeout_usec = PROBE_TIMEOUT_DEFAULT_USEC,
		.path = cond->path,
	};
	return 0;
}

/* {"command": [abs path, args...], "timeout": duration} */
static int custom_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "command", "timeout", NULL };
	int r;

	if (c->p->n_probes >= POLICY_MAX_PROBES)
		return want_fail(
		        &c->w, path,
		        "at most %d custom conditions (probes) per policy: each runs as a process at "
		        "every check",
		        POLICY_MAX_PROBES);

	if ((r = want_object(&c->w, j, path)) < 0 || (r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	const cJSON *cmd;
	WANT_REQUIRED_KEY(cp, cmd, &c->w, j, path, "command");
	char **argv = NULL;
	if ((r = want_argv(&c->w, cmd, cp, &argv)) < 0)
		return r;
	if ((r = add_probe(c, cond, argv)) < 0)
		return r;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "timeout");
	if (t) {
		WANT_PATH_KEY(tp, &c->w, path, "timeout");
		return want_positive_duration(&c->w, t, tp, &c->p->probes[cond->probe].timeout_usec);
	}
	return 0;
}

static bool custom_eval(const struct condition *c, _unused_ const struct sample *s, const bool *probe_results)
{
	return probe_results && probe_results[c->probe];
}

/* "custom[/bin/probe arg] timeout 1s" */
static void custom_describe(const struct policy *p, const struct condition *cond, FILE *out)
{
	char buf[64];

	fputs("custom[", out);
	if (cond->probe >= p->n_probes) {
		fputs("?]", out);
		return;
	}
	char *const *argv = p->probes[cond->probe].argv;
	for (size_t i = 0; argv && argv[i]; i++)
		fprintf(out, "%s%s", i ? " " : "", argv[i]);
	fprintf(out, "] timeout %s",
	        units_format_duration(p->probes[cond->probe].timeout_usec, buf, sizeof(buf)));
}

const struct cond_ops cond_custom = {
	.name = "custom",
	.parse = custom_parse,
	.eval = custom_eval,
	.explain = condition_explain_nothing,
	.describe = custom_describe,
};
