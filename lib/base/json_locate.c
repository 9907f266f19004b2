/* Finds a JSON path in JSON text with a small tokenizer that reads what cJSON reads. */
#include "base/json_locate.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct text {
	const unsigned char *s;
	size_t len;
};

static bool at(const struct text *t, size_t i, char c)
{
	return i < t->len && t->s[i] == (unsigned char)c;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* cJSON's white space: any byte up to 0x20. */
static size_t skip_ws(const struct text *t, size_t i)
{
	while (i < t->len && t->s[i] <= 0x20)
		i++;
	return i;
}

/* Reads four hex digits at i into *ret. Returns 0 or -EINVAL (cJSON reads a bad digit as U+0000;
 * policy_parse refuses such text first). */
static int hex4(const struct text *t, size_t i, unsigned *ret)
{
	unsigned v = 0;
	if (i > t->len || t->len - i < 4)
		return -EINVAL;
	for (size_t k = 0; k < 4; k++) {
		unsigned char c = t->s[i + k];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v * 16 + d;
	}
	*ret = v;
	return 0;
}

/* The UTF-8 bytes of code point cp (at most U+10FFFF) into out; returns their number. */
static size_t utf8_encode(unsigned cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | (cp >> 6));
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | (cp >> 12));
		out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | (cp >> 18));
	out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The escapes of one character (RFC 8259, section 7) and the character each stands for. */
static const char simple_escapes[] = "\"\\/bfnrt";
static const char simple_escaped[] = "\"\\/\b\f\n\r\t";

/* Reads the string whose opening quote is at *pos and leaves *pos after its closing quote.
 * *ret_prefix is the length of the decoded string when it is a prefix of want (NUL-terminated),
 * else SIZE_MAX. Escapes as cJSON decodes them (a surrogate pair is one code point; a lone
 * surrogate is refused); any other byte stands for itself. Returns 0 or -EINVAL. */
static int read_string(const struct text *t, size_t *pos, const char *want, size_t *ret_prefix)
{
	size_t i = *pos + 1, n = 0;
	bool match = true;

	for (;;) {
		unsigned char out[4];
		size_t k = 1;
		if (i >= t->len)
			return -EINVAL;
		unsigned char c = t->s[i];
		if (c == '"')
			break;
		if (c != '\\') {
			out[0] = c;
			i++;
		} else {
			if (i + 1 >= t->len)
				return -EINVAL;
			unsigned char e = t->s[i + 1];
			i += 2;
			const char *simple = e ? strchr(simple_escapes, e) : NULL;
			if (simple) {
				out[0] = (unsigned char)simple_escaped[simple - simple_escapes];
			} else if (e == 'u') {
				unsigned cp, lo;
				if (hex4(t, i, &cp) < 0)
					return -EINVAL;
				i += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return -EINVAL; /* a low surrogate first */
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (!at(t, i, '\\') || !at(t, i + 1, 'u') ||
					    hex4(t, i + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
						return -EINVAL;
					i += 6;
					cp = 0x10000 + (((cp & 0x3ff) << 10) | (lo & 0x3ff));
				}
				k = utf8_encode(cp, out);
			} else {
				return -EINVAL;
			}
		}
		for (size_t j = 0; match && j < k; j++, n++)
			if (want[n] == '\0' || (unsigned char)want[n] != out[j])
				match = false;
	}
	*pos = i + 1;
	*ret_prefix = match ? n : SIZE_MAX;
	return 0;
}

/* A number as cJSON reads it (strtod's decimal form, so also "01", "1." and "-.5"):
 * -?digits*(.digits*)?([eE][+-]?digits+)? with at least one digit before the exponent. Leaves
 * *pos after it. Returns 0 or -EINVAL. */
static int read_number(const struct text *t, size_t *pos)
{
	size_t i = *pos, digits = 0;

	if (at(t, i, '-'))
		i++;
	for (; i < t->len && is_digit((char)t->s[i]); i++)
		digits++;
	if (at(t, i, '.'))
		for (i++; i < t->len && is_digit((char)t->s[i]); i++)
			digits++;
	if (digits == 0)
		return -EINVAL;
	if (at(t, i, 'e') || at(t, i, 'E')) {
		size_t j = i + 1;
		if (at(t, j, '+') || at(t, j, '-'))
			j++;
		if (j < t->len && is_digit((char)t->s[j])) {
			while (j < t->len && is_digit((char)t->s[j]))
				j++;
			i = j;
		}
	}
	*pos = i;
	return 0;
}

static int skip_value(const struct text *t, size_t *pos, unsigned depth);

/* Reads the members (an object's, with keys) or elements after the opening bracket at *pos, up to
 * the closing one, and leaves *pos after it. Returns 0, -EINVAL or -E2BIG. */
static int skip_container(const struct text *t, size_t *pos, unsigned depth)
{
	bool object = t->s[*pos] == '{';
	char close = object ? '}' : ']';
	size_t i, n;
	int r;

	if (depth >= JSON_LOCATE_MAX_DEPTH)
		return -E2BIG;
	i = skip_ws(t, *pos + 1);
	if (at(t, i, close)) {
		*pos = i + 1;
		return 0;
	}
	for (;;) {
		if (object) {
			if (!at(t, i, '"'))
				return -EINVAL;
			if ((r = read_string(t, &i, "", &n)) < 0)
				return r;
			i = skip_ws(t, i);
			if (!at(t, i, ':'))
				return -EINVAL;
			i = skip_ws(t, i + 1);
		}
		if ((r = skip_value(t, &i, depth + 1)) < 0)
			return r;
		i = skip_ws(t, i);
		if (at(t, i, ',')) {
			i = skip_ws(t, i + 1);
			continue;
		}
		if (!at(t, i, close))
			return -EINVAL;
		*pos = i + 1;
		return 0;
	}
}

/* Reads the value at *pos (depth: the arrays and objects around it) and leaves *pos after it.
 * Returns 0, -EINVAL or -E2BIG. */
static int skip_value(const struct text *t, size_t *pos, unsigned depth)
{
	static const char *const literals[] = { "null", "false", "true" };
	size_t n;

	if (*pos >= t->len)
		return -EINVAL;
	switch (t->s[*pos]) {
	case '"':
		return read_string(t, pos, "", &n);
	case '{':
	case '[':
		return skip_container(t, pos, depth);
	case '-':
		return read_number(t, pos);
	default:
		if (is_digit((char)t->s[*pos]))
			return read_number(t, pos);
		for (size_t k = 0; k < sizeof(literals) / sizeof(literals[0]); k++) {
			n = strlen(literals[k]);
			if (t->len - *pos >= n && memcmp(t->s + *pos, literals[k], n) == 0) {
				*pos += n;
				return 0;
			}
		}
		return -EINVAL;
	}
}

/* Steps into the array or object (between open and close) at *pos, depth deep: leaves *pos at its
 * first element or key. Returns 0, -ENOENT (none there, or empty) or -E2BIG (too deep). */
static int enter(const struct text *t, size_t *pos, unsigned depth, char open, char close)
{
	if (!at(t, *pos, open))
		return -ENOENT;
	if (depth >= JSON_LOCATE_MAX_DEPTH)
		return -E2BIG;
	size_t i = skip_ws(t, *pos + 1);
	if (at(t, i, close))
		return -ENOENT;
	*pos = i;
	return 0;
}

/* The array element `index` of the array at *pos: leaves *pos at its first byte (of a whole value). Returns
 * 0, -ENOENT (no array, or fewer elements), -EINVAL or -E2BIG. */
static int find_element(const struct text *t, size_t *pos, unsigned depth, size_t index)
{
	size_t i = *pos;
	int r;

	if ((r = enter(t, &i, depth, '[', ']')) < 0)
		return r;
	for (size_t k = 0;; k++) {
		size_t start = i;
		if ((r = skip_value(t, &i, depth + 1)) < 0)
			return r; /* the element found is a whole value too */
		if (k == index) {
			*pos = start;
			return 0;
		}
		i = skip_ws(t, i);
		if (at(t, i, ']'))
			return -ENOENT;
		if (!at(t, i, ','))
			return -EINVAL;
		i = skip_ws(t, i + 1);
	}
}

/* The member of the object at *pos whose key is rest[0..key_len), the nth with that key: leaves
 * *pos at its value and *ret_key at its key's opening quote. rest is the path from this key on,
 * for the keys with '.' or '[' it could name. Reads the whole object. Returns 0, -ENOENT,
 * -ENOTUNIQ, -EINVAL or -E2BIG. */
static int find_member(const struct text *t, size_t *pos, unsigned depth, const char *rest, size_t key_len,
                       unsigned nth, size_t *ret_key)
{
	size_t i = *pos, key = SIZE_MAX, value = SIZE_MAX;
	unsigned seen = 0;
	int r;

	if ((r = enter(t, &i, depth, '{', '}')) < 0)
		return r;
	for (;;) {
		size_t k = i, n;
		if (!at(t, i, '"'))
			return -EINVAL;
		if ((r = read_string(t, &i, rest, &n)) < 0)
			return r;
		bool match = n == key_len && seen++ == nth;
		if (n != SIZE_MAX && n > key_len && (rest[n] == '\0' || rest[n] == '.' || rest[n] == '['))
			return -ENOTUNIQ; /* "a.b": the key "a.b", or "b" in "a"? */
		i = skip_ws(t, i);
		if (!at(t, i, ':'))
			return -EINVAL;
		i = skip_ws(t, i + 1);
		if (match) {
			key = k;
			value = i;
		}
		if ((r = skip_value(t, &i, depth + 1)) < 0)
			return r;
		i = skip_ws(t, i);
		if (at(t, i, '}'))
			break;
		if (!at(t, i, ','))
			return -EINVAL;
		i = skip_ws(t, i + 1);
	}
	if (value == SIZE_MAX)
		return -ENOENT;
	*pos = value;
	*ret_key = key;
	return 0;
}

/* "[123]" at p: the index into *ret and the end of the bracket into *ret_end. No sign, no leading
 * zero (as want_path_index writes it). Returns 0 or -EINVAL. */
static int parse_index(const char *p, size_t *ret, const char **ret_end)
{
	size_t v = 0;
	const char *q = p + 1;

	if (!is_digit(*q) || (*q == '0' && is_digit(q[1])))
		return -EINVAL;
	for (; is_digit(*q); q++) {
		size_t d = (size_t)(*q - '0');
		if (v > (SIZE_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (*q != ']')
		return -EINVAL;
	*ret = v;
	*ret_end = q + 1;
	return 0;
}

/* True when path is well formed: keys joined by '.', indexes "[n]" (parse_index). Checked before
 * the text is read, so a malformed path is -EINVAL whatever the text. */
static bool path_valid(const char *path)
{
	size_t index;
	bool first = true;
	for (const char *p = path; *p; first = false) {
		if (*p == '[') {
			if (parse_index(p, &index, &p) < 0)
				return false;
			continue;
		}
		if (!first && *p++ != '.')
			return false;
		p += strcspn(p, ".[");
	}
	return true;
}

int json_locate(const char *buf, size_t len, const char *path, unsigned nth, size_t *ret_offset)
{
	const struct text t = { (const unsigned char *)buf, len };
	size_t i = 0, found;
	unsigned depth = 0;
	int r;

	if (!path_valid(path))
		return -EINVAL;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3; /* cJSON skips a byte order mark */
	i = skip_ws(&t, i);
	if (i >= len)
		return -EINVAL;
	found = i;
	if (!*path) { /* the whole text: a whole value too */
		size_t end = i;
		if ((r = skip_value(&t, &end, 0)) < 0)
			return r;
	}
	for (const char *p = path; *p; depth++) {
		if (*p == '[') {
			size_t index;
			if ((r = parse_index(p, &index, &p)) < 0)
				return r;
			if ((r = find_element(&t, &i, depth, index)) < 0)
				return r;
			found = i;
			continue;
		}
		if (depth > 0 && *p++ != '.')
			return -EINVAL; /* a key after the first comes after a '.' */
		size_t key_len = strcspn(p, ".[");
		bool last = p[key_len] == '\0';
		if ((r = find_member(&t, &i, depth, p, key_len, last ? nth : 0, &found)) < 0)
			return r;
		p += key_len;
	}
	*ret_offset = found;
	return 0;
}
