package estimator

import (
	"testing"
	"time"
)

// Hand-computed from ip_vs_est.c:
//
//	conns +10 in 2 s: rate = 10<<9 = 5120; avg = 0 + 5120>>2 = 1280; cps = (1280+511)>>10 = 1
//	conns +10:        avg = 1280 + (5120-1280)>>2 = 2240;               cps = 2751>>10 = 2
//	conns +0:         avg = 2240 + (-2240)>>2 = 1680;                   cps = 2191>>10 = 2
//	conns +0:         avg = 1680 - 420 = 1260;                          cps = 1771>>10 = 1
//	bytes +1000:      rate = 16000; avg = 4000; bps = (4000+15)>>5 = 125
//	bytes +1000:      avg = 4000 + 3000 = 7000;  bps = 7015>>5 = 219
//	bytes +0:         avg = 7000 - 1750 = 5250;  bps = 5265>>5 = 164
//	bytes +0:         avg = 5250 - 1313 (arithmetic shift of -5250) = 3937; bps = 3952>>5 = 123
func TestEstimatorTicks(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		at    time.Duration
		c     Counters
		ticks int
		want  Rates
	}{
		{0, Counters{}, 0, Rates{}},
		{2 * time.Second, Counters{Conns: 10, InPkts: 1, InBytes: 1000, OutBytes: 1}, 1, Rates{CPS: 1, InPPS: 0, InBPS: 125}},
		{4 * time.Second, Counters{Conns: 20, InPkts: 1, InBytes: 2000, OutBytes: 1}, 1, Rates{CPS: 2, InBPS: 219}},
		{6 * time.Second, Counters{Conns: 20, InPkts: 1, InBytes: 2000, OutBytes: 1}, 1, Rates{CPS: 2, InBPS: 164}},
		{8 * time.Second, Counters{Conns: 20, InPkts: 1, InBytes: 2000, OutBytes: 1}, 1, Rates{CPS: 1, InBPS: 123}},
	}
	var e Estimator
	for i, s := range steps {
		if got := e.Update(t0.Add(s.at), s.c); got != s.ticks {
			t.Errorf("step %d: %d ticks, want %d", i, got, s.ticks)
		}
		if got := e.Rates(); got != s.want {
			t.Errorf("step %d: rates %+v, want %+v", i, got, s.want)
		}
	}
	// inpkts +1: avg 128, then 96, 72, 54 (never read above 0 after rounding: (128+511)>>10 = 0).
	if e.inpps != 54 {
		t.Errorf("inpps avg %d, want 54", e.inpps)
	}
	// outbytes +1: rate 16, avg 4, then the arithmetic shift floors: 4-1=3, 3-1=2, 2-1=1 after three idle ticks.
	if e.outbps != 1 {
		t.Errorf("outbps avg %d, want 1", e.outbps)
	}
}

func TestEstimatorDecaysToZero(t *testing.T) {
	var e Estimator
	t0 := time.Unix(0, 0)
	e.Update(t0, Counters{})
	e.Update(t0.Add(Tick), Counters{OutBytes: 1}) // avg 4
	want := []uint64{3, 2, 1, 0, 0}
	for i, w := range want {
		e.Update(t0.Add(time.Duration(i+2)*Tick), Counters{OutBytes: 1})
		if e.outbps != w {
			t.Fatalf("tick %d: avg %d, want %d", i, e.outbps, w)
		}
	}
}

func TestEstimatorTime(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var e Estimator
	e.Update(t0, Counters{Conns: 5}) // start: only recorded
	if n := e.Update(t0.Add(1999*time.Millisecond), Counters{Conns: 100}); n != 0 {
		t.Fatalf("early update applied %d ticks", n)
	}
	// 4.5 s later: two missed ticks, +20 spread as +10, +10 (avg 1280, 2240).
	if n := e.Update(t0.Add(4500*time.Millisecond), Counters{Conns: 25}); n != 2 {
		t.Fatalf("%d ticks, want 2", n)
	}
	if e.cps != 2240 || e.Rates().CPS != 2 {
		t.Errorf("cps avg %d rate %d, want 2240 and 2", e.cps, e.Rates().CPS)
	}
	// The tick grid stays at t0+2k s: t0+6 s is the next tick.
	if n := e.Update(t0.Add(5900*time.Millisecond), Counters{Conns: 25}); n != 0 {
		t.Fatalf("update before the next tick applied %d", n)
	}
	if n := e.Update(t0.Add(6*time.Second), Counters{Conns: 25}); n != 1 || e.cps != 1680 {
		t.Errorf("ticks %d avg %d, want 1 and 1680", n, e.cps)
	}
	// Odd increase over 3 ticks: 7 = 2+2+3.
	var f Estimator
	f.Update(t0, Counters{})
	f.Update(t0.Add(3*Tick), Counters{Conns: 7})
	// 2<<9=1024 -> 256; 1024 -> 256+192=448; 3<<9=1536 -> 448+272=720.
	if f.cps != 720 {
		t.Errorf("spread avg %d, want 720", f.cps)
	}
}
