package shard

import (
	"errors"
	"fmt"
)

// placementError is a value Mycat cannot place. It wraps ErrNoPartition so
// callers can tell "this row has no home" from configuration errors.
type placementError struct {
	function string
	value    string
	reason   string
	// null marks Mycat's "calculate returned null" case: a range query then
	// falls back to every data node instead of failing.
	null bool
}

func (e *placementError) Error() string {
	return fmt.Sprintf("%s: no partition for value %q: %s", e.function, e.value, e.reason)
}

func (e *placementError) Unwrap() error { return ErrNoPartition }

func noPartition(function, value, format string, args ...any) error {
	return &placementError{function: function, value: value, reason: fmt.Sprintf(format, args...)}
}

// nullPartition is Mycat's null result: no range matched and no default node.
func nullPartition(function, value, format string, args ...any) error {
	return &placementError{function: function, value: value, reason: fmt.Sprintf(format, args...), null: true}
}

func isNullPartition(err error) bool {
	var pe *placementError
	return errors.As(err, &pe) && pe.null
}

// checkIndex turns a negative index (Mycat would fail routing with it) into
// an error.
func checkIndex(function, value string, index int) (int, error) {
	if index < 0 {
		return 0, noPartition(function, value, "negative partition index %d", index)
	}
	return index, nil
}

// configError names the function class and the property at fault.
func configError(class, property, format string, args ...any) error {
	if property == "" {
		return fmt.Errorf("%s: %s", class, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%s: property %s: %s", class, property, fmt.Sprintf(format, args...))
}
