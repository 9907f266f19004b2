/* The subcommands but the daemon: check, dump, status, run --once, record, simulate. Each returns
 * an exit code (options.h). */
#pragma once

#include <stdbool.h>

#include "options.h"
#include "policy/policy.h"

/* Loads the policy at path (NULL: the embedded default), adding webhook_url's handler when given.
 * Returns 0, or EXIT_USAGE after printing why. */
int cmd_load_policy(const char *path, const char *webhook_url, struct policy **ret);

int cmd_check(const struct options *o, const struct target_spec *spec, bool target_named);
int cmd_dump(const struct target_spec *spec);
int cmd_status(const struct options *o);
/* run --once: prints the evaluation as JSON. Takes p. */
int cmd_once(const struct target_spec *spec, struct policy *p);
/* record: the target's samples as a trace. */
int cmd_record(const struct options *o, const struct target_spec *spec);
/* simulate: replays a trace through the policy. */
int cmd_simulate(const struct options *o);
