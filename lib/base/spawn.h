/* Runs commands (no shell) as children watched by the loop: output lines go to the log, a
 * timeout kills the child's process group, completion is reported through a callback. Used by
 * the exec action and by custom probe conditions. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct spawner;

struct spawn_result {
	pid_t pid;
	int exit_code;   /* exit status, or -1 when killed by a signal */
	int term_signal; /* the signal that ended it, or 0 */
	bool timed_out;  /* we killed it at the timeout */
};

typedef void (*spawn_done_fn)(const struct spawn_result *r, void *userdata);

int spawner_new(struct loop *l, struct spawner **ret);
/* Kills (SIGKILL to the group) and reaps every child still running, without callbacks. NULL ok. */
void spawner_free(struct spawner *s);

/* Names of variables (webhook secrets) that children never inherit, whatever the allow-list says;
 * copied, replacing the previous ones (NULL: none). Returns 0, -EINVAL without a spawner, or
 * -ENOMEM: then, failing closed, children inherit nothing until a later call succeeds. */
int spawner_set_secret_names(struct spawner *s, char *const *names);

/* Builds a child's environment: the entries of env (memhook's) whose name is on the allow-list
 * (PATH, HOME, LANG, LC_*, TZ, POD_*), not in deny and not given by extra_env, the first of a
 * name only; then extra_env ("K=V"); then PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
 * /sbin:/bin when neither gave a PATH. Any of the three may be NULL. The strings are borrowed; the
 * NULL-terminated array is the caller's to free(). Returns 0 or -ENOMEM. */
int spawn_build_env(char *const env[], char *const extra_env[], char *const deny[], char ***ret);

/* Starts argv[0] (absolute path) with argv, the environment of spawn_build_env (extra_env: "K=V",
 * NULL-terminated, may be NULL), stdin from /dev/null, stdout and stderr logged line by line as
 * "<tag>: <line>" (at most 4 KiB a line, longer lines split; the first 100 lines, then one line
 * "<tag>: … N more lines, M bytes not logged" at its end), in a new process group. The pipe is
 * read at most 64 KiB a wakeup, and at the child's exit up to the pipe's capacity: a writer it
 * left behind is not waited for. At timeout_usec the group gets SIGKILL. done is called exactly
 * once from the loop after the child has been reaped and its output drained (never from within
 * spawn_start). Returns 0 or -errno (e.g. -ENOENT when argv[0] does not exist: checked before
 * forking). */
int spawn_start(struct spawner *s, char *const argv[], char *const extra_env[], uint64_t timeout_usec,
                const char *tag, spawn_done_fn done, void *userdata);

/* Children still running. */
unsigned spawn_running(const struct spawner *s);
