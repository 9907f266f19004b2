package memhook

import (
	"fmt"
	"sort"
	"time"
)

const (
	seenTTL      = 10 * time.Minute // twice the replay window
	seenMax      = 10000            // memhook sends a few events a minute
	heldMax      = 100              // early events held per instance; beyond, the oldest is applied
	instancesMax = 64               // instances remembered; beyond, the least recently heard is forgotten
)

// seenIDs remembers the webhook-ids accepted in the last seenTTL (at most seenMax).
type seenIDs struct {
	at    map[string]time.Time
	order []string // ids in the order accepted
}

// addIfNew reports whether id was not seen; it is remembered from now on.
func (s *seenIDs) addIfNew(id string, now time.Time) bool {
	for len(s.order) > 0 {
		oldest := s.order[0]
		if now.Sub(s.at[oldest]) < seenTTL && len(s.order) < seenMax {
			break
		}
		delete(s.at, oldest)
		s.order = s.order[1:]
	}
	if _, ok := s.at[id]; ok {
		return false
	}
	if s.at == nil {
		s.at = make(map[string]time.Time)
	}
	s.at[id] = now
	s.order = append(s.order, id)
	return true
}

type heldEvent struct {
	ev      Event
	arrived time.Time
}

// instanceOrder is the seq order of one memhook instance.
type instanceOrder struct {
	last int64 // the last seq applied
	// gapKnown: a loss was reported (a stream's lost), so the next gap is not waited for
	gapKnown bool
	held     map[int64]heldEvent
	heard    time.Time
}

// orderer applies events in seq order per instance; not safe for concurrent use (the
// Receiver holds its lock). apply is called in order; logf and loss report.
type orderer struct {
	hold      time.Duration
	instances map[string]*instanceOrder
	apply     func(Event)
	logf      func(format string, args ...any)
	loss      func(Loss)
}

// offer takes one verified, new event at now. It returns false when the event is late (a seq
// at or below one already applied, or already held): not applied.
func (o *orderer) offer(ev Event, now time.Time) bool {
	o.tick(now, false)
	if ev.Instance == "" || ev.Seq <= 0 {
		o.apply(ev) // a memhook from before Standard Webhooks: no order to keep
		return true
	}
	in := o.instances[ev.Instance]
	if in == nil {
		o.forgetOldest(now)
		in = &instanceOrder{last: ev.Seq - 1, held: map[int64]heldEvent{}}
		o.instances[ev.Instance] = in
		o.logf("memhook instance %s: seq order starts at seq=%d", ev.Instance, ev.Seq)
	}
	in.heard = now
	if _, dup := in.held[ev.Seq]; dup || ev.Seq <= in.last {
		o.logf("late event seq=%d (%s) after seq %d was applied: not applied", ev.Seq, ev.Kind, in.last)
		return false
	}
	in.held[ev.Seq] = heldEvent{ev, now}
	if ev.Seq != in.last+1 && ev.DroppedBefore == 0 && o.hold > 0 {
		o.logf("held seq=%d: waiting up to %d ms for seq %d", ev.Seq, o.hold.Milliseconds(), in.last+1)
	}
	o.drain(ev.Instance, in, now, false)
	return true
}

// tick applies the held events whose hold has passed at now (every one when flush).
func (o *orderer) tick(now time.Time, flush bool) {
	names := make([]string, 0, len(o.instances))
	for name := range o.instances {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		o.drain(name, o.instances[name], now, flush)
	}
}

// lost notes that events of instance were lost: its next gap is applied at once.
func (o *orderer) lost(instance string) {
	if in := o.instances[instance]; in != nil {
		in.gapKnown = true
	}
}

// waiting reports whether some event is held.
func (o *orderer) waiting() bool {
	for _, in := range o.instances {
		if len(in.held) > 0 {
			return true
		}
	}
	return false
}

func (o *orderer) drain(name string, in *instanceOrder, now time.Time, flush bool) {
	for len(in.held) > 0 {
		seq := int64(-1)
		for s := range in.held {
			if seq < 0 || s < seq {
				seq = s
			}
		}
		h := in.held[seq]
		switch {
		case h.ev.DroppedBefore > 0:
			o.logf("memhook dropped %d event(s) for this endpoint before seq=%d: gap accepted",
				h.ev.DroppedBefore, seq)
			o.loss(Loss{Instance: name, Seq: seq, Count: h.ev.DroppedBefore, Why: LossDroppedBefore})
		case seq != in.last+1 && in.gapKnown:
			o.logf("seq %d..%d reported lost: applying seq=%d", in.last+1, seq-1, seq)
		case seq != in.last+1:
			if !flush && now.Sub(h.arrived) < o.hold && len(in.held) <= heldMax {
				return
			}
			o.logf("seq %d..%d not received: applying seq=%d", in.last+1, seq-1, seq)
			o.loss(Loss{Instance: name, Seq: seq, Count: seq - in.last - 1, Why: LossMissing})
		}
		delete(in.held, seq)
		in.last = seq
		in.gapKnown = false
		o.apply(h.ev)
	}
}

// forgetOldest makes room for one more instance: the least recently heard one, its held events
// applied first.
func (o *orderer) forgetOldest(now time.Time) {
	if len(o.instances) < instancesMax {
		return
	}
	var oldest string
	for name, in := range o.instances {
		if oldest == "" || in.heard.Before(o.instances[oldest].heard) {
			oldest = name
		}
	}
	o.drain(oldest, o.instances[oldest], now, true)
	delete(o.instances, oldest)
}

// LossDroppedBefore, LossMissing and LossStream say how a Loss was learned.
const (
	LossDroppedBefore = "dropped_before" // memhook said so in the event's dropped_before
	LossMissing       = "missing"        // seqs never arrived within the hold
	LossStream        = "stream"         // the /events stream's "event: lost" on a reconnect
)

// Loss is a report of events that will never be applied.
type Loss struct {
	Instance string
	Seq      int64 // the event applied after the loss (0 for a stream's lost)
	Count    int64
	Why      string // LossDroppedBefore, LossMissing or LossStream
}

func (l Loss) String() string {
	return fmt.Sprintf("%s: %d event(s) lost before seq=%d of instance %s", l.Why, l.Count, l.Seq, l.Instance)
}
