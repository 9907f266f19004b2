/* The table of the actions' run rows, by kind (action_run.h). */
#include "actions/action_run.h"

const struct action_run_ops *const action_runs[ACTION_KINDS] = {
	[ACTION_WEBHOOK] = &action_run_webhook,         [ACTION_SIGNAL] = &action_run_signal,
	[ACTION_RECLAIM] = &action_run_reclaim,         [ACTION_EXEC] = &action_run_exec,
	[ACTION_MEMORY_HIGH] = &action_run_memory_high,
};

const struct action_run_ops *action_run(enum action_kind k)
{
	return (unsigned)k < ARRAY_SIZE(action_runs) ? action_runs[k] : NULL;
}

const char *action_run_target_path(const struct dispatch_event *e)
{
	const struct target *t = e->target;
	return t && t->present ? t->cg.path : "(no target now)";
}
