/* webhook_secrets: the text of a secret split into keys (whitespace-separated, whsec_ decoded,
 * at most WEBHOOK_SECRETS_MAX), and webhook_keys_load from a file or a variable: each job's own
 * copy, the refusals (missing, too big, not a regular file, not a secret) and what is logged. */
#include "unit.h"

#include "capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "delivery/webhook_secrets.h"

/* paths and variable names are written as string literals (-Wwrite-strings makes them const) */
#pragma GCC diagnostic ignored "-Wdiscarded-qualifiers"

static void test_parse_secrets(void **state)
{
	(void)state;
	unsigned char dec[256];
	struct webhook_key k[WEBHOOK_SECRETS_MAX];
	/* plain: its bytes; one trailing newline or spaces around are no part of it */
	const char *t = "s3cret\n";
	assert_int_equal(webhook_parse_secrets(t, strlen(t), dec, k), 1);
	assert_int_equal(k[0].len, 6);
	assert_memory_equal(k[0].bytes, "s3cret", 6);
	/* whsec_ with and without padding, beside a plain one: rotation */
	t = "  whsec_aGVsbG8=\twhsec_aGVsbG8 plain\n";
	assert_int_equal(webhook_parse_secrets(t, strlen(t), dec, k), 3);
	assert_int_equal(k[0].len, 5);
	assert_memory_equal(k[0].bytes, "hello", 5);
	assert_int_equal(k[1].len, 5);
	assert_memory_equal(k[1].bytes, "hello", 5);
	assert_int_equal(k[2].len, 5);
	assert_memory_equal(k[2].bytes, "plain", 5);
	/* hostile */
	static const char *const bad[] = { "", " \n\t", "whsec_!!!!", "whsec_a", "whsec_a===", "whsec_-_-_" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(webhook_parse_secrets(bad[i], strlen(bad[i]), dec, k), -EINVAL);
	t = "a b c d e";
	assert_int_equal(webhook_parse_secrets(t, strlen(t), dec, k), -E2BIG);
	t = "a b c d";
	assert_int_equal(webhook_parse_secrets(t, strlen(t), dec, k), 4);
	/* "whsec_" alone is a plain secret of 6 bytes (nothing to decode) */
	t = "whsec_";
	assert_int_equal(webhook_parse_secrets(t, strlen(t), dec, k), 1);
	assert_int_equal(k[0].len, 6);
}

/* A temp file holding len bytes of text; its path into path (size 64). */
static void secret_file(char path[64], const char *text, size_t len)
{
	snprintf(path, 64, "/tmp/memhook-secret-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void test_load_from_file_and_env(void **state)
{
	(void)state;
	char path[64];
	/* two secrets, rotation: a whsec_ one ("hello") and a plain one */
	const char *text = "whsec_aGVsbG8=\n  next-secret\n";
	secret_file(path, text, strlen(text));
	struct webhook_cfg cfg = { .secret_file = path };
	struct webhook_keys k = { 0 };
	assert_int_equal(webhook_keys_load(&cfg, "h", &k), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.keys[0].len, 5);
	assert_memory_equal(k.keys[0].bytes, "hello", 5);
	assert_int_equal(k.keys[1].len, 11);
	assert_memory_equal(k.keys[1].bytes, "next-secret", 11);
	/* the job's own copy: the keys point into its data, not into anything of the loader */
	assert_int_equal(k.data_len, 16);
	assert_ptr_equal(k.keys[0].bytes, k.data);
	assert_ptr_equal(k.keys[1].bytes, k.data + 5);
	unlink(path);
	assert_memory_equal(k.keys[1].bytes, "next-secret", 11);
	webhook_keys_clear(&k);
	assert_null(k.data);
	assert_int_equal(k.n, 0);
	webhook_keys_clear(&k); /* twice is fine */

	setenv("MEMHOOK_TEST_SECRET", "topsecret", 1);
	struct webhook_cfg env_cfg = { .secret_env = "MEMHOOK_TEST_SECRET" };
	assert_int_equal(webhook_keys_load(&env_cfg, "h", &k), 0);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.keys[0].len, 9);
	assert_memory_equal(k.keys[0].bytes, "topsecret", 9);
	webhook_keys_clear(&k);
	unsetenv("MEMHOOK_TEST_SECRET");
}

/* Each refusal leaves ret untouched. */
static void test_load_refused(void **state)
{
	(void)state;
	char path[64];
	struct webhook_keys k = { 0 };
	/* a file that is gone, a variable that is not set */
	struct webhook_cfg cfg = { .secret_file = "/nonexistent/memhook-secret" };
	assert_int_equal(webhook_keys_load(&cfg, "h", &k), -ENOENT);
	unsetenv("MEMHOOK_TEST_NO_SUCH_SECRET");
	struct webhook_cfg env_cfg = { .secret_env = "MEMHOOK_TEST_NO_SUCH_SECRET" };
	assert_int_equal(webhook_keys_load(&env_cfg, "h", &k), -ENOENT);
	/* more than WEBHOOK_SECRET_MAX_BYTES, from a file or a variable */
	char *big = malloc(WEBHOOK_SECRET_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, 'k', WEBHOOK_SECRET_MAX_BYTES + 1);
	big[WEBHOOK_SECRET_MAX_BYTES + 1] = '\0';
	secret_file(path, big, WEBHOOK_SECRET_MAX_BYTES + 1);
	cfg.secret_file = path;
	assert_int_equal(webhook_keys_load(&cfg, "h", &k), -EFBIG);
	unlink(path);
	setenv("MEMHOOK_TEST_SECRET", big, 1);
	env_cfg.secret_env = "MEMHOOK_TEST_SECRET";
	assert_int_equal(webhook_keys_load(&env_cfg, "h", &k), -EFBIG);
	unsetenv("MEMHOOK_TEST_SECRET");
	free(big);
	/* not a regular file: a FIFO (never waited on: alarm kills a blocking open) and a directory */
	char dir[] = "/tmp/memhook-secret-XXXXXX";
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_int_equal(webhook_keys_load(&cfg, "h", &k), -EBADFD);
	alarm(0);
	unlink(path);
	cfg.secret_file = dir;
	assert_int_equal(webhook_keys_load(&cfg, "h", &k), -EBADFD);
	rmdir(dir);
	assert_null(k.data);
	assert_int_equal(k.n, 0);
}

/* Text that is no secret, or too many: refused and logged at warn with where it came from and
 * why, never with the secret. */
static void test_load_bad_text_is_logged(void **state)
{
	(void)state;
	char path[64];
	struct webhook_keys k = { 0 };
	const char *five = "one two three four five\n";
	secret_file(path, five, strlen(five));
	struct webhook_cfg cfg = { .secret_file = path };
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	assert_int_equal(webhook_keys_load(&cfg, "handlers[2]", &k), -E2BIG);
	char *log = capture_end();
	char want[128];
	snprintf(want, sizeof(want), "webhook handlers[2]: secret_file %s: more than 4 secrets", path);
	assert_non_null(strstr(log, want));
	assert_null(strstr(log, "three"));
	free(log);
	unlink(path);

	setenv("MEMHOOK_TEST_SECRET", "whsec_!!not-base64!!", 1);
	struct webhook_cfg env_cfg = { .secret_env = "MEMHOOK_TEST_SECRET" };
	capture_start();
	assert_int_equal(webhook_keys_load(&env_cfg, "handlers[3]", &k), -EINVAL);
	log = capture_end();
	assert_non_null(strstr(log,
	                       "webhook handlers[3]: secret_env MEMHOOK_TEST_SECRET: no secret, or a whsec_ "
	                       "secret that is not base64"));
	assert_null(strstr(log, "not-base64"));
	free(log);
	/* only blanks: no secret */
	setenv("MEMHOOK_TEST_SECRET", " \t\n", 1);
	capture_start();
	assert_int_equal(webhook_keys_load(&env_cfg, "handlers[3]", &k), -EINVAL);
	free(capture_end());
	unsetenv("MEMHOOK_TEST_SECRET");
	assert_null(k.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_secrets),
		cmocka_unit_test(test_load_from_file_and_env),
		cmocka_unit_test(test_load_refused),
		cmocka_unit_test(test_load_bad_text_is_logged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
