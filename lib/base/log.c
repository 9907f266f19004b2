#include "base/log.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "base/defaults.h"
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

/* Where lines go. DIRECT: fd 2 written as it comes (a terminal, a file, /dev/null: as before).
 * PIPE and SOCKET (log_stderr_nonblocking): never blocking; what the reader does not take waits in
 * buf, whole lines only, and a line that does not fit is dropped and counted. */
enum log_sink_kind { LOG_SINK_DIRECT, LOG_SINK_PIPE, LOG_SINK_SOCKET };

static struct {
	enum log_sink_kind kind;
	int fd;            /* 2, or a non-blocking open of the pipe on fd 2 of our own */
	int restore_flags; /* fd 2's file status flags to put back at the end, or -1 */
	bool broken;       /* the reader is gone: every line is dropped */
	size_t head, len;  /* the bytes waiting: buf[head, head + len), whole lines */
	uint64_t dropped_total, dropped_unsaid;
	log_backlog_fn backlog_fn;
	void *backlog_userdata;
	bool backlog_told; /* backlog_fn was last told true */
	char buf[LOG_BUFFER_BYTES];
} sink = { .fd = STDERR_FILENO, .restore_flags = -1 };

/* One formatted line: the message (4 KiB) escaped as JSON takes up to 6 bytes a byte. */
static char line_buf[6 * 4096 + 256];

/* Appends to a line being built in line_buf; what does not fit is cut (the caller ends the line). */
struct line {
	size_t len;
};
static void line_put(struct line *ln, const char *s, size_t n)
{
	size_t room = sizeof(line_buf) - 1 - ln->len; /* 1 kept for the newline */
	if (n > room)
		n = room;
	memcpy(line_buf + ln->len, s, n);
	ln->len += n;
}
static void line_puts(struct line *ln, const char *s)
{
	line_put(ln, s, strlen(s));
}

/* Appends s as the inside of a JSON string. */
static void put_json_escaped(struct line *ln, const char *s)
{
	char esc[8];
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			line_put(ln, esc, 2);
		} else if (c == '\n')
			line_puts(ln, "\\n");
		else if (c == '\t')
			line_puts(ln, "\\t");
		else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			line_puts(ln, esc);
		} else
			line_put(ln, (const char *)&c, 1);
	}
}

const char *log_about; /* log_set_about */

/* Formats one line into line_buf, newline included; msg may be changed (newlines folded).
 * Returns its length. */
static size_t format_line(enum log_level level, char *msg)
{
	char ts[40];
	struct line ln = { 0 };
	if (format_rfc3339_usec(now_real_usec(), ts, sizeof(ts)) < 0)
		ts[0] = '\0';
	if (log_format_cur == LOG_FORMAT_JSON) {
		line_puts(&ln, "{\"ts\":\"");
		line_puts(&ln, ts);
		line_puts(&ln, "\",\"level\":\"");
		line_puts(&ln, log_level_name(level));
		if (log_about) {
			line_puts(&ln, "\",\"about\":\"");
			put_json_escaped(&ln, log_about);
		}
		line_puts(&ln, "\",\"msg\":\"");
		put_json_escaped(&ln, msg);
		line_puts(&ln, "\"}");
	} else {
		/* One event, one line: fold embedded newlines. */
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		line_puts(&ln, ts);
		line_puts(&ln, " memhook ");
		line_puts(&ln, log_level_name(level));
		line_puts(&ln, ": ");
		if (log_about) {
			line_puts(&ln, log_about);
			line_puts(&ln, ": ");
		}
		line_puts(&ln, msg);
	}
	line_buf[ln.len++] = '\n';
	return ln.len;
}

/* Writes buf to fd 2 whole, waiting as long as it takes (the DIRECT sink). */
static void write_blocking(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere to say it */
		buf += n;
		len -= (size_t)n;
	}
}

static void tell_backlog(bool backlog)
{
	if (sink.backlog_fn && backlog != sink.backlog_told) {
		sink.backlog_told = backlog;
		sink.backlog_fn(backlog, sink.backlog_userdata);
	}
}

/* Counts the lines waiting as dropped and forgets them. */
static void drop_waiting(void)
{
	const char *p = sink.buf + sink.head, *end = p + sink.len;
	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		sink.dropped_total++;
		sink.dropped_unsaid++;
		p++;
	}
	sink.head = sink.len = 0;
}

/* How much of the waiting bytes to write at once: whole lines up to PIPE_BUF, which a pipe takes
 * whole or not at all (never a torn line, even beside other writers); a longer line alone. */
static size_t chunk_len(void)
{
	const char *start = sink.buf + sink.head;
	size_t max = sink.len < PIPE_BUF ? sink.len : PIPE_BUF;
	const char *nl = memrchr(start, '\n', max);
	if (!nl)
		nl = memchr(start, '\n', sink.len);
	return nl ? (size_t)(nl - start) + 1 : sink.len;
}

static void append_line(const char *line, size_t len);

/* Writes what the reader takes now, without waiting; once all is out, says how many lines were
 * dropped meanwhile. */
static void drain(void)
{
	while (sink.len > 0 && !sink.broken) {
		size_t n = chunk_len();
		ssize_t w = sink.kind == LOG_SINK_SOCKET
		                    ? send(sink.fd, sink.buf + sink.head, n, MSG_DONTWAIT | MSG_NOSIGNAL)
		                    : write(sink.fd, sink.buf + sink.head, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) { /* EPIPE: the reader is gone, and no later line can reach it */
			sink.broken = true;
			drop_waiting();
			break;
		}
		sink.head += (size_t)w;
		sink.len -= (size_t)w;
		if (sink.len == 0)
			sink.head = 0;
		if (sink.len == 0 && sink.dropped_unsaid) {
			char msg[96];
			snprintf(msg, sizeof(msg), "%llu log line%s dropped while stderr was blocked",
			         (unsigned long long)sink.dropped_unsaid,
			         sink.dropped_unsaid == 1 ? "" : "s");
			sink.dropped_unsaid = 0;
			size_t len = format_line(LOG_LEVEL_WARN, msg);
			append_line(line_buf, len);
		}
	}
	tell_backlog(sink.len > 0);
}

/* Queues one whole line (or drops it, counted) and writes what the reader takes. */
static void append_line(const char *line, size_t len)
{
	if (sink.broken || len > sizeof(sink.buf) - sink.len) {
		sink.dropped_total++;
		sink.dropped_unsaid++;
		return;
	}
	if (sink.head + sink.len + len > sizeof(sink.buf)) {
		memmove(sink.buf, sink.buf + sink.head, sink.len);
		sink.head = 0;
	}
	memcpy(sink.buf + sink.head + sink.len, line, len);
	sink.len += len;
	drain();
}

/* Writes text made of whole lines to the sink: each one queued alone. */
static void put_text(const char *text, size_t len)
{
	if (sink.kind == LOG_SINK_DIRECT) {
		write_blocking(text, len);
		return;
	}
	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl ? (size_t)(nl - text) + 1 : len;
		if (nl)
			append_line(text, n);
		else if (n < sizeof(line_buf)) { /* the last line had no newline: give it one */
			memcpy(line_buf, text, n);
			line_buf[n] = '\n';
			append_line(line_buf, n + 1);
		}
		text += n;
		len -= n;
	}
}

/* Writes one line; msg may be changed (newlines folded). */
static void write_line(enum log_level level, char *msg)
{
	size_t len = format_line(level, msg);
	if (sink.kind == LOG_SINK_DIRECT)
		write_blocking(line_buf, len);
	else
		append_line(line_buf, len);
}

int log_stderr_nonblocking(void)
{
	struct stat st;
	if (sink.kind != LOG_SINK_DIRECT)
		return 1;
	if (fstat(STDERR_FILENO, &st) < 0)
		return -errno;
	if (S_ISSOCK(st.st_mode)) {
		sink.kind = LOG_SINK_SOCKET; /* send(MSG_DONTWAIT): the socket's own flags stay */
		return 1;
	}
	if (!S_ISFIFO(st.st_mode))
		return 0;
	/* An open of our own of the same pipe has flags of its own: O_NONBLOCK on it leaves whoever
	 * shares fd 2 (a shell, the runtime) untouched. Refused when the pipe is another user's. */
	int fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int flags = fcntl(STDERR_FILENO, F_GETFL);
		if (flags < 0 || fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK) < 0)
			return -errno;
		sink.restore_flags = flags;
		fd = STDERR_FILENO;
	}
	sink.fd = fd;
	sink.kind = LOG_SINK_PIPE;
	return 1;
}

int log_stderr_fd(void)
{
	return sink.kind == LOG_SINK_DIRECT ? -1 : sink.fd;
}

void log_on_backlog(log_backlog_fn fn, void *userdata)
{
	sink.backlog_fn = fn;
	sink.backlog_userdata = userdata;
	sink.backlog_told = false;
	tell_backlog(sink.len > 0);
}

void log_stderr_writable(void)
{
	int saved = errno;
	drain();
	errno = saved;
}

uint64_t log_lines_dropped(void)
{
	return sink.dropped_total;
}

void log_write_text(const char *text, size_t len)
{
	int saved = errno;
	put_text(text, len);
	errno = saved;
}

void log_stderr_blocking(uint64_t max_wait_usec)
{
	int saved = errno;
	if (sink.kind == LOG_SINK_DIRECT)
		return;
	uint64_t deadline = now_mono_usec() + max_wait_usec;
	drain();
	while (sink.len > 0 && !sink.broken) {
		uint64_t now = now_mono_usec();
		if (now >= deadline)
			break;
		struct pollfd pfd = { .fd = sink.fd, .events = POLLOUT };
		(void)poll(&pfd, 1, (int)((deadline - now + USEC_PER_MSEC - 1) / USEC_PER_MSEC));
		drain();
	}
	drop_waiting();
	if (sink.restore_flags >= 0)
		(void)fcntl(STDERR_FILENO, F_SETFL, sink.restore_flags);
	if (sink.fd != STDERR_FILENO)
		close(sink.fd);
	sink.fd = STDERR_FILENO;
	sink.restore_flags = -1;
	sink.kind = LOG_SINK_DIRECT;
	sink.broken = false;
	errno = saved;
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
		if (log_about) /* one container's fault does not hide another's */
			subject ^= log_subject(log_about);
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
