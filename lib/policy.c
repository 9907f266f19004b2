/* The policy: JSON -> validated, read-only structures; describing them; checking them against the
 * target's cgroup version. Every error is "<json path>: <reason>". */
#include "policy.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"
#include "util.h"

#define POLICY_FILE_MAX_BYTES   (UINT64_C(1) << 20)  /* a policy is a few KiB; 1 MiB is plenty */
#define CHECK_INTERVAL_MIN_USEC (10 * USEC_PER_MSEC) /* below 10 ms the checks themselves dominate */
#define JSON_INTEGER_MAX        9007199254740992.0   /* 2^53: larger numbers lose precision */
#define WEBHOOK_RETRIES_MAX     10

struct ctx {
	struct policy *p;
	char *err;
	size_t err_size;
	size_t probes_cap;
};

static void cjson_deletep(cJSON **j)
{
	if (*j)
		cJSON_Delete(*j);
}
#define _cleanup_cjson_ _cleanup_(cjson_deletep)

/* Writes "path: reason" into err, control characters replaced by '?'. Returns -EINVAL. */
_printf_(3, 4) static int fail(struct ctx *c, const char *path, const char *fmt, ...)
{
	if (!c->err || c->err_size == 0)
		return -EINVAL;
	int n = snprintf(c->err, c->err_size, "%s: ", path && *path ? path : "policy");
	if (n >= 0 && (size_t)n < c->err_size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	for (char *s = c->err; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	return -EINVAL;
}

static int oom(struct ctx *c)
{
	if (c->err && c->err_size)
		snprintf(c->err, c->err_size, "policy: out of memory");
	return -ENOMEM;
}

/* "base.key" (or "key" at the root); NULL when out of memory. */
static char *path_key(const char *base, const char *key)
{
	char *s;
	if (asprintf(&s, "%s%s%s", base, *base ? "." : "", key) < 0)
		return NULL;
	return s;
}

/* "base[i]"; NULL when out of memory. */
static char *path_index(const char *base, size_t i)
{
	char *s;
	if (asprintf(&s, "%s[%zu]", base, i) < 0)
		return NULL;
	return s;
}

#define PATH_KEY(var, base, key)                        \
	_cleanup_free_ char *var = path_key(base, key); \
	if (!var)                                       \
	return oom(c)

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Fails on a key not in allowed ("unknown_msg") and on a key given twice. */
static int check_keys(struct ctx *c, const cJSON *obj, const char *path, const char *const *allowed,
                      const char *unknown_msg)
{
	for (const cJSON *it = obj->child; it; it = it->next) {
		if (!in_list(it->string, allowed)) {
			PATH_KEY(kp, path, it->string);
			return fail(c, kp, "%s", unknown_msg);
		}
		for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
			if (strcmp(prev->string, it->string) == 0) {
				PATH_KEY(kp, path, it->string);
				return fail(c, kp, "duplicate key");
			}
	}
	return 0;
}

static int want_object(struct ctx *c, const cJSON *it, const char *path)
{
	return cJSON_IsObject(it) ? 0 : fail(c, path, "must be an object");
}

static int want_string(struct ctx *c, const cJSON *it, const char *path, const char **ret)
{
	if (!cJSON_IsString(it) || !it->valuestring)
		return fail(c, path, "must be a string");
	*ret = it->valuestring;
	return 0;
}

static int want_nonempty_string(struct ctx *c, const cJSON *it, const char *path, const char **ret)
{
	const char *s = NULL;
	int r = want_string(c, it, path, &s);
	if (r < 0)
		return r;
	if (!*s)
		return fail(c, path, "must not be empty");
	*ret = s;
	return 0;
}

static int want_dup_string(struct ctx *c, const cJSON *it, const char *path, char **ret)
{
	const char *s = NULL;
	int r = want_nonempty_string(c, it, path, &s);
	if (r < 0)
		return r;
	char *d = strdup(s);
	if (!d)
		return oom(c);
	free(*ret);
	*ret = d;
	return 0;
}

static int want_bool(struct ctx *c, const cJSON *it, const char *path, bool *ret)
{
	if (!cJSON_IsBool(it))
		return fail(c, path, "must be true or false");
	*ret = cJSON_IsTrue(it);
	return 0;
}

/* A JSON number that is a whole number of magnitude at most 2^53. */
static int want_integer(struct ctx *c, const cJSON *it, const char *path, long long *ret)
{
	if (!cJSON_IsNumber(it))
		return fail(c, path, "must be an integer");
	double d = it->valuedouble;
	if (!(d >= -JSON_INTEGER_MAX && d <= JSON_INTEGER_MAX) || (double)(long long)d != d)
		return fail(c, path, "must be an integer");
	*ret = (long long)d;
	return 0;
}

static int want_percent(struct ctx *c, const cJSON *it, const char *path, double *ret)
{
	if (!cJSON_IsNumber(it))
		return fail(c, path, "must be a number");
	double d = it->valuedouble;
	if (!(d >= 0.0 && d <= 100.0))
		return fail(c, path, "must be between 0 and 100");
	*ret = d;
	return 0;
}

/* A size: a whole JSON number of bytes, or a string "64Mi". */
static int want_size(struct ctx *c, const cJSON *it, const char *path, uint64_t *ret)
{
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;
		if (!(d >= 0.0))
			return fail(c, path, "must not be negative");
		if (!(d <= JSON_INTEGER_MAX))
			return fail(c, path, "too large for a JSON number; use a string like \"8Ti\"");
		if ((double)(uint64_t)d != d)
			return fail(c, path, "must be a whole number of bytes");
		*ret = (uint64_t)d;
		return 0;
	}
	if (!cJSON_IsString(it))
		return fail(c, path, "must be a size (a number of bytes or a string like \"64Mi\")");
	int r = units_parse_size(it->valuestring, ret);
	if (r == -ERANGE)
		return fail(c, path, "size \"%.64s\" is too large", it->valuestring);
	if (r < 0)
		return fail(c, path,
		            "invalid size \"%.64s\" (expected a whole number with an optional suffix "
		            "K, Ki, M, Mi, G, Gi, T, Ti)",
		            it->valuestring);
	return 0;
}

static int want_duration(struct ctx *c, const cJSON *it, const char *path, uint64_t *ret)
{
	if (!cJSON_IsString(it))
		return fail(c, path, "must be a duration string like \"10s\"");
	int r = units_parse_duration(it->valuestring, ret);
	if (r == -ERANGE)
		return fail(c, path, "duration \"%.64s\" is too large", it->valuestring);
	if (r < 0)
		return fail(c, path,
		            "invalid duration \"%.64s\" (expected a whole number with a unit: us, ms, s, "
		            "m, h)",
		            it->valuestring);
	return 0;
}

static int want_positive_duration(struct ctx *c, const cJSON *it, const char *path, uint64_t *ret)
{
	uint64_t v = 0;
	int r = want_duration(c, it, path, &v);
	if (r < 0)
		return r;
	if (v == 0)
		return fail(c, path, "must be greater than 0");
	*ret = v;
	return 0;
}

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

/* A non-empty array of strings, the first an absolute path: a command run without a shell. */
static int want_argv(struct ctx *c, const cJSON *it, const char *path, char ***ret)
{
	if (!cJSON_IsArray(it))
		return fail(c, path, "must be an array of strings (an absolute path, then arguments)");
	int n = cJSON_GetArraySize(it);
	if (n <= 0)
		return fail(c, path, "must not be empty");
	char **argv = calloc((size_t)n + 1, sizeof(char *));
	if (!argv)
		return oom(c);
	size_t i = 0;
	int r = 0;
	for (const cJSON *a = it->child; a; a = a->next, i++) {
		_cleanup_free_ char *ip = path_index(path, i);
		if (!ip) {
			r = oom(c);
			break;
		}
		if (!cJSON_IsString(a) || !a->valuestring) {
			r = fail(c, ip, "must be a string");
			break;
		}
		if (i == 0 && a->valuestring[0] != '/') {
			r = fail(c, ip, "must be an absolute path, got \"%.64s\"", a->valuestring);
			break;
		}
		argv[i] = strdup(a->valuestring);
		if (!argv[i]) {
			r = oom(c);
			break;
		}
	}
	if (r < 0) {
		strv_free(argv);
		return r;
	}
	*ret = argv;
	return 0;
}

/* ---- conditions ---- */

static const char *const condition_keys[] = {
	"global_absolute",
	"global_relative",
	"local_absolute",
	"local_relative",
	"custom",
	"all",
	"any",
	"not",
	"pressure",
	"events",
	NULL,
};

static int parse_condition(struct ctx *c, const cJSON *j, const char *path, struct condition *cond);

static int add_probe(struct ctx *c, struct condition *cond, char **argv)
{
	struct policy *p = c->p;
	if (p->n_probes == c->probes_cap) {
		size_t cap = c->probes_cap ? c->probes_cap * 2 : 4;
		struct probe *n = reallocarray(p->probes, cap, sizeof(*n));
		if (!n) {
			strv_free(argv);
			return oom(c);
		}
		p->probes = n;
		c->probes_cap = cap;
	}
	cond->probe = p->n_probes;
	p->probes[p->n_probes++] = (struct probe){
		.argv = argv,
		.timeout_usec = USEC_PER_SEC,
		.path = cond->path,
	};
	return 0;
}

static int parse_custom(struct ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "command", "timeout", NULL };
	int r;

	if ((r = want_object(c, j, path)) < 0 || (r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;
	PATH_KEY(cp, path, "command");
	const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(j, "command");
	if (!cmd)
		return fail(c, cp, "is required");
	char **argv = NULL;
	if ((r = want_argv(c, cmd, cp, &argv)) < 0)
		return r;
	if ((r = add_probe(c, cond, argv)) < 0)
		return r;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "timeout");
	if (t) {
		PATH_KEY(tp, path, "timeout");
		return want_positive_duration(c, t, tp, &c->p->probes[cond->probe].timeout_usec);
	}
	return 0;
}

static int parse_pressure(struct ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "kind", "window", "above", NULL };
	const cJSON *it;
	const char *s = NULL;
	int r;

	if ((r = want_object(c, j, path)) < 0 || (r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;
	cond->psi_kind = PSI_SOME;
	cond->psi_window = PSI_AVG10;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "kind"))) {
		PATH_KEY(kp, path, "kind");
		if ((r = want_string(c, it, kp, &s)) < 0)
			return r;
		int k = psi_kind_from_name(s);
		if (k < 0)
			return fail(c, kp, "must be \"some\" or \"full\"");
		cond->psi_kind = (enum psi_kind)k;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "window"))) {
		PATH_KEY(wp, path, "window");
		if ((r = want_string(c, it, wp, &s)) < 0)
			return r;
		int w = psi_window_from_name(s);
		if (w < 0)
			return fail(c, wp, "must be \"avg10\", \"avg60\" or \"avg300\"");
		cond->psi_window = (enum psi_window)w;
	}
	PATH_KEY(ap, path, "above");
	if (!(it = cJSON_GetObjectItemCaseSensitive(j, "above")))
		return fail(c, ap, "is required");
	return want_percent(c, it, ap, &cond->percent);
}

static int want_memevent(struct ctx *c, const cJSON *it, const char *path, enum memevent *ret)
{
	const char *s = NULL;
	int r = want_string(c, it, path, &s);
	if (r < 0)
		return r;
	int e = memevent_from_name(s);
	if (e < 0)
		return fail(c, path,
		            "unknown memory event \"%.64s\" (expected low, high, max, oom or oom_kill)", s);
	*ret = (enum memevent)e;
	return 0;
}

static int parse_events(struct ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	static const char *const keys[] = { "counter", "increased_by", NULL };
	const cJSON *it;
	int r;

	cond->increased_by = 1;
	if (cJSON_IsString(j))
		return want_memevent(c, j, path, &cond->memevent);
	if (!cJSON_IsObject(j))
		return fail(c, path, "must be an event name or an object");
	if ((r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;
	PATH_KEY(cp, path, "counter");
	if (!(it = cJSON_GetObjectItemCaseSensitive(j, "counter")))
		return fail(c, cp, "is required");
	if ((r = want_memevent(c, it, cp, &cond->memevent)) < 0)
		return r;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "increased_by"))) {
		PATH_KEY(ip, path, "increased_by");
		long long n = 0;
		if ((r = want_integer(c, it, ip, &n)) < 0)
			return r;
		if (n < 1)
			return fail(c, ip, "must be at least 1");
		cond->increased_by = (uint64_t)n;
	}
	return 0;
}

static int parse_children(struct ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	if (!cJSON_IsArray(j))
		return fail(c, path, "must be an array of conditions");
	int n = cJSON_GetArraySize(j);
	if (n <= 0)
		return fail(c, path, "must not be empty");
	cond->children = calloc((size_t)n, sizeof(*cond->children));
	if (!cond->children)
		return oom(c);
	cond->n_children = (size_t)n;
	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		_cleanup_free_ char *ip = path_index(path, i);
		if (!ip)
			return oom(c);
		int r = parse_condition(c, it, ip, &cond->children[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Parses one condition object into cond (zeroed storage owned by the policy tree, so a failure
 * half-way leaves something policy_free can free). */
static int parse_condition(struct ctx *c, const cJSON *j, const char *path, struct condition *cond)
{
	int r;

	cond->path = strdup(path);
	if (!cond->path)
		return oom(c);
	if ((r = want_object(c, j, path)) < 0 ||
	    (r = check_keys(c, j, path, condition_keys, "unknown condition")) < 0)
		return r;
	int n = cJSON_GetArraySize(j);
	if (n == 0)
		return fail(c, path, "must hold one condition (e.g. \"local_relative\")");
	if (n > 1)
		return fail(c, path, "holds %d conditions (%s, %s); combine several with \"all\" or \"any\"",
		            n, j->child->string, j->child->next->string);

	const cJSON *v = j->child;
	const char *key = v->string;
	PATH_KEY(kp, path, key);
	if (strcmp(key, "global_absolute") == 0) {
		cond->kind = COND_GLOBAL_ABSOLUTE;
		return want_size(c, v, kp, &cond->bytes);
	}
	if (strcmp(key, "local_absolute") == 0) {
		cond->kind = COND_LOCAL_ABSOLUTE;
		return want_size(c, v, kp, &cond->bytes);
	}
	if (strcmp(key, "global_relative") == 0) {
		cond->kind = COND_GLOBAL_RELATIVE;
		return want_percent(c, v, kp, &cond->percent);
	}
	if (strcmp(key, "local_relative") == 0) {
		cond->kind = COND_LOCAL_RELATIVE;
		return want_percent(c, v, kp, &cond->percent);
	}
	if (strcmp(key, "custom") == 0) {
		cond->kind = COND_CUSTOM;
		return parse_custom(c, v, kp, cond);
	}
	if (strcmp(key, "all") == 0 || strcmp(key, "any") == 0) {
		cond->kind = key[1] == 'l' ? COND_ALL : COND_ANY;
		return parse_children(c, v, kp, cond);
	}
	if (strcmp(key, "not") == 0) {
		cond->kind = COND_NOT;
		cond->children = calloc(1, sizeof(*cond->children));
		if (!cond->children)
			return oom(c);
		cond->n_children = 1;
		return parse_condition(c, v, kp, &cond->children[0]);
	}
	if (strcmp(key, "pressure") == 0) {
		cond->kind = COND_PRESSURE;
		c->p->needs_v2 = true;
		return parse_pressure(c, v, kp, cond);
	}
	/* check_keys() left only "events" */
	cond->kind = COND_EVENTS;
	c->p->needs_v2 = true;
	return parse_events(c, v, kp, cond);
}

/* ---- levels ---- */

static int parse_levels(struct ctx *c, const cJSON *j)
{
	static const char *const keys[] = { "name", "when", NULL };
	struct policy *p = c->p;
	int r;

	if (!j)
		return fail(c, "levels", "is required");
	if (!cJSON_IsArray(j))
		return fail(c, "levels", "must be an array");
	int n = cJSON_GetArraySize(j);
	if (n <= 0)
		return fail(c, "levels", "must not be empty");
	if (n > POLICY_MAX_LEVELS)
		return fail(c, "levels", "has %d levels; at most %d", n, POLICY_MAX_LEVELS);
	p->levels = calloc((size_t)n, sizeof(*p->levels));
	if (!p->levels)
		return oom(c);
	p->n_levels = (size_t)n;

	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		struct level *l = &p->levels[i];
		_cleanup_free_ char *lp = path_index("levels", i);
		if (!lp)
			return oom(c);
		if ((r = want_object(c, it, lp)) < 0 || (r = check_keys(c, it, lp, keys, "unknown key")) < 0)
			return r;

		PATH_KEY(np, lp, "name");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (!name)
			return fail(c, np, "is required");
		if ((r = want_dup_string(c, name, np, &l->name)) < 0)
			return r;
		for (size_t k = 0; k < i; k++)
			if (strcmp(p->levels[k].name, l->name) == 0)
				return fail(c, np, "duplicate level name \"%.64s\" (also levels[%zu])",
				            l->name, k);

		PATH_KEY(wp, lp, "when");
		const cJSON *when = cJSON_GetObjectItemCaseSensitive(it, "when");
		if (!when)
			return fail(c, wp, "is required");
		if ((r = parse_condition(c, when, wp, &l->when)) < 0)
			return r;
	}
	return 0;
}

/* ---- handlers ---- */

/* RFC 9110 token: the characters allowed in a header name. */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", *s)))
			return false;
	return true;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static bool is_env_name(const char *s)
{
	if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') || ('0' <= *s && *s <= '9') ||
		      *s == '_'))
			return false;
	return true;
}

static int parse_headers(struct ctx *c, const cJSON *j, const char *path, char ***ret)
{
	int r;

	if ((r = want_object(c, j, path)) < 0)
		return r;
	int n = cJSON_GetArraySize(j);
	char **h = calloc((size_t)n + 1, sizeof(char *));
	if (!h)
		return oom(c);
	*ret = h; /* owned by the policy from here on */
	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		PATH_KEY(hp, path, it->string);
		for (const cJSON *prev = j->child; prev != it; prev = prev->next)
			if (strcasecmp(prev->string, it->string) == 0)
				return fail(c, hp, "duplicate header");
		if (!is_token(it->string))
			return fail(c, hp, "invalid header name");
		if (!cJSON_IsString(it) || !it->valuestring)
			return fail(c, hp, "must be a string");
		if (has_ctl(it->valuestring))
			return fail(c, hp, "must not contain control characters");
		if (asprintf(&h[i], "%s: %s", it->string, it->valuestring) < 0) {
			h[i] = NULL;
			return oom(c);
		}
	}
	return 0;
}

static int parse_webhook(struct ctx *c, const cJSON *j, const char *path, struct webhook_cfg *w)
{
	static const char *const keys[] = { "url",        "timeout",     "headers",    "retries",
		                            "backoff",    "secret_file", "secret_env", "signature_header",
		                            "tls_verify", NULL };
	const cJSON *it;
	int r;

	w->timeout_usec = 5 * USEC_PER_SEC;
	w->retries = 3;
	w->backoff_usec = 500 * USEC_PER_MSEC;
	w->tls_verify = true;
	w->signature_header = strdup("X-Memhook-Signature");
	if (!w->signature_header)
		return oom(c);
	if ((r = want_object(c, j, path)) < 0 || (r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;

	PATH_KEY(up, path, "url");
	if (!(it = cJSON_GetObjectItemCaseSensitive(j, "url")))
		return fail(c, up, "is required");
	if ((r = want_dup_string(c, it, up, &w->url)) < 0)
		return r;
	size_t scheme = strncasecmp(w->url, "http://", 7) == 0    ? 7
	                : strncasecmp(w->url, "https://", 8) == 0 ? 8
	                                                          : 0;
	if (scheme == 0)
		return fail(c, up, "must start with http:// or https://");
	if (w->url[scheme] == '\0' || w->url[scheme] == '/')
		return fail(c, up, "has no host");
	for (const char *s = w->url; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			return fail(c, up, "must not contain spaces or control characters");

	if ((it = cJSON_GetObjectItemCaseSensitive(j, "timeout"))) {
		PATH_KEY(tp, path, "timeout");
		if ((r = want_positive_duration(c, it, tp, &w->timeout_usec)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "headers"))) {
		PATH_KEY(hp, path, "headers");
		if ((r = parse_headers(c, it, hp, &w->headers)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "retries"))) {
		PATH_KEY(rp, path, "retries");
		long long n = 0;
		if ((r = want_integer(c, it, rp, &n)) < 0)
			return r;
		if (n < 0 || n > WEBHOOK_RETRIES_MAX)
			return fail(c, rp, "must be between 0 and %d", WEBHOOK_RETRIES_MAX);
		w->retries = (unsigned)n;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "backoff"))) {
		PATH_KEY(bp, path, "backoff");
		if ((r = want_duration(c, it, bp, &w->backoff_usec)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "secret_file"))) {
		PATH_KEY(sp, path, "secret_file");
		if ((r = want_dup_string(c, it, sp, &w->secret_file)) < 0)
			return r;
		if (w->secret_file[0] != '/')
			return fail(c, sp, "must be an absolute path");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "secret_env"))) {
		PATH_KEY(sp, path, "secret_env");
		if (w->secret_file)
			return fail(c, sp, "cannot be combined with secret_file");
		if ((r = want_dup_string(c, it, sp, &w->secret_env)) < 0)
			return r;
		if (!is_env_name(w->secret_env))
			return fail(c, sp, "must be an environment variable name");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "signature_header"))) {
		PATH_KEY(sp, path, "signature_header");
		if ((r = want_dup_string(c, it, sp, &w->signature_header)) < 0)
			return r;
		if (!is_token(w->signature_header))
			return fail(c, sp, "invalid header name");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "tls_verify"))) {
		PATH_KEY(tp, path, "tls_verify");
		if ((r = want_bool(c, it, tp, &w->tls_verify)) < 0)
			return r;
	}
	return 0;
}

/* "SIGUSR1", "USR1" (any case) or a number 1..SIGRTMAX. */
static int want_signo(struct ctx *c, const cJSON *it, const char *path, int *ret)
{
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;
		if (!(d >= 1.0 && d <= (double)SIGRTMAX) || (double)(int)d != d)
			return fail(c, path, "unknown signal %g", d);
		*ret = (int)d;
		return 0;
	}
	if (!cJSON_IsString(it) || !it->valuestring)
		return fail(c, path, "must be a signal name or number");
	const char *name = it->valuestring;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (int s = 1; s < NSIG; s++) {
		const char *abbrev = sigabbrev_np(s);
		if (abbrev && *name && strcasecmp(name, abbrev) == 0) {
			*ret = s;
			return 0;
		}
	}
	return fail(c, path, "unknown signal \"%.32s\"", it->valuestring);
}

static int parse_signal(struct ctx *c, const cJSON *j, const char *path, struct signal_cfg *s)
{
	static const char *const keys[] = { "signal", "to", NULL };
	const cJSON *it;
	int r;

	if (!cJSON_IsObject(j))
		return want_signo(c, j, path, &s->signo);
	if ((r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;
	PATH_KEY(sp, path, "signal");
	if (!(it = cJSON_GetObjectItemCaseSensitive(j, "signal")))
		return fail(c, sp, "is required");
	if ((r = want_signo(c, it, sp, &s->signo)) < 0)
		return r;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "to"))) {
		PATH_KEY(tp, path, "to");
		const char *to = NULL;
		if ((r = want_string(c, it, tp, &to)) < 0)
			return r;
		if (strcmp(to, "main") == 0)
			s->whole_cgroup = false;
		else if (strcmp(to, "cgroup") == 0)
			s->whole_cgroup = true;
		else
			return fail(c, tp, "must be \"main\" or \"cgroup\"");
	}
	return 0;
}

/* "5%", "2.5%": digits, an optional fraction of at most 6 digits, '%'. Returns 0 or -EINVAL. */
static int parse_percent_string(const char *s, double *ret)
{
	const char *p = s, *end = s + strlen(s);
	uint64_t whole, frac = 0, scale = 1;

	if (units_parse_u64_cursor(&p, end, &whole) < 0 || whole > 1000)
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (scale >= 1000000)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	}
	if (strcmp(p, "%") != 0)
		return -EINVAL;
	*ret = (double)whole + (double)frac / (double)scale;
	return 0;
}

static int want_reclaim_amount(struct ctx *c, const cJSON *it, const char *path, struct reclaim_cfg *rc)
{
	int r;

	if (cJSON_IsString(it) && it->valuestring && strchr(it->valuestring, '%')) {
		double pct = 0.0;
		if (parse_percent_string(it->valuestring, &pct) < 0)
			return fail(c, path, "invalid percent \"%.32s\" (expected e.g. \"5%%\")",
			            it->valuestring);
		if (!(pct > 0.0 && pct <= 100.0))
			return fail(c, path, "percent must be greater than 0 and at most 100");
		rc->percent = pct;
		rc->bytes = 0;
		return 0;
	}
	if (!cJSON_IsString(it) && !cJSON_IsNumber(it))
		return fail(c, path, "must be a size like \"64Mi\" or a percent like \"5%%\"");
	uint64_t bytes = 0;
	if ((r = want_size(c, it, path, &bytes)) < 0)
		return r;
	if (bytes == 0)
		return fail(c, path, "must be greater than 0");
	rc->bytes = bytes;
	rc->percent = 0.0;
	return 0;
}

static int parse_reclaim(struct ctx *c, const cJSON *j, const char *path, struct reclaim_cfg *rc)
{
	static const char *const keys[] = { "amount", NULL };
	const cJSON *it;
	int r;

	c->p->needs_reclaim = true;
	if (!cJSON_IsObject(j))
		return want_reclaim_amount(c, j, path, rc);
	if ((r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;
	PATH_KEY(ap, path, "amount");
	if (!(it = cJSON_GetObjectItemCaseSensitive(j, "amount")))
		return fail(c, ap, "is required");
	return want_reclaim_amount(c, it, ap, rc);
}

static int parse_exec(struct ctx *c, const cJSON *j, const char *path, struct exec_cfg *e)
{
	static const char *const keys[] = { "command", "timeout", NULL };
	const cJSON *it;
	int r;

	e->timeout_usec = 10 * USEC_PER_SEC;
	if (!cJSON_IsObject(j))
		return want_argv(c, j, path, &e->argv);
	if ((r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;
	PATH_KEY(cp, path, "command");
	if (!(it = cJSON_GetObjectItemCaseSensitive(j, "command")))
		return fail(c, cp, "is required");
	if ((r = want_argv(c, it, cp, &e->argv)) < 0)
		return r;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "timeout"))) {
		PATH_KEY(tp, path, "timeout");
		return want_positive_duration(c, it, tp, &e->timeout_usec);
	}
	return 0;
}

static const char *const action_keys[] = { "webhook", "signal", "reclaim", "exec", NULL };

static int parse_handler(struct ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	static const char *const keys[] = { "on",     "level",   "every", "webhook",
		                            "signal", "reclaim", "exec",  NULL };
	const cJSON *it;
	int r;

	h->level = -1;
	h->path = strdup(path);
	if (!h->path)
		return oom(c);
	if ((r = want_object(c, j, path)) < 0 || (r = check_keys(c, j, path, keys, "unknown key")) < 0)
		return r;

	PATH_KEY(op, path, "on");
	if (!(it = cJSON_GetObjectItemCaseSensitive(j, "on")))
		return fail(c, op, "is required");
	const char *on = NULL;
	if ((r = want_string(c, it, op, &on)) < 0)
		return r;
	int ev = event_kind_from_name(on);
	if (ev < 0)
		return fail(c, op,
		            "unknown event \"%.32s\" (expected entered, left, remaining, normal, "
		            "target_lost, target_found or oom_kill)",
		            on);
	h->on = (enum event_kind)ev;

	if ((it = cJSON_GetObjectItemCaseSensitive(j, "level"))) {
		PATH_KEY(lp, path, "level");
		if (h->on != EVENT_ENTERED && h->on != EVENT_LEFT && h->on != EVENT_REMAINING)
			return fail(c, lp, "not allowed for \"%s\" handlers", on);
		long long lvl = 0;
		if ((r = want_integer(c, it, lp, &lvl)) < 0)
			return r;
		long long min = h->on == EVENT_REMAINING ? 0 : 1;
		if (lvl < min || lvl > (long long)c->p->n_levels)
			return fail(c, lp, "must be between %lld and %zu", min, c->p->n_levels);
		h->level = (int)lvl;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "every"))) {
		PATH_KEY(ep, path, "every");
		if (h->on != EVENT_REMAINING)
			return fail(c, ep, "only allowed for \"remaining\" handlers");
		if ((r = want_duration(c, it, ep, &h->every_usec)) < 0)
			return r;
	}

	const char *first = NULL;
	for (const char *const *a = action_keys; *a; a++) {
		if (!cJSON_GetObjectItemCaseSensitive(j, *a))
			continue;
		if (first)
			return fail(c, path, "has two actions (%s and %s); use one handler per action", first,
			            *a);
		first = *a;
	}
	if (!first)
		return fail(c, path, "needs one action: webhook, signal, reclaim or exec");

	it = cJSON_GetObjectItemCaseSensitive(j, first);
	PATH_KEY(ap, path, first);
	switch (first[0]) {
	case 'w':
		h->action = ACTION_WEBHOOK;
		return parse_webhook(c, it, ap, &h->webhook);
	case 's':
		h->action = ACTION_SIGNAL;
		return parse_signal(c, it, ap, &h->signal);
	case 'r':
		h->action = ACTION_RECLAIM;
		return parse_reclaim(c, it, ap, &h->reclaim);
	default:
		h->action = ACTION_EXEC;
		return parse_exec(c, it, ap, &h->exec);
	}
}

static int parse_handlers(struct ctx *c, const cJSON *j)
{
	struct policy *p = c->p;

	if (!j)
		return 0;
	if (!cJSON_IsArray(j))
		return fail(c, "handlers", "must be an array");
	int n = cJSON_GetArraySize(j);
	if (n == 0)
		return 0;
	p->handlers = calloc((size_t)n, sizeof(*p->handlers));
	if (!p->handlers)
		return oom(c);
	p->n_handlers = (size_t)n;
	size_t i = 0;
	for (const cJSON *it = j->child; it; it = it->next, i++) {
		_cleanup_free_ char *hp = path_index("handlers", i);
		if (!hp)
			return oom(c);
		int r = parse_handler(c, it, hp, &p->handlers[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the document ---- */

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

static int parse_root(struct ctx *c, const cJSON *root)
{
	static const char *const keys[] = { "check_interval", "maximum_available", "log_transitions",
		                            "levels",         "handlers",          NULL };
	struct policy *p = c->p;
	const cJSON *it;
	int r;

	if (!cJSON_IsObject(root))
		return fail(c, "policy", "must be a JSON object");
	if ((r = check_keys(c, root, "", keys, "unknown key")) < 0)
		return r;

	if ((it = cJSON_GetObjectItemCaseSensitive(root, "check_interval"))) {
		if ((r = want_duration(c, it, "check_interval", &p->check_interval_usec)) < 0)
			return r;
		if (p->check_interval_usec < CHECK_INTERVAL_MIN_USEC)
			return fail(c, "check_interval", "must be at least 10ms");
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "maximum_available"))) {
		if (!(cJSON_IsString(it) && strcmp(it->valuestring, "auto") == 0)) {
			if ((r = want_size(c, it, "maximum_available", &p->maximum_available_bytes)) < 0)
				return r;
			if (p->maximum_available_bytes == 0)
				return fail(c, "maximum_available", "must be greater than 0 (or \"auto\")");
		}
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(root, "log_transitions")))
		if ((r = want_bool(c, it, "log_transitions", &p->log_transitions)) < 0)
			return r;

	if ((r = parse_levels(c, cJSON_GetObjectItemCaseSensitive(root, "levels"))) < 0)
		return r;
	return parse_handlers(c, cJSON_GetObjectItemCaseSensitive(root, "handlers"));
}

int policy_parse(const char *json, size_t len, struct policy **ret, char *err, size_t err_size)
{
	struct ctx c = { .err = err, .err_size = err_size };

	if (err && err_size)
		err[0] = '\0';
	if (!json || !ret)
		return fail(&c, "policy", "no input");
	const char *nul = memchr(json, '\0', len);
	if (nul)
		return fail(&c, "policy", "contains a NUL byte at offset %zu", (size_t)(nul - json));

	/* cJSON's require_null_terminated needs the NUL inside the length it is given. */
	_cleanup_free_ char *buf = malloc(len + 1);
	if (!buf)
		return oom(&c);
	memcpy(buf, json, len);
	buf[len] = '\0';
	const char *end = NULL;
	_cleanup_cjson_ cJSON *root = cJSON_ParseWithLengthOpts(buf, len + 1, &end, true);
	if (!root) {
		unsigned line, col;
		if (!end || end < buf || end > buf + len)
			end = buf + len;
		line_col(buf, end, &line, &col);
		return fail(&c, "policy", "invalid JSON near line %u column %u", line, col);
	}

	struct policy *p = calloc(1, sizeof(*p));
	if (!p)
		return oom(&c);
	p->check_interval_usec = USEC_PER_SEC;
	p->log_transitions = true;
	c.p = p;
	int r = parse_root(&c, root);
	if (r < 0) {
		policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

int policy_load(const char *path, struct policy **ret, char *err, size_t err_size)
{
	char inner[512];

	if (err && err_size)
		err[0] = '\0';
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		if (err && err_size)
			snprintf(err, err_size, "%s: cannot open: %s", path, strerror(e));
		return -e;
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
	int r = policy_parse(buf, (size_t)n, ret, inner, sizeof(inner));
	if (r < 0 && err && err_size)
		snprintf(err, err_size, "%s: %s", path, inner);
	return r;
}

static void condition_free(struct condition *cond)
{
	free(cond->path);
	for (size_t i = 0; i < cond->n_children; i++)
		condition_free(&cond->children[i]);
	free(cond->children);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_levels; i++) {
		free(p->levels[i].name);
		condition_free(&p->levels[i].when);
	}
	free(p->levels);
	for (size_t i = 0; i < p->n_handlers; i++) {
		struct handler *h = &p->handlers[i];
		free(h->path);
		free(h->webhook.url);
		strv_free(h->webhook.headers);
		free(h->webhook.secret_file);
		free(h->webhook.secret_env);
		free(h->webhook.signature_header);
		strv_free(h->exec.argv);
	}
	free(p->handlers);
	for (size_t i = 0; i < p->n_probes; i++)
		strv_free(p->probes[i].argv);
	free(p->probes);
	free(p);
}

/* ---- the target ---- */

/* The first pressure or events condition under cond, or NULL. */
static const struct condition *find_v2_condition(const struct condition *cond)
{
	if (cond->kind == COND_PRESSURE || cond->kind == COND_EVENTS)
		return cond;
	for (size_t i = 0; i < cond->n_children; i++) {
		const struct condition *f = find_v2_condition(&cond->children[i]);
		if (f)
			return f;
	}
	return NULL;
}

int policy_check_target(const struct policy *p, int cgroup_version, char *err, size_t err_size)
{
	struct ctx c = { .err = err, .err_size = err_size };

	if (err && err_size)
		err[0] = '\0';
	if (cgroup_version != 1 && cgroup_version != 2)
		return fail(&c, "policy", "unknown cgroup version %d", cgroup_version);
	if (cgroup_version == 2)
		return 0;
	for (size_t i = 0; i < p->n_levels; i++) {
		const struct condition *f = find_v2_condition(&p->levels[i].when);
		if (!f)
			continue;
		bool pressure = f->kind == COND_PRESSURE;
		_cleanup_free_ char *kp = path_key(f->path, pressure ? "pressure" : "events");
		if (!kp)
			return oom(&c);
		return fail(&c, kp, "needs cgroup v2 memory.%s; the target is cgroup v1",
		            pressure ? "pressure" : "events");
	}
	for (size_t i = 0; i < p->n_handlers; i++) {
		if (p->handlers[i].action != ACTION_RECLAIM)
			continue;
		_cleanup_free_ char *kp = path_key(p->handlers[i].path, "reclaim");
		if (!kp)
			return oom(&c);
		return fail(&c, kp, "needs cgroup v2 memory.reclaim; the target is cgroup v1");
	}
	return 0;
}

int policy_add_webhook(struct policy *p, const char *url, char *err, size_t err_size)
{
	static const char *const events[] = { "entered",     "left",         "normal",
		                              "target_lost", "target_found", "oom_kill" };
	struct ctx c = { .err = err, .err_size = err_size, .p = p };

	if (err && err_size)
		err[0] = '\0';
	struct handler *hs = realloc(p->handlers, (p->n_handlers + ARRAY_SIZE(events)) * sizeof(*hs));
	if (!hs)
		return oom(&c);
	p->handlers = hs;
	for (size_t i = 0; i < ARRAY_SIZE(events); i++) {
		_cleanup_cjson_ cJSON *j = cJSON_CreateObject();
		cJSON *w = j ? cJSON_AddObjectToObject(j, "webhook") : NULL;
		if (!w || !cJSON_AddStringToObject(j, "on", events[i]) ||
		    !cJSON_AddStringToObject(w, "url", url))
			return oom(&c);
		struct handler *h = &p->handlers[p->n_handlers++];
		memset(h, 0, sizeof(*h));
		int r = parse_handler(&c, j, "--webhook", h);
		if (r < 0)
			return r;
	}
	return 0;
}
