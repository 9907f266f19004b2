/* The table of the actions' run rows, by kind (action_run.h). */
#include "actions/action_run.h"

#define ACTION_RUN_ROW(NAME, name) [ACTION_##NAME] = &action_run_##name,
const struct action_run_ops *const action_runs[ACTION_KINDS] = { ACTION_KIND_LIST(ACTION_RUN_ROW) };
#undef ACTION_RUN_ROW

const struct action_run_ops *action_run(enum action_kind k)
{
	return (unsigned)k < ARRAY_SIZE(action_runs) ? action_runs[k] : NULL;
}

const char *action_run_target_path(const struct dispatch_event *e)
{
	const struct target *t = e->target;
	return t && t->present ? t->cg.path : "(no target now)";
}
