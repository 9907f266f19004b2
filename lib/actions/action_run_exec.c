/* The exec action's run: a child (lib/base/spawn.h) with the event in its environment. In the
 * ordered stream it holds the next until it exits (at most its timeout plus
 * EXEC_HOLD_GRACE_USEC); with "detach" it starts at the event, beside the stream. */
#include "actions/action_run.h"

#include <stdio.h>

#include "base/log.h"
#include "base/spawn.h"
#include "base/units.h"
#include "output/metrics.h"

static int exec_prepare(struct dispatch_job *j, const struct handler *h, const struct dispatch_event *e)
{
	j->argv = strv_dup(h->exec.argv);
	j->env = payload_build_env(e->ctx); /* the event as it is now, not at the job's turn */
	j->timeout_usec = h->exec.timeout_usec;
	j->beside = h->exec.detach;
	return j->argv && j->env ? 0 : -ENOMEM;
}

static void on_exec_done(const struct spawn_result *r, void *userdata)
{
	struct dispatch_job *j = userdata;
	struct dispatch *d = j->d;
	bool ok = !r->timed_out && r->exit_code == 0;
	metrics_count_action(d->metrics, j->kind, ok ? ACTION_RESULT_OK : ACTION_RESULT_FAILED);
	if (!ok) {
		d->failures++;
		if (r->timed_out)
			log_msg_about(LOG_LEVEL_WARN, j->tag,
			              "%s: exec killed at its timeout (failed actions: %llu)", j->tag,
			              (unsigned long long)d->failures);
		else if (r->exit_code < 0)
			log_msg_about(LOG_LEVEL_WARN, j->tag,
			              "%s: exec killed by signal %d (failed actions: %llu)", j->tag,
			              r->term_signal, (unsigned long long)d->failures);
		else
			log_msg_about(LOG_LEVEL_WARN, j->tag, "%s: exec exited %d (failed actions: %llu)",
			              j->tag, r->exit_code, (unsigned long long)d->failures);
	} else
		log_info("%s: exec exited 0", j->tag);
	dispatch_job_finished(j);
}

/* Starts j's command: it holds the stream, or runs beside it when detached. */
static enum action_start exec_start(struct dispatch *d, struct dispatch_job *j)
{
	int r = spawn_start(d->spawner, j->argv, j->env, j->timeout_usec, j->tag, on_exec_done, j);
	strv_free(j->env); /* the child has its copy */
	j->env = NULL;
	if (r < 0) {
		char what[300];
		snprintf(what, sizeof(what), "exec %s", j->argv[0]);
		dispatch_count_failure(d, j->kind, j->tag, what, r);
		return ACTION_START_DONE;
	}
	if (j->beside)
		return ACTION_START_BESIDE;
	j->hold_usec = j->timeout_usec + EXEC_HOLD_GRACE_USEC;
	return ACTION_START_HOLD;
}

/* "run /bin/sh -c 'dump' (timeout 10s, detached)": the command cut at 1 KiB. */
static const char *exec_would(const struct handler *h, const struct dispatch_event *e _unused_, char *buf,
                              size_t size)
{
	char cmd[1024] = "", timeout[64];
	size_t n = 0;
	for (size_t i = 0; h->exec.argv[i] && n < sizeof(cmd); i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s%s", i ? " " : "", h->exec.argv[i]);
	snprintf(buf, size, "run %s (timeout %s%s)", cmd,
	         units_format_duration(h->exec.timeout_usec, timeout, sizeof(timeout)),
	         h->exec.detach ? ", detached" : "");
	return buf;
}

const struct action_run_ops action_run_exec = {
	.name = "exec",
	.prepare = exec_prepare,
	.start = exec_start,
	.would = exec_would,
};
