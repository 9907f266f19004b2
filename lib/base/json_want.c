/* Strict readers of parsed JSON: one place for "must be a string" and its path. */
#include "base/json_want.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/defaults.h"
#include "base/units.h"

#define JSON_INTEGER_MAX 9007199254740992.0 /* 2^53: larger numbers lose precision in a double */

void want_ctx_done(struct want_ctx *w)
{
	free(w->fail_path);
	w->fail_path = NULL;
	w->fail_nth = 0;
}

int want_fail(struct want_ctx *w, const char *path, const char *fmt, ...)
{
	want_ctx_done(w);
	w->fail_path = path && *path ? strdup(path) : NULL; /* NULL: the error stays unplaced */
	if (!w->err || w->err_size == 0)
		return -EINVAL;
	int n = snprintf(w->err, w->err_size, "%s: ", path && *path ? path : "policy");
	if (n >= 0 && (size_t)n < w->err_size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(w->err + n, w->err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	for (char *s = w->err; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	return -EINVAL;
}

int want_oom(struct want_ctx *w)
{
	want_ctx_done(w);
	if (w->err && w->err_size)
		snprintf(w->err, w->err_size, "policy: out of memory");
	return -ENOMEM;
}

char *want_path_key(const char *base, const char *key)
{
	char *s;
	if (asprintf(&s, "%s%s%s", base, *base ? "." : "", key) < 0)
		return NULL;
	return s;
}

char *want_path_index(const char *base, size_t i)
{
	char *s;
	if (asprintf(&s, "%s[%zu]", base, i) < 0)
		return NULL;
	return s;
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* want_keys with either a list or a predicate. Linear in the object's size whatever its size:
 * every key is checked against the known ones before it is compared with the keys before it, so
 * the pairwise duplicate check only ever runs over known, distinct keys, and the first member
 * past the number of known keys is either unknown or a duplicate (an object of 80,000 repeats of
 * one key stops at the second). */
static int check_keys(struct want_ctx *w, const cJSON *obj, const char *path, const char *const *allowed,
                      bool (*known)(const char *key), const char *unknown_msg)
{
	for (const cJSON *it = obj->child; it; it = it->next) {
		if (allowed ? !in_list(it->string, allowed) : !known(it->string)) {
			WANT_PATH_KEY(kp, w, path, it->string);
			return want_fail(w, kp, "%s", unknown_msg);
		}
		for (const cJSON *prev = obj->child; prev != it; prev = prev->next)
			if (strcmp(prev->string, it->string) == 0) {
				WANT_PATH_KEY(kp, w, path, it->string);
				int r = want_fail(w, kp, "duplicate key");
				w->fail_nth = 1; /* the first repeat: the loop stops at it */
				return r;
			}
	}
	return 0;
}

int want_keys(struct want_ctx *w, const cJSON *obj, const char *path, const char *const *allowed,
              const char *unknown_msg)
{
	return check_keys(w, obj, path, allowed, NULL, unknown_msg);
}

int want_keys_known(struct want_ctx *w, const cJSON *obj, const char *path, bool (*known)(const char *key),
                    const char *unknown_msg)
{
	return check_keys(w, obj, path, NULL, known, unknown_msg);
}

int want_object(struct want_ctx *w, const cJSON *it, const char *path)
{
	return cJSON_IsObject(it) ? 0 : want_fail(w, path, "must be an object");
}

size_t want_utf8_chars(const char *s, size_t max_bytes)
{
	size_t n = 0;
	for (size_t i = 0; i < max_bytes && s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

const char *want_utf8_invalid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = u[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf; /* the range of the byte after the first */
		if (c < 0x80) {
			i++;
			continue;
		}
		if (0xc2 <= c && c <= 0xdf)
			n = 1;
		else if (0xe0 <= c && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0; /* overlong */
			else if (c == 0xed)
				hi = 0x9f; /* U+D800..U+DFFF: surrogates */
		} else if (0xf0 <= c && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90; /* overlong */
			else if (c == 0xf4)
				hi = 0x8f; /* above U+10FFFF */
		} else
			return s + i; /* a continuation byte, 0xc0, 0xc1 (overlong) or 0xf5..0xff */
		if (len - i <= n)
			return s + i; /* cut short by the end */
		if (u[i + 1] < lo || u[i + 1] > hi)
			return s + i;
		for (size_t k = 2; k <= n; k++)
			if ((u[i + k] & 0xc0) != 0x80)
				return s + i;
		i += n + 1;
	}
	return NULL;
}

int want_max_chars(struct want_ctx *w, const char *s, const char *path, size_t max_chars)
{
	/* a character is at most 4 bytes: no need to count past that */
	if (want_utf8_chars(s, 4 * (max_chars + 1)) > max_chars)
		return want_fail(w, path, "at most %zu characters", max_chars);
	return 0;
}

int want_string(struct want_ctx *w, const cJSON *it, const char *path, const char **ret)
{
	int r;

	if (!cJSON_IsString(it) || !it->valuestring)
		return want_fail(w, path, "must be a string");
	if ((r = want_max_chars(w, it->valuestring, path, POLICY_STRING_MAX_CHARS)) < 0)
		return r;
	*ret = it->valuestring;
	return 0;
}

int want_name(struct want_ctx *w, const cJSON *it, const char *path, int (*from_name)(const char *s),
              const char *unknown)
{
	const char *s = NULL;
	int r = want_string(w, it, path, &s);
	if (r < 0)
		return r;
	int v = from_name(s);
	if (v < 0)
		return want_fail(w, path, unknown, s);
	return v;
}

int want_nonempty_string(struct want_ctx *w, const cJSON *it, const char *path, const char **ret)
{
	const char *s = NULL;
	int r = want_string(w, it, path, &s);
	if (r < 0)
		return r;
	if (!*s)
		return want_fail(w, path, "must not be empty");
	*ret = s;
	return 0;
}

int want_dup_string(struct want_ctx *w, const cJSON *it, const char *path, char **ret)
{
	const char *s = NULL;
	int r = want_nonempty_string(w, it, path, &s);
	if (r < 0)
		return r;
	char *d = strdup(s);
	if (!d)
		return want_oom(w);
	free(*ret);
	*ret = d;
	return 0;
}

int want_bool(struct want_ctx *w, const cJSON *it, const char *path, bool *ret)
{
	if (!cJSON_IsBool(it))
		return want_fail(w, path, "must be true or false");
	*ret = cJSON_IsTrue(it);
	return 0;
}

int want_integer(struct want_ctx *w, const cJSON *it, const char *path, long long *ret)
{
	if (!cJSON_IsNumber(it))
		return want_fail(w, path, "must be an integer");
	double d = it->valuedouble;
	if (!(d >= -JSON_INTEGER_MAX && d <= JSON_INTEGER_MAX) || (double)(long long)d != d)
		return want_fail(w, path, "must be an integer");
	*ret = (long long)d;
	return 0;
}

int want_percent(struct want_ctx *w, const cJSON *it, const char *path, double *ret)
{
	if (!cJSON_IsNumber(it))
		return want_fail(w, path, "must be a number");
	double d = it->valuedouble;
	if (!(d >= 0.0 && d <= 100.0))
		return want_fail(w, path, "must be between 0 and 100");
	*ret = d;
	return 0;
}

/* The string it read by parse (units_parse_size or units_parse_duration) into ret. what names the
 * unit in the errors, expected what a valid string looks like. */
static int want_unit_string(struct want_ctx *w, const cJSON *it, const char *path,
                            int (*parse)(const char *s, uint64_t *ret), const char *what,
                            const char *expected, uint64_t *ret)
{
	int r = parse(it->valuestring, ret);
	if (r == -ERANGE)
		return want_fail(w, path, "%s \"%.64s\" is too large", what, it->valuestring);
	if (r < 0)
		return want_fail(w, path, "invalid %s \"%.64s\" (expected %s)", what, it->valuestring,
		                 expected);
	return 0;
}

int want_size(struct want_ctx *w, const cJSON *it, const char *path, uint64_t *ret)
{
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;
		if (!(d >= 0.0))
			return want_fail(w, path, "must not be negative");
		if (!(d <= JSON_INTEGER_MAX))
			return want_fail(w, path, "too large for a JSON number; use a string like \"8Ti\"");
		if ((double)(uint64_t)d != d)
			return want_fail(w, path, "must be a whole number of bytes");
		*ret = (uint64_t)d;
		return 0;
	}
	if (!cJSON_IsString(it))
		return want_fail(w, path, "must be a size (a number of bytes or a string like \"64Mi\")");
	return want_unit_string(w, it, path, units_parse_size, "size",
	                        "a whole number with an optional suffix K, Ki, M, Mi, G, Gi, T, Ti", ret);
}

int want_duration(struct want_ctx *w, const cJSON *it, const char *path, uint64_t *ret)
{
	if (!cJSON_IsString(it))
		return want_fail(w, path, "must be a duration string like \"10s\"");
	return want_unit_string(w, it, path, units_parse_duration, "duration",
	                        "a whole number with a unit: us, ms, s, m, h", ret);
}

/* v, read by a reader that returned r, into ret unless the reader failed or v is 0. */
static int want_nonzero(struct want_ctx *w, const char *path, int r, uint64_t v, uint64_t *ret)
{
	if (r < 0)
		return r;
	if (v == 0)
		return want_fail(w, path, "must be greater than 0");
	*ret = v;
	return 0;
}

int want_positive_size(struct want_ctx *w, const cJSON *it, const char *path, uint64_t *ret)
{
	uint64_t v = 0;
	int r = want_size(w, it, path, &v);
	return want_nonzero(w, path, r, v, ret);
}

int want_positive_duration(struct want_ctx *w, const cJSON *it, const char *path, uint64_t *ret)
{
	uint64_t v = 0;
	int r = want_duration(w, it, path, &v);
	return want_nonzero(w, path, r, v, ret);
}

int want_argv(struct want_ctx *w, const cJSON *it, const char *path, char ***ret)
{
	if (!cJSON_IsArray(it))
		return want_fail(w, path, "must be an array of strings (an absolute path, then arguments)");
	int n = cJSON_GetArraySize(it);
	if (n <= 0)
		return want_fail(w, path, "must not be empty");
	if (n > COMMAND_MAX_ARGS)
		return want_fail(w, path, "at most %d strings (the program and its arguments)",
		                 COMMAND_MAX_ARGS);
	_cleanup_strv_free_ char **argv = calloc((size_t)n + 1, sizeof(char *));
	if (!argv)
		return want_oom(w);
	size_t i = 0;
	for (const cJSON *a = it->child; a; a = a->next, i++) {
		WANT_PATH_INDEX(ip, w, path, i);
		const char *arg = NULL;
		int r = want_string(w, a, ip, &arg);
		if (r < 0)
			return r;
		if (i == 0 && arg[0] != '/')
			return want_fail(w, ip, "must be an absolute path, got \"%.64s\"", arg);
		argv[i] = strdup(arg);
		if (!argv[i])
			return want_oom(w);
	}
	*ret = TAKE_PTR(argv);
	return 0;
}

/* "10Mi/s": a size per second. */
int want_rate(struct want_ctx *w, const cJSON *it, const char *path, double *ret)
{
	const char *s;
	int r = want_string(w, it, path, &s);
	if (r < 0)
		return r;
	size_t n = strlen(s);
	char size[64];
	uint64_t bytes;
	if (n < 3 || n - 2 >= sizeof(size) || strcmp(s + n - 2, "/s") != 0)
		return want_fail(w, path, "must be a size per second like \"10Mi/s\"");
	memcpy(size, s, n - 2);
	size[n - 2] = '\0';
	if (units_parse_size(size, &bytes) < 0)
		return want_fail(w, path, "must be a size per second like \"10Mi/s\"");
	*ret = (double)bytes;
	return 0;
}
