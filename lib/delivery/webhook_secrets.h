/* Webhook secrets: the text of a secret file or variable split into keys (plain, or whsec_ and
 * base64), each job keeping its own copy, wiped when freed. */
#pragma once

#include <stddef.h>

#include "base/defaults.h"
#include "policy/policy.h"

/* One secret's key: points into the text given to webhook_parse_secrets (plain) or into its
 * decode buffer (whsec_). */
struct webhook_key {
	const unsigned char *bytes;
	size_t len;
};

/* Splits text (len bytes) at spaces, tabs and newlines into at most WEBHOOK_SECRETS_MAX secrets.
 * "whsec_<base64>" is the base64-decoded key (standard alphabet, padding optional), written into
 * decoded (at least len bytes); anything else is its own bytes. Returns the number of keys (>= 1),
 * -EINVAL (no secret, a whsec_ that is not base64 or decodes to nothing) or -E2BIG (too many). */
int webhook_parse_secrets(const char *text, size_t len, unsigned char *decoded,
                          struct webhook_key ret_keys[WEBHOOK_SECRETS_MAX]);

/* A job's own keys: n keys pointing into data. */
struct webhook_keys {
	unsigned char *data;
	size_t data_len;
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];
	int n;
};

/* Reads cfg's secrets (secret_file, opened O_NONBLOCK and required to be a regular file, or
 * secret_env) into ret's own copy. Returns 0 or -errno (-EINVAL and -E2BIG, the text is no valid
 * secret, are logged at warn about tag; the secret is never logged). */
int webhook_keys_load(const struct webhook_cfg *cfg, const char *tag, struct webhook_keys *ret);
/* Wipes and frees the keys' data. */
void webhook_keys_clear(struct webhook_keys *k);
