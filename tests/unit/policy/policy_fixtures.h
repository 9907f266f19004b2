/* What the tests of the policy layer share: a policy from JSON (accepted, or refused with one
 * message), a condition's row run on a hand-built node, and memhook check's text of a node or a
 * handler. Include after unit.h. */
#pragma once

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy/action.h"
#include "policy/condition.h"
#include "policy/eval.h"
#include "policy/policy.h"

#define MiB (UINT64_C(1) << 20)

/* Every condition kind, nested combinators, defaults and explicit values; every action form. */
#define FIXTURE_ALL_KINDS_JSON                                                                              \
	"{\"check_interval\":\"250ms\",\"maximum_available\":\"2Gi\",\"log_transitions\":false,\n"          \
	" \"levels\":[\n"                                                                                   \
	"  {\"name\":\"ga\",\"when\":{\"global_absolute\":\"1536Mi\"}},\n"                                  \
	"  {\"name\":\"gr\",\"when\":{\"global_relative\":12.5}},\n"                                        \
	"  {\"name\":\"la\",\"when\":{\"local_absolute\":123456}},\n"                                       \
	"  {\"name\":\"lr\",\"when\":{\"local_relative\":30}},\n"                                           \
	"  {\"name\":\"cu\",\"when\":{\"custom\":{\"command\":[\"/bin/true\",\"a "                          \
	"b\"],\"timeout\":\"1500ms\"}}},\n"                                                                 \
	"  "                                                                                                \
	"{\"name\":\"lo\",\"when\":{\"all\":[{\"any\":[{\"not\":{\"local_relative\":5}},{\"custom\":{"      \
	"\"command\":[\"/bin/false\"]}}]},{\"local_absolute\":\"64Mi\"}]}},\n"                              \
	"  "                                                                                                \
	"{\"name\":\"ps\",\"when\":{\"pressure\":{\"kind\":\"full\",\"window\":\"avg60\",\"above\":2.5}}}," \
	"\n"                                                                                                \
	"  {\"name\":\"pd\",\"when\":{\"pressure\":{\"above\":10}}},\n"                                     \
	"  {\"name\":\"ev\",\"when\":{\"events\":\"oom_kill\"}},\n"                                         \
	"  {\"name\":\"ec\",\"when\":{\"events\":{\"counter\":\"high\",\"increased_by\":3}}}\n"             \
	" ],\n"                                                                                             \
	" \"handlers\":[\n"                                                                                 \
	"  "                                                                                                \
	"{\"on\":\"entered\",\"level\":2,\"webhook\":{\"url\":\"http://127.0.0.1:1/"                        \
	"x\",\"timeout\":\"2s\",\"retries\":0,\"backoff\":\"1s\",\"secret_env\":\"SEC\",\"tls_verify\":"    \
	"false,"                                                                                            \
	"\"headers\":{\"X-A\":\"b\"}}},\n"                                                                  \
	"  {\"on\":\"left\",\"webhook\":{\"url\":\"https://h/\",\"secret_file\":\"/etc/s\"}},\n"            \
	"  {\"on\":\"remaining\",\"level\":0,\"every\":\"1m\",\"signal\":\"USR1\"},\n"                      \
	"  {\"on\":\"normal\",\"signal\":{\"signal\":15,\"to\":\"cgroup\"}},\n"                             \
	"  {\"on\":\"target_lost\",\"signal\":{\"signal\":\"hup\"}},\n"                                     \
	"  {\"on\":\"entered\",\"reclaim\":\"64Mi\"},\n"                                                    \
	"  {\"on\":\"entered\",\"reclaim\":{\"amount\":\"2.5%\"}},\n"                                       \
	"  {\"on\":\"oom_kill\",\"exec\":[\"/bin/echo\",\"hi\"]},\n"                                        \
	"  "                                                                                                \
	"{\"on\":\"target_found\",\"exec\":{\"command\":[\"/bin/sh\",\"-c\",\"x\"],\"timeout\":\"90s\"}}\n" \
	" ]}\n"

/* The policy json parses to (fails the test otherwise). */
static inline struct policy *fixture_parse_ok(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	if (r < 0)
		fail_msg("policy rejected: %s\n%s", err, json);
	return p;
}

/* json is refused with -EINVAL and exactly the message want (the test fails otherwise). */
static inline void fixture_parse_fails(const char *json, const char *want)
{
	struct policy *p = NULL;
	char err[512];
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	if (r == 0)
		policy_free(p);
	assert_int_equal(r, -EINVAL);
	assert_null(p);
	if (strcmp(err, want) != 0)
		fail_msg("got  \"%s\"\nwant \"%s\"", err, want);
}

/* One level named "a" whose when is the condition text cond ("{\"local_relative\": 30}"): the
 * document as a string the caller frees. */
static inline char *fixture_when(const char *cond)
{
	char *json = NULL;
	assert_true(asprintf(&json, "{\"levels\": [{\"name\": \"a\", \"when\": %s}]}", cond) > 0);
	return json;
}

/* The first level's when of a one-level policy with condition text cond (fails otherwise); the
 * caller frees *ret_p. */
static inline const struct condition *fixture_when_ok(const char *cond, struct policy **ret_p)
{
	char *json = fixture_when(cond);
	*ret_p = fixture_parse_ok(json);
	free(json);
	return &(*ret_p)->levels[0].when;
}

/* A one-level policy with condition text cond is refused with message want. */
static inline void fixture_when_fails(const char *cond, const char *want)
{
	char *json = fixture_when(cond);
	fixture_parse_fails(json, want);
	free(json);
}

/* One handler (text h, e.g. "{\"on\": \"entered\", \"signal\": \"TERM\"}") under a one-level
 * policy: the document as a string the caller frees. */
static inline char *fixture_handler(const char *h)
{
	char *json = NULL;
	assert_true(asprintf(&json,
	                     "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}}], "
	                     "\"handlers\": [%s]}",
	                     h) > 0);
	return json;
}

/* The first handler of such a policy (fails otherwise); the caller frees *ret_p. */
static inline const struct handler *fixture_handler_ok(const char *h, struct policy **ret_p)
{
	char *json = fixture_handler(h);
	*ret_p = fixture_parse_ok(json);
	free(json);
	assert_int_equal((*ret_p)->n_handlers, 1);
	return &(*ret_p)->handlers[0];
}

/* Such a policy is refused with message want. */
static inline void fixture_handler_fails(const char *h, const char *want)
{
	char *json = fixture_handler(h);
	fixture_parse_fails(json, want);
	free(json);
}

/* Whether node c holds for s, through its kind's row. */
static inline bool fixture_eval(const struct condition *c, const struct sample *s, const bool *probes)
{
	return condition_ops(c->kind)->eval(c, s, probes);
}

/* The row's explain for node c at s, printed unformatted ("{\"value\":1,\"threshold\":2}");
 * the caller frees. */
static inline char *fixture_explain(const struct condition *c, const struct sample *s)
{
	cJSON *o = cJSON_CreateObject();
	assert_non_null(o);
	condition_ops(c->kind)->explain(o, c, s);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	assert_non_null(text);
	return text;
}

/* The explain of c at s is exactly want. */
static inline void fixture_explain_is(const struct condition *c, const struct sample *s, const char *want)
{
	char *got = fixture_explain(c, s);
	assert_string_equal(got, want);
	free(got);
}

/* memhook check's text of node c (p may be NULL for kinds that do not read it) is exactly want. */
static inline void fixture_describe_is(const struct policy *p, const struct condition *c, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	condition_describe(p, c, f);
	fclose(f);
	assert_string_equal(text, want);
	free(text);
}

/* memhook check's line of handler h (as handler number 0) is exactly want. */
static inline void fixture_handler_line_is(const struct handler *h, const char *want)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	handler_describe(h, 0, f);
	fclose(f);
	assert_string_equal(text, want);
	free(text);
}
