package track

import (
	"context"
	"time"
)

// Script is a vrrp_script ready to run.
type Script struct {
	Name     string
	Cmd      Command
	Interval time.Duration
	Timeout  time.Duration // = Interval when 0
	Rise     int
	Fall     int
	InitFail bool
}

// RunScript runs s at once and then every Interval (measured from the
// start of each run) until ctx ends, and calls onChange from its goroutine
// whenever the rise/fall status changes. logf receives one line per change.
func RunScript(ctx context.Context, s Script, logf func(string, ...any), onChange func(Status)) {
	c := NewCounter(s.Rise, s.Fall, s.InitFail)
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = s.Interval
	}
	for {
		started := time.Now()
		err := Exec(ctx, s.Cmd, timeout)
		if ctx.Err() != nil {
			return
		}
		if c.Observe(err == nil) {
			if err != nil {
				logf("VRRP_Script(%s) failed: %v", s.Name, err)
			} else {
				logf("VRRP_Script(%s) succeeded", s.Name)
			}
			onChange(c.Status())
		}
		wait := time.NewTimer(max(s.Interval-time.Since(started), 0))
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
	}
}
