/* The policy a pod's containers run under `memhook node`, from what its annotations ask
 * (pod_spec.h) and the node's options: memhook.io/policy (a file of --policy-dir),
 * memhook.io/policy-json, else the node's default; the pod's memhook.io/webhook and the node's
 * --webhook added. Reads the policy directory; decides nothing else. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "policy/pod_spec.h"
#include "policy/policy.h"

struct pod_policy_source {
	const char *policy_dir;   /* --policy-dir (NULL: none) */
	const char *default_path; /* --policy (NULL: none) */
	const char *node_webhook; /* --webhook (NULL: none) */
};

/* Which policy the pod runs, and from where (for the log): PATH of the policy directory,
 * "memhook.io/policy-json", the default's path, or "(default)" for the embedded one. */
enum pod_policy_kind {
	POD_POLICY_NONE,     /* not opted in, and the node has no --policy: not watched */
	POD_POLICY_DIR,      /* memhook.io/policy */
	POD_POLICY_INLINE,   /* memhook.io/policy-json */
	POD_POLICY_DEFAULT,  /* the node's --policy */
	POD_POLICY_EMBEDDED, /* opted in without a policy, and no --policy: the embedded default */
};

/* What s and src select (pure): a pod not opted in runs --policy when the node has one; an opted-in
 * pod without a (good) policy annotation runs --policy, else the embedded default. */
enum pod_policy_kind pod_policy_pick(const struct pod_settings *s, const struct pod_policy_source *src);

/* The file of policy NAME in dir: DIR/NAME when it exists, else DIR/NAME.json, into ret. Returns
 * 0 or -ENOENT (neither; ret holds DIR/NAME.json), -ENAMETOOLONG. */
int pod_policy_path(const char *dir, const char *name, char *ret, size_t size);

/* Loads the policy pod_policy_pick selects and adds the webhooks. Returns 0 with *ret and its
 * source in ret_from (size >= PATH_MAX), -ENOENT (POD_POLICY_NONE: *ret NULL, nothing in err),
 * or -errno with err ("<file>:<line>:<col>: <path>: <reason>" as policy_load says it, or
 * "memhook.io/policy-json:L:C: ..."). */
int pod_policy_load(const struct pod_settings *s, const struct pod_policy_source *src, struct policy **ret,
                    char *ret_from, size_t from_size, char *err, size_t err_size);
