/* The policy document: JSON -> validated, read-only structures (levels here; conditions in
 * lib/policy/condition.c, handlers in lib/policy/handler.c), loading it from a file, freeing it, and checking
 * it against the target's cgroup version. Every error is "<json path>: <reason>"; policy_load puts
 * the file and the line and column of the path's key before it when the text has it. */
#include "policy/policy.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/action.h"
#include "policy/condition.h"
#include "policy/policy_parse.h"
#include "base/json_locate.h"
#include "base/units.h"
#include "base/util.h"

/* ---- levels ---- */

/* Reads the level's optional hysteresis duration key (0..HYSTERESIS_MAX_USEC) into ret. */
static int parse_hold(struct want_ctx *w, const cJSON *level, const char *lp, const char *key, uint64_t *ret)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(level, key);
	int r;
	if (!it)
		return 0;
	WANT_PATH_KEY(kp, w, lp, key);
	if ((r = want_duration(w, it, kp, ret)) < 0)
		return r;
	if (*ret > HYSTERESIS_MAX_USEC)
		return want_fail(w, kp, "must be at most 24h");
	return 0;
}

static int parse_levels(struct policy_ctx *c, const cJSON *j)
{
	static const char *const keys[] = { "name", "when", "for", "clear_for", "clear_when", NULL };
	struct want_ctx *w = &c->w;
	struct policy *p = c->p;
	int r;

	if (!j)
		return want_fail(w, "levels", "is required");
	if (!cJSON_IsArray(j))
		return want_fail(w, "levels", "must be an array");
	int n = cJSON_GetArraySize(j);
	if (n <= 0)
		return want_fail(w, "levels", "must not be empty");
	if (n > POLICY_MAX_LEVELS)
		return want_fail(w, "levels", "has %d levels; at most %d", n, POLICY_MAX_LEVELS);
	p->levels = calloc((size_t)n, sizeof(*p->levels));
	if (!p->levels)
		return want_oom(w);
	p->n_levels = (size_t)n;

	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		struct level *l = &p->levels[i];
		WANT_PATH_INDEX(lp, w, "levels", i);
		if ((r = want_object(w, it, lp)) < 0 || (r = want_keys(w, it, lp, keys, "unknown key")) < 0)
			return r;

		const cJSON *name;
		WANT_REQUIRED_KEY(np, name, w, it, lp, "name");
		if ((r = want_dup_string(w, name, np, &l->name)) < 0)
			return r;
		if ((r = want_max_chars(w, l->name, np, POLICY_NAME_MAX_CHARS)) < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->levels[k].name, l->name) == 0)
				return want_fail(w, np, "duplicate level name \"%.64s\" (also levels[%zu])",
				                 l->name, k);

		const cJSON *when;
		WANT_REQUIRED_KEY(wp, when, w, it, lp, "when");
		if ((r = condition_parse(c, when, wp, &l->when)) < 0)
			return r;

		if ((r = parse_hold(w, it, lp, "for", &l->for_usec)) < 0 ||
		    (r = parse_hold(w, it, lp, "clear_for", &l->clear_for_usec)) < 0)
			return r;
		const cJSON *clear = cJSON_GetObjectItemCaseSensitive(it, "clear_when");
		if (clear) {
			WANT_PATH_KEY(cp, w, lp, "clear_when");
			l->has_clear_when = true; /* before parsing: a half-parsed tree is freed too */
			if ((r = condition_parse(c, clear, cp, &l->clear_when)) < 0)
				return r;
		}
		if (l->for_usec || l->clear_for_usec || l->has_clear_when)
			p->has_hysteresis = true;
	}
	return 0;
}

/* ---- the document ---- */

/* The first \u escape in JSON text (only strings hold escapes) that cJSON reads as U+0000, or NULL:
 * \u0000, and a \u without four hex digits after it (cJSON 1.7's parse_hex4 reads a bad digit as
 * 0: "/bin/true\uZZZZx" is "/bin/true"); *ret_nul tells which. A backslash escapes the character
 * after it, so "\\u0000" (an escaped backslash, then "u0000") is no escape. */
static const char *find_nul_escape(const char *buf, size_t len, bool *ret_nul)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\\')
			continue;
		if (i + 1 < len && buf[i + 1] == 'u') {
			bool hex = i + 5 < len;
			for (size_t k = 2; hex && k <= 5; k++)
				hex = isxdigit((unsigned char)buf[i + k]);
			if (!hex || memcmp(buf + i + 2, "0000", 4) == 0) {
				*ret_nul = hex;
				return buf + i;
			}
		}
		i++; /* skip the escaped character */
	}
	return NULL;
}

/* Line and column (from 1) of pos in buf. */
static void line_col(const char *buf, const char *pos, unsigned *ret_line, unsigned *ret_col)
{
	unsigned line = 1, col = 1;
	for (const char *s = buf; s < pos; s++) {
		if (*s == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	*ret_line = line;
	*ret_col = col;
}

static int parse_root(struct policy_ctx *c, const cJSON *root)
{
	static const char *const keys[] = {
		"check_interval", "min_interval", "assume_growth", "maximum_available", "log_transitions",
		"levels",         "handlers",     "usage",         "tripwire",          NULL
	};
	struct want_ctx *w = &c->w;
	struct policy *p = c->p;
	const cJSON *it;
	int r;

	if (!cJSON_IsObject(root))
		return want_fail(w, "policy", "must be a JSON object");
	if ((r = want_keys(w, root, "", keys, "unknown key")) < 0)
		return r;

	if ((it = cJSON_GetObjectItemCaseSensitive(root, "check_interval"))) {
		if ((r = want_duration(w, it, "check_interval", &p->check_interval_usec)) < 0)
			return r;
		if (p->check_interval_usec < CHECK_INTERVAL_MIN_USEC)
			return want_fail(w, "check_interval", "must be at least 10ms");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "min_interval"))) {
		if ((r = want_duration(w, it, "min_interval", &p->min_interval_usec)) < 0)
			return r;
		if (p->min_interval_usec < MIN_INTERVAL_MIN_USEC)
			return want_fail(w, "min_interval", "must be at least 1ms");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "assume_growth")))
		if ((r = want_rate(w, it, "assume_growth", &p->assume_growth_bytes_per_sec)) < 0)
			return r;
	if (p->min_interval_usec > p->check_interval_usec) {
		char min[32], max[32];
		units_format_duration(p->min_interval_usec, min, sizeof(min));
		units_format_duration(p->check_interval_usec, max, sizeof(max));
		return want_fail(w, "min_interval", "%s is longer than check_interval (%s)", min, max);
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "maximum_available"))) {
		if (!(cJSON_IsString(it) && strcmp(it->valuestring, "auto") == 0)) {
			if ((r = want_size(w, it, "maximum_available", &p->maximum_available_bytes)) < 0)
				return r;
			if (p->maximum_available_bytes == 0)
				return want_fail(w, "maximum_available",
				                 "must be greater than 0 (or \"auto\")");
		}
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "log_transitions")))
		if ((r = want_bool(w, it, "log_transitions", &p->log_transitions)) < 0)
			return r;
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "tripwire"))) {
		bool on = true;
		if ((r = want_bool(w, it, "tripwire", &on)) < 0)
			return r;
		p->tripwire_off = !on;
	}

	/* Before the levels: a local condition without its own usage takes this one. */
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "usage")))
		if ((r = want_usage_kind(w, it, "usage", &p->usage)) < 0)
			return r;
	if (p->usage != USAGE_CURRENT)
		p->needs_stat = true;

	if ((r = parse_levels(c, cJSON_GetObjectItemCaseSensitive(root, "levels"))) < 0)
		return r;
	return handler_parse_all(c, cJSON_GetObjectItemCaseSensitive(root, "handlers"));
}

/* Frees what the context's want_ctx kept (the path of an error). */
static void policy_ctx_done(struct policy_ctx *c)
{
	want_ctx_done(&c->w);
}

int policy_parse_at(const char *json, size_t len, struct policy **ret, char *err, size_t err_size,
                    unsigned *ret_line, unsigned *ret_col)
{
	_cleanup_(policy_ctx_done) struct policy_ctx c = { .w = { .err = err, .err_size = err_size } };

	*ret_line = *ret_col = 0;

	if (err && err_size)
		err[0] = '\0';
	if (!json || !ret)
		return want_fail(&c.w, "policy", "no input");
	const char *nul = memchr(json, '\0', len);
	if (nul)
		return want_fail(&c.w, "policy", "contains a NUL byte at offset %zu", (size_t)(nul - json));

	/* cJSON's require_null_terminated needs the NUL inside the length it is given. */
	_cleanup_free_ char *buf = malloc(len + 1);
	if (!buf)
		return want_oom(&c.w);
	memcpy(buf, json, len);
	buf[len] = '\0';
	const char *end = NULL;
	_cleanup_cjson_ cJSON *root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, true);
	if (!root) {
		unsigned line, col;
		if (!end || end < buf || end > buf + len)
			end = buf + len;
		line_col(buf, end, &line, &col);
		return want_fail(&c.w, "policy", "invalid JSON near line %u column %u", line, col);
	}
	/* JSON text is UTF-8 (RFC 8259 8.1), but cJSON copies any byte inside a string: a level name
	 * with 0xff would make the status file, the payload and the logs invalid JSON. Outside
	 * strings, cJSON has already refused any byte that is not ASCII. */
	const char *bad = want_utf8_invalid(buf, len);
	if (bad) {
		unsigned line, col;
		line_col(buf, bad, &line, &col);
		return want_fail(&c.w, "policy",
		                 "invalid UTF-8 at line %u column %u (byte 0x%02x); a policy is UTF-8 text",
		                 line, col, (unsigned char)*bad);
	}
	/* cJSON ends a string at an escaped NUL: "/bin/true\u0000x" (or "\uZZZZx") would run /bin/true. */
	bool is_nul = false;
	const char *esc = find_nul_escape(buf, len, &is_nul);
	if (esc) {
		unsigned line, col;
		line_col(buf, esc, &line, &col);
		if (!is_nul)
			return want_fail(&c.w, "policy",
			                 "a string at line %u column %u holds a \\u escape without four hex "
			                 "digits (read as NUL); no name, path or value may contain it",
			                 line, col);
		return want_fail(&c.w, "policy",
		                 "a string at line %u column %u holds \\u0000 (NUL); no name, path or value "
		                 "may contain it",
		                 line, col);
	}

	struct policy *p = calloc(1, sizeof(*p));
	if (!p)
		return want_oom(&c.w);
	p->check_interval_usec = CHECK_INTERVAL_DEFAULT_USEC;
	p->min_interval_usec = MIN_INTERVAL_DEFAULT_USEC;
	p->log_transitions = true;
	p->usage = USAGE_DEFAULT;
	c.p = p;
	int r = parse_root(&c, root);
	if (r < 0) {
		size_t off;
		policy_free(p);
		if (r == -EINVAL && c.w.fail_path &&
		    json_locate(buf, len, c.w.fail_path, c.w.fail_nth, &off) == 0)
			line_col(buf, buf + off, ret_line, ret_col);
		return r;
	}
	*ret = p;
	return 0;
}

int policy_parse(const char *json, size_t len, struct policy **ret, char *err, size_t err_size)
{
	unsigned line, col;
	return policy_parse_at(json, len, ret, err, err_size, &line, &col);
}

/* Opens path for reading without waiting on it: O_NONBLOCK, so a FIFO (or a device) neither
 * blocks open() until a writer comes nor a read; then only a regular file is kept. Returns the fd,
 * -EISDIR or -EBADFD (not a regular file), or -errno. */
static int open_regular(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
	return TAKE_FD(fd);
}

int policy_load(const char *path, struct policy **ret, char *err, size_t err_size)
{
	char inner[512];

	if (err && err_size)
		err[0] = '\0';
	_cleanup_close_ int fd = open_regular(path);
	if (fd == -EISDIR || fd == -EBADFD) {
		if (err && err_size)
			snprintf(err, err_size, "%s: not a regular file", path);
		return fd;
	}
	if (fd < 0) {
		if (err && err_size)
			snprintf(err, err_size, "%s: cannot open: %s", path, strerror(-fd));
		return fd;
	}
	_cleanup_free_ char *buf = malloc(POLICY_FILE_MAX_BYTES + 1);
	if (!buf) {
		if (err && err_size)
			snprintf(err, err_size, "%s: out of memory", path);
		return -ENOMEM;
	}
	ssize_t n = pread_all(fd, buf, POLICY_FILE_MAX_BYTES + 1);
	if (n == -EFBIG) {
		if (err && err_size)
			snprintf(err, err_size, "%s: larger than 1 MiB", path);
		return -EFBIG;
	}
	if (n < 0) {
		if (err && err_size)
			snprintf(err, err_size, "%s: cannot read: %s", path, strerror((int)-n));
		return (int)n;
	}
	unsigned line, col;
	int r = policy_parse_at(buf, (size_t)n, ret, inner, sizeof(inner), &line, &col);
	if (r < 0 && err && err_size) {
		if (line)
			snprintf(err, err_size, "%s:%u:%u: %s", path, line, col, inner);
		else
			snprintf(err, err_size, "%s: %s", path, inner);
	}
	return r;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_levels; i++) {
		free(p->levels[i].name);
		condition_free(&p->levels[i].when);
		if (p->levels[i].has_clear_when)
			condition_free(&p->levels[i].clear_when);
	}
	free(p->levels);
	for (size_t i = 0; i < p->n_handlers; i++) {
		struct handler *h = &p->handlers[i];
		free(h->path);
		free(h->webhook.url);
		free(h->webhook.url_log);
		strv_free(h->webhook.headers);
		free(h->webhook.secret_file);
		free(h->webhook.secret_env);
		free(h->webhook.signature_header);
		strv_free(h->exec.argv);
		free(h->pressure_watch.path);
	}
	free(p->handlers);
	for (size_t i = 0; i < p->n_probes; i++)
		strv_free(p->probes[i].argv);
	free(p->probes);
	free(p);
}

/* ---- the target ---- */

/* "<path>.<key>: needs cgroup v2 memory.<file>; the target is cgroup v1". Returns -EINVAL. */
static int fail_needs_v2(struct want_ctx *w, const char *path, const char *key, const char *file)
{
	WANT_PATH_KEY(kp, w, path, key);
	return want_fail(w, kp, "needs cgroup v2 memory.%s; the target is cgroup v1", file);
}

int policy_check_target(const struct policy *p, int cgroup_version, char *err, size_t err_size)
{
	_cleanup_(want_ctx_done) struct want_ctx w = { .err = err, .err_size = err_size };

	if (err && err_size)
		err[0] = '\0';
	if (cgroup_version != 1 && cgroup_version != 2)
		return want_fail(&w, "policy", "unknown cgroup version %d", cgroup_version);
	if (cgroup_version == 2)
		return 0;
	for (size_t i = 0; i < p->n_levels; i++) {
		const struct level *l = &p->levels[i];
		const struct condition *f = condition_find_v2(&l->when);
		if (!f && l->has_clear_when)
			f = condition_find_v2(&l->clear_when);
		if (f)
			return fail_needs_v2(&w, f->path, cond_kind_name(f->kind),
			                     condition_ops(f->kind)->v2_file);
	}
	for (size_t i = 0; i < p->n_handlers; i++) {
		const struct handler *h = &p->handlers[i];
		const struct action_ops *ops = action_ops(h->action);
		if (ops->v2_file)
			return fail_needs_v2(&w, h->path, action_kind_name(h->action), ops->v2_file);
	}
	return 0;
}

int policy_add_webhook(struct policy *p, const char *url, char *err, size_t err_size)
{
	_cleanup_(policy_ctx_done) struct policy_ctx c = { .w = { .err = err, .err_size = err_size },
		                                           .p = p };
	size_t n_events = 0;

	if (err && err_size)
		err[0] = '\0';
	for (int k = 0; k < EVENT_KINDS; k++)
		n_events += event_kinds[k].webhook;
	struct handler *hs = realloc(p->handlers, (p->n_handlers + n_events) * sizeof(*hs));
	if (!hs)
		return want_oom(&c.w);
	p->handlers = hs;
	for (int k = 0; k < EVENT_KINDS; k++) {
		if (!event_kinds[k].webhook)
			continue;
		_cleanup_cjson_ cJSON *j = cJSON_CreateObject();
		cJSON *wh = j ? cJSON_AddObjectToObject(j, "webhook") : NULL;
		if (!wh || !cJSON_AddStringToObject(j, "on", event_kinds[k].name) ||
		    !cJSON_AddStringToObject(wh, "url", url))
			return want_oom(&c.w);
		struct handler *h = &p->handlers[p->n_handlers++];
		memset(h, 0, sizeof(*h));
		int r = handler_parse(&c, j, "--webhook", h);
		if (r < 0)
			return r;
	}
	return 0;
}

const char *policy_level_name(const struct policy *p, int level)
{
	if (level <= 0)
		return "normal";
	if ((size_t)level > p->n_levels)
		return "?";
	return p->levels[level - 1].name;
}
