// Package track decides what keepalived's tracking does to a VRRP instance:
// vrrp_script results with rise/fall (Counter), the weight semantics of
// track_script and track_interface (Effect, Compute), and it runs the
// scripts (Runner, Exec) and watches interfaces (WatchLink). The deciding
// parts are pure; the orchestrator (internal/director) wires the results
// into the drivers with SetPriority and EnterFault/LeaveFault.
package track

import (
	"fmt"
	"strings"
)

// Status is the state of a tracked object.
type Status int

const (
	// Init: a script that has not yet produced a result. It counts as a
	// failure for weight 0 (the instance starts in FAULT until the script
	// succeeds, as in keepalived) and contributes no weight otherwise.
	Init Status = iota
	Up
	Down
)

func (s Status) String() string {
	switch s {
	case Init:
		return "init"
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Counter is keepalived's vrrp_script result counter (vrrp_scheduler.c):
// result in [0, rise+fall-1]; rise consecutive successes bring a down
// script up, fall consecutive failures bring an up script down.
type Counter struct {
	rise, fall int
	result     int
	status     Status
}

// NewCounter starts in Init: the first result decides (one success is
// enough, as keepalived starts the counter at rise-1). With initFail the
// script starts Down and needs rise successes.
func NewCounter(rise, fall int, initFail bool) *Counter {
	rise, fall = max(rise, 1), max(fall, 1)
	c := &Counter{rise: rise, fall: fall, result: rise - 1}
	if initFail {
		c.result, c.status = 0, Down
	}
	return c
}

// Status returns the current status.
func (c *Counter) Status() Status { return c.status }

// Observe records one result and reports whether the status changed.
func (c *Counter) Observe(ok bool) (changed bool) {
	before := c.status
	top := c.rise + c.fall - 1
	if ok {
		switch {
		case c.result < c.rise-1:
			c.result++
		default:
			c.result = top
			c.status = Up
		}
	} else {
		switch {
		case c.result > c.rise:
			c.result--
		default:
			c.result = 0
			c.status = Down
		}
	}
	return c.status != before
}

// Effect is what one tracked object in the given status does to an
// instance: reverse flips the sense of the result; weight 0 puts the
// instance in FAULT while failed (Init counts as failed); a positive weight
// is added while up, a negative one while down.
func Effect(weight int, reverse bool, s Status) (delta int, fault bool) {
	if s == Init {
		return 0, weight == 0
	}
	ok := (s == Up) != reverse
	switch {
	case weight == 0:
		return 0, !ok
	case weight > 0 && ok, weight < 0 && !ok:
		return weight, false
	}
	return 0, false
}

// Term is one tracked object of an instance, with its weight as the
// instance tracks it (track_script's weight overrides the vrrp_script's).
type Term struct {
	Kind    string // "script" or "interface"
	Name    string
	Weight  int
	Reverse bool
	Status  Status
}

// Compute returns the effective priority (base plus weights, clamped to
// 1..254; an owner's 255 never changes), whether the instance must be in
// FAULT and, if so, why (the first failed term).
func Compute(base int, terms []Term) (prio int, fault bool, reason string) {
	prio = base
	var why []string
	for _, t := range terms {
		d, f := Effect(t.Weight, t.Reverse, t.Status)
		prio += d
		if f {
			fault = true
			why = append(why, t.describe())
		}
	}
	if base == 255 {
		prio = 255
	} else {
		prio = max(1, min(prio, 254))
	}
	return prio, fault, strings.Join(why, ", ")
}

func (t Term) describe() string {
	switch {
	case t.Kind == "interface":
		if t.Reverse {
			return "tracked interface " + t.Name + " up (reverse)"
		}
		return "tracked interface " + t.Name + " down"
	case t.Status == Init:
		return "tracked script " + t.Name + " has not succeeded yet"
	case t.Reverse:
		return "tracked script " + t.Name + " succeeded (reverse)"
	}
	return "tracked script " + t.Name + " failed"
}
