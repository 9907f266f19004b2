package memhook

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDuplicateWebhookIDIsAppliedOnce(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	b := body(KindEntered, 1, "elevated", 1, "")
	for i := 0; i < 3; i++ {
		if got := h.post("msg_a", b); got != 204 {
			t.Fatalf("delivery %d: %d", i, got)
		}
	}
	if got := h.closeAndCalls(); got != "entered:1" {
		t.Fatalf("calls %q", got)
	}
	if !strings.Contains(h.log.String(), "duplicate webhook-id msg_a (seq=1): already handled") {
		t.Fatalf("log %q", h.log)
	}
}

func TestSeenIDsForgetAfterTTLAndBound(t *testing.T) {
	var s seenIDs
	if !s.addIfNew("a", t0) || s.addIfNew("a", t0.Add(seenTTL-time.Second)) {
		t.Fatal("a within the TTL")
	}
	if !s.addIfNew("a", t0.Add(seenTTL)) {
		t.Fatal("a after the TTL is new again")
	}
	for i := 0; i < seenMax+10; i++ {
		s.addIfNew(strings.Repeat("x", i%7)+string(rune('A'+i%26))+time.Duration(i).String(), t0.Add(seenTTL))
	}
	if len(s.order) > seenMax || len(s.at) != len(s.order) {
		t.Fatalf("%d ids remembered (map %d), bound %d", len(s.order), len(s.at), seenMax)
	}
}

func TestInOrderAtOnce(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	h.post("m1", body(KindEntered, 1, "elevated", 41, ""))
	h.post("m2", body(KindEntered, 2, "high", 42, ""))
	h.waitCalls("entered:41 entered:42") // without Close: nothing held
	if !strings.Contains(h.log.String(), "seq order starts at seq=41") {
		t.Fatalf("log %q", h.log)
	}
}

func TestReorderedPairIsAppliedInOrder(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	h.post("m3", body(KindEntered, 3, "critical", 3, ""))
	h.waitCalls("entered:1")
	h.post("m2", body(KindEntered, 2, "high", 2, ""))
	h.waitCalls("entered:1 entered:2 entered:3")
	if !strings.Contains(h.log.String(), "held seq=3: waiting up to 1000 ms for seq 2") {
		t.Fatalf("log %q", h.log)
	}
}

func TestHeldEventIsAppliedAfterTheHoldAndTheGapLogged(t *testing.T) {
	h := newHarness(t, Options{Hold: 50 * time.Millisecond, Now: nil})
	h.recordAll()
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	h.post("m3", body(KindEntered, 3, "critical", 3, ""))
	time.Sleep(100 * time.Millisecond) // the timer fires, but the harness clock has not moved
	if got := h.gotCalls(); got != "entered:1" {
		t.Fatalf("calls %q before the hold passed on the receiver's clock", got)
	}
	h.advance(50 * time.Millisecond)
	h.waitCalls("entered:1 entered:3") // the next timer tick applies it
	if !strings.Contains(h.log.String(), "seq 2..2 not received: applying seq=3") {
		t.Fatalf("log %q", h.log)
	}
	// seq 2 arriving now is late: answered 204, not applied
	if got := h.post("m2", body(KindEntered, 2, "high", 2, "")); got != 204 {
		t.Fatalf("late: %d", got)
	}
	if got := h.closeAndCalls(); got != "entered:1 entered:3" {
		t.Fatalf("calls %q", got)
	}
	if !strings.Contains(h.log.String(), "late event seq=2 (entered) after seq 3 was applied: not applied") {
		t.Fatalf("log %q", h.log)
	}
	if len(h.loss) != 1 || h.loss[0] != (Loss{"9f2c41d07ab3e615", 3, 1, LossMissing}) {
		t.Fatalf("loss %v", h.loss)
	}
}

func TestAnEventAfterTheHoldFirstAppliesTheHeldOne(t *testing.T) {
	h := newHarness(t, Options{Hold: 300 * time.Millisecond})
	h.recordAll()
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	h.post("m3", body(KindEntered, 3, "critical", 3, ""))
	h.advance(time.Second)
	h.post("m2", body(KindEntered, 2, "high", 2, "")) // late: 3 was applied at this delivery
	if got := h.closeAndCalls(); got != "entered:1 entered:3" {
		t.Fatalf("calls %q", got)
	}
}

func TestNoHold(t *testing.T) {
	h := newHarness(t, Options{Hold: -1})
	h.recordAll()
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	h.post("m3", body(KindEntered, 3, "critical", 3, ""))
	h.waitCalls("entered:1 entered:3")
}

func TestDroppedBeforeIsAppliedAtOnceAndReported(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	h.post("m1", body(KindEntered, 1, "elevated", 1, ""))
	h.post("m5", body(KindLeft, 0, "normal", 5, `,"dropped_before":3`))
	h.waitCalls("entered:1 left:5")
	if !strings.Contains(h.log.String(), "memhook dropped 3 event(s) for this endpoint before seq=5: gap accepted") {
		t.Fatalf("log %q", h.log)
	}
	h.closeAndCalls()
	if len(h.loss) != 1 || h.loss[0] != (Loss{"9f2c41d07ab3e615", 5, 3, LossDroppedBefore}) {
		t.Fatalf("loss %v", h.loss)
	}
}

func TestNewInstanceStartsAgain(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	h.post("m7", body(KindEntered, 2, "high", 7, ""))
	other := strings.Replace(body(KindEntered, 1, "elevated", 1, ""), "9f2c41d07ab3e615", "0123456789abcdef", 1)
	h.post("n1", other)
	h.waitCalls("entered:7 entered:1")
	if !strings.Contains(h.log.String(), "memhook instance 0123456789abcdef: seq order starts at seq=1") {
		t.Fatalf("log %q", h.log)
	}
}

func TestEventWithoutInstanceIsAppliedAsItArrives(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	h.post("m1", `{"event":"entered","level":2,"level_name":"high","seq":9}`)
	h.post("m2", `{"event":"normal","level":0}`)
	h.waitCalls("entered:9 normal:0")
}

func TestHeldEventsAreBounded(t *testing.T) {
	h := newHarness(t, Options{Hold: time.Hour, QueueSize: 2 * heldMax})
	h.recordAll()
	h.post("m1", body(KindRemaining, 1, "elevated", 1, ""))
	want := "remaining:1"
	for seq := 3; seq <= heldMax+3; seq++ {
		h.post(fmt.Sprint("m", seq), body(KindRemaining, 1, "elevated", int64(seq), ""))
		want += fmt.Sprint(" remaining:", seq)
	}
	// heldMax+1 held: the oldest (3) is applied without waiting for 2, and the rest follow it
	h.waitCalls(want)
}

func TestARejectedRequestIsNotRemembered(t *testing.T) {
	h := newHarness(t, Options{})
	h.recordAll()
	b := body(KindEntered, 1, "elevated", 1, "")
	if got := h.postWith("m1", b, "whsec_b3RoZXIta2V5", t0.Unix()); got != 401 {
		t.Fatalf("wrong key: %d", got)
	}
	if got := h.post("m1", b); got != 204 {
		t.Fatalf("genuine: %d", got)
	}
	if got := h.closeAndCalls(); got != "entered:1" {
		t.Fatalf("calls %q", got)
	}
}

func TestInstancesAreBounded(t *testing.T) {
	h := newHarness(t, Options{QueueSize: 2 * instancesMax})
	h.recordAll()
	for i := 0; i <= instancesMax; i++ {
		b := strings.Replace(body(KindEntered, 1, "elevated", 1, ""), "9f2c41d07ab3e615", fmt.Sprintf("%016x", i), 1)
		h.post(fmt.Sprint("m", i), b)
		h.advance(time.Millisecond)
	}
	h.closeAndCalls()
	if n := len(h.r.order.instances); n != instancesMax {
		t.Fatalf("%d instances remembered, bound %d", n, instancesMax)
	}
	if _, ok := h.r.order.instances[fmt.Sprintf("%016x", 0)]; ok {
		t.Fatal("the least recently heard instance is still remembered")
	}
}
