/* The pressure_watch action's schema: where memhook serves systemd's memory-pressure protocol
 * (systemd's docs/PRESSURE.md: an AF_UNIX stream socket, or a FIFO, that turns readable on
 * pressure) and how often it may notify. Serving it is lib/actions/pressure_socket.c's job, firing
 * it lib/actions/action_run_pressure_watch.c's. */
#include <cjson/cJSON.h>
#include <string.h>

#include "policy/action.h"
#include "policy/policy_parse.h"
#include "base/defaults.h"
#include "base/units.h"

/* "/run/memhook/pressure.sock"  or  {"path": ..., "fifo": false, "min_interval": "2s"} */
static int pressure_watch_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	static const char *const keys[] = { "path", "fifo", "min_interval", NULL };
	struct want_ctx *w = &c->w;
	struct pressure_watch_cfg cfg = { .min_interval_usec = PRESSURE_MIN_INTERVAL_DEFAULT_USEC };
	const cJSON *it = j;
	const char *pp = path;
	int r;

	WANT_PATH_KEY(kp, w, path, "path");
	if (cJSON_IsObject(j)) {
		if ((r = want_keys(w, j, path, keys, "unknown key")) < 0)
			return r;
		if (!(it = cJSON_GetObjectItemCaseSensitive(j, "path")))
			return want_fail(w, kp, "is required");
		pp = kp;
	}
	const char *p = NULL;
	if ((r = want_nonempty_string(w, it, pp, &p)) < 0)
		return r;
	if (p[0] != '/')
		return want_fail(w, pp, "must be an absolute path");
	if (strlen(p) > PRESSURE_PATH_MAX_CHARS)
		return want_fail(w, pp, "is longer than %d characters (a socket's address)",
		                 PRESSURE_PATH_MAX_CHARS);
	if (cJSON_IsObject(j)) {
		if ((it = cJSON_GetObjectItemCaseSensitive(j, "fifo"))) {
			WANT_PATH_KEY(fp, w, path, "fifo");
			if ((r = want_bool(w, it, fp, &cfg.fifo)) < 0)
				return r;
		}
		if ((it = cJSON_GetObjectItemCaseSensitive(j, "min_interval"))) {
			WANT_PATH_KEY(mp, w, path, "min_interval");
			if ((r = want_duration(w, it, mp, &cfg.min_interval_usec)) < 0)
				return r;
			if (cfg.min_interval_usec > PRESSURE_MIN_INTERVAL_MAX_USEC)
				return want_fail(w, mp, "must be at most 1h");
		}
	}
	/* two handlers serving one path would be one server: they must agree on what it is */
	for (size_t i = 0; c->p->handlers && &c->p->handlers[i] < h; i++) {
		const struct handler *o = &c->p->handlers[i];
		if (o->action == ACTION_PRESSURE_WATCH && o->pressure_watch.path &&
		    strcmp(o->pressure_watch.path, p) == 0 && o->pressure_watch.fifo != cfg.fifo)
			return want_fail(w, pp, "is %s in %s", o->pressure_watch.fifo ? "a FIFO" : "a socket",
			                 o->path);
	}
	if (!(cfg.path = strdup(p)))
		return want_oom(w);
	h->pressure_watch = cfg;
	return 0;
}

/* "socket /run/memhook/pressure.sock (at most every 2s)" */
static void pressure_watch_describe(const struct handler *h, FILE *out)
{
	char buf[32];
	fprintf(out, "%s %s (at most every %s)", h->pressure_watch.fifo ? "FIFO" : "socket",
	        h->pressure_watch.path,
	        units_format_duration(h->pressure_watch.min_interval_usec, buf, sizeof(buf)));
}

const struct action_ops action_schema_pressure_watch = {
	.name = "pressure_watch",
	.parse = pressure_watch_parse,
	.describe = pressure_watch_describe,
};
