package dataplane

import (
	"net/netip"
	"time"
)

// How a relay ended decides what IPVS would keep of it: after both sides'
// FINs its entry sits in TIME_WAIT, after a reset (or a refused connect)
// in CLOSE, both counted in InActConn until their timeout; an entry whose
// idle or connect timeout ran out is gone.
const (
	endClose    int32 = iota // a reset, an error, a refused connect
	endTimeWait              // both sides closed cleanly
	endExpired               // the idle, tcpfin or connect timeout ran out
)

// The kernel's fixed timeouts for those states (tcp_timeouts[] in
// ip_vs_proto_tcp.c; ipvsadm --set cannot change them).
const (
	timeWaitTimeout = 120 * time.Second
	closeTimeout    = 10 * time.Second
)

// maxClosed bounds the ended entries a service keeps (per state): at the
// limit the oldest expires early. IPVS has no such bound, but 2^20 entries
// is over 8,000 connections a second held for TIME_WAIT's two minutes.
const maxClosed = 1 << 20

// closedConn is an ended connection's entry: inactive on its real server,
// holding its persistence template, until it expires. There can be a
// million of them, so it is kept small (40 bytes): the time as an integer,
// the client's address as bytes, the real server as its index.
type closedConn struct {
	expires int64     // Unix nanoseconds, on s.opts.Now's clock
	t       *template // nil without persistence
	addr    [16]byte  // the client's address (IPv4 as v4-mapped IPv6)
	port    uint16    // the client's port
	dest    uint16    // s.dests index; sorryIndex for the sorry server
	v4      bool
}

const sorryIndex = 1<<16 - 1 // a closedConn's dest for the sorry server

func (e *closedConn) src() netip.AddrPort {
	a := netip.AddrFrom16(e.addr)
	if e.v4 {
		a = a.Unmap()
	}
	return netip.AddrPortFrom(a, e.port)
}

// destOf is the real server e was relayed to (s.mu held).
func (s *Service) destOf(e *closedConn) *dest {
	if e.dest == sorryIndex {
		return s.sorry
	}
	return s.dests[e.dest]
}

// closedQueue holds the entries of one state. They all have the same
// timeout, so they expire in the order they were added.
type closedQueue struct {
	state   string // as ipvsadm -c names it
	timeout time.Duration
	q       []closedConn
	head    int
}

func (c *closedQueue) len() int { return len(c.q) - c.head }

func (c *closedQueue) push(e closedConn) { c.q = append(c.q, e) }

// pop removes the oldest entry.
func (c *closedQueue) pop() closedConn {
	e := c.q[c.head]
	c.q[c.head] = closedConn{}
	c.head++
	if c.head == len(c.q) {
		c.q, c.head = c.q[:0], 0
		if cap(c.q) > 4096 {
			c.q = nil // a burst is over: give its memory back
		}
	} else if c.head >= 1024 && c.head*2 >= len(c.q) {
		// Slide the live half down so the slice does not grow forever.
		n := copy(c.q, c.q[c.head:])
		clear(c.q[n:])
		c.q, c.head = c.q[:n], 0
	}
	return e
}

func (c *closedQueue) entries() []closedConn { return c.q[c.head:] }

// keepClosed turns r, which just ended with its counters still on d, into
// its IPVS afterlife: a TIME_WAIT or CLOSE entry, or nothing if it expired
// (s.mu held). It reports whether r's hold on d and its template remains.
func (s *Service) keepClosed(r *relay, now time.Time) bool {
	if s.closed {
		return false // the service is gone from the table, and its entries with it
	}
	var c *closedQueue
	switch r.end.Load() {
	case endTimeWait:
		c = &s.timeWaitEntries
	case endClose:
		c = &s.closeEntries
	default:
		return false
	}
	if c.len() >= maxClosed {
		s.unbind(c.pop())
	}
	e := closedConn{expires: now.Add(c.timeout).UnixNano(), t: r.tmpl, addr: r.src.Addr().As16(),
		port: r.src.Port(), dest: r.d.index, v4: r.src.Addr().Is4()}
	c.push(e)
	return true
}

// expireClosed drops the ended entries whose timeout has passed by now
// (s.mu held).
func (s *Service) expireClosed(now time.Time) {
	for _, c := range [...]*closedQueue{&s.timeWaitEntries, &s.closeEntries} {
		for c.len() > 0 && c.q[c.head].expires <= now.UnixNano() {
			s.unbind(c.pop())
		}
	}
}

// unbind is an entry leaving the table: its real server counts one
// inactive connection fewer (and may leave OVERLOAD, as ip_vs_unbind_dest
// decides), and its template one controlled connection fewer, re-armed
// from the entry's end as IPVS re-arms a template that still controlled
// connections when its timer ran out (s.mu held).
func (s *Service) unbind(e closedConn) {
	d := s.destOf(&e)
	d.inact--
	d.overload = d.schedDest(s.weight(d)).OverloadAfterUnbind()
	if t := e.t; t != nil {
		t.n--
		t.expires = time.Unix(0, e.expires).Add(s.cfg.PersistenceTimeout)
	}
}
