// Command gomemlimit-probe is the program of the real-cgroup GoMemLimit test: it serves
// memhook's webhooks with memhook.GoMemLimit(0.9) on limit_changed and prints the Go runtime's
// memory limit at its start and after each limit_changed:
//
//	memlimit start 9223372036854775807
//	limit_changed 67108864 134217728 memlimit 120795955
//
// Environment: MEMHOOK_SECRET, PORT (0: a free one), HOST (127.0.0.1); GOMEMLIMIT and
// AUTOMEMLIMIT as GoMemLimit reads them.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"

	"memhook.dev/memhook"
)

func main() {
	r, err := memhook.New(memhook.Options{Secrets: strings.Fields(os.Getenv("MEMHOOK_SECRET"))})
	if err != nil {
		log.Fatal(err)
	}
	r.OnLimitChanged(memhook.GoMemLimit(0.9))
	r.OnLimitChanged(func(_ context.Context, ev memhook.Event) error { // after it: handlers run in turn
		fmt.Printf("limit_changed %d %d memlimit %d\n", ev.OldLimitBytes, ev.NewLimitBytes, debug.SetMemoryLimit(-1))
		return nil
	})
	host := os.Getenv("HOST")
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, os.Getenv("PORT")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("memlimit start %d\n", debug.SetMemoryLimit(-1))
	fmt.Printf("listening on %d\n", ln.Addr().(*net.TCPAddr).Port)
	log.Fatal(http.Serve(ln, r))
}
