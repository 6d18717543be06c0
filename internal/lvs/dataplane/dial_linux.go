package dataplane

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// dialFD connects to addr with a raw non-blocking socket that the event
// loop will own directly: dialling through Go's poller and handing the
// socket over afterwards costs a poller registration and removal, a dup,
// a close and the address lookups, about a fifth of the system calls of a
// relayed connection. The wait for the handshake is a poll(2) in slices,
// so ctx (the service closing) and timeout are honoured.
func dialFD(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (int, error) {
	family, sa := unix.AF_INET, unix.Sockaddr(nil)
	if a := addr.Addr().Unmap(); a.Is4() {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: a.As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16(), ZoneId: zoneID(a.Zone())}
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, dialErr(addr, os.NewSyscallError("socket", err))
	}
	fail := func(err error) (int, error) {
		unix.Close(fd)
		return -1, dialErr(addr, err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		return fail(os.NewSyscallError("setsockopt", err))
	}
	err = unix.Connect(fd, sa)
	for err == unix.EINTR {
		err = unix.Connect(fd, sa)
	}
	switch err {
	case nil:
		return fd, nil
	case unix.EINPROGRESS, unix.EALREADY:
	default:
		return fail(os.NewSyscallError("connect", err))
	}
	deadline := time.Now().Add(timeout)
	for {
		if ctx.Err() != nil {
			return fail(ctx.Err())
		}
		left := time.Until(deadline)
		if left <= 0 {
			return fail(os.ErrDeadlineExceeded)
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		n, err := unix.Poll(pfd, int(min(left, 100*time.Millisecond)/time.Millisecond)+1)
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return fail(os.NewSyscallError("poll", err))
		}
		soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return fail(os.NewSyscallError("getsockopt", err))
		}
		if soerr != 0 {
			return fail(os.NewSyscallError("connect", unix.Errno(soerr)))
		}
		return fd, nil
	}
}

func dialErr(addr netip.AddrPort, err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(addr), Err: err}
}

func zoneID(zone string) uint32 {
	if zone == "" {
		return 0
	}
	if ifi, err := net.InterfaceByName(zone); err == nil {
		return uint32(ifi.Index)
	}
	return 0
}

// writeFD writes all of b to the non-blocking socket fd (a PROXY header
// right after the connect: it fits the empty send buffer), waiting for
// room up to timeout.
func writeFD(fd int, b []byte, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		switch {
		case err == nil:
			b = b[n:]
		case err == unix.EINTR:
		case err == unix.EAGAIN:
			left := time.Until(deadline)
			if left <= 0 {
				return os.ErrDeadlineExceeded
			}
			unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}, int(left/time.Millisecond)+1)
		default:
			return os.NewSyscallError("write", err)
		}
	}
	return nil
}

// connFromFD turns a raw socket into a *net.TCPConn (for the goroutine
// relay when the loop cannot take it); fd is consumed.
func connFromFD(fd int) (*net.TCPConn, error) {
	f := os.NewFile(uintptr(fd), "real server")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		c.Close()
		return nil, errors.New("not a TCP socket")
	}
	return tc, nil
}

func closeFD(fd int) { unix.Close(fd) }
