/* `memhook check`'s listing: one line per level and per handler. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "units.h"

static void describe_argv(char *const *argv, FILE *out)
{
	for (size_t i = 0; argv && argv[i]; i++)
		fprintf(out, "%s%s", i ? " " : "", argv[i]);
}

static void describe_condition(const struct policy *p, const struct condition *cond, FILE *out)
{
	char buf[64];

	switch (cond->kind) {
	case COND_GLOBAL_ABSOLUTE:
	case COND_LOCAL_ABSOLUTE:
		fprintf(out, "%s < %s",
		        cond->kind == COND_GLOBAL_ABSOLUTE ? "global_absolute" : "local_absolute",
		        units_format_size(cond->bytes, buf, sizeof(buf)));
		break;
	case COND_GLOBAL_RELATIVE:
	case COND_LOCAL_RELATIVE:
		fprintf(out, "%s < %g%%",
		        cond->kind == COND_GLOBAL_RELATIVE ? "global_relative" : "local_relative",
		        cond->percent);
		break;
	case COND_CUSTOM:
		fputs("custom[", out);
		if (cond->probe < p->n_probes) {
			describe_argv(p->probes[cond->probe].argv, out);
			fprintf(out, "] timeout %s",
			        units_format_duration(p->probes[cond->probe].timeout_usec, buf, sizeof(buf)));
		} else {
			fputs("?]", out);
		}
		break;
	case COND_ALL:
	case COND_ANY:
	case COND_NOT:
		fputs(cond->kind == COND_ALL ? "all(" : cond->kind == COND_ANY ? "any(" : "not(", out);
		for (size_t i = 0; i < cond->n_children; i++) {
			if (i)
				fputs(", ", out);
			describe_condition(p, &cond->children[i], out);
		}
		fputc(')', out);
		break;
	case COND_PRESSURE:
		fprintf(out, "pressure %s %s > %g%%", psi_kind_name(cond->psi_kind),
		        psi_window_name(cond->psi_window), cond->percent);
		break;
	case COND_EVENTS:
		fprintf(out, "events %s increased by >= %" PRIu64, memevent_name(cond->memevent),
		        cond->increased_by);
		break;
	}
}

static void describe_handler(const struct handler *h, size_t i, FILE *out)
{
	char buf[64];

	fprintf(out, "handler %zu: on %s", i, event_kind_name(h->on));
	if (h->level >= 0)
		fprintf(out, " level %d", h->level);
	else if (h->on == EVENT_ENTERED || h->on == EVENT_LEFT || h->on == EVENT_REMAINING)
		fputs(" any level", out);
	if (h->every_usec)
		fprintf(out, " every %s", units_format_duration(h->every_usec, buf, sizeof(buf)));
	fprintf(out, " -> %s ", action_kind_name(h->action));
	switch (h->action) {
	case ACTION_WEBHOOK:
		fputs(h->webhook.url, out);
		fprintf(out, " (timeout %s, retries %u",
		        units_format_duration(h->webhook.timeout_usec, buf, sizeof(buf)), h->webhook.retries);
		if (h->webhook.secret_file)
			fprintf(out, ", signed with secret_file %s", h->webhook.secret_file);
		else if (h->webhook.secret_env)
			fprintf(out, ", signed with secret_env %s", h->webhook.secret_env);
		if (!h->webhook.tls_verify)
			fputs(", TLS not verified", out);
		fputc(')', out);
		break;
	case ACTION_SIGNAL: {
		const char *abbrev = sigabbrev_np(h->signal.signo);
		if (abbrev)
			fprintf(out, "SIG%s", abbrev);
		else
			fprintf(out, "%d", h->signal.signo);
		fputs(h->signal.whole_cgroup ? " to cgroup" : " to main", out);
		break;
	}
	case ACTION_RECLAIM:
		if (h->reclaim.bytes)
			fputs(units_format_size(h->reclaim.bytes, buf, sizeof(buf)), out);
		else
			fprintf(out, "%g%%", h->reclaim.percent);
		break;
	case ACTION_EXEC:
		describe_argv(h->exec.argv, out);
		fprintf(out, " (timeout %s)", units_format_duration(h->exec.timeout_usec, buf, sizeof(buf)));
		break;
	}
	fputc('\n', out);
}

void policy_describe(const struct policy *p, FILE *out)
{
	char buf[64];

	fprintf(out, "check_interval %s, ", units_format_duration(p->check_interval_usec, buf, sizeof(buf)));
	if (p->maximum_available_bytes)
		fprintf(out, "maximum_available %s, ",
		        units_format_size(p->maximum_available_bytes, buf, sizeof(buf)));
	else
		fputs("maximum_available auto, ", out);
	fprintf(out, "log_transitions %s\n", p->log_transitions ? "true" : "false");
	for (size_t i = 0; i < p->n_levels; i++) {
		fprintf(out, "level %zu \"%s\": ", i + 1, p->levels[i].name);
		describe_condition(p, &p->levels[i].when, out);
		fputc('\n', out);
	}
	for (size_t i = 0; i < p->n_handlers; i++)
		describe_handler(&p->handlers[i], i, out);
}
