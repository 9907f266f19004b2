/* status: the file is JSON whatever the level name, written whole, and failures are -errno. */
#include "unit.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "output/status.h"
#include "base/util.h"

/* Writes st into a fresh temp dir and parses the file back (the caller frees it). */
static cJSON *write_and_parse(const struct status *st)
{
	char dir[] = "/tmp/memhook-status-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], buf[4096];
	snprintf(path, sizeof(path), "%s/status", dir);
	assert_int_equal(status_write(path, st), 0);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	ssize_t n = pread_all(fd, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(buf[n - 1], '\n');
	assert_int_equal(strchr(buf, '\n') - buf, n - 1); /* one line */
	snprintf(path, sizeof(path), "%s/status.tmp", dir);
	assert_int_equal(access(path, F_OK), -1); /* renamed away */
	snprintf(path, sizeof(path), "%s/status", dir);
	unlink(path);
	rmdir(dir);
	cJSON *o = cJSON_Parse(buf);
	assert_non_null(o);
	return o;
}

static void test_hostile_level_names_round_trip(void **state)
{
	(void)state;
	static const char *const names[] = {
		"say \"hi\"",
		"back\\slash\\",
		"ctl \x01\x1f\t\n\r end",
		"na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac",
		"\xf0\x9f\x99\x82 \xe2\x80\xa8",
		"}{\"level\":9,",
		"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct status st = { .level = 2,
			             .level_name = names[i],
			             .checks = 41,
			             .seq = 7,
			             .target_present = true,
			             .paused = false,
			             .action_failures = 3,
			             .real_usec = UINT64_C(1764105060123000) };
		cJSON *o = write_and_parse(&st);
		assert_string_equal(cJSON_GetObjectItem(o, "level_name")->valuestring, names[i]);
		assert_int_equal(cJSON_GetObjectItem(o, "level")->valueint, 2);
		assert_int_equal(cJSON_GetObjectItem(o, "checks")->valueint, 41);
		assert_int_equal(cJSON_GetObjectItem(o, "seq")->valueint, 7);
		assert_int_equal(cJSON_GetObjectItem(o, "action_failures")->valueint, 3);
		assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "target_present")));
		assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "paused")));
		assert_string_equal(cJSON_GetObjectItem(o, "time")->valuestring, "2025-11-25T21:11:00.123Z");
		assert_int_equal(cJSON_GetArraySize(o), 8);
		cJSON_Delete(o);
	}
}

static void test_unwritable_place_is_errno(void **state)
{
	(void)state;
	struct status st = { .level_name = "normal" };
	assert_int_equal(status_write("/nonexistent/dir/status", &st), -ENOENT);
	char long_path[5000];
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(status_write(long_path, &st), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_level_names_round_trip),
		cmocka_unit_test(test_unwritable_place_is_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
