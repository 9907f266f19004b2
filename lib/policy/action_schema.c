/* The schemas of the actions on the target and its processes: signal, reclaim and exec. */
#include <cjson/cJSON.h>
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "policy/action.h"
#include "policy/policy_parse.h"
#include "base/units.h"

/* ---- signal ---- */

/* "SIGUSR1", "USR1" (any case) or a number 1..SIGRTMAX. */
static int want_signo(struct want_ctx *w, const cJSON *it, const char *path, int *ret)
{
	if (cJSON_IsNumber(it)) {
		double d = it->valuedouble;
		if (!(d >= 1.0 && d <= (double)SIGRTMAX) || (double)(int)d != d)
			return want_fail(w, path, "unknown signal %g", d);
		*ret = (int)d;
		return 0;
	}
	if (!cJSON_IsString(it) || !it->valuestring)
		return want_fail(w, path, "must be a signal name or number");
	const char *name = it->valuestring;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (int s = 1; s < NSIG; s++) {
		const char *abbrev = sigabbrev_np(s);
		if (abbrev && *name && strcasecmp(name, abbrev) == 0) {
			*ret = s;
			return 0;
		}
	}
	return want_fail(w, path, "unknown signal \"%.32s\"", it->valuestring);
}

/* "USR1" | 10  or  {"signal": ..., "to": "main"|"cgroup"} */
static int signal_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	static const char *const keys[] = { "signal", "to", NULL };
	struct signal_cfg *s = &h->signal;
	const cJSON *it;
	int r;

	if (!cJSON_IsObject(j))
		return want_signo(&c->w, j, path, &s->signo);
	if ((r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	WANT_REQUIRED_KEY(sp, it, &c->w, j, path, "signal");
	if ((r = want_signo(&c->w, it, sp, &s->signo)) < 0)
		return r;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "to"))) {
		WANT_PATH_KEY(tp, &c->w, path, "to");
		const char *to = NULL;
		if ((r = want_string(&c->w, it, tp, &to)) < 0)
			return r;
		if (strcmp(to, "main") == 0)
			s->whole_cgroup = false;
		else if (strcmp(to, "cgroup") == 0)
			s->whole_cgroup = true;
		else
			return want_fail(&c->w, tp, "must be \"main\" or \"cgroup\"");
	}
	return 0;
}

/* "SIGUSR1 to main" */
static void signal_describe(const struct handler *h, FILE *out)
{
	const char *abbrev = sigabbrev_np(h->signal.signo);
	if (abbrev)
		fprintf(out, "SIG%s", abbrev);
	else
		fprintf(out, "%d", h->signal.signo);
	fputs(h->signal.whole_cgroup ? " to cgroup" : " to main", out);
}

const struct action_ops action_schema_signal = {
	.name = "signal",
	.parse = signal_parse,
	.describe = signal_describe,
};

/* ---- reclaim ---- */

int action_parse_percent(const char *s, double *ret)
{
	const char *p = s, *end = s + strlen(s);
	uint64_t whole, frac = 0, scale = 1;

	if (units_parse_u64_cursor(&p, end, &whole) < 0 || whole > 1000)
		return -EINVAL;
	if (*p == '.') {
		const char *digits = ++p;
		if (units_parse_u64_cursor(&p, end, &frac) < 0 || p - digits > 6)
			return -EINVAL;
		for (; digits < p; digits++)
			scale *= 10;
	}
	if (strcmp(p, "%") != 0)
		return -EINVAL;
	*ret = (double)whole + (double)frac / (double)scale;
	return 0;
}

/* "64Mi" | 67108864 | "5%": see action_parse_amount. */
static int want_amount(struct want_ctx *w, const cJSON *it, const char *path, const char *size_example,
                       const char *percent_example, uint64_t *ret_bytes, double *ret_percent)
{
	if (cJSON_IsString(it) && it->valuestring && strchr(it->valuestring, '%')) {
		double pct = 0.0;
		if (action_parse_percent(it->valuestring, &pct) < 0)
			return want_fail(w, path, "invalid percent \"%.32s\" (expected e.g. \"%s\")",
			                 it->valuestring, percent_example);
		if (!(pct > 0.0 && pct <= 100.0))
			return want_fail(w, path, "percent must be greater than 0 and at most 100");
		*ret_bytes = 0;
		*ret_percent = pct;
		return 0;
	}
	if (!cJSON_IsString(it) && !cJSON_IsNumber(it))
		return want_fail(w, path, "must be a size like \"%s\" or a percent like \"%s\"", size_example,
		                 percent_example);
	uint64_t bytes = 0;
	int r = want_positive_size(w, it, path, &bytes);
	if (r < 0)
		return r;
	*ret_bytes = bytes;
	*ret_percent = 0.0;
	return 0;
}

int action_parse_amount(struct policy_ctx *c, const cJSON *j, const char *path, const char *size_example,
                        const char *percent_example, uint64_t *ret_bytes, double *ret_percent)
{
	static const char *const keys[] = { "amount", NULL };
	const cJSON *it;
	int r;

	if (!cJSON_IsObject(j))
		return want_amount(&c->w, j, path, size_example, percent_example, ret_bytes, ret_percent);
	if ((r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	WANT_REQUIRED_KEY(ap, it, &c->w, j, path, "amount");
	return want_amount(&c->w, it, ap, size_example, percent_example, ret_bytes, ret_percent);
}

/* "64Mi" | "5%"  or  {"amount": "64Mi"|"5%"} */
static int reclaim_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	c->p->needs_reclaim = true;
	return action_parse_amount(c, j, path, "64Mi", "5%", &h->reclaim.bytes, &h->reclaim.percent);
}

void action_describe_amount(uint64_t bytes, double percent, const char *percent_of, FILE *out)
{
	char buf[64];
	if (bytes)
		fputs(units_format_size(bytes, buf, sizeof(buf)), out);
	else
		fprintf(out, "%g%%%s", percent, percent_of);
}

/* "64Mi" or "2.5%" */
static void reclaim_describe(const struct handler *h, FILE *out)
{
	action_describe_amount(h->reclaim.bytes, h->reclaim.percent, "", out);
}

const struct action_ops action_schema_reclaim = {
	.name = "reclaim",
	.parse = reclaim_parse,
	.describe = reclaim_describe,
	.v2_file = "reclaim",
};

/* ---- exec ---- */

/* [abs path, args...]  or  {"command": [...], "timeout": duration, "detach": bool} */
static int exec_parse(struct policy_ctx *c, const cJSON *j, const char *path, struct handler *h)
{
	static const char *const keys[] = { "command", "timeout", "detach", NULL };
	struct exec_cfg *e = &h->exec;
	const cJSON *it;
	int r;

	e->timeout_usec = EXEC_TIMEOUT_DEFAULT_USEC;
	if (!cJSON_IsObject(j))
		return want_argv(&c->w, j, path, &e->argv);
	if ((r = want_keys(&c->w, j, path, keys, "unknown key")) < 0)
		return r;
	WANT_REQUIRED_KEY(cp, it, &c->w, j, path, "command");
	if ((r = want_argv(&c->w, it, cp, &e->argv)) < 0)
		return r;
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "detach"))) {
		WANT_PATH_KEY(dp, &c->w, path, "detach");
		if ((r = want_bool(&c->w, it, dp, &e->detach)) < 0)
			return r;
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(j, "timeout"))) {
		WANT_PATH_KEY(tp, &c->w, path, "timeout");
		return want_positive_duration(&c->w, it, tp, &e->timeout_usec);
	}
	return 0;
}

/* "/bin/cmd arg (timeout 10s)" */
static void exec_describe(const struct handler *h, FILE *out)
{
	char buf[64];
	for (size_t i = 0; h->exec.argv && h->exec.argv[i]; i++)
		fprintf(out, "%s%s", i ? " " : "", h->exec.argv[i]);
	fprintf(out, " (timeout %s%s)", units_format_duration(h->exec.timeout_usec, buf, sizeof(buf)),
	        h->exec.detach ? ", detached" : "");
}

const struct action_ops action_schema_exec = {
	.name = "exec",
	.parse = exec_parse,
	.describe = exec_describe,
};
