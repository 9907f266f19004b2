/* `memhook run --once`: one check of the target, without acting, as a JSON document. */
#pragma once

#include <stddef.h>

#include "policy/policy.h"
#include "kernel/target.h"

struct cJSON;

/* Reads the target once (every file, meminfo included), runs p's probes and evaluates p:
 * {target, host, sample, level, level_name, conditions} into *ret (the caller prints and frees it).
 * Returns 0, or -errno with a message in err (the target missing or unreadable, meminfo). */
int once_evaluate(const struct target_spec *spec, const struct policy *p, struct cJSON **ret, char *err,
                  size_t err_size);
