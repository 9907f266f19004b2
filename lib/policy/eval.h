/* Pure evaluation: conditions against a sample, the current level, and the explanation of both
 * (for `memhook run --once`). Custom probes are run by the caller beforehand; their results come
 * in as probe_results[policy->n_probes] (true: the probe exited 0 within its timeout). */
#pragma once

#include <stdbool.h>

#include "policy/policy.h"
#include "policy/sample.h"

struct cJSON;

#define EVAL_NEEDS_PSI    1u /* a pressure condition */
#define EVAL_NEEDS_EVENTS 2u /* an events condition */
#define EVAL_NEEDS_HOST   4u /* a global_* condition: host memory at every check */

/* What the policy's conditions read, so a check reads nothing more. */
unsigned eval_needs(const struct policy *p);

bool eval_condition(const struct condition *c, const struct sample *s, const bool *probe_results);

/* Whether level (1..n_levels)'s when holds. */
bool eval_when(const struct policy *p, int level, const struct sample *s, const bool *probe_results);

/* Whether level (1..n_levels)'s clear condition holds: its clear_when, or else not its when. */
bool eval_clear(const struct policy *p, int level, const struct sample *s, const bool *probe_results);

/* The highest level (1..n_levels) whose condition holds, or 0: Satella's level, and check_step's
 * when no level has for, clear_for or clear_when (lib/decide/hysteresis.h). */
int eval_level(const struct policy *p, const struct sample *s, const bool *probe_results);

/* An array with one object per condition node (when, then clear_when, per level), in document order:
 * {"path", "condition", "value", "threshold", "holds"}; NULL on allocation failure. */
struct cJSON *eval_explain(const struct policy *p, const struct sample *s, const bool *probe_results);
