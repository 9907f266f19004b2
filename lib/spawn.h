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

/* Starts argv[0] (absolute path) with argv, the environment plus extra_env ("K=V", NULL-terminated,
 * may be NULL; they override inherited ones), stdin from /dev/null, stdout and stderr logged line by
 * line as "<tag>: <line>" (at most 4 KiB a line, longer lines split), in a new process group.
 * At timeout_usec the group gets SIGKILL. done is called exactly once from the loop after the child
 * has been reaped and its output drained (never from within spawn_start).
 * Returns 0 or -errno (e.g. -ENOENT when argv[0] does not exist: checked before forking). */
int spawn_start(struct spawner *s, char *const argv[], char *const extra_env[], uint64_t timeout_usec,
                const char *tag, spawn_done_fn done, void *userdata);

/* Children still running. */
unsigned spawn_running(const struct spawner *s);
