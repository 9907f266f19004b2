#include "base/log_fold.h"

#include <stdio.h>
#include <string.h>

static void summarize(const struct log_fold_slot *s, uint64_t now_usec, struct log_fold_summary *ret)
{
	memcpy(ret->text, s->text, sizeof(ret->text));
	ret->level = s->level;
	ret->count = s->suppressed;
	ret->span_usec = now_usec - s->window_start_usec;
}

static void open_window(struct log_fold_slot *s, const void *site, uint64_t subject, int level,
                        const char *text, uint64_t now_usec)
{
	s->site = site;
	s->subject = subject;
	s->level = level;
	s->window_start_usec = now_usec;
	s->suppressed = 0;
	snprintf(s->text, sizeof(s->text), "%s", text);
}

bool log_fold_admit(struct log_fold *f, const void *site, uint64_t subject, int level, const char *text,
                    uint64_t now_usec, struct log_fold_summary *ret_summary)
{
	ret_summary->count = 0;
	if (!f->window_usec || !site)
		return true;

	struct log_fold_slot *free_slot = NULL;
	for (size_t i = 0; i < LOG_FOLD_SLOTS; i++) {
		struct log_fold_slot *s = &f->slots[i];
		if (s->site == site && s->subject == subject) {
			if (now_usec - s->window_start_usec < f->window_usec) {
				s->suppressed++;
				return false;
			}
			if (s->suppressed)
				summarize(s, now_usec, ret_summary);
			open_window(s, site, subject, level, text, now_usec);
			return true;
		}
		if (!s->site && !free_slot)
			free_slot = s;
	}
	if (free_slot) {
		open_window(free_slot, site, subject, level, text, now_usec);
		f->n_open++;
	}
	return true;
}

bool log_fold_take_expired(struct log_fold *f, uint64_t now_usec, bool flush_all,
                           struct log_fold_summary *ret_summary)
{
	for (size_t i = 0; i < LOG_FOLD_SLOTS && f->n_open; i++) {
		struct log_fold_slot *s = &f->slots[i];
		if (!s->site || (!flush_all && now_usec - s->window_start_usec < f->window_usec))
			continue;
		bool any = s->suppressed > 0;
		if (any)
			summarize(s, now_usec, ret_summary);
		s->site = NULL;
		f->n_open--;
		if (any)
			return true;
	}
	return false;
}

uint64_t log_subject(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h ? h : 1;
}
