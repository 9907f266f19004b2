#include "base/curl_api.h"

#include <errno.h>
#include <stdio.h>

#include "base/util.h"

struct curl_api curl_api;
static void *curl_handle;
/* Users of curl_global_init: libcurl's own process-wide state, counted beside its table. */
static unsigned curl_global_users;

int curl_api_load(char *err, size_t err_size)
{
	static const struct dl_symbol syms[] = {
#define SYM(field) { "curl_" #field, offsetof(struct curl_api, field) }
		SYM(global_init),  SYM(global_cleanup),   SYM(easy_init),           SYM(easy_setopt),
		SYM(easy_getinfo), SYM(easy_cleanup),     SYM(easy_strerror),       SYM(multi_init),
		SYM(multi_setopt), SYM(multi_add_handle), SYM(multi_remove_handle), SYM(multi_socket_action),
		SYM(multi_assign), SYM(multi_info_read),  SYM(multi_cleanup),       SYM(multi_strerror),
		SYM(slist_append), SYM(slist_free_all),
#undef SYM
	};
	if (curl_handle)
		return 0;
	struct curl_api api;
	void *h;
	int r = dl_load_symbols("libcurl.so.4", "libcurl", syms, ARRAY_SIZE(syms), &api, &h, err, err_size);
	if (r < 0)
		return r;
	curl_api = api;
	curl_handle = h;
	return 0;
}

int curl_api_global_acquire(char *err, size_t err_size)
{
	int r = curl_api_load(err, err_size);
	if (r < 0)
		return r;
	if (curl_global_users == 0 && curl_api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, err_size, "curl_global_init failed");
		return -EIO;
	}
	curl_global_users++;
	return 0;
}

void curl_api_global_release(void)
{
	if (curl_global_users > 0 && --curl_global_users == 0)
		curl_api.global_cleanup();
}
