/* simulate: trace samples in, check_step's events out, with the trace's clock. */
#include "daemon/simulate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "decide/check.h"
#include "policy/eval.h"
#include "output/payload.h"
#include "decide/transitions.h"
#include "base/util.h"

/* The replay's clock is the trace's elapsed time plus this: a time of 0 means "never" to the
 * handlers' `every` (transitions_handler_due), and the first sample is at elapsed 0. */
#define SIMULATE_CLOCK_BASE_USEC USEC_PER_SEC

/* What the replay counts for the summary. */
struct tally {
	uint64_t samples;
	uint64_t first_real_usec, last_real_usec;
	uint64_t first_usec, last_usec; /* the replay clock */
	uint64_t kind[EVENT_KINDS];
	uint64_t per_level[POLICY_MAX_LEVELS + 1][EVENT_KINDS]; /* by the level a handler would match */
	uint64_t level_usec[POLICY_MAX_LEVELS + 1];
};

int simulate_check_policy(const struct policy *p, char *err, size_t err_size)
{
	if (p->n_probes == 0)
		return 0;
	snprintf(err, err_size,
	         "%s: a custom condition runs a command at every check, which a trace cannot answer; "
	         "simulate a copy of the policy without it",
	         p->probes[0].path);
	return -EOPNOTSUPP;
}

static void tally_event(struct tally *t, const struct event *ev)
{
	int level = event_handler_level(ev);
	t->kind[ev->kind]++;
	if (level >= 0 && level <= POLICY_MAX_LEVELS)
		t->per_level[level][ev->kind]++;
}

/* The event's line: what happened, when, the handlers that would take it (their `every` on the
 * trace's clock) and the sample. NULL on allocation failure. */
static cJSON *event_json(const struct policy *p, const struct event *ev, const struct sample *s,
                         uint64_t *last_fired, uint64_t now_usec)
{
	_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
	char ts[40];
	if (!o || format_rfc3339_usec(s->real_usec, ts, sizeof(ts)) < 0)
		return NULL;
	if (!cJSON_AddStringToObject(o, "event", event_kind_name(ev->kind)) ||
	    !cJSON_AddNumberToObject(o, "level", ev->level) ||
	    !cJSON_AddStringToObject(o, "level_name", policy_level_name(p, ev->level)) ||
	    !cJSON_AddNumberToObject(o, "previous_level", ev->previous_level) ||
	    !cJSON_AddStringToObject(o, "previous_level_name", policy_level_name(p, ev->previous_level)) ||
	    !cJSON_AddStringToObject(o, "time", ts) ||
	    !cJSON_AddNumberToObject(o, "elapsed_sec", (double)(now_usec - SIMULATE_CLOCK_BASE_USEC) / 1e6))
		return NULL;
	cJSON *handlers = cJSON_AddArrayToObject(o, "handlers");
	if (!handlers)
		return NULL;
	for (size_t i = 0; i < p->n_handlers; i++) {
		if (!transitions_handler_due(&p->handlers[i], ev, last_fired[i], now_usec))
			continue;
		transitions_record_fired(&last_fired[i], now_usec);
		cJSON *h = cJSON_CreateString(p->handlers[i].path);
		if (!h || !cJSON_AddItemToArray(handlers, h))
			return NULL;
	}
	cJSON *js = event_has_sample(ev) ? payload_sample_json(s) : cJSON_CreateNull();
	if (!js)
		return NULL;
	cJSON_AddItemToObject(o, "sample", js);
	return TAKE_PTR(o);
}

/* Prints o as one line and frees it. Returns 0, -ENOMEM or -EIO. */
static int print_line(FILE *out, cJSON *o)
{
	if (!o)
		return -ENOMEM;
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return -ENOMEM;
	int r = fprintf(out, "%s\n", text) < 0 ? -EIO : 0;
	free(text);
	return r;
}

static cJSON *summary_json(const struct policy *p, const struct tally *t, int level)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	cJSON *sum = cJSON_AddObjectToObject(root, "summary");
	char from[40] = "", to[40] = "";
	if (!sum)
		return NULL;
	format_rfc3339_usec(t->first_real_usec, from, sizeof(from));
	format_rfc3339_usec(t->last_real_usec, to, sizeof(to));
	cJSON_AddNumberToObject(sum, "samples", (double)t->samples);
	cJSON_AddNumberToObject(sum, "span_sec", (double)(t->last_usec - t->first_usec) / 1e6);
	cJSON_AddStringToObject(sum, "from", t->samples ? from : "");
	cJSON_AddStringToObject(sum, "to", t->samples ? to : "");
	cJSON *events = cJSON_AddObjectToObject(sum, "events");
	/* the kinds a replay can give (the target is always there), steps first */
	for (int c = EVENT_CLASS_STEP; c < EVENT_CLASS_TARGET; c++)
		for (int k = 0; k < EVENT_KINDS; k++)
			if ((int)event_kinds[k].about == c)
				cJSON_AddNumberToObject(events, event_kinds[k].name, (double)t->kind[k]);
	cJSON *levels = cJSON_AddArrayToObject(sum, "levels");
	for (int l = 0; l <= (int)p->n_levels; l++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToArray(levels, o);
		cJSON_AddNumberToObject(o, "level", l);
		cJSON_AddStringToObject(o, "name", policy_level_name(p, l));
		cJSON_AddNumberToObject(o, "seconds", (double)t->level_usec[l] / 1e6);
		/* the steps and stays at l */
		for (int c = EVENT_CLASS_STEP; c <= EVENT_CLASS_STAY; c++)
			for (int k = 0; k < EVENT_KINDS; k++)
				if ((int)event_kinds[k].about == c &&
				    event_kind_at_level((enum event_kind)k, l))
					cJSON_AddNumberToObject(o, event_kinds[k].name,
					                        (double)t->per_level[l][k]);
	}
	cJSON_AddNumberToObject(sum, "final_level", level);
	cJSON_AddStringToObject(sum, "final_level_name", policy_level_name(p, level));
	return TAKE_PTR(root);
}

/* One check of the replay: the single place check_step is called. */
static void replay_step(const struct policy *p, struct check_state *st, const struct sample *s,
                        struct check_result *ret)
{
	check_step(p, st, CHECK_TARGET_PRESENT, s, NULL, ret);
}

int simulate_run(const struct policy *p, struct trace_reader *tr, bool all, FILE *out, char *err,
                 size_t err_size)
{
	return simulate_replay(p, tr, all, out, NULL, NULL, err, err_size);
}

int simulate_replay(const struct policy *p, struct trace_reader *tr, bool all, FILE *out,
                    struct plot_samples *samples, struct plot_run *run, char *err, size_t err_size)
{
	const unsigned needs = eval_needs(p);
	_cleanup_free_ struct tally *t = calloc(1, sizeof(*t));
	_cleanup_free_ uint64_t *last_fired = calloc(p->n_handlers + 1, sizeof(*last_fired));
	_cleanup_free_ struct check_state *st = malloc(sizeof(*st)); /* timers, trend ring, limit */
	struct check_result res;
	struct sample s;
	int level = 0, r;

	if (!t || !last_fired || !st)
		return -ENOMEM;
	check_state_init(st);
	while ((r = trace_reader_next(tr, &s, err, err_size)) > 0) {
		if (((needs & EVAL_NEEDS_PSI) && !s.has_psi) ||
		    ((needs & EVAL_NEEDS_EVENTS) && !s.has_events)) {
			snprintf(err, err_size,
			         "%s:%zu: the policy's %s conditions need %s, which this sample lacks "
			         "(cgroup v2 "
			         "only)",
			         tr->path, tr->line,
			         needs & EVAL_NEEDS_PSI && !s.has_psi ? "pressure" : "events",
			         needs & EVAL_NEEDS_PSI && !s.has_psi ? "PSI" : "memory.events");
			return -EBADMSG;
		}
		s.mono_usec += SIMULATE_CLOCK_BASE_USEC;
		if (p->maximum_available_bytes) /* as sampler_read: the policy's maximum wins */
			s.limit_bytes = p->maximum_available_bytes;
		if (t->samples == 0) {
			t->first_usec = s.mono_usec;
			t->first_real_usec = s.real_usec;
		} else {
			t->level_usec[level] += s.mono_usec - t->last_usec;
		}
		t->samples++;
		t->last_usec = s.mono_usec;
		t->last_real_usec = s.real_usec;

		replay_step(p, st, &s, &res);
		uint64_t elapsed_usec = s.mono_usec - t->first_usec;
		if ((samples && plot_samples_add(samples, &s, elapsed_usec) < 0) ||
		    (run && plot_run_add(run, &res.sample, elapsed_usec, res.level,
		                         hysteresis_held(p, &st->hys, res.level)) < 0))
			return -ENOMEM;
		for (size_t i = 0; i < res.n_events; i++) {
			const struct event *ev = &res.events[i];
			bool printed = all || event_kinds[ev->kind].about != EVENT_CLASS_STAY;
			tally_event(t, ev);
			if (run && plot_run_event(run, p, ev, &res.sample, printed) < 0)
				return -ENOMEM;
			if (!printed || !out)
				continue;
			int pr = print_line(out, event_json(p, ev, &res.sample, last_fired, s.mono_usec));
			if (pr < 0)
				return pr;
		}
		level = res.level;
	}
	if (r < 0)
		return r == -EIO ? -EBADMSG : r; /* a trace that cannot be read is a bad input */
	if (!out)
		return 0;
	r = print_line(out, summary_json(p, t, level));
	if (r == 0 && fflush(out) != 0)
		r = -EIO;
	return r;
}

/* The last part of path, for a name in the picture. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash && slash[1] ? slash + 1 : path;
}

/* Writes text to path whole. Returns 0 or -errno with "<path>: <reason>" in err. */
static int write_file(const char *path, const char *text, char *err, size_t err_size)
{
	FILE *f = fopen(path, "we");
	int r = 0;
	if (!f || fputs(text, f) < 0)
		r = -errno;
	if (f && fclose(f) != 0 && r == 0)
		r = -errno;
	if (r < 0)
		snprintf(err, err_size, "%s: %s", path, strerror(-r));
	return r;
}

/* Replays trace_path through p into samples (when not NULL) and run, printing to out (when not
 * NULL). */
static int replay_file(const struct policy *p, const char *trace_path, bool all, FILE *out,
                       struct plot_samples *samples, struct plot_run *run, char *err, size_t err_size)
{
	struct trace_reader tr;
	int r = trace_reader_open(trace_path, &tr, err, err_size);
	if (r < 0)
		return r;
	r = simulate_replay(p, &tr, all, out, samples, run, err, err_size);
	trace_reader_close(&tr);
	return r;
}

int simulate_draw(const struct policy *p, const char *trace_path, bool all, FILE *out,
                  const struct simulate_picture *pic, char *err, size_t err_size)
{
	struct plot_samples samples = { 0 };
	struct plot_run runs[2];
	size_t n_runs = pic->compare ? 2 : 1;
	int r;

	snprintf(samples.name, sizeof(samples.name), "%s", base_name(trace_path));
	plot_run_init(&runs[0], p, pic->name ? base_name(pic->name) : "default policy");
	if (pic->compare)
		plot_run_init(&runs[1], pic->compare,
		              pic->compare_name ? base_name(pic->compare_name) : "default policy");
	r = replay_file(p, trace_path, all, out, &samples, &runs[0], err, err_size);
	if (r == 0 && pic->compare)
		r = replay_file(pic->compare, trace_path, all, NULL, NULL, &runs[1], err, err_size);
	const char *paths[] = { pic->svg_path, pic->html_path };
	for (int f = PLOT_SVG; r == 0 && f <= PLOT_HTML; f++) {
		_cleanup_free_ char *text = NULL;
		if (!paths[f])
			continue;
		r = plot_render(&samples, runs, n_runs, (enum plot_format)f, &text);
		if (r == 0)
			r = write_file(paths[f], text, err, err_size);
	}
	for (size_t k = 0; k < n_runs; k++)
		plot_run_free(&runs[k]);
	plot_samples_free(&samples);
	return r;
}
