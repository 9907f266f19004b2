/* Captures the log (stderr) of the code under test into a temp file. */
#pragma once

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"

static int capture_saved_stderr = -1;
static char capture_path[64];

/* Redirects stderr into a new temp file. */
static void capture_start(void)
{
	snprintf(capture_path, sizeof(capture_path), "/tmp/memhook-test-log-XXXXXX");
	int fd = mkstemp(capture_path);
	assert_true(fd >= 0);
	fflush(stderr);
	capture_saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

/* Restores stderr and returns what was logged (malloc'd). */
static char *capture_end(void)
{
	fflush(stderr);
	dup2(capture_saved_stderr, STDERR_FILENO);
	close(capture_saved_stderr);
	int fd = open(capture_path, O_RDONLY | O_CLOEXEC);
	size_t size = 1 << 20;
	char *buf = malloc(size);
	if (fd < 0 || !buf || pread_all(fd, buf, size) < 0)
		abort();
	close(fd);
	unlink(capture_path);
	return buf;
}
