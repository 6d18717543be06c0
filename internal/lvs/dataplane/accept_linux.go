package dataplane

import (
	"errors"
	"net/netip"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loops accept connections themselves, as HAProxy's threads do:
// every loop has the service's listening socket in its epoll set (with
// EPOLLEXCLUSIVE when there are several, so one connection wakes one loop),
// accepts raw non-blocking sockets, schedules each and starts the connect
// to its real server, all on its own thread. Against accepting through
// net.TCPListener and handing over, a connection saves a goroutine and its
// wake-ups, Go's poller registration and removal, a dup, a close and a
// getsockname; the eventfd hand-off to another loop is left for clients
// that balance the loops (leastLoaded).

// acceptBatch bounds the connections a loop takes per wake-up, so relays
// are not starved by a burst of new connections.
const acceptBatch = 16

// listen registers the service's listener with every loop.
func (s *Service) listen() error {
	rc, err := s.ln.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		s.lnFD = int(fd)
		// Accepted sockets inherit TCP_NODELAY from the listener: small
		// replies leave at once (as Go sets it on the sockets it accepts),
		// without a setsockopt per connection.
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}); err != nil {
		return err
	}
	if serr != nil {
		return os.NewSyscallError("setsockopt", serr)
	}
	ls, err := startLoops()
	if err != nil {
		return err
	}
	for _, l := range ls {
		l.post(loopReq{kind: reqListen, s: s})
	}
	return nil
}

// unlisten takes the listener out of every loop and waits until they have
// let go of it, so that its descriptor can be closed (and reused) safely.
func (s *Service) unlisten() {
	ls, _ := startLoops()
	for _, l := range ls {
		done := make(chan struct{})
		l.post(loopReq{kind: reqUnlisten, s: s, done: done})
		<-done
	}
}

// addListener puts s's listener in l's epoll set (level-triggered: what a
// turn leaves in the backlog is reported again), after starting the
// clients parked for want of descriptors.
func (l *loop) addListener(s *Service) {
	if s.ctx.Err() != nil || s.lnFD < 0 {
		return // closed meanwhile
	}
	if l.unpark(s) {
		return // still out of descriptors: paused again
	}
	events := uint32(unix.EPOLLIN)
	if len(loops.l) > 1 {
		events |= unix.EPOLLEXCLUSIVE
	}
	l.setRef(s.lnFD, fdRef{ln: s})
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, s.lnFD, &unix.EpollEvent{Events: events, Fd: int32(s.lnFD)}); err != nil {
		l.fds[s.lnFD] = fdRef{}
		s.opts.Logf("virtual_server %s: epoll_ctl: %v: not accepting on this loop", s.cfg.Addr, err)
	}
}

// unpark retries s's parked clients in their order, stopping at the first
// that has to be parked again; it reports whether one did.
func (l *loop) unpark(s *Service) bool {
	waiting := l.parked
	l.parked = nil
	stuck := false
	for _, p := range waiting {
		if p.s != s || stuck {
			l.parked = append(l.parked, p) // another service's, or s is out again
			continue
		}
		n := len(l.parked)
		l.start(p.s, p.r, p.fd) // parks it again (appends) when still out
		stuck = len(l.parked) > n
	}
	return stuck
}

// dropParked ends s's parked clients (the service is closing).
func (l *loop) dropParked(s *Service) {
	kept := l.parked[:0]
	for _, p := range l.parked {
		if p.s != s {
			kept = append(kept, p)
			continue
		}
		unix.Close(p.fd)
		s.release(p.r)
		s.live.Add(-1)
	}
	clear(l.parked[len(kept):])
	l.parked = kept
}

func (l *loop) removeListener(s *Service) {
	if fd := s.lnFD; fd >= 0 && fd < len(l.fds) && l.fds[fd].ln == s {
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, fd, nil)
		l.fds[fd] = fdRef{}
	}
	delete(l.backoff, s)
}

// accept takes up to acceptBatch connections from s's backlog.
//
// A connection is only accepted while the loop holds a spare descriptor:
// when the real server's socket then cannot be had (out of descriptors),
// the spare is given up for it, so a client that was accepted is never
// dropped for want of a descriptor; the next accept finds no spare and
// leaves the backlog alone until descriptors are free again.
func (l *loop) accept(s *Service) {
	for i := 0; i < acceptBatch; i++ {
		if l.fds[s.lnFD].ln != s {
			return // removed (paused, or unlistened earlier in this turn)
		}
		if l.spareFD < 0 {
			fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
			if err != nil {
				l.pause(s, os.NewSyscallError("eventfd", err))
				return
			}
			l.spareFD = fd
		}
		fd, client, err := accept4(s.lnFD)
		switch err {
		case nil:
			delete(l.backoff, s)
			// The kernel wakes the same loop for most connections: a
			// less loaded loop relays the client.
			if t := l.leastLoaded(); t != l {
				t.adopts.Add(1)
				t.post(loopReq{kind: reqAdopt, s: s, fd: fd, client: client})
				continue
			}
			s.admit(l, fd, client)
			continue
		case unix.EINTR, unix.ECONNABORTED:
			continue
		case unix.EAGAIN:
			return
		}
		l.pause(s, os.NewSyscallError("accept4", err))
		return
	}
}

// leastLoaded is the loop with the fewest connections; l unless another
// has at least two fewer: a hand-off costs the client a wake-up of the
// other loop, worth it only against a real imbalance.
func (l *loop) leastLoaded() *loop {
	best, least := l, l.load()-1
	for _, o := range loops.l {
		if n := o.load(); n < least {
			best, least = o, n
		}
	}
	return best
}

func (l *loop) load() int32 { return l.relaysN.Load() + l.adopts.Load() }

// pause takes s's listener out of the loop for a while after err (out of
// descriptors and the like): the level-triggered listener would report the
// same backlog at once. The wait doubles from 5 ms to 1 s, as net/http
// backs off; the connections wait in the backlog meanwhile.
func (l *loop) pause(s *Service, err error) {
	wait := min(max(2*l.backoff[s], 5*time.Millisecond), time.Second)
	l.backoff[s] = wait
	s.opts.Logf("virtual_server %s: accept: %v (retrying in %v)", s.cfg.Addr, err, wait)
	l.removeListener(s)
	l.backoff[s] = wait // removeListener forgets it
	time.AfterFunc(wait, func() { l.post(loopReq{kind: reqListen, s: s}) })
}

// connect starts the connect to addr, giving up the loop's spare
// descriptor for it when the process is out of descriptors.
func (l *loop) connect(addr netip.AddrPort) (int, error) {
	fd, err := connectFD(addr)
	if (errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE)) && l.spareFD >= 0 {
		unix.Close(l.spareFD)
		l.spareFD = -1
		fd, err = connectFD(addr)
	}
	return fd, err
}

// admit schedules the accepted socket fd, starts connecting its real
// server and registers both with l, which relays them from the moment the
// connect completes and accounts for the end (loop.finish). It runs on
// l's thread.
func (s *Service) admit(l *loop, fd int, client netip.AddrPort) {
	if s.full() {
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		unix.Close(fd)
		return
	}
	vip := s.addr
	if vip.Addr().IsUnspecified() {
		if la, err := unix.Getsockname(fd); err == nil {
			vip = sockaddrPort(la)
		}
	}
	s.live.Add(1)
	d, t := s.pick(client)
	if d == nil {
		unix.Close(fd)
		s.live.Add(-1)
		return
	}
	l.start(s, s.newRelay(d, t, client, vip), fd)
}

// parked is an accepted client whose real server's socket could not be
// had for want of descriptors: it waits, with its scheduling done, for the
// listener's next turn.
type parked struct {
	s  *Service
	r  *relay
	fd int
}

// start connects r's real server for the client socket fd and registers
// both. Out of descriptors, the client is parked and the listener paused;
// addListener retries it.
func (l *loop) start(s *Service, r *relay, fd int) {
	d, client, vip := r.d, r.src, r.vip
	bfd, err := l.connect(d.cfg.Addr)
	if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) {
		l.parked = append(l.parked, parked{s, r, fd})
		l.pause(s, err)
		return
	}
	if err != nil {
		if s.ctx.Err() == nil {
			s.opts.Logf("virtual_server %s: real server %s: %v", s.cfg.Addr, d.cfg.Addr, err)
		}
		unix.Close(fd)
		s.release(r)
		s.live.Add(-1)
		return
	}
	// Connecting even if connect returned at once: the loop then sees the
	// socket writable as it registers it.
	e := &evRelay{r: r, s: s, l: l, fd: [2]int{fd, bfd}, connecting: true}
	e.dir[0].bytes = &d.inBytes
	e.dir[1].bytes = &d.outBytes
	if v := d.cfg.ProxyProtocol; v != 0 {
		// The header goes first, as bytes the client sent: the loop sends
		// it once the connect is done, before reading the client.
		hdr, _ := proxyHeader(v, client, vip) // v was checked by Start
		e.dir[0].buf = pendPool.Get().(*[loopBuf]byte)
		e.dir[0].pend = e.dir[0].buf[:copy(e.dir[0].buf[:], hdr)]
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		e.discard()
		s.release(r)
		s.live.Add(-1)
		return
	}
	r.ev = e
	s.conns[r] = struct{}{}
	s.wg.Add(1) // done by finish
	s.mu.Unlock()
	l.register(e)
}

// accept4 accepts a non-blocking client socket. It is unix.Accept4 without
// the getsockopt(SO_PROTOCOL) that x/sys makes on every AF_INET accept (to
// tell L2TP sockets apart): one syscall per connection fewer.
func accept4(lnFD int) (fd int, client netip.AddrPort, err error) {
	var rsa unix.RawSockaddrAny
	size := uint32(unix.SizeofSockaddrAny)
	r, _, errno := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(lnFD), uintptr(unsafe.Pointer(&rsa)),
		uintptr(unsafe.Pointer(&size)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, netip.AddrPort{}, errno
	}
	return int(r), rawSockaddrPort(&rsa), nil
}

// rawSockaddrPort reads an AF_INET or AF_INET6 address as the kernel wrote
// it (the port in network byte order).
func rawSockaddrPort(rsa *unix.RawSockaddrAny) netip.AddrPort {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		a := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(port[0])<<8|uint16(port[1]))
	case unix.AF_INET6:
		a := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		port := (*[2]byte)(unsafe.Pointer(&a.Port))
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(port[0])<<8|uint16(port[1]))
	}
	return netip.AddrPort{}
}

func sockaddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr).Unmap(), uint16(a.Port))
	}
	return netip.AddrPort{}
}
