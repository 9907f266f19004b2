/* kube_events: the client's configuration from the environment (each variable, its defaults and
 * each refusal with its message), and the client on a real loop without an API server: kinds that
 * are not sent, a dry run, the token's troubles (missing, empty, a line break inside) counted as
 * failures, a refused connection classified as a transport error that is retried, and Events about
 * another pod. */
#include "unit.h"

#include "capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/loop.h"
#include "base/util.h"
#include "delivery/kube_events.h"

#define DEADLINE_USEC (UINT64_C(5) * USEC_PER_SEC)

static const char *const vars[] = {
	"MEMHOOK_KUBERNETES_API",
	"MEMHOOK_KUBERNETES_TOKEN_FILE",
	"MEMHOOK_KUBERNETES_CA_FILE",
	"POD_NAME",
	"POD_NAMESPACE",
	"POD_UID",
	"KUBERNETES_SERVICE_HOST",
	"KUBERNETES_SERVICE_PORT",
};

static void env_clear(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(vars); i++)
		unsetenv(vars[i]);
}

struct conf {
	struct kube_events_config cfg;
	char url[128], ns[64], err[256];
};

static int from_env(struct conf *c)
{
	c->err[0] = '\0';
	return kube_events_config_from_env(&c->cfg, c->url, sizeof(c->url), c->ns, sizeof(c->ns), c->err,
	                                   sizeof(c->err));
}

static void test_config_from_env(void **state)
{
	(void)state;
	struct conf c;
	env_clear();
	setenv("MEMHOOK_KUBERNETES_API", "https://api.example:6443", 1);
	setenv("POD_NAME", "web-0", 1);
	setenv("POD_NAMESPACE", "shop", 1);
	setenv("POD_UID", "1234-abcd", 1);
	assert_int_equal(from_env(&c), 0);
	assert_string_equal(c.cfg.api_url, "https://api.example:6443");
	assert_string_equal(c.cfg.pod_name, "web-0");
	assert_string_equal(c.cfg.pod_namespace, "shop");
	assert_string_equal(c.cfg.pod_uid, "1234-abcd");
	/* the service account's files unless given */
	assert_string_equal(c.cfg.token_file, KUBE_TOKEN_FILE);
	assert_string_equal(c.cfg.ca_file, KUBE_CA_FILE);
	assert_false(c.cfg.dry_run);
	setenv("MEMHOOK_KUBERNETES_TOKEN_FILE", "/run/token", 1);
	setenv("MEMHOOK_KUBERNETES_CA_FILE", "/run/ca.crt", 1);
	setenv("POD_UID", "", 1); /* empty is unset */
	assert_int_equal(from_env(&c), 0);
	assert_string_equal(c.cfg.token_file, "/run/token");
	assert_string_equal(c.cfg.ca_file, "/run/ca.crt");
	assert_null(c.cfg.pod_uid);

	/* the in-cluster service's host and port, IPv6 in brackets */
	unsetenv("MEMHOOK_KUBERNETES_API");
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(from_env(&c), 0);
	assert_string_equal(c.cfg.api_url, "https://[fd00::1]:443");
	assert_ptr_equal(c.cfg.api_url, c.url);
	unsetenv("KUBERNETES_SERVICE_PORT");
	assert_int_equal(from_env(&c), -EINVAL);
	assert_string_equal(c.err, "--kubernetes-events: no API server: KUBERNETES_SERVICE_HOST and "
	                           "KUBERNETES_SERVICE_PORT are not set to a host and a port (or set "
	                           "MEMHOOK_KUBERNETES_API)");
	char host[200];
	memset(host, 'h', sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	setenv("KUBERNETES_SERVICE_HOST", host, 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(from_env(&c), -EINVAL);
	assert_non_null(strstr(c.err, "KUBERNETES_SERVICE_PORT are too long"));

	/* TLS is verified: no plain http */
	setenv("MEMHOOK_KUBERNETES_API", "http://api.example", 1);
	assert_int_equal(from_env(&c), -EINVAL);
	assert_string_equal(c.err,
	                    "--kubernetes-events: the API server URL must be https:// (TLS is verified)");
	setenv("MEMHOOK_KUBERNETES_API", "https://api.example", 1);

	/* the pod's name: required, at most a Kubernetes name */
	unsetenv("POD_NAME");
	assert_int_equal(from_env(&c), -EINVAL);
	assert_string_equal(c.err, "--kubernetes-events: POD_NAME is not set (the Downward API: fieldRef "
	                           "metadata.name)");
	char name[KUBE_NAME_MAX_CHARS + 2];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	setenv("POD_NAME", name, 1);
	assert_int_equal(from_env(&c), -EINVAL);
	assert_string_equal(c.err, "--kubernetes-events: POD_NAME is longer than 253 characters");
	name[KUBE_NAME_MAX_CHARS] = '\0';
	setenv("POD_NAME", name, 1);
	assert_int_equal(from_env(&c), 0);

	/* no namespace: the service account's file, which a test machine does not have */
	if (access(KUBE_NAMESPACE_FILE, F_OK) != 0) {
		unsetenv("POD_NAMESPACE");
		assert_int_equal(from_env(&c), -EINVAL);
		assert_string_equal(c.err,
		                    "--kubernetes-events: POD_NAMESPACE is not set and " KUBE_NAMESPACE_FILE
		                    " is unreadable (No such file or directory)");
	}
	env_clear();
}

struct env {
	struct loop *l;
	struct kube_events *k;
	char dir[64], token[96];
	struct kube_events_config cfg;
};

/* A port on 127.0.0.1 nothing listens on (bound, then closed). */
static uint16_t closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void put_token(struct env *e, const char *text)
{
	FILE *f = fopen(e->token, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct env *env_new(const char *api_url, bool dry_run)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	assert_int_equal(loop_new(&e->l), 0);
	snprintf(e->dir, sizeof(e->dir), "/tmp/memhook-kube-XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->token, sizeof(e->token), "%s/token", e->dir);
	e->cfg = (struct kube_events_config){ .api_url = api_url,
		                              .token_file = e->token,
		                              .ca_file = "/nonexistent/ca.crt",
		                              .pod_name = "web-0",
		                              .pod_namespace = "shop",
		                              .dry_run = dry_run };
	assert_int_equal(kube_events_new(e->l, &e->cfg, &e->k), 0);
	return e;
}

static void env_free(struct env *e)
{
	kube_events_free(e->k);
	loop_free(e->l);
	unlink(e->token);
	rmdir(e->dir);
	free(e);
}

/* Runs the loop until the client's stats say done (sent + failed) reached n, or the deadline. */
static bool run_until_done(struct env *e, uint64_t n)
{
	uint64_t end = now_mono_usec() + DEADLINE_USEC;
	struct kube_events_stats st;
	for (;;) {
		kube_events_get_stats(e->k, &st);
		if (st.sent + st.failed >= n)
			return true;
		if (now_mono_usec() >= end)
			return false;
		assert_true(loop_iterate(e->l, 50000) >= 0);
	}
}

static const struct event entered = { .kind = EVENT_ENTERED, .level = 1, .previous_level = 0 };

static void test_kinds_not_sent_and_dry_run(void **state)
{
	(void)state;
	struct kube_events_stats st;
	/* no client: nothing, and no stats */
	assert_int_equal(kube_events_post(NULL, &entered, "high", "normal", NULL), 0);
	assert_int_equal(kube_events_pending(NULL), 0);
	kube_events_get_stats(NULL, &st);
	assert_int_equal(st.posted, 0);
	kube_events_free(NULL);

	struct env *e = env_new("https://127.0.0.1:1/", false);
	/* remaining and limit_changed are no Kubernetes Events */
	struct event remaining = { .kind = EVENT_REMAINING, .level = 1, .previous_level = 1 };
	struct event limit = { .kind = EVENT_LIMIT_CHANGED, .level = 0, .previous_level = 0 };
	assert_int_equal(kube_events_post(e->k, &remaining, "high", "high", NULL), 0);
	assert_int_equal(kube_events_post(e->k, &limit, "normal", "normal", NULL), 0);
	assert_int_equal(kube_events_pending(e->k), 0);
	kube_events_get_stats(e->k, &st);
	assert_int_equal(st.posted, 0);
	env_free(e);

	/* a dry run says what it would send, and sends nothing */
	e = env_new("https://127.0.0.1:1", true);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	assert_int_equal(kube_events_post(e->k, &entered, "high", "normal", NULL), 0);
	char *log = capture_end();
	assert_non_null(strstr(log, "kubernetes events: would create or repeat Event "));
	assert_non_null(strstr(log, " regarding pod shop/web-0: "));
	free(log);
	assert_int_equal(kube_events_pending(e->k), 0);
	kube_events_get_stats(e->k, &st);
	assert_int_equal(st.posted, 0);
	env_free(e);
}

/* Events about another pod: in its namespace (a dry run says which), the container named first in
 * the note when the pod names one, memhook's own word with a reason and type checked, a pod
 * without a name or namespace refused. */
static void test_about_another_pod(void **state)
{
	(void)state;
	struct env *e = env_new("https://127.0.0.1:1", true);
	struct kube_pod api = { "api-7", "payments", "u-7", NULL }, nameless = { "", "payments", NULL, NULL };
	struct kube_pod api_app = { "api-7", "payments", "u-7", "app" };
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	assert_int_equal(kube_events_post_about(e->k, &api, &entered, "high", "normal", NULL), 0);
	assert_int_equal(
	        kube_events_post_note(e->k, &api, "BadAnnotation", "Warning", "memhook.io/x:\nunknown"), 0);
	assert_int_equal(kube_events_post_about(e->k, &api_app, &entered, "high", "normal", NULL), 0);
	assert_int_equal(kube_events_post_note(e->k, &api_app, "BadPolicy", "Warning", "no such file"), 0);
	char *log = capture_end();
	assert_non_null(strstr(log, "Event MemoryLevelEntered (Warning) regarding pod payments/api-7: "));
	assert_non_null(strstr(
	        log, "Event BadAnnotation (Warning) regarding pod payments/api-7: memhook.io/x: unknown"));
	assert_non_null(
	        strstr(log, "Event MemoryLevelEntered (Warning) regarding pod payments/api-7: container app: "
	                    "Memory level"));
	assert_non_null(strstr(
	        log, "Event BadPolicy (Warning) regarding pod payments/api-7: container app: no such file"));
	free(log);
	assert_int_equal(kube_events_post_about(e->k, &nameless, &entered, "high", "normal", NULL), -EINVAL);
	assert_int_equal(kube_events_post_note(e->k, &api, "bad reason", "Warning", "x"), -EINVAL);
	assert_int_equal(kube_events_post_note(e->k, &api, "badReason", "Warning", "x"), -EINVAL);
	assert_int_equal(kube_events_post_note(e->k, &api, "Fine", "Error", "x"), -EINVAL);
	assert_int_equal(kube_events_post_note(NULL, &api, "Fine", "Normal", "x"), 0);
	env_free(e);
}

/* The token is read before the request: missing, empty or split by a line break, the Event is
 * not sent, said with the file's path and counted failed. */
static void test_token_trouble_is_a_failure(void **state)
{
	(void)state;
	static const struct {
		const char *token; /* NULL: no file */
		const char *says;
	} cases[] = {
		{ NULL, ": No such file or directory (1 failed)" },
		{ "\n", ": empty (1 failed)" },
		{ "abc\rdef\n", ": Invalid argument (1 failed)" },
		{ "abc\ndef", ": Invalid argument (1 failed)" },
	};
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char url[64];
		snprintf(url, sizeof(url), "https://127.0.0.1:%u", closed_port());
		struct env *e = env_new(url, false);
		if (cases[i].token)
			put_token(e, cases[i].token);
		capture_start();
		assert_int_equal(kube_events_post(e->k, &entered, "high", "normal", NULL), 0);
		assert_true(run_until_done(e, 1));
		char *log = capture_end();
		struct kube_events_stats st;
		kube_events_get_stats(e->k, &st);
		assert_int_equal(st.posted, 1);
		assert_int_equal(st.failed, 1);
		assert_int_equal(st.sent, 0);
		assert_int_equal(kube_events_pending(e->k), 0);
		char want[256];
		snprintf(want, sizeof(want), " Event not sent: token %s%s", e->token, cases[i].says);
		if (!strstr(log, want))
			fail_msg("case %zu: wanted '%s' in:\n%s", i, want, log);
		assert_null(strstr(log, "abc"));
		free(log);
		env_free(e);
	}
}

/* With a token, the request is built and sent; a refused connection is a transport error,
 * retried after the first backoff (not given up), and aborted with the client. */
static void test_refused_connection_is_retried(void **state)
{
	(void)state;
	char url[64];
	snprintf(url, sizeof(url), "https://127.0.0.1:%u//", closed_port());
	struct env *e = env_new(url, false);
	put_token(e, "the-token\n");
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	capture_start();
	assert_int_equal(kube_events_post(e->k, &entered, "high", "normal", NULL), 0);
	assert_int_equal(kube_events_pending(e->k), 1);
	uint64_t end = now_mono_usec() + DEADLINE_USEC;
	char *log = NULL;
	for (;;) {
		assert_true(loop_iterate(e->l, 50000) >= 0);
		fflush(stderr);
		FILE *f = fopen(capture_path, "r");
		assert_non_null(f);
		char buf[4096] = "";
		size_t n = fread(buf, 1, sizeof(buf) - 1, f);
		buf[n] = '\0';
		fclose(f);
		if (strstr(buf, "retrying in") || now_mono_usec() >= end)
			break;
	}
	kube_events_free(e->k);
	e->k = NULL;
	log = capture_end();
	assert_non_null(strstr(log, "kubernetes events: POST "));
	assert_non_null(strstr(log, " failed: "));
	assert_non_null(strstr(log, "(attempt 1/"));
	assert_non_null(strstr(log, "retrying in 1000 ms"));
	assert_non_null(strstr(log, "kubernetes events: aborting 1 queued or in-flight Event(s)"));
	assert_null(strstr(log, "the-token"));
	free(log);
	env_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_from_env),
		cmocka_unit_test(test_kinds_not_sent_and_dry_run),
		cmocka_unit_test(test_about_another_pod),
		cmocka_unit_test(test_token_trouble_is_a_failure),
		cmocka_unit_test(test_refused_connection_is_retried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
