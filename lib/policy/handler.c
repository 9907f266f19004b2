/* Handlers: an event (and optionally a level and a rate) mapped to one action, whose schema comes
 * from the action table. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "policy/action.h"
#include "policy/policy_parse.h"
#include "base/units.h"

#define ACTION_SCHEMA_ROW(NAME, name) [ACTION_##NAME] = &action_schema_##name,
static const struct action_ops *const table[ACTION_KINDS] = { ACTION_KIND_LIST(ACTION_SCHEMA_ROW) };
#undef ACTION_SCHEMA_ROW

const struct action_ops *action_ops(enum action_kind k)
{
	return (unsigned)k < ARRAY_SIZE(table) ? table[k] : NULL;
}

static bool is_handler_key(const char *key)
{
	return strcmp(key, "on") == 0 || strcmp(key, "level") == 0 || strcmp(key, "every") == 0 ||
	       action_kind_from_name(key) >= 0;
}

/* "on", "level" and "every" into h. */
static int parse_trigger(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	struct want_ctx *w = &c->w;
	const cJSON *it;
	int r;

	WANT_REQUIRED_KEY(op, it, w, j, path, "on");
	const char *on = NULL;
	if ((r = want_string(w, it, op, &on)) < 0)
		return r;
	int ev = event_kind_from_name(on);
	if (ev < 0) {
		char names[256];
		event_kind_names_list(names, sizeof(names));
		return want_fail(w, op, "unknown event \"%.32s\" (expected %s)", on, names);
	}
	h->on = (enum event_kind)ev;

	if ((it = cJSON_GetObjectItemCaseSensitive(j, "level"))) {
		WANT_PATH_KEY(lp, w, path, "level");
		if (!event_kind_takes_level(h->on))
			return want_fail(w, lp, "not allowed for \"%s\" handlers", on);
		long long lvl = 0;
		if ((r = want_integer(w, it, lp, &lvl)) < 0)
			return r;
		long long min = event_kind_min_level(h->on);
		if (lvl < min || lvl > (long long)c->p->n_levels)
			return want_fail(w, lp, "must be between %lld and %zu", min, c->p->n_levels);
		h->level = (int)lvl;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "every"))) {
		WANT_PATH_KEY(ep, w, path, "every");
		if (h->on != EVENT_REMAINING)
			return want_fail(w, ep, "only allowed for \"remaining\" handlers");
		if ((r = want_duration(w, it, ep, &h->every_usec)) < 0)
			return r;
	}
	return 0;
}

int handler_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	struct want_ctx *w = &c->w;
	int r;

	h->level = -1;
	h->path = strdup(path);
	if (!h->path)
		return want_oom(w);
	if ((r = want_object(w, j, path)) < 0 ||
	    (r = want_keys_known(w, j, path, is_handler_key, "unknown key")) < 0)
		return r;
	if ((r = parse_trigger(c, j, path, h)) < 0)
		return r;

	int first = -1;
	for (int k = 0; k < ACTION_KINDS; k++) {
		if (!cJSON_GetObjectItemCaseSensitive(j, action_kind_name((enum action_kind)k)))
			continue;
		if (first >= 0)
			return want_fail(w, path, "has two actions (%s and %s); use one handler per action",
			                 action_kind_name((enum action_kind)first),
			                 action_kind_name((enum action_kind)k));
		first = k;
	}
	if (first < 0) { /* "webhook, signal, ... or memory_high", from the table */
		char names[256] = "";
		for (int k = 0; k < ACTION_KINDS; k++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			         k == 0                  ? ""
			         : k == ACTION_KINDS - 1 ? " or "
			                                 : ", ",
			         action_kind_name((enum action_kind)k));
		return want_fail(w, path, "needs one action: %s", names);
	}

	h->action = (enum action_kind)first;
	const char *name = action_kind_name(h->action);
	WANT_PATH_KEY(ap, w, path, name);
	return action_ops(h->action)->parse(c, cJSON_GetObjectItemCaseSensitive(j, name), ap, h);
}

int handler_parse_all(struct policy_ctx *c, const cJSON *j)
{
	struct policy *p = c->p;

	if (!j)
		return 0;
	if (!cJSON_IsArray(j))
		return want_fail(&c->w, "handlers", "must be an array");
	int n = cJSON_GetArraySize(j);
	if (n == 0)
		return 0;
	if (n > POLICY_MAX_HANDLERS)
		return want_fail(&c->w, "handlers", "at most %d handlers", POLICY_MAX_HANDLERS);
	p->handlers = calloc((size_t)n, sizeof(*p->handlers));
	if (!p->handlers)
		return want_oom(&c->w);
	p->n_handlers = (size_t)n;
	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		WANT_PATH_INDEX(hp, &c->w, "handlers", i);
		int r = handler_parse(c, it, hp, &p->handlers[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

void handler_describe(const struct handler *h, size_t i, FILE *out)
{
	char buf[64];

	fprintf(out, "handler %zu: on %s", i, event_kind_name(h->on));
	if (h->level >= 0)
		fprintf(out, " level %d", h->level);
	else if (event_kind_takes_level(h->on))
		fputs(" any level", out);
	if (h->every_usec)
		fprintf(out, " every %s", units_format_duration(h->every_usec, buf, sizeof(buf)));
	fprintf(out, " -> %s ", action_kind_name(h->action));
	action_ops(h->action)->describe(h, out);
	fputc('\n', out);
}
