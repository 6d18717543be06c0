package testenv

import (
	"net"
	"net/netip"
	"testing"
)

// Serve accepts on ln until the test ends (then it closes ln), running
// handle for each connection in its own goroutine and closing the
// connection after it returns. A nil handle just closes connections.
func Serve(t testing.TB, ln net.Listener, handle func(net.Conn)) {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if handle != nil {
					handle(c)
				}
			}()
		}
	}()
}

// ServeLoopback listens on 127.0.0.1:0 and serves it with handle (see
// Serve); it returns the listening address.
func ServeLoopback(t testing.TB, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	Serve(t, ln, handle)
	return ln.Addr().(*net.TCPAddr).AddrPort()
}
