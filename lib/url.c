/* URLs as memhook prints them: without user name and password. */
#include "url.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), here [s, e). */
static bool is_scheme(const char *s, const char *e)
{
	if (s == e || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (s++; s < e; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '+' || *s == '-' || *s == '.'))
			return false;
	return true;
}

char *url_redact(const char *url)
{
	const char *sep = strstr(url, "://");
	if (!sep || !is_scheme(url, sep))
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
