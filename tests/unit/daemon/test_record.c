/* record: the output opened like the status file (a planted link replaced, never followed; a
 * device or FIFO written as it is), and record_run against the committed fixture trees (run from
 * tests/unit): duration / interval + 1 lines in either format, a garbage file's samples skipped,
 * a SIGTERM pending at the start a clean stop, and the errors of a missing target or output. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"
#include "daemon/record.h"
#include "output/trace.h"

#define FIX "../fixtures"

static char dir[64];

static int dir_setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/memhook-record-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int dir_teardown(void **state)
{
	(void)state;
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void slurp(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* A file, a symlink or a hard link at the path is replaced by a new file (what it pointed to is
 * left alone); /dev/null and a FIFO are written as they are; a missing directory is -ENOENT. */
static void test_open_output(void **state)
{
	(void)state;
	char path[128], victim[128], hard[128], buf[64];
	struct stat before, after;
	snprintf(path, sizeof(path), "%s/trace.csv", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);

	put(path, "old\n");
	assert_int_equal(stat(path, &before), 0);
	int fd = record_open_output(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "new\n", 4), 4);
	close(fd);
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_ino != before.st_ino);
	slurp(path, buf, sizeof(buf));
	assert_string_equal(buf, "new\n");

	put(victim, "keep\n");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink(victim, path), 0);
	fd = record_open_output(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_int_equal(lstat(path, &after), 0);
	assert_true(S_ISREG(after.st_mode));
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "keep\n");

	snprintf(hard, sizeof(hard), "%s/hard", dir);
	assert_int_equal(link(victim, hard), 0);
	fd = record_open_output(hard);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "y\n", 2), 2);
	close(fd);
	slurp(victim, buf, sizeof(buf));
	assert_string_equal(buf, "keep\n");

	fd = record_open_output("/dev/null");
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &after), 0);
	assert_true(S_ISCHR(after.st_mode));
	close(fd);
	assert_int_equal(stat("/dev/null", &after), 0);
	assert_true(S_ISCHR(after.st_mode)); /* not replaced */

	char fifo[128];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int reader = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(reader >= 0);
	fd = record_open_output(fifo);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "z\n", 2), 2);
	assert_int_equal(read(reader, buf, sizeof(buf)), 2);
	close(fd);
	close(reader);
	assert_int_equal(lstat(fifo, &after), 0);
	assert_true(S_ISFIFO(after.st_mode));

	snprintf(path, sizeof(path), "%s/no-such-dir/trace.csv", dir);
	assert_int_equal(record_open_output(path), -ENOENT);
}

/* Records target into a new file of dir in format for duration_usec at 10 ms; returns
 * record_run's result and the file's text in buf. */
static int record_to(const char *target, enum trace_format format, uint64_t duration_usec, char *buf,
                     size_t size)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/out", dir);
	int fd = record_open_output(path);
	assert_true(fd >= 0);
	struct record_config cfg = {
		.target = { .mode = TARGET_CGROUP, .cgroup_dir = target, .proc_root = FIX "/proc" },
		.interval_usec = 10 * USEC_PER_MSEC,
		.duration_usec = duration_usec,
		.format = format,
		.out_fd = fd,
		.out_name = "out",
	};
	int r = record_run(&cfg);
	close(fd);
	slurp(path, buf, size);
	return r;
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (const char *p = text; (p = strchr(p, '\n')); p++)
		n++;
	return n;
}

/* duration / interval + 1 samples: the header and 4 lines in CSV, 4 JSON lines; each line is what
 * the trace reader takes. */
static void test_duration(void **state)
{
	(void)state;
	char buf[16384], header[TRACE_LINE_MAX_BYTES];
	assert_int_equal(record_to(FIX "/v2", TRACE_FORMAT_CSV, 30 * USEC_PER_MSEC, buf, sizeof(buf)), 0);
	int n = trace_format_header(TRACE_FORMAT_CSV, header, sizeof(header));
	assert_true(n > 0);
	assert_memory_equal(buf, header, (size_t)n);
	assert_int_equal(count_lines(buf), 1 + 4);
	assert_non_null(strstr(buf, "104857600")); /* the v2 fixture's memory.current */

	assert_int_equal(record_to(FIX "/v1", TRACE_FORMAT_JSONL, 30 * USEC_PER_MSEC, buf, sizeof(buf)), 0);
	assert_int_equal(count_lines(buf), 4);
	for (const char *p = buf; *p; p = strchr(p, '\n') + 1)
		assert_int_equal(*p, '{');
	assert_non_null(strstr(buf, "60051456")); /* the v1 fixture's usage */

	/* a duration shorter than the interval: the first sample alone */
	assert_int_equal(record_to(FIX "/v2", TRACE_FORMAT_JSONL, 5 * USEC_PER_MSEC, buf, sizeof(buf)), 0);
	assert_int_equal(count_lines(buf), 1);
}

/* A cgroup file with garbage: every sample skipped (warned), the recording goes on to its end. */
static void test_garbage_skipped(void **state)
{
	(void)state;
	char cg[128], path[160], buf[4096];
	snprintf(cg, sizeof(cg), "%s/cg", dir);
	assert_int_equal(mkdir(cg, 0755), 0);
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	put(path, "12ab\n");
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	put(path, "max\n");
	assert_int_equal(record_to(cg, TRACE_FORMAT_JSONL, 20 * USEC_PER_MSEC, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

/* SIGTERM already pending when it starts: a clean stop before the first line is written. */
static void test_sigterm_stops(void **state)
{
	(void)state;
	char buf[4096];
	assert_int_equal(record_block_signals(), 0);
	assert_int_equal(raise(SIGTERM), 0);
	assert_int_equal(record_to(FIX "/v2", TRACE_FORMAT_CSV, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	sigset_t pending;
	assert_int_equal(sigpending(&pending), 0);
	assert_false(sigismember(&pending, SIGTERM)); /* taken by the recorder's signalfd */
}

/* A target missing at the start, and an output that cannot be written: -errno. */
static void test_errors(void **state)
{
	(void)state;
	char buf[64];
	assert_int_equal(record_to(FIX "/does-not-exist", TRACE_FORMAT_CSV, 0, buf, sizeof(buf)), -ENOENT);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct record_config cfg = {
		.target = { .mode = TARGET_CGROUP, .cgroup_dir = FIX "/v2", .proc_root = FIX "/proc" },
		.interval_usec = 10 * USEC_PER_MSEC,
		.format = TRACE_FORMAT_JSONL,
		.out_fd = fd,
		.out_name = "/dev/null",
	};
	assert_int_equal(record_run(&cfg), -EBADF);
	close(fd);
}

int main(void)
{
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_output, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_duration, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_garbage_skipped, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_sigterm_stops, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_errors, dir_setup, dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
