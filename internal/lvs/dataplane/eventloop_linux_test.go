package dataplane

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/shardcat/shardcat/internal/testenv"
)

// serveFunc runs a real server that calls fn for each connection.
func serveFunc(t *testing.T, fn func(c *net.TCPConn)) netip.AddrPort {
	return serveFuncBuf(t, 0, fn)
}

// serveFuncBuf is serveFunc with the accepted sockets' SO_RCVBUF (0 = the
// default), set on the listener so that it is in place before the
// handshake.
func serveFuncBuf(t *testing.T, rcvbuf int, fn func(c *net.TCPConn)) netip.AddrPort {
	t.Helper()
	lc := net.ListenConfig{Control: smallRcvbuf(rcvbuf)}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(60 * time.Second))
				fn(c.(*net.TCPConn))
			}()
		}
	}()
	return ln.Addr().(*net.TCPAddr).AddrPort()
}

func startLoopService(t *testing.T, be netip.AddrPort, cfg ServiceConfig) *Service {
	t.Helper()
	cfg.Scheduler = "rr"
	cfg.RealServers = []RealServerConfig{{Addr: be, Weight: 1}}
	return startService(t, cfg, Options{relay: relayEventLoop})
}

// dialSmall connects to s with a small receive buffer, so that a fast
// sender fills it and the loop's writes come back short.
func dialSmall(t *testing.T, s *Service) *net.TCPConn { return dialRcvbuf(t, s, 4096) }

// dialRcvbuf connects to s with receive buffer rcvbuf (0: the default),
// closing the connection when the test ends.
func dialRcvbuf(t *testing.T, s *Service, rcvbuf int) *net.TCPConn {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second, Control: smallRcvbuf(rcvbuf)}
	c, err := d.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return c.(*net.TCPConn)
}

func smallRcvbuf(n int) func(_, _ string, rc syscall.RawConn) error {
	if n == 0 {
		return nil
	}
	return func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) { unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n) })
	}
}

// slowRead reads r to EOF in small pieces with pauses, hashing it.
func slowRead(r io.Reader) (int64, string, error) {
	h := sha256.New()
	buf := make([]byte, 32<<10)
	var n int64
	for i := 0; ; i++ {
		m, err := r.Read(buf)
		h.Write(buf[:m])
		n += int64(m)
		if err == io.EOF {
			return n, hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return n, "", err
		}
		if i%16 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
}

func payload(n int) ([]byte, string) {
	p := make([]byte, n)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(p)
	sum := sha256.Sum256(p)
	return p, hex.EncodeToString(sum[:])
}

// loopWaits counts the times a loop found a destination full (a short
// write, or a splice that came back EAGAIN) and waited for EPOLLOUT.
func loopWaits() uint64 { return loopPendWaits.Load() + loopSpliceWaits.Load() }

// TestEventLoopSlowReader: 32 MiB each way through the loop to a peer that
// reads slowly behind a small receive buffer arrive intact; the writes
// (or splices) come back short and the loop waits for EPOLLOUT.
func TestEventLoopSlowReader(t *testing.T) {
	const size = 32 << 20
	data, sum := payload(size)

	t.Run("to the client", func(t *testing.T) {
		be := serveFunc(t, func(c *net.TCPConn) { c.Write(data) })
		s := startLoopService(t, be, ServiceConfig{})
		c := dialSmall(t, s)
		waits := loopWaits()
		n, got, err := slowRead(c)
		if err != nil || n != size || got != sum {
			t.Fatalf("read %d bytes, sha256 %s, %v; want %d, %s", n, got, err, size, sum)
		}
		if loopWaits() == waits {
			t.Error("no write or splice came back short")
		}
		c.Close()
		waitFor(t, "the connection to end", func() bool { return idle(s) })
		if ss := s.Snapshot(); ss.OutBytes != size {
			t.Errorf("OutBytes %d, want %d", ss.OutBytes, size)
		}
	})

	t.Run("to the real server", func(t *testing.T) {
		be := serveFuncBuf(t, 4096, func(c *net.TCPConn) {
			n, got, err := slowRead(c)
			fmt.Fprintf(c, "%d %s %v", n, got, err)
		})
		s := startLoopService(t, be, ServiceConfig{})
		c := dialSmall(t, s)
		waits := loopWaits()
		if _, err := c.Write(data); err != nil {
			t.Fatal(err)
		}
		c.CloseWrite()
		reply, err := io.ReadAll(c)
		if want := fmt.Sprintf("%d %s <nil>", size, sum); err != nil || string(reply) != want {
			t.Fatalf("real server got %q (%v), want %q", reply, err, want)
		}
		if loopWaits() == waits {
			t.Error("no write or splice came back short")
		}
		waitFor(t, "the connection to end", func() bool { return idle(s) })
		if ss := s.Snapshot(); ss.InBytes != size {
			t.Errorf("InBytes %d, want %d", ss.InBytes, size)
		}
	})
}

// TestEventLoopHalfClose: either side may close its way first; the other
// way goes on, the connection is CLOSE_WAIT (the client closed first) or
// FIN_WAIT (the real server did), and it ends when both are done.
func TestEventLoopHalfClose(t *testing.T) {
	t.Run("client first", func(t *testing.T) {
		proceed := make(chan struct{})
		be := serveFunc(t, func(c *net.TCPConn) {
			got, _ := io.ReadAll(c)
			<-proceed
			fmt.Fprintf(c, "got %s", got)
		})
		s := startLoopService(t, be, ServiceConfig{})
		c := dialSmall(t, s)
		c.Write([]byte("question"))
		c.CloseWrite()
		waitFor(t, "CLOSE_WAIT", func() bool {
			cs := s.Connections()
			return len(cs) == 1 && cs[0].State == "CLOSE_WAIT"
		})
		close(proceed)
		if reply, err := io.ReadAll(c); err != nil || string(reply) != "got question" {
			t.Fatalf("reply %q %v", reply, err)
		}
		waitFor(t, "the connection to end", func() bool { return idle(s) })
	})

	t.Run("real server first", func(t *testing.T) {
		got := make(chan string, 1)
		be := serveFunc(t, func(c *net.TCPConn) {
			c.Write([]byte("greeting"))
			c.CloseWrite()
			b, _ := io.ReadAll(c)
			got <- string(b)
		})
		s := startLoopService(t, be, ServiceConfig{})
		c := dialSmall(t, s)
		if b, err := io.ReadAll(c); err != nil || string(b) != "greeting" {
			t.Fatalf("read %q %v", b, err)
		}
		if cs := s.Connections(); len(cs) != 1 || cs[0].State != "FIN_WAIT" {
			t.Errorf("after the real server's FIN: %+v", cs)
		}
		c.Write([]byte("still talking"))
		c.CloseWrite()
		if b := <-got; b != "still talking" {
			t.Fatalf("real server read %q", b)
		}
		waitFor(t, "the connection to end", func() bool { return idle(s) })
	})
}

func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(ents)
}

// TestEventLoopCloseInFlight: Service.Close ends relays that are moving
// bytes, blocked on a full peer, half-closed or idle, returns, and leaves
// no descriptor behind.
func TestEventLoopCloseInFlight(t *testing.T) {
	// The loops and Go's poller exist for the process's life: start them first.
	warm := startLoopService(t, serveFunc(t, func(c *net.TCPConn) { c.Write([]byte("x")) }), ServiceConfig{})
	if b, err := io.ReadAll(dialSmall(t, warm)); err != nil || string(b) != "x" {
		t.Fatalf("warm-up: %q %v", b, err)
	}
	warm.Close()
	before := openFds(t)

	chunk := bytes.Repeat([]byte("z"), 64<<10)
	stream := func(c *net.TCPConn) {
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var beConns sync.WaitGroup
	go func() {
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			beConns.Add(1)
			go func() {
				defer beConns.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(60 * time.Second))
				switch i % 3 {
				case 0:
					stream(c.(*net.TCPConn)) // the client never reads: the loop blocks on it
				case 1:
					c.(*net.TCPConn).CloseWrite() // half-closed
					io.Copy(io.Discard, c)
				default:
					io.Copy(c, c) // echo
				}
			}()
		}
	}()
	be := ln.Addr().(*net.TCPAddr).AddrPort()
	s, err := Start(ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"), Scheduler: "rr",
		RealServers: []RealServerConfig{{Addr: be, Weight: 1}}}, Options{relay: relayEventLoop, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	var clients []net.Conn
	for i := range 30 {
		c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		clients = append(clients, c)
		if i%3 == 2 {
			go io.Copy(c, bytes.NewReader(bytes.Repeat(chunk, 64))) // echoed, never read back
		}
	}
	waitFor(t, "the relays", func() bool { return s.Snapshot().Conns == 30 && len(s.Connections()) == 30 })
	time.Sleep(100 * time.Millisecond)

	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return")
	}
	if cs := s.Connections(); len(cs) != 0 {
		t.Errorf("connections after Close: %+v", cs)
	}
	for _, c := range clients {
		if _, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("client: %v", err)
		}
		c.Close()
	}
	ln.Close()
	beConns.Wait()
	// The test's own io.Copy between sockets splices through pipes that
	// Go pools until garbage collection: collect them.
	if !waitUntil(10*time.Second, func() bool { runtime.GC(); return openFds(t) <= before }) {
		ents, _ := os.ReadDir("/proc/self/fd")
		for _, e := range ents {
			l, _ := os.Readlink("/proc/self/fd/" + e.Name())
			t.Logf("fd %s -> %s", e.Name(), l)
		}
		t.Fatalf("%d descriptors open, %d before", openFds(t), before)
	}
}

func waitUntil(d time.Duration, cond func() bool) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestEventLoopNoFdLeak: many short connections, ended every way a
// connection ends, leave the descriptor count where it was.
func TestEventLoopNoFdLeak(t *testing.T) {
	be := serveFunc(t, func(c *net.TCPConn) {
		var b [1]byte
		if _, err := c.Read(b[:]); err != nil {
			return
		}
		switch b[0] {
		case 'e': // echo to EOF
			c.Write(b[:])
			io.Copy(c, c)
		case 'r': // reset
			c.SetLinger(0)
		case 'h': // half-close first
			c.Write(b[:])
			c.CloseWrite()
			io.Copy(io.Discard, c)
		}
	})
	s := startLoopService(t, be, ServiceConfig{IdleTimeout: 200 * time.Millisecond})
	one := func(kind byte) {
		c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		switch kind {
		case 'e', 'h':
			c.Write([]byte{kind, 'a', 'b'})
			c.(*net.TCPConn).CloseWrite()
			io.ReadAll(c)
		case 'r':
			c.Write([]byte{kind})
			io.ReadAll(c)
		case 'R': // the client resets
			c.(*net.TCPConn).SetLinger(0)
		case 'i': // idle until the timeout closes it
			io.ReadAll(c)
		}
	}
	one('e')
	waitFor(t, "the warm-up connection to end", func() bool { return idle(s) })
	before := openFds(t)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			one("ehrRi"[i%5])
		}()
	}
	wg.Wait()
	waitFor(t, "the connections to end", func() bool { return idle(s) })
	waitFor(t, "the descriptors to be released", func() bool { return openFds(t) <= before })
	if ss := s.Snapshot(); ss.Conns != 101 {
		t.Errorf("Conns %d, want 101", ss.Conns)
	}
}

// logLines collects a service's log lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logLines) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestConnectFailures: a real server that refuses the connection, or never
// answers the SYN, ends the client's connection (after the connect timeout
// for the silent one), is logged, and leaves no connection counted, for
// both relays.
func TestConnectFailures(t *testing.T) {
	refused := func() netip.AddrPort {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := ln.Addr().(*net.TCPAddr).AddrPort()
		ln.Close()
		return a
	}()
	// A listener whose accept queue is full drops further SYNs: the
	// connect neither succeeds nor fails.
	silent := func() netip.AddrPort {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			t.Fatal(err)
		}
		if err := unix.Listen(fd, 0); err != nil {
			t.Fatal(err)
		}
		sa, _ := unix.Getsockname(fd)
		a := sockaddrPort(sa)
		for range 2 { // fill the queue (backlog 0 holds one)
			c, err := net.DialTimeout("tcp", a.String(), time.Second)
			if err != nil {
				break
			}
			t.Cleanup(func() { c.Close() })
		}
		return a
	}()
	for relayName, relay := range relayKinds {
		for _, tc := range []struct {
			name string
			rs   netip.AddrPort
			log  string
			kept []string // the entries IPVS keeps afterwards
		}{
			{"refused", refused, "connection refused", []string{"CLOSE"}}, // the real server's reset
			{"silent", silent, "", nil},                                   // SYN_RECV expired
		} {
			t.Run(tc.name+"/"+relayName, func(t *testing.T) {
				var logs logLines
				s := startService(t, ServiceConfig{Scheduler: "rr", DialTimeout: 300 * time.Millisecond,
					RealServers: []RealServerConfig{{Addr: tc.rs, Weight: 1}}}, Options{relay: relay, Logf: logs.logf})
				c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				start := time.Now()
				c.SetDeadline(start.Add(10 * time.Second))
				if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
					t.Fatalf("read: %d %v, want the connection closed", n, err)
				}
				if tc.log == "" && time.Since(start) < 250*time.Millisecond {
					t.Errorf("closed after %v, before the connect timeout", time.Since(start))
				}
				want := tc.log
				if want == "" {
					want = tc.rs.String()
				}
				waitFor(t, "the log line", func() bool { return logs.has(want) })
				waitFor(t, "the counters", func() bool {
					st := s.Snapshot().Stats
					return st.ActiveConn == 0 && st.InActConn == len(tc.kept) && st.Conns == 1 && idle(s)
				})
				var kept []string
				for _, e := range s.Connections() {
					kept = append(kept, e.State)
				}
				if !slices.Equal(kept, tc.kept) {
					t.Errorf("entries %v, want %v", kept, tc.kept)
				}
			})
		}
	}
}

// TestOtherLoopCount runs the loop tests again in a child process with
// another number of loops: one if this process has several (one per P),
// else two, which share each listener (EPOLLEXCLUSIVE) and each relay the
// connections they accepted.
func TestOtherLoopCount(t *testing.T) {
	if want := os.Getenv("SHARDCAT_RELAY_LOOPS"); want != "" {
		// The child: check that it has the loops it was asked for.
		ls, err := startLoops()
		if err != nil || fmt.Sprint(len(ls)) != want {
			t.Fatalf("%d loops, want %s: %v", len(ls), want, err)
		}
		return
	}
	ls, err := startLoops()
	if err != nil {
		t.Fatal(err)
	}
	other := "2"
	if len(ls) > 1 {
		other = "1"
	}
	cmd := exec.Command(os.Args[0], "-test.count=1",
		"-test.run", "^(TestOtherLoopCount|TestRoundRobin|TestWeightedRoundRobin|TestPersistence|TestMaxConns|TestConnectFailures|TestEventLoop.*)$")
	cmd.Env = append(os.Environ(), "SHARDCAT_RELAY_LOOPS="+other, "GOMAXPROCS=2")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("PASS")) {
		t.Fatalf("with %s loops: %v\n%s", other, err, out)
	}
	t.Logf("%d loops here, %s in the child: passed", len(ls), other)
}

// TestOutOfDescriptors: a director out of file descriptors leaves new
// connections in the listen backlog (logging accept's error and backing
// off, not spinning) and serves them once descriptors are free again. The
// director runs in a child process with a low RLIMIT_NOFILE; clients and
// real server stay here.
func TestOutOfDescriptors(t *testing.T) {
	if os.Getenv("SHARDCAT_EMFILE_BACKEND") != "" {
		emfileChild(t)
		return
	}
	be := serveFunc(t, func(c *net.TCPConn) {
		c.Write([]byte("hi\n"))
		io.Copy(io.Discard, c)
	})
	cmd := exec.Command(os.Args[0], "-test.run=^TestOutOfDescriptors$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SHARDCAT_EMFILE_BACKEND="+be.String())
	var stderr testenv.Buffer
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
		if t.Failed() {
			t.Logf("child:\n%s", stderr.String())
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	addr := strings.TrimSpace(line)

	// More clients than the child has descriptors for: the first ones are
	// served, the rest wait in the backlog.
	greeted := make(chan int, 16)
	var conns []net.Conn
	for i := range 8 {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
		go func() {
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if b, err := bufio.NewReader(c).ReadString('\n'); err == nil && b == "hi\n" {
				greeted <- i
			}
		}()
	}
	served := map[int]bool{}
	timeout := time.After(2 * time.Second)
wait:
	for {
		select {
		case i := <-greeted:
			served[i] = true
		case <-timeout:
			break wait
		}
	}
	if len(served) == 0 || len(served) == 8 {
		t.Fatalf("%d of 8 clients served with the descriptor limit, want some but not all", len(served))
	}
	// Free the served ones: the waiting clients get their turn.
	for i := range served {
		conns[i].Close()
	}
	deadline := time.After(20 * time.Second)
	for len(served) < 8 {
		select {
		case i := <-greeted:
			served[i] = true
			conns[i].Close()
		case <-deadline:
			t.Fatalf("only %d of 8 clients served after descriptors were freed", len(served))
		}
	}
	waitFor(t, "the accept error in the child's log", func() bool {
		return strings.Contains(stderr.String(), "too many open files (retrying in")
	})
}

// emfileChild runs a director service with room for about two relays.
func emfileChild(t *testing.T) {
	be := netip.MustParseAddrPort(os.Getenv("SHARDCAT_EMFILE_BACKEND"))
	s, err := Start(ServiceConfig{Addr: netip.MustParseAddrPort("127.0.0.1:0"), Scheduler: "rr",
		RealServers: []RealServerConfig{{Addr: be, Weight: 1}}},
		Options{relay: relayEventLoop, Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var lim unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &lim)
	lim.Cur = uint64(openFds(t) + 5) // two relays (two descriptors each) and one spare
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	fmt.Println(s.Addr())
	io.Copy(io.Discard, os.Stdin) // until the parent is done
}

// TestLoopsShareConnections: the kernel wakes the same loop for most new
// connections; accepting loops hand clients to the least loaded loop, so
// 16 clients connecting at once end up spread evenly.
func TestLoopsShareConnections(t *testing.T) {
	release := make(chan struct{})
	be := serveFunc(t, func(c *net.TCPConn) {
		c.Write([]byte("x"))
		<-release
	})
	s := startLoopService(t, be, ServiceConfig{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(release)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", s.Addr().String(), 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			io.ReadFull(c, make([]byte, 1))
			<-release
		}()
	}
	waitFor(t, "16 relays", func() bool { return s.Snapshot().ActiveConn == 16 })
	ls, err := startLoops()
	if err != nil {
		t.Fatal(err)
	}
	per := map[*loop]int{}
	s.mu.Lock()
	for r := range s.conns {
		per[r.ev.l]++
	}
	s.mu.Unlock()
	var counts []int
	for _, l := range ls {
		counts = append(counts, per[l])
	}
	// Both legs have TCP_NODELAY (the client's inherited from the listener).
	s.mu.Lock()
	for r := range s.conns {
		r.ev.fdMu.Lock()
		for side, fd := range r.ev.fd {
			if v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY); err != nil || v == 0 {
				t.Errorf("side %d: TCP_NODELAY %d %v", side, v, err)
			}
		}
		r.ev.fdMu.Unlock()
	}
	s.mu.Unlock()
	if slices.Max(counts)-slices.Min(counts) > 2 {
		t.Errorf("relays per loop %v: not spread", counts)
	}
	t.Logf("relays per loop: %v", counts)
}

// When the client's last bytes and its FIN arrive together, the real
// server gets them in one segment too (MSG_MORE, then the shutdown's FIN
// joins them), not the bytes and then a bare FIN.
func TestLastBytesShareTheFINSegment(t *testing.T) {
	segsIn := func(c *net.TCPConn) uint64 {
		rc, err := c.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var in uint64
		rc.Control(func(fd uintptr) { in, _, _ = fdSegments(int(fd)) })
		return in
	}
	type result struct {
		tail   string
		segs   uint64
		failed error
	}
	results := make(chan result, 1)
	ready := make(chan struct{})
	be := serveFunc(t, func(c *net.TCPConn) {
		hello := make([]byte, 5)
		if _, err := io.ReadFull(c, hello); err != nil {
			results <- result{failed: err}
			return
		}
		before := segsIn(c)
		close(ready)
		tail, err := io.ReadAll(c)
		results <- result{tail: string(tail), segs: segsIn(c) - before, failed: err}
	})
	s := startLoopService(t, be, ServiceConfig{})
	c := dialSmall(t, s)
	c.Write([]byte("hello"))
	<-ready
	// The client's own last bytes and FIN in one segment: send with
	// MSG_MORE, then shut down.
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) { _, err = sendTo(int(fd), []byte("bye"), true) })
	if err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	r := <-results
	if r.failed != nil || r.tail != "bye" {
		t.Fatalf("real server read %q, %v", r.tail, r.failed)
	}
	if r.segs != 1 {
		t.Errorf("the last bytes and the FIN reached the real server in %d segments, want 1", r.segs)
	}
	waitFor(t, "the connection to end", func() bool { return idle(s) })
}

// accept4 reads the client's address as the kernel wrote it: port in
// network byte order, IPv4-mapped IPv6 unmapped, as net reports them.
func TestAcceptedClientAddress(t *testing.T) {
	for _, network := range []string{"tcp4", "tcp6"} {
		addr := map[string]string{"tcp4": "127.0.0.1:0", "tcp6": "[::1]:0"}[network]
		ln, err := net.Listen(network, addr)
		if err != nil {
			if network == "tcp6" {
				t.Logf("no IPv6 loopback here: %v", err)
				continue
			}
			t.Fatal(err)
		}
		defer ln.Close()
		c, err := net.Dial(network, ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		rc, err := ln.(*net.TCPListener).SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		// The dial has completed the handshake, so the connection is in
		// the backlog (a listener's RawConn has no Read to wait with).
		var fd int
		var client netip.AddrPort
		var aerr error
		rc.Control(func(lnFD uintptr) { fd, client, aerr = accept4(int(lnFD)) })
		if aerr != nil {
			t.Fatal(aerr)
		}
		unix.Close(fd)
		want := c.LocalAddr().(*net.TCPAddr).AddrPort()
		if client != want {
			t.Errorf("%s: accepted client %v, want %v", network, client, want)
		}
	}
	// An IPv4-mapped peer on a dual-stack socket is reported as IPv4.
	var rsa unix.RawSockaddrAny
	a := (*unix.RawSockaddrInet6)(unsafe.Pointer(&rsa))
	a.Family = unix.AF_INET6
	a.Port = 0
	*(*[2]byte)(unsafe.Pointer(&a.Port)) = [2]byte{0x1f, 0x90} // 8080
	a.Addr = netip.MustParseAddr("::ffff:10.1.2.3").As16()
	if got, want := rawSockaddrPort(&rsa), netip.MustParseAddrPort("10.1.2.3:8080"); got != want {
		t.Errorf("mapped: %v, want %v", got, want)
	}
}

// TestEventLoopSplicesBulk: once large reads add up to the loop's buffer,
// the direction goes over to splice (socket -> pipe -> socket); 16 MiB each
// way arrive intact and counted, both to peers that keep up and to one
// that reads slowly, where the splice to it comes back EAGAIN and the loop
// waits for EPOLLOUT with bytes in the pipe.
func TestEventLoopSplicesBulk(t *testing.T) {
	const size = 16 << 20
	data, sum := payload(size)

	t.Run("both ways", func(t *testing.T) {
		be := serveFunc(t, func(c *net.TCPConn) {
			h := sha256.New()
			n, err := io.Copy(h, c)
			if err != nil || n != size || hex.EncodeToString(h.Sum(nil)) != sum {
				return // the client sees a short reply
			}
			c.Write(data)
		})
		s := startLoopService(t, be, ServiceConfig{})
		c := dialRcvbuf(t, s, 0)
		splices := loopSplices.Load()
		if _, err := c.Write(data); err != nil {
			t.Fatal(err)
		}
		c.CloseWrite()
		h := sha256.New()
		n, err := io.Copy(h, c)
		if got := hex.EncodeToString(h.Sum(nil)); err != nil || n != size || got != sum {
			t.Fatalf("reply: %d bytes, sha256 %s, %v; want %d, %s", n, got, err, size, sum)
		}
		if d := loopSplices.Load() - splices; d < 2 {
			t.Errorf("%d directions spliced, want both", d)
		}
		waitFor(t, "the connection to end", func() bool { return idle(s) })
		if ss := s.Snapshot(); ss.InBytes != size || ss.OutBytes != size {
			t.Errorf("InBytes %d, OutBytes %d, want %d each", ss.InBytes, ss.OutBytes, size)
		}
	})

	t.Run("messages after a burst", func(t *testing.T) {
		// A large result, then the session's small queries and answers.
		be := serveFunc(t, func(c *net.TCPConn) {
			c.Write(data[:1<<20])
			buf := make([]byte, 4)
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				c.Write([]byte("pong"))
			}
		})
		s := startLoopService(t, be, ServiceConfig{})
		// A small receive buffer holds the loop's writes back, so that the
		// burst queues up and fills its reads.
		splices := loopSplices.Load() // before the dial: the burst starts at once
		c := dialSmall(t, s)
		burst := make([]byte, 1<<20)
		if _, err := io.ReadFull(c, burst); err != nil || !bytes.Equal(burst, data[:1<<20]) {
			t.Fatalf("burst: %v (intact: %v)", err, bytes.Equal(burst, data[:1<<20]))
		}
		for i := range 50 {
			reply := make([]byte, 4)
			if _, err := c.Write([]byte("ping")); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, reply); err != nil || string(reply) != "pong" {
				t.Fatalf("message %d: %q %v", i, reply, err)
			}
		}
		if loopSplices.Load() == splices {
			t.Error("the burst was not spliced")
		}
		c.Close()
		waitFor(t, "the connection to end", func() bool { return idle(s) })
		if ss := s.Snapshot(); ss.OutBytes != 1<<20+50*4 || ss.InBytes != 50*4 {
			t.Errorf("InBytes %d, OutBytes %d, want %d, %d", ss.InBytes, ss.OutBytes, 50*4, 1<<20+50*4)
		}
	})

	t.Run("slow reader", func(t *testing.T) {
		be := serveFunc(t, func(c *net.TCPConn) { c.Write(data) })
		s := startLoopService(t, be, ServiceConfig{})
		splices, waits := loopSplices.Load(), loopSpliceWaits.Load() // the transfer starts at the dial
		c := dialRcvbuf(t, s, 0)
		n, got, err := slowRead(c)
		if err != nil || n != size || got != sum {
			t.Fatalf("read %d bytes, sha256 %s, %v; want %d, %s", n, got, err, size, sum)
		}
		if loopSplices.Load() == splices {
			t.Error("the transfer was not spliced")
		}
		if loopSpliceWaits.Load() == waits {
			t.Error("no splice to the slow reader came back EAGAIN")
		}
		c.Close()
		waitFor(t, "the connection to end", func() bool { return idle(s) })
		if ss := s.Snapshot(); ss.OutBytes != size {
			t.Errorf("OutBytes %d, want %d", ss.OutBytes, size)
		}
	})
}

// TestAcksRideOnTheRelayedBytes: the relays' sockets delay their ACKs
// (TCP_QUICKACK off), so an ACK travels with the bytes relayed the other
// way instead of in a segment of its own, as the ACKs of a server's
// sockets do once the kernel sees the exchange is interactive: the real
// server's greeting is ACKed by the client's request, the client's request
// by the real server's answer.
func TestAcksRideOnTheRelayedBytes(t *testing.T) {
	for name, relay := range relayKinds {
		t.Run(name, func(t *testing.T) { testAcksRide(t, relay) })
	}
}

func testAcksRide(t *testing.T, relay relayKind) {
	const rounds = 5
	segsIn := func(c *net.TCPConn) (n uint64) {
		rc, err := c.SyscallConn()
		if err != nil {
			return 0
		}
		rc.Control(func(fd uintptr) { n, _, _ = fdSegments(int(fd)) })
		return n
	}
	toServer := make(chan uint64, rounds)
	be := serveFunc(t, func(c *net.TCPConn) {
		// Greet once the director's connect is surely done, as a server
		// greets after its accept.
		time.Sleep(20 * time.Millisecond)
		before := segsIn(c)
		c.Write([]byte("greeting"))
		request := make([]byte, 7)
		if _, err := io.ReadFull(c, request); err != nil {
			toServer <- 0
			return
		}
		toServer <- segsIn(c) - before
		time.Sleep(5 * time.Millisecond) // an ACK sent at once would go before the answer
		c.Write([]byte("answer"))
		// Close only after the client: a FIN relayed right behind the
		// answer would be counted with it.
		io.Copy(io.Discard, c)
	})
	s := startService(t, ServiceConfig{Scheduler: "rr", RealServers: []RealServerConfig{{Addr: be, Weight: 1}}}, Options{relay: relay})
	var alone [2]int
	for range rounds {
		c, err := net.DialTimeout("tcp", s.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		greeting := make([]byte, 8)
		if _, err := io.ReadFull(c, greeting); err != nil {
			t.Fatal(err)
		}
		before := segsIn(c.(*net.TCPConn))
		c.Write([]byte("request"))
		answer := make([]byte, 6)
		if _, err := io.ReadFull(c, answer); err != nil {
			t.Fatal(err)
		}
		toClient := segsIn(c.(*net.TCPConn)) - before
		n := <-toServer
		c.Close()
		if n == 0 {
			t.Fatal("the real server failed")
		}
		for i, segs := range []uint64{n, toClient} {
			if segs > 1 {
				alone[i]++
			}
		}
		t.Logf("segments from the director: %d to the real server (greeting to request), %d to the client (request to answer)", n, toClient)
	}
	// A delayed ACK still goes alone after 40 ms: allow a slow round.
	for i, who := range []string{"the greeting's (to the real server)", "the request's (to the client)"} {
		if alone[i] > rounds/2 {
			t.Errorf("%s ACK went in a segment of its own in %d of %d connections", who, alone[i], rounds)
		}
	}
}
