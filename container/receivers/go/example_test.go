package memhook_test

import (
	"context"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"memhook.dev/memhook"
)

// The quickstart: shed a cache at "high", let it fill again at normal, and keep the Go heap's
// soft limit at 90% of the container's limit.
func Example() {
	r, err := memhook.New(memhook.Options{Secrets: strings.Fields(os.Getenv("MEMHOOK_SECRET"))})
	if err != nil {
		log.Fatal(err)
	}
	r.OnEntered(memhook.LevelName("high"), func(ctx context.Context, ev memhook.Event) error {
		log.Printf("level %d (%s): dropping the cache", ev.Level, ev.LevelName)
		return nil
	})
	r.OnRemaining(memhook.Level(3), 30*time.Second, func(ctx context.Context, ev memhook.Event) error {
		log.Printf("still critical: %d bytes used", ev.Sample.UsageBytes)
		return nil
	})
	r.OnNormal(func(ctx context.Context, ev memhook.Event) error { return nil })
	r.OnLimitChanged(memhook.GoMemLimit(0.9))
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", r))
}

// A worker without an HTTP server reads memhook's /events stream (memhook --listen).
func ExampleReceiver_Subscribe() {
	r, err := memhook.New(memhook.Options{})
	if err != nil {
		log.Fatal(err)
	}
	r.OnEntered(memhook.Level(2), func(ctx context.Context, ev memhook.Event) error { return nil })
	log.Fatal(r.Subscribe(context.Background(), "http://127.0.0.1:9100/events"))
}
