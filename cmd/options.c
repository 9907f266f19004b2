/* The option table and its parser: argv and the environment into struct options. */
#include "options.h"

#include <assert.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/units.h"
#include "base/util.h"

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
        "       memhook plot --trace FILE [--policy FILE] [--compare FILE] --html FILE|--svg FILE\n"
        "                                        draw a replay: usage, thresholds, levels, events\n"
        "       memhook node [--no-kubernetes-api] [--cgroup-root DIR] [--policy-dir DIR] [OPTIONS]\n"
        "                                        watch every container of this node's pods, one\n"
        "                                        policy each (container/README.md, Node mode)\n"
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
        "      --html FILE        simulate, plot, record: draw the trace and the policy's levels and\n"
        "                         events as one self-contained HTML page (record: when it ends)\n"
        "      --svg FILE         the same picture as SVG, tooltips without script\n"
        "      --compare FILE     simulate, plot: draw this policy's levels and events beside\n"
        "      --dry-run          run: evaluate and log each action as what it would do (would send,\n"
        "                         would signal, would reclaim, would run); do none  [MEMHOOK_DRY_RUN]\n"
        "      --kubernetes-events\n"
        "                         create events.k8s.io/v1 Events regarding the pod (POD_NAME,\n"
        "                         POD_NAMESPACE, POD_UID; the in-cluster service account)\n"
        "                                                               [MEMHOOK_KUBERNETES_EVENTS]\n"
        "      --cgroup-root DIR  node: the kubelet's cgroup root, holding kubepods.slice or kubepods\n"
        "                         (default: /sys/fs/cgroup, else /sys/fs/cgroup/memory)\n"
        "                                                               [MEMHOOK_CGROUP_ROOT]\n"
        "      --no-kubernetes-api\n"
        "                         node: no pod watch; every container found is watched with --policy,\n"
        "                         named by its pod UID and container ID     [MEMHOOK_NO_KUBERNETES_API]\n"
        "      --policy-dir DIR   node: the policies a pod's memhook.io/policy: NAME names (DIR/NAME or\n"
        "                         DIR/NAME.json; a mounted ConfigMap)               [MEMHOOK_POLICY_DIR]\n"
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
	{ "html", 0, offsetof(struct options, html_path), NULL, false, false },
	{ "svg", 0, offsetof(struct options, svg_path), NULL, false, false },
	{ "compare", 0, offsetof(struct options, compare_path), NULL, false, false },
	{ "cgroup-root", 0, offsetof(struct options, cgroup_root), "MEMHOOK_CGROUP_ROOT", false, false },
	{ "no-kubernetes-api", 0, offsetof(struct options, no_kubernetes_api), "MEMHOOK_NO_KUBERNETES_API",
	  false, true },
	{ "policy-dir", 0, offsetof(struct options, policy_dir), "MEMHOOK_POLICY_DIR", false, false },
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
	static const char *const names[] = { "run",    "check",    "dump", "status",
		                             "record", "simulate", "plot", "node" };
	if (argc < 2 || argv[1][0] == '-')
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(argv[1], names[i]) == 0) {
			*ret = (enum command)i;
			return 1;
		}
	fprintf(stderr,
	        "memhook: unknown command '%s' (run, check, dump, status, record, simulate, plot, node)\n",
	        argv[1]);
	return EXIT_USAGE;
}

int options_parse(int argc, char **argv, struct options *o)
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
	bool replays = o->command == CMD_SIMULATE || o->command == CMD_PLOT;
	if ((o->trace_path || o->all) && !replays) {
		fputs("memhook: --trace and --all go with simulate and plot\n", stderr);
		return EXIT_USAGE;
	}
	if (o->compare_path && !replays) {
		fputs("memhook: --compare goes with simulate and plot\n", stderr);
		return EXIT_USAGE;
	}
	if ((o->html_path || o->svg_path) && !replays && o->command != CMD_RECORD) {
		fputs("memhook: --html and --svg go with simulate, plot and record\n", stderr);
		return EXIT_USAGE;
	}
	if ((o->cgroup_root || o->no_kubernetes_api || o->policy_dir) && o->command != CMD_NODE) {
		fputs("memhook: --cgroup-root, --no-kubernetes-api and --policy-dir go with node\n", stderr);
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

int options_target(const struct options *o, bool required, struct target_spec *ret, bool *ret_named)
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

int options_duration(const char *name, const char *text, uint64_t *ret)
{
	if (units_parse_duration(text, ret) < 0) {
		fprintf(stderr, "memhook: %s: '%s' is not a duration (like 250ms, 10s, 1m)\n", name, text);
		return EXIT_USAGE;
	}
	return 0;
}
