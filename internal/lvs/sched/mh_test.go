package sched

import (
	"net/netip"
	"testing"
)

func counts(tab []int32, n int) []int {
	c := make([]int, n)
	for _, i := range tab {
		if i >= 0 {
			c[i]++
		}
	}
	return c
}

// Each round of the fill claims turns = weight/gcd slots per dest, in list
// order, so 4093 = 682*6 + 1 slots split exactly.
func TestMHTableWeights(t *testing.T) {
	m := &MH{}
	tab := m.Table(mk(1, 2, 3))
	if len(tab) != 4093 {
		t.Fatalf("size %d", len(tab))
	}
	if got := counts(tab, 3); got[0] != 683 || got[1] != 1364 || got[2] != 2046 {
		t.Errorf("slots %v", got)
	}
	// Weights with a common divisor build the same table.
	if got := counts((&MH{}).Table(mk(10, 20, 30)), 3); got[0] != 683 {
		t.Errorf("gcd not applied: %v", got)
	}
	// Large weights are shifted down to 6 significant bits: 1000/1 -> 1000>>4 = 62.
	got := counts((&MH{}).Table(mk(1, 1000)), 2)
	if got[0]*62 < got[1]-62 || got[0]*62 > got[1]+62 {
		t.Errorf("rshift: %v", got)
	}
	if got := counts((&MH{TabIndex: 8}).Table(mk(1, 1)), 2); got[0]+got[1] != 251 {
		t.Errorf("small table %v", got)
	}
	if tab := (&MH{}).Table(mk(0, 0)); counts(tab, 2)[0]+counts(tab, 2)[1] != 0 {
		t.Error("all-zero weights must leave the table empty")
	}
}

func TestMHDrainAndRemove(t *testing.T) {
	ds := mk(1, 1, 1, 1, 1)
	m, fb := &MH{}, &MH{Fallback: true}
	before := m.Table(ds)
	fb.Table(ds) // fb must see the weight before it drops to 0
	ds[2].Weight = 0
	after := m.Table(ds)
	for i := range before {
		if before[i] != after[i] {
			t.Fatalf("weight 0 moved slot %d", i)
		}
	}
	// Clients of the drained dest fail without fallback and move with it;
	// everybody else stays.
	moved, failed := 0, 0
	for i := range 2000 {
		c := ConnInfo{Src: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, byte(i >> 8), byte(i)}), 1)}
		owner := before[mhHash(c.Src.Addr(), 0, 0, mhKey1)%4093]
		j, ok := m.Schedule(ds, c)
		k, ok2 := fb.Schedule(ds, c)
		if owner == 2 {
			failed++
			if ok || !ok2 || k == 2 {
				t.Fatalf("drained owner: plain %d %v, fallback %d %v", j, ok, k, ok2)
			}
			moved++
			continue
		}
		if !ok || j != int(owner) || k != j {
			t.Fatalf("client %d moved: owner %d plain %d fallback %d", i, owner, j, k)
		}
	}
	if failed == 0 || moved != failed {
		t.Errorf("failed %d moved %d", failed, moved)
	}
	// Removing a dest disturbs few of the other slots (Maglev's promise).
	rm := &MH{}
	full := rm.Table(mk(1, 1, 1, 1, 1))
	keys := mk(1, 1, 1, 1, 1)
	less := rm.Table(append(keys[:2:2], keys[3:]...))
	same, others := 0, 0
	for i := range full {
		if full[i] == 2 {
			continue
		}
		others++
		oldKey := keys[full[i]].Key()
		if nk := []*Dest{keys[0], keys[1], keys[3], keys[4]}[less[i]].Key(); nk == oldKey {
			same++
		}
	}
	if same*10 < others*8 {
		t.Errorf("only %d of %d slots kept after removing one dest", same, others)
	}
}

func TestMHPort(t *testing.T) {
	ds := mk(1, 1, 1, 1)
	m := &MH{Port: true}
	a := netip.MustParseAddr("203.0.113.5")
	seen := map[int]bool{}
	for p := uint16(1); p < 100; p++ {
		i, ok := m.Schedule(ds, ConnInfo{Src: netip.AddrPortFrom(a, p)})
		if !ok {
			t.Fatal("no dest")
		}
		seen[i] = true
	}
	if len(seen) != 4 {
		t.Errorf("mh-port spread over %d dests", len(seen))
	}
	plain := &MH{}
	first, _ := plain.Schedule(ds, ConnInfo{Src: netip.AddrPortFrom(a, 1)})
	for p := uint16(2); p < 100; p++ {
		if i, _ := plain.Schedule(ds, ConnInfo{Src: netip.AddrPortFrom(a, p)}); i != first {
			t.Fatal("mh without mh-port depends on the port")
		}
	}
}

// A dest first seen with weight 0 has last_weight 0 and takes no slot.
func TestMHAddedQuiesced(t *testing.T) {
	if got := counts((&MH{}).Table(mk(1, 0, 1)), 3); got[1] != 0 || got[0]+got[2] != 4093 {
		t.Errorf("slots %v", got)
	}
}
