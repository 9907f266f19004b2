/* The kubelet's cgroup names (lib/kernel/pod_cgroup.c): both drivers, every QoS, the runtimes'
 * scopes, and hostile names that only look like them. */
#include "unit.h"

#include <stdio.h>

#include "kernel/pod_cgroup.h"

#define UID_  "1234abcd_12ab_34cd_56ef_0123456789ab"
#define UID   "1234abcd-12ab-34cd-56ef-0123456789ab"
#define CID   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SPOD  "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice"
#define SGPOD "kubepods.slice/kubepods-pod" UID_ ".slice"
#define CPOD  "kubepods/besteffort/pod" UID

struct ok_case {
	const char *rel;
	enum pod_cgroup_kind kind;
	enum pod_cgroup_driver driver;
	enum pod_qos qos;
	const char *uid;     /* NULL: not compared */
	const char *runtime; /* NULL: not compared */
};

static void test_layouts(void **state)
{
	(void)state;
	static const struct ok_case cases[] = {
		{ "kubepods.slice", POD_CGROUP_TOP, POD_DRIVER_SYSTEMD, 0, NULL, NULL },
		{ "kubepods", POD_CGROUP_TOP, POD_DRIVER_CGROUPFS, 0, NULL, NULL },
		{ "kubelet-kubepods.slice", POD_CGROUP_TOP, POD_DRIVER_SYSTEMD, 0, NULL, NULL },
		{ "kubepods.slice/kubepods-burstable.slice", POD_CGROUP_QOS, POD_DRIVER_SYSTEMD,
		  POD_QOS_BURSTABLE, NULL, NULL },
		{ "kubepods.slice/kubepods-besteffort.slice", POD_CGROUP_QOS, POD_DRIVER_SYSTEMD,
		  POD_QOS_BESTEFFORT, NULL, NULL },
		{ "kubepods/burstable", POD_CGROUP_QOS, POD_DRIVER_CGROUPFS, POD_QOS_BURSTABLE, NULL, NULL },
		{ "kubepods/besteffort", POD_CGROUP_QOS, POD_DRIVER_CGROUPFS, POD_QOS_BESTEFFORT, NULL,
		  NULL },
		{ SPOD, POD_CGROUP_POD, POD_DRIVER_SYSTEMD, POD_QOS_BURSTABLE, UID, NULL },
		{ SGPOD, POD_CGROUP_POD, POD_DRIVER_SYSTEMD, POD_QOS_GUARANTEED, UID, NULL },
		{ "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice",
		  POD_CGROUP_POD, POD_DRIVER_SYSTEMD, POD_QOS_BESTEFFORT, UID, NULL },
		{ CPOD, POD_CGROUP_POD, POD_DRIVER_CGROUPFS, POD_QOS_BESTEFFORT, UID, NULL },
		{ "kubepods/pod" UID, POD_CGROUP_POD, POD_DRIVER_CGROUPFS, POD_QOS_GUARANTEED, UID, NULL },
		/* a static pod's UID: 32 hex digits, no dashes */
		{ "kubepods/podd41d8cd98f00b204e9800998ecf8427e", POD_CGROUP_POD, POD_DRIVER_CGROUPFS,
		  POD_QOS_GUARANTEED, "d41d8cd98f00b204e9800998ecf8427e", NULL },
		{ SPOD "/cri-containerd-" CID ".scope", POD_CGROUP_CONTAINER, POD_DRIVER_SYSTEMD,
		  POD_QOS_BURSTABLE, UID, "containerd" },
		{ SPOD "/crio-" CID ".scope", POD_CGROUP_CONTAINER, POD_DRIVER_SYSTEMD, POD_QOS_BURSTABLE,
		  UID, "cri-o" },
		{ SPOD "/docker-" CID ".scope", POD_CGROUP_CONTAINER, POD_DRIVER_SYSTEMD, POD_QOS_BURSTABLE,
		  UID, "docker" },
		{ SGPOD "/cri-containerd-" CID ".scope", POD_CGROUP_CONTAINER, POD_DRIVER_SYSTEMD,
		  POD_QOS_GUARANTEED, UID, "containerd" },
		{ "kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
		  "kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope",
		  POD_CGROUP_CONTAINER, POD_DRIVER_SYSTEMD, POD_QOS_BESTEFFORT, UID, "containerd" },
		{ CPOD "/" CID, POD_CGROUP_CONTAINER, POD_DRIVER_CGROUPFS, POD_QOS_BESTEFFORT, UID, "" },
		{ CPOD "/crio-" CID, POD_CGROUP_CONTAINER, POD_DRIVER_CGROUPFS, POD_QOS_BESTEFFORT, UID,
		  "cri-o" },
		{ "kubepods/pod" UID "/" CID, POD_CGROUP_CONTAINER, POD_DRIVER_CGROUPFS, POD_QOS_GUARANTEED,
		  UID, "" },
		{ "kubepods/burstable/pod" UID "/" CID, POD_CGROUP_CONTAINER, POD_DRIVER_CGROUPFS,
		  POD_QOS_BURSTABLE, UID, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pod_cgroup pc;
		print_message("layout %zu: %s\n", i, cases[i].rel);
		pod_cgroup_parse(cases[i].rel, &pc);
		assert_int_equal(pc.kind, cases[i].kind);
		assert_int_equal(pc.driver, cases[i].driver);
		if (cases[i].kind >= POD_CGROUP_QOS)
			assert_int_equal(pc.qos, cases[i].qos);
		if (cases[i].uid)
			assert_string_equal(pc.pod_uid, cases[i].uid);
		if (cases[i].runtime) {
			assert_string_equal(pc.runtime, cases[i].runtime);
			assert_string_equal(pc.container_id, CID);
		}
	}
}

static void test_hostile(void **state)
{
	(void)state;
	static const char *const other[] = {
		"",
		"/",
		"/kubepods",
		"kubepods/",
		"kubepods//pod" UID,
		"./kubepods",
		"kubepods/./pod" UID,
		"kubepods/../kubepods",
		"Kubepods",
		"kubepods.slices",
		"kubepods.slice.slice/x",
		"-kubepods.slice",
		"a/b-kubepods.slice",
		"x y-kubepods.slice",
		"system.slice",
		"user.slice/user-0.slice",
		"kubepods.slice/system.slice",
		"kubepods.slice/kubepods-guaranteed.slice",
		"kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod" UID_ ".slice",
		"kubepods.slice/kubepods-burstable.slice/kubepods-pod" UID_ ".slice",
		"kubepods.slice/kubepods-burstable.slice/kubepods-burstable.slice",
		"kubepods.slice/kubepods-pod" UID ".slice",      /* dashes are systemd's hierarchy */
		"kubepods.slice/kubepods-pod.slice",             /* no UID */
		"kubepods.slice/kubepods-pod_" UID_ ".slice",    /* leading separator */
		"kubepods.slice/kubepods-pod" UID_ "_.slice",    /* trailing separator */
		"kubepods.slice/kubepods-pod1234__5678.slice",   /* doubled separator */
		"kubepods.slice/kubepods-podABCD.slice",         /* upper case */
		"kubepods.slice/kubepods-pod" UID_ "0000.slice", /* 40 characters */
		"kubepods.slice/kubepods-pod" UID_ ".scope",
		"kubepods.slice/kubepods-pod" UID_ ".slice.slice",
		"kubelet-kubepods.slice/kubepods-pod" UID_ ".slice", /* the prefix must repeat */
		SGPOD "/cri-containerd-" CID,                        /* no .scope */
		SGPOD "/cri-containerd-" CID ".slice",
		SGPOD "/crio-conmon-" CID ".scope",     /* CRI-O's monitor, not a container */
		SGPOD "/cri-containerd-" CID "0.scope", /* 65 digits */
		SGPOD "/cri-containerd-0123.scope",
		SGPOD "/cri-containerd-"
		      "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
		      ".scope",
		SGPOD "/podman-" CID ".scope",
		SGPOD "/" CID,                             /* a cgroupfs name under systemd */
		SGPOD "/cri-containerd-" CID ".scope/sub", /* beneath a container */
		SGPOD "/cri-containerd-" CID ".scope/",
		CPOD "/" CID "/" CID,
		CPOD "/" CID "0",
		CPOD "/docker-" CID,
		CPOD "/crio-" CID ".scope",
		CPOD "/crio-conmon-" CID,
		"kubepods/guaranteed/pod" UID,
		"kubepods/burstable/besteffort",
		"kubepods/burstable/burstable/pod" UID,
		"kubepods/pod" UID_, /* underscores are systemd's */
		"kubepods/pod-" UID,
		"kubepods/pod" UID "-",
		"kubepods/pod1234--5678",
		"kubepods/pod",
		"kubepods/pod" UID "/" CID ".scope",
		"kubepods/pod\n" UID,
		"kubepods/pod" UID "\n",
		"kubepods/pod" UID "/\xff" CID,
		"kubepods.slice/" CID,
		"kubepods/" CID,
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		struct pod_cgroup pc;
		print_message("hostile %zu: %s\n", i, other[i]);
		pod_cgroup_parse(other[i], &pc);
		assert_int_equal(pc.kind, POD_CGROUP_OTHER);
		assert_string_equal(pc.pod_uid, "");
		assert_string_equal(pc.container_id, "");
		assert_string_equal(pc.runtime, "");
	}
}

/* Every length of a top prefix around the bound, and a very long path. */
static void test_bounds(void **state)
{
	(void)state;
	char name[200];
	for (size_t n = 1; n < 80; n++) {
		memset(name, 'a', n);
		snprintf(name + n, sizeof(name) - n, "-kubepods.slice");
		struct pod_cgroup pc;
		pod_cgroup_parse(name, &pc);
		bool fits = strlen(name) < POD_TOP_NAME_SIZE;
		assert_int_equal(pc.kind, fits ? POD_CGROUP_TOP : POD_CGROUP_OTHER);
		assert_int_equal(pod_cgroup_is_top(name), fits);
	}
	static char longpath[70000];
	size_t off = (size_t)snprintf(longpath, sizeof(longpath), "%s", CPOD);
	while (off + 70 < sizeof(longpath))
		off += (size_t)snprintf(longpath + off, sizeof(longpath) - off, "/%s", CID);
	struct pod_cgroup pc;
	pod_cgroup_parse(longpath, &pc);
	assert_int_equal(pc.kind, POD_CGROUP_OTHER);
	/* the tops, by name */
	assert_true(pod_cgroup_is_top("kubepods"));
	assert_true(pod_cgroup_is_top("kubepods.slice"));
	assert_false(pod_cgroup_is_top("kubepods-burstable.slice"));
	assert_false(pod_cgroup_is_top("system.slice"));
	assert_false(pod_cgroup_is_top(""));
	assert_string_equal(pod_qos_name(POD_QOS_GUARANTEED), "guaranteed");
	assert_string_equal(pod_qos_name(POD_QOS_BURSTABLE), "burstable");
	assert_string_equal(pod_qos_name(POD_QOS_BESTEFFORT), "besteffort");
	assert_string_equal(pod_qos_name((enum pod_qos)7), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
