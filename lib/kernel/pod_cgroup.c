#include "kernel/pod_cgroup.h"

#include <string.h>

#include "base/util.h"

/* One component of a path: not NUL-terminated. */
struct name {
	const char *s;
	size_t len;
};

static const char *const qos_names[] = { "guaranteed", "burstable", "besteffort" };

const char *pod_qos_name(enum pod_qos q)
{
	return (size_t)q < ARRAY_SIZE(qos_names) ? qos_names[q] : "?";
}

/* Whether n starts with lit; if so, n loses it. */
static bool eat(struct name *n, const char *lit)
{
	size_t l = strlen(lit);
	if (n->len < l || memcmp(n->s, lit, l) != 0)
		return false;
	n->s += l;
	n->len -= l;
	return true;
}

/* Whether n ends with lit; if so, n loses it. */
static bool eat_end(struct name *n, const char *lit)
{
	size_t l = strlen(lit);
	if (n->len < l || memcmp(n->s + n->len - l, lit, l) != 0)
		return false;
	n->len -= l;
	return true;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A container ID: exactly 64 lower-case hex digits, copied into ret. */
static bool take_container_id(struct name n, char ret[POD_CONTAINER_ID_SIZE])
{
	if (n.len != POD_CONTAINER_ID_SIZE - 1)
		return false;
	for (size_t i = 0; i < n.len; i++)
		if (!is_hex(n.s[i]))
			return false;
	memcpy(ret, n.s, n.len);
	ret[n.len] = '\0';
	return true;
}

/* A pod UID: lower-case hex digits and separators (sep: '-' for cgroupfs, '_' for systemd, which
 * reads as '-'), 1 to POD_UID_SIZE - 1 of them, starting and ending with a digit, no two
 * separators in a row. Copied into ret with '-' for the separator. A UUID (36) or a static pod's
 * hash (32 hex digits) fit. */
static bool take_pod_uid(struct name n, char sep, char ret[POD_UID_SIZE])
{
	if (n.len == 0 || n.len >= POD_UID_SIZE || n.s[0] == sep || n.s[n.len - 1] == sep)
		return false;
	for (size_t i = 0; i < n.len; i++) {
		if (n.s[i] == sep) {
			if (n.s[i - 1] == sep)
				return false;
		} else if (!is_hex(n.s[i]))
			return false;
	}
	for (size_t i = 0; i < n.len; i++)
		ret[i] = n.s[i] == sep ? '-' : n.s[i];
	ret[n.len] = '\0';
	return true;
}

/* The prefix of a systemd top "<prefix>.slice" where prefix is "kubepods" or "<x>-kubepods", x of
 * letters, digits, '_' and '-'. */
static bool systemd_top(struct name n, struct name *ret_prefix)
{
	if (!eat_end(&n, ".slice") || n.len >= POD_TOP_NAME_SIZE - sizeof(".slice") + 1)
		return false;
	struct name rest = n;
	if (!(rest.len == strlen("kubepods") && eat(&rest, "kubepods"))) {
		rest = n;
		if (!eat_end(&rest, "-kubepods") || rest.len == 0)
			return false;
		for (size_t i = 0; i < rest.len; i++) {
			char c = rest.s[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '_' || c == '-'))
				return false;
		}
	}
	*ret_prefix = n;
	return true;
}

bool pod_cgroup_is_top(const char *name)
{
	struct name n = { name, strlen(name) }, prefix;
	return strcmp(name, "kubepods") == 0 || systemd_top(n, &prefix);
}

/* Whether n is exactly the text of prefix followed by '-'; if so, n loses it. */
static bool eat_prefix(struct name *n, struct name prefix)
{
	if (n->len <= prefix.len || memcmp(n->s, prefix.s, prefix.len) != 0 || n->s[prefix.len] != '-')
		return false;
	n->s += prefix.len + 1;
	n->len -= prefix.len + 1;
	return true;
}

/* "burstable" or "besteffort" as n, whole. */
static bool qos_of(struct name n, enum pod_qos *ret)
{
	for (enum pod_qos q = POD_QOS_BURSTABLE; q <= POD_QOS_BESTEFFORT; q++)
		if (n.len == strlen(qos_names[q]) && memcmp(n.s, qos_names[q], n.len) == 0) {
			*ret = q;
			return true;
		}
	return false;
}

/* A systemd child of the top (prefix) or of a QoS slice: "<prefix>-<qos>.slice" or
 * "<prefix>[-<qos>]-pod<UID_>.slice". Advances ret's kind when it fits. */
static void systemd_child(struct name n, struct name prefix, struct pod_cgroup *ret)
{
	if (!eat_prefix(&n, prefix) || !eat_end(&n, ".slice"))
		goto other;
	if (ret->kind == POD_CGROUP_TOP) {
		enum pod_qos q;
		if (qos_of(n, &q)) {
			ret->qos = q;
			ret->kind = POD_CGROUP_QOS;
			return;
		}
		ret->qos = POD_QOS_GUARANTEED;
	} else {
		struct name want = { qos_names[ret->qos], strlen(qos_names[ret->qos]) };
		if (!eat_prefix(&n, want))
			goto other;
	}
	if (!eat(&n, "pod") || !take_pod_uid(n, '_', ret->pod_uid))
		goto other;
	ret->kind = POD_CGROUP_POD;
	return;
other:
	ret->kind = POD_CGROUP_OTHER;
}

/* The runtimes' scope names under a systemd pod slice. */
static const struct {
	const char *prefix, *runtime;
} scope_prefixes[] = {
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },
	{ "docker-", "docker" },
};

static void systemd_container(struct name n, struct pod_cgroup *ret)
{
	ret->kind = POD_CGROUP_OTHER;
	if (!eat_end(&n, ".scope"))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(scope_prefixes); i++) {
		struct name id = n;
		if (eat(&id, scope_prefixes[i].prefix) && take_container_id(id, ret->container_id)) {
			ret->runtime = scope_prefixes[i].runtime;
			ret->kind = POD_CGROUP_CONTAINER;
			return;
		}
	}
}

/* One component n beneath what ret says so far (cgroupfs). */
static void cgroupfs_child(struct name n, struct pod_cgroup *ret)
{
	enum pod_cgroup_kind parent = ret->kind;
	ret->kind = POD_CGROUP_OTHER;
	if (parent == POD_CGROUP_TOP || parent == POD_CGROUP_QOS) {
		enum pod_qos q;
		if (parent == POD_CGROUP_TOP && qos_of(n, &q)) {
			ret->qos = q;
			ret->kind = POD_CGROUP_QOS;
			return;
		}
		if (parent == POD_CGROUP_TOP)
			ret->qos = POD_QOS_GUARANTEED;
		if (eat(&n, "pod") && take_pod_uid(n, '-', ret->pod_uid))
			ret->kind = POD_CGROUP_POD;
		return;
	}
	/* beneath a pod: the ID, or CRI-O's "crio-<ID>" */
	ret->runtime = eat(&n, "crio-") ? "cri-o" : "";
	if (take_container_id(n, ret->container_id))
		ret->kind = POD_CGROUP_CONTAINER;
}

void pod_cgroup_parse(const char *rel, struct pod_cgroup *ret)
{
	*ret = (struct pod_cgroup){ .kind = POD_CGROUP_OTHER, .runtime = "" };
	struct name prefix = { 0 };
	const char *p = rel;
	for (int depth = 0;; depth++) {
		const char *slash = strchr(p, '/');
		struct name n = { p, slash ? (size_t)(slash - p) : strlen(p) };
		if (n.len == 0)
			goto other;
		if (depth == 0) {
			if (n.len == strlen("kubepods") && memcmp(n.s, "kubepods", n.len) == 0)
				ret->driver = POD_DRIVER_CGROUPFS;
			else if (systemd_top(n, &prefix))
				ret->driver = POD_DRIVER_SYSTEMD;
			else
				goto other;
			ret->kind = POD_CGROUP_TOP;
		} else if (ret->kind == POD_CGROUP_CONTAINER) {
			goto other; /* nothing of ours beneath a container */
		} else if (ret->driver == POD_DRIVER_CGROUPFS) {
			cgroupfs_child(n, ret);
		} else if (ret->kind == POD_CGROUP_POD) {
			systemd_container(n, ret);
		} else {
			systemd_child(n, prefix, ret);
		}
		if (ret->kind == POD_CGROUP_OTHER)
			goto other;
		if (!slash)
			return;
		p = slash + 1;
	}
other:
	*ret = (struct pod_cgroup){ .kind = POD_CGROUP_OTHER, .runtime = "" };
}
