/* run --once: the same reading and evaluation as a daemon check, returned as a document. */
#include "daemon/once.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "kernel/cgroup.h"
#include "decide/check.h"
#include "kernel/sampler.h"
#include "policy/eval.h"
#include "base/log.h"
#include "base/loop.h"
#include "output/payload.h"
#include "kernel/probes.h"
#include "base/spawn.h"
#include "base/util.h"

/* Probes get their timeouts plus this before --once gives up on them (their result is false). */
#define PROBES_SLACK_USEC USEC_PER_SEC

static void on_probes_done(const bool *results _unused_, void *userdata _unused_) {}

/* Runs p's probes to completion or their deadline. Returns the results (owned by pr). */
static int run_probes(const struct policy *p, struct loop *l, struct spawner *sp, struct probes **ret_pr)
{
	int r = probes_new(p, sp, on_probes_done, NULL, ret_pr);
	if (r < 0)
		return r;
	uint64_t deadline = now_mono_usec() + PROBES_SLACK_USEC;
	for (size_t i = 0; i < p->n_probes; i++)
		deadline += p->probes[i].timeout_usec;
	probes_start(*ret_pr);
	while (probes_running(*ret_pr) && now_mono_usec() < deadline)
		loop_iterate(l, deadline - now_mono_usec());
	return 0;
}

/* The document; NULL on allocation failure. */
static cJSON *once_json(const struct target *t, const struct policy *p, const struct sample *s,
                        const bool *probe_results)
{
	/* the level a daemon's first check decides: a level with "for" is not entered yet */
	struct check_state st;
	struct check_result r;
	check_state_init(&st);
	check_step(p, &st, CHECK_TARGET_PRESENT, s, probe_results, &r);
	int level = r.level;
	cJSON *root = cJSON_CreateObject();
	cJSON *target = cJSON_AddObjectToObject(root, "target");
	cJSON_AddStringToObject(target, "cgroup", t->cg.path);
	cJSON_AddNumberToObject(target, "version", (double)t->cg.version);
	if (t->pid > 0)
		cJSON_AddNumberToObject(target, "pid", (double)t->pid);
	else
		cJSON_AddNullToObject(target, "pid");
	char *mnt = NULL;
	enum cg_version v;
	if (cg_find_memory_mount(&mnt, &v) == 0) {
		cJSON *host = cJSON_AddObjectToObject(root, "host");
		cJSON_AddStringToObject(host, "memory_controller", mnt);
		cJSON_AddNumberToObject(host, "cgroup_version", (double)v);
		free(mnt);
	}
	cJSON_AddItemToObject(root, "sample", payload_sample_json(s));
	cJSON_AddNumberToObject(root, "level", level);
	cJSON_AddStringToObject(root, "level_name", policy_level_name(p, level));
	cJSON *conds = eval_explain(p, s, probe_results);
	if (conds)
		cJSON_AddItemToObject(root, "conditions", conds);
	return root;
}

int once_evaluate(const struct target_spec *spec, const struct policy *p, struct cJSON **ret, char *err,
                  size_t err_size)
{
	struct target t;
	struct sampler_host host = { .mem = { .meminfo_fd = -1 } };
	/* --once shows everything */
	const struct sampler_needs needs = { .sample_what = CG_SAMPLE_ALL, .host_every_check = true };
	struct loop *l = NULL;
	struct spawner *sp = NULL;
	struct probes *pr = NULL;
	struct sample s;

	target_init_spec(&t, spec);
	int r = hostmem_open(t.spec.proc_root, &host.mem);
	if (r < 0) {
		snprintf(err, err_size, "cannot open %s/meminfo: %s", t.spec.proc_root, strerror(-r));
		goto out;
	}
	r = target_acquire(&t, err, err_size);
	if (r < 0)
		goto out;
	char perr[512];
	if (policy_check_target(p, (int)t.cg.version, perr, sizeof(perr)) < 0)
		log_warn("%s", perr);
	r = sampler_read(&t, p, &needs, &host, &s);
	if (r > 0) {
		snprintf(err, err_size, "cannot read meminfo under %s", t.spec.proc_root);
		r = -EIO;
		goto out;
	}
	if (r < 0) {
		if (r == -EBADMSG && t.cg.bad_file)
			snprintf(err, err_size, "reading %s: unexpected content in %s", t.cg.path,
			         t.cg.bad_file);
		else
			snprintf(err, err_size, "reading %s: %s", t.cg.path,
			         r == -EBADMSG ? "unexpected content" : strerror(-r));
		goto out;
	}
	if ((r = loop_new(&l)) == 0 && (r = spawner_new(l, &sp)) == 0)
		spawner_deny_secrets_of(sp, p);
	if (r < 0 || (r = run_probes(p, l, sp, &pr)) < 0) {
		snprintf(err, err_size, "running the probes: %s", strerror(-r));
		goto out;
	}
	cJSON *doc = once_json(&t, p, &s, probes_results(pr));
	if (!doc) {
		r = -ENOMEM;
		snprintf(err, err_size, "out of memory");
		goto out;
	}
	*ret = doc;
	r = 0;
out:
	spawner_free(sp);
	probes_free(pr);
	loop_free(l);
	target_release(&t);
	hostmem_close(&host.mem);
	return r;
}
