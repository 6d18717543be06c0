package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/sched"
)

// Options are the runtime hooks of a Service.
type Options struct {
	Logf func(format string, args ...any) // nil = silent
	Now  func() time.Time                 // persistence clock; nil = time.Now
}

// Service is one running virtual server.
type Service struct {
	cfg    ServiceConfig
	opts   Options
	ln     *net.TCPListener
	addr   netip.AddrPort
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time
	wg     sync.WaitGroup

	mu        sync.Mutex // serialises the scheduler, as the kernel's per-service lock
	sched     sched.Scheduler
	dests     []*dest
	templates map[netip.Addr]*template
	lastSweep time.Time
	conns     map[*relay]struct{}
	closed    bool
}

type dest struct {
	cfg      RealServerConfig // cfg.Weight follows MISC_CHECK misc_dynamic
	weight0  int              // the configured weight
	checksUp []bool
	up       bool // every checker up
	active   int32
	inact    int32
	overload bool // IP_VS_DEST_F_OVERLOAD, from the thresholds
	conns    uint64
	inBytes  atomic.Uint64
	outBytes atomic.Uint64
}

// available reports whether the scheduler sees d at all: a down real server
// is removed, unless inhibit_on_failure keeps it with weight 0.
func (d *dest) available() bool { return d.up || d.cfg.InhibitOnFailure }

func (d *dest) schedDest() *sched.Dest {
	return &sched.Dest{
		Addr: d.cfg.Addr.Addr(), Port: d.cfg.Addr.Port(), Weight: d.weight(),
		ActiveConns: d.active, InactConns: d.inact, Overloaded: d.overload,
		UpperThreshold: uint32(d.cfg.UThreshold), LowerThreshold: uint32(d.cfg.LThreshold),
	}
}

func (d *dest) weight() int32 {
	if !d.up {
		return 0
	}
	return int32(d.cfg.Weight)
}

type template struct {
	dest    *dest
	n       int // live connections it controls
	expires time.Time
}

type relay struct {
	client, backend *net.TCPConn
}

// Start listens on cfg.Addr and serves until Close.
func Start(cfg ServiceConfig, opts Options) (*Service, error) {
	if cfg.Scheduler == "" {
		cfg.Scheduler = "wlc"
	}
	sc, err := sched.New(cfg.Scheduler, cfg.Flags)
	if err != nil {
		return nil, err
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	lc := net.ListenConfig{Control: freebindControl(cfg.Addr.Addr())}
	l, err := lc.Listen(context.Background(), "tcp", cfg.Addr.String())
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:       cfg,
		opts:      opts,
		ln:        l.(*net.TCPListener),
		sched:     sc,
		templates: make(map[netip.Addr]*template),
		conns:     make(map[*relay]struct{}),
		start:     time.Now(),
	}
	s.addr = s.ln.Addr().(*net.TCPAddr).AddrPort()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, rc := range cfg.RealServers {
		d := &dest{cfg: rc, weight0: rc.Weight, checksUp: make([]bool, len(rc.Checks)), up: true}
		for i, c := range rc.Checks {
			d.checksUp[i] = !c.Alpha
			if c.Alpha {
				d.up = false
			}
		}
		s.dests = append(s.dests, d)
	}
	for _, d := range s.dests {
		for i, c := range d.cfg.Checks {
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				runCheck(s.ctx, c, !c.Alpha, func(up bool) { s.setCheck(d, i, up) }, func(w int) { s.setWeight(d, w) })
			}()
		}
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr is the address the service listens on.
func (s *Service) Addr() netip.AddrPort { return s.addr }

// Config is the configuration the service runs.
func (s *Service) Config() ServiceConfig { return s.cfg }

func (s *Service) setCheck(d *dest, i int, up bool) {
	s.mu.Lock()
	d.checksUp[i] = up
	was := d.up
	d.up = true
	for _, u := range d.checksUp {
		d.up = d.up && u
	}
	now := d.up
	s.mu.Unlock()
	if was != now {
		state := "DOWN"
		if now {
			state = "UP"
		}
		s.opts.Logf("virtual_server %s: real server %s is %s (%s %s)", s.cfg.Addr, d.cfg.Addr, state, d.cfg.Checks[i].kind(), d.cfg.Checks[i].Addr)
	}
}

// setWeight applies a MISC_CHECK misc_dynamic weight; w < 0 restores the
// configured weight.
func (s *Service) setWeight(d *dest, w int) {
	s.mu.Lock()
	if w < 0 {
		w = d.weight0
	}
	was := d.cfg.Weight
	d.cfg.Weight = w
	s.mu.Unlock()
	if was != w {
		s.opts.Logf("virtual_server %s: real server %s weight %d -> %d (MISC_CHECK misc_dynamic)", s.cfg.Addr, d.cfg.Addr, was, w)
	}
}

// Close stops listening and the checkers, closes every relayed connection
// and waits for the service's goroutines.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for r := range s.conns {
		r.client.Close()
		r.backend.Close()
	}
	s.mu.Unlock()
	s.cancel()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Service) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		c, err := s.ln.AcceptTCP()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: back off as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.opts.Logf("virtual_server %s: accept: %v", s.cfg.Addr, err)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
		}()
	}
}

func maskAddr(a, mask netip.Addr) netip.Addr {
	if !mask.IsValid() {
		return a
	}
	mask = mask.Unmap()
	if a.Is4() && mask.Is4() {
		x, m := a.As4(), mask.As4()
		for i := range x {
			x[i] &= m[i]
		}
		return netip.AddrFrom4(x)
	}
	if a.Is6() && mask.Is6() {
		x, m := a.As16(), mask.As16()
		for i := range x {
			x[i] &= m[i]
		}
		return netip.AddrFrom16(x)
	}
	return a
}

// pick chooses the real server for a new connection from client and counts
// it as an inactive connection there.
func (s *Service) pick(client netip.AddrPort) (*dest, *template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil
	}
	var key netip.Addr
	now := s.opts.Now()
	if s.cfg.PersistenceTimeout > 0 {
		s.sweep(now)
		key = maskAddr(client.Addr(), s.cfg.PersistenceMask)
		if t := s.templates[key]; t != nil {
			if (t.n > 0 || now.Before(t.expires)) && t.dest.available() {
				t.n++
				t.expires = now.Add(s.cfg.PersistenceTimeout)
				s.bind(t.dest)
				return t.dest, t
			}
			delete(s.templates, key)
		}
	}
	snap := make([]*sched.Dest, 0, len(s.dests))
	idx := make([]*dest, 0, len(s.dests))
	for _, d := range s.dests {
		if !d.available() {
			continue
		}
		snap = append(snap, d.schedDest())
		idx = append(idx, d)
	}
	i, ok := s.sched.Schedule(snap, sched.ConnInfo{Src: client, Dst: s.cfg.Addr, Now: time.Since(s.start)})
	if !ok {
		return nil, nil
	}
	d := idx[i]
	s.bind(d)
	var t *template
	if s.cfg.PersistenceTimeout > 0 {
		t = &template{dest: d, n: 1, expires: now.Add(s.cfg.PersistenceTimeout)}
		s.templates[key] = t
	}
	return d, t
}

func (s *Service) bind(d *dest) {
	d.inact++
	d.conns++
	d.overload = d.schedDest().OverloadAfterBind()
}

// sweep drops expired templates, at most once per timeout.
func (s *Service) sweep(now time.Time) {
	if now.Sub(s.lastSweep) < s.cfg.PersistenceTimeout {
		return
	}
	s.lastSweep = now
	for k, t := range s.templates {
		if t.n == 0 && !now.Before(t.expires) {
			delete(s.templates, k)
		}
	}
}

func (s *Service) handle(c *net.TCPConn) {
	client := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	d, t := s.pick(client)
	if d == nil {
		c.Close()
		return
	}
	var activeNow atomic.Bool
	defer func() {
		s.mu.Lock()
		if activeNow.Load() {
			d.active--
		} else {
			d.inact--
		}
		d.overload = d.schedDest().OverloadAfterUnbind()
		if t != nil {
			t.n--
			t.expires = s.opts.Now().Add(s.cfg.PersistenceTimeout)
		}
		s.mu.Unlock()
	}()
	dialer := net.Dialer{Timeout: s.cfg.DialTimeout}
	bc, err := dialer.DialContext(s.ctx, "tcp", d.cfg.Addr.String())
	if err != nil {
		c.Close()
		if s.ctx.Err() == nil {
			s.opts.Logf("virtual_server %s: real server %s: %v", s.cfg.Addr, d.cfg.Addr, err)
		}
		return
	}
	r := &relay{client: c, backend: bc.(*net.TCPConn)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		bc.Close()
		return
	}
	s.conns[r] = struct{}{}
	d.inact--
	d.active++
	activeNow.Store(true)
	s.mu.Unlock()

	// ESTABLISHED until the first half-close, then inactive (FIN_WAIT).
	var once sync.Once
	halfClosed := func() {
		once.Do(func() {
			s.mu.Lock()
			d.active--
			d.inact++
			activeNow.Store(false)
			s.mu.Unlock()
		})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		relayOneWay(r.backend, r.client, &d.inBytes, halfClosed)
	}()
	relayOneWay(r.client, r.backend, &d.outBytes, halfClosed)
	<-done
	s.mu.Lock()
	delete(s.conns, r)
	s.mu.Unlock()
	r.client.Close()
	r.backend.Close()
}

// chunk bounds one splice so the byte counters move during long transfers.
const chunk = 256 << 10

// relayOneWay copies src to dst with io.CopyN between the two TCP
// connections (splice on Linux), counting bytes into n. At a clean EOF it
// half-closes dst; on an error it closes both so the other direction ends.
func relayOneWay(dst, src *net.TCPConn, n *atomic.Uint64, halfClosed func()) {
	for {
		w, err := io.CopyN(dst, src, chunk)
		n.Add(uint64(w))
		if err == nil {
			continue
		}
		halfClosed()
		if err == io.EOF {
			dst.CloseWrite()
			return
		}
		dst.Close()
		src.Close()
		return
	}
}

// Stats are ipvsadm's counters.
type Stats struct {
	Conns      uint64 // connections scheduled
	ActiveConn int    // ESTABLISHED
	InActConn  int    // every other state
	InBytes    uint64 // client -> real server
	OutBytes   uint64 // real server -> client
}

// RealServerSnapshot is one real server's state.
type RealServerSnapshot struct {
	Addr       netip.AddrPort
	Weight     int // configured weight
	Up         bool
	Overloaded bool // at its upper connection threshold
	Stats
}

// ServiceSnapshot is one service's state.
type ServiceSnapshot struct {
	Addr        netip.AddrPort // listening address
	Scheduler   string
	Persistent  time.Duration
	Stats       // sums over the real servers
	RealServers []RealServerSnapshot
}

// Snapshot returns the current counters.
func (s *Service) Snapshot() ServiceSnapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := ServiceSnapshot{Addr: s.addr, Scheduler: s.cfg.Scheduler, Persistent: s.cfg.PersistenceTimeout}
	for _, d := range s.dests {
		rs := RealServerSnapshot{Addr: d.cfg.Addr, Weight: d.cfg.Weight, Up: d.up, Overloaded: d.overload, Stats: Stats{
			Conns: d.conns, ActiveConn: int(d.active), InActConn: int(d.inact),
			InBytes: d.inBytes.Load(), OutBytes: d.outBytes.Load(),
		}}
		ss.Conns += rs.Conns
		ss.ActiveConn += rs.ActiveConn
		ss.InActConn += rs.InActConn
		ss.InBytes += rs.InBytes
		ss.OutBytes += rs.OutBytes
		ss.RealServers = append(ss.RealServers, rs)
	}
	return ss
}

// String is a one-line description for logs.
func (s *Service) String() string {
	up := 0
	s.mu.Lock()
	for _, d := range s.dests {
		if d.up {
			up++
		}
	}
	s.mu.Unlock()
	method := s.cfg.Method
	if method == "" {
		method = "NAT"
	}
	return fmt.Sprintf("virtual_server %s (TCP, %s, %s forwarded as NAT) listening on %s, %d/%d real servers up",
		s.cfg.Addr, s.cfg.Scheduler, method, s.addr, up, len(s.dests))
}
