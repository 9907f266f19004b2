package memhook

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultGoMemLimitRatio is automemlimit's default: the Go heap may use 90% of the cgroup's
// limit, the rest is left to what the Go runtime does not count (stacks, cgo, the kernel's
// page cache charged to the cgroup).
const DefaultGoMemLimitRatio = 0.9

// GoMemLimit returns a limit_changed handler that sets the Go runtime's soft memory limit
// (debug.SetMemoryLimit) to ratio × the new limit, at once. It follows automemlimit's
// conventions, read when GoMemLimit is called: an explicit GOMEMLIMIT environment variable
// wins (the handler changes nothing); AUTOMEMLIMIT=off turns it off; AUTOMEMLIMIT=<ratio in
// (0, 1]> replaces ratio; a ratio outside (0, 1] means DefaultGoMemLimitRatio. A limit of 0 or
// at or above 2^62 (no limit, as memhook, cAdvisor and OpenJDK read it) removes the soft limit
// (math.MaxInt64).
//
//	r.OnLimitChanged(memhook.GoMemLimit(0.9))
func GoMemLimit(ratio float64) Handler {
	if !(ratio > 0 && ratio <= 1) {
		ratio = DefaultGoMemLimitRatio
	}
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		return func(context.Context, Event) error { return nil }
	}
	switch v := strings.TrimSpace(os.Getenv("AUTOMEMLIMIT")); {
	case v == "off":
		return func(context.Context, Event) error { return nil }
	case v != "":
		if r, err := strconv.ParseFloat(v, 64); err == nil && r > 0 && r <= 1 {
			ratio = r
		}
	}
	return func(_ context.Context, ev Event) error {
		debug.SetMemoryLimit(goMemLimitBytes(ratio, limitOf(ev)))
		return nil
	}
}

// limitOf returns the event's new limit: new_limit_bytes, else the sample's limit_bytes.
func limitOf(ev Event) uint64 {
	if ev.NewLimitBytes > 0 {
		return ev.NewLimitBytes
	}
	if ev.Sample != nil {
		return ev.Sample.LimitBytes
	}
	return 0
}

// goMemLimitBytes returns ratio × limitBytes, or math.MaxInt64 (no soft limit) for no limit.
func goMemLimitBytes(ratio float64, limitBytes uint64) int64 {
	if limitBytes == 0 || limitBytes >= 1<<62 {
		return math.MaxInt64
	}
	v := ratio * float64(limitBytes)
	if v >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}
