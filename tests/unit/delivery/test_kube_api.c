/* kube_api: the API server's part of the environment (each variable, its defaults, each refusal
 * naming its caller), the token read again only when its file changed (swapped by a rename as
 * kubelet does, rewritten in place, or forgotten after a 401), and the token's troubles (missing,
 * empty, a line break inside), each of which wipes it. */
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/defaults.h"
#include "delivery/kube_api.h"

static void test_config_from_env(void **state)
{
	(void)state;
	struct kube_api_config c;
	char url[64], err[256];
	unsetenv("MEMHOOK_KUBERNETES_TOKEN_FILE");
	unsetenv("MEMHOOK_KUBERNETES_CA_FILE");
	setenv("MEMHOOK_KUBERNETES_API", "https://api:6443", 1);
	assert_int_equal(kube_api_config_from_env(&c, "node", url, sizeof(url), err, sizeof(err)), 0);
	assert_string_equal(c.api_url, "https://api:6443");
	assert_string_equal(c.token_file, KUBE_TOKEN_FILE);
	assert_string_equal(c.ca_file, KUBE_CA_FILE);
	setenv("MEMHOOK_KUBERNETES_API", "", 1); /* empty is unset */
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	setenv("MEMHOOK_KUBERNETES_TOKEN_FILE", "/t", 1);
	assert_int_equal(kube_api_config_from_env(&c, "node", url, sizeof(url), err, sizeof(err)), 0);
	assert_string_equal(c.api_url, "https://10.0.0.1:443");
	assert_string_equal(c.token_file, "/t");
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_int_equal(kube_api_config_from_env(&c, "node", url, sizeof(url), err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
	                    "node: no API server: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are "
	                    "not set to a host and a port (or set MEMHOOK_KUBERNETES_API)");
	setenv("MEMHOOK_KUBERNETES_API", "http://api", 1);
	assert_int_equal(kube_api_config_from_env(&c, "node", url, sizeof(url), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "node: the API server URL must be https:// (TLS is verified)");
	unsetenv("MEMHOOK_KUBERNETES_API");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("MEMHOOK_KUBERNETES_TOKEN_FILE");
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_token(void **state)
{
	(void)state;
	char dir[] = "/tmp/memhook-token-XXXXXX", path[64], next[64];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	snprintf(next, sizeof(next), "%s/token.new", dir);
	struct kube_token t = { .file = path };
	assert_int_equal(kube_token_refresh(&t), -ENOENT);
	assert_false(t.loaded);
	put(path, "");
	assert_int_equal(kube_token_refresh(&t), -ENODATA);
	put(path, "one\ntwo\n");
	assert_int_equal(kube_token_refresh(&t), -EINVAL);
	assert_string_equal(t.value, ""); /* wiped */
	put(path, "token-one \n");
	assert_int_equal(kube_token_refresh(&t), 0);
	assert_string_equal(t.value, "token-one");
	/* unchanged: not read (a byte changed behind the same stat is not seen) */
	strcpy(t.value, "cached");
	assert_int_equal(kube_token_refresh(&t), 0);
	assert_string_equal(t.value, "cached");
	/* forgotten (a 401): read */
	kube_token_forget(&t);
	assert_int_equal(kube_token_refresh(&t), 0);
	assert_string_equal(t.value, "token-one");
	/* swapped by a rename, as kubelet does */
	put(next, "token-two\n");
	assert_int_equal(rename(next, path), 0);
	assert_int_equal(kube_token_refresh(&t), 0);
	assert_string_equal(t.value, "token-two");
	/* rewritten in place with another size */
	put(path, "token-three\n");
	assert_int_equal(kube_token_refresh(&t), 0);
	assert_string_equal(t.value, "token-three");
	kube_token_wipe(&t);
	assert_false(t.loaded);
	assert_string_equal(t.value, "");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_from_env),
		cmocka_unit_test(test_token),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
