/* `memhook check`'s listing: one line for the settings, one per level (with its hysteresis) and
 * one per handler (the conditions and actions describe themselves: lib/policy/condition.h,
 * lib/policy/action.h). */
#include <stdio.h>

#include "policy/action.h"
#include "policy/condition.h"
#include "policy/policy.h"
#include "base/units.h"

void policy_describe(const struct policy *p, FILE *out)
{
	char buf[64];

	fprintf(out, "check_interval %s, ", units_format_duration(p->check_interval_usec, buf, sizeof(buf)));
	fprintf(out, "min_interval %s, ", units_format_duration(p->min_interval_usec, buf, sizeof(buf)));
	if (p->assume_growth_bytes_per_sec > 0)
		fprintf(out, "assume_growth %s/s, ",
		        units_format_size((uint64_t)p->assume_growth_bytes_per_sec, buf, sizeof(buf)));
	if (p->maximum_available_bytes)
		fprintf(out, "maximum_available %s, ",
		        units_format_size(p->maximum_available_bytes, buf, sizeof(buf)));
	else
		fputs("maximum_available auto, ", out);
	fprintf(out, "log_transitions %s\n", p->log_transitions ? "true" : "false");
	if (p->tripwire_off) /* the default (on) is left unsaid, as before "tripwire" */
		fputs("tripwire off\n", out);
	if (p->usage != USAGE_CURRENT) /* the default (current) is left unsaid, as before "usage" */
		fprintf(out, "usage %s\n", usage_kind_name(p->usage));
	for (size_t i = 0; i < p->n_levels; i++) {
		const struct level *l = &p->levels[i];
		fprintf(out, "level %zu \"%s\": ", i + 1, l->name);
		condition_describe(p, &l->when, out);
		if (l->for_usec)
			fprintf(out, " for %s", units_format_duration(l->for_usec, buf, sizeof(buf)));
		if (l->has_clear_when) {
			fputs("; left when ", out);
			condition_describe(p, &l->clear_when, out);
		}
		if (l->clear_for_usec)
			fprintf(out, "%s for %s", l->has_clear_when ? "" : "; left when it does not hold",
			        units_format_duration(l->clear_for_usec, buf, sizeof(buf)));
		fputc('\n', out);
	}
	for (size_t i = 0; i < p->n_handlers; i++)
		handler_describe(&p->handlers[i], i, out);
}
