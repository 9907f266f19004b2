package memhook

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Reconnection delays of Subscribe: doubling from the first to the last, back to the first once
// a stream opened.
const (
	reconnectFirst = 100 * time.Millisecond
	reconnectMax   = 5 * time.Second
	maxLineBytes   = 1 << 20 // an event is under 2 KiB
)

// streamIdleDefault: Options.StreamIdle when 0.
const streamIdleDefault = 45 * time.Second

// Subscribe reads memhook's /events stream at url (Server-Sent Events) instead of serving
// webhooks, until ctx ends (it returns ctx's error). It reconnects after any failure, sending
// Last-Event-ID so memhook replays what was missed; what memhook no longer holds comes as
// "event: lost", logged and reported to Options.OnLoss. Events are ordered and handled as
// webhooks are (the stream is not signed: it is for loopback, as memhook's --listen).
func (r *Receiver) Subscribe(ctx context.Context, url string) error {
	client := &http.Client{} // no timeout: the stream is long; ctx ends it
	var lastID int64
	delay := reconnectFirst
	for {
		opened, err := r.readStream(ctx, client, url, &lastID)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if opened {
			delay = reconnectFirst
		}
		r.logger.Printf("stream %s: %v; reconnecting in %v (Last-Event-ID: %d)", url, err, delay, lastID)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		if delay *= 2; delay > reconnectMax {
			delay = reconnectMax
		}
	}
}

// readStream reads one connection until it ends; it reports whether the stream opened and why
// it ended. *lastID follows the ids read.
func (r *Receiver) readStream(ctx context.Context, client *http.Client, url string, lastID *int64) (bool, error) {
	streamIdle := r.opts.StreamIdle
	if streamIdle <= 0 {
		streamIdle = streamIdleDefault
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := time.AfterFunc(streamIdle, cancel) // reset at every line read
	defer idle.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if *lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(*lastID, 10))
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("answered %s", resp.Status)
	}
	if r.opts.OnSubscribed != nil {
		r.opts.OnSubscribed(url)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 4096), maxLineBytes)
	var id, kind string
	var data []string
	for sc.Scan() {
		idle.Reset(streamIdle)
		line := sc.Text()
		if line == "" { // the blank line ends a message
			if len(data) > 0 {
				r.streamMessage(id, kind, strings.Join(data, "\n"), lastID)
			}
			id, kind, data = "", "", nil
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue // a comment: the opening line, or a ping
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			kind = value
		case "data":
			data = append(data, value)
		}
	}
	if ctx.Err() != nil {
		return true, fmt.Errorf("nothing for %v (memhook pings every 15 s)", streamIdle)
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	return true, errors.New("the stream ended")
}

// streamMessage applies one message of the stream.
func (r *Receiver) streamMessage(id, kind, data string, lastID *int64) {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil && n > 0 {
		*lastID = n
	}
	if kind == "lost" {
		var lost struct {
			Lost     int64  `json:"lost"`
			Instance string `json:"instance"`
		}
		if err := json.Unmarshal([]byte(data), &lost); err != nil {
			r.logger.Printf("stream: event: lost with unreadable data %q", data)
			return
		}
		r.logger.Printf("stream: event: lost: memhook no longer holds %d event(s) of instance %s",
			lost.Lost, lost.Instance)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.order.lost(lost.Instance)
		if r.opts.OnLoss != nil {
			r.opts.OnLoss(Loss{Instance: lost.Instance, Count: lost.Lost, Why: LossStream})
		}
		return
	}
	ev, err := parseEvent([]byte(data))
	if err != nil {
		r.logger.Printf("stream: message id=%s: %v: not applied", id, err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.offerLocked(ev, r.now())
}
