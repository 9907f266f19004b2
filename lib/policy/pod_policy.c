#include "policy/pod_policy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum pod_policy_kind pod_policy_pick(const struct pod_settings *s, const struct pod_policy_source *src)
{
	if (s->policy_name[0])
		return POD_POLICY_DIR;
	if (s->policy_json)
		return POD_POLICY_INLINE;
	if (src->default_path)
		return POD_POLICY_DEFAULT;
	return s->opted_in ? POD_POLICY_EMBEDDED : POD_POLICY_NONE;
}

int pod_policy_path(const char *dir, const char *name, char *ret, size_t size)
{
	struct stat st;
	int n = snprintf(ret, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	if (stat(ret, &st) == 0)
		return 0;
	n = snprintf(ret, size, "%s/%s.json", dir, name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return stat(ret, &st) == 0 ? 0 : -ENOENT;
}

int pod_policy_load(const struct pod_settings *s, const struct pod_policy_source *src, struct policy **ret,
                    char *ret_from, size_t from_size, char *err, size_t err_size)
{
	struct policy *p = NULL;
	char inner[512];
	unsigned line = 0, col = 0;
	int r;
	*ret = NULL;
	err[0] = '\0';
	switch (pod_policy_pick(s, src)) {
	case POD_POLICY_NONE:
		snprintf(ret_from, from_size, "(none)");
		return -ENOENT;
	case POD_POLICY_DIR:
		if (!src->policy_dir) {
			snprintf(err, err_size, "%s: %s: memhook node has no --policy-dir",
			         POD_ANNOTATION_POLICY, s->policy_name);
			return -ENOENT;
		}
		r = pod_policy_path(src->policy_dir, s->policy_name, ret_from, from_size);
		if (r < 0) {
			snprintf(err, err_size, "%s: %s: no %s/%s nor %s", POD_ANNOTATION_POLICY,
			         s->policy_name, src->policy_dir, s->policy_name, ret_from);
			return r;
		}
		r = policy_load(ret_from, &p, err, err_size);
		break;
	case POD_POLICY_INLINE:
		snprintf(ret_from, from_size, "%s", POD_ANNOTATION_POLICY_JSON);
		r = policy_parse_at(s->policy_json, strlen(s->policy_json), &p, inner, sizeof(inner), &line,
		                    &col);
		if (r < 0 && line)
			snprintf(err, err_size, "%s:%u:%u: %s", POD_ANNOTATION_POLICY_JSON, line, col, inner);
		else if (r < 0)
			snprintf(err, err_size, "%s: %s", POD_ANNOTATION_POLICY_JSON, inner);
		break;
	case POD_POLICY_DEFAULT:
		snprintf(ret_from, from_size, "%s", src->default_path);
		r = policy_load(src->default_path, &p, err, err_size);
		break;
	case POD_POLICY_EMBEDDED:
	default:
		snprintf(ret_from, from_size, "(default)");
		r = policy_parse(policy_default_json, strlen(policy_default_json), &p, err, err_size);
		break;
	}
	if (r < 0)
		return r;
	const char *hooks[] = { s->webhook_url[0] ? s->webhook_url : NULL, src->node_webhook };
	for (size_t i = 0; i < 2; i++)
		if (hooks[i] && hooks[i][0] &&
		    (r = policy_add_webhook(p, hooks[i], inner, sizeof(inner))) < 0) {
			snprintf(err, err_size, "%s%s", i == 0 ? POD_ANNOTATION_WEBHOOK ": " : "", inner);
			policy_free(p);
			return r;
		}
	*ret = p;
	return 0;
}
