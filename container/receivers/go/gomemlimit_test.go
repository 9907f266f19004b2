package memhook

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
)

func TestGoMemLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	const limit = 100 << 20
	ev := Event{Kind: KindLimitChanged, OldLimitBytes: 200 << 20, NewLimitBytes: limit}
	for _, tc := range []struct {
		name, gomemlimit, automemlimit string
		ratio                          float64
		want                           int64
	}{
		{"ratio", "", "", 0.9, limit * 9 / 10},
		{"another ratio", "", "", 0.5, limit / 2},
		{"ratio out of range: 0.9", "", "", 1.5, limit * 9 / 10},
		{"no ratio: 0.9", "", "", 0, limit * 9 / 10},
		{"AUTOMEMLIMIT ratio wins", "", "0.75", 0.9, limit * 3 / 4},
		{"AUTOMEMLIMIT bad ratio ignored", "", "2", 0.5, limit / 2},
		{"AUTOMEMLIMIT=off", "", "off", 0.9, 12345},
		{"GOMEMLIMIT wins", "64MiB", "", 0.9, 12345},
		{"GOMEMLIMIT wins over AUTOMEMLIMIT", "64MiB", "0.5", 0.9, 12345},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			t.Setenv("AUTOMEMLIMIT", tc.automemlimit)
			debug.SetMemoryLimit(12345)
			if err := GoMemLimit(tc.ratio)(context.Background(), ev); err != nil {
				t.Fatal(err)
			}
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Fatalf("memory limit %d, want %d", got, tc.want)
			}
		})
	}
}

func TestGoMemLimitWithoutALimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AUTOMEMLIMIT", "")
	set := GoMemLimit(0.9)
	for _, ev := range []Event{
		{Kind: KindLimitChanged, NewLimitBytes: 9223372036854771712}, // v1's "no limit"
		{Kind: KindLimitChanged, NewLimitBytes: math.MaxUint64},
		{Kind: KindLimitChanged},
	} {
		debug.SetMemoryLimit(12345)
		set(context.Background(), ev)
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Fatalf("new limit %d: memory limit %d, want none", ev.NewLimitBytes, got)
		}
	}
	// the sample's limit when new_limit_bytes is absent
	set(context.Background(), Event{Kind: KindLimitChanged, Sample: &Sample{LimitBytes: 1000}})
	if got := debug.SetMemoryLimit(-1); got != 900 {
		t.Fatalf("memory limit %d, want 900", got)
	}
}

func TestGoMemLimitThroughAReceiver(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AUTOMEMLIMIT", "")
	h := newHarness(t, Options{})
	h.r.OnLimitChanged(GoMemLimit(0.9))
	h.post("m1", body(KindLimitChanged, 0, "normal", 1, `,"old_limit_bytes":209715200,"new_limit_bytes":104857600`))
	h.closeAndCalls()
	if got := debug.SetMemoryLimit(-1); got != 94371840 {
		t.Fatalf("memory limit %d, want 0.9 × 100 MiB", got)
	}
}
