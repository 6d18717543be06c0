package sched

import "net/netip"

// WRR is the kernel's weighted round-robin: gcd-interleaved, stepping the
// current weight cw down by di from mw. Any change of the destination list
// or of a weight (detected by comparing snapshots) resets the position to
// the head, recomputes di and mw and clamps cw as the kernel does.
type WRR struct {
	cl     int // index of the last chosen dest; -1 = head
	cw     int32
	mw     int32
	di     int32
	inited bool
	sig    []wrrSig
}

type wrrSig struct {
	key    netip.AddrPort
	weight int32
}

func (*WRR) Name() string { return "wrr" }

func (w *WRR) changed(dests []*Dest) bool {
	if len(dests) != len(w.sig) {
		return true
	}
	for i, d := range dests {
		if w.sig[i].weight != d.Weight || w.sig[i].key != d.Key() {
			return true
		}
	}
	return false
}

func (w *WRR) update(dests []*Dest) {
	if w.inited && !w.changed(dests) {
		return
	}
	w.sig = w.sig[:0]
	var g, maxw int32
	for _, d := range dests {
		w.sig = append(w.sig, wrrSig{d.Key(), d.Weight})
		if d.Weight > 0 {
			if g > 0 {
				g = gcd(d.Weight, g)
			} else {
				g = d.Weight
			}
		}
		if d.Weight > maxw {
			maxw = d.Weight
		}
	}
	if g == 0 {
		g = 1
	}
	w.cl, w.di, w.mw = -1, g, maxw-(g-1)
	switch {
	case !w.inited:
		w.cw = w.mw
	case w.cw > w.mw || w.cw == 0:
		w.cw = w.mw
	case w.di > 1:
		w.cw = (w.cw/w.di)*w.di + 1
	}
	w.inited = true
}

func (w *WRR) Schedule(dests []*Dest, _ ConnInfo) (int, bool) {
	w.update(dests)
	if w.mw == 0 {
		return -1, false
	}
	last := w.cl
	stop := -2 // no stop dest
	lastPass, restarted := false, false
	i := w.cl
	for {
		for i++; i < len(dests); i++ {
			d := dests[i]
			if !d.Overloaded && d.Weight >= w.cw {
				w.cl = i
				return i, true
			}
			if i == stop {
				w.cl = i
				return -1, false
			}
		}
		i = -1 // back at the head
		w.cw -= w.di
		if w.cw <= 0 {
			w.cw = w.mw
			if lastPass || last == -1 {
				w.cl = -1
				return -1, false
			}
			restarted = true
		}
		lastPass = w.cw <= w.di
		if lastPass && restarted && last != -1 {
			stop = last
		}
	}
}
