/* webhook_parse_secrets: the text of a secret_file or secret_env (whsec_<base64> or raw, split at
 * white space). Every key returned lies inside the input or the decode buffer, and is not empty. */
#include <errno.h>

#include "fuzz.h"
#include "delivery/webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	unsigned char *decoded = malloc(size + 1);
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];
	if (!decoded)
		abort();

	int r = webhook_parse_secrets(text, size, decoded, keys);
	FUZZ_ASSERT(r == -EINVAL || r == -E2BIG || (r >= 1 && r <= WEBHOOK_SECRETS_MAX));
	for (int i = 0; i < r; i++) {
		const unsigned char *b = keys[i].bytes;
		bool in_text = b >= (const unsigned char *)text &&
		               b + keys[i].len <= (const unsigned char *)text + size;
		bool in_decoded = b >= decoded && b + keys[i].len <= decoded + size + 1;
		FUZZ_ASSERT(keys[i].len > 0 && (in_text || in_decoded));
	}
	free(decoded);
	free(text);
	return 0;
}
