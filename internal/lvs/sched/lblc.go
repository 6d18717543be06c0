package sched

import (
	"net/netip"
	"time"
)

// Cache constants shared by lblc and lblcr.
const (
	CacheTabBits        = 10
	CacheTabSize        = 1 << CacheTabBits
	CacheMaxSize        = 16 * CacheTabSize
	CheckExpireInterval = 60 * time.Second // call Tick this often
	EntryTimeout        = 6 * time.Minute  // idle limit when over CacheMaxSize
	DefaultExpiration   = 24 * time.Hour   // lblc_expiration / lblcr_expiration
	countForFull        = 30
)

func cacheBucket(a netip.Addr) int { return int(hash32(fold(a), CacheTabBits)) }

// lbcOverloaded is lblc/lblcr's "overloaded": more active connections than
// weight while some destination has active*2 < weight.
func lbcOverloaded(d *Dest, dests []*Dest) bool {
	if d.ActiveConns <= d.Weight {
		return false
	}
	for _, o := range dests {
		if int64(o.ActiveConns)*2 < int64(o.Weight) {
			return true
		}
	}
	return false
}

type lblcEntry struct {
	addr    netip.Addr
	dest    netip.AddrPort
	lastuse time.Duration
}

// LBLC is locality-based least-connection: a cache from packet destination
// address to real server. Call Tick every CheckExpireInterval for the
// kernel's garbage collection.
type LBLC struct {
	// Expiration is the lblc_expiration sysctl; 0 means DefaultExpiration.
	Expiration time.Duration

	buckets [CacheTabSize][]*lblcEntry // newest first, like hlist_add_head
	entries int
	rover   int
	counter int
}

func (*LBLC) Name() string { return "lblc" }

// Len is the number of cache entries.
func (l *LBLC) Len() int { return l.entries }

func (l *LBLC) get(a netip.Addr) *lblcEntry {
	for _, e := range l.buckets[cacheBucket(a)] {
		if e.addr == a {
			return e
		}
	}
	return nil
}

func (l *LBLC) Schedule(dests []*Dest, conn ConnInfo) (int, bool) {
	daddr := conn.Dst.Addr()
	if e := l.get(daddr); e != nil {
		e.lastuse = conn.Now
		if i := indexOf(dests, e.dest); i >= 0 {
			if d := dests[i]; d.Weight > 0 && !lbcOverloaded(d, dests) {
				return i, true
			}
		}
	}
	i := wlcPick(dests, func(d *Dest) int64 { return int64(d.Overhead()) })
	if i < 0 {
		return -1, false
	}
	l.put(daddr, dests[i].Key(), conn.Now)
	return i, true
}

func (l *LBLC) put(a netip.Addr, dest netip.AddrPort, now time.Duration) {
	b := cacheBucket(a)
	if e := l.get(a); e != nil {
		if e.dest == dest {
			return
		}
		l.remove(b, e)
	}
	l.buckets[b] = append([]*lblcEntry{{addr: a, dest: dest, lastuse: now}}, l.buckets[b]...)
	l.entries++
}

func (l *LBLC) remove(b int, e *lblcEntry) {
	list := l.buckets[b]
	for j, x := range list {
		if x == e {
			l.buckets[b] = append(list[:j:j], list[j+1:]...)
			l.entries--
			return
		}
	}
}

// Tick runs one periodic check (the kernel's 60-second timer) at time now.
func (l *LBLC) Tick(now time.Duration) {
	exp := l.Expiration
	if exp == 0 {
		exp = DefaultExpiration
	}
	l.counter, l.rover = cacheTick(l.counter, l.rover, l.entries, now, exp,
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

// cacheTick is the check_expire timer shared by lblc and lblcr. sweep drops
// the entries of bucket b whose lastuse makes idle true and returns how many.
func cacheTick(counter, rover, entries int, now, exp time.Duration,
	sweep func(b int, idle func(time.Duration) bool) int) (int, int) {
	if counter == 0 {
		counter = 1 // the kernel starts the counter at 1
	}
	if counter%countForFull == 0 {
		for b := range CacheTabSize {
			sweep(b, func(last time.Duration) bool { return now >= last+exp })
		}
		return 1, rover
	}
	if entries <= CacheMaxSize {
		return counter + 1, rover
	}
	goal := (entries - CacheMaxSize) * 4 / 3
	goal = min(goal, CacheMaxSize/2)
	j := rover
	for range CacheTabSize {
		j = (j + 1) & (CacheTabSize - 1)
		goal -= sweep(j, func(last time.Duration) bool { return now >= last+EntryTimeout })
		if goal <= 0 {
			break
		}
	}
	return counter, j
}
