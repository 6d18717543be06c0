// Package notify runs keepalived's notifications for VRRP state changes:
// notify_master/backup/fault/stop and notify scripts (Scripts) and SMTP
// alerts (Mailer). Both work off a bounded queue in their own goroutine, so
// the VRRP loop never waits for a script or a mail server.
package notify

import (
	"sync"
	"time"
)

// queueLen bounds the work waiting; beyond it new work is dropped (and
// logged) rather than blocking the caller.
const queueLen = 256

// queue runs jobs one at a time, in order, in its own goroutine.
type queue struct {
	jobs chan func()
	done chan struct{}
	once sync.Once
}

func newQueue() *queue {
	q := &queue{jobs: make(chan func(), queueLen), done: make(chan struct{})}
	go func() {
		defer close(q.done)
		for j := range q.jobs {
			j()
		}
	}()
	return q
}

// add queues j; it reports false when the queue is full or closed.
func (q *queue) add(j func()) (ok bool) {
	defer func() {
		if recover() != nil { // closed
			ok = false
		}
	}()
	select {
	case q.jobs <- j:
		return true
	default:
		return false
	}
}

// close stops taking work and waits up to wait for the queued jobs.
func (q *queue) close(wait time.Duration) {
	q.once.Do(func() { close(q.jobs) })
	select {
	case <-q.done:
	case <-time.After(wait):
	}
}
