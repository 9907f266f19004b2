/* memhook node: every container of the kubelet's pods on this node, one monitor each (monitor.h),
 * all on one loop. Containers are found under the kubelet's cgroup root (cgroup_tree.h) and named by
 * their path (pod_cgroup.h): without an API server (the only mode yet) every container found is
 * watched at once with the node's policy, identified by its pod's UID and its container ID. The
 * process around them is the daemon's: signals, --listen, the stop with a grace period. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct node_config {
	const char *cgroup_root; /* the kubelet's cgroup root: holds kubepods.slice or kubepods */
	const char *policy_path; /* NULL: the embedded default; reloaded on SIGHUP */
	const char *webhook_url; /* --webhook: every container's events also go there */
	const char *listen;      /* --listen ADDR:PORT; NULL: off */
	const char *proc_root;   /* "/proc" unless testing */
	bool dry_run;
	uint64_t grace_usec;  /* 0: GRACE_DEFAULT_USEC */
	const char *instance; /* the payload's instance id (payload_format_instance) */
	const char *hostname;
	/* The API server (NULL api_url: --no-kubernetes-api; every container watched at once) */
	const char *api_url, *token_file, *ca_file;
	const char *node_name;  /* NODE_NAME: whose pods are listed */
	const char *policy_dir; /* --policy-dir: the policies memhook.io/policy names; NULL: none */
	bool kubernetes_events; /* Events regarding each container's pod */
};

/* Runs until SIGTERM/SIGINT. Returns 0 on a clean stop, -EINVAL for a policy that cannot be loaded,
 * or -errno (the root unreadable, out of inotify watches, the loop; all logged). The caller must
 * have blocked the daemon's signals (daemon_block_signals). */
int node_run(const struct node_config *cfg);

/* The kubelet's cgroup root on this host: the cgroup v2 mount (/sys/fs/cgroup) when it holds
 * kubepods.slice or kubepods, else the v1 memory controller's (/sys/fs/cgroup/memory). sys_fs_cgroup
 * is "/sys/fs/cgroup" unless testing. Returns 0 with the path in ret, or -ENOENT. */
int node_find_cgroup_root(const char *sys_fs_cgroup, char *ret, size_t size);
