/* The log on a pipe nobody reads: never blocking, whole lines, drops counted and said. fd 2 is a
 * pipe of the test's own while a case runs; what it saw is asserted once stderr is back. */
#include "unit.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#include "base/defaults.h"
#include "base/log.h"
#include "base/util.h"

struct pipe_stderr {
	int saved_fd; /* the real stderr, put back by restore */
	int read_fd;
	unsigned backlog_on, backlog_off;
};

static void on_backlog(bool backlog, void *userdata)
{
	struct pipe_stderr *p = userdata;
	if (backlog)
		p->backlog_on++;
	else
		p->backlog_off++;
}

/* Puts a one-page pipe on fd 2 (4 KiB: full after a few lines) and buffers the log on it. */
static void pipe_on_stderr(struct pipe_stderr *p)
{
	int fds[2];
	*p = (struct pipe_stderr){ .saved_fd = dup(STDERR_FILENO) };
	assert_true(p->saved_fd >= 0);
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	assert_int_equal(fcntl(fds[0], F_SETPIPE_SZ, 4096), 4096);
	assert_true(dup2(fds[1], STDERR_FILENO) == STDERR_FILENO);
	close(fds[1]);
	p->read_fd = fds[0];
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	log_on_backlog(on_backlog, p);
}

static void restore_stderr(struct pipe_stderr *p)
{
	log_on_backlog(NULL, NULL);
	dup2(p->saved_fd, STDERR_FILENO);
	close(p->saved_fd);
	close(p->read_fd);
}

/* Reads what the pipe holds now into buf (appended at *len). */
static void read_some(int fd, char *buf, size_t size, size_t *len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	while (*len < size && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
		ssize_t n = read(fd, buf + *len, size - *len);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
}

static void test_stalled_pipe_drops_whole_lines_and_says_how_many(void **state)
{
	(void)state;
	static char out[256 * 1024];
	size_t out_len = 0;
	struct pipe_stderr p;
	pipe_on_stderr(&p);
	int started = log_stderr_nonblocking();
	/* fd 2's own description stays blocking: whoever shares it is not surprised */
	int fd2_flags = fcntl(STDERR_FILENO, F_GETFL);
	uint64_t dropped_before = log_lines_dropped();

	/* 2000 lines of about 100 bytes: 200 KB into 4 KiB of pipe and 64 KiB of buffer */
	uint64_t t0 = now_mono_usec();
	for (int i = 0; i < 2000; i++)
		log_info("line %04d %s", i, "................................................");
	uint64_t took_usec = now_mono_usec() - t0;
	uint64_t dropped = log_lines_dropped() - dropped_before;
	unsigned on_while_stalled = p.backlog_on;

	/* the reader comes back: everything waiting goes out as the pipe has room */
	for (int round = 0; round < 1000 && p.backlog_off < p.backlog_on; round++) {
		read_some(p.read_fd, out, sizeof(out) - 1, &out_len);
		log_stderr_writable();
	}
	read_some(p.read_fd, out, sizeof(out) - 1, &out_len);
	log_stderr_blocking(0);
	restore_stderr(&p);
	out[out_len] = '\0';

	assert_int_equal(started, 1);
	assert_false(fd2_flags & O_NONBLOCK);
	assert_true(took_usec < 500 * USEC_PER_MSEC); /* never waited on the pipe */
	assert_int_equal(on_while_stalled, 1);
	assert_int_equal(p.backlog_off, 1);
	assert_true(dropped > 1000);
	assert_true(dropped < 2000 - 600); /* the 68 KiB held some 600 lines */
	/* every line whole and in order: numbered 0000 up to the last that fitted, then the count */
	char want[64];
	snprintf(want, sizeof(want), "memhook warn: %llu log lines dropped while stderr was blocked\n",
	         (unsigned long long)dropped);
	assert_non_null(strstr(out, want));
	int next = 0, lines = 0;
	for (char *l = out, *nl; (nl = strchr(l, '\n')); l = nl + 1, lines++) {
		int n;
		char *at = strstr(l, "memhook info: line ");
		if (at && at < nl && sscanf(at, "memhook info: line %d", &n) == 1) {
			assert_int_equal(n, next);
			next++;
		}
		assert_true(strncmp(l, "20", 2) == 0); /* starts with its timestamp */
	}
	assert_int_equal((uint64_t)next + dropped, 2000);
	assert_int_equal(lines, next + 1);
}

static void test_exit_waits_a_bounded_time_for_a_stopped_reader(void **state)
{
	(void)state;
	struct pipe_stderr p;
	pipe_on_stderr(&p);
	assert_int_equal(log_stderr_nonblocking(), 1);
	for (int i = 0; i < 200; i++)
		log_info("line %04d ..................................................", i);
	uint64_t t0 = now_mono_usec();
	log_stderr_blocking(50 * USEC_PER_MSEC);
	uint64_t took_usec = now_mono_usec() - t0;
	int fd2_flags = fcntl(STDERR_FILENO, F_GETFL);
	restore_stderr(&p);

	assert_true(took_usec >= 50 * USEC_PER_MSEC);
	assert_true(took_usec < 300 * USEC_PER_MSEC);
	assert_false(fd2_flags & O_NONBLOCK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stalled_pipe_drops_whole_lines_and_says_how_many),
		cmocka_unit_test(test_exit_waits_a_bounded_time_for_a_stopped_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
