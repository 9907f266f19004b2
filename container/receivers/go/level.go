package memhook

import "strconv"

// LevelSelector picks the levels a handler is called for: Level(2), LevelName("high") or
// AnyLevel.
type LevelSelector interface {
	matchLevel(level int, name string) bool
	String() string
}

// Level selects a level by number (0 is normal, 1 the first level of the policy).
type Level int

func (l Level) matchLevel(level int, _ string) bool { return int(l) == level }

func (l Level) String() string { return strconv.Itoa(int(l)) }

// LevelName selects a level by its name in memhook's policy ("critical").
type LevelName string

func (l LevelName) matchLevel(_ int, name string) bool { return string(l) == name }

func (l LevelName) String() string { return strconv.Quote(string(l)) }

type anyLevel struct{}

func (anyLevel) matchLevel(int, string) bool { return true }

func (anyLevel) String() string { return "any level" }

// AnyLevel selects every level.
var AnyLevel LevelSelector = anyLevel{}
