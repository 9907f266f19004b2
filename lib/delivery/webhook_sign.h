/* Webhook signatures: Standard Webhooks v1 (webhook-id, webhook-timestamp, webhook-signature) and
 * memhook's own "<signature_header>: sha256=<hex>", as header lines of one attempt. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "delivery/http_multi.h"
#include "delivery/webhook_secrets.h"

/* HMAC-SHA256 of msg under key, lower-case hex (64 chars + NUL). Returns 0 or -EIO. */
int hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len, char ret_hex[65]);

/* Standard Webhooks v1: base64 of HMAC-SHA256 under key over "<id>.<timestamp>.<body>" (44 chars +
 * NUL). Returns 0, -ENOMEM or -EIO. */
int webhook_sign_standard(const void *key, size_t key_len, const char *id, uint64_t timestamp_sec,
                          const void *body, size_t len, char ret_b64[45]);

/* What signs one attempt: signatures (bits of enum webhook_signature), its message id, keys and
 * the name of memhook's own header. */
struct webhook_signer {
	unsigned signatures;
	const char *msg_id;
	const struct webhook_keys *keys;
	const char *signature_header;
};

/* Appends to *headers the signature headers of body (len bytes) sent at timestamp_sec. Returns 0,
 * -ENOMEM or -EIO. */
int webhook_sign_headers(const struct webhook_signer *s, uint64_t timestamp_sec, const void *body, size_t len,
                         struct curl_slist **headers);
