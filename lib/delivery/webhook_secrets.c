/* Webhook secrets (webhook_secrets.h). The text read is wiped once its keys are copied. */
#include "delivery/webhook_secrets.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"

#define STR_(x)      #x
#define STRINGIFY(x) STR_(x)

/* The value of one base64 character, or -1. */
static int b64_value(char ch)
{
	if ('A' <= ch && ch <= 'Z')
		return ch - 'A';
	if ('a' <= ch && ch <= 'z')
		return ch - 'a' + 26;
	if ('0' <= ch && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/* Decodes standard base64 (padding optional) into out (room for len bytes). Returns the number of
 * bytes, or -EINVAL. */
static ssize_t b64_decode(const char *s, size_t len, unsigned char *out)
{
	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -EINVAL;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(s[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (ssize_t)n;
}

int webhook_parse_secrets(const char *text, size_t len, unsigned char *decoded,
                          struct webhook_key ret_keys[WEBHOOK_SECRETS_MAX])
{
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];
	int n = 0;
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
			i++;
		if (n == WEBHOOK_SECRETS_MAX)
			return -E2BIG;
		const char *tok = text + start;
		size_t tok_len = i - start;
		if (tok_len > 6 && memcmp(tok, "whsec_", 6) == 0) {
			ssize_t k = b64_decode(tok + 6, tok_len - 6, decoded + out);
			if (k <= 0)
				return -EINVAL;
			keys[n++] = (struct webhook_key){ decoded + out, (size_t)k };
			out += (size_t)k;
		} else
			keys[n++] = (struct webhook_key){ (const unsigned char *)tok, tok_len };
	}
	if (n == 0)
		return -EINVAL;
	memcpy(ret_keys, keys, (size_t)n * sizeof(keys[0]));
	return n;
}

/* Reads the secret text of cfg into buf (NUL-terminated): the file (regular, opened O_NONBLOCK:
 * read_regular_file) or the variable. Returns its length, -EBADFD, -EFBIG or -errno. */
static ssize_t read_secret(const struct webhook_cfg *cfg, char *buf, size_t size)
{
	if (cfg->secret_file)
		return read_regular_file(cfg->secret_file, buf, size, NULL);
	const char *v = getenv(cfg->secret_env);
	if (!v)
		return -ENOENT;
	size_t n = strlen(v);
	if (n >= size)
		return -EFBIG;
	memcpy(buf, v, n + 1);
	return (ssize_t)n;
}

int webhook_keys_load(const struct webhook_cfg *cfg, const char *tag, struct webhook_keys *ret)
{
	char text[WEBHOOK_SECRET_MAX_BYTES + 1];
	unsigned char decoded[WEBHOOK_SECRET_MAX_BYTES];
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];

	ssize_t n = read_secret(cfg, text, sizeof(text));
	int r = n < 0 ? (int)n : webhook_parse_secrets(text, (size_t)n, decoded, keys);
	if (r < 0) {
		if (r == -EINVAL || r == -E2BIG)
			log_msg_about(LOG_LEVEL_WARN, tag, "webhook %s: %s %s: %s", tag,
			              cfg->secret_file ? "secret_file" : "secret_env",
			              cfg->secret_file ? cfg->secret_file : cfg->secret_env,
			              r == -E2BIG ? "more than " STRINGIFY(WEBHOOK_SECRETS_MAX) " secrets"
			                          : "no secret, or a whsec_ secret that is not base64");
		goto out;
	}
	size_t total = 0;
	for (int k = 0; k < r; k++)
		total += keys[k].len;
	ret->data = malloc(total ? total : 1);
	if (!ret->data) {
		r = -ENOMEM;
		goto out;
	}
	ret->data_len = total;
	size_t off = 0;
	for (int k = 0; k < r; k++) {
		memcpy(ret->data + off, keys[k].bytes, keys[k].len);
		ret->keys[k] = (struct webhook_key){ ret->data + off, keys[k].len };
		off += keys[k].len;
	}
	ret->n = r;
	r = 0;
out:
	OPENSSL_cleanse(text, sizeof(text));
	OPENSSL_cleanse(decoded, sizeof(decoded));
	return r;
}

void webhook_keys_clear(struct webhook_keys *k)
{
	if (k->data) {
		OPENSSL_cleanse(k->data, k->data_len);
		free(k->data);
	}
	*k = (struct webhook_keys){ 0 };
}
