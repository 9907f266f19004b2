/* simulate: a handcrafted trace through a parsed policy gives the exact event lines (levels
 * entered and left, normal, remaining only with --all, the handlers and their `every` on the
 * trace's clock), the time spent in each level, and refuses what a trace cannot answer. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/simulate.h"

static const char policy_json[] =
        "{\"levels\": [{\"name\": \"elevated\", \"when\": {\"local_relative\": 50}},"
        "              {\"name\": \"high\", \"when\": {\"local_relative\": 20}}],"
        " \"handlers\": [{\"on\": \"entered\", \"level\": 2, \"exec\": [\"/bin/true\"]},"
        "              {\"on\": \"remaining\", \"level\": 2, \"every\": \"2s\", \"exec\": [\"/bin/true\"]}]}";

/* usage in percent of a 1000-byte limit, one sample a second */
static const char trace_csv[] =
        "time,elapsed_sec,usage_bytes,limit_bytes,host_available_bytes,host_total_bytes\n"
        "2026-01-01T00:00:00Z,0,100,1000,5,10\n"
        "2026-01-01T00:00:01Z,1,900,1000,5,10\n"
        "2026-01-01T00:00:02Z,2,900,1000,5,10\n"
        "2026-01-01T00:00:03Z,3,900,1000,5,10\n"
        "2026-01-01T00:00:04Z,4,900,1000,5,10\n"
        "2026-01-01T00:00:05Z,5,600,1000,5,10\n"
        "2026-01-01T00:00:07Z,7,100,1000,5,10\n";

/* Replays text through json's policy; the output into *ret_out (malloc'd). Returns simulate_run's. */
static int replay(const char *json, const char *text, bool all, char **ret_out, char *err, size_t err_size)
{
	char path[] = "/tmp/memhook-sim-XXXXXX";
	struct policy *p = NULL;
	struct trace_reader tr;
	size_t out_len = 0;
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(policy_parse(json, strlen(json), &p, err, err_size), 0);
	assert_int_equal(trace_reader_open(path, &tr, err, err_size), 0);
	FILE *out = open_memstream(ret_out, &out_len);
	int r = simulate_run(p, &tr, all, out, err, err_size);
	fclose(out);
	trace_reader_close(&tr);
	policy_free(p);
	unlink(path);
	return r;
}

/* The "event:level" sequence, " handlers=[...]" when one takes it, one line each. */
static void events_of(const char *out, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char ev[32];
		int level;
		if (sscanf(l, "{\"event\":\"%31[a-z_]\",\"level\":%d", ev, &level) != 2)
			continue;
		const char *h = strstr(l, "\"handlers\":[") + 11; /* every event line has them */
		const char *he = h[1] == ']' ? NULL : strstr(h, "\"]");
		n += (size_t)snprintf(buf + n, size - n, "%s%s:%d", n ? " " : "", ev, level);
		if (he)
			n += (size_t)snprintf(buf + n, size - n, "%.*s", (int)(he + 2 - h), h);
	}
}

static void test_event_sequence_and_summary(void **state)
{
	(void)state;
	char *out = NULL, err[512] = "", seq[1024];
	assert_int_equal(replay(policy_json, trace_csv, false, &out, err, sizeof(err)), 0);
	events_of(out, seq, sizeof(seq));
	assert_string_equal(seq, "entered:1 entered:2[\"handlers[0]\"] left:1 left:0 normal:0");
	/* the sample that caused it, in the payload's shape */
	assert_non_null(strstr(
	        out, "\"event\":\"entered\",\"level\":2,\"level_name\":\"high\",\"previous_level\":1,"
	             "\"previous_level_name\":\"elevated\",\"time\":\"2026-01-01T00:00:01.000Z\","
	             "\"elapsed_sec\":1,\"handlers\":[\"handlers[0]\"],\"sample\":{\"usage_bytes\":900,"
	             "\"limit_bytes\":1000,\"local_free_bytes\":100,\"local_free_percent\":10,"));
	const char *sum = strstr(out, "{\"summary\":");
	assert_non_null(sum);
	assert_string_equal(
	        sum, "{\"summary\":{\"samples\":7,\"span_sec\":7,\"from\":\"2026-01-01T00:00:00.000Z\","
	             "\"to\":\"2026-01-01T00:00:07.000Z\",\"events\":{\"entered\":2,\"left\":2,"
	             "\"normal\":1,\"remaining\":4,\"oom_kill\":0,\"limit_changed\":0},\"levels\":["
	             "{\"level\":0,\"name\":\"normal\",\"seconds\":1,\"normal\":1,\"remaining\":1},"
	             "{\"level\":1,\"name\":\"elevated\",\"seconds\":2,\"entered\":1,\"left\":1,"
	             "\"remaining\":0},"
	             "{\"level\":2,\"name\":\"high\",\"seconds\":4,\"entered\":1,\"left\":1,"
	             "\"remaining\":3}],\"final_level\":0,\"final_level_name\":\"normal\"}}\n");
	free(out);
}

/* --all: remaining too; the remaining handler's `every` (2 s) on the trace's clock. */
static void test_all_with_every(void **state)
{
	(void)state;
	char *out = NULL, err[512] = "", seq[1024];
	assert_int_equal(replay(policy_json, trace_csv, true, &out, err, sizeof(err)), 0);
	events_of(out, seq, sizeof(seq));
	assert_string_equal(seq,
	                    "remaining:0 entered:1 entered:2[\"handlers[0]\"] remaining:2[\"handlers[1]\"] "
	                    "remaining:2 remaining:2[\"handlers[1]\"] left:1 left:0 normal:0");
	free(out);
}

static void test_refusals(void **state)
{
	(void)state;
	char err[512] = "", *out = NULL;
	struct policy *p = NULL;
	const char custom[] = "{\"levels\": [{\"name\": \"a\", \"when\": {\"any\": [{\"local_relative\": 5},"
	                      " {\"custom\": {\"command\": [\"/bin/true\"]}}]}}]}";
	assert_int_equal(policy_parse(custom, strlen(custom), &p, err, sizeof(err)), 0);
	assert_int_equal(simulate_check_policy(p, err, sizeof(err)), -EOPNOTSUPP);
	assert_non_null(strstr(err, "levels[0].when.any[1]: a custom condition"));
	policy_free(p);

	/* a pressure condition on a trace without PSI: refused at the first sample, naming its line */
	const char pressure[] = "{\"levels\": [{\"name\": \"a\", \"when\": {\"pressure\": {\"above\": 5}}}]}";
	assert_int_equal(replay(pressure, trace_csv, false, &out, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, ":2: the policy's pressure conditions need PSI"));
	free(out);

	/* a bad line: its file and line */
	out = NULL;
	assert_int_equal(replay(policy_json, "time,elapsed_sec\n", false, &out, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, ":1: header: no usage_bytes column"));
	free(out);
}

/* The lines simulate prints (a summary not counted). */
static size_t event_lines(const char *out)
{
	size_t n = 0;
	for (const char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += strncmp(l, "{\"event\"", 8) == 0;
	return n;
}

/* The picture marks exactly the events printed (remaining only with all), in their order, and
 * simulate_draw writes one file of each format; without out nothing is printed. */
static void test_replay_marks_what_it_prints(void **state)
{
	(void)state;
	char path[] = "/tmp/memhook-sim-XXXXXX", svg[] = "/tmp/memhook-svg-XXXXXX", err[512];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, trace_csv, strlen(trace_csv)), (ssize_t)strlen(trace_csv));
	close(fd);
	assert_true((fd = mkstemp(svg)) >= 0);
	close(fd);
	struct policy *p = NULL;
	assert_int_equal(policy_parse(policy_json, strlen(policy_json), &p, err, sizeof(err)), 0);
	for (int all = 0; all <= 1; all++) {
		struct trace_reader tr;
		struct plot_samples ps = { 0 };
		struct plot_run run;
		char *out = NULL;
		size_t len = 0;
		plot_run_init(&run, p, "p");
		assert_int_equal(trace_reader_open(path, &tr, err, sizeof(err)), 0);
		FILE *f = open_memstream(&out, &len);
		assert_int_equal(simulate_replay(p, &tr, all, f, &ps, &run, err, sizeof(err)), 0);
		fclose(f);
		trace_reader_close(&tr);
		assert_int_equal(ps.n, 7);
		assert_int_equal(run.n, 7);
		assert_int_equal(run.n_events, event_lines(out));
		assert_int_equal(run.n_events,
		                 all ? 9 : 5); /* entered 1 and 2, left 1, left 0, normal; 4 remaining */
		assert_int_equal(run.events[all].kind,
		                 EVENT_ENTERED); /* after the first remaining with all */
		assert_int_equal(run.events[all].sample, 1);
		assert_int_equal(run.level_usec[2], 4000000); /* 1 s to 5 s, as the summary */
		free(out);
		plot_run_free(&run);
		plot_samples_free(&ps);
	}
	struct simulate_picture pic = { .svg_path = svg, .name = "policies/app.json", .compare = p };
	assert_int_equal(simulate_draw(p, path, false, NULL, &pic, err, sizeof(err)), 0);
	char buf[1 << 16];
	fd = open(svg, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "app.json against default policy"));
	assert_non_null(strstr(buf, "data-policy=\"1\""));
	/* a file that cannot be written: its name in err */
	pic.svg_path = "/nonexistent/dir/x.svg";
	assert_int_equal(simulate_draw(p, path, false, NULL, &pic, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/dir/x.svg: "));
	policy_free(p);
	unlink(path);
	unlink(svg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_sequence_and_summary),
		cmocka_unit_test(test_all_with_every),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_replay_marks_what_it_prints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
