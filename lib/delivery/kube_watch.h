/* A list and watch of one kind of Kubernetes object (client-go's reflector, in small), on
 * http_multi and the loop: list (in pages), then watch from the list's resourceVersion, streaming
 * the API server's WatchEvent lines; again from the last resourceVersion when the server ends a
 * watch; a relist when the server says 410 Gone (as the HTTP status or as an ERROR event); a
 * backoff with jitter after any failure. The connection and token are kube_api.h's.
 *
 * Bounded: a line longer than line_max_bytes, a list page larger than list_max_bytes, garbage on
 * a line or a server that stalls past the watch's timeout ends the request (the memory held is at
 * most the bound) and is retried after the backoff: garbage and a cut line by a relist, since
 * events may have been missed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct cJSON;
struct kube_watch;

enum kube_watch_type {
	KUBE_WATCH_ADDED, /* also every object of a list */
	KUBE_WATCH_MODIFIED,
	KUBE_WATCH_DELETED,
};

struct kube_watch_config {
	const char *api_url;        /* "https://host:port" */
	const char *token_file;     /* read before each request when it changed (rotation) */
	const char *ca_file;        /* verifies the API server's certificate */
	const char *path;           /* the collection: "/api/v1/pods" */
	const char *field_selector; /* "spec.nodeName=node-1", or NULL */
	const char *what;           /* for the log: "pod watch" */
	/* 0: the defaults of defaults.h (KUBE_WATCH_*) */
	uint64_t watch_timeout_usec; /* timeoutSeconds asked of the server */
	uint64_t stall_margin_usec;  /* past the timeout, the client gives up on a silent server */
	uint64_t backoff_usec;       /* the first retry's bound, doubling */
	uint64_t backoff_max_usec;
	size_t line_max_bytes;
	size_t list_max_bytes;
	unsigned list_page_limit; /* objects per list page */
};

struct kube_watch_ops {
	void (*list_begin)(void *ctx); /* a list starts: the objects follow as ADDED */
	void (*object)(void *ctx, enum kube_watch_type type, const struct cJSON *object);
	void (*list_end)(void *ctx); /* the list is complete; the watch follows */
};

struct kube_watch_stats {
	uint64_t lists;     /* lists completed */
	uint64_t watches;   /* watch requests started */
	uint64_t events;    /* ADDED, MODIFIED, DELETED events received on watches */
	uint64_t bookmarks; /* BOOKMARK events */
	uint64_t gone;      /* 410s, as a status or an ERROR event */
	uint64_t failures;  /* requests that failed (each followed by a backoff) */
	uint64_t cut;       /* lines or list pages past their bound */
};

/* Starts listing at once (libcurl is loaded here). Copies cfg. Returns 0, -ENOPKG (libcurl
 * missing), -ENOMEM or -EINVAL. */
int kube_watch_new(struct loop *l, const struct kube_watch_config *cfg, const struct kube_watch_ops *ops,
                   void *ctx, struct kube_watch **ret);
/* Stops and frees. NULL ok. Not from one of its callbacks. */
void kube_watch_free(struct kube_watch *w);

void kube_watch_get_stats(const struct kube_watch *w, struct kube_watch_stats *ret);
/* The resourceVersion the next watch starts from ("" before the first list). */
const char *kube_watch_resource_version(const struct kube_watch *w);

/* Frames a stream into lines (pure): appends len bytes of data to the line held in buf (of *used
 * bytes, at most max) and calls fn for each complete line (without its '\n'; a trailing '\r' cut;
 * empty lines skipped) until fn returns non-zero. Returns 0, fn's non-zero value, or -EMSGSIZE
 * when a line grows past max (the bytes held are dropped). buf is malloc'ed and grown as needed
 * (*cap bytes); -ENOMEM when it cannot grow. */
int kube_lines_feed(char **buf, size_t *used, size_t *cap, size_t max, const char *data, size_t len,
                    int (*fn)(void *userdata, char *line, size_t len), void *userdata);

/* Percent-encodes s for a query value (everything but RFC 3986's unreserved). NULL on ENOMEM. */
char *kube_query_escape(const char *s);
