// Package estimator is the IPVS rate estimator of the kernel's ip_vs_est.c
// as a pure type: it is fed cumulative counters once per 2-second tick and
// keeps, in scaled fixed point, the exponentially weighted moving average
//
//	avg += (rate - avg) >> 2          (weight 1/4)
//
// where rate is the counter's increase over the tick, scaled by 2^10 and
// divided by 2 s (<< 9) for connections and packets, or scaled by 2^5 and
// divided by 2 s (<< 4) for bytes. The read-out rounds the same way as
// ip_vs_read_estimator: (avg + 0x1FF) >> 10 and (avg + 0xF) >> 5.
//
// The kernel's timer assumes every tick is exactly 2 s. Update is given the
// time: calls less than 2 s after the last tick are ignored (the counters are
// picked up at the next tick), and when k >= 2 whole periods have passed the
// increase is spread evenly over k ticks (the remainder on the last), as if
// the missed timer ticks had run.
package estimator

import "time"

// Tick is the estimator period of ip_vs_est.c.
const Tick = 2 * time.Second

// Counters are the cumulative counters an estimator follows.
type Counters struct {
	Conns, InPkts, OutPkts, InBytes, OutBytes uint64
}

// Rates are what ipvsadm --rate shows: per second, bytes (not bits) for BPS.
type Rates struct {
	CPS, InPPS, OutPPS, InBPS, OutBPS uint64
}

// Estimator is one service's or real server's estimator. The zero value is
// ready; the first Update only records the counters (ip_vs_start_estimator).
type Estimator struct {
	started  bool
	lastTick time.Time
	last     Counters
	// Scaled averages: cps/pps by 2^10, bps by 2^5 (struct ip_vs_estimator).
	cps, inpps, outpps, inbps, outbps uint64
}

// Update feeds the cumulative counters at now and reports how many ticks
// were applied.
func (e *Estimator) Update(now time.Time, c Counters) int {
	if !e.started {
		e.started, e.lastTick, e.last = true, now, c
		return 0
	}
	k := int(now.Sub(e.lastTick) / Tick)
	if k <= 0 {
		return 0
	}
	e.lastTick = e.lastTick.Add(time.Duration(k) * Tick)
	d := Counters{
		Conns: c.Conns - e.last.Conns, InPkts: c.InPkts - e.last.InPkts, OutPkts: c.OutPkts - e.last.OutPkts,
		InBytes: c.InBytes - e.last.InBytes, OutBytes: c.OutBytes - e.last.OutBytes,
	}
	e.last = c
	n := uint64(k)
	for i := range n {
		part := func(v uint64) uint64 {
			if i == n-1 {
				return v/n + v%n
			}
			return v / n
		}
		e.tick(Counters{part(d.Conns), part(d.InPkts), part(d.OutPkts), part(d.InBytes), part(d.OutBytes)})
	}
	return k
}

// tick is one run of estimation_timer for this estimator, given the
// counters' increase over the last 2 s.
func (e *Estimator) tick(d Counters) {
	ewma(&e.cps, d.Conns<<9)
	ewma(&e.inpps, d.InPkts<<9)
	ewma(&e.outpps, d.OutPkts<<9)
	ewma(&e.inbps, d.InBytes<<4)
	ewma(&e.outbps, d.OutBytes<<4)
}

// ewma is e->x += ((s64)rate - (s64)e->x) >> 2, an arithmetic shift.
func ewma(avg *uint64, rate uint64) {
	*avg = uint64(int64(*avg) + (int64(rate)-int64(*avg))>>2)
}

// Rates is ip_vs_read_estimator.
func (e *Estimator) Rates() Rates {
	return Rates{
		CPS:    (e.cps + 0x1FF) >> 10,
		InPPS:  (e.inpps + 0x1FF) >> 10,
		OutPPS: (e.outpps + 0x1FF) >> 10,
		InBPS:  (e.inbps + 0xF) >> 5,
		OutBPS: (e.outbps + 0xF) >> 5,
	}
}
