/* memhook: argv and environment in, a config out, then the library runs it. Only this file exits. */
#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "kernel/cgroup.h"
#include "base/defaults.h"
#include "kernel/dump.h"
#include "output/http_server.h"
#include "delivery/kube_events.h"
#include "base/log.h"
#include "daemon/monitor.h"
#include "base/names.h"
#include "daemon/once.h"
#include "policy/policy.h"
#include "daemon/record.h"
#include "daemon/simulate.h"
#include "kernel/target.h"
#include "base/units.h"

/* Exit codes, documented in --help and the README. */
#define EXIT_OK      0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

enum command { CMD_RUN, CMD_CHECK, CMD_DUMP, CMD_STATUS, CMD_RECORD, CMD_SIMULATE };

struct options {
	enum command command;
	bool once;
	bool dry_run;
	bool kubernetes_events;
	const char *policy_path;
	const char *cgroup_dir;
	const char *pid_text;
	const char *process_name;
	const char *proc_root;
	const char *log_format;
	const char *log_level;
	const char *status_file;
	const char *max_age;
	const char *grace;
	const char *webhook_url;
	const char *listen;
	const char *interval; /* record */
	const char *duration;
	const char *format;
	const char *output;
	const char *trace_path; /* simulate */
	bool all;
};

static const char usage_text[] =
        "Usage: memhook [run] [OPTIONS]          watch a target and act on its memory levels\n"
        "       memhook run --once [OPTIONS]     evaluate once; print sample, level, conditions as JSON\n"
        "       memhook check --policy FILE [OPTIONS]\n"
        "                                        validate a policy; one line per level and handler\n"
        "       memhook dump [OPTIONS]           print the target's memory breakdown once\n"
        "       memhook status --status-file FILE [--max-age DURATION]\n"
        "                                        exit 0 when the status file is fresh (liveness probe)\n"
        "       memhook record [OPTIONS] [--interval 1s] [--duration DURATION] [--format csv|jsonl]\n"
        "                      [--output FILE]   write the target's samples as a trace (one line each)\n"
        "       memhook simulate --trace FILE [--policy FILE] [--all]\n"
        "                                        replay a trace through the policy; print the events\n"
        "                                        that would have fired and a summary as JSON lines\n"
        "\n"
        "Target (exactly one):\n"
        "  -c, --cgroup DIR       a cgroup directory (v2 memory.current/max or v1 memory.usage_in_bytes/\n"
        "                         limit_in_bytes)                                      [MEMHOOK_CGROUP]\n"
        "      --pid PID          the cgroup of this process                                [MEMHOOK_PID]\n"
        "      --process NAME     the process whose comm or argv[0] basename is NAME, re-resolved when it\n"
        "                         restarts                                              [MEMHOOK_PROCESS]\n"
        "Options:\n"
        "  -p, --policy FILE      JSON policy; the embedded default when absent         [MEMHOOK_POLICY]\n"
        "      --proc-root DIR    read meminfo and PID files under DIR, not /proc     [MEMHOOK_PROC_ROOT]\n"
        "      --log-format FMT   text (default) or json (JSON lines)                [MEMHOOK_LOG_FORMAT]\n"
        "      --log-level LVL    error, warn, info (default) or debug                [MEMHOOK_LOG_LEVEL]\n"
        "      --status-file FILE rewrite a JSON status here every 5 s and on level changes\n"
        "                                                                           [MEMHOOK_STATUS_FILE]\n"
        "      --webhook URL      also POST every event (but remaining) to URL, whatever the policy\n"
        "                                                               [MEMHOOK_WEBHOOK]\n"
        "      --listen ADDR:PORT serve /metrics (Prometheus), /healthz and /readyz over HTTP, e.g.\n"
        "                         127.0.0.1:9100 or [::]:9100 (default: off)           [MEMHOOK_LISTEN]\n"
        "      --grace DURATION   time queued webhooks get on SIGTERM (default 5s)        [MEMHOOK_GRACE]\n"
        "      --max-age DURATION status: how old the status file may be (default 30s)\n"
        "      --once             run: evaluate once and exit\n"
        "      --interval DURATION record: time between samples (default 1s, at least 10ms)\n"
        "      --duration DURATION record: stop after this long (default: at SIGTERM/SIGINT or when\n"
        "                         the target is gone)\n"
        "      --format FMT       record: jsonl (default) or csv\n"
        "      --output FILE      record: write the trace to FILE (default: stdout)\n"
        "      --trace FILE       simulate: the trace to replay (csv or jsonl; - for stdin)\n"
        "      --all              simulate: print remaining events too\n"
        "      --dry-run          run: evaluate and log each action as what it would do (would send,\n"
        "                         would signal, would reclaim, would run); do none  [MEMHOOK_DRY_RUN]\n"
        "      --kubernetes-events\n"
        "                         create events.k8s.io/v1 Events regarding the pod (POD_NAME,\n"
        "                         POD_NAMESPACE, POD_UID; the in-cluster service account)\n"
        "                                                               [MEMHOOK_KUBERNETES_EVENTS]\n"
        "  -h, --help             this text\n"
        "  -V, --version          the version\n"
        "Flags win over the environment.\n"
        "\n"
        "Signals: SIGTERM/SIGINT stop (queued webhooks get the grace period; a second one stops at\n"
        "once), SIGHUP reloads the policy (an invalid one is rejected and the old one keeps running),\n"
        "SIGUSR1 dumps the target's memory breakdown to stderr, SIGUSR2 toggles pause/resume of\n"
        "evaluation.\n"
        "\n"
        "Exit codes: 0 ok, 1 runtime failure (target unreadable in --once/dump/record, stale status,\n"
        "I/O), 2 usage or policy error (also: a bad trace, a policy simulate cannot replay).\n";

/* One row per option: where its value goes in struct options and the environment variable that
 * stands in for the flag. A switch (no value) sets a bool; its variable turns it on when set to
 * anything but "" or "0". The three target options replace each other: a target named by a flag
 * replaces any target from the environment. */
static const struct option_row {
	const char *name;
	int short_name; /* 0: long only */
	size_t offset;  /* of its const char * (or bool, for a switch) in struct options */
	const char *env;
	bool target;
	bool is_switch; /* takes no value: sets a bool */
} option_rows[] = {
	{ "policy", 'p', offsetof(struct options, policy_path), "MEMHOOK_POLICY", false, false },
	{ "cgroup", 'c', offsetof(struct options, cgroup_dir), "MEMHOOK_CGROUP", true, false },
	{ "pid", 0, offsetof(struct options, pid_text), "MEMHOOK_PID", true, false },
	{ "process", 0, offsetof(struct options, process_name), "MEMHOOK_PROCESS", true, false },
	{ "proc-root", 0, offsetof(struct options, proc_root), "MEMHOOK_PROC_ROOT", false, false },
	{ "log-format", 0, offsetof(struct options, log_format), "MEMHOOK_LOG_FORMAT", false, false },
	{ "log-level", 0, offsetof(struct options, log_level), "MEMHOOK_LOG_LEVEL", false, false },
	{ "status-file", 0, offsetof(struct options, status_file), "MEMHOOK_STATUS_FILE", false, false },
	{ "max-age", 0, offsetof(struct options, max_age), NULL, false, false },
	{ "grace", 0, offsetof(struct options, grace), "MEMHOOK_GRACE", false, false },
	{ "webhook", 0, offsetof(struct options, webhook_url), "MEMHOOK_WEBHOOK", false, false },
	{ "listen", 0, offsetof(struct options, listen), "MEMHOOK_LISTEN", false, false },
	{ "once", 0, offsetof(struct options, once), NULL, false, true },
	{ "dry-run", 0, offsetof(struct options, dry_run), "MEMHOOK_DRY_RUN", false, true },
	{ "kubernetes-events", 0, offsetof(struct options, kubernetes_events), "MEMHOOK_KUBERNETES_EVENTS",
	  false, true },
	{ "interval", 0, offsetof(struct options, interval), NULL, false, false },
	{ "duration", 0, offsetof(struct options, duration), NULL, false, false },
	{ "format", 0, offsetof(struct options, format), NULL, false, false },
	{ "output", 'o', offsetof(struct options, output), NULL, false, false },
	{ "trace", 0, offsetof(struct options, trace_path), NULL, false, false },
	{ "all", 0, offsetof(struct options, all), NULL, false, true },
};
/* getopt values of the rows without a short name */
#define OPT_ROW_BASE 256

static const char **option_slot(struct options *o, const struct option_row *row)
{
	assert(!row->is_switch);
	return (const char **)(void *)((char *)o + row->offset);
}

static bool *option_switch(struct options *o, const struct option_row *row)
{
	assert(row->is_switch);
	return (bool *)(void *)((char *)o + row->offset);
}

/* The value of an environment variable, NULL when unset or empty. */
static const char *env_value(const char *env_name)
{
	const char *v = env_name ? getenv(env_name) : NULL;
	return v && *v ? v : NULL;
}

/* The command word, if any: argv[1] when it does not start with '-'. Returns 1 when one was taken,
 * 0 when none was given, EXIT_USAGE after printing why. */
static int parse_command(int argc, char **argv, enum command *ret)
{
	static const char *const names[] = { "run", "check", "dump", "status", "record", "simulate" };
	if (argc < 2 || argv[1][0] == '-')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(argv[1], names[i]) == 0) {
			*ret = (enum command)i;
			return 1;
		}
	fprintf(stderr, "memhook: unknown command '%s' (run, check, dump, status, record, simulate)\n",
	        argv[1]);
	return EXIT_USAGE;
}

/* Returns 0, or EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, struct options *o)
{
	struct option longopts[ARRAY_SIZE(option_rows) + 3];
	char shortopts[2 * ARRAY_SIZE(option_rows) + 3] = "hV";
	size_t n = 0, ns = strlen(shortopts);
	for (size_t i = 0; i < ARRAY_SIZE(option_rows); i++) {
		const struct option_row *row = &option_rows[i];
		int val = row->short_name ? row->short_name : OPT_ROW_BASE + (int)i;
		longopts[n++] = (struct option){ row->name, row->is_switch ? no_argument : required_argument,
			                         NULL, val };
		if (row->short_name) {
			shortopts[ns++] = (char)row->short_name;
			shortopts[ns++] = ':';
		}
	}
	shortopts[ns] = '\0';
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[n] = (struct option){ 0 };

	*o = (struct options){ .command = CMD_RUN };
	int r = parse_command(argc, argv, &o->command);
	if (r == EXIT_USAGE)
		return r;
	argv += r;
	argc -= r;

	bool target_flag = false;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct option_row *row = NULL;
		for (size_t i = 0; i < ARRAY_SIZE(option_rows); i++)
			if (c == option_rows[i].short_name || c == OPT_ROW_BASE + (int)i)
				row = &option_rows[i];
		if (row && row->is_switch) {
			*option_switch(o, row) = true;
			continue;
		}
		if (row) {
			*option_slot(o, row) = optarg;
			target_flag |= row->target;
			continue;
		}
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		case 'V':
			printf("memhook %s\n", MEMHOOK_VERSION);
			exit(EXIT_OK);
		default:
			fputs("Try 'memhook --help'.\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "memhook: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (o->once && o->command != CMD_RUN) {
		fputs("memhook: --once goes with run\n", stderr);
		return EXIT_USAGE;
	}
	if ((o->interval || o->duration || o->format || o->output) && o->command != CMD_RECORD) {
		fputs("memhook: --interval, --duration, --format and --output go with record\n", stderr);
		return EXIT_USAGE;
	}
	if ((o->trace_path || o->all) && o->command != CMD_SIMULATE) {
		fputs("memhook: --trace and --all go with simulate\n", stderr);
		return EXIT_USAGE;
	}
	/* Flags win over the environment; a target flag wins over every target variable. */
	for (size_t i = 0; i < ARRAY_SIZE(option_rows); i++) {
		const struct option_row *row = &option_rows[i];
		if (row->is_switch) {
			const char *v = env_value(row->env);
			if (v && strcmp(v, "0") != 0)
				*option_switch(o, row) = true;
			continue;
		}
		const char **slot = option_slot(o, row);
		if (!*slot && !(row->target && target_flag))
			*slot = env_value(row->env);
	}
	return 0;
}

static int setup_logging(const struct options *o)
{
	enum log_format fmt = LOG_FORMAT_TEXT;
	enum log_level lvl = LOG_LEVEL_INFO;
	if (o->log_format) {
		int f = log_format_from_name(o->log_format);
		if (f < 0) {
			fprintf(stderr, "memhook: --log-format: '%s' is not text or json\n", o->log_format);
			return EXIT_USAGE;
		}
		fmt = (enum log_format)f;
	}
	if (o->log_level) {
		int l = log_level_from_name(o->log_level);
		if (l < 0) {
			fprintf(stderr, "memhook: --log-level: '%s' is not error, warn, info or debug\n",
			        o->log_level);
			return EXIT_USAGE;
		}
		lvl = (enum log_level)l;
	}
	log_setup(fmt, lvl);
	return 0;
}

/* Fills the target spec; returns 0, EXIT_USAGE after printing why. required: a target must be named. */
static int build_target(const struct options *o, bool required, struct target_spec *ret, bool *ret_named)
{
	int n = !!o->cgroup_dir + !!o->pid_text + !!o->process_name;
	*ret = (struct target_spec){ .proc_root = o->proc_root ? o->proc_root : "/proc" };
	*ret_named = n > 0;
	if (n > 1) {
		fputs("memhook: name one target: --cgroup, --pid or --process\n", stderr);
		return EXIT_USAGE;
	}
	if (n == 0) {
		if (required) {
			fputs("memhook: no target: give --cgroup DIR, --pid PID or --process NAME "
			      "(or MEMHOOK_CGROUP, MEMHOOK_PID, MEMHOOK_PROCESS)\n",
			      stderr);
			return EXIT_USAGE;
		}
		return 0;
	}
	if (o->cgroup_dir) {
		ret->mode = TARGET_CGROUP;
		ret->cgroup_dir = o->cgroup_dir;
	} else if (o->pid_text) {
		const char *p = o->pid_text;
		uint64_t v;
		if (units_parse_u64_cursor(&p, p + strlen(p), &v) < 0 || *p || v == 0 || v > INT32_MAX) {
			fprintf(stderr, "memhook: --pid: '%s' is not a process id\n", o->pid_text);
			return EXIT_USAGE;
		}
		ret->mode = TARGET_PID;
		ret->pid = (pid_t)v;
	} else {
		ret->mode = TARGET_PROCESS;
		ret->process_name = o->process_name;
	}
	return 0;
}

static int parse_duration_opt(const char *name, const char *text, uint64_t *ret)
{
	if (units_parse_duration(text, ret) < 0) {
		fprintf(stderr, "memhook: %s: '%s' is not a duration (like 250ms, 10s, 1m)\n", name, text);
		return EXIT_USAGE;
	}
	return 0;
}

static int load_policy(const char *path, const char *webhook_url, struct policy **ret)
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

static int cmd_check(const struct options *o, const struct target_spec *spec, bool target_named)
{
	struct policy *p = NULL;
	int r = load_policy(o->policy_path, o->webhook_url, &p);
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

static int cmd_dump(const struct target_spec *spec)
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

static int cmd_status(const struct options *o)
{
	uint64_t max_age_usec = STATUS_MAX_AGE_DEFAULT_USEC;
	if (!o->status_file) {
		fputs("memhook: status needs --status-file FILE (or MEMHOOK_STATUS_FILE)\n", stderr);
		return EXIT_USAGE;
	}
	if (o->max_age && parse_duration_opt("--max-age", o->max_age, &max_age_usec))
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

/* run --once: prints the evaluation as JSON. Takes p. Returns an exit code. */
static int cmd_once(const struct target_spec *spec, struct policy *p)
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

/* record: the target's samples as a trace. Returns an exit code. */
static int cmd_record(const struct options *o, const struct target_spec *spec)
{
	struct record_config cfg = {
		.target = *spec,
		.interval_usec = RECORD_INTERVAL_DEFAULT_USEC,
		.format = TRACE_FORMAT_JSONL,
		.out_fd = STDOUT_FILENO,
		.out_name = "stdout",
	};
	if (o->interval && parse_duration_opt("--interval", o->interval, &cfg.interval_usec))
		return EXIT_USAGE;
	if (cfg.interval_usec < CHECK_INTERVAL_MIN_USEC) {
		fprintf(stderr, "memhook: --interval: '%s' is below 10ms\n", o->interval);
		return EXIT_USAGE;
	}
	if (o->duration && parse_duration_opt("--duration", o->duration, &cfg.duration_usec))
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
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}

/* simulate: replays a trace through the policy. Returns an exit code. */
static int cmd_simulate(const struct options *o)
{
	char err[1024];
	struct policy *p = NULL;
	struct trace_reader tr;
	if (!o->trace_path) {
		fputs("memhook: simulate needs --trace FILE\n", stderr);
		return EXIT_USAGE;
	}
	int r = load_policy(o->policy_path, NULL, &p);
	if (r)
		return r;
	if (simulate_check_policy(p, err, sizeof(err)) < 0 ||
	    trace_reader_open(o->trace_path, &tr, err, sizeof(err)) < 0) {
		fprintf(stderr, "memhook: %s\n", err);
		policy_free(p);
		return EXIT_USAGE;
	}
	r = simulate_run(p, &tr, o->all, stdout, err, sizeof(err));
	trace_reader_close(&tr);
	policy_free(p);
	if (r == -EIO) {
		fprintf(stderr, "memhook: simulate: writing the output: %s\n", strerror(EIO));
		return EXIT_RUNTIME;
	}
	if (r < 0) {
		fprintf(stderr, "memhook: %s\n", r == -EBADMSG ? err : strerror(-r));
		return r == -EBADMSG ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct options o;
	int r = parse_args(argc, argv, &o);
	if (r)
		return r;
	if ((r = setup_logging(&o)))
		return r;
	if (o.command == CMD_STATUS)
		return cmd_status(&o);
	if (o.command == CMD_SIMULATE)
		return cmd_simulate(&o);

	struct target_spec spec;
	bool named;
	if ((r = build_target(&o, o.command == CMD_RUN || o.command == CMD_DUMP || o.command == CMD_RECORD,
	                      &spec, &named)))
		return r;
	if (o.command == CMD_RECORD)
		return cmd_record(&o, &spec);
	if (o.command == CMD_CHECK)
		return cmd_check(&o, &spec, named);
	if (o.command == CMD_DUMP)
		return cmd_dump(&spec);

	struct monitor_config cfg = {
		.target = spec,
		.policy_path = o.policy_path,
		.status_file = o.status_file,
		.webhook_url = o.webhook_url,
		.grace_usec = GRACE_DEFAULT_USEC,
		.webhook_queue_cap = WEBHOOK_QUEUE_CAP_DEFAULT,
		.dry_run = o.dry_run,
		.listen = o.listen,
	};
	if (o.listen && !o.once) {
		struct sockaddr_storage sa;
		socklen_t len;
		char err[300];
		if (http_parse_listen(o.listen, &sa, &len, err, sizeof(err)) < 0) {
			fprintf(stderr, "memhook: --listen: %s\n", err);
			return EXIT_USAGE;
		}
	}
	if (o.grace && parse_duration_opt("--grace", o.grace, &cfg.grace_usec))
		return EXIT_USAGE;
	struct kube_events_config kube;
	char kube_url[512], kube_ns[256], kube_err[512];
	if (o.kubernetes_events && o.command == CMD_RUN && !o.once) {
		if (kube_events_config_from_env(&kube, kube_url, sizeof(kube_url), kube_ns, sizeof(kube_ns),
		                                kube_err, sizeof(kube_err)) < 0) {
			fprintf(stderr, "memhook: %s\n", kube_err);
			return EXIT_USAGE;
		}
		kube.dry_run = o.dry_run;
		cfg.kube_events = &kube;
	}
	struct policy *p = NULL;
	if ((r = load_policy(o.policy_path, o.webhook_url, &p)))
		return r;

	if (o.once)
		return cmd_once(&spec, p);
	if ((r = monitor_block_signals()) < 0) {
		fprintf(stderr, "memhook: blocking signals: %s\n", strerror(-r));
		policy_free(p);
		return EXIT_RUNTIME;
	}
	/* A fault that repeats at every check (a garbage file, a dead receiver) logs about once a second. */
	log_set_fold_window(USEC_PER_SEC);
	/* A log reader that stops reading (a full pipe) must not stop the loop. */
	int nb = log_stderr_nonblocking();
	if (nb < 0)
		log_warn("stderr: cannot make it non-blocking: %s; a stalled log reader stalls memhook",
		         strerror(-nb));
	r = monitor_run(&cfg, p);
	log_fold_flush(true);
	log_stderr_blocking(LOG_EXIT_FLUSH_USEC);
	if (r == -EINVAL)
		return EXIT_USAGE;
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
