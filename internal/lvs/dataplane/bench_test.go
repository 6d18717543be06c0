package dataplane

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/testenv"
)

// The benchmarks compare the director hop with dialling the backend
// directly and with HAProxy in TCP mode (when installed), in one run:
// go test -run X -bench . -benchtime 3s -count 5 ./internal/lvs/dataplane
// and compare the /director-epoll (event-loop relay, the Linux default) and
// /director-goroutine lines with /haproxy and /direct.

// pingBackend answers every 64-byte message with 64 bytes, like a point
// select, and greets each new connection with one byte (a server greeting).
func pingBackend(b *testing.B) netip.AddrPort {
	return testenv.ServeLoopback(b, func(c net.Conn) {
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
	})
}

// benchTarget is where a benchmark connects, and the relay's process
// (0: none) whose CPU time is reported per operation.
type benchTarget struct {
	addr netip.AddrPort
	pid  int
}

func benchTargets(b *testing.B) map[string]benchTarget {
	return benchTargetsFor(b, pingBackend(b))
}

func benchTargetsFor(b *testing.B, backend netip.AddrPort) map[string]benchTarget {
	targets := map[string]benchTarget{"direct": {addr: backend}}
	for name, kind := range map[string]string{"director-goroutine": "goroutine", "director-epoll": "epoll"} {
		targets[name] = startDirectorProcess(b, backend, kind)
	}
	if ha, ok := startHAProxy(b, backend); ok {
		targets["haproxy"] = ha
	}
	return targets
}

// startDirectorProcess runs a Service in a child process (this test
// binary, TestBenchChildDirector), as HAProxy runs in its own: the
// benchmark's clients and real server then do not compete with the relay
// for the Go scheduler's Ps, and its CPU time can be read apart.
func startDirectorProcess(b *testing.B, backend netip.AddrPort, relay string) benchTarget {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBenchChildDirector$")
	cmd.Env = append(os.Environ(), "SHARDCAT_BENCH_CHILD="+relay, "SHARDCAT_BENCH_BACKEND="+backend.String())
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		t := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
		cmd.Wait()
		t.Stop()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("director process: %v", err)
	}
	addr, err := netip.ParseAddrPort(strings.TrimSpace(line))
	if err != nil {
		b.Fatalf("director process: %q: %v", line, err)
	}
	return benchTarget{addr: addr, pid: cmd.Process.Pid}
}

// TestBenchChildDirector is the benchmarks' director process: it relays
// to SHARDCAT_BENCH_BACKEND with the relay SHARDCAT_BENCH_CHILD names,
// prints its address and serves until its stdin closes.
func TestBenchChildDirector(t *testing.T) {
	relay := os.Getenv("SHARDCAT_BENCH_CHILD")
	if relay == "" {
		t.Skip("run by the benchmarks")
	}
	kind := relayGoroutine
	if relay == "epoll" {
		kind = relayEventLoop
	}
	s, err := Start(ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"), Scheduler: "rr",
		RealServers: []RealServerConfig{{Addr: netip.MustParseAddrPort(os.Getenv("SHARDCAT_BENCH_BACKEND")), Weight: 1}}},
		Options{relay: kind})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(s.Addr())
	io.Copy(io.Discard, os.Stdin)
	s.Close()
}

// cpuTime is the user and system time process pid has used.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * time.Second / 100 // USER_HZ
}

// reportCPU reports the relay process's CPU time per operation since
// start (µs, at the 10 ms resolution of /proc/PID/stat).
func reportCPU(b *testing.B, t benchTarget, start time.Duration) {
	if t.pid != 0 && b.N > 0 {
		b.ReportMetric(float64(cpuTime(t.pid)-start)/float64(time.Microsecond)/float64(b.N), "relay-cpu-µs/op")
	}
}

var benchNames = []string{"direct", "haproxy", "director-goroutine", "director-epoll"}

// startHAProxy runs Debian's haproxy in TCP mode in front of backend, as
// scripts/bench.sh configures it.
func startHAProxy(b *testing.B, backend netip.AddrPort) (benchTarget, bool) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		return benchTarget{}, false
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
			return benchTarget{addr: addr, pid: cmd.Process.Pid}, true
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatal("haproxy did not start")
	return benchTarget{}, false
}

// BenchmarkRoundTrip: 64-byte request/response on persistent connections.
func BenchmarkRoundTrip(b *testing.B) {
	benchSessions(b, benchTargets(b), 8, 0, func(c net.Conn, pb *testing.PB) error {
		buf := make([]byte, 64)
		if _, err := io.ReadFull(c, buf[:1]); err != nil {
			return err
		}
		for pb.Next() {
			if _, err := c.Write(buf); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// benchSessions runs session on parallelism persistent connections per
// GOMAXPROCS to each target, reporting bytes per op (when set) and the
// relay's CPU per op.
func benchSessions(b *testing.B, targets map[string]benchTarget, parallelism int, bytesPerOp int64, session func(c net.Conn, pb *testing.PB) error) {
	for _, name := range benchNames {
		if _, ok := targets[name]; !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			if bytesPerOp > 0 {
				b.SetBytes(bytesPerOp)
			}
			b.SetParallelism(parallelism)
			cpu0 := cpuTime(targets[name].pid)
			b.RunParallel(func(pb *testing.PB) {
				c, err := net.Dial("tcp", targets[name].addr.String())
				if err != nil {
					b.Error(err)
					return
				}
				defer c.Close()
				if err := session(c, pb); err != nil {
					b.Error(err)
				}
			})
			reportCPU(b, targets[name], cpu0)
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
			cpu0 := cpuTime(targets[name].pid)
			b.RunParallel(func(pb *testing.PB) {
				var one [1]byte
				for pb.Next() {
					c, err := net.Dial("tcp", targets[name].addr.String())
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
			reportCPU(b, targets[name], cpu0)
		})
	}
}

// bulkBackend sends bulkSize bytes for every byte it reads (a result set
// or a dump, per request).
func bulkBackend(b *testing.B) netip.AddrPort {
	data := make([]byte, bulkSize)
	return testenv.ServeLoopback(b, func(c net.Conn) {
		var one [1]byte
		for {
			if _, err := io.ReadFull(c, one[:]); err != nil {
				return
			}
			if _, err := c.Write(data); err != nil {
				return
			}
		}
	})
}

const bulkSize = 4 << 20

// BenchmarkBulk: 4 MiB from the real server per request on persistent
// connections (MB/s; relay CPU per 4 MiB).
func BenchmarkBulk(b *testing.B) {
	benchSessions(b, benchTargetsFor(b, bulkBackend(b)), 1, bulkSize, func(c net.Conn, pb *testing.PB) error {
		buf := make([]byte, 256<<10)
		for pb.Next() {
			if _, err := c.Write(buf[:1]); err != nil {
				return err
			}
			for left := bulkSize; left > 0; {
				n, err := c.Read(buf[:min(left, len(buf))])
				if err != nil {
					return err
				}
				left -= n
			}
		}
		return nil
	})
}
