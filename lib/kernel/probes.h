/* The custom probes of one check (custom conditions): every command started at once, their
 * results collected, one callback when the last is done. */
#pragma once

#include <stdbool.h>

#include "policy/policy.h"

struct spawner;
struct probes;

/* Called once per probes_start, when every probe has finished: results[i] is probe i's (true:
 * exited 0 within its timeout). */
typedef void (*probes_done_fn)(const bool *results, void *userdata);

/* The probes of p (which must outlive them), run through sp. Returns 0 or -ENOMEM. */
int probes_new(const struct policy *p, struct spawner *sp, probes_done_fn done, void *userdata,
               struct probes **ret);
/* Accepts NULL. Free the spawner first when probes may still be running (it drops their callbacks). */
void probes_free(struct probes *pr);

/* Starts every probe (one that cannot start is false, logged); done runs when the last finishes,
 * at once when there is none. The caller must not touch pr after done freed it. */
void probes_start(struct probes *pr);

/* The results of the last probes_start so far (false for a probe not finished). */
const bool *probes_results(const struct probes *pr);

/* Whether a probes_start has not finished yet. */
bool probes_running(const struct probes *pr);

/* Children of sp never get a variable that p names as a webhook secret (secret_env). On ENOMEM
 * they get nothing inherited from memhook's environment at all (spawner_set_secret_names). */
void spawner_deny_secrets_of(struct spawner *sp, const struct policy *p);
