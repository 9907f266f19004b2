#include "base/mhd_api.h"

#include <errno.h>
#include <stdio.h>

#include "base/util.h"

struct mhd_api mhd_api;
static void *mhd_handle;

int mhd_api_load(char *err, size_t err_size)
{
	static const struct dl_symbol syms[] = {
#define SYM(field) { "MHD_" #field, offsetof(struct mhd_api, field) }
		SYM(start_daemon),
		SYM(stop_daemon),
		SYM(get_daemon_info),
		SYM(get_connection_info),
		SYM(run),
		SYM(get_timeout),
		SYM(create_response_from_buffer),
		SYM(add_response_header),
		SYM(queue_response),
		SYM(destroy_response),
		SYM(add_connection),
		SYM(get_connection_values),
		SYM(lookup_connection_value),
		SYM(create_response_from_callback),
		SYM(suspend_connection),
		SYM(resume_connection),
#undef SYM
	};
	if (mhd_handle)
		return 0;
	struct mhd_api api;
	void *h;
	int r = dl_load_symbols("libmicrohttpd.so.12", "libmicrohttpd", syms, ARRAY_SIZE(syms), &api, &h, err,
	                        err_size);
	if (r < 0)
		return r;
	mhd_api = api;
	mhd_handle = h;
	return 0;
}
