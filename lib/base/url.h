/* URLs as memhook prints them: without user name and password. Pure string work; never loads
 * libcurl. */
#pragma once

/* url with its userinfo (user name and password) replaced by "***": "alice:PW@host" shows as
 * "***@host", and so does "tok@host" (a lone user name is often a token). The
 * authority ends at the first '/', '?' or '#' after "scheme://" and the userinfo at its last '@',
 * so an '@' in the path or query is left alone and one in the password is hidden with it. A
 * string without "://" is copied; whatever stands before it counts as the scheme. Returns a
 * malloc'd string, or NULL when out of memory. */
char *url_redact(const char *url);
