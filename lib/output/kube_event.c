/* events.k8s.io/v1 Events from memhook's events (kube_event.h): reasons, names, notes, bodies and
 * the table of series. Field rules are the API server's (pkg/apis/core/validation/events.go):
 * eventTime set, reportingController and reportingInstance set, type Normal or Warning, note at
 * most 1 kB, the regarding object's namespace the Event's own; tests/contract/fake_apiserver.py
 * checks them on every request. */
#include "output/kube_event.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/units.h"
#include "base/util.h"

int kube_event_reason(enum event_kind k, const char **ret_reason, const char **ret_type)
{
	const struct event_kind_row *row = event_kind_row(k);
	if (!row || !row->k8s_reason)
		return -EINVAL;
	*ret_reason = row->k8s_reason;
	*ret_type = row->k8s_type;
	return 0;
}

void kube_micro_time(uint64_t real_usec, char ret[32])
{
	time_t sec = (time_t)(real_usec / USEC_PER_SEC);
	struct tm tm;
	char date[24];
	gmtime_r(&sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ret, 32, "%.20s.%06uZ", date, (unsigned)(real_usec % USEC_PER_SEC));
}

void kube_event_name(const char *pod, uint64_t unique, char *ret, size_t size)
{
	char suffix[24];
	int n = snprintf(suffix, sizeof(suffix), ".%" PRIx64, unique);
	size_t room = (size < KUBE_NAME_MAX_CHARS + 1 ? size - 1 : KUBE_NAME_MAX_CHARS) - (size_t)n;
	size_t len = strlen(pod);
	if (len > room)
		len = room;
	/* A DNS subdomain's labels end in an alphanumeric: a cut pod name must too. */
	while (len > 0 && (pod[len - 1] == '.' || pod[len - 1] == '-'))
		len--;
	snprintf(ret, size, "%.*s%s", (int)len, pod, suffix);
}

void kube_event_note(const struct event *ev, const char *level_name, const char *previous_level_name,
                     const struct sample *s, char *ret, size_t size)
{
	char what[256], figures[160] = "";
	const struct event_kind_row *row = event_kind_row(ev->kind);
	if (row && row->k8s_note)
		row->k8s_note(ev, s, level_name, previous_level_name, what, sizeof(what));
	else
		snprintf(what, sizeof(what), "%s at level %d (%s)", event_kind_name(ev->kind), ev->level,
		         level_name);
	if (s) {
		char usage[32], limit[32];
		units_format_size(s->usage_bytes, usage, sizeof(usage));
		units_format_size(s->limit_bytes, limit, sizeof(limit));
		snprintf(figures, sizeof(figures), ": usage %s of %s, %.1f%% free", usage, limit,
		         sample_local_free_percent(s));
	}
	snprintf(ret, size, "%s%s", what, figures);
}

/* Adds a string member; false when out of memory. */
static bool add_str(cJSON *o, const char *key, const char *value)
{
	return cJSON_AddStringToObject(o, key, value) != NULL;
}

char *kube_event_body(const struct kube_pod *pod, const char *name, const char *reason, const char *type,
                      const char *note, uint64_t event_real_usec)
{
	char when[32];
	char instance[KUBE_FIELD_MAX_CHARS + 1];
	kube_micro_time(event_real_usec, when);
	snprintf(instance, sizeof(instance), "%s", pod->name); /* at most 128 characters */

	_cleanup_cjson_ cJSON *o = cJSON_CreateObject();
	cJSON *meta = o ? cJSON_AddObjectToObject(o, "metadata") : NULL;
	if (!meta || !add_str(o, "apiVersion", "events.k8s.io/v1") || !add_str(o, "kind", "Event") ||
	    !add_str(meta, "name", name) || !add_str(meta, "namespace", pod->ns) ||
	    !add_str(o, "eventTime", when) || !add_str(o, "reportingController", KUBE_REPORTING_CONTROLLER) ||
	    !add_str(o, "reportingInstance", instance) || !add_str(o, "action", KUBE_ACTION) ||
	    !add_str(o, "reason", reason) || !add_str(o, "type", type))
		return NULL;
	cJSON *reg = cJSON_AddObjectToObject(o, "regarding");
	if (!reg || !add_str(reg, "apiVersion", "v1") || !add_str(reg, "kind", "Pod") ||
	    !add_str(reg, "name", pod->name) || !add_str(reg, "namespace", pod->ns) ||
	    (pod->uid && !add_str(reg, "uid", pod->uid)) || !add_str(o, "note", note))
		return NULL;
	return cJSON_PrintUnformatted(o);
}

char *kube_series_patch(uint64_t count, uint64_t last_real_usec)
{
	char when[32];
	char *body = NULL;
	kube_micro_time(last_real_usec, when);
	if (asprintf(&body, "{\"series\":{\"count\":%" PRIu64 ",\"lastObservedTime\":\"%s\"}}", count, when) <
	    0)
		return NULL;
	return body;
}

int kube_api_url(const char *host, const char *port, char *ret, size_t size)
{
	if (!host || !*host || !port || !*port)
		return -EINVAL;
	unsigned long p = 0;
	for (const char *c = port; *c; c++) {
		if (*c < '0' || *c > '9' || p > 65535)
			return -EINVAL;
		p = p * 10 + (unsigned long)(*c - '0');
	}
	if (p == 0 || p > 65535)
		return -EINVAL;
	bool v6 = strchr(host, ':') != NULL;
	int n = snprintf(ret, size, "https://%s%s%s:%lu", v6 ? "[" : "", host, v6 ? "]" : "", p);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static bool series_is(const struct kube_series *s, uint64_t subject, const char *reason, int level,
                      int previous_level)
{
	return s->used && s->subject == subject && strcmp(s->reason, reason) == 0 && s->level == level &&
	       s->previous_level == previous_level;
}

uint64_t kube_subject_key(const struct kube_pod *pod, const char *note)
{
	uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a 64 */
	const char *parts[] = { pod ? pod->ns : NULL, pod ? pod->name : NULL, pod ? pod->container : NULL,
		                note };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		for (const char *c = parts[i] ? parts[i] : ""; *c; c++)
			h = (h ^ (unsigned char)*c) * UINT64_C(1099511628211);
		h = (h ^ 0xff) * UINT64_C(1099511628211); /* a separator no string holds */
	}
	return h;
}

struct kube_series *kube_series_find(struct kube_series_table *t, uint64_t subject, const char *reason,
                                     int level, int previous_level, uint64_t now_mono_usec,
                                     uint64_t window_usec)
{
	for (size_t i = 0; i < ARRAY_SIZE(t->s); i++) {
		struct kube_series *s = &t->s[i];
		if (!series_is(s, subject, reason, level, previous_level))
			continue;
		if (now_mono_usec - s->last_mono_usec <= window_usec)
			return s;
		kube_series_forget(s); /* ended: the next one starts a new Event */
	}
	return NULL;
}

struct kube_series *kube_series_start(struct kube_series_table *t, uint64_t subject, const char *reason,
                                      int level, int previous_level, const char *name, uint64_t now_mono_usec)
{
	struct kube_series *slot = NULL, *free_slot = NULL, *oldest = &t->s[0];
	for (size_t i = 0; i < ARRAY_SIZE(t->s) && !slot; i++) {
		struct kube_series *s = &t->s[i];
		if (series_is(s, subject, reason, level, previous_level))
			slot = s; /* the same key: replaced */
		else if (!s->used && !free_slot)
			free_slot = s;
		else if (s->used && oldest->used && s->last_mono_usec < oldest->last_mono_usec)
			oldest = s;
	}
	if (!slot)
		slot = free_slot ? free_slot : oldest;
	*slot = (struct kube_series){ .used = true,
		                      .subject = subject,
		                      .level = level,
		                      .previous_level = previous_level,
		                      .count = 1,
		                      .last_mono_usec = now_mono_usec };
	snprintf(slot->reason, sizeof(slot->reason), "%s", reason);
	snprintf(slot->name, sizeof(slot->name), "%s", name);
	return slot;
}

void kube_series_forget(struct kube_series *s)
{
	s->used = false;
}
