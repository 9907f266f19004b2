/* The outside view of an event: the webhook's JSON body and the exec action's environment. */
#include "output/payload.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/defaults.h" /* MEMHOOK_VERSION */
#include "base/util.h"

void payload_format_instance(uint64_t random_bits, char ret[PAYLOAD_INSTANCE_SIZE])
{
	snprintf(ret, PAYLOAD_INSTANCE_SIZE, "%016" PRIx64, random_bits);
}

/* Percent rounded to two decimals (percent values are 0..100, never negative here). */
static double round_percent(double v)
{
	if (!(v > 0))
		return 0;
	return (double)(int64_t)(v * 100.0 + 0.5) / 100.0;
}

/* The fields the event's kind adds (its row's payload_fields) into ret; returns how many. */
static size_t payload_kind_fields(const struct event *ev, struct event_field ret[EVENT_FIELDS_MAX])
{
	const struct event_kind_row *row = event_kind_row(ev->kind);
	return row && row->payload_fields ? row->payload_fields(ev, ret) : 0;
}

/* Adds a string, or null when s is NULL. Returns false on allocation failure. */
static bool add_str_or_null(cJSON *o, const char *key, const char *s)
{
	return s ? cJSON_AddStringToObject(o, key, s) != NULL : cJSON_AddNullToObject(o, key) != NULL;
}

static bool add_num(cJSON *o, const char *key, double v)
{
	return cJSON_AddNumberToObject(o, key, v) != NULL;
}

/* Counters and byte counts as exact integer text: cJSON prints doubles with 15 significant digits
 * ("9.00719925474099e+15"), which would round large values. */
static bool add_u64(cJSON *o, const char *key, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cJSON_AddRawToObject(o, key, buf) != NULL;
}

/* v rounded to 1/scale, halves away from zero (no libm). */
static double round_to(double v, double scale)
{
	return (double)(int64_t)(v * scale + (v < 0 ? -0.5 : 0.5)) / scale;
}

/* "trend": the slope of the policy's usage over its longest trend window and the projected time
 * to the limit; null while the window is not half covered, or (time) when usage is not growing. */
static bool payload_add_trend(cJSON *o, const struct sample *s)
{
	cJSON *t = cJSON_AddObjectToObject(o, "trend");
	if (!t || !cJSON_AddStringToObject(t, "usage", usage_kind_name(s->trend_usage)) ||
	    !add_num(t, "window_seconds", (double)s->trend_window_usec / 1e6))
		return false;
	if (s->trend.valid ? !add_num(t, "slope_bytes_per_second", round_to(s->trend.slope_bytes_per_sec, 1))
	                   : !cJSON_AddNullToObject(t, "slope_bytes_per_second"))
		return false;
	if (s->trend.valid && isfinite(s->trend.time_to_limit_sec))
		return add_num(t, "time_to_limit_seconds", round_to(s->trend.time_to_limit_sec, 1000));
	return cJSON_AddNullToObject(t, "time_to_limit_seconds") != NULL;
}

cJSON *payload_sample_json(const struct sample *s)
{
	_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
	if (!o)
		return NULL;
	/* local_free_* measure what the policy decides on (s->usage), as its conditions do. */
	if (!add_u64(o, "usage_bytes", s->usage_bytes) || !add_u64(o, "limit_bytes", s->limit_bytes) ||
	    !add_u64(o, "local_free_bytes", sample_local_free_bytes_of(s, s->usage)) ||
	    !add_num(o, "local_free_percent", round_percent(sample_local_free_percent_of(s, s->usage))) ||
	    !add_u64(o, "host_available_bytes", s->host_available_bytes) ||
	    !add_u64(o, "host_total_bytes", s->host_total_bytes))
		return NULL;
	if (!cJSON_AddStringToObject(o, "usage", usage_kind_name(s->usage)))
		return NULL;
	if (s->has_stat && (!add_u64(o, "working_set_bytes", s->working_set_bytes) ||
	                    !add_u64(o, "anon_bytes", s->anon_bytes)))
		return NULL;

	if (s->has_psi) {
		cJSON *psi = cJSON_AddObjectToObject(o, "psi");
		if (!psi)
			return NULL;
		for (int k = 0; k < PSI_KINDS; k++) {
			for (int w = 0; w < PSI_WINDOWS; w++) {
				char key[32];
				snprintf(key, sizeof(key), "%s_%s", psi_kind_name((enum psi_kind)k),
				         psi_window_name((enum psi_window)w));
				if (!add_num(psi, key, round_percent(s->psi.avg[k][w])))
					return NULL;
			}
			char key[32];
			snprintf(key, sizeof(key), "%s_total_usec", psi_kind_name((enum psi_kind)k));
			if (!add_u64(psi, key, s->psi.total_usec[k]))
				return NULL;
		}
	}
	if (s->has_events) {
		cJSON *ev = cJSON_AddObjectToObject(o, "events");
		if (!ev)
			return NULL;
		for (int e = 0; e < MEMEV_COUNT; e++)
			if (!add_u64(ev, memevent_name((enum memevent)e), s->events[e]))
				return NULL;
	}
	if (s->has_trend && !payload_add_trend(o, s))
		return NULL;
	return TAKE_PTR(o);
}

char *payload_build_json(const struct event_ctx *c, size_t *ret_len)
{
	_cleanup_cjson_ cJSON *root = cJSON_CreateObject();
	const struct payload_origin *o = c->origin;
	char ts[40];

	assert(o && o->instance && o->hostname);
	if (!root)
		return NULL;
	if (format_rfc3339_usec(c->real_usec, ts, sizeof(ts)) < 0)
		snprintf(ts, sizeof(ts), "1970-01-01T00:00:00.000Z");

	if (!cJSON_AddStringToObject(root, "event", event_kind_name(c->ev->kind)) ||
	    !add_num(root, "level", c->ev->level) || !add_str_or_null(root, "level_name", c->level_name) ||
	    !add_num(root, "previous_level", c->ev->previous_level) ||
	    !add_str_or_null(root, "previous_level_name", c->previous_level_name) ||
	    !add_u64(root, "seq", c->seq) || !cJSON_AddStringToObject(root, "instance", o->instance) ||
	    !cJSON_AddStringToObject(root, "timestamp", ts))
		return NULL;

	cJSON *target = cJSON_AddObjectToObject(root, "target");
	if (!target || !add_str_or_null(target, "cgroup", c->cgroup_path))
		return NULL;
	if (c->pid > 0 ? !add_num(target, "pid", c->pid) : !cJSON_AddNullToObject(target, "pid"))
		return NULL;

	struct event_field fields[EVENT_FIELDS_MAX];
	size_t n_fields = payload_kind_fields(c->ev, fields);
	for (size_t i = 0; i < n_fields; i++)
		if (!add_u64(root, fields[i].key, fields[i].value))
			return NULL;

	if (c->sample) {
		cJSON *s = payload_sample_json(c->sample);
		if (!s)
			return NULL;
		cJSON_AddItemToObject(root, "sample", s);
	} else if (!cJSON_AddNullToObject(root, "sample"))
		return NULL;

	if (!cJSON_AddStringToObject(root, "hostname", o->hostname))
		return NULL;

	if (o->pod_name || o->pod_namespace || o->pod_uid) {
		cJSON *pod = cJSON_AddObjectToObject(root, "pod");
		if (!pod || !add_str_or_null(pod, "name", o->pod_name) ||
		    !add_str_or_null(pod, "namespace", o->pod_namespace))
			return NULL;
		if (o->pod_uid && (!add_str_or_null(pod, "uid", o->pod_uid) ||
		                   !add_str_or_null(pod, "container", o->container) ||
		                   !add_str_or_null(pod, "container_id", o->container_id)))
			return NULL;
	}
	if (!cJSON_AddStringToObject(root, "memhook_version", MEMHOOK_VERSION))
		return NULL;

	char *out = cJSON_PrintUnformatted(root);
	if (out && ret_len)
		*ret_len = strlen(out);
	return out;
}

/* Appends "KEY=value" to v (room reserved by the caller). Returns false on allocation failure. */
static bool strv_push(char **v, size_t *n, const char *key, const char *value)
{
	char *s;
	if (asprintf(&s, "%s=%s", key, value) < 0)
		return false;
	v[(*n)++] = s;
	v[*n] = NULL;
	return true;
}

static bool strv_push_u64(char **v, size_t *n, const char *key, uint64_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	return strv_push(v, n, key, buf);
}

static bool strv_push_int(char **v, size_t *n, const char *key, int value)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", value);
	return strv_push(v, n, key, buf);
}

/* MEMHOOK_<KEY>=value for a field of the event's kind ("old_limit_bytes": MEMHOOK_OLD_LIMIT_BYTES). */
static bool strv_push_field(char **v, size_t *n, const struct event_field *f)
{
	char key[64];
	size_t len = strlen(f->key);
	if (len + sizeof("MEMHOOK_") > sizeof(key))
		return false;
	memcpy(key, "MEMHOOK_", 8);
	for (size_t i = 0; i <= len; i++) /* the NUL too */
		key[8 + i] =
		        (f->key[i] >= 'a' && f->key[i] <= 'z') ? (char)(f->key[i] - 'a' + 'A') : f->key[i];
	return strv_push_u64(v, n, key, f->value);
}

/* Room for every variable below plus the terminating NULL. */
#define ENV_MAX 28

char **payload_build_env(const struct event_ctx *c)
{
	char **v = calloc(ENV_MAX + 1, sizeof(char *));
	size_t n = 0;
	char ts[40];

	assert(c->origin && c->origin->instance);
	if (!v)
		return NULL;
	if (format_rfc3339_usec(c->real_usec, ts, sizeof(ts)) < 0)
		snprintf(ts, sizeof(ts), "1970-01-01T00:00:00.000Z");
	bool ok = strv_push(v, &n, "MEMHOOK_EVENT", event_kind_name(c->ev->kind)) &&
	          strv_push_int(v, &n, "MEMHOOK_LEVEL", c->ev->level) &&
	          strv_push(v, &n, "MEMHOOK_LEVEL_NAME", c->level_name ? c->level_name : "") &&
	          strv_push_int(v, &n, "MEMHOOK_PREVIOUS_LEVEL", c->ev->previous_level) &&
	          strv_push(v, &n, "MEMHOOK_PREVIOUS_LEVEL_NAME",
	                    c->previous_level_name ? c->previous_level_name : "") &&
	          strv_push_u64(v, &n, "MEMHOOK_SEQ", c->seq) &&
	          strv_push(v, &n, "MEMHOOK_INSTANCE", c->origin->instance) &&
	          strv_push(v, &n, "MEMHOOK_TIMESTAMP", ts);
	if (ok && c->cgroup_path)
		ok = strv_push(v, &n, "MEMHOOK_CGROUP", c->cgroup_path);
	if (ok && c->pid > 0)
		ok = strv_push_int(v, &n, "MEMHOOK_PID", c->pid);
	if (ok && c->origin->pod_uid)
		ok = strv_push(v, &n, "MEMHOOK_POD_UID", c->origin->pod_uid) &&
		     (!c->origin->container || strv_push(v, &n, "MEMHOOK_CONTAINER", c->origin->container)) &&
		     (!c->origin->container_id ||
		      strv_push(v, &n, "MEMHOOK_CONTAINER_ID", c->origin->container_id));
	struct event_field fields[EVENT_FIELDS_MAX];
	size_t n_fields = ok ? payload_kind_fields(c->ev, fields) : 0;
	for (size_t i = 0; ok && i < n_fields; i++)
		ok = strv_push_field(v, &n, &fields[i]);
	if (ok && c->sample) {
		const struct sample *s = c->sample;
		char pct[32];
		snprintf(pct, sizeof(pct), "%.2f", round_percent(sample_local_free_percent_of(s, s->usage)));
		ok = strv_push_u64(v, &n, "MEMHOOK_USAGE_BYTES", s->usage_bytes) &&
		     strv_push_u64(v, &n, "MEMHOOK_LIMIT_BYTES", s->limit_bytes) &&
		     strv_push_u64(v, &n, "MEMHOOK_LOCAL_FREE_BYTES",
		                   sample_local_free_bytes_of(s, s->usage)) &&
		     strv_push(v, &n, "MEMHOOK_LOCAL_FREE_PERCENT", pct) &&
		     strv_push_u64(v, &n, "MEMHOOK_HOST_AVAILABLE_BYTES", s->host_available_bytes) &&
		     strv_push(v, &n, "MEMHOOK_USAGE", usage_kind_name(s->usage));
		if (ok && s->has_stat)
			ok = strv_push_u64(v, &n, "MEMHOOK_WORKING_SET_BYTES", s->working_set_bytes) &&
			     strv_push_u64(v, &n, "MEMHOOK_ANON_BYTES", s->anon_bytes);
	}
	if (!ok) {
		strv_free(v);
		return NULL;
	}
	return v;
}
