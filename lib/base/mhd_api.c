#include "base/mhd_api.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

struct mhd_api mhd_api;
static void *mhd_handle;

int mhd_api_load(char *err, size_t err_size)
{
	static const struct {
		const char *name;
		size_t offset;
	} syms[] = {
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
#undef SYM
	};
	if (mhd_handle)
		return 0;
	void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(err, err_size, "cannot load libmicrohttpd: %s", dlerror());
		return -ENOPKG;
	}
	struct mhd_api api;
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			snprintf(err, err_size, "libmicrohttpd.so.12 lacks %s", syms[i].name);
			dlclose(h);
			return -ENOPKG;
		}
		/* POSIX guarantees object and function pointers convert through dlsym's void *. */
		*(void **)((char *)&api + syms[i].offset) = f;
	}
	mhd_api = api;
	mhd_handle = h;
	return 0;
}
