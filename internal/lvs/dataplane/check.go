package dataplane

import (
	"context"
	"math/rand/v2"
	"net"
	"time"
)

// checkState is keepalived's TCP_CHECK verdict logic (check_tcp.c
// tcp_epilog): DOWN after 1+retry consecutive failures spaced
// delay_before_retry apart, UP after a single success. It is pure so the
// semantics are testable without a clock.
type checkState struct {
	up    bool
	fails int // consecutive failures in the current round
}

// record takes one probe result and returns whether the verdict changed and
// how long to wait before the next probe.
func (s *checkState) record(ok bool, c CheckConfig) (changed bool, next time.Duration) {
	if ok {
		s.fails = 0
		changed = !s.up
		s.up = true
		return changed, c.DelayLoop
	}
	s.fails++
	if s.fails < 1+c.Retry {
		return false, c.DelayBeforeRetry
	}
	s.fails = 0
	changed = s.up
	s.up = false
	return changed, c.DelayLoop
}

// runCheck probes cfg until ctx ends, reporting each verdict change.
func runCheck(ctx context.Context, cfg CheckConfig, initialUp bool, report func(up bool)) {
	st := checkState{up: initialUp}
	delay := time.Duration(0)
	if cfg.Warmup > 0 {
		delay = rand.N(cfg.Warmup + 1)
	}
	if cfg.DelayLoop <= 0 {
		cfg.DelayLoop = time.Second
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		ok := probeTCP(ctx, cfg)
		if ctx.Err() != nil {
			return
		}
		changed, next := st.record(ok, cfg)
		if changed {
			report(st.up)
		}
		timer.Reset(next)
	}
}

func probeTCP(ctx context.Context, cfg CheckConfig) bool {
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", cfg.Addr.String())
	if err != nil {
		return false
	}
	c.Close()
	return true
}
