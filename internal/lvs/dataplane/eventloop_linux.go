package dataplane

import (
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event-loop relay, HAProxy's way: the loop accepts the client's
// socket raw from the listener (accept_linux.go) and admit starts a
// non-blocking connect to the real server; both sockets then belong to an
// epoll loop on a locked OS thread, which learns of the connect from
// EPOLLOUT, relays (splicing bulk transfers), and closes and accounts for
// the connection at its end. No goroutine per connection,
// no socket in Go's poller. Per message one read and one write, no read
// that returns EAGAIN (a short read means the socket is drained; the
// edge-triggered registration reports the next bytes). A direction whose
// destination cannot take everything keeps the rest, stops reading and
// waits for EPOLLOUT.
//
// It is the default because it measured better: sysbench point selects
// (16 threads, two cores, medians of 5 interleaved 5 s runs) through the
// director ran 12.6k queries/s at 45 µs of director CPU per query, against
// 9.9k at 73 with the goroutine relay (HAProxy: 13.3k at 38). A loop
// blocked in epoll_wait keeps its P until sysmon takes it back.

const eventLoopDefault = true

// loopBuf is the loops' read buffer size; a direction whose destination
// cannot take a whole read keeps the rest in a buffer of this size.
const loopBuf = 64 << 10

var pendPool = sync.Pool{New: func() any { return new([loopBuf]byte) }}

// loopSplices counts the directions that went over to splice, and
// loopSpliceWaits the splices to a destination that was full (tests).
var loopSplices, loopSpliceWaits atomic.Uint64

// loopPendWaits counts the writes that came back short (tests).
var loopPendWaits atomic.Uint64

// epollFlags: every relay socket is registered once, for both ways,
// edge-triggered: no epoll_ctl per message.
const epollFlags = unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET

// evRelay is a relay's state in the loop.
type evRelay struct {
	r *relay
	s *Service
	l *loop

	fdMu sync.Mutex // finish closes fd under it; segments reads TCP_INFO under it
	fd   [2]int     // client, real server; -1 once closed

	// Owned by the loop's thread (set before the relay is posted to it).
	connecting bool     // the real server's connect is in progress
	dir        [2]evDir // 0 client -> real server (reads fd[0]), 1 the way back
	registered bool
	finished   bool
	idx        int // in l.relays
}

// evDir is one direction: it reads fd[d] and writes fd[1-d].
type evDir struct {
	bytes    *atomic.Uint64
	readable bool // the source may hold bytes: not seen drained since its last event
	hup      bool // the source reported RDHUP/HUP: read on to EOF, a short read proves nothing
	eof      bool // the source's EOF was read
	shut     bool // the destination was shut down for writing
	queued   bool // in l.again
	pend     []byte
	buf      *[loopBuf]byte // holds pend

	// Splice mode, taken in a bulk transfer (large reads adding up to a
	// buffer's worth) and left when the source is drained: the bytes go
	// socket -> pipe -> socket without a copy to user space.
	run     int  // bytes of the current run of large reads (half a buffer or more each)
	bulk    bool // the run reached a buffer's worth: splice once nothing is pending
	spliced bool
	pipe    [2]int // read end, write end
	inPipe  int    // bytes in the pipe, not yet written to the destination
}

// discard closes the sockets of a relay that never reached its loop.
func (e *evRelay) discard() {
	e.fdMu.Lock()
	defer e.fdMu.Unlock()
	for i, fd := range e.fd {
		if fd >= 0 {
			unix.Close(fd)
			e.fd[i] = -1
		}
	}
	for d := range e.dir {
		if x := &e.dir[d]; x.buf != nil {
			pendPool.Put(x.buf)
			x.buf, x.pend = nil, nil
		}
	}
}

// close asks the loop to close the relay; it does not wait.
func (e *evRelay) close() { e.l.post(loopReq{kind: reqClose, e: e}) }

// segments samples the client socket's TCP_INFO while it is open.
func (e *evRelay) segments() (in, out uint64, ok bool) {
	e.fdMu.Lock()
	defer e.fdMu.Unlock()
	return fdSegments(e.fd[0])
}

func fdSegments(fd int) (in, out uint64, ok bool) {
	if fd < 0 {
		return 0, 0, false
	}
	info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return 0, 0, false
	}
	return uint64(info.Segs_in), uint64(info.Segs_out), true
}

type loopReq struct {
	kind   reqKind
	e      *evRelay       // reqClose
	s      *Service       // reqListen, reqUnlisten, reqAdopt
	done   chan struct{}  // reqUnlisten: closed once the loop let go of the listener
	fd     int            // reqAdopt: a client socket another loop accepted
	client netip.AddrPort // and its address
}

type reqKind int

const (
	reqClose    reqKind = iota // finish e
	reqListen                  // accept s's connections
	reqUnlisten                // stop accepting them
	reqAdopt                   // admit a client another loop accepted
)

// fdRef is what a descriptor in the loop's epoll set is: one side of a
// relay or a service's listener.
type fdRef struct {
	e    *evRelay
	side int
	ln   *Service
}

type dirRef struct {
	e *evRelay
	d int
}

// loop is one epoll instance served by one locked OS thread. Loops live as
// long as the process, like Go's own poller.
type loop struct {
	epfd, efd int // efd: an eventfd that wakes the loop for queue

	mu    sync.Mutex
	queue []loopReq
	woken bool // efd written, queue not yet taken

	// The loop's share of the connections, for accept's balancing: relays
	// registered, and clients handed to it and not yet admitted.
	relaysN atomic.Int32
	adopts  atomic.Int32

	// Owned by the loop's thread.
	fds      []fdRef // by descriptor
	relays   []*evRelay
	again    []dirRef   // directions that stopped at their budget with bytes left
	ready    []*Service // listeners reported readable in this turn
	backoff  map[*Service]time.Duration
	spareFD  int // a descriptor held for the real server of the last accepted client (accept); -1 = none
	parked   []parked
	spare    []dirRef
	buf      []byte
	now      int64 // unix nanoseconds, read after each epoll_wait
	nextScan int64 // earliest possible idle expiry
}

var loops struct {
	once sync.Once
	l    []*loop
	err  error
}

// loopCount is the number of loops: SHARDCAT_RELAY_LOOPS, else one per P,
// as HAProxy runs a thread per CPU. Measured on two cores (sysbench 16
// threads, interleaved runs, medians of 5): one loop reached 0.95x
// HAProxy's point selects and 0.82x its connection rate, two loops 1.07x
// and 1.02x. One loop spends less CPU per query, but every connection
// waits whenever its thread is not on a CPU.
func loopCount() int {
	if n, err := strconv.Atoi(os.Getenv("SHARDCAT_RELAY_LOOPS")); err == nil && n > 0 {
		return min(n, runtime.GOMAXPROCS(0))
	}
	return runtime.GOMAXPROCS(0)
}

// startLoops starts the loops once; they live as long as the process.
func startLoops() ([]*loop, error) {
	loops.once.Do(func() {
		defer func() {
			// A loop waiting in epoll_wait holds its P (until sysmon takes
			// it, which it does late when another P is idle): one more P
			// per loop leaves the rest of the process the Ps it had. Without
			// it, on two Ps, goroutines woken together ran one after the
			// other (TestMaxConns's dial lost the race to its RST).
			if n := len(loops.l); n > 0 {
				runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + n)
			}
		}()
		for range loopCount() {
			l, err := newLoop()
			if err != nil {
				loops.err = err
				return
			}
			loops.l = append(loops.l, l)
			go l.run()
		}
	})
	if len(loops.l) == 0 {
		return nil, loops.err
	}
	return loops.l, nil
}

func newLoop() (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}); err != nil {
		unix.Close(epfd)
		unix.Close(efd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return &loop{epfd: epfd, efd: efd, buf: make([]byte, loopBuf), nextScan: 1<<63 - 1, backoff: map[*Service]time.Duration{}, spareFD: -1}, nil
}

// post queues a request and wakes the loop (one eventfd write per batch).
func (l *loop) post(q loopReq) {
	l.mu.Lock()
	l.queue = append(l.queue, q)
	wake := !l.woken
	l.woken = true
	l.mu.Unlock()
	if wake {
		one := [8]byte{1}
		for {
			if _, err := unix.Write(l.efd, one[:]); err != unix.EINTR {
				return
			}
		}
	}
}

// loopYield is how often the loop passes through Go's scheduler. A
// goroutine that has not been rescheduled for 10 ms is preempted, and if
// it is in a syscall (epoll_wait) sysmon takes its P: the loop then needs a
// P back after every wait, and sysmon, busy again, polls every 20 µs
// (measured: 5% of the director's CPU, 7 µs per point select).
//
// The pass is not free on a locked thread: Go hands the P to another
// thread, which finds the loop's goroutine and hands the P back, two
// wake-ups. On two busy cores (sysbench 16 threads and MariaDB on the same
// machine) that took 300 µs on average and up to 7 ms, against 20 µs for
// an unlocked goroutine. Unlocked loops still measured no better (paired
// runs against HAProxy: point selects 1.02, 1.00 and 0.99 unlocked, 0.94,
// 1.04 and 1.01 locked; new connections 1.02 and 1.01 unlocked, 1.01 and
// 1.07 locked), so the loops stay locked.
const loopYield = 5 * time.Millisecond

// run is the loop. It blocks in epoll_wait on its own thread: waiting
// through Go's poller instead (a goroutine parked on the epoll descriptor)
// cost as much CPU per query as the goroutine relay.
func (l *loop) run() {
	runtime.LockOSThread()
	events := make([]unix.EpollEvent, 128)
	var queue []loopReq
	var lastYield int64
	for {
		if l.now-lastYield > int64(loopYield) {
			runtime.Gosched()
			lastYield = l.now
		}
		n, err := unix.EpollWait(l.epfd, events, l.waitMsec())
		l.now = time.Now().UnixNano()
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			panic(fmt.Sprintf("dataplane: epoll_wait: %v", err))
		}
		wake := false
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == l.efd {
				wake = true
				continue
			}
			if fd >= len(l.fds) {
				continue
			}
			switch ref := l.fds[fd]; {
			case ref.e != nil:
				l.event(ref.e, ref.side, ev.Events)
			case ref.ln != nil:
				l.ready = append(l.ready, ref.ln)
			}
		}
		// New connections only after this turn's events: a descriptor
		// closed above and reused by an accept could otherwise receive
		// the rest of the old socket's events.
		for i, s := range l.ready {
			l.accept(s)
			l.ready[i] = nil
		}
		l.ready = l.ready[:0]
		if len(l.again) > 0 {
			work := l.again
			l.again = l.spare[:0]
			for _, x := range work {
				x.e.dir[x.d].queued = false
				l.pump(x.e, x.d)
			}
			l.spare = work[:0]
		}
		if wake {
			var b [8]byte
			unix.Read(l.efd, b[:])
			l.mu.Lock()
			queue, l.queue = l.queue, queue[:0]
			l.woken = false
			l.mu.Unlock()
			for i, q := range queue {
				switch q.kind {
				case reqClose:
					l.finish(q.e)
				case reqListen:
					l.addListener(q.s)
				case reqUnlisten:
					l.removeListener(q.s)
					l.dropParked(q.s)
					close(q.done)
				case reqAdopt:
					l.adopts.Add(-1)
					q.s.admit(l, q.fd, q.client)
				}
				queue[i] = loopReq{}
			}
		}
		if l.now >= l.nextScan {
			l.scan()
		}
	}
}

// waitMsec is epoll_wait's timeout: none while directions wait in again,
// else until the earliest idle expiry.
func (l *loop) waitMsec() int {
	switch {
	case len(l.again) > 0:
		return 0
	case len(l.relays) == 0:
		return -1
	}
	d := l.nextScan - l.now
	if d <= 0 {
		return 0
	}
	return int(min((d+int64(time.Millisecond)-1)/int64(time.Millisecond), 3600_000))
}

func (l *loop) register(e *evRelay) {
	if e.finished {
		return // closed before it got here
	}
	if e.r.closing.Load() {
		l.finish(e)
		return
	}
	e.registered = true
	l.relaysN.Add(1)
	e.idx = len(l.relays)
	l.relays = append(l.relays, e)
	for side, fd := range e.fd {
		l.setRef(fd, fdRef{e: e, side: side})
	}
	for _, fd := range e.fd {
		// The registration reports the sockets' current state, so bytes
		// that arrived before it are seen.
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: epollFlags, Fd: int32(fd)}); err != nil {
			e.s.opts.Logf("virtual_server %s: %s -> %s: epoll_ctl: %v", e.s.cfg.Addr, e.r.src, e.r.d.cfg.Addr, err)
			l.finish(e)
			return
		}
	}
	l.nextScan = min(l.nextScan, l.now+int64(e.r.timeout()))
}

func (l *loop) setRef(fd int, ref fdRef) {
	for fd >= len(l.fds) {
		l.fds = append(l.fds, make([]fdRef, len(l.fds)+64)...)
	}
	l.fds[fd] = ref
}

// event handles the readiness of e's socket side.
func (l *loop) event(e *evRelay, side int, ev uint32) {
	if e.connecting {
		l.connecting(e, side, ev)
		return
	}
	rd := &e.dir[side] // the direction reading this socket
	if ev&unix.EPOLLERR != 0 {
		// A reset or another socket error ends both ways; the bytes that
		// came before it go on first, as far as the other side takes them.
		rd.readable, rd.hup = true, true
		l.pump(e, side)
		l.finish(e)
		return
	}
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		rd.readable = true
		if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
			rd.hup = true
		}
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP) != 0 {
		switch w := &e.dir[1-side]; {
		case w.pend != nil:
			l.flush(e, 1-side)
		case w.inPipe > 0:
			l.pumpSplice(e, 1-side, chunk)
		}
		if e.finished {
			return
		}
	}
	l.pump(e, side)
}

// connecting handles an event while the real server's connect is in
// progress. The client's readiness is only noted: nothing is read before
// the real server can take it. The real server's first event ends the
// wait: an error ends the relay, writability starts it.
func (l *loop) connecting(e *evRelay, side int, ev uint32) {
	if side == 1 && ev&(unix.EPOLLERR|unix.EPOLLHUP) != 0 {
		if e.s.ctx.Err() == nil {
			e.s.opts.Logf("virtual_server %s: real server %s: %v", e.s.cfg.Addr, e.r.d.cfg.Addr, connectError(e.fd[1], e.r.d.cfg.Addr))
		}
		l.finish(e)
		return
	}
	if ev&unix.EPOLLERR != 0 {
		l.finish(e) // the client reset the connection
		return
	}
	x := &e.dir[side]
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP) != 0 {
		x.readable = true
		x.hup = x.hup || ev&(unix.EPOLLRDHUP|unix.EPOLLHUP) != 0
	}
	if side == 0 || ev&unix.EPOLLOUT == 0 {
		return
	}
	// Connected: the pending bytes (a PROXY header) go first, then what
	// the client sent, then the real server's greeting.
	e.connecting = false
	delayACKs(e.fd[0])
	delayACKs(e.fd[1])
	e.s.established(e.r)
	if e.dir[0].pend != nil {
		l.flush(e, 0)
	} else {
		l.pump(e, 0)
	}
	l.pump(e, 1)
}

// delayACKs turns TCP_QUICKACK off on a relay socket: an ACK then waits
// (up to the delayed-ACK timeout, 40 ms and up) for bytes going the other
// way to ride on. A new connection otherwise ACKs each of its first
// segments alone; the kernel switches a socket to delayed ACKs by itself
// once it has answered a request, and a relay socket is always the middle
// of request and answer (the greeting the real server sent is answered
// by the client's bytes the loop forwards). For a MySQL connection that
// connects, authenticates, pings and quits this saves 1.5 of the 27
// segments both legs carry. Not before the connect completes: a socket
// that delays ACKs also delays the ACK that ends its handshake, and a
// server that speaks first (MySQL) would wait for it.
func delayACKs(fd int) { unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_QUICKACK, 0) }

// pump relays direction d while its source has bytes and its destination
// takes them, up to chunk bytes per turn.
func (l *loop) pump(e *evRelay, d int) {
	x := &e.dir[d]
	if e.finished || e.connecting || x.pend != nil || x.eof || !x.readable {
		return
	}
	if x.bulk && !x.spliced {
		l.startSplice(x) // its bytes in pend are gone now
	}
	if x.spliced {
		l.pumpSplice(e, d, chunk)
		return
	}
	src := e.fd[d]
	for budget := chunk; ; {
		n, err := unix.Read(src, l.buf)
		if err != nil {
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				x.readable = false
			default:
				l.finish(e)
			}
			return
		}
		if n == 0 {
			x.eof, x.readable = true, false
			l.eof(e, d)
			return
		}
		x.bytes.Add(uint64(n))
		e.r.lastActive.Store(l.now)
		// Large reads in a row are a bulk transfer (a loopback segment
		// is a little under 64 KiB, so one read seldom fills the buffer).
		if n >= len(l.buf)/2 {
			x.run += n
		} else {
			x.run = 0
		}
		x.bulk = x.run >= len(l.buf)
		// Short read = drained: bytes arriving later raise a new edge.
		// After RDHUP the FIN raised no edge of its own: read on to it.
		drained := n < len(l.buf) && !x.hup
		if drained {
			x.readable = false
		}
		// A short read after RDHUP was the last of the bytes: they go out
		// with MSG_MORE and the shutdown that the next read's EOF makes
		// carries the FIN in their segment (as the client's own COM_QUIT
		// and FIN often come), one segment and one wake-up fewer for the
		// peer.
		last := n < len(l.buf) && x.hup
		if !l.write(e, d, l.buf[:n], last) || drained {
			return
		}
		if budget -= n; budget <= 0 {
			l.requeue(e, d)
			return
		}
		// In a bulk transfer the rest goes by splice (or once pend is
		// flushed, if this write came back short).
		if x.bulk && l.startSplice(x) {
			l.pumpSplice(e, d, budget)
			return
		}
	}
}

// requeue puts d in l.again: it stopped at its budget with bytes left.
func (l *loop) requeue(e *evRelay, d int) {
	if x := &e.dir[d]; !x.queued {
		x.queued = true
		l.again = append(l.again, dirRef{e, d})
	}
}

// startSplice gives x a pipe of its own; false (x stays with read and
// write) when none can be had. Three syscalls per bulk direction, against
// at least 64 KiB not copied; no pipes are kept between transfers, so the
// loops hold no descriptors for them.
func (l *loop) startSplice(x *evDir) bool {
	if unix.Pipe2(x.pipe[:], unix.O_NONBLOCK|unix.O_CLOEXEC) != nil {
		x.bulk = false
		return false
	}
	x.spliced = true
	loopSplices.Add(1)
	return true
}

// endSplice closes x's pipe (and whatever it still held: the relay ended).
func endSplice(x *evDir) {
	if x.spliced {
		unix.Close(x.pipe[0])
		unix.Close(x.pipe[1])
		x.spliced, x.inPipe = false, 0
	}
	x.bulk, x.run = false, 0
}

// pumpSplice relays direction d through its pipe: what the pipe holds goes
// to the destination first, then the source is spliced in while it has
// bytes (EAGAIN: the pipe is empty then, so it is the socket that is
// drained, and the direction leaves splice mode), up to budget bytes per
// turn.
func (l *loop) pumpSplice(e *evRelay, d int, budget int) {
	x := &e.dir[d]
	for {
		for x.inPipe > 0 {
			n, err := unix.Splice(x.pipe[0], nil, e.fd[1-d], nil, x.inPipe, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
			switch err {
			case nil:
				x.inPipe -= int(n)
				continue
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				loopSpliceWaits.Add(1)
				return // EPOLLOUT on the destination resumes
			}
			l.finish(e)
			return
		}
		if e.finished || x.eof || !x.readable {
			return
		}
		if budget <= 0 {
			l.requeue(e, d)
			return
		}
		n, err := unix.Splice(e.fd[d], nil, x.pipe[1], nil, loopBuf, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			// The burst is over: the next messages (a MySQL session's
			// queries after a large result) go by read and write again,
			// where a short read proves the socket drained; a splice
			// cannot tell, so it would cost an EAGAIN per message.
			x.readable = false
			endSplice(x)
			return
		case err != nil:
			l.finish(e)
			return
		case n == 0:
			x.eof, x.readable = true, false
			l.eof(e, d)
			return
		}
		x.inPipe += int(n)
		x.bytes.Add(uint64(n))
		e.r.lastActive.Store(l.now)
		budget -= int(n)
	}
}

// write sends p to direction d's destination; what it does not take is
// kept in d's pending buffer. It reports whether all of p went. With more,
// p is held back for the FIN that follows at once (MSG_MORE).
func (l *loop) write(e *evRelay, d int, p []byte, more bool) bool {
	n, ok := l.send(e, d, p, more)
	if !ok {
		return false
	}
	if n == len(p) {
		return true
	}
	loopPendWaits.Add(1)
	x := &e.dir[d]
	x.buf = pendPool.Get().(*[loopBuf]byte)
	x.pend = x.buf[:copy(x.buf[:], p[n:])]
	return false
}

// send writes p until it is all sent or the socket is full (EAGAIN, after
// which the edge-triggered EPOLLOUT is armed); ok is false if it finished
// the relay on an error.
func (l *loop) send(e *evRelay, d int, p []byte, more bool) (n int, ok bool) {
	dst := e.fd[1-d]
	for n < len(p) {
		w, err := sendTo(dst, p[n:], more)
		if err != nil {
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return n, true
			}
			l.finish(e)
			return n, false
		}
		n += w
	}
	return n, true
}

// sendTo is write(2), or send(2) with MSG_MORE when more is set.
func sendTo(fd int, p []byte, more bool) (int, error) {
	if !more {
		return unix.Write(fd, p)
	}
	n, _, errno := unix.Syscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)),
		unix.MSG_MORE|unix.MSG_NOSIGNAL, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// flush sends d's pending bytes; once they are all gone d reads again.
func (l *loop) flush(e *evRelay, d int) {
	x := &e.dir[d]
	n, ok := l.send(e, d, x.pend, false)
	if !ok {
		return
	}
	if x.pend = x.pend[n:]; len(x.pend) > 0 {
		return
	}
	pendPool.Put(x.buf)
	x.buf, x.pend = nil, nil
	l.pump(e, d)
}

// eof half-closes direction d's destination, as relayOneWay does at a
// clean EOF; both ways done ends the relay.
func (l *loop) eof(e *evRelay, d int) {
	x := &e.dir[d]
	if !e.dir[1-d].shut {
		// The half-closed state before the peer can see the FIN, as
		// relayOneWay does: whoever observes the half-close sees the state
		// that goes with it.
		e.s.halfClosed(e.r, d)
	}
	if e.dir[1-d].shut {
		// Both ways are done: the close in finish sends the FIN (both
		// sockets were read to EOF, so it is no reset) without a shutdown.
		x.shut = true
		e.r.end.Store(endTimeWait)
		l.finish(e)
		return
	}
	unix.Shutdown(e.fd[1-d], unix.SHUT_WR)
	x.shut = true
	e.r.lastActive.Store(l.now) // the half-closed state's timeout counts from here
	l.nextScan = min(l.nextScan, l.now+int64(e.r.timeout()))
}

// scan closes the relays idle for their timeout and sets the next scan to
// the earliest expiry left.
func (l *loop) scan() {
	next := l.now + int64(time.Hour)
	for i := 0; i < len(l.relays); {
		e := l.relays[i]
		exp := e.r.lastActive.Load() + int64(e.r.timeout())
		if exp > l.now {
			next = min(next, exp)
			i++
			continue
		}
		if e.connecting {
			e.r.end.Store(endExpired) // SYN_RECV's entry timed out
			e.s.opts.Logf("virtual_server %s: real server %s: connect: no answer in %v", e.s.cfg.Addr, e.r.d.cfg.Addr, e.r.dial)
		} else {
			e.s.logIdle(e.r)
		}
		l.finish(e) // moves the last relay to i
	}
	l.nextScan = next
}

// finish ends the relay: it leaves the loop, its sockets are closed (the
// packet counters sampled first) and the service accounts for its end.
// Idempotent.
func (l *loop) finish(e *evRelay) {
	if e.finished {
		return
	}
	e.finished = true
	e.r.closing.Store(true)
	if e.registered {
		last := l.relays[len(l.relays)-1]
		l.relays[e.idx] = last
		last.idx = e.idx
		l.relays[len(l.relays)-1] = nil
		l.relays = l.relays[:len(l.relays)-1]
		l.relaysN.Add(-1)
		for _, fd := range e.fd {
			l.fds[fd] = fdRef{}
		}
	}
	e.fdMu.Lock()
	if in, out, ok := fdSegments(e.fd[0]); ok {
		storeMax(&e.r.segsIn, in)
		storeMax(&e.r.segsOut, out)
	}
	e.fdMu.Unlock()
	for d := range e.dir {
		endSplice(&e.dir[d])
	}
	// Closing also takes the sockets out of the epoll set (nothing else
	// shares them); events already returned for them find no relay.
	e.discard()
	e.s.release(e.r)
	e.s.live.Add(-1)
	e.s.wg.Done()
}
