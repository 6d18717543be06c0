package dataplane

import (
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// acceptBatch bounds the connections taken per listener wake-up.
const acceptBatch = 32

type acceptedFD struct {
	fd int
	sa unix.Sockaddr
}

// acceptRaw accepts the connections waiting on the listener as raw
// non-blocking sockets for the event loop (Go's poller only waits for the
// listener). A socket accepted through net.TCPListener would be
// registered with Go's poller, then duplicated and closed to leave it: per
// connection two epoll_ctl calls, a dup, a close and a getsockname more.
func (s *Service) acceptRaw() error {
	rc, err := s.lnFile.SyscallConn()
	if err != nil {
		return err
	}
	var batch [acceptBatch]acceptedFD
	n := 0
	var aerr error
	err = rc.Read(func(lfd uintptr) bool {
		for n < len(batch) {
			fd, sa, err := unix.Accept4(int(lfd), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
			switch err {
			case nil:
				batch[n] = acceptedFD{fd, sa}
				n++
				continue
			case unix.EINTR, unix.ECONNABORTED:
				continue
			case unix.EAGAIN:
				return n > 0 // nothing yet: Go's poller waits for the next one
			}
			aerr = os.NewSyscallError("accept4", err)
			return true
		}
		return true
	})
	for _, a := range batch[:n] {
		s.admit(a.fd, a.sa)
	}
	if err != nil {
		return err
	}
	return aerr
}

// admit schedules the accepted socket fd, starts connecting its real
// server and hands both to an event loop, which relays them from the
// moment the connect completes and accounts for the end (loop.finish).
func (s *Service) admit(fd int, sa unix.Sockaddr) {
	if s.full() {
		unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		unix.Close(fd)
		return
	}
	client := sockaddrPort(sa)
	vip := s.addr
	if vip.Addr().IsUnspecified() {
		if la, err := unix.Getsockname(fd); err == nil {
			vip = sockaddrPort(la)
		}
	}
	// As Go does for the sockets it accepts: small replies leave at once.
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	s.live.Add(1)
	d, t := s.pick(client)
	if d == nil {
		unix.Close(fd)
		s.live.Add(-1)
		return
	}
	r := s.newRelay(d, t, client, vip)
	l, err := pickLoop() // cannot fail: Start checked
	if err == nil {
		var bfd int
		if bfd, err = connectFD(d.cfg.Addr); err == nil {
			// Connecting even if connect returned at once: the loop then
			// sees the socket writable as it registers it.
			e := &evRelay{r: r, s: s, l: l, fd: [2]int{fd, bfd}, connecting: true}
			e.dir[0].bytes = &d.inBytes
			e.dir[1].bytes = &d.outBytes
			if v := d.cfg.ProxyProtocol; v != 0 {
				// The header goes first, as bytes the client sent: the loop
				// sends it once the connect is done, before reading the client.
				hdr, _ := proxyHeader(v, client, vip) // v was checked by Start
				e.dir[0].buf = pendPool.Get().(*[loopBuf]byte)
				e.dir[0].pend = e.dir[0].buf[:copy(e.dir[0].buf[:], hdr)]
			}
			s.mu.Lock()
			if !s.closed {
				r.ev = e
				s.conns[r] = struct{}{}
				s.wg.Add(1)
				s.mu.Unlock()
				l.post(loopReq{e: e})
				return
			}
			s.mu.Unlock()
			e.discard()
			s.release(r)
			s.live.Add(-1)
			return
		}
	}
	if s.ctx.Err() == nil {
		s.opts.Logf("virtual_server %s: real server %s: %v", s.cfg.Addr, d.cfg.Addr, err)
	}
	unix.Close(fd)
	s.release(r)
	s.live.Add(-1)
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
