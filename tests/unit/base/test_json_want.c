/* json_want: the strict readers of parsed JSON on hand-written documents: each reader's accepted
 * values, and for each refusal its message "<path>: <reason>" and the path it keeps for placing
 * the error; the keys check (unknown, duplicate), the path builders, UTF-8 well-formedness. */
#include "unit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/defaults.h"
#include "base/json_want.h"
#include "base/units.h"
#include "base/util.h"

struct doc {
	cJSON *root;
	char err[512];
	struct want_ctx w;
};

/* json parsed into d (the test fails when it does not parse). */
static void doc_parse(struct doc *d, const char *json)
{
	*d = (struct doc){ 0 };
	d->root = cJSON_Parse(json);
	assert_non_null(d->root);
	d->w = (struct want_ctx){ .err = d->err, .err_size = sizeof(d->err) };
}

static void doc_free(struct doc *d)
{
	want_ctx_done(&d->w);
	cJSON_Delete(d->root);
}

/* The refusal r of the reader: -EINVAL, the message, and the path kept. */
static void assert_refused(struct doc *d, int r, const char *path, const char *msg)
{
	assert_int_equal(r, -EINVAL);
	assert_string_equal(d->err, msg);
	assert_non_null(d->w.fail_path);
	assert_string_equal(d->w.fail_path, path);
}

static void test_fail_and_oom(void **state)
{
	(void)state;
	char err[32];
	struct want_ctx w = { .err = err, .err_size = sizeof(err) };
	/* control characters in the message become '?'; the kept path is as given */
	assert_int_equal(want_fail(&w, "a.b\n", "bad %d\x01", 7), -EINVAL);
	assert_string_equal(err, "a.b?: bad 7?");
	assert_string_equal(w.fail_path, "a.b\n");
	/* no path: "policy", and nothing to place it at */
	assert_int_equal(want_fail(&w, "", "empty"), -EINVAL);
	assert_string_equal(err, "policy: empty");
	assert_null(w.fail_path);
	/* cut at the buffer */
	assert_int_equal(want_fail(&w, "path", "%s", "a reason longer than the buffer is"), -EINVAL);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_int_equal(want_oom(&w), -ENOMEM);
	assert_string_equal(err, "policy: out of memory");
	assert_null(w.fail_path);
	want_ctx_done(&w);
	/* no buffer: only the return value */
	struct want_ctx none = { 0 };
	assert_int_equal(want_fail(&none, "x", "y"), -EINVAL);
	assert_string_equal(none.fail_path, "x");
	want_ctx_done(&none);
	assert_null(none.fail_path);
	want_ctx_done(&none); /* twice is fine */
}

static void test_paths(void **state)
{
	(void)state;
	char *p = want_path_key("", "levels");
	assert_string_equal(p, "levels");
	free(p);
	p = want_path_key("levels[0]", "when");
	assert_string_equal(p, "levels[0].when");
	free(p);
	p = want_path_index("handlers", 12);
	assert_string_equal(p, "handlers[12]");
	free(p);
}

static void test_keys(void **state)
{
	(void)state;
	static const char *const allowed[] = { "a", "b", NULL };
	struct doc d;
	doc_parse(&d, "{\"a\":1,\"b\":2}");
	assert_int_equal(want_keys(&d.w, d.root, "x", allowed, "unknown key"), 0);
	doc_free(&d);

	doc_parse(&d, "{\"a\":1,\"c\":2}");
	assert_refused(&d, want_keys(&d.w, d.root, "x", allowed, "unknown key"), "x.c", "x.c: unknown key");
	doc_free(&d);

	/* a duplicate names its second occurrence */
	doc_parse(&d, "{\"a\":1,\"b\":2,\"a\":3}");
	assert_refused(&d, want_keys(&d.w, d.root, "", allowed, "unknown key"), "a", "a: duplicate key");
	assert_int_equal(d.w.fail_nth, 1);
	doc_free(&d);
}

static bool known_upper(const char *key)
{
	return key[0] >= 'A' && key[0] <= 'Z';
}

static void test_keys_known(void **state)
{
	(void)state;
	struct doc d;
	doc_parse(&d, "{\"A\":1,\"B\":2}");
	assert_int_equal(want_keys_known(&d.w, d.root, "m", known_upper, "not upper"), 0);
	doc_free(&d);
	doc_parse(&d, "{\"A\":1,\"b\":2}");
	assert_refused(&d, want_keys_known(&d.w, d.root, "m", known_upper, "not upper"), "m.b",
	               "m.b: not upper");
	doc_free(&d);
}

static void test_object_string_bool(void **state)
{
	(void)state;
	struct doc d;
	doc_parse(&d, "{\"o\":{},\"s\":\"x\",\"e\":\"\",\"n\":1,\"t\":true,\"f\":false,\"z\":null}");
	const cJSON *r = d.root;
	assert_int_equal(want_object(&d.w, cJSON_GetObjectItem(r, "o"), "o"), 0);
	assert_refused(&d, want_object(&d.w, cJSON_GetObjectItem(r, "s"), "s"), "s", "s: must be an object");

	const char *s = NULL;
	assert_int_equal(want_string(&d.w, cJSON_GetObjectItem(r, "s"), "s", &s), 0);
	assert_string_equal(s, "x");
	assert_int_equal(want_string(&d.w, cJSON_GetObjectItem(r, "e"), "e", &s), 0);
	assert_string_equal(s, "");
	s = "untouched";
	assert_refused(&d, want_string(&d.w, cJSON_GetObjectItem(r, "n"), "n", &s), "n",
	               "n: must be a string");
	assert_refused(&d, want_string(&d.w, cJSON_GetObjectItem(r, "z"), "z", &s), "z",
	               "z: must be a string");
	assert_refused(&d, want_nonempty_string(&d.w, cJSON_GetObjectItem(r, "e"), "e", &s), "e",
	               "e: must not be empty");
	assert_string_equal(s, "untouched");

	char *dup = strdup("old");
	assert_int_equal(want_dup_string(&d.w, cJSON_GetObjectItem(r, "s"), "s", &dup), 0);
	assert_string_equal(dup, "x");
	assert_refused(&d, want_dup_string(&d.w, cJSON_GetObjectItem(r, "e"), "e", &dup), "e",
	               "e: must not be empty");
	assert_string_equal(dup, "x");
	free(dup);

	bool b = false;
	assert_int_equal(want_bool(&d.w, cJSON_GetObjectItem(r, "t"), "t", &b), 0);
	assert_true(b);
	assert_int_equal(want_bool(&d.w, cJSON_GetObjectItem(r, "f"), "f", &b), 0);
	assert_false(b);
	assert_refused(&d, want_bool(&d.w, cJSON_GetObjectItem(r, "n"), "n", &b), "n",
	               "n: must be true or false");
	assert_refused(&d, want_bool(&d.w, cJSON_GetObjectItem(r, "s"), "s", &b), "s",
	               "s: must be true or false");
	doc_free(&d);
}

/* A string of POLICY_STRING_MAX_CHARS characters is taken (multi-byte ones count once), one more
 * is refused. */
static void test_string_length(void **state)
{
	(void)state;
	size_t n = POLICY_STRING_MAX_CHARS;
	char *json = malloc(2 * n + 16);
	assert_non_null(json);
	/* n characters "é" (2 bytes each) */
	char *p = json;
	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		*p++ = '\xc3';
		*p++ = '\xa9';
	}
	strcpy(p, "\"");
	struct doc d;
	doc_parse(&d, json);
	const char *s = NULL;
	assert_int_equal(want_string(&d.w, d.root, "name", &s), 0);
	assert_int_equal(want_utf8_chars(s, 4 * n), n);
	doc_free(&d);
	strcpy(p, "x\"");
	doc_parse(&d, json);
	s = NULL;
	char want[64];
	snprintf(want, sizeof(want), "name: at most %d characters", POLICY_STRING_MAX_CHARS);
	assert_refused(&d, want_string(&d.w, d.root, "name", &s), "name", want);
	assert_null(s);
	doc_free(&d);
	free(json);
	assert_int_equal(want_utf8_chars("h\xc3\xa9llo", 3), 2);
}

static void test_integer_percent(void **state)
{
	(void)state;
	struct doc d;
	doc_parse(&d, "[3, -7, 9007199254740992, 9007199254740994, 1.5, \"3\", 0, 100, 100.5, -0.1, 42.5]");
	const cJSON *a = d.root;
	long long v = 0;
	assert_int_equal(want_integer(&d.w, cJSON_GetArrayItem(a, 0), "i", &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(want_integer(&d.w, cJSON_GetArrayItem(a, 1), "i", &v), 0);
	assert_int_equal(v, -7);
	assert_int_equal(want_integer(&d.w, cJSON_GetArrayItem(a, 2), "i", &v), 0);
	assert_int_equal(v, 9007199254740992LL);
	v = 11;
	assert_refused(&d, want_integer(&d.w, cJSON_GetArrayItem(a, 3), "i", &v), "i",
	               "i: must be an integer");
	assert_refused(&d, want_integer(&d.w, cJSON_GetArrayItem(a, 4), "i", &v), "i",
	               "i: must be an integer");
	assert_refused(&d, want_integer(&d.w, cJSON_GetArrayItem(a, 5), "i", &v), "i",
	               "i: must be an integer");
	assert_int_equal(v, 11);

	double pc = -1;
	assert_int_equal(want_percent(&d.w, cJSON_GetArrayItem(a, 6), "p", &pc), 0);
	assert_true(pc == 0.0);
	assert_int_equal(want_percent(&d.w, cJSON_GetArrayItem(a, 7), "p", &pc), 0);
	assert_true(pc == 100.0);
	assert_int_equal(want_percent(&d.w, cJSON_GetArrayItem(a, 10), "p", &pc), 0);
	assert_true(pc == 42.5);
	assert_refused(&d, want_percent(&d.w, cJSON_GetArrayItem(a, 8), "p", &pc), "p",
	               "p: must be between 0 and 100");
	assert_refused(&d, want_percent(&d.w, cJSON_GetArrayItem(a, 9), "p", &pc), "p",
	               "p: must be between 0 and 100");
	assert_refused(&d, want_percent(&d.w, cJSON_GetArrayItem(a, 5), "p", &pc), "p",
	               "p: must be a number");
	assert_true(pc == 42.5);
	doc_free(&d);
}

static void test_size(void **state)
{
	(void)state;
	struct doc d;
	doc_parse(&d, "[4096, \"64Mi\", -1, 1e300, 1.5, true, \"lots\", \"99999999999Ti\", 0]");
	const cJSON *a = d.root;
	uint64_t v = 0;
	assert_int_equal(want_size(&d.w, cJSON_GetArrayItem(a, 0), "s", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(want_size(&d.w, cJSON_GetArrayItem(a, 1), "s", &v), 0);
	assert_int_equal(v, 64 * 1024 * 1024);
	assert_int_equal(want_size(&d.w, cJSON_GetArrayItem(a, 8), "s", &v), 0);
	assert_int_equal(v, 0);
	assert_refused(&d, want_size(&d.w, cJSON_GetArrayItem(a, 2), "s", &v), "s",
	               "s: must not be negative");
	assert_refused(&d, want_size(&d.w, cJSON_GetArrayItem(a, 3), "s", &v), "s",
	               "s: too large for a JSON number; use a string like \"8Ti\"");
	assert_refused(&d, want_size(&d.w, cJSON_GetArrayItem(a, 4), "s", &v), "s",
	               "s: must be a whole number of bytes");
	assert_refused(&d, want_size(&d.w, cJSON_GetArrayItem(a, 5), "s", &v), "s",
	               "s: must be a size (a number of bytes or a string like \"64Mi\")");
	assert_refused(&d, want_size(&d.w, cJSON_GetArrayItem(a, 6), "s", &v), "s",
	               "s: invalid size \"lots\" (expected a whole number with an optional suffix K, Ki, "
	               "M, Mi, G, Gi, T, Ti)");
	assert_refused(&d, want_size(&d.w, cJSON_GetArrayItem(a, 7), "s", &v), "s",
	               "s: size \"99999999999Ti\" is too large");
	doc_free(&d);
}

static void test_duration_rate(void **state)
{
	(void)state;
	struct doc d;
	doc_parse(&d, "[\"10s\", \"0s\", 10, \"soon\", \"99999999999999h\", \"10Mi/s\", \"/s\", \"10Mi\", "
	              "\"x/s\"]");
	const cJSON *a = d.root;
	uint64_t v = 0;
	assert_int_equal(want_duration(&d.w, cJSON_GetArrayItem(a, 0), "t", &v), 0);
	assert_int_equal(v, 10 * USEC_PER_SEC);
	assert_int_equal(want_duration(&d.w, cJSON_GetArrayItem(a, 1), "t", &v), 0);
	assert_int_equal(v, 0);
	assert_refused(&d, want_duration(&d.w, cJSON_GetArrayItem(a, 2), "t", &v), "t",
	               "t: must be a duration string like \"10s\"");
	assert_refused(&d, want_duration(&d.w, cJSON_GetArrayItem(a, 3), "t", &v), "t",
	               "t: invalid duration \"soon\" (expected a whole number with a unit: us, ms, s, m, h)");
	assert_refused(&d, want_duration(&d.w, cJSON_GetArrayItem(a, 4), "t", &v), "t",
	               "t: duration \"99999999999999h\" is too large");
	v = 5;
	assert_refused(&d, want_positive_duration(&d.w, cJSON_GetArrayItem(a, 1), "t", &v), "t",
	               "t: must be greater than 0");
	assert_int_equal(v, 5);
	assert_int_equal(want_positive_duration(&d.w, cJSON_GetArrayItem(a, 0), "t", &v), 0);
	assert_int_equal(v, 10 * USEC_PER_SEC);

	double rate = 0;
	assert_int_equal(want_rate(&d.w, cJSON_GetArrayItem(a, 5), "r", &rate), 0);
	assert_true(rate == 10.0 * 1024 * 1024);
	for (int i = 6; i <= 8; i++)
		assert_refused(&d, want_rate(&d.w, cJSON_GetArrayItem(a, i), "r", &rate), "r",
		               "r: must be a size per second like \"10Mi/s\"");
	assert_refused(&d, want_rate(&d.w, cJSON_GetArrayItem(a, 2), "r", &rate), "r", "r: must be a string");
	assert_true(rate == 10.0 * 1024 * 1024);
	doc_free(&d);
}

static void test_argv(void **state)
{
	(void)state;
	struct doc d;
	doc_parse(&d, "{\"ok\":[\"/bin/sh\",\"-c\",\"x\"],\"rel\":[\"sh\"],\"empty\":[],\"str\":\"/bin/sh\","
	              "\"num\":[\"/bin/sh\",3]}");
	const cJSON *r = d.root;
	char **argv = NULL;
	assert_int_equal(want_argv(&d.w, cJSON_GetObjectItem(r, "ok"), "exec", &argv), 0);
	assert_string_equal(argv[0], "/bin/sh");
	assert_string_equal(argv[2], "x");
	assert_null(argv[3]);
	strv_free(argv);
	argv = NULL;
	assert_refused(&d, want_argv(&d.w, cJSON_GetObjectItem(r, "rel"), "exec", &argv), "exec[0]",
	               "exec[0]: must be an absolute path, got \"sh\"");
	assert_refused(&d, want_argv(&d.w, cJSON_GetObjectItem(r, "empty"), "exec", &argv), "exec",
	               "exec: must not be empty");
	assert_refused(&d, want_argv(&d.w, cJSON_GetObjectItem(r, "str"), "exec", &argv), "exec",
	               "exec: must be an array of strings (an absolute path, then arguments)");
	assert_refused(&d, want_argv(&d.w, cJSON_GetObjectItem(r, "num"), "exec", &argv), "exec[1]",
	               "exec[1]: must be a string");
	assert_null(argv);
	doc_free(&d);

	/* COMMAND_MAX_ARGS strings are taken, one more is refused */
	cJSON *arr = cJSON_CreateArray();
	for (int i = 0; i < COMMAND_MAX_ARGS; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString("/a"));
	d = (struct doc){ .root = arr };
	d.w = (struct want_ctx){ .err = d.err, .err_size = sizeof(d.err) };
	assert_int_equal(want_argv(&d.w, arr, "exec", &argv), 0);
	strv_free(argv);
	argv = NULL;
	cJSON_AddItemToArray(arr, cJSON_CreateString("/a"));
	char want[80];
	snprintf(want, sizeof(want), "exec: at most %d strings (the program and its arguments)",
	         COMMAND_MAX_ARGS);
	assert_refused(&d, want_argv(&d.w, arr, "exec", &argv), "exec", want);
	assert_null(argv);
	doc_free(&d);
}

/* want_utf8_invalid: the offset of the first bad byte, or -1 when all are well-formed. */
static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t len;
		long bad;
	} cases[] = {
		{ "", 0, -1 },
		{ "plain", 5, -1 },
		{ "\xc3\xa9", 2, -1 },         /* U+00E9 */
		{ "\xe2\x82\xac", 3, -1 },     /* U+20AC */
		{ "\xf0\x9f\x94\xa5", 4, -1 }, /* U+1F525 */
		{ "\xf4\x8f\xbf\xbf", 4, -1 }, /* U+10FFFF, the last */
		{ "\xed\x9f\xbf", 3, -1 },     /* U+D7FF, before the surrogates */
		{ "a\xff", 2, 1 },             /* never in UTF-8 */
		{ "a\x80", 2, 1 },             /* a continuation without a start */
		{ "\xc0\xaf", 2, 0 },          /* overlong "/" */
		{ "\xc1\xbf", 2, 0 },          /* overlong */
		{ "\xe0\x80\xaf", 3, 0 },      /* overlong "/" in 3 bytes */
		{ "\xf0\x80\x80\xaf", 4, 0 },  /* overlong in 4 */
		{ "\xed\xa0\x80", 3, 0 },      /* U+D800, a surrogate */
		{ "\xf4\x90\x80\x80", 4, 0 },  /* above U+10FFFF */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "ab\xe2\x82", 4, 2 },  /* cut short by the end */
		{ "ab\xe2\x82x", 5, 2 }, /* cut short by an ASCII byte */
		{ "\xc3", 1, 0 },
		{ "\xc3\xa9\xc3", 3, 2 },
		{ "x\xc3\xa9y\xe2\x28\xa1", 7, 4 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *bad = want_utf8_invalid(cases[i].s, cases[i].len);
		long got = bad ? (long)(bad - cases[i].s) : -1;
		if (got != cases[i].bad)
			fail_msg("case %zu: got %ld, want %ld", i, got, cases[i].bad);
	}
	/* the length bounds the scan: a start byte at the end of the range is cut short, not read past */
	static const char two[] = "a\xc3\xa9";
	assert_ptr_equal(want_utf8_invalid(two, 2), two + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail_and_oom),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_keys_known),
		cmocka_unit_test(test_object_string_bool),
		cmocka_unit_test(test_string_length),
		cmocka_unit_test(test_integer_percent),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_duration_rate),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_utf8),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
