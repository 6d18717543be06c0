package track

import (
	"context"
	"time"

	"github.com/shardcat/shardcat/internal/script"
)

// Script is a vrrp_script ready to run.
type Script struct {
	Name     string
	Cmd      script.Command
	Interval time.Duration
	Timeout  time.Duration // = Interval when 0
	Rise     int
	Fall     int
	InitFail bool
	// Counter, when set, continues a counter (e.g. after a first check run
	// with Check); Delay is the wait before the first run.
	Counter *Counter
	Delay   time.Duration
}

func (s Script) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return s.Interval
}

// Check runs s once and feeds the result to c; it returns the error of the
// run (nil on success).
func Check(ctx context.Context, s Script, c *Counter) error {
	err := script.Exec(ctx, s.Cmd, s.timeout())
	c.Observe(err == nil)
	return err
}

// RunScript runs s at once and then every Interval (measured from the
// start of each run) until ctx ends, and calls onChange from its goroutine
// whenever the rise/fall status changes. logf receives one line per change.
func RunScript(ctx context.Context, s Script, logf func(string, ...any), onChange func(Status)) {
	c := s.Counter
	if c == nil {
		c = NewCounter(s.Rise, s.Fall, s.InitFail)
	}
	if s.Delay > 0 {
		wait := time.NewTimer(s.Delay)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
	}
	for {
		started := time.Now()
		err := script.Exec(ctx, s.Cmd, s.timeout())
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
