/* memhook's command line: one row per option (its flag, its environment variable, where its value
 * goes), parsed into struct options; the usage text and the exit codes it documents. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "kernel/target.h"

/* Exit codes, documented in --help and the README. */
#define EXIT_OK      0
#define EXIT_RUNTIME 1
#define EXIT_USAGE   2

enum command { CMD_RUN, CMD_CHECK, CMD_DUMP, CMD_STATUS, CMD_RECORD, CMD_SIMULATE, CMD_PLOT, CMD_NODE };

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
	const char *html_path; /* simulate, plot, record: the picture */
	const char *svg_path;
	const char *compare_path; /* simulate, plot: a second policy drawn beside */
	const char *cgroup_root;  /* node: the kubelet's cgroup root */
	bool no_kubernetes_api;   /* node: containers named by their path only */
	const char *policy_dir;   /* node: the policies memhook.io/policy names */
};

/* Parses argv (and the environment, which flags win over) into ret; --help and --version print and
 * exit. Returns 0, or EXIT_USAGE after printing why. */
int options_parse(int argc, char **argv, struct options *ret);

/* Fills the target spec; returns 0, EXIT_USAGE after printing why. required: a target must be named. */
int options_target(const struct options *o, bool required, struct target_spec *ret, bool *ret_named);

/* Parses a duration option's text into ret; returns 0, or EXIT_USAGE after printing why. */
int options_duration(const char *name, const char *text, uint64_t *ret);
