package dataplane

import (
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The benchmarks compare the director hop with dialling the backend
// directly and with HAProxy in TCP mode (when installed), in one run:
// go test -run X -bench . -benchtime 3s -count 5 ./internal/lvs/dataplane
// and compare the /director line with /haproxy and /direct.

// pingBackend answers every 64-byte message with 64 bytes, like a point
// select, and greets each new connection with one byte (a server greeting).
func pingBackend(b *testing.B) netip.AddrPort {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				if _, err := c.Write(buf[:1]); err != nil {
					return
				}
				for {
					if _, err := io.ReadFull(c, buf); err != nil {
						return
					}
					if _, err := c.Write(buf); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).AddrPort()
}

func benchTargets(b *testing.B) map[string]netip.AddrPort {
	backend := pingBackend(b)
	s, err := Start(ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"), Scheduler: "rr",
		RealServers: []RealServerConfig{{Addr: backend, Weight: 1}}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	targets := map[string]netip.AddrPort{"direct": backend, "director": s.Addr()}
	if ha, ok := startHAProxy(b, backend); ok {
		targets["haproxy"] = ha
	}
	return targets
}

var benchNames = []string{"direct", "haproxy", "director"}

// startHAProxy runs Debian's haproxy in TCP mode in front of backend, as
// scripts/bench.sh configures it.
func startHAProxy(b *testing.B, backend netip.AddrPort) (netip.AddrPort, bool) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		return netip.AddrPort{}, false
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr).AddrPort()
	l.Close()
	dir := b.TempDir()
	cfg := fmt.Sprintf(`global
    maxconn 4096
    nbthread 2
defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
listen bench
    bind %s
    server s1 %s
`, addr, backend)
	path := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-f", path, "-db")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 100 {
		if c, err := net.Dial("tcp", addr.String()); err == nil {
			c.Close()
			return addr, true
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("haproxy did not start")
	return netip.AddrPort{}, false
}

// BenchmarkRoundTrip: 64-byte request/response on persistent connections.
func BenchmarkRoundTrip(b *testing.B) {
	targets := benchTargets(b)
	for _, name := range benchNames {
		if _, ok := targets[name]; !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				c, err := net.Dial("tcp", targets[name].String())
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				buf := make([]byte, 64)
				if _, err := io.ReadFull(c, buf[:1]); err != nil {
					b.Error(err)
					return
				}
				for pb.Next() {
					if _, err := c.Write(buf); err != nil {
						b.Error(err)
						return
					}
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkConnSetup: connect, read the greeting, close.
func BenchmarkConnSetup(b *testing.B) {
	targets := benchTargets(b)
	for _, name := range benchNames {
		if _, ok := targets[name]; !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				var one [1]byte
				for pb.Next() {
					c, err := net.Dial("tcp", targets[name].String())
					if err != nil {
						b.Error(err)
						return
					}
					if _, err := io.ReadFull(c, one[:]); err != nil {
						b.Error(err)
					}
					c.Close()
				}
			})
		})
	}
}
