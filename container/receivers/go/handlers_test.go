package memhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHandlersByLevelNumberAndName(t *testing.T) {
	h := newHarness(t, Options{})
	h.r.OnEntered(Level(2), h.recorder("L2 "))
	h.r.OnEntered(LevelName("critical"), h.recorder("critical "))
	h.r.OnEntered(AnyLevel, h.recorder("any "))
	h.r.OnLeft(Level(3), h.recorder("left3 ")) // the level left: previous_level
	h.r.OnLeft(LevelName("was-elevated"), h.recorder("leftname "))
	h.r.OnNormal(h.recorder(""))
	h.r.OnLimitChanged(h.recorder(""))
	h.r.OnOOMKill(h.recorder(""))
	h.r.OnTargetLost(h.recorder(""))
	h.r.OnTargetFound(h.recorder(""))
	seq := int64(0)
	next := func(kind string, level int, name string) {
		seq++
		if got := h.post(fmt.Sprint("m", seq), body(kind, level, name, seq, "")); got != 204 {
			t.Fatalf("%s: %d", kind, got)
		}
	}
	next(KindEntered, 1, "elevated") // 1: any
	next(KindEntered, 2, "high")     // 2: L2, any
	next(KindEntered, 3, "critical") // 3: critical, any
	next(KindLeft, 2, "high")        // 4: left 3
	next(KindLeft, 0, "elevated")    // 5: left 1 (name was-elevated)
	next(KindNormal, 0, "normal")    // 6
	next(KindLimitChanged, 0, "normal")
	next(KindOOMKill, 0, "normal")
	next(KindTargetLost, 0, "normal")
	next(KindTargetFound, 0, "normal")
	next(KindRemaining, 0, "normal")      // no handler
	next("some_future_kind", 0, "normal") // accepted, no handler
	want := "any entered:1 L2 entered:2 any entered:2 critical entered:3 any entered:3 left3 left:4 " +
		"leftname left:5 normal:6 limit_changed:7 oom_kill:8 target_lost:9 target_found:10"
	if got := h.closeAndCalls(); got != want {
		t.Fatalf("calls\n%q, want\n%q", got, want)
	}
}

func TestRemainingEveryIsSatellasCallNoMoreOftenThan(t *testing.T) {
	h := newHarness(t, Options{})
	h.r.OnRemaining(Level(2), 30*time.Second, h.recorder("every30 "))
	h.r.OnRemaining(Level(2), 0, h.recorder("each "))
	h.r.OnRemaining(Level(1), 0, h.recorder("other "))
	want := ""
	for seq := int64(1); seq <= 7; seq++ { // seq n arrives at 10(n-1) s: every30 at 0, 30 and 60 s
		h.post(fmt.Sprint("m", seq), body(KindRemaining, 2, "high", seq, ""))
		if seq == 1 || seq == 4 || seq == 7 {
			want += fmt.Sprintf(" every30 remaining:%d", seq)
		}
		want += fmt.Sprintf(" each remaining:%d", seq)
		h.waitCalls(strings.TrimSpace(want))
		h.advance(10 * time.Second)
	}
}

func TestHandlerErrorsAndPanicsAreLoggedAndTheNextHandlersRun(t *testing.T) {
	h := newHarness(t, Options{})
	h.r.OnEntered(AnyLevel, func(context.Context, Event) error { return errors.New("cache is locked") })
	h.r.OnEntered(AnyLevel, func(context.Context, Event) error { panic("boom") })
	h.r.OnEntered(AnyLevel, h.recorder(""))
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	h.post("m2", body(KindEntered, 2, "high", 2, ""))
	if got := h.closeAndCalls(); got != "entered:1 entered:2" {
		t.Fatalf("calls %q", got)
	}
	for _, want := range []string{"entered any level handler #1 failed on seq=1 (entered): cache is locked",
		"entered any level handler #2 failed on seq=2 (entered): panic: boom"} {
		if !strings.Contains(h.log.String(), want) {
			t.Fatalf("log %q lacks %q", h.log, want)
		}
	}
}

func TestHandlerDeadline(t *testing.T) {
	h := newHarness(t, Options{HandlerTimeout: 50 * time.Millisecond})
	deadlines := make(chan time.Duration, 1)
	h.r.OnEntered(AnyLevel, func(ctx context.Context, _ Event) error {
		d, _ := ctx.Deadline()
		deadlines <- time.Until(d)
		<-ctx.Done() // honours its context: returns at the deadline
		return ctx.Err()
	})
	h.r.OnEntered(AnyLevel, func(ctx context.Context, _ Event) error {
		select {} // ignores it: the receiver goes on without it
	})
	h.r.OnEntered(AnyLevel, h.recorder(""))
	start := time.Now()
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	h.waitCalls("entered:1")
	if d := <-deadlines; d > 50*time.Millisecond {
		t.Fatalf("deadline in %v, want within 50ms", d)
	}
	if took := time.Since(start); took < 100*time.Millisecond {
		t.Fatalf("third handler ran after %v: before the two deadlines", took)
	}
	if !strings.Contains(h.log.String(), "entered any level handler #2 did not return within 50ms on seq=1") {
		t.Fatalf("log %q", h.log)
	}
}

func TestQueueIsBoundedAndNeverBlocksTheRequest(t *testing.T) {
	h := newHarness(t, Options{QueueSize: 2})
	release := make(chan struct{})
	h.r.OnEntered(AnyLevel, func(ctx context.Context, ev Event) error {
		if ev.Seq == 1 {
			<-release
		}
		return nil
	})
	h.r.OnEntered(AnyLevel, h.recorder(""))
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	deadline := time.Now().Add(5 * time.Second)
	for len(h.r.queue) != 0 { // the worker took seq 1 and waits in its handler
		if time.Now().After(deadline) {
			t.Fatal("worker did not take seq 1")
		}
		time.Sleep(time.Millisecond)
	}
	posted := make(chan string, 1)
	go func() { // while the handler is stuck: answered at once, never held
		for seq := int64(2); seq <= 5; seq++ {
			if got := h.post(fmt.Sprint("m", seq), body(KindEntered, 1, "elevated", seq, "")); got != http.StatusNoContent {
				posted <- fmt.Sprintf("seq %d: %d", seq, got)
				return
			}
		}
		posted <- ""
	}()
	select {
	case problem := <-posted:
		if problem != "" {
			t.Fatal(problem)
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("requests blocked while the handler was stuck")
	}
	close(release)
	if got := h.closeAndCalls(); got != "entered:1 entered:2 entered:3" {
		t.Fatalf("calls %q", got)
	}
	for _, seq := range []int{4, 5} {
		if want := fmt.Sprintf("queue full (2 events waiting for handlers): event seq=%d (entered) dropped", seq); !strings.Contains(h.log.String(), want) {
			t.Fatalf("log %q lacks %q", h.log, want)
		}
	}
}

func TestCloseCancelsAStuckHandlerAtItsContext(t *testing.T) {
	h := newHarness(t, Options{HandlerTimeout: time.Hour})
	cancelled := make(chan struct{})
	h.r.OnEntered(AnyLevel, func(ctx context.Context, _ Event) error {
		<-ctx.Done()
		close(cancelled)
		return nil
	})
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := h.r.Close(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context did not end at Close")
	}
	if got := h.post("m2", body(KindEntered, 2, "high", 2, "")); got != 204 {
		t.Fatalf("after Close: %d", got)
	}
	if !strings.Contains(h.log.String(), "closed: event seq=2 (entered) not applied") {
		t.Fatalf("log %q", h.log)
	}
}
