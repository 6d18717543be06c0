package sched

import (
	"math/big"
	"math/rand"
	"net/netip"
	"reflect"
	"testing"
	"testing/quick"
)

// snapshot is a random list of destinations for testing/quick.
type snapshot []*Dest

func (snapshot) Generate(r *rand.Rand, size int) reflect.Value {
	n := r.Intn(8)
	ds := make(snapshot, n)
	// Small ranges make ties and idle servers common; big ones stress the
	// 64-bit products.
	big := r.Intn(4) == 0
	for i := range ds {
		d := &Dest{Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}), Port: 80}
		if big {
			d.Weight = r.Int31n(65536)
			d.ActiveConns = r.Int31n(1 << 22)
			d.InactConns = r.Int31n(1 << 30)
		} else {
			d.Weight = r.Int31n(4)
			d.ActiveConns = r.Int31n(4)
			d.InactConns = r.Int31n(600)
		}
		d.Overloaded = r.Intn(5) == 0
		ds[i] = d
	}
	return reflect.ValueOf(ds)
}

// The simple references: filter, then scan for the strictly best value with
// exact rational arithmetic, so the first in list order wins ties.

func ratio(num int64, w int32) *big.Rat { return big.NewRat(num, int64(w)) }

func refMinRatio(ds []*Dest, eligible func(*Dest) bool, load func(*Dest) int64) int {
	best := -1
	var bl *big.Rat
	for i, d := range ds {
		if !eligible(d) {
			continue
		}
		l := ratio(load(d), d.Weight)
		if best < 0 || l.Cmp(bl) < 0 {
			best, bl = i, l
		}
	}
	return best
}

func usable(d *Dest) bool { return !d.Overloaded && d.Weight > 0 }
func ohOf(d *Dest) int64  { return int64(d.Overhead()) }
func sedOf(d *Dest) int64 { return int64(d.ActiveConns) + 1 }

func refLC(ds []*Dest) int {
	return refMinRatio(ds, usable, func(d *Dest) int64 { return ohOf(d) * int64(d.Weight) })
}

func refWLC(ds []*Dest) int { return refMinRatio(ds, usable, ohOf) }
func refSED(ds []*Dest) int { return refMinRatio(ds, usable, sedOf) }

func refNQ(ds []*Dest) int {
	for i, d := range ds {
		if usable(d) && d.ActiveConns == 0 {
			return i
		}
	}
	return refSED(ds)
}

func refMaxWeight(ds []*Dest, eligible func(*Dest) bool) int {
	best := -1
	for i, d := range ds {
		if eligible(d) && (best < 0 || d.Weight > ds[best].Weight) {
			best = i
		}
	}
	return best
}

func refFO(ds []*Dest) int { return refMaxWeight(ds, usable) }
func refOVF(ds []*Dest) int {
	return refMaxWeight(ds, func(d *Dest) bool { return usable(d) && d.ActiveConns <= d.Weight })
}

func TestLeastFamilyMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		s   Scheduler
		ref func([]*Dest) int
	}{
		{LC{}, refLC}, {WLC{}, refWLC}, {SED{}, refSED}, {NQ{}, refNQ},
		{FO{}, refFO}, {OVF{}, refOVF},
	} {
		f := func(ds snapshot) bool {
			i, ok := tc.s.Schedule(ds, ConnInfo{})
			want := tc.ref(ds)
			return i == want && ok == (want >= 0)
		}
		if err := quick.Check(f, &quick.Config{MaxCount: 5000, Rand: rand.New(rand.NewSource(1))}); err != nil {
			t.Errorf("%s: %v", tc.s.Name(), err)
		}
	}
}

// refLC above reduces lc to a min over the overhead (ratio oh*w/w); check it
// against the plain definition as well.
func TestLCIgnoresWeightMagnitude(t *testing.T) {
	ds := mk(1, 100)
	ds[0].ActiveConns, ds[1].ActiveConns = 1, 2
	if i, _ := (LC{}).Schedule(ds, ConnInfo{}); i != 0 {
		t.Errorf("lc picked %d", i)
	}
	if i, _ := (WLC{}).Schedule(ds, ConnInfo{}); i != 1 {
		t.Errorf("wlc picked %d", i)
	}
}

// refTwos walks cumulative weights for the two draws.
func refTwos(ds []*Dest, r1, r2 uint32) int {
	var total int64
	for _, d := range ds {
		if usable(d) {
			total += int64(d.Weight)
		}
	}
	if total == 0 {
		return -1
	}
	pick := func(r uint32) int {
		x := int64(r) % (total + 1)
		var cum int64
		for i, d := range ds {
			if usable(d) {
				cum += int64(d.Weight)
				if cum >= x {
					return i
				}
			}
		}
		return -1
	}
	a, b := pick(r1), pick(r2)
	if ratio(ohOf(ds[b]), ds[b].Weight).Cmp(ratio(ohOf(ds[a]), ds[a].Weight)) < 0 {
		return b
	}
	return a
}

func TestTwosMatchesReference(t *testing.T) {
	f := func(ds snapshot, r1, r2 uint32) bool {
		draws := []uint32{r1, r2}
		s := &TWOS{Rand: func() uint32 { v := draws[0]; draws = draws[1:]; return v }}
		i, ok := s.Schedule(ds, ConnInfo{})
		want := refTwos(ds, r1, r2)
		return i == want && ok == (want >= 0)
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000, Rand: rand.New(rand.NewSource(2))}); err != nil {
		t.Error(err)
	}
}

// refWRR is the classic LVS weighted round-robin pseudo-code (cw stepping
// from max down to gcd). With no overloaded dests it must give the same
// sequence as the kernel's mw/cw form.
type refWRR struct {
	i, cw int32
}

func (r *refWRR) next(w []int32) int {
	var g, maxw int32
	for _, x := range w {
		if x > 0 {
			g = gcd(x, g)
		}
		maxw = max(maxw, x)
	}
	if maxw == 0 {
		return -1
	}
	for {
		r.i = (r.i + 1) % int32(len(w))
		if r.i == 0 {
			r.cw -= g
			if r.cw <= 0 {
				r.cw = maxw
			}
		}
		if w[r.i] >= r.cw {
			return int(r.i)
		}
	}
}

func TestWRRMatchesClassic(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for range 2000 {
		n := 1 + r.Intn(6)
		w := make([]int32, n)
		var sum int32
		for i := range w {
			w[i] = r.Int31n(4) * (1 + r.Int31n(3)) * []int32{1, 10, 100}[r.Intn(3)]
			sum += w[i]
		}
		ds := mk(w...)
		k, ref := &WRR{}, &refWRR{i: -1}
		for step := range 2*int(sum) + 3 {
			got, ok := k.Schedule(ds, ConnInfo{})
			want := ref.next(w)
			if got != want || ok != (want >= 0) {
				t.Fatalf("weights %v step %d: got %d, classic %d", w, step, got, want)
			}
		}
	}
}

// With a fresh cache, lblc and lblcr choose exactly what wlc chooses.
func TestLBLCFreshIsWLC(t *testing.T) {
	f := func(ds snapshot) bool {
		want := refWLC(ds)
		c := ConnInfo{Dst: netip.MustParseAddrPort("192.0.2.1:80")}
		i, ok := (&LBLC{}).Schedule(ds, c)
		j, ok2 := (&LBLCR{}).Schedule(ds, c)
		return i == want && j == want && ok == (want >= 0) && ok2 == ok
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 3000, Rand: rand.New(rand.NewSource(4))}); err != nil {
		t.Error(err)
	}
}
