/* Where a value is in JSON text: cJSON keeps no positions, so a message that names a JSON path
 * ("handlers[0].webhook.headers.Host") finds its place by reading the text again. */
#pragma once

#include <stddef.h>

/* Nested arrays and objects followed at most: cJSON's CJSON_NESTING_LIMIT, so any text cJSON
 * parsed is within it. */
#define JSON_LOCATE_MAX_DEPTH 1000

/* The offset in buf[0..len) of what path names: keys after '.', array indexes in brackets
 * ("levels[2].when.all[1].local_relative"; "" is the whole text). A key is found by its opening
 * quote, compared after unescaping; an array element by its first byte. When an object holds a
 * key more than once, the first is followed (as cJSON's lookups do); nth picks, for the path's last
 * key, the nth (from 0) of its members with that key (1: the first duplicate). The text is read as
 * cJSON reads it (its white space, numbers and escapes) only as far as needed, never past len.
 * Returns 0 and *ret_offset; -ENOENT when the path is not in the text; -ENOTUNIQ when an object on
 * the way also holds a key with '.' or '[' that the rest of the path could name; -EINVAL for a
 * malformed path or text; -E2BIG for text nested deeper than JSON_LOCATE_MAX_DEPTH. */
int json_locate(const char *buf, size_t len, const char *path, unsigned nth, size_t *ret_offset);
