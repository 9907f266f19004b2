/* The kubelet's cgroup names, parsed: a directory under the kubelet's cgroup root is the pods' top
 * (kubepods.slice or kubepods), a QoS level, a pod or a container; a container is known by its
 * pod's UID, its QoS class, its runtime and its ID. Pure (no file is read), for both cgroup drivers:
 *   systemd:  kubepods.slice/[kubepods-<qos>.slice/]kubepods[-<qos>]-pod<UID_>.slice/
 *             {cri-containerd,crio,docker}-<ID>.scope
 *   cgroupfs: kubepods/[<qos>/]pod<UID>/[crio-]<ID>
 * Guaranteed pods sit directly under the top, without a QoS level. The systemd top may carry a
 * prefix (kind's `kubelet-kubepods.slice`): its children repeat it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A pod UID with its dashes (36 for a UUID) and the NUL; longer names are not pods. */
#define POD_UID_SIZE 40
/* 64 hex digits and the NUL */
#define POD_CONTAINER_ID_SIZE 65
/* The top directory's name (kubepods.slice, kubelet-kubepods.slice, kubepods) and the NUL. */
#define POD_TOP_NAME_SIZE 64

enum pod_qos { POD_QOS_GUARANTEED, POD_QOS_BURSTABLE, POD_QOS_BESTEFFORT };

enum pod_cgroup_kind {
	POD_CGROUP_OTHER,     /* nothing of the kubelet's (or a name that only looks like one) */
	POD_CGROUP_TOP,       /* kubepods.slice | kubepods */
	POD_CGROUP_QOS,       /* kubepods-burstable.slice | kubepods/besteffort */
	POD_CGROUP_POD,       /* a pod: qos and pod_uid set */
	POD_CGROUP_CONTAINER, /* a container: every field set */
};

enum pod_cgroup_driver { POD_DRIVER_SYSTEMD, POD_DRIVER_CGROUPFS };

struct pod_cgroup {
	enum pod_cgroup_kind kind;
	enum pod_cgroup_driver driver;
	enum pod_qos qos;                         /* from POD_CGROUP_QOS on */
	char pod_uid[POD_UID_SIZE];               /* from POD_CGROUP_POD on; systemd's '_' as '-' */
	const char *runtime;                      /* "containerd", "cri-o", "docker", or "" (cgroupfs) */
	char container_id[POD_CONTAINER_ID_SIZE]; /* POD_CGROUP_CONTAINER: 64 lower-case hex digits */
};

/* What the directory rel is: a path relative to the kubelet's cgroup root, its components joined by
 * single '/' ("kubepods.slice/kubepods-besteffort.slice/..."; no leading, trailing or doubled '/',
 * no "." or ".."). Every component is checked against the one layout its parent's kind allows; the
 * fields of the deepest one that fits are filled. A name that fits no layout, or anything beneath a
 * container, is POD_CGROUP_OTHER. Never fails: ret is always filled. */
void pod_cgroup_parse(const char *rel, struct pod_cgroup *ret);

/* The name of a QoS class: "guaranteed", "burstable", "besteffort". */
const char *pod_qos_name(enum pod_qos q);

/* Whether name is a top directory of the kubelet's pods (kubepods.slice, <prefix>-kubepods.slice,
 * kubepods): what the root is looked for by. */
bool pod_cgroup_is_top(const char *name);
