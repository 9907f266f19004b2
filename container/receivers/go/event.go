package memhook

import "encoding/json"

// The event kinds memhook sends (the payload's "event").
const (
	KindEntered      = "entered"
	KindLeft         = "left"
	KindRemaining    = "remaining"
	KindNormal       = "normal"
	KindLimitChanged = "limit_changed"
	KindOOMKill      = "oom_kill"
	KindTargetLost   = "target_lost"
	KindTargetFound  = "target_found"
)

// Event is one memhook event: the webhook body (or one message of the /events stream).
// Fields memhook leaves out are zero; Raw keeps the exact bytes for anything else.
type Event struct {
	Kind              string  `json:"event"`
	Level             int     `json:"level"`
	LevelName         string  `json:"level_name"`
	PreviousLevel     int     `json:"previous_level"`
	PreviousLevelName string  `json:"previous_level_name"`
	Seq               int64   `json:"seq"`      // from 1, per Instance; 0 when absent
	Instance          string  `json:"instance"` // 16 hex digits, new at each memhook start
	Timestamp         string  `json:"timestamp"`
	Target            *Target `json:"target"`
	Sample            *Sample `json:"sample"`
	OldLimitBytes     uint64  `json:"old_limit_bytes"` // limit_changed only
	NewLimitBytes     uint64  `json:"new_limit_bytes"` // limit_changed only
	Hostname          string  `json:"hostname"`
	MemhookVersion    string  `json:"memhook_version"`
	DroppedBefore     int64   `json:"dropped_before"` // events memhook lost for this URL before this one

	// ID is the webhook-id header ("" for an event read from the stream).
	ID string `json:"-"`
	// Raw is the body as it arrived.
	Raw json.RawMessage `json:"-"`
}

// Target is the cgroup and process memhook watches.
type Target struct {
	Cgroup *string `json:"cgroup"`
	PID    *int    `json:"pid"`
}

// Sample is the measurement the event was decided on.
type Sample struct {
	UsageBytes         uint64  `json:"usage_bytes"`
	LimitBytes         uint64  `json:"limit_bytes"`
	LocalFreeBytes     uint64  `json:"local_free_bytes"`
	LocalFreePercent   float64 `json:"local_free_percent"`
	HostAvailableBytes uint64  `json:"host_available_bytes"`
	HostTotalBytes     uint64  `json:"host_total_bytes"`
	Usage              string  `json:"usage"`
	WorkingSetBytes    uint64  `json:"working_set_bytes"`
	AnonBytes          uint64  `json:"anon_bytes"`
}

// errNotAnEvent: the body is not a memhook event (answered 400).
type errNotAnEvent struct{ why string }

func (e errNotAnEvent) Error() string { return "not a memhook event: " + e.why }

// parseEvent returns the event in body, or errNotAnEvent: a JSON object whose "event" is a
// string, whose "level" (when present) is an integer, and whose "seq" (when present) is one.
func parseEvent(body []byte) (Event, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(body, &probe); err != nil || probe == nil {
		return Event{}, errNotAnEvent{"not a JSON object"}
	}
	var kind string
	if raw, ok := probe["event"]; !ok || json.Unmarshal(raw, &kind) != nil || kind == "" {
		return Event{}, errNotAnEvent{`no "event" string`}
	}
	var ev Event
	if err := json.Unmarshal(body, &ev); err != nil {
		return Event{}, errNotAnEvent{err.Error()}
	}
	if ev.Seq < 0 || ev.DroppedBefore < 0 || ev.Level < 0 {
		return Event{}, errNotAnEvent{"negative seq or dropped_before"}
	}
	ev.Raw = append(json.RawMessage(nil), body...)
	return ev, nil
}
