package memhook

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestVerifyAcceptsAGoodSignature(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	if got := h.post("msg_1", body(KindEntered, 1, "elevated", 1, "")); got != 204 {
		t.Fatalf("status %d, want 204\n%s", got, h.log)
	}
	if got := h.closeAndCalls(); got != "entered:1" {
		t.Fatalf("calls %q", got)
	}
}

func TestVerifyRejects(t *testing.T) {
	b := body(KindEntered, 1, "elevated", 1, "")
	for _, tc := range []struct {
		name string
		edit func(req *http.Request)
		why  string
	}{
		{"bad signature", func(req *http.Request) {
			req.Header.Set("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
		}, "No matching signature found"},
		{"signature of another version", func(req *http.Request) {
			req.Header.Set("webhook-signature", "v1a,"+strings.TrimPrefix(req.Header.Get("webhook-signature"), "v1,"))
		}, "No matching signature found"},
		{"missing webhook-id", func(req *http.Request) { req.Header.Del("webhook-id") }, "Missing required headers"},
		{"missing webhook-timestamp", func(req *http.Request) { req.Header.Del("webhook-timestamp") }, "Missing required headers"},
		{"missing webhook-signature", func(req *http.Request) { req.Header.Del("webhook-signature") }, "Missing required headers"},
		{"timestamp not a number", func(req *http.Request) { req.Header.Set("webhook-timestamp", "soon") }, "Invalid Signature Headers"},
		{"tampered body", func(req *http.Request) {
			req.Body = httptest.NewRequest("POST", "/", strings.NewReader(strings.Replace(b, `"level":1`, `"level":2`, 1))).Body
		}, "No matching signature found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.recordAll()
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(b))
			req.Header.Set("webhook-id", "msg_1")
			req.Header.Set("webhook-timestamp", "1764105060")
			req.Header.Set("webhook-signature", sign(t, testSecret, "msg_1", 1764105060, b))
			tc.edit(req)
			w := httptest.NewRecorder()
			h.r.ServeHTTP(w, req)
			if w.Code != 401 {
				t.Fatalf("status %d, want 401", w.Code)
			}
			if !strings.Contains(h.log.String(), "rejected: "+tc.why+" (401)") {
				t.Fatalf("log %q lacks %q", h.log, tc.why)
			}
			if got := h.closeAndCalls(); got != "" {
				t.Fatalf("calls %q, want none", got)
			}
		})
	}
}

func TestVerifyTimestampWindow(t *testing.T) {
	b := body(KindEntered, 1, "elevated", 1, "")
	for _, tc := range []struct {
		offset time.Duration
		want   int
	}{
		{-6 * time.Minute, 401}, {-5*time.Minute - time.Second, 401}, {-5 * time.Minute, 204},
		{5 * time.Minute, 204}, {5*time.Minute + time.Second, 401}, {6 * time.Minute, 401},
	} {
		h := newHarness(t, Options{})
		if got := h.postWith("msg_1", b, testSecret, t0.Add(tc.offset).Unix()); got != tc.want {
			t.Errorf("timestamp %v from now: status %d, want %d", tc.offset, got, tc.want)
		}
	}
}

func TestVerifyRotation(t *testing.T) {
	const old, plain = "whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0", "a plain secret"
	b := body(KindEntered, 1, "elevated", 1, "")
	both := newHarness(t, Options{Secrets: []string{old, testSecret}})
	if got := both.postWith("msg_1", b, testSecret, t0.Unix()); got != 204 {
		t.Errorf("new secret, receiver holds old and new: %d", got)
	}
	if got := both.postWith("msg_2", b, old, t0.Unix()); got != 204 {
		t.Errorf("old secret, receiver holds old and new: %d", got)
	}
	oldOnly := newHarness(t, Options{Secrets: []string{old}})
	if got := oldOnly.postWith("msg_1", b, testSecret, t0.Unix()); got != 401 {
		t.Errorf("new secret, receiver holds the old only: %d", got)
	}
	p := newHarness(t, Options{Secrets: []string{plain}})
	if got := p.postWith("msg_1", b, plain, t0.Unix()); got != 204 {
		t.Errorf("plain secret: %d", got)
	}
	// memhook signing with two keys sends two signatures: one match is enough.
	h := newHarness(t, Options{})
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(b))
	req.Header.Set("Webhook-Id", "msg_1")
	req.Header.Set("WEBHOOK-TIMESTAMP", "1764105060")
	req.Header.Set("webhook-signature", sign(t, old, "msg_1", t0.Unix(), b)+" "+sign(t, testSecret, "msg_1", t0.Unix(), b))
	w := httptest.NewRecorder()
	h.r.ServeHTTP(w, req)
	if w.Code != 204 {
		t.Errorf("two signatures, one matching: %d", w.Code)
	}
}

func TestSecrets(t *testing.T) {
	for _, bad := range []string{"", "whsec_", "whsec_!!notbase64"} {
		if _, err := New(Options{Secrets: []string{bad}}); err == nil {
			t.Errorf("secret %q accepted", bad)
		}
	}
	r, err := New(Options{Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", strings.NewReader("{}")))
	if w.Code != 401 {
		t.Errorf("no secret configured: %d, want 401", w.Code)
	}
}

func TestNotAnEvent(t *testing.T) {
	for _, b := range []string{`{"hello":"world"}`, `[1,2]`, `"entered"`, `not json`, `{"event":3}`,
		`{"event":"entered","level":"high"}`, `{"event":""}`, `{"event":"entered","seq":-1}`} {
		h := newHarness(t, Options{})
		h.recordAll()
		if got := h.post("msg_1", b); got != 400 {
			t.Errorf("%s: status %d, want 400", b, got)
		}
		if got := h.closeAndCalls(); got != "" {
			t.Errorf("%s: calls %q", b, got)
		}
	}
}

func TestHTTPEdges(t *testing.T) {
	h := newHarness(t, Options{})
	w := httptest.NewRecorder()
	h.r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	if w.Code != 405 {
		t.Errorf("GET: %d, want 405", w.Code)
	}
	big := `{"event":"entered","pad":"` + strings.Repeat("x", MaxBodyBytes) + `"}`
	if got := h.post("msg_big", big); got != 413 {
		t.Errorf("body over %d bytes: %d, want 413", MaxBodyBytes, got)
	}
}
