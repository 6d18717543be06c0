package dataplane

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/shardcat/shardcat/internal/testenv"
)

func TestDialFD(t *testing.T) {
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
		fd, err := dialFD(context.Background(), addr, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", addr, err)
		}
		if err := writeFD(fd, []byte("hello"), time.Second); err != nil {
			t.Fatal(err)
		}
		if b := <-got; string(b) != "hello" {
			t.Errorf("%s: server read %q", addr, b)
		}
		if v, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); v == 0 {
			t.Errorf("%s: TCP_NODELAY off", addr)
		}
		closeFD(fd)
	}
	// A closed port is refused at once, with the address in the error.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().(*net.TCPAddr).AddrPort()
	ln.Close()
	if _, err := dialFD(context.Background(), dead, 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial %s: %v, want connection refused", dead, err)
	}
}
