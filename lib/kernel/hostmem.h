/* The host's memory from <proc_root>/meminfo, through an fd kept open. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct hostmem {
	int meminfo_fd;
};

/* Opens <proc_root>/meminfo. Returns 0 or -errno. */
int hostmem_open(const char *proc_root, struct hostmem *ret);
void hostmem_close(struct hostmem *h);
/* MemTotal and MemAvailable in bytes, one read. Returns 0, -EBADMSG or -errno. */
int hostmem_read(struct hostmem *h, uint64_t *ret_total_bytes, uint64_t *ret_available_bytes);
/* Pure: parses meminfo text ("MemTotal:  123 kB"); both keys required (the first line of each),
 * MemTotal above 0 and MemAvailable at most MemTotal. Stops once both are read: nothing after the
 * later of the two lines is looked at. Returns 0 or -EBADMSG. */
int meminfo_parse(const char *buf, size_t len, uint64_t *ret_total_bytes, uint64_t *ret_available_bytes);
