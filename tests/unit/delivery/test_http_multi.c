/* http_multi: the pieces that need no transfer: the NO_PROXY list and the bounded answer. */
#include "unit.h"

#include <stdlib.h>

#include "delivery/http_multi.h"
#include "base/util.h"

static void expect_noproxy(const char *user, const char *want)
{
	_cleanup_free_ char *got = http_noproxy_list(user);
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void test_noproxy_list(void **state _unused_)
{
	/* loopback always, then the user's list, which CURLOPT_NOPROXY would otherwise replace */
	expect_noproxy(NULL, "localhost,127.0.0.1,127.0.0.0/8,::1");
	expect_noproxy("", "localhost,127.0.0.1,127.0.0.0/8,::1");
	expect_noproxy("example.com,.svc", "localhost,127.0.0.1,127.0.0.0/8,::1,example.com,.svc");
	expect_noproxy(" ,10.0.0.0/8", "localhost,127.0.0.1,127.0.0.0/8,::1,10.0.0.0/8");
	/* "*" is "no proxy for anything" only on its own */
	expect_noproxy("*", "*");
}

static void test_answer_bounded(void **state _unused_)
{
	struct http_answer *a = calloc(1, sizeof(*a));
	static char chunk[16384];
	memset(chunk, 'x', sizeof(chunk));
	assert_non_null(a);
	size_t fed = 0;
	while (http_answer_body(chunk, 1, sizeof(chunk), a) == sizeof(chunk))
		fed += sizeof(chunk);
	/* cut once past the bound, never far past it */
	assert_true(a->cut);
	assert_true(fed <= HTTP_ANSWER_MAX_BYTES);
	assert_true(fed + sizeof(chunk) > HTTP_ANSWER_MAX_BYTES);
	assert_int_equal(a->kept_len, HTTP_ANSWER_KEEP_BYTES);
	assert_int_equal(a->kept[HTTP_ANSWER_KEEP_BYTES], '\0');
	/* the status line read before the cut stands; a write error of its own does not */
	assert_true(http_answered(CURLE_WRITE_ERROR, a));
	assert_true(http_answered(CURLE_OK, a));
	a->cut = false;
	assert_false(http_answered(CURLE_WRITE_ERROR, a));
	assert_false(http_answered(CURLE_OPERATION_TIMEDOUT, a));
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_noproxy_list),
		cmocka_unit_test(test_answer_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
