/* Parsers for the policy's units: sizes, durations, percents; and a checked number cursor. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Parses a decimal unsigned integer at *p, advancing *p past it. Overflow is checked before the
 * multiply. Returns 0, -EINVAL when no digit is there, -ERANGE on overflow. */
int units_parse_u64_cursor(const char **p, const char *end, uint64_t *ret);

/* "1048576", "64K", "64Ki", "32M", "32Mi", "1G", "1Gi" (also T/Ti). K = 1000, Ki = 1024.
 * The whole string must be consumed. Returns 0, -EINVAL or -ERANGE. */
int units_parse_size(const char *s, uint64_t *ret_bytes);

/* "250ms", "10s", "1m", "1h", also "500us". A bare number is an error (ambiguous).
 * Returns 0, -EINVAL or -ERANGE. */
int units_parse_duration(const char *s, uint64_t *ret_usec);

/* Formats bytes as e.g. "64.0Mi" into buf. Returns buf. */
char *units_format_size(uint64_t bytes, char *buf, size_t size);
/* Formats a duration as e.g. "250ms", "10s". Returns buf. */
char *units_format_duration(uint64_t usec, char *buf, size_t size);
