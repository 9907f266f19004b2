/* Webhook signatures (webhook_sign.h), with OpenSSL's one-shot HMAC(). */
#include "delivery/webhook_sign.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len, char ret_hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	static const char hex[] = "0123456789abcdef";

	if (key_len > INT32_MAX)
		return -EIO;
	/* HMAC() wants a non-NULL key even when empty. */
	if (!HMAC(EVP_sha256(), key_len ? key : "", (int)key_len, msg_len ? msg : (const void *)"", msg_len,
	          md, &md_len) ||
	    md_len != 32)
		return -EIO;
	for (unsigned i = 0; i < md_len; i++) {
		ret_hex[2 * i] = hex[md[i] >> 4];
		ret_hex[2 * i + 1] = hex[md[i] & 0xf];
	}
	ret_hex[64] = '\0';
	return 0;
}

int webhook_sign_standard(const void *key, size_t key_len, const char *id, uint64_t timestamp_sec,
                          const void *body, size_t len, char ret_b64[45])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	char prefix[128];

	if (key_len > INT32_MAX)
		return -EIO;
	int n = snprintf(prefix, sizeof(prefix), "%s.%" PRIu64 ".", id, timestamp_sec);
	if (n < 0 || (size_t)n >= sizeof(prefix))
		return -EIO;
	/* One buffer for HMAC(): the one-shot call is the API OpenSSL 3 has not deprecated. */
	_cleanup_free_ unsigned char *msg = malloc((size_t)n + len + 1);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, prefix, (size_t)n);
	if (len)
		memcpy(msg + n, body, len);
	if (!HMAC(EVP_sha256(), key_len ? key : "", (int)key_len, msg, (size_t)n + len, md, &md_len) ||
	    md_len != 32)
		return -EIO;
	EVP_EncodeBlock((unsigned char *)ret_b64, md, 32); /* 44 characters and a NUL */
	return 0;
}

int webhook_sign_headers(const struct webhook_signer *s, uint64_t timestamp_sec, const void *body, size_t len,
                         struct curl_slist **headers)
{
	const struct webhook_keys *keys = s->keys;
	char line[1024];
	int r;

	if (s->signatures & (1u << WEBHOOK_SIGNATURE_STANDARD)) {
		snprintf(line, sizeof(line), "webhook-id: %s", s->msg_id);
		if ((r = http_header_append(headers, line)) < 0)
			return r;
		snprintf(line, sizeof(line), "webhook-timestamp: %" PRIu64, timestamp_sec);
		if ((r = http_header_append(headers, line)) < 0)
			return r;
		if (keys->n > 0) {
			size_t n = (size_t)snprintf(line, sizeof(line), "webhook-signature:");
			for (int k = 0; k < keys->n; k++) {
				char b64[45];
				if ((r = webhook_sign_standard(keys->keys[k].bytes, keys->keys[k].len,
				                               s->msg_id, timestamp_sec, body, len, b64)) < 0)
					return r;
				n += (size_t)snprintf(line + n, sizeof(line) - n, " v1,%s", b64);
			}
			if ((r = http_header_append(headers, line)) < 0)
				return r;
		}
	}
	if ((s->signatures & (1u << WEBHOOK_SIGNATURE_MEMHOOK)) && keys->n > 0) {
		char hex[65];
		if ((r = hmac_sha256_hex(keys->keys[0].bytes, keys->keys[0].len, body, len, hex)) < 0)
			return r;
		_cleanup_free_ char *h = NULL;
		if (asprintf(&h, "%s: sha256=%s", s->signature_header, hex) < 0)
			return -ENOMEM;
		if ((r = http_header_append(headers, h)) < 0)
			return r;
	}
	return 0;
}
