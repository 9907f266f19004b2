package memhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

var t0 = time.Unix(1764105060, 0)

// sign returns "v1,<base64 HMAC-SHA256(key, id.ts.body)>".
func sign(t *testing.T, secret, id string, ts int64, body string) string {
	t.Helper()
	key, err := parseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// syncBuffer is a log both the test and the Receiver's goroutines use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is a Receiver with a settable clock, a log and a record of handler calls.
type harness struct {
	t     *testing.T
	r     *Receiver
	log   *syncBuffer
	mu    sync.Mutex
	now   time.Time
	calls []string
	loss  []Loss
}

func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, log: &syncBuffer{}, now: t0}
	if opts.Secrets == nil {
		opts.Secrets = []string{testSecret}
	}
	opts.Logger = log.New(h.log, "", 0)
	opts.Now = func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }
	opts.OnLoss = func(l Loss) { h.mu.Lock(); defer h.mu.Unlock(); h.loss = append(h.loss, l) }
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.r = r
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Close(ctx)
	})
	return h
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
}

// recordAll registers a recording handler on every kind at every level.
func (h *harness) recordAll() {
	rec := h.recorder("")
	h.r.OnEntered(AnyLevel, rec)
	h.r.OnLeft(AnyLevel, rec)
	h.r.OnRemaining(AnyLevel, 0, rec)
	h.r.OnNormal(rec)
	h.r.OnLimitChanged(rec)
	h.r.OnOOMKill(rec)
	h.r.OnTargetLost(rec)
	h.r.OnTargetFound(rec)
}

// recorder returns a handler recording "tag kind level/seq" words.
func (h *harness) recorder(tag string) Handler {
	return func(_ context.Context, ev Event) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		w := fmt.Sprintf("%s%s:%d", tag, ev.Kind, ev.Seq)
		h.calls = append(h.calls, w)
		return nil
	}
}

func (h *harness) gotCalls() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return strings.Join(h.calls, " ")
}

// waitCalls waits (deadline 5 s) for the calls to be want.
func (h *harness) waitCalls(want string) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.gotCalls() != want {
		if time.Now().After(deadline) {
			h.t.Fatalf("calls %q, want %q\nlog:\n%s", h.gotCalls(), want, h.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// closeAndCalls closes the Receiver (held events applied, handlers drained) and returns the calls.
func (h *harness) closeAndCalls() string {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.r.Close(ctx); err != nil {
		h.t.Fatal(err)
	}
	return h.gotCalls()
}

// body returns a memhook event body.
func body(kind string, level int, name string, seq int64, extra string) string {
	prev, prevName := level, name
	if kind == KindLeft {
		prev, prevName = level+1, "was-"+name
	}
	return fmt.Sprintf(`{"event":%q,"level":%d,"level_name":%q,"previous_level":%d,"previous_level_name":%q,`+
		`"seq":%d,"instance":"9f2c41d07ab3e615","timestamp":"2026-11-25T21:11:00.123Z"%s}`,
		kind, level, name, prev, prevName, seq, extra)
}

// post delivers body signed with secret at the harness's clock; returns the status.
func (h *harness) post(id, b string) int {
	h.t.Helper()
	return h.postWith(id, b, testSecret, h.now.Unix())
}

func (h *harness) postWith(id, b, secret string, ts int64) int {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(b))
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", fmt.Sprint(ts))
	req.Header.Set("webhook-signature", sign(h.t, secret, id, ts, b))
	req.Header.Set("content-type", "application/json")
	w := httptest.NewRecorder()
	h.r.ServeHTTP(w, req)
	return w.Code
}
