/* The picture of a replay as SVG (or HTML around it): axes, lines, bands, markers, summary. */
#include "output/plot.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

/* Vertical layout, in pixels. */
#define CHART_TOP    44
#define CHART_HEIGHT 280
#define CHART_BOTTOM (CHART_TOP + CHART_HEIGHT)
#define LANE_GAP     44 /* from one run's lane to the next, its name above it */
#define LANE_HEIGHT  20
#define ROW_HEIGHT   16 /* the summary's */
#define PLOT_X0      PLOT_LEFT_PX
#define PLOT_X1      (PLOT_WIDTH_PX - PLOT_RIGHT_PX)

/* Level colours, normal first; levels past the last take the last. */
static const char *const level_fill[] = { "#e8f5e9", "#fff59d", "#ffcc80", "#ef9a9a",
	                                  "#e57373", "#ce93d8", "#ba68c8", "#8e24aa" };
/* The usage kinds' and the limit's colours (enum plot_series). */
static const char *const series_colour[PLOT_SERIES] = { "#1f77b4", "#2ca02c", "#9467bd", "#444444" };
static const char *const series_label[PLOT_SERIES] = { "current", "working set", "anon", "limit" };

static const char *level_colour(int level)
{
	size_t i = level < 0 ? 0 : (size_t)level;
	return level_fill[i < ARRAY_SIZE(level_fill) ? i : ARRAY_SIZE(level_fill) - 1];
}

static const char *event_colour(enum event_kind k)
{
	const struct event_kind_row *row = event_kind_row(k);
	return row && row->color ? row->color : "#9e9e9e"; /* remaining and the target's kinds: grey */
}

/* What the drawing needs of the axes. */
struct frame {
	FILE *f;
	bool html;
	uint64_t t0, t1; /* the time axis, usec */
	double ymax;     /* bytes at the chart's top */
};

static double x_of(const struct frame *fr, uint64_t t_usec)
{
	if (fr->t1 <= fr->t0)
		return PLOT_X0;
	uint64_t t = t_usec < fr->t0 ? fr->t0 : t_usec > fr->t1 ? fr->t1 : t_usec;
	return PLOT_X0 + (double)(t - fr->t0) * (PLOT_X1 - PLOT_X0) / (double)(fr->t1 - fr->t0);
}

static double y_of(const struct frame *fr, double bytes)
{
	double v = bytes < 0 ? 0 : bytes > fr->ymax ? fr->ymax : bytes;
	return CHART_BOTTOM - v * CHART_HEIGHT / fr->ymax;
}

/* The left edge of column c. */
static double column_x(size_t c)
{
	return PLOT_X0 + (double)c * (PLOT_X1 - PLOT_X0) / PLOT_COLUMNS;
}

/* Writes s with XML's five special characters escaped. */
static void put_escaped(FILE *f, const char *s)
{
	static const char *const entity[256] = {
		['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
	};
	for (; *s; s++) {
		const char *e = entity[(unsigned char)*s];
		if (e)
			fputs(e, f);
		else
			fputc(*s, f);
	}
}

static const char *size_text(double bytes, char *buf, size_t size)
{
	return units_format_size(bytes > 0 ? (uint64_t)bytes : 0, buf, size);
}

/* A step of 1, 2 or 5 times a power of ten (times unit) that cuts span into at most max parts. */
static double nice_step(double span, double unit, int max)
{
	double step = unit;
	for (int i = 0; i < 40; i++) {
		static const double m[] = { 1, 2, 5 };
		if (span / (step * m[i % 3]) <= max)
			return step * m[i % 3];
		if (i % 3 == 2)
			step *= 10;
	}
	return span;
}

static void put_line_path(const struct frame *fr, const struct plot_samples *ps, const double *v,
                          size_t stride, struct plot_point *pts, const char *attrs)
{
	size_t n = plot_downsample(ps->t_usec, v, stride, ps->n, fr->t0, fr->t1, PLOT_COLUMNS, pts);
	if (n == 0)
		return;
	fprintf(fr->f, "<path fill=\"none\" %s d=\"", attrs);
	for (size_t i = 0; i < n; i++)
		fprintf(fr->f, "%s%.1f %.1f", pts[i].move || i == 0 ? "M" : "L", x_of(fr, pts[i].t_usec),
		        y_of(fr, pts[i].v));
	fputs("\"/>\n", fr->f);
}

/* The run's levels per column (the highest in it) and holds (any in it) into lv and held. */
static void run_columns(const struct frame *fr, const struct plot_samples *ps, const struct plot_run *r,
                        int *lv, uint8_t *held)
{
	for (size_t c = 0; c < PLOT_COLUMNS; c++) {
		lv[c] = -1;
		held[c] = 0;
	}
	for (size_t i = 0; i < r->n; i++) {
		size_t c = plot_column(ps->t_usec[i], fr->t0, fr->t1, PLOT_COLUMNS);
		if (r->level[i] > lv[c])
			lv[c] = r->level[i];
		held[c] |= r->held[i];
	}
	/* a column without a sample keeps the level and the hold of the one before it */
	int last = 0;
	uint8_t last_held = 0;
	for (size_t c = 0; c < PLOT_COLUMNS; c++) {
		if (lv[c] < 0) {
			lv[c] = last;
			held[c] = last_held;
		} else {
			last = lv[c];
			last_held = held[c];
		}
	}
}

/* Rectangles over the runs of equal levels in columns, from y to y + h. */
static void put_bands(FILE *f, const int *lv, double y, double h, const char *extra)
{
	for (size_t c = 0; c < PLOT_COLUMNS;) {
		size_t e = c;
		while (e < PLOT_COLUMNS && lv[e] == lv[c])
			e++;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>\n",
		        column_x(c), y, column_x(e) - column_x(c), h, level_colour(lv[c]), extra);
		c = e;
	}
}

static void put_holds(FILE *f, const uint8_t *held, double y, double h)
{
	for (size_t c = 0; c < PLOT_COLUMNS;) {
		size_t e = c;
		while (e < PLOT_COLUMNS && held[e] == held[c])
			e++;
		if (held[c])
			fprintf(f,
			        "<rect class=\"held\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			        "fill=\"url(#held)\"><title>%s</title></rect>\n",
			        column_x(c), y, column_x(e) - column_x(c), h,
			        held[c] == PLOT_HELD_UP     ? "held back: a higher level waits for its for"
			        : held[c] == PLOT_HELD_DOWN ? "held back: leaving waits for clear_for"
			                                    : "held back: for and clear_for");
		c = e;
	}
}

/* The marker's details: kind, level, seq, the sample. */
static void event_details(const struct plot_samples *ps, const struct plot_run *r,
                          const struct plot_event *ev, char *buf, size_t size)
{
	char used[32], limit[32], ws[32] = "", anon[32] = "", ttl[64] = "";
	size_t i = ev->sample < ps->n ? ev->sample : 0;
	size_text(ps->v[ev->usage][i], used, sizeof(used));
	size_text(ps->v[PLOT_SERIES_LIMIT][i], limit, sizeof(limit));
	if (!isnan(ps->v[USAGE_WORKING_SET][i])) {
		size_text(ps->v[USAGE_WORKING_SET][i], ws, sizeof(ws));
		size_text(ps->v[USAGE_ANON][i], anon, sizeof(anon));
	}
	if (!isnan(ev->time_to_limit_sec))
		snprintf(ttl, sizeof(ttl), "\ntime_to_limit fired %.0f s ahead of the limit",
		         ev->time_to_limit_sec);
	int lv = ev->level >= 0 && ev->level <= POLICY_MAX_LEVELS ? ev->level : 0;
	int pv = ev->previous_level >= 0 && ev->previous_level <= POLICY_MAX_LEVELS ? ev->previous_level : 0;
	snprintf(buf, size,
	         "%s: level %d %s (was %d %s)\nseq %" PRIu64 " · %s\nat %.1f s: %s %s of %s%s%s%s%s%s",
	         event_kind_name(ev->kind), lv, r->level_names[lv], pv, r->level_names[pv], ev->seq, r->name,
	         (double)ps->t_usec[i] / 1e6, usage_kind_name(ev->usage), used, limit,
	         ws[0] ? "\nworking set " : "", ws, ws[0] ? ", anon " : "", anon, ttl);
}

static void put_markers(const struct frame *fr, const struct plot_samples *ps, const struct plot_run *r,
                        size_t run, double lane_y)
{
	char details[512];
	if (ps->n == 0) /* nothing to place a marker at */
		return;
	for (size_t e = 0; e < r->n_events; e++) {
		const struct plot_event *ev = &r->events[e];
		size_t i = ev->sample < ps->n ? ev->sample : 0;
		event_details(ps, r, ev, details, sizeof(details));
		fprintf(fr->f,
		        "<circle class=\"ev\" data-policy=\"%zu\" data-seq=\"%" PRIu64 "\" data-kind=\"%s\" "
		        "cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" stroke=\"#fff\"",
		        run, ev->seq, event_kind_name(ev->kind), x_of(fr, ps->t_usec[i]),
		        lane_y + LANE_HEIGHT / 2.0, event_colour(ev->kind));
		if (fr->html) {
			fputs(" data-tip=\"", fr->f);
			put_escaped(fr->f, details);
			fputs("\"/>\n", fr->f);
		} else {
			fputs("><title>", fr->f);
			put_escaped(fr->f, details);
			fputs("</title></circle>\n", fr->f);
		}
		/* how far ahead of the limit a time_to_limit fired: to where the fit meets it */
		if (!isnan(ev->time_to_limit_sec)) {
			double t_hit = (double)ps->t_usec[i] + ev->time_to_limit_sec * 1e6;
			uint64_t hit = t_hit >= (double)UINT64_MAX ? UINT64_MAX : (uint64_t)t_hit;
			double x0 = x_of(fr, ps->t_usec[i]), x1 = x_of(fr, hit);
			double y0 = y_of(fr, ps->v[ev->usage][i]), y1 = y_of(fr, ps->v[PLOT_SERIES_LIMIT][i]);
			fprintf(fr->f,
			        "<g class=\"ttl\"><path d=\"M%.1f %.1fL%.1f %.1f\" stroke=\"#c62828\" "
			        "stroke-dasharray=\"2 3\" fill=\"none\"/><text x=\"%.1f\" y=\"%.1f\" "
			        "fill=\"#c62828\" "
			        "text-anchor=\"end\">limit in %.0f s</text></g>\n",
			        x0, y0, x1, y1, x1, y1 - 4, ev->time_to_limit_sec);
		}
	}
}

static void put_axes(const struct frame *fr, double axis_y)
{
	FILE *f = fr->f;
	char buf[32];
	double ystep = nice_step(fr->ymax, 1024.0 * 1024.0, 6);
	for (double v = 0; v <= fr->ymax + 1; v += ystep) {
		double y = y_of(fr, v);
		fprintf(f,
		        "<path d=\"M%d %.1fH%d\" stroke=\"#e0e0e0\"/><text x=\"%d\" y=\"%.1f\" "
		        "text-anchor=\"end\">%s</text>\n",
		        PLOT_X0, y, PLOT_X1, PLOT_X0 - 6, y + 4, size_text(v, buf, sizeof(buf)));
	}
	double span = (double)(fr->t1 - fr->t0) / 1e6;
	double tstep = span >= 7200  ? nice_step(span / 3600, 1, 10) * 3600
	               : span >= 300 ? nice_step(span / 60, 1, 10) * 60
	                             : nice_step(span > 0 ? span : 1, 1, 10);
	for (double s = 0; s <= span + 1e-9; s += tstep) {
		double x = x_of(fr, fr->t0 + (uint64_t)(s * 1e6));
		if (tstep >= 3600)
			snprintf(buf, sizeof(buf), "%.0fh", s / 3600);
		else if (tstep >= 60)
			snprintf(buf, sizeof(buf), "%.0fm", s / 60);
		else
			snprintf(buf, sizeof(buf), "%.0fs", s);
		fprintf(f,
		        "<path d=\"M%.1f %dV%.1f\" stroke=\"#e0e0e0\"/><text x=\"%.1f\" y=\"%.1f\" "
		        "text-anchor=\"middle\">%s</text>\n",
		        x, CHART_TOP, axis_y - 12, x, axis_y, buf);
	}
	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#9e9e9e\"/>\n",
	        PLOT_X0, CHART_TOP, PLOT_X1 - PLOT_X0, CHART_HEIGHT);
}

static void put_legend(FILE *f, const struct plot_run *r, double y)
{
	double x = PLOT_X0;
	for (int k = 0; k < PLOT_SERIES; k++, x += 110)
		fprintf(f,
		        "<path d=\"M%.1f %.1fh22\" stroke=\"%s\" stroke-width=\"2\"%s/><text x=\"%.1f\" "
		        "y=\"%.1f\">%s</text>\n",
		        x, y - 4, series_colour[k], k == PLOT_SERIES_LIMIT ? " stroke-dasharray=\"6 3\"" : "",
		        x + 26, y, series_label[k]);
	fprintf(f,
	        "<path d=\"M%.1f %.1fh22\" stroke=\"#555\" stroke-dasharray=\"3 3\"/><text x=\"%.1f\" "
	        "y=\"%.1f\">a "
	        "level's threshold, in the usage it measures</text>\n",
	        x, y - 4, x + 26, y);
	fprintf(f,
	        "<rect x=\"%d\" y=\"%.1f\" width=\"22\" height=\"10\" fill=\"url(#held)\" "
	        "stroke=\"#999\"/><text "
	        "x=\"%d\" y=\"%.1f\">for / clear_for holding a change back</text>\n",
	        PLOT_X0, y + 8, PLOT_X0 + 26, y + 17);
	x = PLOT_X0 + 250;
	for (int l = 0; l <= (int)r->n_levels && l <= POLICY_MAX_LEVELS; l++, x += 90) {
		fprintf(f,
		        "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/><text "
		        "x=\"%.1f\" y=\"%.1f\">",
		        x, y + 8, level_colour(l), x + 16, y + 17);
		put_escaped(f, r->level_names[l]);
		fputs("</text>\n", f);
	}
}

/* Whether the summary lists kind e: the kinds a replay gives (the target is always there). */
static bool summary_kind(int e)
{
	int about = (int)event_kind_row((enum event_kind)e)->about;
	return about >= EVENT_CLASS_STEP && about < EVENT_CLASS_TARGET;
}

/* The summary's rows for r: a level a row beside an event kind a row. */
static size_t summary_rows(const struct plot_run *r)
{
	size_t levels = r->n_levels + 1, kinds = 0;
	for (int e = 0; e < EVENT_KINDS; e++)
		kinds += summary_kind(e);
	return levels > kinds ? levels : kinds;
}

/* The summary's height from its header line on. */
static double summary_height(const struct plot_run *runs, size_t n_runs)
{
	double h = ROW_HEIGHT;
	for (size_t k = 0; k < n_runs; k++)
		h += (double)summary_rows(&runs[k]) * ROW_HEIGHT + 8;
	return h;
}

/* The summary: per run, the time at each level and the events of each kind. */
static void put_summary(const struct frame *fr, const struct plot_run *runs, size_t n_runs, double y)
{
	FILE *f = fr->f;
	char dur[32];
	fprintf(f,
	        "<g class=\"summary\"><text x=\"%d\" y=\"%.1f\" font-weight=\"bold\">policy</text><text "
	        "x=\"%d\" "
	        "y=\"%.1f\" font-weight=\"bold\">level</text><text x=\"%d\" y=\"%.1f\" font-weight=\"bold\" "
	        "text-anchor=\"end\">time</text><text x=\"%d\" y=\"%.1f\" font-weight=\"bold\" "
	        "text-anchor=\"end\">share</text><text x=\"%d\" y=\"%.1f\" "
	        "font-weight=\"bold\">event</text><text "
	        "x=\"%d\" y=\"%.1f\" font-weight=\"bold\" text-anchor=\"end\">count</text>\n",
	        PLOT_X0, y, PLOT_X0 + 200, y, PLOT_X0 + 440, y, PLOT_X0 + 500, y, PLOT_X0 + 560, y,
	        PLOT_X0 + 720, y);
	double row = y + ROW_HEIGHT;
	for (size_t k = 0; k < n_runs; k++) {
		const struct plot_run *r = &runs[k];
		uint64_t total = 0;
		for (size_t l = 0; l <= r->n_levels; l++)
			total += r->level_usec[l];
		fprintf(f, "<path d=\"M%d %.1fH%d\" stroke=\"#bdbdbd\"/><text x=\"%d\" y=\"%.1f\">", PLOT_X0,
		        row - 12, PLOT_X1, PLOT_X0, row);
		put_escaped(f, r->name);
		fputs("</text>\n", f);
		size_t rows = 0;
		for (size_t l = 0; l <= r->n_levels && l <= POLICY_MAX_LEVELS; l++, rows++) {
			double yy = row + (double)rows * ROW_HEIGHT;
			snprintf(dur, sizeof(dur), "%.1f s", (double)r->level_usec[l] / 1e6);
			fprintf(f,
			        "<rect x=\"%d\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/><text "
			        "x=\"%d\" y=\"%.1f\">%zu ",
			        PLOT_X0 + 200, yy - 9, level_colour((int)l), PLOT_X0 + 214, yy, l);
			put_escaped(f, r->level_names[l]);
			fprintf(f,
			        "</text><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text><text "
			        "x=\"%d\" y=\"%.1f\" "
			        "text-anchor=\"end\">%.0f%%</text>\n",
			        PLOT_X0 + 440, yy, dur, PLOT_X0 + 500, yy,
			        total ? (double)r->level_usec[l] * 100.0 / (double)total : 0.0);
		}
		size_t erows = 0;
		for (int c = EVENT_CLASS_STEP; c < EVENT_CLASS_TARGET; c++) /* steps first, as simulate */
			for (int e = 0; e < EVENT_KINDS; e++)
				if ((int)event_kind_row((enum event_kind)e)->about == c && summary_kind(e)) {
					double yy = row + (double)erows++ * ROW_HEIGHT;
					fprintf(f,
					        "<text x=\"%d\" y=\"%.1f\" class=\"kind\">%s</text><text "
					        "x=\"%d\" y=\"%.1f\" "
					        "text-anchor=\"end\">%" PRIu64 "</text>\n",
					        PLOT_X0 + 560, yy, event_kind_name((enum event_kind)e),
					        PLOT_X0 + 720, yy, r->kind_count[e]);
				}
		row += (double)summary_rows(r) * ROW_HEIGHT + 8;
	}
	fputs("</g>\n", f);
}

static const char html_head[] =
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
        "'unsafe-inline'; "
        "script-src 'unsafe-inline'\">\n"
        "<style>body{margin:12px;font-family:sans-serif}.ev{cursor:pointer}.ev:hover{stroke:#000}"
        "#tip{position:absolute;display:none;background:#fff;border:1px solid #757575;padding:4px 8px;"
        "font:12px sans-serif;white-space:pre;pointer-events:none;box-shadow:0 1px 4px #0003}</style>\n";
/* Hover: one listener for every marker; the details come from the marker's data-tip. */
static const char html_tail[] = "<div id=\"tip\" role=\"tooltip\"></div>\n<script>\n"
                                "(function () {\n"
                                "  var tip = document.getElementById('tip');\n"
                                "  document.addEventListener('mouseover', function (e) {\n"
                                "    var m = e.target.closest ? e.target.closest('.ev') : null;\n"
                                "    if (!m) { tip.style.display = 'none'; return; }\n"
                                "    var b = m.getBoundingClientRect();\n"
                                "    tip.textContent = m.getAttribute('data-tip');\n"
                                "    tip.style.left = (b.right + window.scrollX + 6) + 'px';\n"
                                "    tip.style.top = (b.top + window.scrollY - 6) + 'px';\n"
                                "    tip.style.display = 'block';\n"
                                "  });\n"
                                "})();\n</script>\n</body></html>\n";

static int render(FILE *f, const struct plot_samples *ps, const struct plot_run *runs, size_t n_runs,
                  bool html)
{
	struct frame fr = { .f = f,
		            .html = html,
		            .t0 = ps->n ? ps->t_usec[0] : 0,
		            .t1 = ps->n ? ps->t_usec[ps->n - 1] : 0,
		            .ymax = 1024.0 * 1024.0 };
	_cleanup_free_ struct plot_point *pts = malloc((2 * PLOT_COLUMNS + 2) * sizeof(*pts));
	_cleanup_free_ int *lv = malloc(PLOT_COLUMNS * sizeof(*lv));
	_cleanup_free_ uint8_t *held = malloc(PLOT_COLUMNS);
	if (!pts || !lv || !held)
		return -ENOMEM;
	for (size_t i = 0; i < ps->n; i++) {
		for (int k = 0; k < PLOT_SERIES; k++)
			if (ps->v[k][i] > fr.ymax)
				fr.ymax = ps->v[k][i];
		for (size_t j = 0; j < runs[0].n_lines; j++)
			if (runs[0].thr[i * PLOT_MAX_LINES + j] > fr.ymax)
				fr.ymax = runs[0].thr[i * PLOT_MAX_LINES + j];
	}
	fr.ymax *= 1.05;
	double lanes_y = CHART_BOTTOM + 34;
	double axis_y = lanes_y + (double)n_runs * LANE_GAP;
	double legend_y = axis_y + 26, summary_y = legend_y + 48;
	double height = summary_y + summary_height(runs, n_runs) + 8;
	if (html) {
		fputs(html_head, f);
		fputs("<title>memhook: ", f);
		put_escaped(f, ps->name);
		fputs("</title>\n</head><body>\n", f);
	}
	fprintf(f,
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d "
	        "%.0f\" "
	        "font-family=\"sans-serif\" font-size=\"11\">\n"
	        "<defs><pattern id=\"held\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
	        "<rect width=\"6\" height=\"6\" fill=\"#9e9e9e\" fill-opacity=\"0.35\"/>"
	        "<path d=\"M-1 7L7 -1\" stroke=\"#424242\" stroke-width=\"1.5\"/></pattern></defs>\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n<text x=\"%d\" y=\"22\" "
	        "font-size=\"14\" "
	        "font-weight=\"bold\">",
	        PLOT_WIDTH_PX, height, PLOT_WIDTH_PX, height, PLOT_X0);
	put_escaped(f, ps->name);
	fputs(": ", f);
	for (size_t k = 0; k < n_runs; k++) {
		fputs(k ? " against " : "", f);
		put_escaped(f, runs[k].name);
	}
	fprintf(f, " (%zu samples)</text>\n", ps->n);

	/* the first run's levels behind the chart */
	run_columns(&fr, ps, &runs[0], lv, held);
	fputs("<g class=\"bands\">\n", f);
	put_bands(f, lv, CHART_TOP, CHART_HEIGHT, " opacity=\"0.45\"");
	fputs("</g>\n", f);
	put_axes(&fr, axis_y);
	fputs("<g class=\"series\">\n", f);
	for (int k = PLOT_SERIES; k-- > 0;) {
		char attrs[128];
		snprintf(attrs, sizeof(attrs), "class=\"s%d\" stroke=\"%s\" stroke-width=\"%s\"%s", k,
		         series_colour[k], k == PLOT_SERIES_LIMIT ? "1.5" : "1.6",
		         k == PLOT_SERIES_LIMIT ? " stroke-dasharray=\"6 3\"" : "");
		put_line_path(&fr, ps, ps->v[k], 1, pts, attrs);
	}
	fputs("</g>\n<g class=\"thresholds\">\n", f);
	for (size_t j = 0; j < runs[0].n_lines; j++) {
		const struct plot_line *line = &runs[0].lines[j];
		char attrs[160];
		snprintf(attrs, sizeof(attrs),
		         "class=\"thr\" stroke=\"%s\" stroke-dasharray=\"3 3\" stroke-width=\"1.2\"",
		         series_colour[line->usage]);
		put_line_path(&fr, ps, runs[0].thr + j, PLOT_MAX_LINES, pts, attrs);
		/* its name at the right end, on its last value */
		for (size_t i = ps->n; i-- > 0;)
			if (!isnan(runs[0].thr[i * PLOT_MAX_LINES + j])) {
				fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" fill=\"%s\">",
				        PLOT_X1 - 4, y_of(&fr, runs[0].thr[i * PLOT_MAX_LINES + j]) - 3,
				        series_colour[line->usage]);
				put_escaped(f, runs[0].level_names[line->level]);
				fprintf(f, " (%s)</text>\n", usage_kind_name(line->usage));
				break;
			}
	}
	fputs("</g>\n<g class=\"lanes\">\n", f);
	for (size_t k = 0; k < n_runs; k++) {
		double y = lanes_y + (double)k * LANE_GAP;
		if (k > 0)
			run_columns(&fr, ps, &runs[k], lv, held);
		fprintf(f, "<text x=\"%d\" y=\"%.1f\">levels, holds and events of ", PLOT_X0, y - 5);
		put_escaped(f, runs[k].name);
		fprintf(f, " (%zu events)</text>\n", runs[k].n_events);
		put_bands(f, lv, y, LANE_HEIGHT, "");
		put_holds(f, held, y, LANE_HEIGHT);
	}
	fputs("</g>\n<g class=\"markers\">\n", f);
	for (size_t k = 0; k < n_runs; k++)
		put_markers(&fr, ps, &runs[k], k, lanes_y + (double)k * LANE_GAP);
	fputs("</g>\n<g class=\"legend\">\n", f);
	put_legend(f, &runs[0], legend_y);
	fputs("</g>\n", f);
	put_summary(&fr, runs, n_runs, summary_y);
	fputs("</svg>\n", f);
	if (html)
		fputs(html_tail, f);
	return 0;
}

int plot_render(const struct plot_samples *samples, const struct plot_run *runs, size_t n_runs,
                enum plot_format format, char **ret)
{
	if (n_runs == 0)
		return -EINVAL;
	for (size_t k = 0; k < n_runs; k++)
		if (runs[k].n != samples->n)
			return -EINVAL;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	int r = render(f, samples, runs, n_runs, format == PLOT_HTML);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(text);
		return r;
	}
	*ret = text;
	return 0;
}
