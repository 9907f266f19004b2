/* json_locate: the input is a path, a newline, then the text. Never reads past the text (a copy of
 * exactly its bytes); a place found is inside it, at a key's quote or a value's first byte; and
 * on text cJSON parses, it finds what cJSON's lookups find (the first of repeated keys), the key
 * at that place reading as the path's last key. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>

#include "fuzz.h"
#include "base/json_locate.h"

/* True when text has a \u escape cJSON reads as U+0000 (policy_parse refuses such text first). */
static bool has_nul_escape(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u') {
			if (i + 5 >= len || memcmp(s + i + 2, "0000", 4) == 0)
				return true;
			for (size_t k = 2; k <= 5; k++)
				if (!strchr("0123456789abcdefABCDEF", s[i + k]) || !s[i + k])
					return true;
		}
		i++;
	}
	return false;
}

/* The value path names in root, the way json_locate reads a path; *ret_bad when the path is
 * malformed; *ret_last_key the last segment when it is a key (malloc'd). */
static const cJSON *walk(const cJSON *root, const char *path, bool *ret_bad, char **ret_last_key)
{
	const cJSON *it = root;
	bool first = true;
	*ret_bad = false;
	*ret_last_key = NULL;
	for (const char *p = path; *p; first = false) {
		free(*ret_last_key);
		*ret_last_key = NULL;
		if (*p == '[') {
			const char *q = p + 1;
			unsigned long long v = 0;
			if (*q < '0' || *q > '9' || (*q == '0' && q[1] >= '0' && q[1] <= '9')) {
				*ret_bad = true;
				return NULL;
			}
			for (; *q >= '0' && *q <= '9'; q++) {
				if (v > (SIZE_MAX - (size_t)(*q - '0')) / 10) {
					*ret_bad = true;
					return NULL;
				}
				v = v * 10 + (unsigned long long)(*q - '0');
			}
			if (*q != ']') {
				*ret_bad = true;
				return NULL;
			}
			p = q + 1;
			if (it && cJSON_IsArray(it) && v < (unsigned long long)cJSON_GetArraySize(it))
				it = cJSON_GetArrayItem(it, (int)v);
			else
				it = NULL;
			continue;
		}
		if (!first && *p++ != '.') {
			*ret_bad = true;
			return NULL;
		}
		size_t n = strcspn(p, ".[");
		char *key = strndup(p, n);
		if (!key)
			abort();
		it = it && cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, key) : NULL;
		*ret_last_key = key;
		p += n;
	}
	return it;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	char *path = fuzz_strndup(data, (size_t)(nl - data));
	size_t len = size - (size_t)(nl - data) - 1;
	char *text = fuzz_memdup(nl + 1, len);
	size_t off = 0;

	if (strlen(path) != (size_t)(nl - data))
		goto out; /* a NUL in the path: not a C string */
	for (unsigned nth = 0; nth < 2; nth++) {
		int r = json_locate(text, len, path, nth, &off);
		FUZZ_ASSERT(r == 0 || r == -ENOENT || r == -ENOTUNIQ || r == -EINVAL || r == -E2BIG);
		if (r == 0) {
			FUZZ_ASSERT(off < len);
			FUZZ_ASSERT(strchr("\"{[-0123456789tfn", text[off]) && text[off]);
		}
	}

	/* against cJSON, on text it parses whole */
	char *z = fuzz_strndup(nl + 1, len);
	const char *end = NULL;
	cJSON *root = memchr(text, '\0', len) || has_nul_escape(text, len)
	                      ? NULL
	                      : cJSON_ParseWithLengthOpts(z, len + 1, &end, true);
	if (root) {
		bool bad;
		char *last_key;
		const cJSON *want = walk(root, path, &bad, &last_key);
		int r = json_locate(text, len, path, 0, &off);
		if (bad)
			FUZZ_ASSERT(r == -EINVAL);
		else if (want)
			FUZZ_ASSERT(r == 0 || r == -ENOTUNIQ);
		else
			FUZZ_ASSERT(r == -ENOENT || r == -ENOTUNIQ);
		if (r == 0 && last_key && want) {
			/* the place is the key's opening quote: the string there reads as the key */
			FUZZ_ASSERT(text[off] == '"');
			cJSON *k = cJSON_ParseWithOpts(z + off, NULL, false);
			FUZZ_ASSERT(k && cJSON_IsString(k) && strcmp(k->valuestring, last_key) == 0);
			cJSON_Delete(k);
		}
		free(last_key);
		cJSON_Delete(root);
	}
	free(z);
out:
	free(text);
	free(path);
	return 0;
}
