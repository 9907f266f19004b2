/* The status file: built with cJSON (level names are the policy's, any string), written whole. */
#include "output/status.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "output/payload.h"
#include "base/util.h"

/* The document, compact, with a final newline (malloc'd); NULL on allocation failure. */
static char *status_json(const struct status *st)
{
	char ts[64];
	if (payload_format_time(st->real_usec, ts, sizeof(ts)) < 0)
		return NULL;
	cJSON *o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "time", ts) ||
	    !cJSON_AddNumberToObject(o, "level", (double)st->level) ||
	    !cJSON_AddStringToObject(o, "level_name", st->level_name ? st->level_name : "?") ||
	    !cJSON_AddNumberToObject(o, "checks", (double)st->checks) ||
	    !cJSON_AddNumberToObject(o, "seq", (double)st->seq) ||
	    !cJSON_AddBoolToObject(o, "target_present", st->target_present) ||
	    !cJSON_AddBoolToObject(o, "paused", st->paused) ||
	    !cJSON_AddNumberToObject(o, "action_failures", (double)st->action_failures)) {
		cJSON_Delete(o);
		return NULL;
	}
	if (st->sample) {
		cJSON *s = payload_sample_json(st->sample);
		if (!s || !cJSON_AddItemToObject(o, "sample", s)) {
			cJSON_Delete(s);
			cJSON_Delete(o);
			return NULL;
		}
	}
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return NULL;
	size_t len = strlen(text);
	char *line = realloc(text, len + 2);
	if (!line) {
		free(text);
		return NULL;
	}
	line[len] = '\n';
	line[len + 1] = '\0';
	return line;
}

/* Writes all of buf to fd. Returns 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int status_write(const char *path, const struct status *st)
{
	char tmp[PATH_MAX];
	_cleanup_free_ char *text = status_json(st);
	if (!text)
		return -ENOMEM;
	int fd = open_temp_beside(path, tmp);
	if (fd < 0)
		return fd;
	int r = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}
