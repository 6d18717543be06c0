package dataplane

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/shardcat/shardcat/internal/testenv"
)

// waitWritable polls fd as the event loop's epoll would, for a connect's end.
func waitWritable(t *testing.T, fd int) int16 {
	t.Helper()
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	if n, err := unix.Poll(pfd, 5000); err != nil || n != 1 {
		t.Fatalf("poll: %d %v", n, err)
	}
	return pfd[0].Revents
}

func TestConnectFD(t *testing.T) {
	got := make(chan []byte, 1)
	for _, host := range []string{"127.0.0.1", "::1"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			if host == "::1" {
				continue // no IPv6 loopback here
			}
			t.Fatal(err)
		}
		testenv.Serve(t, ln, func(c net.Conn) {
			b := make([]byte, 5)
			n, _ := c.Read(b)
			got <- b[:n]
		})
		addr := ln.Addr().(*net.TCPAddr).AddrPort()
		fd, err := connectFD(addr)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if ev := waitWritable(t, fd); ev&(unix.POLLERR|unix.POLLHUP) != 0 {
			t.Fatalf("%s: connect: %v", addr, connectError(fd, addr))
		}
		if n, err := unix.Write(fd, []byte("hello")); n != 5 || err != nil {
			t.Fatalf("write: %d %v", n, err)
		}
		if b := <-got; string(b) != "hello" {
			t.Errorf("%s: server read %q", addr, b)
		}
		if v, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); v == 0 {
			t.Errorf("%s: TCP_NODELAY off", addr)
		}
		closeFD(fd)
	}
	// A closed port: the connect fails, and the error names the address.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	fd, err := connectFD(dead)
	if err != nil {
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("connect %s: %v, want connection refused", dead, err)
		}
		return
	}
	defer closeFD(fd)
	if ev := waitWritable(t, fd); ev&unix.POLLERR == 0 {
		t.Fatalf("connect %s: revents %#x, want POLLERR", dead, ev)
	}
	err = connectError(fd, dead)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect %s: %v, want connection refused", dead, err)
	}
	if want := netip.AddrPortFrom(dead.Addr(), dead.Port()).String(); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}
