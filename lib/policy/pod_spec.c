#include "policy/pod_spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/util.h"
#include "policy/policy.h"

/* The first bad annotation is kept in error; the others are counted. */
_printf_(2, 3) static void bad(struct pod_settings *s, const char *fmt, ...)
{
	if (s->n_errors++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->error, sizeof(s->error), fmt, ap);
		va_end(ap);
	}
}

/* A value from outside, fit for a log line or an Event's note: at most 64 bytes (then "..."),
 * every byte outside printable ASCII as '?'. */
static const char *shown(const char *v, char buf[72])
{
	size_t i = 0;
	for (; v[i] && i < 64; i++)
		buf[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	strcpy(buf + i, v[i] ? "..." : "");
	return buf;
}

/* A ConfigMap key that is a plain file name of the directory: [-._a-zA-Z0-9]{1,253}, not
 * starting with '.' (kubelet's own "..data" and timestamped directories start with "..", and a
 * hidden file is not a policy). */
static bool policy_name_ok(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > POD_POLICY_NAME_MAX_CHARS || v[0] == '.')
		return false;
	return strspn(v, "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

/* A DNS label (RFC 1123), the form of a container name. */
static bool dns_label_ok(const char *v, size_t n)
{
	if (n == 0 || n > POD_CONTAINER_NAME_MAX_CHARS || v[0] == '-' || v[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			return false;
	return true;
}

static void parse_policy_json(struct pod_settings *s, const char *v)
{
	char inner[200];
	unsigned line = 0, col = 0;
	struct policy *p = NULL;
	size_t len = strlen(v);
	if (len > POLICY_FILE_MAX_BYTES) {
		bad(s, "%s: larger than 1 MiB", POD_ANNOTATION_POLICY_JSON);
		return;
	}
	int r = policy_parse_at(v, len, &p, inner, sizeof(inner), &line, &col);
	policy_free(p);
	if (r == -ENOMEM || (r == 0 && !(s->policy_json = strdup(v)))) {
		s->n_errors = UINT32_MAX; /* out of memory: said by the caller */
		return;
	}
	if (r < 0 && line)
		bad(s, "%s:%u:%u: %s", POD_ANNOTATION_POLICY_JSON, line, col, inner);
	else if (r < 0)
		bad(s, "%s: %s", POD_ANNOTATION_POLICY_JSON, inner);
}

/* Fills the webhook URL's $(POD_IP) (IPv6 in brackets unless the template has them). */
static void parse_webhook(struct pod_settings *s, const char *v, const char *ip)
{
	char b[72];
	/* the scheme as a policy's webhook takes it (action_webhook.c): either case */
	size_t scheme = strncasecmp(v, "http://", 7) == 0 ? 7 : strncasecmp(v, "https://", 8) == 0 ? 8 : 0;
	if (!scheme) {
		bad(s, "%s: \"%s\" is not an http:// or https:// URL", POD_ANNOTATION_WEBHOOK, shown(v, b));
		return;
	}
	const char *host = v + scheme;
	if (!*host || strchr("/?#", *host)) {
		bad(s, "%s: \"%s\" has no host", POD_ANNOTATION_WEBHOOK, shown(v, b));
		return;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			bad(s, "%s: \"%s\" holds a space or a control character", POD_ANNOTATION_WEBHOOK,
			    shown(v, b));
			return;
		}
	char out[sizeof(s->webhook_url)];
	size_t o = 0;
	for (const char *p = v; *p;) {
		const char *var = strstr(p, "$(");
		size_t lit = var ? (size_t)(var - p) : strlen(p);
		if (o + lit >= sizeof(out))
			goto too_long;
		memcpy(out + o, p, lit);
		o += lit;
		if (!var)
			break;
		if (strncmp(var, POD_IP_PLACEHOLDER, strlen(POD_IP_PLACEHOLDER)) != 0) {
			bad(s, "%s: \"%s\": only %s is replaced", POD_ANNOTATION_WEBHOOK, shown(var, b),
			    POD_IP_PLACEHOLDER);
			return;
		}
		if (!ip || !*ip) {
			s->webhook_waits_ip = true;
			return;
		}
		bool bracket = strchr(ip, ':') && !(var > v && var[-1] == '[');
		int n = snprintf(out + o, sizeof(out) - o, bracket ? "[%s]" : "%s", ip);
		if (n < 0 || (size_t)n >= sizeof(out) - o)
			goto too_long;
		o += (size_t)n;
		p = var + strlen(POD_IP_PLACEHOLDER);
	}
	out[o] = '\0';
	memcpy(s->webhook_url, out, o + 1);
	return;
too_long:
	bad(s, "%s: longer than %d characters", POD_ANNOTATION_WEBHOOK, POD_WEBHOOK_URL_MAX_CHARS);
}

static bool name_in(const char *name, size_t n, const char *const *names, size_t n_names)
{
	for (size_t i = 0; i < n_names; i++)
		if (names[i] && strlen(names[i]) == n && memcmp(names[i], name, n) == 0)
			return true;
	return false;
}

static void parse_containers(struct pod_settings *s, const char *v, const char *const *names, size_t n_names)
{
	char b[72];
	for (const char *p = v;;) {
		p += strspn(p, " \t");
		size_t n = strcspn(p, ",");
		size_t trimmed = n;
		while (trimmed > 0 && (p[trimmed - 1] == ' ' || p[trimmed - 1] == '\t'))
			trimmed--;
		char item[POD_CONTAINER_NAME_MAX_CHARS + 1];
		if (trimmed > POD_CONTAINER_NAME_MAX_CHARS || !dns_label_ok(p, trimmed)) {
			char raw[72];
			snprintf(raw, sizeof(raw), "%.*s", (int)(trimmed < 64 ? trimmed : 64), p);
			bad(s, "%s: \"%s\" is not a container name", POD_ANNOTATION_CONTAINERS,
			    shown(raw, b));
		} else if (!name_in(p, trimmed, names, n_names)) {
			memcpy(item, p, trimmed);
			item[trimmed] = '\0';
			bad(s, "%s: \"%s\" is not a container of the pod", POD_ANNOTATION_CONTAINERS, item);
		} else {
			memcpy(item, p, trimmed);
			item[trimmed] = '\0';
			bool dup = false;
			for (size_t i = 0; i < s->n_containers; i++)
				dup = dup || strcmp(s->containers[i], item) == 0;
			if (!dup && s->n_containers == POD_SPEC_CONTAINERS_MAX) {
				bad(s, "%s: more than %d containers", POD_ANNOTATION_CONTAINERS,
				    POD_SPEC_CONTAINERS_MAX);
				return;
			}
			if (!dup)
				memcpy(s->containers[s->n_containers++], item, trimmed + 1);
		}
		if (!p[n])
			return;
		p += n + 1;
	}
}

int pod_spec_parse(const struct pod_annotation *annotations, size_t n, const char *pod_ip,
                   const char *const *names, size_t n_names, struct pod_settings *ret)
{
	*ret = (struct pod_settings){ .opted_in = false };
	const char *policy = NULL, *policy_json = NULL, *webhook = NULL, *containers = NULL;
	const size_t plen = strlen(POD_ANNOTATION_PREFIX);
	char b[72];
	for (size_t i = 0; i < n; i++) {
		const char *k = annotations[i].key, *v = annotations[i].value;
		if (!k || strncmp(k, POD_ANNOTATION_PREFIX, plen) != 0)
			continue;
		ret->opted_in = true;
		const char **slot = strcmp(k, POD_ANNOTATION_POLICY) == 0        ? &policy
		                    : strcmp(k, POD_ANNOTATION_POLICY_JSON) == 0 ? &policy_json
		                    : strcmp(k, POD_ANNOTATION_WEBHOOK) == 0     ? &webhook
		                    : strcmp(k, POD_ANNOTATION_CONTAINERS) == 0  ? &containers
		                                                                 : NULL;
		if (!slot)
			bad(ret,
			    "%s: unknown annotation (memhook.io/ takes policy, policy-json, webhook, "
			    "containers)",
			    shown(k, b));
		else if (*slot)
			bad(ret, "%s: set twice (the first kept)", k);
		else
			*slot = v ? v : "";
	}
	if (policy && policy_json)
		bad(ret, "%s and %s: both set, one policy per pod (neither used)", POD_ANNOTATION_POLICY,
		    POD_ANNOTATION_POLICY_JSON);
	else if (policy && !policy_name_ok(policy))
		bad(ret,
		    "%s: \"%s\" is not a file name of the policy directory ([-._a-zA-Z0-9], at most %d, not "
		    "starting with '.')",
		    POD_ANNOTATION_POLICY, shown(policy, b), POD_POLICY_NAME_MAX_CHARS);
	else if (policy)
		memcpy(ret->policy_name, policy, strlen(policy) + 1);
	else if (policy_json)
		parse_policy_json(ret, policy_json);
	if (webhook && ret->n_errors != UINT32_MAX)
		parse_webhook(ret, webhook, pod_ip);
	if (containers && ret->n_errors != UINT32_MAX)
		parse_containers(ret, containers, names, n_names);
	if (ret->n_errors == UINT32_MAX) {
		pod_settings_free(ret);
		return -ENOMEM;
	}
	return 0;
}

void pod_settings_free(struct pod_settings *s)
{
	if (!s)
		return;
	free(s->policy_json);
	*s = (struct pod_settings){ .opted_in = false };
}

int pod_settings_copy(const struct pod_settings *s, struct pod_settings *ret)
{
	*ret = *s;
	if (s->policy_json && !(ret->policy_json = strdup(s->policy_json))) {
		*ret = (struct pod_settings){ .opted_in = false };
		return -ENOMEM;
	}
	return 0;
}

bool pod_settings_equal(const struct pod_settings *a, const struct pod_settings *b)
{
	if (a->opted_in != b->opted_in || a->webhook_waits_ip != b->webhook_waits_ip ||
	    a->n_containers != b->n_containers || a->n_errors != b->n_errors ||
	    strcmp(a->policy_name, b->policy_name) != 0 || strcmp(a->webhook_url, b->webhook_url) != 0 ||
	    strcmp(a->error, b->error) != 0)
		return false;
	if (!a->policy_json != !b->policy_json ||
	    (a->policy_json && strcmp(a->policy_json, b->policy_json) != 0))
		return false;
	for (size_t i = 0; i < a->n_containers; i++)
		if (strcmp(a->containers[i], b->containers[i]) != 0)
			return false;
	return true;
}

bool pod_settings_selects(const struct pod_settings *s, const char *name)
{
	if (s->n_containers == 0)
		return true;
	for (size_t i = 0; i < s->n_containers; i++)
		if (strcmp(s->containers[i], name) == 0)
			return true;
	return false;
}

bool pod_policy_file_is(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return n > 0 && strncmp(entry, name, n) == 0 && (entry[n] == '\0' || strcmp(entry + n, ".json") == 0);
}
