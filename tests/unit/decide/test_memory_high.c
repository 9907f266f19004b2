/* memory_high: the amount (percent of the effective limit, whole pages) and the remember/restore
 * state machine, on hand-built values (the path through dispatch on a scratch directory:
 * actions/test_action_run_memory_high.c and actions/test_memory_high_restore.c). */
#include "unit.h"

#include "decide/memory_high.h"

#define MIB (UINT64_C(1) << 20)

/* ---- the pure parts ---- */

static void test_amount(void **state)
{
	(void)state;
	struct memory_high_cfg pct = { .percent = 80 }, abs = { .bytes = 200 * MIB + 123 };
	assert_int_equal(memory_high_amount(&pct, 100 * MIB, 4096), 80 * MIB);
	assert_int_equal(memory_high_amount(&pct, 100 * MIB + 8192, 4096),
	                 80 * MIB + 4096);                              /* 6553.6 bytes: one page */
	assert_int_equal(memory_high_amount(&abs, 0, 4096), 200 * MIB); /* down to whole pages */
	struct memory_high_cfg tiny = { .bytes = 1 };
	assert_int_equal(memory_high_amount(&tiny, 0, 4096), 4096); /* at least one page */
	assert_int_equal(memory_high_amount(&pct, 0, 4096), 4096);
	struct memory_high_cfg all = { .percent = 100 };
	assert_int_equal(memory_high_amount(&all, UINT64_MAX, 4096), UINT64_MAX / 4096 * 4096);
}

static void test_valid(void **state)
{
	(void)state;
	assert_true(memory_high_valid("max"));
	assert_true(memory_high_valid("0"));
	assert_true(memory_high_valid("18446744073709551615"));
	assert_false(memory_high_valid(""));
	assert_false(memory_high_valid("max "));
	assert_false(memory_high_valid("-1"));
	assert_false(memory_high_valid("123456789012345678901"));
	assert_false(memory_high_valid("12k"));
}

static void test_state_machine(void **state)
{
	(void)state;
	struct memory_high_state st = { .dirfd = -1 };
	assert_int_equal(memory_high_restore_plan(&st, "max"), MEMORY_HIGH_NOTHING);

	/* the first write keeps what was there */
	assert_true(memory_high_note_write(&st, "max", 80 * MIB));
	assert_string_equal(st.original, "max");
	/* a second one keeps the first original (memory.high now reads memhook's own value) */
	assert_false(memory_high_note_write(&st, "83886080", 50 * MIB));
	assert_string_equal(st.original, "max");
	assert_int_equal(st.set_bytes, 50 * MIB);

	assert_int_equal(memory_high_restore_plan(&st, "52428800"), MEMORY_HIGH_RESTORE);
	assert_int_equal(memory_high_restore_plan(&st, "max"), MEMORY_HIGH_ALREADY);
	assert_int_equal(memory_high_restore_plan(&st, "83886080"), MEMORY_HIGH_CHANGED);
	memory_high_forget(&st);
	assert_false(st.saved);
	assert_int_equal(memory_high_restore_plan(&st, "52428800"), MEMORY_HIGH_NOTHING);

	/* after a restore, the next write saves anew */
	assert_true(memory_high_note_write(&st, "1073741824", MIB));
	assert_string_equal(st.original, "1073741824");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_amount),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_state_machine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
