package sequence

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTable behaves like MYCAT_SEQUENCE with mycat_seq_nextval: one row per
// name, current_value advanced by increment under a lock.
type fakeTable struct {
	mu    sync.Mutex
	cur   map[string]int64
	inc   map[string]int64
	calls int
}

func (f *fakeTable) query(_ context.Context, node, sql string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	name := strings.TrimSuffix(strings.TrimPrefix(sql, "SELECT mycat_seq_nextval('"), "')")
	inc, ok := f.inc[name]
	if !ok {
		return "0,0", nil // no row: val stays -1, as the SQL function returns
	}
	f.cur[name] += inc
	return fmt.Sprintf("%d,%d", f.cur[name]-inc+1, inc), nil
}

// Several proxies sharing one database sequence never hand out the same id.
func TestDBSequenceSharedByProxies(t *testing.T) {
	table := &fakeTable{cur: map[string]int64{"GLOBAL": 0}, inc: map[string]int64{"GLOBAL": 7}}
	proxies := []*DB{NewDB(map[string]string{"GLOBAL": "dn1"}, table.query), NewDB(map[string]string{"global": "dn1"}, table.query)}
	var mu sync.Mutex
	seen := map[int64]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				ids, err := proxies[g%2].Next(context.Background(), "global", 1+i%3)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, id := range ids {
					if seen[id] {
						t.Errorf("id %d handed out twice", id)
					}
					seen[id] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if table.calls > len(seen)/7+2 {
		t.Fatalf("%d block allocations for %d ids: blocks of 7 are not reused", table.calls, len(seen))
	}
}

func TestDBSequenceErrors(t *testing.T) {
	table := &fakeTable{cur: map[string]int64{}, inc: map[string]int64{}}
	d := NewDB(map[string]string{"GLOBAL": "dn1"}, table.query)
	if _, err := d.Next(context.Background(), "OTHER", 1); err == nil || !strings.Contains(err.Error(), "sequence_db_conf") {
		t.Fatalf("unknown name: %v", err)
	}
	if _, err := d.Next(context.Background(), "GLOBAL", 1); err == nil || !strings.Contains(err.Error(), "MYCAT_SEQUENCE") {
		t.Fatalf("missing row: %v", err)
	}
}

func TestLocalSequencePersistsBeforeHandingOut(t *testing.T) {
	var saved []int64
	l := NewLocal(map[string]*LocalState{"global": {MinID: 10001, MaxID: 10005, CurID: 10000}}, func(name string, cur int64) error {
		saved = append(saved, cur)
		return nil
	})
	ids, err := l.Next(context.Background(), "GLOBAL", 3)
	if err != nil || fmt.Sprint(ids) != "[10001 10002 10003]" || fmt.Sprint(saved) != "[10003]" {
		t.Fatalf("ids %v saved %v err %v", ids, saved, err)
	}
	if _, err := l.Next(context.Background(), "GLOBAL", 3); err == nil {
		t.Fatal("past MAXID must fail")
	}
	ids, _ = l.Next(context.Background(), "GLOBAL", 2)
	if fmt.Sprint(ids) != "[10004 10005]" {
		t.Fatalf("a refused request must not consume ids: %v", ids)
	}
	failing := NewLocal(map[string]*LocalState{"G": {MinID: 1, MaxID: 9}}, func(string, int64) error { return fmt.Errorf("disk full") })
	if _, err := failing.Next(context.Background(), "G", 1); err == nil {
		t.Fatal("ids must not be handed out when CURID cannot be saved")
	}
}

type fakeClock struct{ ms int64 }

func (c *fakeClock) now() time.Time        { return time.UnixMilli(c.ms) }
func (c *fakeClock) sleep(d time.Duration) { c.ms += d.Milliseconds() + 1 }

func TestSnowflakeUniqueAcrossBackwardClock(t *testing.T) {
	clock := &fakeClock{ms: 1_700_000_000_000}
	s := &Snowflake{Worker: 3, Datacenter: 2, Now: clock.now, Sleep: clock.sleep}
	seen := map[int64]bool{}
	var last int64
	for i := 0; i < 10000; i++ {
		if i%1000 == 0 {
			clock.ms -= 3 // a small step back: waited out
		}
		if i%50 == 0 {
			clock.ms++
		}
		ids, err := s.Next(context.Background(), "", 1)
		if err != nil {
			t.Fatal(err)
		}
		id := ids[0]
		if seen[id] || id <= last {
			t.Fatalf("id %d repeated or not increasing (last %d)", id, last)
		}
		seen[id], last = true, id
		if w := id >> 12 & 31; w != 3 {
			t.Fatalf("worker bits %d", w)
		}
		if dc := id >> 17 & 31; dc != 2 {
			t.Fatalf("datacenter bits %d", dc)
		}
	}
	clock.ms -= 1000
	if _, err := s.Next(context.Background(), "", 1); err == nil || !strings.Contains(err.Error(), "backwards") {
		t.Fatalf("a large backward step must be refused: %v", err)
	}
}
