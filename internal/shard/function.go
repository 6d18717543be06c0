// Package shard implements Mycat 1.6's partition functions with identical data
// placement. Every function is pure: it reads its map files once, at construction,
// through Env, and never touches the clock or the network afterwards. The one
// exception is PartitionByHotDate, whose placement Mycat defines relative to
// the current time; it reads Env.Now on every call.
package shard

import (
	"errors"
	"time"
)

// Function maps a shard-column value to an index into a table's expanded
// dataNode list, exactly as the Mycat 1.6 class of the same name does.
type Function interface {
	// Calculate places one value. value is the SQL literal's text with one pair
	// of enclosing backticks or single quotes already stripped (Mycat's
	// StringUtil.removeBackquote). A value Mycat cannot place is an error,
	// never a guess.
	Calculate(value string) (int, error)
	// CalculateRange lists the partitions holding begin..end inclusive.
	// all=true means the function cannot narrow a range (Mycat returns an empty
	// array there) and the statement must go to every data node of the table.
	CalculateRange(begin, end string) (nodes []int, all bool, err error)
	// PartitionNum is the number of partitions the function can return, or -1
	// when it is unbounded; the loader rejects a rule whose count exceeds the
	// table's data nodes.
	PartitionNum() int
}

// Env is what a function may need from its surroundings at construction.
type Env struct {
	// ReadFile reads a map or properties file named in the function's
	// properties, resolved relative to the Mycat conf directory.
	ReadFile func(name string) ([]byte, error)
	// WriteFile persists state a function owns (PartitionByCRC32PreSlot's slot
	// file under ruledata/); nil means read-only.
	WriteFile func(name string, data []byte) error
	// RuleName names PartitionByCRC32PreSlot's slot file
	// ruledata/<RuleName>.properties. Mycat builds that function once per
	// table and names it "<tableRule name>_<table name>" (XMLSchemaLoader),
	// so the loader should pass that, with the table name as Mycat holds it.
	RuleName string
	// DataNodes is the number of data nodes of the table the function is
	// built for, 0 when unknown. Later Mycat 1.6.7 releases size
	// PartitionByCRC32PreSlot from the table instead of a count property.
	DataNodes int
	// Location is the JVM default time zone Mycat would use (from TZ).
	Location *time.Location
	// Now is read once at construction to fix SimpleDateFormat's two-digit
	// year window (80 years back to 20 ahead); nil means time.Now.
	Now func() time.Time
}

func (e Env) location() *time.Location {
	if e.Location == nil {
		return time.Local
	}
	return e.Location
}

func (e Env) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// ErrNoPartition is wrapped by every "Mycat cannot place this value" error.
var ErrNoPartition = errors.New("no partition for value")
