/* json_locate against a table: nested objects and arrays, escaped keys, duplicate keys (the first,
 * as cJSON), keys with '.', paths not in the text, hostile text and paths, the depth bound. */
#include "unit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/json_locate.h"
#include "base/util.h"

struct locate_case {
	const char *text;
	const char *path;
	unsigned nth;
	int ret;
	unsigned line, col; /* from 1, the column in bytes; when ret is 0 */
};

#define NESTED "{\n  \"a\": {\"b\": [1, {\"c\": 2}]},\n  \"d\": []\n}"

static const struct locate_case cases[] = {
	/* nested objects and arrays: a member by its key, an element by its first byte */
	{ NESTED, "", 0, 0, 1, 1 },
	{ NESTED, "a", 0, 0, 2, 3 },
	{ NESTED, "a.b", 0, 0, 2, 9 },
	{ NESTED, "a.b[0]", 0, 0, 2, 15 },
	{ NESTED, "a.b[1]", 0, 0, 2, 18 },
	{ NESTED, "a.b[1].c", 0, 0, 2, 19 },
	{ NESTED, "d", 0, 0, 3, 3 },
	{ "  [0, [1, [2, 3]]]", "[1][1][1]", 0, 0, 1, 15 },
	/* not there */
	{ NESTED, "a.b[2]", 0, -ENOENT, 0, 0 },
	{ NESTED, "d[0]", 0, -ENOENT, 0, 0 },
	{ NESTED, "a.x", 0, -ENOENT, 0, 0 },
	{ NESTED, "a.b.c", 0, -ENOENT, 0, 0 },      /* an array has no keys */
	{ NESTED, "a[0]", 0, -ENOENT, 0, 0 },       /* an object has no elements */
	{ NESTED, "a.b[1].c.z", 0, -ENOENT, 0, 0 }, /* a number has neither */
	{ NESTED, "policy", 0, -ENOENT, 0, 0 },
	{ "[1]", "a", 0, -ENOENT, 0, 0 },
	{ "{}", "a", 0, -ENOENT, 0, 0 },
	{ "{\"ab\": 1, \"a\": 2}", "a", 0, 0, 1, 11 }, /* a longer key is another key */
	{ "{\"ab\": 1}", "abc", 0, -ENOENT, 0, 0 },
	/* keys compared after unescaping */
	{ "{\"x\": 0, \"x\\\"y\": 1}", "x\"y", 0, 0, 1, 10 },
	{ "{\"a\\/b\\\\c\": 1}", "a/b\\c", 0, 0, 1, 2 },
	{ "{\"t\\tn\\nr\\rb\\bf\\f\": 1}", "t\tn\nr\rb\bf\f", 0, 0, 1, 2 },
	{ "{\"caf\\u00e9\": 1, \"caf\\u00E9x\": 2}", "caf\xc3\xa9x", 0, 0, 1, 18 },
	{ "{\"\\u20ac\": 1}", "\xe2\x82\xac", 0, 0, 1, 2 },
	{ "{\"\\ud83d\\ude00\": 1}", "\xf0\x9f\x98\x80", 0, 0, 1, 2 }, /* a surrogate pair */
	{ "{\"caf\xc3\xa9\": 1}", "caf\\u00e9", 0, -ENOENT, 0, 0 },    /* the path is never unescaped */
	{ "{\"\": {\"\": 1}}", ".", 0, 0, 1, 7 },                      /* empty keys */
	/* a key more than once: the first, as cJSON's lookups; nth picks a repeat of the last key */
	{ "{\"a\": 1,\n \"a\": 2}", "a", 0, 0, 1, 2 },
	{ "{\"a\": 1,\n \"a\": 2}", "a", 1, 0, 2, 2 },
	{ "{\"a\": 1,\n \"a\": 2}", "a", 2, -ENOENT, 0, 0 },
	{ "{\"a\": {\"b\": 1}, \"a\": {\"c\": 2}}", "a.c", 0, -ENOENT, 0, 0 },
	{ "{\"a\": {\"b\": 1}, \"a\": {\"b\": 2}}", "a.b", 1, -ENOENT, 0, 0 }, /* nth: last key only */
	/* a key with '.' or '[' the path could name: not placed */
	{ "{\"a.b\": 1}", "a.b", 0, -ENOTUNIQ, 0, 0 },
	{ "{\"a\": {\"b\": 1}, \"a.b\": 2}", "a.b", 0, -ENOTUNIQ, 0, 0 },
	{ "{\"a[0]\": 1, \"a\": [2]}", "a[0]", 0, -ENOTUNIQ, 0, 0 },
	{ "{\"h\": {\"X.Y\": 1}}", "h.X.Y", 0, -ENOTUNIQ, 0, 0 },
	{ "{\"a.bc\": 1, \"a\": {\"b\": 2}}", "a.b", 0, 0, 1, 19 }, /* "a.bc" is no "a.b" */
	/* every kind of value skipped, as cJSON reads them */
	{ "{\"n\": -1.5e+3, \"t\": true, \"f\": false, \"z\": null, \"s\": \"}\", \"o\": {\"k\": [{}]}, "
	  "\"k\": 1}",
	  "k", 0, 0, 1, 78 },
	{ "{\"o\": 01, \"p\": 1., \"q\": -.5, \"r\": 1E5, \"k\": 1}", "k", 0, 0, 1, 40 },
	{ "{\"a\":\x0b"
	  "1,\x01\t\r\"k\": 2}",
	  "k", 0, 0, 1, 12 },                                    /* any byte up to 0x20 is white space */
	{ "\xef\xbb\xbf{\"k\": 1}", "k", 0, 0, 1, 5 },           /* a byte order mark */
	{ "{\"a\": \"x\ty\x01\", \"k\": 1}", "k", 0, 0, 1, 15 }, /* raw control bytes in a string */
	/* hostile text: refused, never guessed at */
	{ "", "", 0, -EINVAL, 0, 0 },
	{ "  ", "a", 0, -EINVAL, 0, 0 },
	{ "\xe7\xe7", "", 0, -EINVAL, 0, 0 }, /* the whole text is no value (fuzz_json_locate) */
	{ "[1, ", "", 0, -EINVAL, 0, 0 },
	{ "{\"a\": 1", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a", "a", 0, -EINVAL, 0, 0 },
	{ "{\"a\\", "a", 0, -EINVAL, 0, 0 },
	{ "{\"a\" 1}", "a", 0, -EINVAL, 0, 0 },
	{ "{\"a\": 1,}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": 1 \"b\": 2}", "b", 0, -EINVAL, 0, 0 },
	{ "{a: 1}", "a", 0, -EINVAL, 0, 0 },
	{ "{\"a\": \"\\q\", \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": \"\\uZZZZ\", \"b\": 1}", "b", 0, -EINVAL, 0, 0 }, /* cJSON: U+0000 */
	{ "{\"a\": \"\\u12\", \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": \"\\udc00\", \"b\": 1}", "b", 0, -EINVAL, 0, 0 },        /* a lone low surrogate */
	{ "{\"a\": \"\\ud800x\", \"b\": 1}", "b", 0, -EINVAL, 0, 0 },       /* a high one alone */
	{ "{\"a\": \"\\ud800\\u0041\", \"b\": 1}", "b", 0, -EINVAL, 0, 0 }, /* not followed by a low */
	{ "{\"a\": tru, \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": -, \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": .5, \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": 1e, \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": +1, \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": [1 2], \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "{\"a\": [1}, \"b\": 1}", "b", 0, -EINVAL, 0, 0 },
	{ "[1, 2, garbage", "[1]", 0, 0, 1, 5 }, /* read only as far as needed */
	/* hostile paths */
	{ "[1]", "[", 0, -EINVAL, 0, 0 },
	{ "[1]", "[]", 0, -EINVAL, 0, 0 },
	{ "[1]", "[x]", 0, -EINVAL, 0, 0 },
	{ "[1]", "[00]", 0, -EINVAL, 0, 0 },
	{ "[1]", "[-1]", 0, -EINVAL, 0, 0 },
	{ "[1]", "[0]x", 0, -EINVAL, 0, 0 },
	{ "[1]", "[99999999999999999999999999]", 0, -EINVAL, 0, 0 },
	{ "[1]", "[18446744073709551615]", 0, -ENOENT, 0, 0 },
	{ "{}", "a[0[0]", 0, -EINVAL, 0, 0 }, /* malformed after a key not there (fuzz_json_locate) */
	{ "{\"\": {\"\": 1}}", "..", 0, -ENOENT, 0, 0 },
};

/* Line and column (from 1, the column in bytes) of offset in s. */
static void offset_line_col(const char *s, size_t offset, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct locate_case *c = &cases[i];
		size_t len = strlen(c->text);
		/* exactly len bytes, no NUL after: ASan sees any read past the end */
		char *buf = malloc(len ? len : 1);
		assert_non_null(buf);
		memcpy(buf, c->text, len);
		size_t off = 12345;
		int r = json_locate(buf, len, c->path, c->nth, &off);
		unsigned line = 0, col = 0;
		if (r == 0)
			offset_line_col(c->text, off, &line, &col);
		else if (off != 12345)
			fail_msg("case %zu: offset written on failure", i);
		if (r != c->ret || line != c->line || col != c->col)
			fail_msg("case %zu: %s in %s\n  got  %d %u:%u\n  want %d %u:%u", i, c->path, c->text,
			         r, line, col, c->ret, c->line, c->col);
		free(buf);
	}
}

/* The first of two equal keys is the one cJSON returns, and the one json_locate follows. */
static void test_duplicate_is_cjson_first(void **state)
{
	(void)state;
	static const char text[] = "{\"a\": 1,\n \"a\": 2}";
	_cleanup_cjson_ cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "a");
	assert_non_null(a);
	assert_true(a->valuedouble == 1.0);
	size_t off;
	assert_int_equal(json_locate(text, sizeof(text) - 1, "a", 0, &off), 0);
	assert_int_equal(off, 1);
}

/* n arrays nested: "[[[...[1]...]]]", and the path to the 1. */
static void nested(size_t n, char **ret_text, char **ret_path)
{
	char *t = malloc(2 * n + 2), *p = malloc(3 * n + 1);
	assert_true(t && p);
	memset(t, '[', n);
	t[n] = '1';
	memset(t + n + 1, ']', n);
	t[2 * n + 1] = '\0';
	for (size_t i = 0; i < n; i++)
		memcpy(p + 3 * i, "[0]", 3);
	p[3 * n] = '\0';
	*ret_text = t;
	*ret_path = p;
}

/* The depth bound is cJSON's: what cJSON parses is found, one level more is -E2BIG. */
static void test_depth(void **state)
{
	(void)state;
	char *text, *path;
	size_t off;

	nested(JSON_LOCATE_MAX_DEPTH, &text, &path);
	cJSON *j = cJSON_Parse(text);
	assert_non_null(j);
	cJSON_Delete(j);
	assert_int_equal(json_locate(text, strlen(text), path, 0, &off), 0);
	assert_int_equal(off, JSON_LOCATE_MAX_DEPTH);
	/* skipped rather than followed: {"x": [[...]], "k": 1} */
	char *obj;
	assert_true(asprintf(&obj, "{\"x\": %s, \"k\": 1}", text) > 0);
	assert_int_equal(json_locate(obj, strlen(obj), "k", 0, &off), -E2BIG);
	free(obj);
	free(text);
	free(path);

	nested(JSON_LOCATE_MAX_DEPTH + 1, &text, &path);
	assert_null(cJSON_Parse(text));
	assert_int_equal(json_locate(text, strlen(text), path, 0, &off), -E2BIG);
	free(text);
	free(path);

	nested(JSON_LOCATE_MAX_DEPTH - 1, &text, &path);
	assert_true(asprintf(&obj, "{\"x\": %s, \"k\": 1}", text) > 0);
	assert_non_null(j = cJSON_Parse(obj));
	cJSON_Delete(j);
	assert_int_equal(json_locate(obj, strlen(obj), "k", 0, &off), 0);
	free(obj);
	free(text);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_duplicate_is_cjson_first),
		cmocka_unit_test(test_depth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
