// Command example is the library's quickstart, runnable: it serves memhook's webhooks (or reads
// its /events stream) and prints one line per handler call, "call entered 1 high".
//
// Environment: MEMHOOK_SECRET (secrets, space-separated), PORT (8080; 0 picks a free one),
// HOST (127.0.0.1), SUBSCRIBE_URL (read this /events stream instead of serving).
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"memhook.dev/memhook"
)

// say prints one handler call: the word pair, then the level's name where the event has one.
func say(ctx context.Context, ev memhook.Event) error {
	line := "call " + ev.Kind
	switch ev.Kind {
	case memhook.KindEntered, memhook.KindRemaining, memhook.KindLimitChanged, memhook.KindOOMKill:
		line += " " + strconv.Itoa(ev.Level) + " " + ev.LevelName
	case memhook.KindLeft:
		line += " " + strconv.Itoa(ev.PreviousLevel) + " " + ev.PreviousLevelName
	}
	fmt.Println(strings.TrimSpace(line)) // os.Stdout is unbuffered: one write per line
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	url := os.Getenv("SUBSCRIBE_URL")
	r, err := memhook.New(memhook.Options{
		Secrets:      strings.Fields(os.Getenv("MEMHOOK_SECRET")),
		OnSubscribed: func(url string) { fmt.Println("subscribed to " + url) },
	})
	if err != nil {
		log.Fatal(err)
	}
	r.OnEntered(memhook.AnyLevel, say)
	r.OnLeft(memhook.AnyLevel, say)
	r.OnRemaining(memhook.AnyLevel, 0, say)
	r.OnNormal(say)
	r.OnLimitChanged(say)
	r.OnOOMKill(say)
	r.OnTargetLost(say)
	r.OnTargetFound(say)
	defer r.Close(context.Background())

	if url != "" {
		if err := r.Subscribe(ctx, url); err != nil && ctx.Err() == nil {
			log.Fatal(err)
		}
		return
	}
	if os.Getenv("MEMHOOK_SECRET") == "" {
		log.Fatal("MEMHOOK_SECRET is not set: refusing to accept unsigned webhooks")
	}
	host, port := os.Getenv("HOST"), os.Getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: r}
	go func() { <-ctx.Done(); srv.Close() }()
	fmt.Printf("listening on %d\n", ln.Addr().(*net.TCPAddr).Port)
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
