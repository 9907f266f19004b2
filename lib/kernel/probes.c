/* Custom probes: one results array and one callback context per probe, allocated per policy (no
 * allocation per check, nothing to leak when a stop kills running probes). */
#include "kernel/probes.h"

#include <string.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/spawn.h"
#include "base/util.h"

struct probe_ctx {
	struct probes *pr;
	size_t index;
};

struct probes {
	const struct policy *policy;
	struct spawner *spawner;
	probes_done_fn done;
	void *userdata;
	bool *results;
	struct probe_ctx *ctxs;
	unsigned pending;
	bool running;
};

int probes_new(const struct policy *p, struct spawner *sp, probes_done_fn done, void *userdata,
               struct probes **ret)
{
	struct probes *pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	*pr = (struct probes){ .policy = p, .spawner = sp, .done = done, .userdata = userdata };
	pr->results = calloc(p->n_probes + 1, sizeof(*pr->results));
	pr->ctxs = calloc(p->n_probes + 1, sizeof(*pr->ctxs));
	if (!pr->results || !pr->ctxs) {
		probes_free(pr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n_probes; i++)
		pr->ctxs[i] = (struct probe_ctx){ pr, i };
	*ret = pr;
	return 0;
}

void probes_free(struct probes *pr)
{
	if (!pr)
		return;
	free(pr->results);
	free(pr->ctxs);
	free(pr);
}

/* Drops one pending count; the last one ends the run (done may free pr: nothing after it). */
static void probes_release(struct probes *pr)
{
	if (--pr->pending > 0)
		return;
	pr->running = false;
	pr->done(pr->results, pr->userdata);
}

static void on_probe_done(const struct spawn_result *r, void *userdata)
{
	struct probe_ctx *c = userdata;
	struct probes *pr = c->pr;
	pr->results[c->index] = r->exit_code == 0 && !r->timed_out;
	if (r->timed_out)
		log_debug("probe %s timed out (false)", pr->policy->probes[c->index].path);
	probes_release(pr);
}

void probes_start(struct probes *pr)
{
	pr->running = true;
	pr->pending = 1; /* held until every probe is started */
	for (size_t i = 0; i < pr->policy->n_probes; i++) {
		const struct probe *p = &pr->policy->probes[i];
		pr->results[i] = false;
		int r = spawn_start(pr->spawner, p->argv, NULL, p->timeout_usec, p->path, on_probe_done,
		                    &pr->ctxs[i]);
		if (r < 0) {
			log_warn("probe %s: cannot run %s: %s (false)", p->path, p->argv[0], strerror(-r));
			continue;
		}
		pr->pending++;
	}
	probes_release(pr);
}

bool probes_running(const struct probes *pr)
{
	return pr->running;
}

const bool *probes_results(const struct probes *pr)
{
	return pr->results;
}

void spawner_deny_secrets_of(struct spawner *sp, const struct policy *p)
{
	/* On the stack: a secret must never slip through an allocation failure. Only the policy's own
	 * handlers (at most POLICY_MAX_HANDLERS) can name a secret; --webhook adds none. */
	char *names[POLICY_MAX_HANDLERS + 1];
	size_t n = 0;
	for (size_t i = 0; i < p->n_handlers && n < POLICY_MAX_HANDLERS; i++)
		if (p->handlers[i].action == ACTION_WEBHOOK && p->handlers[i].webhook.secret_env)
			names[n++] = p->handlers[i].webhook.secret_env;
	names[n] = NULL;
	(void)spawner_set_secret_names(sp, names); /* on ENOMEM children inherit nothing */
}
