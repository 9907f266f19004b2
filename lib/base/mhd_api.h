/* libmicrohttpd, loaded with dlopen when --listen is given. It pulls in GnuTLS (and through it
 * nettle, p11-kit, libtasn1...): a memhook without --listen maps none of it (README Benchmarks). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct mhd_api {
	struct MHD_Daemon *(*start_daemon)(unsigned int flags, uint16_t port, MHD_AcceptPolicyCallback apc,
	                                   void *apc_cls, MHD_AccessHandlerCallback dh, void *dh_cls, ...);
	void (*stop_daemon)(struct MHD_Daemon *daemon);
	const union MHD_DaemonInfo *(*get_daemon_info)(struct MHD_Daemon *daemon,
	                                               enum MHD_DaemonInfoType info_type, ...);
	const union MHD_ConnectionInfo *(*get_connection_info)(struct MHD_Connection *connection,
	                                                       enum MHD_ConnectionInfoType info_type, ...);
	enum MHD_Result (*run)(struct MHD_Daemon *daemon);
	enum MHD_Result (*get_timeout)(struct MHD_Daemon *daemon, MHD_UNSIGNED_LONG_LONG *timeout);
	struct MHD_Response *(*create_response_from_buffer)(size_t size, void *buffer,
	                                                    enum MHD_ResponseMemoryMode mode);
	enum MHD_Result (*add_response_header)(struct MHD_Response *response, const char *header,
	                                       const char *content);
	enum MHD_Result (*queue_response)(struct MHD_Connection *connection, unsigned int status_code,
	                                  struct MHD_Response *response);
	void (*destroy_response)(struct MHD_Response *response);
	enum MHD_Result (*add_connection)(struct MHD_Daemon *daemon, MHD_socket client_socket,
	                                  const struct sockaddr *addr, socklen_t addrlen);
	int (*get_connection_values)(struct MHD_Connection *connection, enum MHD_ValueKind kind,
	                             MHD_KeyValueIterator iterator, void *iterator_cls);
	const char *(*lookup_connection_value)(struct MHD_Connection *connection, enum MHD_ValueKind kind,
	                                       const char *key);
	struct MHD_Response *(*create_response_from_callback)(uint64_t size, size_t block_size,
	                                                      MHD_ContentReaderCallback crc, void *crc_cls,
	                                                      MHD_ContentReaderFreeCallback crfc);
	void (*suspend_connection)(struct MHD_Connection *connection);
	void (*resume_connection)(struct MHD_Connection *connection);
};

/* Filled by mhd_api_load(); all NULL before. */
extern struct mhd_api mhd_api;

/* Loads libmicrohttpd.so.12 and resolves every function (once; later calls return at once).
 * Returns 0, or -ENOPKG with dlerror()'s text in err. */
int mhd_api_load(char *err, size_t err_size);
