package ipvsadm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/lvs/estimator"
)

// The control protocol: the client connects to the unix socket, writes one
// JSON Request line, and reads one JSON Response; then both sides close.

// Request is what a client asks. Op "list" returns the whole table, op
// "conns" the connection entries (in Response.Data).
type Request struct {
	Op string `json:"op"`
}

// Response carries the table, an extension's answer, or an error.
type Response struct {
	Error string          `json:"error,omitempty"`
	Table *Table          `json:"table,omitempty"`
	Data  json.RawMessage `json:"data,omitempty"` // answer of an op added with Handle
}

// ioTimeout bounds one exchange on the control socket.
const ioTimeout = 5 * time.Second

// Source is one running service; *dataplane.Service is one.
type Source interface {
	Config() dataplane.ServiceConfig
	Snapshot() dataplane.ServiceSnapshot
}

// Server serves the table of its sources and keeps their rate estimators.
type Server struct {
	now     func() time.Time
	sources []Source

	timeouts atomic.Pointer[Timeouts] // nil = DefaultTimeouts

	mu    sync.Mutex
	est   []estimator.Estimator
	dests []map[netip.AddrPort]*estimator.Estimator
	ops   map[string]func() (any, error)
}

// Handle adds an op to the control protocol (e.g. "vrrp" for the VRRP
// instances' status): its result is sent JSON-encoded in Response.Data.
func (s *Server) Handle(op string, fn func() (any, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops == nil {
		s.ops = make(map[string]func() (any, error))
	}
	s.ops[op] = fn
}

// SetSources replaces the served services (after a reload). A service whose
// listening address is unchanged keeps its estimators, so its rates do not
// restart from zero.
func (s *Server) SetSources(sources []Source) {
	s.mu.Lock()
	old := make(map[netip.AddrPort]int, len(s.sources))
	for i, src := range s.sources {
		old[src.Config().Addr] = i
	}
	est := make([]estimator.Estimator, len(sources))
	dests := make([]map[netip.AddrPort]*estimator.Estimator, len(sources))
	for i, src := range sources {
		if j, ok := old[src.Config().Addr]; ok {
			est[i], dests[i] = s.est[j], s.dests[j]
		} else {
			dests[i] = make(map[netip.AddrPort]*estimator.Estimator)
		}
	}
	s.sources, s.est, s.dests = sources, est, dests
	s.mu.Unlock()
}

// SetTimeouts sets the timeouts the table reports (global_defs
// lvs_timeouts, with the kernel's defaults for those not set).
func (s *Server) SetTimeouts(t Timeouts) { s.timeouts.Store(&t) }

// NewServer starts the estimators of the sources at now() (nil = time.Now).
func NewServer(sources []Source, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	s := &Server{now: now, sources: sources, est: make([]estimator.Estimator, len(sources)),
		dests: make([]map[netip.AddrPort]*estimator.Estimator, len(sources))}
	for i := range sources {
		s.dests[i] = make(map[netip.AddrPort]*estimator.Estimator)
	}
	s.Tick()
	return s
}

func counters(st dataplane.Stats) estimator.Counters {
	return estimator.Counters{Conns: st.Conns, InPkts: st.InPkts, OutPkts: st.OutPkts, InBytes: st.InBytes, OutBytes: st.OutBytes}
}

// Tick feeds every estimator the current counters at now(); the estimators
// only move once per 2 s period.
func (s *Server) Tick() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, src := range s.sources {
		snap := src.Snapshot()
		s.est[i].Update(now, counters(snap.Stats))
		for _, rs := range snap.RealServers {
			e := s.dests[i][rs.Addr]
			if e == nil {
				e = new(estimator.Estimator)
				s.dests[i][rs.Addr] = e
			}
			e.Update(now, counters(rs.Stats))
		}
	}
}

// Table is the current state: live counters, rates as of the last tick.
func (s *Server) Table() Table {
	t := Table{Version: Version, Size: TableSize, Timeouts: DefaultTimeouts, Services: []Service{}}
	if to := s.timeouts.Load(); to != nil {
		t.Timeouts = *to
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, src := range s.sources {
		svc := FromDataplane(src.Config(), src.Snapshot())
		svc.Rates = s.est[i].Rates()
		for j := range svc.Dests {
			if e := s.dests[i][svc.Dests[j].Addr]; e != nil {
				svc.Dests[j].Rates = e.Rates()
			}
		}
		t.Services = append(t.Services, svc)
	}
	t.Sort()
	return t
}

// RunEstimator calls Tick every 2 s until ctx ends.
func (s *Server) RunEstimator(ctx context.Context) {
	tk := time.NewTicker(estimator.Tick)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
			s.Tick()
		}
	}
}

// Serve answers requests on l until ctx ends or l fails; it closes l.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	stop := context.AfterFunc(ctx, func() { l.Close() })
	defer stop()
	defer l.Close()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handle(c)
		}()
	}
}

func (s *Server) handle(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioTimeout))
	var req Request
	var resp Response
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return
	}
	switch err := json.Unmarshal(line, &req); {
	case err != nil:
		resp.Error = "bad request: " + err.Error()
	case req.Op == "list":
		t := s.Table()
		resp.Table = &t
	case req.Op == OpConns:
		c.SetDeadline(time.Now().Add(connsTimeout))
		s.writeConns(c)
		return
	default:
		s.mu.Lock()
		fn := s.ops[req.Op]
		s.mu.Unlock()
		if fn == nil {
			resp.Error = fmt.Sprintf("unknown op %q", req.Op)
			break
		}
		v, err := fn()
		if err == nil {
			resp.Data, err = json.Marshal(v)
		}
		if err != nil {
			resp.Error = err.Error()
		}
	}
	json.NewEncoder(c).Encode(resp)
}

// Call sends op to the director on the socket at path and decodes the
// answer of an op added with Handle into v.
func Call(ctx context.Context, path, op string, v any) error {
	resp, err := exchange(ctx, path, op)
	if err != nil {
		return err
	}
	if len(resp.Data) == 0 {
		return errors.New("empty answer from the director")
	}
	return json.Unmarshal(resp.Data, v)
}

// Listen creates the control socket at path, with its directory. A stale
// socket file is replaced; one a live director answers on is not.
func Listen(path string) (*net.UnixListener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another director is serving on it", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// Fetch asks the director on the socket at path for its table.
func Fetch(ctx context.Context, path string) (Table, error) {
	resp, err := exchange(ctx, path, "list")
	if err != nil {
		return Table{}, err
	}
	if resp.Table == nil {
		return Table{}, errors.New("empty answer from the director")
	}
	return *resp.Table, nil
}

// exchange sends one request and reads the response.
func exchange(ctx context.Context, path, op string) (Response, error) {
	c, err := request(ctx, path, op, ioTimeout)
	if err != nil {
		return Response{}, err
	}
	defer c.Close()
	var resp Response
	if err := json.NewDecoder(c).Decode(&resp); err != nil {
		return Response{}, fmt.Errorf("reading the director's answer: %w", err)
	}
	if resp.Error != "" {
		return Response{}, errors.New(resp.Error)
	}
	return resp, nil
}

// request connects to the director on the socket at path and sends op; the
// connection's deadline is timeout from now, or ctx's if that is sooner.
func request(ctx context.Context, path, op string, timeout time.Duration) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	c.SetDeadline(deadline)
	if err := json.NewEncoder(c).Encode(Request{Op: op}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
