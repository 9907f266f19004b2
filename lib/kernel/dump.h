/* The target's memory breakdown: memory.stat by category, largest first, and the cgroup's
 * processes by RSS (from <proc_root>/PID/status). Satella's dump_memory_on. */
#pragma once

#include <stdio.h>

#include "kernel/cgroup.h"

/* Writes the breakdown to out. Returns 0 or -errno (the cgroup vanished, ...). */
int dump_memory(const struct cg_target *t, const char *proc_root, FILE *out);
