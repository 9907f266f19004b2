/* curl_api: libcurl loaded with dlopen: every function of the table resolved, a second load a
 * no-op, and curl_global_init's users counted (the last release cleans up, a later acquire
 * initialises again, a release without users does nothing). */
#include "unit.h"

#include "base/curl_api.h"

/* Every slot of the table, as the pointers dlsym filled. */
static void assert_table_filled(void)
{
	void *slots[sizeof(curl_api) / sizeof(void *)];
	memcpy(slots, &curl_api, sizeof(slots));
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (!slots[i])
			fail_msg("curl_api slot %zu is NULL", i);
}

static void test_load(void **state)
{
	(void)state;
	char err[256] = "";
	assert_int_equal(curl_api_load(err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_table_filled();
	void *easy_init = (void *)curl_api.easy_init;
	assert_int_equal(curl_api_load(err, sizeof(err)), 0);
	assert_ptr_equal((void *)curl_api.easy_init, easy_init);
}

/* Users counted: an easy handle works while any user holds libcurl's state, through two
 * acquire/release rounds; a release too many is ignored. */
static void test_global_users(void **state)
{
	(void)state;
	char err[256];
	curl_api_global_release(); /* no user: nothing to clean up */
	for (int round = 0; round < 2; round++) {
		assert_int_equal(curl_api_global_acquire(err, sizeof(err)), 0);
		assert_int_equal(curl_api_global_acquire(err, sizeof(err)), 0);
		curl_api_global_release();
		CURL *h = curl_api.easy_init();
		assert_non_null(h);
		assert_int_equal(curl_api.easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/"), CURLE_OK);
		curl_api.easy_cleanup(h);
		curl_api_global_release();
	}
	curl_api_global_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_global_users),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
