package memhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far webhook-timestamp may be from the receiver's clock (Standard Webhooks).
const Tolerance = 5 * time.Minute

const secretPrefix = "whsec_"

// parseSecret returns the HMAC key of one secret: a "whsec_" one is base64 after the prefix,
// any other is its UTF-8 bytes.
func parseSecret(s string) ([]byte, error) {
	if strings.HasPrefix(s, secretPrefix) {
		key, err := base64.StdEncoding.DecodeString(s[len(secretPrefix):])
		if err != nil {
			return nil, fmt.Errorf("a %s secret is not valid base64", secretPrefix)
		}
		if len(key) == 0 {
			return nil, errors.New("a secret is empty")
		}
		return key, nil
	}
	if s == "" {
		return nil, errors.New("a secret is empty")
	}
	return []byte(s), nil
}

// verifyError says why a request is refused (401).
type verifyError struct{ why string }

func (e verifyError) Error() string { return e.why }

// verify returns nil when one "v1,<sig>" of the webhook-signature header is
// base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")) for one of keys and the timestamp is
// within Tolerance of now; otherwise a verifyError (the npm standardwebhooks library's words).
func verify(keys [][]byte, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return verifyError{"Missing required headers"}
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return verifyError{"Invalid Signature Headers"}
	}
	tol := int64(Tolerance / time.Second)
	if now.Unix()-sec > tol {
		return verifyError{"Message timestamp too old"}
	}
	if sec-now.Unix() > tol {
		return verifyError{"Message timestamp too new"}
	}
	signed := make([]byte, 0, len(id)+len(ts)+len(body)+2)
	signed = append(append(append(signed, id...), '.'), strconv.FormatInt(sec, 10)...)
	signed = append(append(signed, '.'), body...)
	for _, key := range keys {
		mac := hmac.New(sha256.New, key)
		mac.Write(signed)
		want := []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		for _, entry := range strings.Split(sigs, " ") {
			version, sig, ok := strings.Cut(entry, ",")
			if ok && version == "v1" && hmac.Equal(want, []byte(sig)) {
				return nil
			}
		}
	}
	return verifyError{"No matching signature found"}
}
