/* webhook_sign: HMAC-SHA256 against RFC 4231's vectors, the Standard Webhooks signature against the
 * specification's example, and the header lines of one attempt for each choice of signatures and
 * keys (no request is sent). */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/curl_api.h"
#include "base/names.h"
#include "delivery/webhook_secrets.h"
#include "delivery/webhook_sign.h"

/* The Standard Webhooks specification's example (standard-webhooks.com, "Signature scheme"). */
#define SPEC_SECRET    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SPEC_MSG_ID    "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SPEC_TIMESTAMP UINT64_C(1614265330)
#define SPEC_BODY      "{\"test\": 2432232314}"
#define SPEC_SIGNATURE "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static void test_hmac_vectors(void **state)
{
	(void)state;
	char hex[65];
	/* RFC 4231 test case 2 */
	const char *data = "what do ya want for nothing?";
	assert_int_equal(hmac_sha256_hex("Jefe", 4, data, strlen(data), hex), 0);
	assert_string_equal(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* RFC 4231 test case 1 */
	unsigned char key[20];
	memset(key, 0x0b, sizeof(key));
	assert_int_equal(hmac_sha256_hex(key, sizeof(key), "Hi There", 8, hex), 0);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* empty key and message */
	assert_int_equal(hmac_sha256_hex("", 0, "", 0, hex), 0);
	assert_string_equal(hex, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

/* The Standard Webhooks test vector (standard-webhooks' libraries). */
static void test_standard_vector(void **state)
{
	(void)state;
	const char *secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	unsigned char dec[64];
	struct webhook_key keys[WEBHOOK_SECRETS_MAX];
	assert_int_equal(webhook_parse_secrets(secret, strlen(secret), dec, keys), 1);
	char b64[45];
	const char *body = "{\"test\": 2432232314}";
	assert_int_equal(webhook_sign_standard(keys[0].bytes, keys[0].len, "msg_p5jXN8AQM9LWM0D4loKWxJek",
	                                       1614265330, body, strlen(body), b64),
	                 0);
	assert_string_equal(b64, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

/* The same signature from the spec's secret without its prefix (the key is the base64 of it),
 * and a body with a NUL byte signed over its length, not up to the NUL. */
static void test_standard_key_and_length(void **state)
{
	(void)state;
	char b64[45], other[45];
	unsigned char key[64];
	struct webhook_key k[WEBHOOK_SECRETS_MAX];
	assert_int_equal(webhook_parse_secrets(SPEC_SECRET, strlen(SPEC_SECRET), key, k), 1);
	assert_int_equal(k[0].len, 24);
	assert_int_equal(webhook_sign_standard(k[0].bytes, k[0].len, SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_BODY,
	                                       strlen(SPEC_BODY), b64),
	                 0);
	assert_string_equal(b64, SPEC_SIGNATURE);
	/* another timestamp or id: another signature */
	assert_int_equal(webhook_sign_standard(k[0].bytes, k[0].len, SPEC_MSG_ID, SPEC_TIMESTAMP + 1,
	                                       SPEC_BODY, strlen(SPEC_BODY), other),
	                 0);
	assert_string_not_equal(other, SPEC_SIGNATURE);
	static const char nul_body[] = { 'a', '\0', 'b' };
	assert_int_equal(webhook_sign_standard("k", 1, "id", 1, nul_body, 3, b64), 0);
	assert_int_equal(webhook_sign_standard("k", 1, "id", 1, nul_body, 1, other), 0);
	assert_string_not_equal(b64, other);
	/* an empty body and an empty key are signed too */
	assert_int_equal(webhook_sign_standard("", 0, "id", 0, "", 0, b64), 0);
	assert_int_equal(strlen(b64), 44);
	/* an id too long for the signed prefix is refused, not cut */
	char id[200];
	memset(id, 'i', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(webhook_sign_standard("k", 1, id, 1, "{}", 2, b64), -EIO);
}

/* The header lines, one a string, joined with '|'. */
static void headers_text(const struct curl_slist *h, char *buf, size_t size)
{
	size_t n = 0;
	buf[0] = '\0';
	for (; h; h = h->next)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "|" : "", h->data);
}

static void test_headers(void **state)
{
	(void)state;
	char err[256], text[1024], want[1024], hex[65];
	assert_int_equal(curl_api_load(err, sizeof(err)), 0);
	unsigned char dec[128];
	struct webhook_keys keys = { 0 };
	const char *two = SPEC_SECRET " plain";
	keys.n = webhook_parse_secrets(two, strlen(two), dec, keys.keys);
	assert_int_equal(keys.n, 2);
	struct webhook_signer s = { .signatures = 1u << WEBHOOK_SIGNATURE_STANDARD,
		                    .msg_id = SPEC_MSG_ID,
		                    .keys = &keys,
		                    .signature_header = "X-Memhook-Signature" };
	char second[45];
	assert_int_equal(webhook_sign_standard("plain", 5, SPEC_MSG_ID, SPEC_TIMESTAMP, SPEC_BODY,
	                                       strlen(SPEC_BODY), second),
	                 0);

	/* Standard Webhooks: id, timestamp, and one v1 signature per key (rotation) */
	struct curl_slist *h = NULL;
	assert_int_equal(webhook_sign_headers(&s, SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY), &h), 0);
	headers_text(h, text, sizeof(text));
	snprintf(want, sizeof(want),
	         "webhook-id: " SPEC_MSG_ID
	         "|webhook-timestamp: 1614265330|webhook-signature: v1," SPEC_SIGNATURE " v1,%s",
	         second);
	assert_string_equal(text, want);
	curl_api.slist_free_all(h);

	/* memhook's own: the first key's HMAC of the body, under the configured header name */
	s.signatures = 1u << WEBHOOK_SIGNATURE_MEMHOOK;
	h = NULL;
	assert_int_equal(webhook_sign_headers(&s, SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY), &h), 0);
	headers_text(h, text, sizeof(text));
	assert_int_equal(
	        hmac_sha256_hex(keys.keys[0].bytes, keys.keys[0].len, SPEC_BODY, strlen(SPEC_BODY), hex), 0);
	snprintf(want, sizeof(want), "X-Memhook-Signature: sha256=%s", hex);
	assert_string_equal(text, want);
	curl_api.slist_free_all(h);

	/* both, appended after the headers already there */
	s.signatures = (1u << WEBHOOK_SIGNATURE_STANDARD) | (1u << WEBHOOK_SIGNATURE_MEMHOOK);
	h = NULL;
	assert_int_equal(http_header_append(&h, "Content-Type: application/json"), 0);
	assert_int_equal(webhook_sign_headers(&s, SPEC_TIMESTAMP, SPEC_BODY, strlen(SPEC_BODY), &h), 0);
	headers_text(h, text, sizeof(text));
	snprintf(want, sizeof(want),
	         "Content-Type: application/json|webhook-id: " SPEC_MSG_ID
	         "|webhook-timestamp: 1614265330|webhook-signature: v1," SPEC_SIGNATURE
	         " v1,%s|X-Memhook-Signature: sha256=%s",
	         second, hex);
	assert_string_equal(text, want);
	curl_api.slist_free_all(h);

	/* no key: the Standard id and timestamp still go, no signature of either kind */
	struct webhook_keys none = { 0 };
	s.keys = &none;
	h = NULL;
	assert_int_equal(webhook_sign_headers(&s, 7, "{}", 2, &h), 0);
	headers_text(h, text, sizeof(text));
	assert_string_equal(text, "webhook-id: " SPEC_MSG_ID "|webhook-timestamp: 7");
	curl_api.slist_free_all(h);
	s.signatures = 0;
	h = NULL;
	assert_int_equal(webhook_sign_headers(&s, 7, "{}", 2, &h), 0);
	assert_null(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_standard_vector),
		cmocka_unit_test(test_standard_key_and_length),
		cmocka_unit_test(test_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
