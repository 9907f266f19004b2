/* One line per event on stderr: readable text by default, JSON lines on request. */
#pragma once

#include "base/names.h" /* enum log_level, log_format and their names */
#include "base/util.h"

void log_setup(enum log_format format, enum log_level max_level);
enum log_format log_get_format(void);
/* The most verbose level written (log_setup); read it through log_enabled. */
extern enum log_level log_max_level;
/* Whether a message at level is written: ask before formatting anything costly. Inline: every
 * check asks. */
static inline bool log_enabled(enum log_level level)
{
	return level <= log_max_level;
}

/* Folds repeated warnings and errors: a message from the same call site (and subject) within window_usec of
 * the first is counted instead of written, and one line "… "<message>" repeated N more times in Xs" follows
 * when the window has ended (at the next message, at log_fold_flush, or at the next repeat).
 * 0 turns folding off (the default). */
void log_set_fold_window(uint64_t window_usec);
/* Writes the summaries of folding windows that have ended (all of them when flush_all: at exit). */
void log_fold_flush(bool flush_all);

/* Makes the log never wait on stderr when it is a pipe or a socket (a container runtime's log
 * pipe, journald's stream): lines wait in a buffer of LOG_BUFFER_BYTES, whole, while the reader
 * takes none, and a line that does not fit is dropped and counted; once all is out, one line says
 * how many were dropped. A pipe is opened anew (/proc/self/fd/2) so that O_NONBLOCK is ours alone;
 * when that is refused, fd 2 itself is made O_NONBLOCK until log_stderr_blocking. A terminal or a
 * file is written as before. Returns 1 when buffered, 0 when not, or -errno. */
int log_stderr_nonblocking(void);
/* The fd to watch for EPOLLOUT while lines wait, or -1 when stderr is written directly. */
int log_stderr_fd(void);
/* fn(true) when lines start waiting for stderr, fn(false) when all are out: the loop watches
 * log_stderr_fd() for EPOLLOUT in between and calls log_stderr_writable(). NULL: nobody. */
typedef void (*log_backlog_fn)(bool backlog, void *userdata);
void log_on_backlog(log_backlog_fn fn, void *userdata);
/* Writes what stderr takes now, without waiting. */
void log_stderr_writable(void);
/* Lines dropped because stderr's reader did not take them (or was gone). */
uint64_t log_lines_dropped(void);
/* Writes text of several lines (a memory dump) as it is, each line whole or dropped. */
void log_write_text(const char *text, size_t len);
/* At exit: waits at most max_wait_usec for the waiting lines to go out, drops the rest, and
 * writes stderr directly again (its flags as they were). */
void log_stderr_blocking(uint64_t max_wait_usec);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

/* What the lines written from now on are about (memhook node: a container, "ns/pod/container"):
 * text lines say "<about>: " before the message, JSON lines carry "about"; folding keeps each
 * apart. NULL (the default) adds nothing. Returns the previous one, to restore. The string is
 * borrowed until it is replaced. Inline: every entry into a monitor sets it and sets it back, six
 * times a check. */
extern const char *log_about;
static inline const char *log_set_about(const char *about)
{
	const char *prev = log_about;
	log_about = about;
	return prev;
}

/* The same, folded apart per subject (e.g. a handler's path): one handler's repeated failure does
 * not hide another's. */
void log_msg_about(enum log_level level, const char *subject, const char *fmt, ...) _printf_(3, 4);

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                         \
	do {                                                   \
		if (log_enabled(LOG_LEVEL_DEBUG))              \
			log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__); \
	} while (0)
