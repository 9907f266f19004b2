/* Fixtures for the kernel layer's tests: a cgroup v2 directory, a fake /proc (a process's comm,
 * cgroup and stat, and a mountinfo that mounts cgroup2 under it), and removing them. Static: each
 * test file that includes it gets its own copy. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "unit.h"

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_cgroup(const char *dir)
{
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(dir, "memory.current", "1048576\n");
	write_file(dir, "memory.max", "max\n");
}

/* ---- a process target: pidfd and start time ---- */

/* A fake /proc under root: PID's comm, cgroup ("0::/app", a cgroup2 fixture at root/cgroot/app)
 * and stat with start time ticks. */
static void fake_process(const char *root, int pid, unsigned long long ticks)
{
	char dir[256], text[512];
	snprintf(dir, sizeof(dir), "%s/%d", root, pid);
	mkdir(dir, 0755);
	write_file(dir, "comm", "myapp\n");
	write_file(dir, "cgroup", "0::/app\n");
	snprintf(text, sizeof(text), "%d (my app (x)) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %llu 1 1\n",
	         pid, ticks);
	write_file(dir, "stat.new", text);
	char from[300], to[300];
	snprintf(from, sizeof(from), "%s/stat.new", dir);
	snprintf(to, sizeof(to), "%s/stat", dir);
	assert_int_equal(rename(from, to), 0);
}

static void fake_proc(char *root, size_t size, char *cg, size_t cg_size)
{
	assert_non_null(mkdtemp(root));
	char dir[256], text[512];
	snprintf(dir, sizeof(dir), "%s/self", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(text, sizeof(text), "35 30 0:30 / %s/cgroot rw,relatime - cgroup2 cgroup2 rw\n", root);
	write_file(dir, "mountinfo", text);
	snprintf(dir, sizeof(dir), "%s/cgroot", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(cg, cg_size, "%s/cgroot/app", root);
	make_cgroup(cg);
	(void)size;
}

static void rm_rf(const char *root)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}
