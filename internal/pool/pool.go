// Package pool is a generic, context-aware connection pool with a single dial
// function, a size limit, a warm minimum and idle expiry. It knows nothing
// about MySQL: the backend package plugs MySQL connections into it.
package pool

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Resource is what the pool holds.
type Resource interface {
	Close() error
}

// Options size and age the pool.
type Options struct {
	MaxSize     int           // hard limit on open resources (Mycat's maxCon); <=0 means 1
	MinIdle     int           // resources kept open while idle (Mycat's minCon)
	IdleTimeout time.Duration // idle resources older than this are closed (0 = never)
	// Check, when set, is run on a resource that has been idle for longer than
	// CheckAfter before it is handed out; a failing resource is closed and
	// another one is taken.
	Check      func(ctx context.Context, r Resource) error
	CheckAfter time.Duration
}

// ErrClosed is returned by Get after Close.
var ErrClosed = errors.New("pool is closed")

type idleEntry[T Resource] struct {
	res   T
	since time.Time
}

// Pool hands out resources of type T.
type Pool[T Resource] struct {
	dial func(ctx context.Context) (T, error)
	opt  Options

	mu      sync.Mutex
	idle    []idleEntry[T] // LIFO: the most recently used is reused first
	open    int            // resources open, idle or in use
	waiters []chan struct{}
	closed  bool

	// Counters for SHOW @@backend / metrics.
	dials, dialErrors, gets, waits atomic.Int64
}

// New makes a pool; it does not dial until Get or Fill.
func New[T Resource](dial func(ctx context.Context) (T, error), opt Options) *Pool[T] {
	if opt.MaxSize <= 0 {
		opt.MaxSize = 1
	}
	if opt.MinIdle > opt.MaxSize {
		opt.MinIdle = opt.MaxSize
	}
	return &Pool[T]{dial: dial, opt: opt}
}

// Get returns an idle resource, dials a new one while under MaxSize, or waits
// for one to be returned until ctx ends.
func (p *Pool[T]) Get(ctx context.Context) (T, error) {
	p.gets.Add(1)
	var zero T
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return zero, ErrClosed
		}
		if n := len(p.idle); n > 0 {
			e := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			if p.opt.Check != nil && p.opt.CheckAfter > 0 && time.Since(e.since) > p.opt.CheckAfter {
				if err := p.opt.Check(ctx, e.res); err != nil {
					p.Discard(e.res)
					continue
				}
			}
			return e.res, nil
		}
		if p.open < p.opt.MaxSize {
			p.open++
			p.mu.Unlock()
			p.dials.Add(1)
			r, err := p.dial(ctx)
			if err != nil {
				p.dialErrors.Add(1)
				p.release()
				return zero, err
			}
			return r, nil
		}
		wait := make(chan struct{})
		p.waiters = append(p.waiters, wait)
		p.mu.Unlock()
		p.waits.Add(1)
		select {
		case <-wait:
		case <-ctx.Done():
			p.mu.Lock()
			for i, w := range p.waiters {
				if w == wait {
					p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
					break
				}
			}
			p.mu.Unlock()
			return zero, fmt.Errorf("waiting for a connection (pool of %d in use): %w", p.opt.MaxSize, ctx.Err())
		}
	}
}

// Put returns a healthy resource for reuse.
func (p *Pool[T]) Put(r T) {
	p.mu.Lock()
	if p.closed {
		p.open--
		p.mu.Unlock()
		r.Close()
		return
	}
	p.idle = append(p.idle, idleEntry[T]{res: r, since: time.Now()})
	p.wakeOne()
	p.mu.Unlock()
}

// Discard closes a broken resource and frees its slot.
func (p *Pool[T]) Discard(r T) {
	r.Close()
	p.release()
}

func (p *Pool[T]) release() {
	p.mu.Lock()
	p.open--
	p.wakeOne()
	p.mu.Unlock()
}

// wakeOne lets one waiter retry; p.mu must be held.
func (p *Pool[T]) wakeOne() {
	if len(p.waiters) > 0 {
		close(p.waiters[0])
		p.waiters = p.waiters[1:]
	}
}

// Fill dials until MinIdle resources are idle; the first error stops it.
func (p *Pool[T]) Fill(ctx context.Context) error {
	for {
		p.mu.Lock()
		if p.closed || len(p.idle) >= p.opt.MinIdle || p.open >= p.opt.MaxSize {
			p.mu.Unlock()
			return nil
		}
		p.open++
		p.mu.Unlock()
		p.dials.Add(1)
		r, err := p.dial(ctx)
		if err != nil {
			p.dialErrors.Add(1)
			p.release()
			return err
		}
		p.Put(r)
	}
}

// Expire closes idle resources past IdleTimeout, keeping MinIdle of them.
func (p *Pool[T]) Expire(now time.Time) int {
	if p.opt.IdleTimeout <= 0 {
		return 0
	}
	var expired []T
	p.mu.Lock()
	keep := p.idle[:0]
	// idle is oldest first; drop the oldest while above MinIdle.
	excess := len(p.idle) - p.opt.MinIdle
	for _, e := range p.idle {
		if excess > 0 && now.Sub(e.since) > p.opt.IdleTimeout {
			expired = append(expired, e.res)
			excess--
			p.open--
			continue
		}
		keep = append(keep, e)
	}
	p.idle = keep
	p.mu.Unlock()
	for _, r := range expired {
		r.Close()
	}
	return len(expired)
}

// CloseIdle closes every idle resource (after a failover, for example).
func (p *Pool[T]) CloseIdle() {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.open -= len(idle)
	p.mu.Unlock()
	for _, e := range idle {
		e.res.Close()
	}
}

// Close closes idle resources and refuses further Gets; resources in use are
// closed when they are Put back.
func (p *Pool[T]) Close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = nil
	p.open -= len(idle)
	for _, w := range p.waiters {
		close(w)
	}
	p.waiters = nil
	p.mu.Unlock()
	for _, e := range idle {
		e.res.Close()
	}
}

// Stats is a snapshot for the manager port and metrics.
type Stats struct {
	Open, Idle, Waiting            int
	Dials, DialErrors, Gets, Waits int64
}

func (p *Pool[T]) Stats() Stats {
	p.mu.Lock()
	s := Stats{Open: p.open, Idle: len(p.idle), Waiting: len(p.waiters)}
	p.mu.Unlock()
	s.Dials, s.DialErrors, s.Gets, s.Waits = p.dials.Load(), p.dialErrors.Load(), p.gets.Load(), p.waits.Load()
	return s
}
