/* The signal action's run: sent when its turn in the ordered stream comes, holding nothing. */
#include "actions/action_run.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "output/metrics.h"

static int signal_prepare(struct dispatch_job *j, const struct handler *h,
                          const struct dispatch_event *e _unused_)
{
	j->signal = h->signal;
	return 0;
}

static enum action_start signal_start(struct dispatch *d, struct dispatch_job *j)
{
	const char *name = sigabbrev_np(j->signal.signo) ?: "?";
	const struct target *t = j->target;
	int r = t && t->present ? target_signal(t, &j->signal) : -ESRCH;
	if (r < 0) {
		char what[64];
		snprintf(what, sizeof(what), "signal SIG%s", name);
		dispatch_count_failure(d, j->kind, j->tag, what, r);
		return ACTION_START_DONE;
	}
	metrics_count_action(d->metrics, j->kind, ACTION_RESULT_OK);
	log_info("%s: sent SIG%s to %d process%s", j->tag, name, r, r == 1 ? "" : "es");
	return ACTION_START_DONE;
}

/* "signal SIGTERM to the main process 42" */
static const char *signal_would(const struct handler *h, const struct dispatch_event *e, char *buf,
                                size_t size)
{
	const struct target *t = e->target;
	const char *cg = action_run_target_path(e);
	const char *name = sigabbrev_np(h->signal.signo) ?: "?";
	if (h->signal.whole_cgroup)
		snprintf(buf, size, "signal SIG%s to every process of %s", name, cg);
	else if (t && t->present && t->pid > 0)
		snprintf(buf, size, "signal SIG%s to the main process %d", name, (int)t->pid);
	else if (t && t->spec.find_main_process)
		snprintf(buf, size,
		         "signal SIG%s to the main process (its pid namespace's init, else the "
		         "oldest) of %s",
		         name, cg);
	else
		snprintf(buf, size, "signal SIG%s to the main process (lowest pid) of %s", name, cg);
	return buf;
}

const struct action_run_ops action_run_signal = {
	.name = "signal",
	.prepare = signal_prepare,
	.start = signal_start,
	.would = signal_would,
};
