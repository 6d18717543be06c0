package sched

import (
	"net/netip"
	"time"
)

type lblcrEntry struct {
	addr    netip.Addr
	set     []netip.AddrPort // newest first
	lastmod time.Duration
	lastuse time.Duration
}

// LBLCR is locality-based least-connection with replication: the cache maps
// a packet destination address to a set of real servers. Members that left
// the snapshot are ignored when choosing the set's min and max. Call Tick
// every CheckExpireInterval.
type LBLCR struct {
	// Expiration is the lblcr_expiration sysctl; 0 means DefaultExpiration.
	Expiration time.Duration

	buckets [CacheTabSize][]*lblcrEntry
	entries int
	rover   int
	counter int
}

func (*LBLCR) Name() string { return "lblcr" }

// Len is the number of cache entries.
func (l *LBLCR) Len() int { return l.entries }

// Set returns the cached set for a destination address, newest first.
func (l *LBLCR) Set(a netip.Addr) []netip.AddrPort {
	if e := l.get(a); e != nil {
		return append([]netip.AddrPort(nil), e.set...)
	}
	return nil
}

func (l *LBLCR) get(a netip.Addr) *lblcrEntry {
	for _, e := range l.buckets[cacheBucket(a)] {
		if e.addr == a {
			return e
		}
	}
	return nil
}

func (l *LBLCR) exp() time.Duration {
	if l.Expiration == 0 {
		return DefaultExpiration
	}
	return l.Expiration
}

// setMin is the weighted least-loaded available, non-overloaded member.
func setMin(set []netip.AddrPort, dests []*Dest) int {
	best := -1
	var boh int64
	for _, k := range set {
		i := indexOf(dests, k)
		if i < 0 || dests[i].Overloaded {
			continue
		}
		d := dests[i]
		if best < 0 {
			if d.Weight > 0 {
				best, boh = i, int64(d.Overhead())
			}
			continue
		}
		if oh := int64(d.Overhead()); lessLoaded(boh, dests[best].Weight, oh, d.Weight) {
			best, boh = i, oh
		}
	}
	return best
}

// setMax is the weighted most-loaded member with weight > 0.
func setMax(set []netip.AddrPort, dests []*Dest) int {
	most := -1
	var moh int64
	for _, k := range set {
		i := indexOf(dests, k)
		if i < 0 || dests[i].Weight <= 0 {
			continue
		}
		d := dests[i]
		oh := int64(d.Overhead())
		if most < 0 || moh*int64(d.Weight) < oh*int64(dests[most].Weight) {
			most, moh = i, oh
		}
	}
	return most
}

func (l *LBLCR) Schedule(dests []*Dest, conn ConnInfo) (int, bool) {
	daddr, now := conn.Dst.Addr(), conn.Now
	e := l.get(daddr)
	if e != nil {
		e.lastuse = now
		i := setMin(e.set, dests)
		if len(e.set) > 1 && now > e.lastmod+l.exp() {
			if m := setMax(e.set, dests); m >= 0 {
				e.erase(dests[m].Key(), now)
			}
		}
		if i >= 0 && !lbcOverloaded(dests[i], dests) {
			return i, true
		}
	}
	i := wlcPick(dests, func(d *Dest) int64 { return int64(d.Overhead()) })
	if i < 0 {
		return -1, false
	}
	if e != nil {
		e.insert(dests[i].Key(), now)
		return i, true
	}
	e = &lblcrEntry{addr: daddr, lastuse: now}
	e.insert(dests[i].Key(), now)
	b := cacheBucket(daddr)
	l.buckets[b] = append([]*lblcrEntry{e}, l.buckets[b]...)
	l.entries++
	return i, true
}

func (e *lblcrEntry) insert(k netip.AddrPort, now time.Duration) {
	for _, x := range e.set {
		if x == k {
			return
		}
	}
	e.set = append([]netip.AddrPort{k}, e.set...)
	e.lastmod = now
}

func (e *lblcrEntry) erase(k netip.AddrPort, now time.Duration) {
	for j, x := range e.set {
		if x == k {
			e.set = append(e.set[:j:j], e.set[j+1:]...)
			e.lastmod = now
			return
		}
	}
}

// Tick runs one periodic check (the kernel's 60-second timer) at time now.
func (l *LBLCR) Tick(now time.Duration) {
	l.counter, l.rover = cacheTick(l.counter, l.rover, l.entries, now, l.exp(),
		func(b int, idle func(time.Duration) bool) (removed int) {
			kept := l.buckets[b][:0]
			for _, e := range l.buckets[b] {
				if idle(e.lastuse) {
					removed++
					continue
				}
				kept = append(kept, e)
			}
			l.buckets[b] = kept
			l.entries -= removed
			return removed
		})
}
