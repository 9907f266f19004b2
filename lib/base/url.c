/* URLs as memhook prints them: without user name and password. */
#include "base/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *url_redact(const char *url)
{
	/* Any text before "://" counts as a scheme, valid or not: when in doubt, hide (a receiver's
	 * redirect target is logged too, and it chose the text). */
	const char *sep = strstr(url, "://");
	if (!sep)
		return strdup(url);
	const char *auth = sep + 3;
	size_t auth_len = strcspn(auth, "/?#");
	const char *at = memrchr(auth, '@', auth_len);
	if (!at)
		return strdup(url);
	char *s;
	if (asprintf(&s, "%.*s***%s", (int)(auth - url), url, at) < 0)
		return NULL;
	return s;
}
