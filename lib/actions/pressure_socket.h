/* systemd's memory-pressure protocol, served (systemd docs/PRESSURE.md): a service whose
 * $MEMORY_PRESSURE_WATCH names an AF_UNIX stream socket connects to it and waits for POLLIN; a
 * FIFO it opens and waits for POLLIN likewise. Each time a pressure_watch handler fires, memhook
 * makes every connected client readable: it sends one line ("entered 2 high\n"), which the client
 * reads and ignores (sd-event does). What a client writes (its $MEMORY_PRESSURE_WRITE, a PSI
 * trigger line) is read and ignored, at most PRESSURE_CLIENT_WRITE_MAX_BYTES.
 *
 * Never blocking: sends are non-blocking, and a client that never reads keeps the bytes it has
 * (still readable: it is notified); a full socket buffer drops the line, not the client. At most
 * PRESSURE_CLIENTS_MAX clients per socket. Notifications of one path come at most every
 * min_interval: a firing within it is sent when it ends (the latest line).
 *
 * A FIFO carries one reader: bytes read by one are gone for the others. memhook holds it open
 * read-write so it never blocks or sees EOF, and writes one line per notification while the
 * pipe has room. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct loop;
struct metrics;
struct pressure_sockets;

/* The set of paths served for one monitor; m counts the clients notified (NULL: not counted). */
struct pressure_sockets *pressure_sockets_new(struct loop *l, struct metrics *m);
/* Stops serving every path: clients closed, the socket or FIFO memhook made removed. NULL ok. */
void pressure_sockets_free(struct pressure_sockets *ps);

/* Serves every pressure_watch path of handlers hs[0..n) (one server per path, however many
 * handlers name it; a path served already keeps its clients) and stops serving the paths no
 * longer named. A path that cannot be served is logged at error (and its handlers' notifications
 * fail until a reload serves it). Returns how many paths are served. */
size_t pressure_sockets_sync(struct pressure_sockets *ps, const struct handler *hs, size_t n);

/* Notifies the clients of cfg's path with line (one line, '\n'-terminated, copied), now or, within
 * its min_interval of the last, at its end. Returns the clients made readable now (0: none
 * connected, or deferred), or -ENOENT when the path is not served. */
int pressure_sockets_notify(struct pressure_sockets *ps, const struct pressure_watch_cfg *cfg,
                            const char *line, uint64_t now_usec);

/* Clients connected to path's socket (a FIFO: 0), or -ENOENT when it is not served. */
int pressure_sockets_clients(const struct pressure_sockets *ps, const char *path);
