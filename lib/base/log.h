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

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);
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
