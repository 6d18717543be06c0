package dataplane

import (
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// connectFD starts connecting a raw non-blocking socket to addr for the
// event loop, which owns it from then on and learns from epoll when the
// handshake is done (EPOLLOUT) or failed (EPOLLERR): no thread waits for
// it, and the socket never enters Go's poller.
func connectFD(addr netip.AddrPort) (fd int, err error) {
	family, sa := unix.AF_INET, unix.Sockaddr(nil)
	if a := addr.Addr().Unmap(); a.Is4() {
		sa = &unix.SockaddrInet4{Port: int(addr.Port()), Addr: a.As4()}
	} else {
		family = unix.AF_INET6
		sa = &unix.SockaddrInet6{Port: int(addr.Port()), Addr: a.As16(), ZoneId: zoneID(a.Zone())}
	}
	fd, err = unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, dialErr(addr, os.NewSyscallError("socket", err))
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return -1, dialErr(addr, os.NewSyscallError("setsockopt", err))
	}
	err = unix.Connect(fd, sa)
	for err == unix.EINTR {
		err = unix.Connect(fd, sa)
	}
	switch err {
	case nil, unix.EINPROGRESS, unix.EALREADY:
		return fd, nil
	}
	unix.Close(fd)
	return -1, dialErr(addr, os.NewSyscallError("connect", err))
}

// connectError is the error a failed non-blocking connect left on fd.
func connectError(fd int, addr netip.AddrPort) error {
	soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		err = os.NewSyscallError("getsockopt", err)
	case soerr != 0:
		err = os.NewSyscallError("connect", unix.Errno(soerr))
	default:
		err = os.NewSyscallError("connect", unix.ECONNRESET) // up, then reset before the loop saw it
	}
	return dialErr(addr, err)
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

func closeFD(fd int) { unix.Close(fd) }
