/* The tripwire's file side (lib/kernel/tripwire.c) on a scratch directory standing in for a v2
 * cgroup: memory.high as another writer left it is never touched, a value armed is recorded in the
 * directory's user xattr and put back to max at the stop, a dead memhook's leftover is removed and
 * a running one's is left alone. The kernel's side (the `high` count waking a check) is tested in
 * the VM (tests/vm/tripwire.bats). */
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "decide/tripwire_plan.h"
#include "kernel/target.h"
#include "kernel/tripwire.h"
#include "policy/policy.h"

#define MiB (UINT64_C(1) << 20)

static char dir[64];
static struct cg_target cg;

static void put(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* memory.high's text, without its newline. */
static const char *high_text(void)
{
	static char buf[32];
	char path[128];
	snprintf(path, sizeof(path), "%s/memory.high", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* Whether memory.high holds want: cgroupfs replaces the value at each write, a plain file keeps
 * the old tail past a shorter one ("max" over "73400320" reads "max00320"), so only the written
 * part is compared. */
static bool high_is(const char *want)
{
	return strncmp(high_text(), want, strlen(want)) == 0;
}

static bool has_record(void)
{
	char buf[128];
	return getxattr(dir, TRIPWIRE_XATTR, buf, sizeof(buf)) >= 0;
}

static void plant_record(uint64_t armed_bytes, pid_t pid, uint64_t start_ticks)
{
	struct tripwire_record rec = { .armed_bytes = armed_bytes, .pid = pid, .start_ticks = start_ticks };
	char buf[96];
	int n = tripwire_record_format(&rec, buf, sizeof(buf));
	assert_true(n > 0);
	if (setxattr(dir, TRIPWIRE_XATTR, buf, (size_t)n, 0) < 0)
		fail_msg("the scratch directory %s takes no user xattr (%s): the tripwire's record cannot "
		         "be tested here",
		         dir, strerror(errno));
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/memhook-tripwire-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	cg = (struct cg_target){ .path = dir, .version = CG_V2, .events_fd = -1 };
	cg.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return cg.dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	close(cg.dirfd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_not_started(void **state)
{
	(void)state;
	struct tripwire tw;
	tripwire_init(&tw);
	assert_false(tripwire_armed(&tw));
	assert_false(tripwire_crossed(&tw, 5, 100 * MiB));
	tripwire_stop(&tw, "stopping"); /* safe, and again */
	tripwire_stop(&tw, NULL);
}

static void test_no_memory_high(void **state)
{
	(void)state;
	struct tripwire tw;
	tripwire_init(&tw);
	assert_int_equal(tripwire_start(&tw, &cg), 1);
	assert_true(tw.stood_down);
	tripwire_stop(&tw, NULL);
}

static void test_someone_elses_value_is_left(void **state)
{
	(void)state;
	put("memory.high", "104857600\n");
	struct tripwire tw;
	tripwire_init(&tw);
	assert_int_equal(tripwire_start(&tw, &cg), 1);
	assert_true(tw.stood_down);
	tripwire_stop(&tw, "stopping");
	assert_string_equal(high_text(), "104857600");
	assert_false(has_record());
}

static void test_armed_recorded_and_put_back(void **state)
{
	(void)state;
	put("memory.high", "max\n");
	static const char json[] = "{\"levels\":[{\"name\":\"elevated\",\"when\":{\"local_relative\":30}},"
	                           "{\"name\":\"high\",\"when\":{\"local_relative\":10}}]}";
	struct policy *p = NULL;
	char err[256];
	assert_int_equal(policy_parse(json, strlen(json), &p, err, sizeof(err)), 0);
	struct tripwire tw;
	tripwire_init(&tw);
	assert_int_equal(tripwire_start(&tw, &cg), 0);
	struct sample s = { .usage_bytes = 10 * MiB, .limit_bytes = 100 * MiB };
	assert_int_equal(tripwire_update(&tw, p, &s), 1);
	assert_true(tripwire_armed(&tw));
	/* the lowest threshold above the usage: 70% of the limit, whole pages */
	uint64_t armed = strtoull(high_text(), NULL, 10);
	assert_true(armed >= 70 * MiB - 4096 && armed <= 70 * MiB + 4096);
	assert_true(has_record());
	assert_int_equal(tripwire_update(&tw, p, &s), 0); /* nothing moved */
	/* usage past it: the next threshold up (90%) */
	s.usage_bytes = 75 * MiB;
	assert_int_equal(tripwire_move(&tw, s.usage_bytes, s.limit_bytes), 1);
	uint64_t next = strtoull(high_text(), NULL, 10);
	assert_true(next > armed && next <= 90 * MiB + 4096);
	tripwire_stop(&tw, "stopping");
	assert_true(high_is("max"));
	assert_false(has_record());
	policy_free(p);
}

static void test_another_writer_wins_while_armed(void **state)
{
	(void)state;
	put("memory.high", "max\n");
	static const char json[] = "{\"levels\":[{\"name\":\"elevated\",\"when\":{\"local_relative\":30}},"
	                           "{\"name\":\"high\",\"when\":{\"local_relative\":10}}]}";
	struct policy *p = NULL;
	char err[256];
	assert_int_equal(policy_parse(json, strlen(json), &p, err, sizeof(err)), 0);
	struct tripwire tw;
	tripwire_init(&tw);
	assert_int_equal(tripwire_start(&tw, &cg), 0);
	struct sample s = { .usage_bytes = 10 * MiB, .limit_bytes = 100 * MiB };
	assert_int_equal(tripwire_update(&tw, p, &s), 1);
	put("memory.high", "52428800\n"); /* an operator */
	s.usage_bytes = 75 * MiB;
	assert_int_equal(tripwire_update(&tw, p, &s), 0);
	assert_true(tw.stood_down);
	tripwire_stop(&tw, "stopping");
	assert_string_equal(high_text(), "52428800");
	assert_false(has_record());
	policy_free(p);
}

static void test_dead_memhooks_leftover_removed(void **state)
{
	(void)state;
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child); /* its pid names no memhook now */
	put("memory.high", "73400320\n");
	plant_record(73400320, child, 1);
	struct tripwire tw;
	tripwire_init(&tw);
	assert_int_equal(tripwire_start(&tw, &cg), 0);
	assert_true(high_is("max"));
	assert_false(has_record());
	tripwire_stop(&tw, NULL);
}

static void test_running_memhooks_tripwire_left(void **state)
{
	(void)state;
	pid_t other = fork(); /* another memhook, still running */
	assert_true(other >= 0);
	if (other == 0) {
		pause();
		_exit(0);
	}
	uint64_t start;
	assert_int_equal(target_read_start_time("/proc", other, &start), 0);
	put("memory.high", "73400320\n");
	plant_record(73400320, other, start);
	struct tripwire tw;
	tripwire_init(&tw);
	assert_int_equal(tripwire_start(&tw, &cg), 1);
	tripwire_stop(&tw, "stopping");
	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	assert_string_equal(high_text(), "73400320");
	assert_true(has_record());
	assert_int_equal(removexattr(dir, TRIPWIRE_XATTR), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_started),
		cmocka_unit_test_setup_teardown(test_no_memory_high, setup, teardown),
		cmocka_unit_test_setup_teardown(test_someone_elses_value_is_left, setup, teardown),
		cmocka_unit_test_setup_teardown(test_armed_recorded_and_put_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_another_writer_wins_while_armed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_memhooks_leftover_removed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_running_memhooks_tripwire_left, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
