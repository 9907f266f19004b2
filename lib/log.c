#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum log_format log_format_cur = LOG_FORMAT_TEXT;
static enum log_level log_max_level = LOG_LEVEL_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_setup(enum log_format format, enum log_level max_level)
{
	log_format_cur = format;
	log_max_level = max_level;
}

enum log_format log_get_format(void)
{
	return log_format_cur;
}
bool log_enabled(enum log_level level)
{
	return level <= log_max_level;
}

static void format_now(char *buf, size_t size)
{
	uint64_t usec = now_real_usec();
	time_t sec = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03uZ", (unsigned)(usec % USEC_PER_SEC / USEC_PER_MSEC));
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

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	int saved = errno;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char ts[40];
	format_now(ts, sizeof(ts));

	flockfile(stderr);
	if (log_format_cur == LOG_FORMAT_JSON) {
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[level]);
		put_json_escaped(stderr, msg);
		fputs("\"}\n", stderr);
	} else {
		/* One event, one line: fold embedded newlines. */
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fprintf(stderr, "%s memhook %s: %s\n", ts, level_names[level], msg);
	}
	fflush(stderr);
	funlockfile(stderr);
	errno = saved;
}
