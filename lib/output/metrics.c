/* Prometheus text exposition format 0.0.4 of a struct metrics_view; the counters' increments. */
#include "output/metrics.h"

#include <stdlib.h>

#include "base/util.h"

void metrics_count_step(struct metrics *m, enum event_kind kind, int level, int previous_level)
{
	if (!m)
		return;
	if (kind == EVENT_ENTERED && level > 0 && level <= POLICY_MAX_LEVELS)
		m->transitions[level][LEVEL_UP]++;
	else if (kind == EVENT_LEFT && previous_level > 0 && previous_level <= POLICY_MAX_LEVELS)
		m->transitions[previous_level][LEVEL_DOWN]++;
}

void metrics_count_action(struct metrics *m, enum action_kind kind, enum action_result result)
{
	if (m && kind < ACTION_KINDS && result < ACTION_RESULTS)
		m->actions[kind][result]++;
}

void metrics_forget_level(struct metrics *m, int level)
{
	if (m && level > 0 && level <= POLICY_MAX_LEVELS)
		for (int d = 0; d < LEVEL_DIRECTIONS; d++)
			m->transitions[level][d] = 0;
}

bool metrics_healthy(uint64_t now_usec, uint64_t last_check_usec, uint64_t interval_usec, bool paused)
{
	if (paused)
		return true;
	uint64_t age = now_usec > last_check_usec ? now_usec - last_check_usec : 0;
	return age <= HEALTH_CHECK_INTERVALS * interval_usec;
}

void metrics_write_label_value(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* The HELP and TYPE lines of one metric family. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A family with one series without labels. */
static void single_u64(FILE *f, const char *name, const char *type, const char *help, uint64_t value)
{
	family(f, name, type, help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)value);
}

static void write_sample(FILE *f, const struct metrics_view *v, const struct sample *s)
{
	single_u64(f, "memhook_target_memory_usage_bytes", "gauge",
	           "The target's memory usage at the last check (memory.current; v1 memory.usage_in_bytes).",
	           s->usage_bytes);
	if (s->has_stat)
		single_u64(f, "memhook_target_memory_working_set_bytes", "gauge",
		           "The target's working set at the last check: usage minus inactive file pages.",
		           s->working_set_bytes);
	single_u64(f, "memhook_target_memory_limit_bytes", "gauge",
	           "The target's local maximum: its limit, an ancestor's, MemTotal or the policy's.",
	           s->limit_bytes);
	single_u64(f, "memhook_host_memory_available_bytes", "gauge",
	           "The host's MemAvailable (/proc/meminfo) at the last check that read it.",
	           s->host_available_bytes);
	if (s->has_events) {
		family(f, "memhook_target_memory_events_total", "counter",
		       "The target's memory events (memory.events; v1 memory.oom_control: oom_kill only).");
		for (int e = 0; e < MEMEV_COUNT; e++)
			if (!v->events_oom_kill_only || e == MEMEV_OOM_KILL)
				fprintf(f, "memhook_target_memory_events_total{event=\"%s\"} %llu\n",
				        memevent_name((enum memevent)e), (unsigned long long)s->events[e]);
	}
	if (s->has_psi) {
		family(f, "memhook_target_pressure_memory_waiting_seconds_total", "counter",
		       "Time some of the target's tasks were stalled on memory (memory.pressure some "
		       "total).");
		fprintf(f, "memhook_target_pressure_memory_waiting_seconds_total %.6f\n",
		        (double)s->psi.total_usec[PSI_SOME] / (double)USEC_PER_SEC);
		family(f, "memhook_target_pressure_memory_stalled_seconds_total", "counter",
		       "Time all of the target's tasks were stalled on memory (memory.pressure full total).");
		fprintf(f, "memhook_target_pressure_memory_stalled_seconds_total %.6f\n",
		        (double)s->psi.total_usec[PSI_FULL] / (double)USEC_PER_SEC);
	}
}

static void write_counters(FILE *f, const struct metrics_view *v)
{
	const struct metrics *c = v->counters;
	single_u64(f, "memhook_checks_total", "counter",
	           "Checks that sampled the target and decided its level.", c->checks);

	family(f, "memhook_level_transitions_total", "counter",
	       "Level steps: up when a level was entered, down when it was left.");
	for (size_t l = 1; l <= v->n_levels && l <= POLICY_MAX_LEVELS; l++)
		for (int d = 0; d < LEVEL_DIRECTIONS; d++) {
			fprintf(f, "memhook_level_transitions_total{direction=\"%s\",level=\"",
			        level_direction_name((enum level_direction)d));
			metrics_write_label_value(f, v->level_names[l]);
			fprintf(f, "\"} %llu\n", (unsigned long long)c->transitions[l][d]);
		}

	/* The webhook queue's own outcomes join dispatch's count of webhooks never queued. */
	const uint64_t webhook[ACTION_RESULTS] = {
		[ACTION_RESULT_OK] = v->webhook_delivered,
		[ACTION_RESULT_FAILED] = v->webhook_failed,
		[ACTION_RESULT_DROPPED] = v->webhook_dropped,
	};
	family(f, "memhook_actions_total", "counter",
	       "Handler actions by outcome: ok (done, or a webhook answered 2xx), failed, dropped.");
	for (int a = 0; a < ACTION_KINDS; a++)
		for (int r = 0; r < ACTION_RESULTS; r++)
			fprintf(f, "memhook_actions_total{action=\"%s\",result=\"%s\"} %llu\n",
			        action_kind_name((enum action_kind)a),
			        action_result_name((enum action_result)r),
			        (unsigned long long)(c->actions[a][r] +
			                             (a == ACTION_WEBHOOK ? webhook[r] : 0)));

	single_u64(f, "memhook_webhook_queue_length", "gauge",
	           "Webhook deliveries waiting, backing off or in flight.", v->webhook_queue_length);
	single_u64(f, "memhook_webhook_dropped_total", "counter",
	           "Webhook deliveries dropped: out of a full queue, too old, or for a receiver gone (410).",
	           v->webhook_dropped);
	single_u64(f, "memhook_log_lines_dropped_total", "counter",
	           "Log lines dropped because stderr's reader did not take them in time.",
	           v->log_lines_dropped);
	if (v->pressure_watch)
		single_u64(f, "memhook_pressure_notifications_total", "counter",
		           "Clients of a pressure_watch socket or FIFO made readable by a handler firing.",
		           c->pressure_notifications);
	if (v->events_stream) {
		single_u64(f, "memhook_subscribers", "gauge", "Subscribers of GET /events connected now.",
		           v->subscribers);
		single_u64(f, "memhook_subscribers_cut_total", "counter",
		           "Subscribers of GET /events cut for falling too far behind.", v->subscribers_cut);
	}
	if (v->kube_events) {
		family(f, "memhook_kubernetes_events_total", "counter",
		       "Kubernetes Events by outcome: ok (created, or its series patched), failed, dropped.");
		const uint64_t kube[ACTION_RESULTS] = {
			[ACTION_RESULT_OK] = v->kube_sent,
			[ACTION_RESULT_FAILED] = v->kube_failed,
			[ACTION_RESULT_DROPPED] = v->kube_dropped,
		};
		for (int r = 0; r < ACTION_RESULTS; r++)
			fprintf(f, "memhook_kubernetes_events_total{result=\"%s\"} %llu\n",
			        action_result_name((enum action_result)r), (unsigned long long)kube[r]);
	}
}

char *metrics_format(const struct metrics_view *v, size_t *ret_len)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	family(f, "memhook_build_info", "gauge", "memhook's version, as a label; the value is always 1.");
	fputs("memhook_build_info{version=\"", f);
	metrics_write_label_value(f, v->version);
	fputs("\"} 1\n", f);
	single_u64(f, "memhook_level", "gauge",
	           "The current memory level: 0 is normal, 1, 2, ... the policy's levels in order.",
	           (uint64_t)(v->level > 0 ? v->level : 0));
	single_u64(f, "memhook_target_up", "gauge", "1 while the target is found, else 0.", v->target_up);
	single_u64(f, "memhook_paused", "gauge", "1 while evaluation is paused (SIGUSR2), else 0.",
	           v->paused);
	if (v->sample)
		write_sample(f, v, v->sample);
	write_counters(f, v);
	if (ferror(f)) {
		fclose(f);
		free(text);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*ret_len = len;
	return text;
}
