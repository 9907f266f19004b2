#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_format log_format_cur = LOG_FORMAT_TEXT;
static enum log_level log_max_level = LOG_LEVEL_INFO;

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
	errno = saved;
}
