/* Trace files (trace.h): read line by line, a byte-order mark skipped, errors named file:line. */
#include "output/trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "output/trace_internal.h"

/* Fails with "<name>: <reason>" in err for a stream that cannot give lines: a closed fd (a
 * program started with stdin closed) or a directory, whose read errors (EBADF, EISDIR) would
 * come only at the first line. Returns 0 or -errno. */
static int check_stream(FILE *f, const char *name, bool is_stdin, char *err, size_t err_size)
{
	struct stat st;

	if (fstat(fileno(f), &st) < 0) {
		int r = -errno;
		if (r == -EBADF && is_stdin)
			snprintf(err, err_size, "%s: standard input is closed", name);
		else
			snprintf(err, err_size, "%s: %s", name, strerror(-r));
		return r;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, err_size, "%s: is a directory", name);
		return -EISDIR;
	}
	return 0;
}

int trace_reader_open(const char *path, struct trace_reader *ret, char *err, size_t err_size)
{
	*ret = (struct trace_reader){ 0 };
	trace_parser_init(&ret->parser);
	bool is_stdin = strcmp(path, "-") == 0;
	ret->f = is_stdin ? stdin : fopen(path, "re");
	if (!ret->f) {
		int r = -errno;
		snprintf(err, err_size, "%s: %s", path, strerror(-r));
		return r;
	}
	ret->path = strdup(is_stdin ? "(stdin)" : path);
	if (!ret->path) {
		trace_reader_close(ret);
		snprintf(err, err_size, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	int r = check_stream(ret->f, ret->path, is_stdin, err, err_size);
	if (r < 0) {
		trace_reader_close(ret);
		return r;
	}
	return 0;
}

/* Reads one line, without its '\n', into r->buf: NUL bytes are kept, so the length is the line's.
 * Returns its length; TRACE_LINE_MAX_BYTES + 2 when it is longer than the buffer holds (the rest is
 * left unread); -1 at the end of the input with nothing read; or -errno on a read error. */
static ssize_t read_line(struct trace_reader *r)
{
	size_t n = 0;
	int c;

	errno = 0;
	while ((c = getc_unlocked(r->f)) != EOF) {
		if (c == '\n')
			return (ssize_t)n;
		if (n == sizeof(r->buf))
			return (ssize_t)sizeof(r->buf);
		r->buf[n++] = (char)c;
	}
	if (ferror(r->f))
		return errno > 0 ? -errno : -EIO;
	return n == 0 ? -1 : (ssize_t)n;
}

int trace_reader_next(struct trace_reader *r, struct sample *ret, char *err, size_t err_size)
{
	for (;;) {
		ssize_t got = read_line(r);
		if (got == -1)
			return 0;
		if (got < 0) {
			snprintf(err, err_size, "%s: %s", r->path, strerror((int)-got));
			return (int)got;
		}
		r->line++;
		const char *line = r->buf;
		size_t len = (size_t)got;
		/* a byte-order mark some editors write at the start of a UTF-8 file */
		if (r->line == 1 && len >= 3 && memcmp(line, UTF8_BOM, 3) == 0) {
			line += 3;
			len -= 3;
		}
		char why[256];
		int n = len > TRACE_LINE_MAX_BYTES + 1
		                ? trace_fail(why, sizeof(why), "longer than %d bytes", TRACE_LINE_MAX_BYTES)
		                : trace_parse_line(&r->parser, line, len, ret, why, sizeof(why));
		if (n < 0) {
			snprintf(err, err_size, "%s:%zu: %s", r->path, r->line, why);
			return n;
		}
		if (n > 0)
			return 1;
	}
}

void trace_reader_close(struct trace_reader *r)
{
	if (r->f && r->f != stdin)
		fclose(r->f);
	r->f = NULL;
	free(r->path);
	r->path = NULL;
}
