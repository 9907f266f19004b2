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

/* The targets shown: one view each, with its labels (already escaped; NULL or "": none). */
struct series_set {
	const struct metrics_view *const *views;
	const char *const *labels;
	size_t n;
};

/* "name" and, with labels, "{labels" (then more labels may follow). Returns whether '{' is open. */
static bool series_open(FILE *f, const char *name, const char *labels)
{
	fputs(name, f);
	if (!labels || !*labels)
		return false;
	fprintf(f, "{%s", labels);
	return true;
}

/* "name value", "name{labels} value". */
static void series_u64(FILE *f, const char *name, const char *labels, uint64_t value)
{
	if (series_open(f, name, labels))
		fputc('}', f);
	fprintf(f, " %llu\n", (unsigned long long)value);
}

/* "name{" or "name{labels,": the series' own labels follow. */
static void series_more(FILE *f, const char *name, const char *labels)
{
	fputs(series_open(f, name, labels) ? "," : "{", f);
}

/* The sample's value of a view that has one, for sample_families. */
typedef bool (*sample_pick_fn)(const struct metrics_view *v, uint64_t *ret);

static bool pick_usage(const struct metrics_view *v, uint64_t *ret)
{
	*ret = v->sample ? v->sample->usage_bytes : 0;
	return v->sample;
}
static bool pick_working_set(const struct metrics_view *v, uint64_t *ret)
{
	*ret = v->sample ? v->sample->working_set_bytes : 0;
	return v->sample && v->sample->has_stat;
}
static bool pick_limit(const struct metrics_view *v, uint64_t *ret)
{
	*ret = v->sample ? v->sample->limit_bytes : 0;
	return v->sample;
}
static bool pick_host_available(const struct metrics_view *v, uint64_t *ret)
{
	*ret = v->sample ? v->sample->host_available_bytes : 0;
	return v->sample;
}

static const struct {
	const char *name, *help;
	sample_pick_fn pick;
} sample_gauges[] = {
	{ "memhook_target_memory_usage_bytes",
	  "The target's memory usage at the last check (memory.current; v1 memory.usage_in_bytes).",
	  pick_usage },
	{ "memhook_target_memory_working_set_bytes",
	  "The target's working set at the last check: usage minus inactive file pages.", pick_working_set },
	{ "memhook_target_memory_limit_bytes",
	  "The target's local maximum: its limit, an ancestor's, MemTotal or the policy's.", pick_limit },
	{ "memhook_host_memory_available_bytes",
	  "The host's MemAvailable (/proc/meminfo) at the last check that read it.", pick_host_available },
};

/* A gauge family of the views whose sample has it: its header once, when any has it. */
static void sample_gauge(FILE *f, const struct series_set *set, size_t k)
{
	uint64_t value;
	bool any = false;
	for (size_t i = 0; i < set->n; i++)
		if (sample_gauges[k].pick(set->views[i], &value)) {
			if (!any)
				family(f, sample_gauges[k].name, "gauge", sample_gauges[k].help);
			any = true;
			series_u64(f, sample_gauges[k].name, set->labels[i], value);
		}
}

static bool has_events(const struct metrics_view *v)
{
	return v->sample && v->sample->has_events;
}
static bool has_psi(const struct metrics_view *v)
{
	return v->sample && v->sample->has_psi;
}

static bool any_view(const struct series_set *set, bool (*pred)(const struct metrics_view *v))
{
	for (size_t i = 0; i < set->n; i++)
		if (pred(set->views[i]))
			return true;
	return false;
}

static void write_psi(FILE *f, const struct series_set *set, const char *name, const char *help, int which)
{
	family(f, name, "counter", help);
	for (size_t i = 0; i < set->n; i++)
		if (has_psi(set->views[i])) {
			if (series_open(f, name, set->labels[i]))
				fputc('}', f);
			fprintf(f, " %.6f\n",
			        (double)set->views[i]->sample->psi.total_usec[which] / (double)USEC_PER_SEC);
		}
}

static void write_samples(FILE *f, const struct series_set *set)
{
	for (size_t k = 0; k < ARRAY_SIZE(sample_gauges); k++)
		sample_gauge(f, set, k);
	if (any_view(set, has_events)) {
		family(f, "memhook_target_memory_events_total", "counter",
		       "The target's memory events (memory.events; v1 memory.oom_control: oom_kill only).");
		for (size_t i = 0; i < set->n; i++) {
			const struct metrics_view *v = set->views[i];
			if (!has_events(v))
				continue;
			for (int e = 0; e < MEMEV_COUNT; e++)
				if (!v->events_oom_kill_only || e == MEMEV_OOM_KILL) {
					series_more(f, "memhook_target_memory_events_total", set->labels[i]);
					fprintf(f, "event=\"%s\"} %llu\n", memevent_name((enum memevent)e),
					        (unsigned long long)v->sample->events[e]);
				}
		}
	}
	if (any_view(set, has_psi)) {
		write_psi(f, set, "memhook_target_pressure_memory_waiting_seconds_total",
		          "Time some of the target's tasks were stalled on memory (memory.pressure some "
		          "total).",
		          PSI_SOME);
		write_psi(
		        f, set, "memhook_target_pressure_memory_stalled_seconds_total",
		        "Time all of the target's tasks were stalled on memory (memory.pressure full total).",
		        PSI_FULL);
	}
}

/* A family with one unlabelled series per view, value picked by field. */
#define PER_VIEW(f, set, name, type, help, expr)                                  \
	do {                                                                      \
		family(f, name, type, help);                                      \
		for (size_t i_ = 0; i_ < (set)->n; i_++) {                        \
			const struct metrics_view *v = (set)->views[i_];          \
			series_u64(f, name, (set)->labels[i_], (uint64_t)(expr)); \
		}                                                                 \
	} while (0)

static bool has_pressure_watch(const struct metrics_view *v)
{
	return v->pressure_watch;
}
static bool has_kube_events(const struct metrics_view *v)
{
	return v->kube_events;
}

static void write_transitions(FILE *f, const struct series_set *set)
{
	family(f, "memhook_level_transitions_total", "counter",
	       "Level steps: up when a level was entered, down when it was left.");
	for (size_t i = 0; i < set->n; i++) {
		const struct metrics_view *v = set->views[i];
		for (size_t l = 1; l <= v->n_levels && l <= POLICY_MAX_LEVELS; l++)
			for (int d = 0; d < LEVEL_DIRECTIONS; d++) {
				series_more(f, "memhook_level_transitions_total", set->labels[i]);
				fprintf(f, "direction=\"%s\",level=\"",
				        level_direction_name((enum level_direction)d));
				metrics_write_label_value(f, v->level_names[l]);
				fprintf(f, "\"} %llu\n", (unsigned long long)v->counters->transitions[l][d]);
			}
	}
}

static void write_actions(FILE *f, const struct series_set *set)
{
	family(f, "memhook_actions_total", "counter",
	       "Handler actions by outcome: ok (done, or a webhook answered 2xx), failed, dropped.");
	for (size_t i = 0; i < set->n; i++) {
		const struct metrics_view *v = set->views[i];
		/* The webhook queue's own outcomes join dispatch's count of webhooks never queued. */
		const uint64_t webhook[ACTION_RESULTS] = {
			[ACTION_RESULT_OK] = v->webhook_delivered,
			[ACTION_RESULT_FAILED] = v->webhook_failed,
			[ACTION_RESULT_DROPPED] = v->webhook_dropped,
		};
		for (int a = 0; a < ACTION_KINDS; a++)
			for (int r = 0; r < ACTION_RESULTS; r++) {
				series_more(f, "memhook_actions_total", set->labels[i]);
				fprintf(f, "action=\"%s\",result=\"%s\"} %llu\n",
				        action_kind_name((enum action_kind)a),
				        action_result_name((enum action_result)r),
				        (unsigned long long)(v->counters->actions[a][r] +
				                             (a == ACTION_WEBHOOK ? webhook[r] : 0)));
			}
	}
}

static void write_kube_events(FILE *f, const struct series_set *set)
{
	family(f, "memhook_kubernetes_events_total", "counter",
	       "Kubernetes Events by outcome: ok (created, or its series patched), failed, dropped.");
	for (size_t i = 0; i < set->n; i++) {
		const struct metrics_view *v = set->views[i];
		if (!v->kube_events)
			continue;
		const uint64_t kube[ACTION_RESULTS] = {
			[ACTION_RESULT_OK] = v->kube_sent,
			[ACTION_RESULT_FAILED] = v->kube_failed,
			[ACTION_RESULT_DROPPED] = v->kube_dropped,
		};
		for (int r = 0; r < ACTION_RESULTS; r++) {
			series_more(f, "memhook_kubernetes_events_total", set->labels[i]);
			fprintf(f, "result=\"%s\"} %llu\n", action_result_name((enum action_result)r),
			        (unsigned long long)kube[r]);
		}
	}
}

static void write_counters(FILE *f, const struct series_set *set, const struct metrics_process *p)
{
	PER_VIEW(f, set, "memhook_checks_total", "counter",
	         "Checks that sampled the target and decided its level.", v->counters->checks);
	write_transitions(f, set);
	write_actions(f, set);
	PER_VIEW(f, set, "memhook_webhook_queue_length", "gauge",
	         "Webhook deliveries waiting, backing off or in flight.", v->webhook_queue_length);
	PER_VIEW(f, set, "memhook_webhook_dropped_total", "counter",
	         "Webhook deliveries dropped: out of a full queue, too old, or for a receiver gone (410).",
	         v->webhook_dropped);
	single_u64(f, "memhook_log_lines_dropped_total", "counter",
	           "Log lines dropped because stderr's reader did not take them in time.",
	           p->log_lines_dropped);
	if (any_view(set, has_pressure_watch)) {
		family(f, "memhook_pressure_notifications_total", "counter",
		       "Clients of a pressure_watch socket or FIFO made readable by a handler firing.");
		for (size_t i = 0; i < set->n; i++)
			if (set->views[i]->pressure_watch)
				series_u64(f, "memhook_pressure_notifications_total", set->labels[i],
				           set->views[i]->counters->pressure_notifications);
	}
	if (p->events_stream) {
		single_u64(f, "memhook_subscribers", "gauge", "Subscribers of GET /events connected now.",
		           p->subscribers);
		single_u64(f, "memhook_subscribers_cut_total", "counter",
		           "Subscribers of GET /events cut for falling too far behind.", p->subscribers_cut);
	}
	if (any_view(set, has_kube_events))
		write_kube_events(f, set);
}

char *metrics_format_many(const struct metrics_view *const *views, const char *const *labels, size_t n,
                          const struct metrics_process *p, size_t *ret_len)
{
	const struct series_set set = { views, labels, n };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	family(f, "memhook_build_info", "gauge", "memhook's version, as a label; the value is always 1.");
	fputs("memhook_build_info{version=\"", f);
	metrics_write_label_value(f, p->version);
	fputs("\"} 1\n", f);
	if (p->extra)
		p->extra(f, p->extra_userdata);
	PER_VIEW(f, &set, "memhook_level", "gauge",
	         "The current memory level: 0 is normal, 1, 2, ... the policy's levels in order.",
	         v->level > 0 ? v->level : 0);
	PER_VIEW(f, &set, "memhook_target_up", "gauge", "1 while the target is found, else 0.", v->target_up);
	PER_VIEW(f, &set, "memhook_paused", "gauge", "1 while evaluation is paused (SIGUSR2), else 0.",
	         v->paused);
	write_samples(f, &set);
	write_counters(f, &set, p);
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

char *metrics_format(const struct metrics_view *v, size_t *ret_len)
{
	const struct metrics_process p = {
		.version = v->version,
		.log_lines_dropped = v->log_lines_dropped,
		.events_stream = v->events_stream,
		.subscribers = v->subscribers,
		.subscribers_cut = v->subscribers_cut,
	};
	const char *no_labels = NULL;
	return metrics_format_many(&v, &no_labels, 1, &p, ret_len);
}
