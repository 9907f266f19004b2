package memhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// sseEvent is one message of memhook's stream.
func sseEvent(kind string, level int, name string, seq int64) string {
	return fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", seq, kind, body(kind, level, name, seq, ""))
}

func TestSubscribeReconnectsWithLastEventIDAndLogsLost(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string
	conn := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		conn++
		n := conn
		lastIDs = append(lastIDs, req.Header.Get("Last-Event-ID"))
		mu.Unlock()
		if req.URL.Path != "/events" || req.Header.Get("Accept") != "text/event-stream" {
			http.Error(w, "want GET /events", 400)
			return
		}
		if n == 1 { // memhook at its subscriber bound
			http.Error(w, "too many subscribers", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		switch n {
		case 2:
			fmt.Fprint(w, ": memhook events, instance 9f2c41d07ab3e615\n\n")
			fmt.Fprint(w, sseEvent(KindEntered, 1, "elevated", 1))
			fmt.Fprint(w, ": ping\n\n")
			// one event's data over two lines: joined with a newline, still the JSON
			fmt.Fprint(w, "id: 2\nevent: entered\ndata: {\"event\":\"entered\",\"level\":2,\ndata: \"seq\":2,\"instance\":\"9f2c41d07ab3e615\"}\n\n")
			// then the connection drops
		case 3:
			fmt.Fprint(w, ": memhook events, instance 9f2c41d07ab3e615\n\n")
			fmt.Fprint(w, "event: lost\ndata: {\"lost\":2,\"instance\":\"9f2c41d07ab3e615\"}\n\n")
			fmt.Fprint(w, sseEvent(KindLeft, 1, "elevated", 5)) // 3 and 4 are gone: not waited for
			w.(http.Flusher).Flush()
			<-req.Context().Done() // stays open until the subscriber leaves
		default:
			<-req.Context().Done()
		}
	}))
	defer srv.Close()

	var subscribed []string
	h := newHarness(t, Options{Secrets: []string{}, Hold: time.Hour,
		OnSubscribed: func(url string) { mu.Lock(); subscribed = append(subscribed, url); mu.Unlock() }})
	h.recordAll()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.r.Subscribe(ctx, srv.URL+"/events") }()
	h.waitCalls("entered:1 entered:2 left:5")
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Fatalf("Subscribe returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Subscribe did not return after its context ended")
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(lastIDs, ","); got != ",,2" {
		t.Fatalf("Last-Event-ID per connection %q, want none, none, 2", got)
	}
	if len(subscribed) != 2 || subscribed[0] != srv.URL+"/events" {
		t.Fatalf("OnSubscribed %v", subscribed)
	}
	log := h.log.String()
	for _, want := range []string{"answered 503 Service Unavailable; reconnecting in 100ms",
		"the stream ended; reconnecting in 100ms (Last-Event-ID: 2)",
		"stream: event: lost: memhook no longer holds 2 event(s) of instance 9f2c41d07ab3e615",
		"seq 3..4 reported lost: applying seq=5"} {
		if !strings.Contains(log, want) {
			t.Fatalf("log lacks %q:\n%s", want, log)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.loss) != 1 || h.loss[0] != (Loss{"9f2c41d07ab3e615", 0, 2, LossStream}) {
		t.Fatalf("loss %v", h.loss)
	}
}

func TestSubscribeAfterAMemhookRestart(t *testing.T) {
	// Last-Event-ID above the new instance's newest: memhook sends the whole ring; the new
	// instance starts its own order.
	conn := 0
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		conn++
		n := conn
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			fmt.Fprint(w, sseEvent(KindEntered, 2, "high", 40))
			return
		}
		other := strings.ReplaceAll(sseEvent(KindEntered, 1, "elevated", 1), "9f2c41d07ab3e615", "0123456789abcdef")
		fmt.Fprint(w, "event: lost\ndata: {\"lost\":40,\"instance\":\"0123456789abcdef\"}\n\n"+other)
		w.(http.Flusher).Flush()
		<-req.Context().Done()
	}))
	defer srv.Close()
	h := newHarness(t, Options{})
	h.recordAll()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.r.Subscribe(ctx, srv.URL)
	h.waitCalls("entered:40 entered:1")
}

func TestSubscribeDropsASilentStreamAndReconnects(t *testing.T) {
	var mu sync.Mutex
	var lastIDs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		lastIDs = append(lastIDs, req.Header.Get("Last-Event-ID"))
		n := len(lastIDs)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 { // one event, then silence on an open connection (no ping, no close)
			fmt.Fprint(w, sseEvent(KindEntered, 1, "elevated", 1))
		} else {
			fmt.Fprint(w, sseEvent(KindEntered, 2, "high", 2))
		}
		w.(http.Flusher).Flush()
		<-req.Context().Done()
	}))
	defer srv.Close()
	h := newHarness(t, Options{Secrets: []string{}, Hold: time.Hour, StreamIdle: 200 * time.Millisecond})
	h.recordAll()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.r.Subscribe(ctx, srv.URL+"/events")
	h.waitCalls("entered:1 entered:2")
	mu.Lock()
	defer mu.Unlock()
	if len(lastIDs) < 2 || lastIDs[1] != "1" {
		t.Fatalf("Last-Event-ID per connection %q, want none, then 1", lastIDs)
	}
	if log := h.log.String(); !strings.Contains(log, "nothing for 200ms (memhook pings every 15 s); reconnecting") {
		t.Fatalf("log lacks the silent stream:\n%s", log)
	}
}
