/* Hysteresis: for, clear_for and clear_when through the pure check step with an injected clock
 * (the sample's mono_usec), one rule per test; the flap test; and the proof that without them the
 * stepping is Satella's (the highest level whose condition holds), on random outcomes. Policies
 * are parsed from JSON, as memhook reads them. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

#include "decide/check.h"
#include "policy/eval.h"
#include "decide/hysteresis.h"
#include "decide/transitions.h"

#define MIB  (UINT64_C(1) << 20)
#define SEC  UINT64_C(1000000)
#define MSEC UINT64_C(1000)

static struct policy *parse(const char *json)
{
	struct policy *p = NULL;
	char err[512];
	int r = policy_parse(json, strlen(json), &p, err, sizeof(err));
	if (r < 0)
		fail_msg("%s: %s", json, err);
	return p;
}

/* A sample with a 100 MiB limit and this much free (percent), taken at t_usec. */
static struct sample free_at(double free_percent, uint64_t t_usec)
{
	uint64_t used = (uint64_t)((100.0 - free_percent) * (double)MIB);
	return (struct sample){ .usage_bytes = used, .limit_bytes = 100 * MIB, .mono_usec = t_usec };
}

/* One check of a present target at t_usec with free_percent free; the result in r. */
static void check(const struct policy *p, struct check_state *st, double free_percent, uint64_t t_usec,
                  struct check_result *r)
{
	struct sample s = free_at(free_percent, t_usec);
	check_step(p, st, CHECK_TARGET_PRESENT, &s, NULL, r);
	assert_int_equal(st->level, r->level);
}

/* The events of r as "entered:1 left:0 normal:0 remaining:2". */
static const char *events_str(const struct check_result *r)
{
	static char buf[512];
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < r->n_events; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s:%d", i ? " " : "",
		                      event_kind_name(r->events[i].kind), r->events[i].level);
	return buf;
}

/* ---- for ---- */

static const char *for_2s = "{\"levels\": [{\"name\": \"low\", \"when\": {\"local_relative\": 10}, "
                            "\"for\": \"2s\"}]}";

static void test_for_not_elapsed_does_not_enter(void **state)
{
	(void)state;
	struct policy *p = parse(for_2s);
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	for (uint64_t t = 0; t < 2 * SEC; t += 500 * MSEC) {
		check(p, &st, 5, 100 * SEC + t, &r);
		assert_string_equal(events_str(&r), "remaining:0");
	}
	check(p, &st, 5, 100 * SEC + 2 * SEC - 1, &r); /* 1 us short */
	assert_string_equal(events_str(&r), "remaining:0");
	policy_free(p);
}

static void test_for_elapsed_enters_at_the_first_check_past_it(void **state)
{
	(void)state;
	struct policy *p = parse(for_2s);
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 5, 10 * SEC, &r); /* the first check where it holds starts the timer */
	assert_string_equal(events_str(&r), "remaining:0");
	check(p, &st, 5, 11 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:0");
	check(p, &st, 5, 12 * SEC, &r); /* now - since == for: entered */
	assert_string_equal(events_str(&r), "entered:1");
	assert_int_equal(r.events[0].previous_level, 0);
	check(p, &st, 5, 13 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:1");
	policy_free(p);
}

static void test_for_interruption_restarts_the_timer(void **state)
{
	(void)state;
	struct policy *p = parse(for_2s);
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 5, 10 * SEC, &r);
	check(p, &st, 5, 11 * SEC, &r);
	check(p, &st, 50, 11 * SEC + 500 * MSEC, &r); /* one check without it */
	assert_string_equal(events_str(&r), "remaining:0");
	check(p, &st, 5, 12 * SEC, &r); /* 2 s after the first start: not entered, restarted at 12 */
	assert_string_equal(events_str(&r), "remaining:0");
	check(p, &st, 5, 13 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:0");
	check(p, &st, 5, 14 * SEC, &r);
	assert_string_equal(events_str(&r), "entered:1");
	policy_free(p);
}

/* A higher level's for has not elapsed but a lower one's has: the lower one now, the higher one
 * later (passing nothing twice). */
static void test_lower_level_now_higher_when_its_for_elapses(void **state)
{
	(void)state;
	struct policy *p =
	        parse("{\"levels\": ["
	              "{\"name\": \"elevated\", \"when\": {\"local_relative\": 30}, \"for\": \"1s\"},"
	              "{\"name\": \"high\", \"when\": {\"local_relative\": 15}, \"for\": \"5s\"}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 10, 0, &r); /* both hold from t = 0 */
	assert_string_equal(events_str(&r), "remaining:0");
	check(p, &st, 10, 1 * SEC, &r);
	assert_string_equal(events_str(&r), "entered:1");
	for (uint64_t t = 2; t < 5; t++) {
		check(p, &st, 10, t * SEC, &r);
		assert_string_equal(events_str(&r), "remaining:1");
	}
	check(p, &st, 10, 5 * SEC, &r);
	assert_string_equal(events_str(&r), "entered:2");
	assert_int_equal(r.events[0].previous_level, 1);
	policy_free(p);
}

/* Going up passes through every level in between in order, whatever their own for. */
static void test_up_passes_every_level_in_order_regardless_of_their_for(void **state)
{
	(void)state;
	struct policy *p = parse("{\"levels\": ["
	                         "{\"name\": \"a\", \"when\": {\"local_relative\": 30}, \"for\": \"1h\"},"
	                         "{\"name\": \"b\", \"when\": {\"local_relative\": 15}, \"for\": \"1h\"},"
	                         "{\"name\": \"c\", \"when\": {\"local_relative\": 5}}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 2, 0, &r);
	assert_string_equal(events_str(&r), "entered:1 entered:2 entered:3");
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(r.events[i].previous_level, (int)i);
	assert_int_equal(r.level, 3);
	policy_free(p);
}

/* for gates only going up: stepping down into a level does not wait for its for. */
static void test_for_gates_only_going_up(void **state)
{
	(void)state;
	struct policy *p = parse("{\"levels\": ["
	                         "{\"name\": \"a\", \"when\": {\"local_relative\": 30}, \"for\": \"1h\"},"
	                         "{\"name\": \"b\", \"when\": {\"local_relative\": 15}}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 10, 0, &r);
	assert_string_equal(events_str(&r), "entered:1 entered:2");
	check(p, &st, 20, 1 * SEC, &r); /* b no longer holds, a does (never for 1 h): down to a */
	assert_string_equal(events_str(&r), "left:1");
	check(p, &st, 20, 2 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:1");
	policy_free(p);
}

/* ---- clear_for, clear_when ---- */

static const char *clear_5s = "{\"levels\": [{\"name\": \"low\", \"when\": {\"local_relative\": 10}, "
                              "\"clear_for\": \"5s\"}]}";

/* clear_for: left only once not-when has held 5 s; remaining(1) meanwhile. */
static void test_clear_for(void **state)
{
	(void)state;
	struct policy *p = parse(clear_5s);
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 5, 0, &r);
	assert_string_equal(events_str(&r), "entered:1"); /* no for: at once */
	check(p, &st, 50, 1 * SEC, &r);                   /* cleared from 1 s */
	assert_string_equal(events_str(&r), "remaining:1");
	check(p, &st, 50, 5 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:1");
	check(p, &st, 5, 5500 * MSEC, &r); /* back below: the clear run is broken */
	assert_string_equal(events_str(&r), "remaining:1");
	check(p, &st, 50, 6 * SEC, &r); /* cleared again from 6 s */
	assert_string_equal(events_str(&r), "remaining:1");
	check(p, &st, 50, 11 * SEC - 1, &r);
	assert_string_equal(events_str(&r), "remaining:1");
	check(p, &st, 50, 11 * SEC, &r);
	assert_string_equal(events_str(&r), "left:0 normal:0");
	check(p, &st, 50, 12 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:0");
	policy_free(p);
}

/* clear_for gates only going down: a higher level is entered at once. */
static void test_clear_for_gates_only_going_down(void **state)
{
	(void)state;
	struct policy *p =
	        parse("{\"levels\": ["
	              "{\"name\": \"a\", \"when\": {\"local_relative\": 30}, \"clear_for\": \"1h\"},"
	              "{\"name\": \"b\", \"when\": {\"local_relative\": 15}, \"clear_for\": \"1h\"}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 20, 0, &r);
	assert_string_equal(events_str(&r), "entered:1");
	check(p, &st, 10, 1 * SEC, &r);
	assert_string_equal(events_str(&r), "entered:2");
	check(p, &st, 90, 2 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:2");
	check(p, &st, 90, 3602 * SEC, &r); /* b cleared for 1 h, and a below it too: down to 0 */
	assert_string_equal(events_str(&r), "left:1 left:0 normal:0");
	policy_free(p);
}

/* clear_when: entered below 10% free, left only above 20% free. */
static void test_clear_when_enter_below_10_leave_above_20(void **state)
{
	(void)state;
	struct policy *p = parse("{\"levels\": [{\"name\": \"low\", \"when\": {\"local_relative\": 10}, "
	                         "\"clear_when\": {\"not\": {\"local_relative\": 20}}}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 15, 0, &r);
	assert_string_equal(events_str(&r), "remaining:0"); /* 15% free: not entered */
	check(p, &st, 8, 1 * SEC, &r);
	assert_string_equal(events_str(&r), "entered:1");
	check(p, &st, 15, 2 * SEC, &r); /* when no longer holds; clear_when not yet */
	assert_string_equal(events_str(&r), "remaining:1");
	check(p, &st, 19.5, 3 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:1");
	check(p, &st, 21, 4 * SEC, &r);
	assert_string_equal(events_str(&r), "left:0 normal:0");
	check(p, &st, 15, 5 * SEC, &r); /* between the two: stays out */
	assert_string_equal(events_str(&r), "remaining:0");
	policy_free(p);
}

/* Down stops at the first level that is not cleared; each cleared one is left in order. */
static void test_down_steps_in_order_and_stops_at_the_first_not_cleared(void **state)
{
	(void)state;
	struct policy *p =
	        parse("{\"levels\": ["
	              "{\"name\": \"a\", \"when\": {\"local_relative\": 30}},"
	              "{\"name\": \"b\", \"when\": {\"local_relative\": 20}, \"clear_for\": \"10s\"},"
	              "{\"name\": \"c\", \"when\": {\"local_relative\": 10}}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 5, 0, &r);
	assert_string_equal(events_str(&r), "entered:1 entered:2 entered:3");
	check(p, &st, 50, 1 * SEC, &r); /* c cleared at once; b's clear_for starts now */
	assert_string_equal(events_str(&r), "left:2");
	assert_int_equal(r.events[0].previous_level, 3);
	check(p, &st, 50, 10 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:2");
	check(p, &st, 50, 11 * SEC, &r); /* b cleared for 10 s, a at once: both left, in order */
	assert_string_equal(events_str(&r), "left:1 left:0 normal:0");
	assert_int_equal(r.events[0].previous_level, 2);
	assert_int_equal(r.events[1].previous_level, 1);
	policy_free(p);
}

/* remaining keeps its meaning: the current level while held, though its when is false. */
static void test_remaining_while_held(void **state)
{
	(void)state;
	struct policy *p =
	        parse("{\"levels\": ["
	              "{\"name\": \"a\", \"when\": {\"local_relative\": 30}},"
	              "{\"name\": \"b\", \"when\": {\"local_relative\": 15}, \"clear_for\": \"3s\"}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 10, 0, &r);
	assert_string_equal(events_str(&r), "entered:1 entered:2");
	for (uint64_t t = 1; t <= 3; t++) { /* free 50%: neither a nor b holds */
		check(p, &st, 50, t * SEC, &r);
		assert_string_equal(events_str(&r), "remaining:2");
		assert_int_equal(r.events[0].previous_level, 2);
	}
	check(p, &st, 50, 4 * SEC, &r);
	assert_string_equal(events_str(&r), "left:1 left:0 normal:0");
	policy_free(p);
}

/* ---- restarts: reload, lost / found ---- */

/* A reload keeps the level (clamped) and restarts every timer at the first check under the new
 * policy: a for or clear_for half run starts over. */
static void test_reload_restarts_timers(void **state)
{
	(void)state;
	struct policy *p =
	        parse("{\"levels\": ["
	              "{\"name\": \"a\", \"when\": {\"local_relative\": 30}, \"clear_for\": \"2s\"},"
	              "{\"name\": \"b\", \"when\": {\"local_relative\": 15}, \"for\": \"2s\"}]}");
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 20, 0, &r);
	assert_string_equal(events_str(&r), "entered:1");
	check(p, &st, 10, 1 * SEC, &r); /* b's for runs from 1 s */
	assert_string_equal(events_str(&r), "remaining:1");

	struct policy *p2 =
	        parse("{\"levels\": ["
	              "{\"name\": \"a\", \"when\": {\"local_relative\": 30}, \"clear_for\": \"2s\"},"
	              "{\"name\": \"b\", \"when\": {\"local_relative\": 15}, \"for\": \"2s\"}]}");
	check_state_restart(p2, &st); /* the reload, at 2.5 s */
	assert_int_equal(st.level, 1);
	check(p2, &st, 10, 3 * SEC, &r); /* without the reload b would enter here: restarted at 3 s */
	assert_string_equal(events_str(&r), "remaining:1");
	check(p2, &st, 10, 4 * SEC, &r);
	assert_string_equal(events_str(&r), "remaining:1");
	check(p2, &st, 10, 5 * SEC, &r);
	assert_string_equal(events_str(&r), "entered:2");

	/* a clear_for half run restarts too; the level is clamped to a one-level policy */
	struct policy *p1 = parse("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 30}, "
	                          "\"clear_for\": \"2s\"}]}");
	check(p2, &st, 50, 6 * SEC, &r); /* b left at once; a's clear_for runs from 6 s */
	assert_string_equal(events_str(&r), "left:1");
	check_state_restart(p1, &st);
	assert_int_equal(st.level, 1);
	check(p1, &st, 50, 8 * SEC, &r); /* would have left here: restarted at 8 s */
	assert_string_equal(events_str(&r), "remaining:1");
	check(p1, &st, 50, 10 * SEC, &r);
	assert_string_equal(events_str(&r), "left:0 normal:0");

	/* a reload to fewer levels clamps the level before the timers restart */
	check_state_init(&st);
	check(p2, &st, 10, 20 * SEC, &r);
	check(p2, &st, 10, 22 * SEC, &r);
	assert_int_equal(st.level, 2);
	check_state_restart(p1, &st);
	assert_int_equal(st.level, 1);
	policy_free(p);
	policy_free(p1);
	policy_free(p2);
}

/* A target lost and found again: its timers start afresh at the first check after target_found. */
static void test_found_again_restarts_timers(void **state)
{
	(void)state;
	struct policy *p = parse(for_2s);
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check(p, &st, 5, 0, &r);
	check(p, &st, 5, 1 * SEC, &r);
	check_step(p, &st, CHECK_TARGET_LOST, NULL, NULL, &r);
	assert_string_equal(events_str(&r), "target_lost:0");
	check_step(p, &st, CHECK_TARGET_FOUND, NULL, NULL, &r);
	assert_string_equal(events_str(&r), "target_found:0");
	check(p, &st, 5, 2 * SEC, &r); /* 2 s after the first run began: restarted instead */
	assert_string_equal(events_str(&r), "remaining:0");
	check(p, &st, 5, 4 * SEC, &r);
	assert_string_equal(events_str(&r), "entered:1");
	policy_free(p);
}

/* ---- the flap test ---- */

struct flap_counts {
	unsigned entered, left, normal;
};

/* Usage crossing 10% free at every check (every interval for 60 s); counts the events. */
static struct flap_counts flap(const char *json, uint64_t interval_usec)
{
	struct policy *p = parse(json);
	struct check_state st;
	struct check_result r;
	struct flap_counts c = { 0 };
	check_state_init(&st);
	unsigned i = 0;
	for (uint64_t t = 0; t < 60 * SEC; t += interval_usec, i++) {
		check(p, &st, i % 2 ? 12 : 8, 1000 * SEC + t, &r);
		for (size_t k = 0; k < r.n_events; k++) {
			c.entered += r.events[k].kind == EVENT_ENTERED;
			c.left += r.events[k].kind == EVENT_LEFT;
			c.normal += r.events[k].kind == EVENT_NORMAL;
		}
	}
	policy_free(p);
	return c;
}

static void test_flap(void **state)
{
	(void)state;
	static const char *plain = "{\"levels\": [{\"name\": \"low\", \"when\": {\"local_relative\": 10}}]}";
	static const uint64_t intervals[] = { 1 * SEC, 100 * MSEC };
	for (size_t i = 0; i < 2; i++) {
		unsigned checks = (unsigned)(60 * SEC / intervals[i]), pairs = checks / 2;
		struct flap_counts c = flap(clear_5s, intervals[i]);
		assert_int_equal(c.entered, 1);
		assert_int_equal(c.left, 0);
		assert_int_equal(c.normal, 0);
		c = flap(plain, intervals[i]);
		assert_int_equal(c.entered, pairs); /* 30 at 1 s, 300 at 100 ms */
		assert_int_equal(c.left, pairs);
		assert_int_equal(c.normal, pairs);
	}
}

/* ---- Satella's stepping when nothing is set ---- */

/* xorshift64: reproducible random outcomes. */
static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Levels of custom probes (any outcome, no nesting between levels), without hysteresis and with
 * every duration written as 0: each check's level and events are those of eval_level and
 * transitions_step from the previous level, over many random checks. */
static void test_without_hysteresis_it_is_satella(void **state)
{
	(void)state;
	static const char *policies[] = {
		"{\"levels\": [{\"name\": \"a\", \"when\": {\"custom\": {\"command\": [\"/p\", \"0\"]}}},"
		"{\"name\": \"b\", \"when\": {\"custom\": {\"command\": [\"/p\", \"1\"]}}},"
		"{\"name\": \"c\", \"when\": {\"custom\": {\"command\": [\"/p\", \"2\"]}}},"
		"{\"name\": \"d\", \"when\": {\"custom\": {\"command\": [\"/p\", \"3\"]}}},"
		"{\"name\": \"e\", \"when\": {\"custom\": {\"command\": [\"/p\", \"4\"]}}}]}",
		"{\"levels\": [{\"name\": \"a\", \"when\": {\"custom\": {\"command\": [\"/p\", \"0\"]}}, "
		"\"for\": \"0s\", \"clear_for\": \"0ms\"},"
		"{\"name\": \"b\", \"when\": {\"custom\": {\"command\": [\"/p\", \"1\"]}}, \"for\": \"0us\"},"
		"{\"name\": \"c\", \"when\": {\"custom\": {\"command\": [\"/p\", \"2\"]}}, \"clear_for\": "
		"\"0s\"},"
		"{\"name\": \"d\", \"when\": {\"custom\": {\"command\": [\"/p\", \"3\"]}}},"
		"{\"name\": \"e\", \"when\": {\"custom\": {\"command\": [\"/p\", \"4\"]}}, \"for\": "
		"\"0h\"}]}",
	};
	for (size_t k = 0; k < 2; k++) {
		struct policy *p = parse(policies[k]);
		assert_int_equal(p->n_probes, 5);
		uint64_t x = 0x9e3779b97f4a7c15u + k;
		struct check_state st;
		check_state_init(&st);
		int level = 0;
		for (unsigned i = 0; i < 20000; i++) {
			bool probes[5];
			uint64_t bits = rnd(&x);
			for (size_t b = 0; b < 5; b++)
				probes[b] = bits >> (b * 7) & 1;
			struct sample s = { .limit_bytes = 100 * MIB, .mono_usec = (uint64_t)i * 100 * MSEC };
			struct check_result r;
			check_step(p, &st, CHECK_TARGET_PRESENT, &s, probes, &r);
			int want = eval_level(p, &s, probes);
			struct event ev[CHECK_MAX_EVENTS];
			size_t n = transitions_step(level, want, ev, CHECK_MAX_EVENTS);
			assert_int_equal(r.level, want);
			assert_int_equal(r.n_events, n);
			for (size_t e = 0; e < n; e++) {
				assert_int_equal(r.events[e].kind, ev[e].kind);
				assert_int_equal(r.events[e].level, ev[e].level);
				assert_int_equal(r.events[e].previous_level, ev[e].previous_level);
			}
			level = want;
		}
		policy_free(p);
	}
}

/* The same on the core alone: hysteresis_step with zero holds is the highest level that holds. */
static void test_core_without_holds_is_highest_holding(void **state)
{
	(void)state;
	struct level lv[POLICY_MAX_LEVELS] = { 0 };
	struct policy p = { .levels = lv, .n_levels = POLICY_MAX_LEVELS };
	struct hysteresis h;
	hysteresis_restart(&h);
	uint64_t x = 12345;
	int level = 0;
	for (unsigned i = 0; i < 50000; i++) {
		bool when[POLICY_MAX_LEVELS], clear[POLICY_MAX_LEVELS];
		uint64_t bits = rnd(&x), sparse = rnd(&x);
		int want = 0;
		for (int l = 1; l <= POLICY_MAX_LEVELS; l++) {
			/* sparse: often no level above the current one holds */
			when[l - 1] = (bits >> (l - 1) & 1) && (sparse >> (l - 1) & 1) && (sparse >> l & 1);
			clear[l - 1] = !when[l - 1];
			if (when[l - 1])
				want = l;
		}
		struct hysteresis_input in = { when, clear, (uint64_t)i * SEC };
		level = hysteresis_step(&p, &h, level, &in);
		assert_int_equal(level, want);
	}
}

/* ---- the policy keys ---- */

static void test_policy_keys(void **state)
{
	(void)state;
	struct policy *p = parse("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}, "
	                         "\"for\": \"2s\", \"clear_for\": \"24h\", "
	                         "\"clear_when\": {\"not\": {\"local_relative\": 20}}},"
	                         "{\"name\": \"b\", \"when\": {\"local_relative\": 5}}]}");
	assert_int_equal(p->levels[0].for_usec, 2 * SEC);
	assert_int_equal(p->levels[0].clear_for_usec, UINT64_C(86400) * SEC);
	assert_true(p->levels[0].has_clear_when);
	assert_int_equal(p->levels[0].clear_when.kind, COND_NOT);
	assert_string_equal(p->levels[0].clear_when.path, "levels[0].clear_when");
	assert_string_equal(p->levels[0].clear_when.children[0].path, "levels[0].clear_when.not");
	assert_int_equal(p->levels[1].for_usec, 0);
	assert_false(p->levels[1].has_clear_when);
	assert_true(p->has_hysteresis); /* check_step feeds the timers */
	policy_free(p);

	/* has_hysteresis: any level's for, clear_for or clear_when; holds of 0 are none */
	static const struct {
		const char *level_keys;
		bool has;
	} holds[] = {
		{ "", false },
		{ ", \"for\": \"0s\", \"clear_for\": \"0ms\"", false },
		{ ", \"for\": \"1ms\"", true },
		{ ", \"clear_for\": \"1s\"", true },
		{ ", \"clear_when\": {\"local_relative\": 20}", true },
	};
	for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
		char json[512];
		snprintf(json, sizeof(json),
		         "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 30}},"
		         "{\"name\": \"b\", \"when\": {\"local_relative\": 10}%s}]}",
		         holds[i].level_keys);
		p = parse(json);
		assert_int_equal(p->has_hysteresis, holds[i].has);
		policy_free(p);
	}

	static const struct {
		const char *json, *err;
	} bad[] = {
		{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}, \"for\": \"24h1us\"}]}",
		  "levels[0].for: " },
		{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}, \"for\": "
		  "\"86400000001us\"}]}",
		  "levels[0].for: must be at most 24h" },
		{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}, \"clear_for\": "
		  "\"25h\"}]}",
		  "levels[0].clear_for: must be at most 24h" },
		{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}, \"for\": 2}]}",
		  "levels[0].for: " },
		{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}, \"clear_when\": {}}]}",
		  "levels[0].clear_when: " },
		{ "{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 1}, "
		  "\"clear_when\": {\"local_relative\": 101}}]}",
		  "levels[0].clear_when.local_relative: " },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512];
		p = NULL;
		assert_int_equal(policy_parse(bad[i].json, strlen(bad[i].json), &p, err, sizeof(err)),
		                 -EINVAL);
		if (strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("%s: got \"%s\", want \"%s...\"", bad[i].json, err, bad[i].err);
		assert_null(p);
	}

	/* a clear_when is read like a when: its probes, its needs, its cgroup v2 files */
	p = parse("{\"levels\": [{\"name\": \"a\", \"when\": {\"local_relative\": 10}, "
	          "\"clear_when\": {\"all\": [{\"pressure\": {\"above\": 1}}, "
	          "{\"custom\": {\"command\": [\"/bin/true\"]}}]}}]}");
	assert_int_equal(p->n_probes, 1);
	assert_true(eval_needs(p) & EVAL_NEEDS_PSI);
	char err[512];
	assert_int_equal(policy_check_target(p, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "levels[0].clear_when.all[0].pressure"));
	assert_int_equal(policy_check_target(p, 2, err, sizeof(err)), 0);
	policy_free(p);
}

/* hysteresis_held: a when waiting for its for holds the level up, a clear condition waiting for
 * its clear_for holds it down; nothing once the change is made or the condition stops. */
static void test_held_names_what_for_and_clear_for_hold_back(void **state)
{
	(void)state;
	struct policy *up = parse(for_2s), *down = parse(clear_5s);
	struct check_state st;
	struct check_result r;
	struct hysteresis_hold h;

	check_state_init(&st);
	check(up, &st, 50, 0, &r);
	h = hysteresis_held(up, &st.hys, st.level);
	assert_int_equal(h.up, 0);
	assert_false(h.down);
	check(up, &st, 5, 1 * SEC, &r); /* holds, for not elapsed */
	h = hysteresis_held(up, &st.hys, st.level);
	assert_int_equal(h.up, 1);
	assert_false(h.down);
	check(up, &st, 5, 3 * SEC, &r); /* entered: nothing held */
	assert_string_equal(events_str(&r), "entered:1");
	h = hysteresis_held(up, &st.hys, st.level);
	assert_int_equal(h.up, 0);
	assert_false(h.down);

	check_state_init(&st);
	check(down, &st, 5, 0, &r);
	check(down, &st, 50, 1 * SEC, &r); /* cleared, clear_for not elapsed */
	h = hysteresis_held(down, &st.hys, st.level);
	assert_int_equal(h.up, 0);
	assert_true(h.down);
	check(down, &st, 5, 2 * SEC, &r); /* back below: nothing held */
	assert_false(hysteresis_held(down, &st.hys, st.level).down);
	check(down, &st, 50, 3 * SEC, &r);
	check(down, &st, 50, 8 * SEC, &r);
	assert_string_equal(events_str(&r), "left:0 normal:0");
	assert_false(hysteresis_held(down, &st.hys, st.level).down);
	policy_free(up);
	policy_free(down);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_for_not_elapsed_does_not_enter),
		cmocka_unit_test(test_for_elapsed_enters_at_the_first_check_past_it),
		cmocka_unit_test(test_for_interruption_restarts_the_timer),
		cmocka_unit_test(test_lower_level_now_higher_when_its_for_elapses),
		cmocka_unit_test(test_up_passes_every_level_in_order_regardless_of_their_for),
		cmocka_unit_test(test_for_gates_only_going_up),
		cmocka_unit_test(test_clear_for),
		cmocka_unit_test(test_clear_for_gates_only_going_down),
		cmocka_unit_test(test_clear_when_enter_below_10_leave_above_20),
		cmocka_unit_test(test_down_steps_in_order_and_stops_at_the_first_not_cleared),
		cmocka_unit_test(test_remaining_while_held),
		cmocka_unit_test(test_reload_restarts_timers),
		cmocka_unit_test(test_found_again_restarts_timers),
		cmocka_unit_test(test_flap),
		cmocka_unit_test(test_without_hysteresis_it_is_satella),
		cmocka_unit_test(test_core_without_holds_is_highest_holding),
		cmocka_unit_test(test_policy_keys),
		cmocka_unit_test(test_held_names_what_for_and_clear_for_hold_back),
	};
	return cmocka_run_group_tests_name("hysteresis", tests, NULL, NULL);
}
