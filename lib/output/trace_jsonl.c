/* Traces in JSONL (trace.h): an object per sample, the PSI and the counters in objects of their own. */
#include "output/trace_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* JSON numbers are doubles: integers above 2^53 would be rounded, so they are refused. */
#define JSON_EXACT_MAX 9007199254740992.0

/* A value not read is absent. */
int trace_jsonl_row(const struct sample *s, uint64_t start_mono_usec, char *buf, size_t size)
{
	size_t n = 0;
	const char *open_obj = NULL;
	char v[64];
	if (!trace_append(buf, size, &n, "{"))
		return -ENOBUFS;
	for (size_t i = 0; i < TRACE_COLUMNS; i++) {
		const struct trace_column *c = &trace_columns[i];
		if (!trace_column_text(c, s, start_mono_usec, v, sizeof(v)))
			continue;
		bool first_in_obj = c->json_obj != open_obj;
		if (first_in_obj && open_obj && !trace_append(buf, size, &n, "}"))
			return -ENOBUFS;
		if (first_in_obj && c->json_obj && !trace_append(buf, size, &n, ",\"%s\":{", c->json_obj))
			return -ENOBUFS;
		open_obj = c->json_obj;
		const char *sep = i == 0 || (first_in_obj && c->json_obj) ? "" : ",";
		const char *q = c->kind == TRACE_COL_TIME ? "\"" : "";
		if (!trace_append(buf, size, &n, "%s\"%s\":%s%s%s", sep, c->json_key, q, v, q))
			return -ENOBUFS;
	}
	if (!trace_append(buf, size, &n, "%s}", open_obj ? "}" : ""))
		return -ENOBUFS;
	return trace_append(buf, size, &n, "\n") ? (int)n : -ENOBUFS;
}

/* A JSON value (not null) into column i of r. */
static int put_json(struct trace_row *r, size_t i, const cJSON *v, char *err, size_t err_size)
{
	const struct trace_column *c = &trace_columns[i];
	if (c->kind == TRACE_COL_TIME) {
		if (!cJSON_IsString(v) ||
		    !trace_parse_rfc3339(v->valuestring, strlen(v->valuestring), &r->s.real_usec))
			return trace_fail(err, err_size, "time: not an RFC 3339 UTC time string");
		r->seen[i] = true;
		return 0;
	}
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0)
		return trace_fail(err, err_size, "%s: not a number of at least 0", c->csv);
	double d = v->valuedouble;
	switch (c->kind) {
	case TRACE_COL_ELAPSED:
		if (d > ELAPSED_MAX_SEC)
			return trace_fail(err, err_size, "elapsed_sec: too large");
		r->elapsed_usec = (uint64_t)(d * (double)USEC_PER_SEC + 0.5); /* d >= 0: rounded */
		break;
	case TRACE_COL_PSI_AVG:
		if (d > 100)
			return trace_fail(err, err_size, "%s: not a percent (0 to 100)", c->csv);
		r->s.psi.avg[c->a][c->b] = d;
		break;
	default:
		if (d > JSON_EXACT_MAX || (double)(uint64_t)d != d)
			return trace_fail(err, err_size, "%s: not a whole number up to 2^53", c->csv);
		trace_column_put_u64(r, c, (uint64_t)d);
		break;
	}
	r->seen[i] = true;
	return 0;
}

int trace_jsonl_parse_row(const char *line, size_t len, struct trace_row *r, char *err, size_t err_size)
{
	const char *end = NULL;
	_cleanup_cjson_ cJSON *root = cJSON_ParseWithLengthOpts(line, len, &end, false);
	if (!cJSON_IsObject(root))
		return trace_fail(err, err_size, "not a JSON object");
	for (; end && end < line + len; end++)
		if (*end != ' ' && *end != '\t')
			return trace_fail(err, err_size, "text after the JSON object");
	for (const cJSON *k = root->child; k; k = k->next) {
		bool nested = strcmp(k->string, "psi") == 0 || strcmp(k->string, "events") == 0;
		const cJSON *first = nested ? k->child : k;
		if (nested && !cJSON_IsObject(k))
			return trace_fail(err, err_size, "%s: not an object", k->string);
		for (const cJSON *v = first; v; v = nested ? v->next : NULL) {
			int i = trace_column_find(nested ? k->string : NULL, v->string, strlen(v->string));
			if (i < 0)
				return trace_fail(err, err_size, "%s%s%.64s: unknown key",
				                  nested ? k->string : "", nested ? "." : "", v->string);
			if (r->seen[i])
				return trace_fail(err, err_size, "%s: repeated", trace_columns[i].csv);
			int ret = cJSON_IsNull(v) ? 0 : put_json(r, (size_t)i, v, err, err_size);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}
