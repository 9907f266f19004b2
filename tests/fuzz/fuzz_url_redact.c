/* url_redact: a webhook URL from the policy, printed in logs and by `check`. What the redacted
 * copy keeps: never the text between "://" and the authority's last '@'; its length never grows by
 * more than the "***" marker. */
#include <string.h>

#include "fuzz.h"
#include "base/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = fuzz_strndup(data, size);
	char *out = url_redact(url);
	FUZZ_ASSERT(out != NULL);
	FUZZ_ASSERT(strlen(out) <= strlen(url) + 3);
	/* a password is never shown: "scheme://user:SECRET@host" never keeps its SECRET */
	const char *sep = strstr(url, "://");
	if (sep) {
		const char *auth = sep + 3;
		size_t auth_len = strcspn(auth, "/?#");
		const char *at = NULL;
		for (const char *p = auth; p < auth + auth_len; p++)
			if (*p == '@')
				at = p;
		if (at && at > auth) {
			size_t n = (size_t)(at - auth);
			FUZZ_ASSERT(strncmp(out + (sep + 3 - url), "***@", 4) == 0 || n == 0);
		}
	}
	free(out);
	free(url);
	return 0;
}
