// Command vectors runs the receiver conformance vectors (tests/contract/receivers/vectors.json)
// against this library: one fresh Receiver per case, with the case's clock and hold. It prints
// "ok NAME" or "not ok NAME: why" per case and exits 0 only when every case passes.
//
//	go run ./cmd/vectors path/to/vectors.json
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"memhook.dev/memhook"
)

type vectors struct {
	Format int     `json:"format"`
	HoldMS int     `json:"hold_ms"`
	Cases  []vcase `json:"cases"`
}

type vcase struct {
	Name       string     `json:"name"`
	Secrets    []string   `json:"secrets"`
	Deliveries []delivery `json:"deliveries"`
	Calls      []string   `json:"calls"`
	Gaps       []gap      `json:"gaps"`
}

type delivery struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Now     int64             `json:"now"`
	Expect  string            `json:"expect"`
	Status  int               `json:"status"`
}

type gap struct {
	Instance      string `json:"instance"`
	Seq           int64  `json:"seq"`
	DroppedBefore int64  `json:"dropped_before"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: vectors VECTORS.json")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var v vectors
	if err := json.Unmarshal(data, &v); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(2)
	}
	if v.Format != 1 || len(v.Cases) == 0 {
		fmt.Fprintf(os.Stderr, "%s: format %d with %d cases: want format 1 and some cases\n",
			os.Args[1], v.Format, len(v.Cases))
		os.Exit(2)
	}
	failed := 0
	for _, c := range v.Cases {
		if why := run(c, time.Duration(v.HoldMS)*time.Millisecond); why != "" {
			fmt.Printf("not ok %s: %s\n", c.Name, why)
			failed++
		} else {
			fmt.Printf("ok %s\n", c.Name)
		}
	}
	fmt.Printf("# %d of %d cases passed\n", len(v.Cases)-failed, len(v.Cases))
	if failed > 0 {
		os.Exit(1)
	}
}

// word returns the call's word pair: "entered N" (level), "left N" (the level left), ...
func word(ev memhook.Event) string {
	switch ev.Kind {
	case memhook.KindLeft:
		return "left " + strconv.Itoa(ev.PreviousLevel)
	case memhook.KindNormal, memhook.KindTargetLost, memhook.KindTargetFound:
		return ev.Kind
	}
	return ev.Kind + " " + strconv.Itoa(ev.Level)
}

// run returns "" when the case passes, else why not.
func run(c vcase, hold time.Duration) string {
	var mu sync.Mutex
	var calls []string
	var gaps []gap
	var clock time.Time
	logs := &bytes.Buffer{}
	r, err := memhook.New(memhook.Options{
		Secrets: c.Secrets,
		Hold:    hold,
		Logger:  log.New(logs, "", 0),
		Now: func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			return clock
		},
		OnLoss: func(l memhook.Loss) {
			if l.Why == memhook.LossDroppedBefore {
				gaps = append(gaps, gap{l.Instance, l.Seq, l.Count})
			}
		},
	})
	if err != nil {
		return err.Error()
	}
	record := func(_ context.Context, ev memhook.Event) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, word(ev))
		return nil
	}
	r.OnEntered(memhook.AnyLevel, record)
	r.OnLeft(memhook.AnyLevel, record)
	r.OnRemaining(memhook.AnyLevel, 0, record)
	r.OnNormal(record)
	r.OnLimitChanged(record)
	r.OnOOMKill(record)
	r.OnTargetLost(record)
	r.OnTargetFound(record)

	var problems []string
	for i, d := range c.Deliveries {
		mu.Lock()
		clock = time.Unix(d.Now, 0)
		mu.Unlock()
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(d.Body))
		for k, v := range d.Headers {
			req.Header.Set(k, v) // canonicalised: matched case-insensitively
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		got := w.Result().StatusCode
		io.Copy(io.Discard, w.Result().Body)
		switch d.Expect {
		case "accept", "duplicate", "late":
			if got < 200 || got > 299 {
				problems = append(problems, fmt.Sprintf("delivery %d (%s): status %d, want 2xx", i, d.Expect, got))
			}
		case "reject":
			want := d.Status
			if want == 0 && (got < 400 || got > 499) || want != 0 && got != want {
				problems = append(problems, fmt.Sprintf("delivery %d (reject): status %d, want %d", i, got, want))
			}
		default:
			problems = append(problems, fmt.Sprintf("delivery %d: unknown expect %q", i, d.Expect))
		}
	}
	// The hold passes: Close applies what is held and waits for the handlers.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		problems = append(problems, "closing: "+err.Error())
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(calls, ", ") != strings.Join(c.Calls, ", ") {
		problems = append(problems, fmt.Sprintf("calls [%s], want [%s]", strings.Join(calls, ", "), strings.Join(c.Calls, ", ")))
	}
	if fmt.Sprint(gaps) != fmt.Sprint(c.Gaps) && !(len(gaps) == 0 && len(c.Gaps) == 0) {
		problems = append(problems, fmt.Sprintf("gaps %v, want %v", gaps, c.Gaps))
	}
	if len(problems) > 0 && os.Getenv("VECTORS_VERBOSE") != "" {
		problems = append(problems, "log:\n"+logs.String())
	}
	return strings.Join(problems, "; ")
}
