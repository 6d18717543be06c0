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
// semantics are testable without a clock. Rise > 1 (a shardcat extension)
// asks for that many consecutive successes, delay_loop apart, to come UP.
type checkState struct {
	up    bool
	fails int // consecutive failures in the current round
	rises int // consecutive successes while DOWN
}

// record takes one probe result and returns whether the verdict changed and
// how long to wait before the next probe.
func (s *checkState) record(ok bool, c CheckConfig) (changed bool, next time.Duration) {
	if ok {
		s.fails = 0
		if !s.up && c.Rise > 1 {
			s.rises++
			if s.rises < c.Rise {
				return false, c.DelayLoop
			}
		}
		s.rises = 0
		changed = !s.up
		s.up = true
		return changed, c.DelayLoop
	}
	s.rises = 0
	s.fails++
	if s.fails < 1+c.Retry {
		return false, c.DelayBeforeRetry
	}
	s.fails = 0
	changed = s.up
	s.up = false
	return changed, c.DelayLoop
}

// runCheck probes cfg until ctx ends, reporting each verdict change (and
// the first failure of a checker starting down), and
// each weight change asked by a MISC_CHECK misc_dynamic (-1 = configured).
//
// suspended, when set, is asked before each probe: while it says so the
// probe is skipped and the state kept (ha_suspend).
func runCheck(ctx context.Context, cfg CheckConfig, initialUp bool, suspended func() bool, report func(up bool), setWeight func(w int)) {
	st := checkState{up: initialUp}
	first := true
	weight := -1
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
		if suspended != nil && suspended() {
			timer.Reset(cfg.DelayLoop)
			continue
		}
		res := probe(ctx, cfg)
		if ctx.Err() != nil {
			return
		}
		if res.ok && res.weight != weight && setWeight != nil {
			weight = res.weight
			setWeight(weight)
		}
		changed, next := st.record(res.ok, cfg)
		// keepalived also reports the first failure of an alpha checker,
		// which changes nothing, so notify_down runs once at start.
		if changed || (first && !initialUp && !res.ok) {
			report(st.up)
		}
		first = false
		timer.Reset(next)
	}
}

// localAddr is the probes' source (bindto, bind_port); nil = any.
func (cfg CheckConfig) localAddr() *net.TCPAddr {
	if !cfg.BindTo.IsValid() && cfg.BindPort == 0 {
		return nil
	}
	a := &net.TCPAddr{Port: cfg.BindPort}
	if cfg.BindTo.IsValid() {
		a.IP = cfg.BindTo.AsSlice()
	}
	return a
}

func probeTCP(ctx context.Context, cfg CheckConfig) bool {
	timeout := cfg.ConnectTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	d := net.Dialer{Timeout: timeout, LocalAddr: cfg.localAddr()}
	c, err := d.DialContext(ctx, "tcp", cfg.Addr.String())
	if err != nil {
		return false
	}
	c.Close()
	return true
}
