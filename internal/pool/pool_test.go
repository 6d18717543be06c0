package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeConn struct {
	id     int
	closed atomic.Bool
}

func (c *fakeConn) Close() error { c.closed.Store(true); return nil }

type dialer struct {
	n    atomic.Int64
	open atomic.Int64
	max  atomic.Int64
	fail atomic.Bool
}

func (d *dialer) dial(context.Context) (*fakeConn, error) {
	if d.fail.Load() {
		return nil, errors.New("refused")
	}
	o := d.open.Add(1)
	for {
		m := d.max.Load()
		if o <= m || d.max.CompareAndSwap(m, o) {
			break
		}
	}
	return &fakeConn{id: int(d.n.Add(1))}, nil
}

func TestReusesIdleConnection(t *testing.T) {
	var d dialer
	p := New(d.dial, Options{MaxSize: 2})
	c1, err := p.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Put(c1)
	c2, _ := p.Get(context.Background())
	if c1 != c2 || d.n.Load() != 1 {
		t.Fatalf("expected reuse of the idle connection, dialed %d", d.n.Load())
	}
}

func TestNeverExceedsMaxSizeUnderLoad(t *testing.T) {
	var d dialer
	const max = 3
	p := New(func(ctx context.Context) (*fakeConn, error) { return d.dial(ctx) }, Options{MaxSize: max})
	var inUse, peak atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				c, err := p.Get(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				n := inUse.Add(1)
				for {
					m := peak.Load()
					if n <= m || peak.CompareAndSwap(m, n) {
						break
					}
				}
				inUse.Add(-1)
				if i%50 == 0 {
					p.Discard(c)
				} else {
					p.Put(c)
				}
			}
		}()
	}
	wg.Wait()
	if peak.Load() > max {
		t.Fatalf("peak in use %d > max %d", peak.Load(), max)
	}
	if s := p.Stats(); s.Open > max || s.Open != s.Idle {
		t.Fatalf("after the run: %+v", s)
	}
}

func TestGetWaitsThenTimesOut(t *testing.T) {
	var d dialer
	p := New(d.dial, Options{MaxSize: 1})
	c, _ := p.Get(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := p.Get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
	// A waiter gets the connection as soon as it is returned.
	got := make(chan *fakeConn)
	go func() {
		c2, err := p.Get(context.Background())
		if err != nil {
			t.Error(err)
		}
		got <- c2
	}()
	time.Sleep(10 * time.Millisecond)
	p.Put(c)
	if c2 := <-got; c2 != c {
		t.Fatal("waiter did not receive the returned connection")
	}
}

func TestDialErrorFreesSlot(t *testing.T) {
	var d dialer
	d.fail.Store(true)
	p := New(d.dial, Options{MaxSize: 1})
	if _, err := p.Get(context.Background()); err == nil {
		t.Fatal("expected dial error")
	}
	d.fail.Store(false)
	if _, err := p.Get(context.Background()); err != nil {
		t.Fatalf("slot not freed after a failed dial: %v", err)
	}
}

func TestFillAndExpireKeepMinIdle(t *testing.T) {
	var d dialer
	p := New(d.dial, Options{MaxSize: 5, MinIdle: 2, IdleTimeout: time.Minute})
	if err := p.Fill(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Idle != 2 {
		t.Fatalf("fill: %+v", s)
	}
	var cs []*fakeConn
	for i := 0; i < 4; i++ {
		c, _ := p.Get(context.Background())
		cs = append(cs, c)
	}
	for _, c := range cs {
		p.Put(c)
	}
	if n := p.Expire(time.Now().Add(2 * time.Minute)); n != 2 {
		t.Fatalf("expired %d, want 2", n)
	}
	if s := p.Stats(); s.Idle != 2 || s.Open != 2 {
		t.Fatalf("after expire: %+v", s)
	}
}

func TestCheckDropsStaleConnection(t *testing.T) {
	var d dialer
	bad := map[int]bool{1: true}
	p := New(d.dial, Options{MaxSize: 2, CheckAfter: time.Nanosecond,
		Check: func(_ context.Context, r Resource) error {
			if bad[r.(*fakeConn).id] {
				return errors.New("gone")
			}
			return nil
		}})
	c, _ := p.Get(context.Background())
	p.Put(c)
	time.Sleep(time.Millisecond)
	c2, err := p.Get(context.Background())
	if err != nil || c2.id != 2 || !c.closed.Load() {
		t.Fatalf("stale connection handed out: %v %v", c2, err)
	}
}

func TestCloseRefusesAndClosesReturned(t *testing.T) {
	var d dialer
	p := New(d.dial, Options{MaxSize: 2})
	c, _ := p.Get(context.Background())
	p.Close()
	if _, err := p.Get(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("want ErrClosed, got %v", err)
	}
	p.Put(c)
	if !c.closed.Load() {
		t.Fatal("a connection returned after Close must be closed")
	}
}
