#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/log_fold.h"

static enum log_format log_format_cur = LOG_FORMAT_TEXT;
enum log_level log_max_level = LOG_LEVEL_INFO; /* log_enabled, inline in log.h */
/* Warnings and errors are folded per call site (format string); off until log_set_fold_window. */
static struct log_fold log_fold_state;

void log_setup(enum log_format format, enum log_level max_level)
{
	log_format_cur = format;
	log_max_level = max_level;
}

enum log_format log_get_format(void)
{
	return log_format_cur;
}

void log_set_fold_window(uint64_t window_usec)
{
	log_fold_state = (struct log_fold){ .window_usec = window_usec };
}

/* Writes s as the inside of a JSON string. */
static void put_json_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
}

/* Writes one line; msg may be changed (newlines folded). */
static void write_line(enum log_level level, char *msg)
{
	char ts[40];
	if (format_rfc3339_usec(now_real_usec(), ts, sizeof(ts)) < 0)
		ts[0] = '\0';

	flockfile(stderr);
	if (log_format_cur == LOG_FORMAT_JSON) {
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, log_level_name(level));
		put_json_escaped(stderr, msg);
		fputs("\"}\n", stderr);
	} else {
		/* One event, one line: fold embedded newlines. */
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fprintf(stderr, "%s memhook %s: %s\n", ts, log_level_name(level), msg);
	}
	fflush(stderr);
	funlockfile(stderr);
}

static void write_summary(const struct log_fold_summary *sum)
{
	char line[256];
	snprintf(line, sizeof(line), "\u2026 \"%s\" repeated %u more time%s in %.1fs", sum->text, sum->count,
	         sum->count == 1 ? "" : "s", (double)sum->span_usec / (double)USEC_PER_SEC);
	write_line((enum log_level)sum->level, line);
}

/* Writes the summaries of folding windows that have ended (all of them when flush_all). */
static void flush_folds(bool flush_all)
{
	struct log_fold_summary sum;
	if (!log_fold_state.n_open) /* nothing folded: every steady check comes here */
		return;
	while (log_fold_take_expired(&log_fold_state, now_mono_usec(), flush_all, &sum))
		write_summary(&sum);
}

void log_fold_flush(bool flush_all)
{
	int saved = errno;
	flush_folds(flush_all);
	errno = saved;
}

/* Formats and writes one message, unless it is a folded repeat of (site, subject). */
static void log_vmsg(enum log_level level, const void *site, uint64_t subject, const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	int saved = errno;
	char msg[4096];
	vsnprintf(msg, sizeof(msg), fmt, ap);

	if (log_fold_state.window_usec && level <= LOG_LEVEL_WARN) {
		struct log_fold_summary sum;
		flush_folds(false);
		bool admit = log_fold_admit(&log_fold_state, site, subject, (int)level, msg, now_mono_usec(),
		                            &sum);
		if (sum.count)
			write_summary(&sum);
		if (!admit) {
			errno = saved;
			return;
		}
	}
	write_line(level, msg);
	errno = saved;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, 0, fmt, ap);
	va_end(ap);
}

void log_msg_about(enum log_level level, const char *subject, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, fmt, log_subject(subject), fmt, ap);
	va_end(ap);
}
