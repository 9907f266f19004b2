/* url: url_redact against a table of URLs with and without userinfo, odd schemes and the inputs
 * fuzzing found; what it returns is always a new string. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/url.h"
#include "base/util.h"

static void test_url_redact(void **state)
{
	(void)state;
	static const struct {
		const char *url, *want;
	} cases[] = {
		{ "http://alice:PW@host/x", "http://***@host/x" },
		{ "https://alice:PW@host:8443/x?y=1", "https://***@host:8443/x?y=1" },
		/* no userinfo: as it is, '@' in the path, query or fragment included */
		{ "http://host/x", "http://host/x" },
		{ "http://host", "http://host" },
		{ "http://host/a@b", "http://host/a@b" },
		{ "http://host?to=a@b", "http://host?to=a@b" },
		{ "http://host#a@b", "http://host#a@b" },
		{ "http://host/p?q=u:pw@x", "http://host/p?q=u:pw@x" },
		{ "http://[::1]:9/", "http://[::1]:9/" },
		/* empty password, user only, empty userinfo */
		{ "http://alice:@host/", "http://***@host/" },
		{ "http://alice@host/", "http://***@host/" },
		{ "http://TOKEN@host", "http://***@host" },
		{ "http://@host/", "http://***@host/" },
		{ "http://:pw@host/", "http://***@host/" },
		/* '@' and ':' inside the password: the userinfo ends at the last '@' before the path */
		{ "http://alice:p@ss:w@host/x@y", "http://***@host/x@y" },
		{ "http://a:b@c@[::1]:9/", "http://***@[::1]:9/" },
		/* the scheme's case and a longer scheme */
		{ "HTTPS://u:p@H/", "HTTPS://***@H/" },
		{ "svn+ssh://u:p@h/", "svn+ssh://***@h/" },
		/* no "://": nothing is an authority */
		{ "alice:PW@host", "alice:PW@host" },
		{ "", "" },
		/* an invalid or empty scheme still hides the userinfo (found by fuzzing) */
		{ "://u:p@h", "://***@h" },
		{ "1http://u:p@h", "1http://***@h" },
		{ "\xff\xffhttA://tok@ho\xff", "\xff\xffhttA://***@ho\xff" },
		{ "http://", "http://" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = url_redact(cases[i].url);
		assert_non_null(got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("url_redact(\"%s\") = \"%s\", want \"%s\"", cases[i].url, got,
			         cases[i].want);
		free(got);
	}
}

/* The answer is always a new string (the caller frees it), at most 3 bytes ("***") longer than
 * the input; a userinfo of 4 KiB is hidden like any other. */
static void test_url_redact_copies(void **state)
{
	(void)state;
	static const char plain[] = "http://host/x";
	char *got = url_redact(plain);
	assert_non_null(got);
	assert_ptr_not_equal(got, plain);
	assert_string_equal(got, plain);
	free(got);

	char url[4200];
	int n = snprintf(url, sizeof(url), "https://");
	memset(url + n, 'u', 4096);
	snprintf(url + n + 4096, sizeof(url) - (size_t)n - 4096, "@h:1/p");
	got = url_redact(url);
	assert_non_null(got);
	assert_string_equal(got, "https://***@h:1/p");
	free(got);

	static const char *const any[] = { "a://b", "a://@", "://", "x://y@z@", "s://u:p@" };
	for (size_t i = 0; i < ARRAY_SIZE(any); i++) {
		got = url_redact(any[i]);
		assert_non_null(got);
		assert_true(strlen(got) <= strlen(any[i]) + 3);
		free(got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_url_redact_copies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
