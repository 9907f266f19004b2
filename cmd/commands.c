/* The subcommands but the daemon: each turns its options into a call of the library and an exit code. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "base/defaults.h"
#include "base/units.h"
#include "daemon/once.h"
#include "daemon/record.h"
#include "daemon/simulate.h"
#include "kernel/dump.h"
#include "kernel/target.h"

int cmd_load_policy(const char *path, const char *webhook_url, struct policy **ret)
{
	char err[1024];
	int r = path ? policy_load(path, ret, err, sizeof(err))
	             : policy_parse(policy_default_json, strlen(policy_default_json), ret, err, sizeof(err));
	if (r == 0 && webhook_url && (r = policy_add_webhook(*ret, webhook_url, err, sizeof(err))) < 0) {
		policy_free(*ret);
		*ret = NULL;
	}
	if (r < 0) {
		fprintf(stderr, "memhook: %s\n", err);
		return EXIT_USAGE;
	}
	return 0;
}

int cmd_check(const struct options *o, const struct target_spec *spec, bool target_named)
{
	struct policy *p = NULL;
	int r = cmd_load_policy(o->policy_path, o->webhook_url, &p);
	if (r)
		return r;
	int rc = EXIT_OK;
	if (target_named) {
		struct target t;
		char err[1024];
		target_init_spec(&t, spec);
		if (target_acquire(&t, err, sizeof(err)) < 0)
			fprintf(stderr, "memhook: note: target not checked: %s\n", err);
		else if (policy_check_target(p, (int)t.cg.version, err, sizeof(err)) < 0) {
			fprintf(stderr, "memhook: %s\n", err);
			rc = EXIT_USAGE;
		}
		target_release(&t);
	}
	if (rc == EXIT_OK) {
		printf("%s: valid\n", o->policy_path ? o->policy_path : "(default policy)");
		policy_describe(p, stdout);
	}
	policy_free(p);
	return rc;
}

int cmd_dump(const struct target_spec *spec)
{
	struct target t;
	char err[1024];
	target_init_spec(&t, spec);
	int r = target_acquire(&t, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "memhook: %s\n", err);
		return EXIT_RUNTIME;
	}
	r = dump_memory(&t.cg, spec->proc_root, stdout);
	target_release(&t);
	if (r < 0) {
		fprintf(stderr, "memhook: dump: %s\n", strerror(-r));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_status(const struct options *o)
{
	uint64_t max_age_usec = STATUS_MAX_AGE_DEFAULT_USEC;
	if (!o->status_file) {
		fputs("memhook: status needs --status-file FILE (or MEMHOOK_STATUS_FILE)\n", stderr);
		return EXIT_USAGE;
	}
	if (o->max_age && options_duration("--max-age", o->max_age, &max_age_usec))
		return EXIT_USAGE;
	struct stat st;
	if (stat(o->status_file, &st) < 0) {
		fprintf(stderr, "memhook: status: %s: %s\n", o->status_file, strerror(errno));
		return EXIT_RUNTIME;
	}
	uint64_t mtime = (uint64_t)st.st_mtim.tv_sec * USEC_PER_SEC + (uint64_t)st.st_mtim.tv_nsec / 1000;
	uint64_t now = now_real_usec();
	uint64_t age = now > mtime ? now - mtime : 0;
	if (age > max_age_usec) {
		fprintf(stderr, "memhook: status: %s is %llu s old (max %llu s)\n", o->status_file,
		        (unsigned long long)(age / USEC_PER_SEC),
		        (unsigned long long)(max_age_usec / USEC_PER_SEC));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_once(const struct target_spec *spec, struct policy *p)
{
	char err[1024] = "";
	cJSON *result = NULL;
	int r = once_evaluate(spec, p, &result, err, sizeof(err));
	policy_free(p);
	if (r < 0) {
		fprintf(stderr, "memhook: %s\n", err[0] ? err : strerror(-r));
		return EXIT_RUNTIME;
	}
	char *text = cJSON_Print(result);
	cJSON_Delete(result);
	if (!text) {
		fputs("memhook: out of memory\n", stderr);
		return EXIT_RUNTIME;
	}
	printf("%s\n", text);
	free(text);
	return EXIT_OK;
}

/* record --html/--svg: the trace it wrote, drawn with --policy's (or the default) levels. */
static int cmd_record_draw(const struct options *o)
{
	char err[1024] = "";
	struct policy *p = NULL;
	int r = cmd_load_policy(o->policy_path, NULL, &p);
	if (r)
		return r;
	struct simulate_picture pic = { o->html_path, o->svg_path, o->policy_path, NULL, NULL };
	if (simulate_check_policy(p, err, sizeof(err)) == 0)
		r = simulate_draw(p, o->output, false, NULL, &pic, err, sizeof(err));
	else
		r = -EOPNOTSUPP;
	policy_free(p);
	if (r < 0) {
		fprintf(stderr, "memhook: record: drawing %s: %s\n", o->output, err[0] ? err : strerror(-r));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_record(const struct options *o, const struct target_spec *spec)
{
	struct record_config cfg = {
		.target = *spec,
		.interval_usec = RECORD_INTERVAL_DEFAULT_USEC,
		.format = TRACE_FORMAT_JSONL,
		.out_fd = STDOUT_FILENO,
		.out_name = "stdout",
	};
	if (o->interval && options_duration("--interval", o->interval, &cfg.interval_usec))
		return EXIT_USAGE;
	if (cfg.interval_usec < CHECK_INTERVAL_MIN_USEC) {
		fprintf(stderr, "memhook: --interval: '%s' is below 10ms\n", o->interval);
		return EXIT_USAGE;
	}
	if (o->duration && options_duration("--duration", o->duration, &cfg.duration_usec))
		return EXIT_USAGE;
	if (o->duration && cfg.duration_usec == 0) {
		fputs("memhook: --duration: must be above 0 (leave it out to record until stopped)\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (o->format) {
		int f = trace_format_from_name(o->format);
		if (f < 0) {
			fprintf(stderr, "memhook: --format: '%s' is not csv or jsonl\n", o->format);
			return EXIT_USAGE;
		}
		cfg.format = (enum trace_format)f;
	}
	if ((o->html_path || o->svg_path) && (!o->output || strcmp(o->output, "-") == 0)) {
		fputs("memhook: record: --html and --svg draw the trace it wrote: give --output FILE\n",
		      stderr);
		return EXIT_USAGE;
	}
	if (o->output && strcmp(o->output, "-") != 0) {
		cfg.out_fd = record_open_output(o->output);
		if (cfg.out_fd < 0) {
			fprintf(stderr, "memhook: --output: %s: %s\n", o->output, strerror(-cfg.out_fd));
			return EXIT_RUNTIME;
		}
		cfg.out_name = o->output;
	}
	int r = record_block_signals();
	if (r == 0)
		r = record_run(&cfg);
	else
		fprintf(stderr, "memhook: record: %s\n", strerror(-r));
	if (cfg.out_fd != STDOUT_FILENO && close(cfg.out_fd) < 0 && r == 0) {
		fprintf(stderr, "memhook: --output: %s: %s\n", o->output, strerror(errno));
		r = -EIO;
	}
	if (r < 0)
		return EXIT_RUNTIME;
	return o->html_path || o->svg_path ? cmd_record_draw(o) : EXIT_OK;
}

int cmd_simulate(const struct options *o)
{
	char err[1024];
	struct policy *p = NULL, *q = NULL;
	struct trace_reader tr;
	const char *cmd = o->command == CMD_PLOT ? "plot" : "simulate";
	bool draw = o->html_path || o->svg_path;
	if (!o->trace_path) {
		fprintf(stderr, "memhook: %s needs --trace FILE\n", cmd);
		return EXIT_USAGE;
	}
	if (!draw && (o->command == CMD_PLOT || o->compare_path)) {
		fprintf(stderr, "memhook: %s needs --html FILE or --svg FILE\n",
		        o->compare_path ? "--compare" : "plot");
		return EXIT_USAGE;
	}
	if (o->compare_path && strcmp(o->trace_path, "-") == 0) {
		fputs("memhook: --compare reads the trace twice: give a file, not stdin\n", stderr);
		return EXIT_USAGE;
	}
	int r = cmd_load_policy(o->policy_path, NULL, &p);
	if (r == 0 && o->compare_path && (r = cmd_load_policy(o->compare_path, NULL, &q)) != 0)
		policy_free(p);
	if (r)
		return r;
	if (simulate_check_policy(p, err, sizeof(err)) < 0 ||
	    (q && simulate_check_policy(q, err, sizeof(err)) < 0) ||
	    trace_reader_open(o->trace_path, &tr, err, sizeof(err)) < 0) {
		fprintf(stderr, "memhook: %s\n", err);
		policy_free(p);
		policy_free(q);
		return EXIT_USAGE;
	}
	FILE *out = o->command == CMD_PLOT ? NULL : stdout;
	err[0] = '\0';
	if (draw) {
		struct simulate_picture pic = { o->html_path, o->svg_path, o->policy_path, q,
			                        o->compare_path };
		trace_reader_close(&tr); /* read again by simulate_draw */
		r = simulate_draw(p, o->trace_path, o->all, out, &pic, err, sizeof(err));
	} else {
		r = simulate_run(p, &tr, o->all, out, err, sizeof(err));
		trace_reader_close(&tr);
	}
	policy_free(p);
	policy_free(q);
	if (r == -EIO && !err[0]) {
		fprintf(stderr, "memhook: %s: writing the output: %s\n", cmd, strerror(EIO));
		return EXIT_RUNTIME;
	}
	if (r < 0) {
		fprintf(stderr, "memhook: %s\n", err[0] ? err : strerror(-r));
		return r == -EBADMSG ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}
