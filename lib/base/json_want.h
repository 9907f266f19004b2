/* Strict readers of parsed JSON (cJSON) for documents with a fixed schema: each takes the value and
 * its JSON path, and on failure writes "<path>: <reason>" into the context's buffer and returns
 * -EINVAL (-ENOMEM when out of memory). ret_* are untouched on failure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

struct cJSON;

/* Where the one error message goes; err may be NULL (the error is then only returned). */
struct want_ctx {
	char *err;
	size_t err_size;
	/* The path the error names, as given (no '?' for control characters, never cut short), for
	 * finding its place in the text (json_locate); NULL when none or out of memory. Freed by
	 * want_ctx_done. */
	char *fail_path;
	/* Which member with fail_path's last key the error is about: 0 the first (the one cJSON's
	 * lookups return), 1 the first duplicate. */
	unsigned fail_nth;
};

/* Frees what want_fail kept in w; accepts a context that never failed. */
void want_ctx_done(struct want_ctx *w);

/* Writes "path: reason" into err, control characters replaced by '?', and keeps path in
 * w->fail_path. Returns -EINVAL. */
int want_fail(struct want_ctx *w, const char *path, const char *fmt, ...) _printf_(3, 4);
/* Writes "policy: out of memory" and forgets any path. Returns -ENOMEM. */
int want_oom(struct want_ctx *w);

/* "base.key" (or "key" at the root); NULL when out of memory. */
char *want_path_key(const char *base, const char *key);
/* "base[i]"; NULL when out of memory. */
char *want_path_index(const char *base, size_t i);

/* Declares `var` = base.key, freed on scope exit; returns want_oom(w) from the caller when out of
 * memory. */
#define WANT_PATH_KEY(var, w, base, key)                     \
	_cleanup_free_ char *var = want_path_key(base, key); \
	if (!var)                                            \
	return want_oom(w)

/* Declares `var` = base[i], as WANT_PATH_KEY. */
#define WANT_PATH_INDEX(var, w, base, i)                     \
	_cleanup_free_ char *var = want_path_index(base, i); \
	if (!var)                                            \
	return want_oom(w)

/* WANT_PATH_KEY, then it = obj's member key; without one, fails with "base.key: is required". */
#define WANT_REQUIRED_KEY(var, it, w, obj, base, key)             \
	WANT_PATH_KEY(var, w, base, key);                         \
	if (!((it) = cJSON_GetObjectItemCaseSensitive(obj, key))) \
	return want_fail(w, var, "is required")

/* Fails on a key not in allowed (NULL-terminated), with "path.key: <unknown_msg>", and on a key
 * given twice ("duplicate key"). Returns 0 or -EINVAL. */
int want_keys(struct want_ctx *w, const struct cJSON *obj, const char *path, const char *const *allowed,
              const char *unknown_msg);
/* The same with a predicate for the known keys. */
int want_keys_known(struct want_ctx *w, const struct cJSON *obj, const char *path,
                    bool (*known)(const char *key), const char *unknown_msg);

/* The number of UTF-8 characters (bytes that do not continue one) in s, counting at most
 * max_bytes bytes. */
size_t want_utf8_chars(const char *s, size_t max_bytes);
/* The first byte of s[0..len) that does not start a well-formed UTF-8 character (RFC 3629: no
 * overlong form, no surrogate, nothing above U+10FFFF, none cut short), or NULL when all are. */
const char *want_utf8_invalid(const char *s, size_t len);
/* Fails with "path: at most N characters" when s is longer. Returns 0 or -EINVAL. */
int want_max_chars(struct want_ctx *w, const char *s, const char *path, size_t max_chars);

/* Each returns 0 or -EINVAL ("must be ..."); strings are at most POLICY_STRING_MAX_CHARS
 * characters. */
int want_object(struct want_ctx *w, const struct cJSON *it, const char *path);
int want_string(struct want_ctx *w, const struct cJSON *it, const char *path, const char **ret);
/* A string that from_name (one of names.h's *_from_name) knows. unknown is the reason given for one it
 * does not know: a printf format given the string as its one argument, which it may leave out.
 * Returns the value (>= 0), or -EINVAL. */
int want_name(struct want_ctx *w, const struct cJSON *it, const char *path, int (*from_name)(const char *s),
              const char *unknown);
int want_nonempty_string(struct want_ctx *w, const struct cJSON *it, const char *path, const char **ret);
/* A non-empty string, strdup'd into *ret (the previous *ret is freed). -ENOMEM when out of memory. */
int want_dup_string(struct want_ctx *w, const struct cJSON *it, const char *path, char **ret);
int want_bool(struct want_ctx *w, const struct cJSON *it, const char *path, bool *ret);
/* A JSON number that is a whole number of magnitude at most 2^53. */
int want_integer(struct want_ctx *w, const struct cJSON *it, const char *path, long long *ret);
/* A JSON number from 0 to 100. */
int want_percent(struct want_ctx *w, const struct cJSON *it, const char *path, double *ret);
/* A size: a whole JSON number of bytes, or a string "64Mi" (units_parse_size). */
int want_size(struct want_ctx *w, const struct cJSON *it, const char *path, uint64_t *ret);
/* want_size that also refuses 0 ("must be greater than 0"). */
int want_positive_size(struct want_ctx *w, const struct cJSON *it, const char *path, uint64_t *ret);
/* A duration string "10s" (units_parse_duration); want_positive_duration also refuses 0. */
int want_duration(struct want_ctx *w, const struct cJSON *it, const char *path, uint64_t *ret);
int want_positive_duration(struct want_ctx *w, const struct cJSON *it, const char *path, uint64_t *ret);
/* A size per second "10Mi/s" (units_parse_size before the "/s"), in bytes per second. */
int want_rate(struct want_ctx *w, const struct cJSON *it, const char *path, double *ret);
/* A non-empty array of at most COMMAND_MAX_ARGS strings, the first an absolute path: a command run
 * without a shell. *ret is a malloc'd NULL-terminated array (strv_free). */
int want_argv(struct want_ctx *w, const struct cJSON *it, const char *path, char ***ret);
