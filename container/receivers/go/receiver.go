// Package memhook receives memhook's events in a Go program, with the API of Satella's
// MemoryPressureManager: handlers for entering, leaving and remaining in a severity level and
// for the way back to normal. A Receiver is an http.Handler for memhook's signed webhooks
// (Standard Webhooks) or a subscriber of its /events stream; it verifies, deduplicates, puts
// events in seq order, and calls the handlers one at a time, off the request, with a deadline.
package memhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"sync"
	"time"
)

// Handler is called for an event; an error (or a panic) is logged and changes nothing else.
// ctx ends at the handler's time limit (Options.HandlerTimeout) or when the Receiver closes.
type Handler func(ctx context.Context, ev Event) error

// Defaults of Options.
const (
	DefaultHold           = time.Second
	DefaultQueueSize      = 64
	DefaultHandlerTimeout = 10 * time.Second
	MaxBodyBytes          = 64 << 10 // memhook's payload is well under 2 KiB
)

// Options configure a Receiver. Only Secrets is required for webhooks.
type Options struct {
	// Secrets are the keys memhook signs with: "whsec_<base64>" or a plain string (its UTF-8
	// bytes). Several while keys rotate: a signature by any one is accepted. Not needed to
	// Subscribe.
	Secrets []string
	// Hold is how long an early event (seq n+2 before n+1) waits for the missing one; then it
	// is applied and the gap logged. 0: DefaultHold; negative: never held.
	Hold time.Duration
	// QueueSize bounds the events accepted but not yet handled; when full, an event is dropped
	// (logged). 0: DefaultQueueSize.
	QueueSize int
	// HandlerTimeout is each handler call's deadline. 0: DefaultHandlerTimeout.
	HandlerTimeout time.Duration
	// Logger takes one line per decision. nil: standard error, prefixed "memhook: ".
	Logger *log.Logger
	// Now is the clock (timestamps, the hold, remaining's rate). nil: time.Now.
	Now func() time.Time
	// OnLoss, when set, is told of events that will never be applied (dropped_before, a seq
	// gap, a stream's lost). Called with the Receiver's lock held: do not block.
	OnLoss func(Loss)
	// OnSubscribed, when set, is called each time Subscribe's stream is open.
	OnSubscribed func(url string)
	// StreamIdle: Subscribe drops a stream silent this long and opens it again; 0 means 45 s
	// (memhook pings every 15 s: three missed pings are a connection that died without closing).
	StreamIdle time.Duration
}

type registration struct {
	kind   string
	level  LevelSelector // nil: every event of the kind
	every  time.Duration // remaining: at most once per this
	last   time.Time     // remaining: the last call
	name   string
	handle Handler
}

// Receiver verifies, orders and dispatches memhook's events. Make it with New.
type Receiver struct {
	opts    Options
	keys    [][]byte
	logger  *log.Logger
	now     func() time.Time
	timeout time.Duration

	mu     sync.Mutex // guards seen, order, regs, closed
	seen   seenIDs
	order  orderer
	regs   []*registration
	closed bool
	timer  *time.Timer

	queue   chan Event
	stop    chan struct{} // closed by Close: handlers' contexts end
	done    chan struct{} // closed when the worker has returned
	pending sync.WaitGroup
}

// New returns a Receiver ready to serve; its worker runs until Close.
func New(opts Options) (*Receiver, error) {
	r := &Receiver{opts: opts, logger: opts.Logger, now: opts.Now, timeout: opts.HandlerTimeout}
	for _, s := range opts.Secrets {
		key, err := parseSecret(s)
		if err != nil {
			return nil, err
		}
		r.keys = append(r.keys, key)
	}
	if r.logger == nil {
		r.logger = log.New(os.Stderr, "memhook: ", log.LstdFlags)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.timeout <= 0 {
		r.timeout = DefaultHandlerTimeout
	}
	hold := opts.Hold
	if hold == 0 {
		hold = DefaultHold
	} else if hold < 0 {
		hold = 0
	}
	size := opts.QueueSize
	if size <= 0 {
		size = DefaultQueueSize
	}
	loss := opts.OnLoss
	if loss == nil {
		loss = func(Loss) {}
	}
	r.order = orderer{hold: hold, instances: map[string]*instanceOrder{}, apply: r.enqueue,
		logf: r.logger.Printf, loss: loss}
	r.queue = make(chan Event, size)
	r.stop = make(chan struct{})
	r.done = make(chan struct{})
	go r.work()
	return r, nil
}

func (r *Receiver) register(kind string, level LevelSelector, every time.Duration, h Handler) {
	if h == nil {
		panic("memhook: nil handler")
	}
	name := kind
	if level != nil {
		name += " " + level.String()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.regs = append(r.regs, &registration{kind: kind, level: level, every: every, handle: h,
		name: fmt.Sprintf("%s handler #%d", name, len(r.regs)+1)})
}

// OnEntered calls h when memhook enters a level: Satella's register_on_entered_severity. A
// climb from 0 to 3 enters 1, 2 and 3 in turn.
func (r *Receiver) OnEntered(level LevelSelector, h Handler) { r.register(KindEntered, level, 0, h) }

// OnLeft calls h when memhook leaves a level (the event's previous_level): Satella's
// register_on_left_severity. A fall from 3 to 0 leaves 3, 2 and 1, then is normal.
func (r *Receiver) OnLeft(level LevelSelector, h Handler) { r.register(KindLeft, level, 0, h) }

// OnRemaining calls h on memhook's remaining events for a level, at most once per every (0:
// each one): Satella's register_on_remaining_in_severity with call_no_more_often_than.
func (r *Receiver) OnRemaining(level LevelSelector, every time.Duration, h Handler) {
	r.register(KindRemaining, level, every, h)
}

// OnNormal calls h when memory is back to level 0: Satella's register_on_memory_normal.
func (r *Receiver) OnNormal(h Handler) { r.register(KindNormal, nil, 0, h) }

// OnLimitChanged calls h when the target's memory limit changed (Event.NewLimitBytes); see
// GoMemLimit.
func (r *Receiver) OnLimitChanged(h Handler) { r.register(KindLimitChanged, nil, 0, h) }

// OnOOMKill calls h when the kernel's OOM killer killed a process of the target.
func (r *Receiver) OnOOMKill(h Handler) { r.register(KindOOMKill, nil, 0, h) }

// OnTargetLost calls h when memhook's target (cgroup or process) went away.
func (r *Receiver) OnTargetLost(h Handler) { r.register(KindTargetLost, nil, 0, h) }

// OnTargetFound calls h when memhook found its target (again).
func (r *Receiver) OnTargetFound(h Handler) { r.register(KindTargetFound, nil, 0, h) }

// ServeHTTP answers one webhook: 204 once the event is accepted (also a duplicate webhook-id
// or a late seq, which memhook must not retry), 401 bad or missing signature or timestamp, 400
// a signed body that is not a memhook event, 413 a body over MaxBodyBytes, 405 not a POST.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST memhook's webhooks here", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			r.logger.Printf("rejected: body over %d bytes (413)", MaxBodyBytes)
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		r.logger.Printf("rejected: reading the body: %v (400)", err)
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	status, why := r.accept(req.Header, body)
	if status >= 400 {
		http.Error(w, why, status)
		return
	}
	w.WriteHeader(status)
}

// accept verifies, parses, deduplicates and orders one webhook; it returns the HTTP status and,
// for a refusal, why.
func (r *Receiver) accept(h http.Header, body []byte) (int, string) {
	now := r.now()
	if len(r.keys) == 0 {
		r.logger.Printf("rejected: no secret configured (401)")
		return http.StatusUnauthorized, "no secret configured"
	}
	if err := verify(r.keys, h, body, now); err != nil {
		r.logger.Printf("rejected: %v (401)", err)
		return http.StatusUnauthorized, err.Error()
	}
	ev, err := parseEvent(body)
	if err != nil {
		r.logger.Printf("rejected: signed but %v (400)", err)
		return http.StatusBadRequest, err.Error()
	}
	ev.ID = h.Get("webhook-id")
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.seen.addIfNew(ev.ID, now) {
		r.logger.Printf("duplicate webhook-id %s (seq=%d): already handled", ev.ID, ev.Seq)
		return http.StatusNoContent, ""
	}
	r.offerLocked(ev, now)
	return http.StatusNoContent, ""
}

// offerLocked orders ev and arms the hold's timer while something is held.
func (r *Receiver) offerLocked(ev Event, now time.Time) {
	if r.closed {
		r.logger.Printf("closed: event seq=%d (%s) not applied", ev.Seq, ev.Kind)
		return
	}
	r.order.offer(ev, now)
	r.armLocked()
}

func (r *Receiver) armLocked() {
	if r.timer != nil || !r.order.waiting() {
		return
	}
	// Slightly after the hold; a tick that finds nothing due re-arms.
	r.timer = time.AfterFunc(r.order.hold+10*time.Millisecond, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.timer = nil
		if !r.closed {
			r.order.tick(r.now(), false)
			r.armLocked()
		}
	})
}

// enqueue hands an ordered event to the worker, never blocking the caller (the Receiver's
// lock is held): when the queue is full the event is dropped and logged.
func (r *Receiver) enqueue(ev Event) {
	r.pending.Add(1)
	select {
	case r.queue <- ev:
	default:
		r.pending.Done()
		r.logger.Printf("queue full (%d events waiting for handlers): event seq=%d (%s) dropped",
			cap(r.queue), ev.Seq, ev.Kind)
	}
}

// work runs the handlers of each event in turn, in registration order.
func (r *Receiver) work() {
	defer close(r.done)
	for ev := range r.queue {
		select {
		case <-r.stop:
			r.logger.Printf("closing: event seq=%d (%s) not handled", ev.Seq, ev.Kind)
		default:
			for _, reg := range r.matching(ev) {
				r.call(reg, ev)
			}
		}
		r.pending.Done()
	}
}

// matching returns the registrations that take ev now (remaining's rate applied).
func (r *Receiver) matching(ev Event) []*registration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*registration
	now := r.now()
	for _, reg := range r.regs {
		if reg.kind != ev.Kind {
			continue
		}
		if reg.level != nil {
			level, name := ev.Level, ev.LevelName
			if ev.Kind == KindLeft {
				level, name = ev.PreviousLevel, ev.PreviousLevelName
			}
			if !reg.level.matchLevel(level, name) {
				continue
			}
		}
		if reg.every > 0 && !reg.last.IsZero() && now.Sub(reg.last) < reg.every {
			continue
		}
		reg.last = now
		out = append(out, reg)
	}
	return out
}

// call runs one handler with its deadline; an error, a panic or an overrun is logged.
func (r *Receiver) call(reg *registration, ev Event) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	go func() {
		select {
		case <-r.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	result := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				result <- fmt.Errorf("panic: %v", p)
			}
		}()
		result <- reg.handle(ctx, ev)
	}()
	select {
	case err := <-result:
		if err != nil {
			r.logger.Printf("%s failed on seq=%d (%s): %v", reg.name, ev.Seq, ev.Kind, err)
		}
	case <-ctx.Done():
		r.logger.Printf("%s did not return within %v on seq=%d (%s): going on without it",
			reg.name, r.timeout, ev.Seq, ev.Kind)
	}
}

// Close applies the events still held (their gaps logged), waits until the handlers have
// taken every accepted event or ctx ends (then the running handler's context is cancelled),
// and stops the worker. Events arriving after Close are not applied.
func (r *Receiver) Close(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return nil
	}
	r.order.tick(r.now(), true)
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	r.mu.Unlock()
	drained := make(chan struct{})
	go func() { r.pending.Wait(); close(drained) }()
	var err error
	select {
	case <-drained:
	case <-ctx.Done():
		err = ctx.Err()
	}
	close(r.stop)
	close(r.queue)
	<-r.done
	return err
}
