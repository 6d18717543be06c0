package dataplane

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/sched"
)

// Options are the runtime hooks of a Service.
type Options struct {
	Logf func(format string, args ...any) // nil = silent
	Now  func() time.Time                 // persistence clock; nil = time.Now

	relay relayKind // tests and benchmarks; zero = defaultRelay

	// A virtual_server_group's members (StartGroup): the first runs the
	// checkers for all of them; the others neither check nor run scripts.
	member   bool
	checkFor []*Service // the first member: every member, [0] to be itself

	// vipLocal says whether an address is on this host (ha_suspend);
	// nil = isLocal. Tests replace it.
	vipLocal func(netip.Addr) bool
}

// relayKind is how established connections are relayed.
type relayKind int

const (
	relayDefault   relayKind = iota
	relayGoroutine           // one goroutine per direction through Go's poller (relayOneWay)
	relayEventLoop           // an epoll loop on a locked thread (eventloop_linux.go)
)

// defaultRelay is the event loop where there is one (Linux), unless
// SHARDCAT_RELAY=goroutine asks for the goroutine relay.
var defaultRelay = func() relayKind {
	if !eventLoopDefault || os.Getenv("SHARDCAT_RELAY") == "goroutine" {
		return relayGoroutine
	}
	return relayEventLoop
}()

// IPVS's default TCP state timeouts (ip_vs_proto_tcp.c tcp_timeouts[]).
const (
	DefaultIdleTimeout      = 900 * time.Second // ESTABLISHED
	DefaultFinTimeout       = 120 * time.Second // FIN_WAIT
	DefaultCloseWaitTimeout = 60 * time.Second  // CLOSE_WAIT
)

// Service is one running virtual server.
type Service struct {
	cfg    ServiceConfig
	opts   Options
	ln     *net.TCPListener
	lnFD   int // ln's descriptor, in the event loops' epoll sets; -1 for the goroutine relay
	addr   netip.AddrPort
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time
	wg     sync.WaitGroup

	live    atomic.Int64  // connections being handled (MaxConns)
	refused atomic.Uint64 // connections closed at once for MaxConns

	mu        sync.Mutex // serialises the scheduler, as the kernel's per-service lock
	sched     sched.Scheduler
	dests     []*dest
	sorry     *dest // nil = no sorry_server
	quorum    quorumState
	templates map[netip.Addr]*template
	lastSweep time.Time
	conns     map[*relay]struct{}
	closed    bool
	// Ended connections still in the table, as IPVS keeps them.
	timeWaitEntries, closeEntries closedQueue
}

type dest struct {
	cfg          RealServerConfig // cfg.Weight follows MISC_CHECK misc_dynamic
	weight0      int              // the configured weight
	checksUp     []bool
	up           bool // every checker up
	isSorry      bool
	index        uint16 // in Service.dests; sorryIndex for the sorry server
	downNotified bool   // notify_down ran for the current DOWN state
	inTable      bool   // sorry server: in the table (weight 1 while serving, 0 when inhibited)
	active       int32
	inact        int32
	overload     bool // IP_VS_DEST_F_OVERLOAD, from the thresholds
	conns        uint64
	inPkts       uint64 // of closed connections; live ones are sampled
	outPkts      uint64
	inBytes      atomic.Uint64
	outBytes     atomic.Uint64
}

func (d *dest) schedDest(weight int32) *sched.Dest {
	return &sched.Dest{
		Addr: d.cfg.Addr.Addr(), Port: d.cfg.Addr.Port(), Weight: weight,
		ActiveConns: d.active, InactConns: d.inact, Overloaded: d.overload,
		UpperThreshold: uint32(d.cfg.UThreshold), LowerThreshold: uint32(d.cfg.LThreshold),
	}
}

// inTable reports whether the kernel table would hold d (s.mu held): a
// down real server is removed unless inhibit_on_failure keeps it with
// weight 0; live real servers are removed while a sorry server stands in
// for a lost quorum.
func (s *Service) inTable(d *dest) bool {
	if d.isSorry {
		return d.inTable
	}
	if s.quorum.down && s.sorry != nil {
		return false
	}
	return d.up || d.cfg.InhibitOnFailure
}

// weight is d's weight in the table (s.mu held).
func (s *Service) weight(d *dest) int32 {
	if d.isSorry {
		if s.quorum.down {
			return 1
		}
		return 0 // sorry_server_inhibit
	}
	if !d.up {
		return 0
	}
	return int32(d.cfg.Weight)
}

type template struct {
	dest    *dest
	n       int // connections it controls, ended ones still in the table included
	expires time.Time
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
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.FinTimeout <= 0 {
		cfg.FinTimeout = DefaultFinTimeout
	}
	if cfg.CloseWaitTimeout <= 0 {
		cfg.CloseWaitTimeout = DefaultCloseWaitTimeout
	}
	if cfg.Quorum <= 0 {
		cfg.Quorum = 1
	}
	if len(cfg.RealServers) >= sorryIndex {
		return nil, fmt.Errorf("%d real servers: at most %d per virtual server", len(cfg.RealServers), sorryIndex-1)
	}
	for _, rc := range cfg.RealServers {
		if rc.ProxyProtocol != 0 && rc.ProxyProtocol != 1 && rc.ProxyProtocol != 2 {
			return nil, fmt.Errorf("real server %s: proxy_protocol %d: expected 1 or 2", rc.Addr, rc.ProxyProtocol)
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if opts.relay == relayDefault {
		opts.relay = defaultRelay
	}
	if opts.relay == relayEventLoop {
		if _, err := startLoops(); err != nil {
			opts.Logf("virtual_server %s: no event loop (%v): relaying with goroutines", cfg.Addr, err)
			opts.relay = relayGoroutine
		}
	}
	// No TCP keepalive on either leg (IPVS has none; idle timeouts end dead
	// connections): it saves four setsockopt calls per socket.
	lc := net.ListenConfig{Control: freebindControl(cfg.Addr.Addr()), KeepAlive: -1}
	l, err := lc.Listen(context.Background(), "tcp", cfg.Addr.String())
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:             cfg,
		opts:            opts,
		ln:              l.(*net.TCPListener),
		sched:           sc,
		templates:       make(map[netip.Addr]*template),
		conns:           make(map[*relay]struct{}),
		start:           time.Now(),
		lnFD:            -1,
		timeWaitEntries: closedQueue{state: "TIME_WAIT", timeout: timeWaitTimeout},
		closeEntries:    closedQueue{state: "CLOSE", timeout: closeTimeout},
	}
	s.addr = s.ln.Addr().(*net.TCPAddr).AddrPort()
	s.ctx, s.cancel = context.WithCancel(context.Background())
	for _, rc := range cfg.RealServers {
		d := &dest{cfg: rc, weight0: rc.Weight, checksUp: make([]bool, len(rc.Checks)), up: true, index: uint16(len(s.dests))}
		for i, c := range rc.Checks {
			d.checksUp[i] = !c.Alpha
			if c.Alpha {
				d.up = false
			}
		}
		s.dests = append(s.dests, d)
	}
	if cfg.SorryServer.IsValid() {
		// With sorry_server_inhibit keepalived adds it at once, with weight 0.
		s.sorry = &dest{cfg: RealServerConfig{Addr: cfg.SorryServer, Weight: 1}, weight0: 1, up: true, isSorry: true,
			inTable: cfg.SorryServerInhibit, index: sorryIndex}
	}
	// Alpha real servers (or a quorum above the configured weights) may
	// start the service without its quorum: keepalived then puts the sorry
	// server in and runs quorum_down; without a sorry server it stays quiet.
	s.quorum.start(s.liveWeight(), cfg.Quorum, cfg.Hysteresis)
	if s.quorum.down {
		msg := fmt.Sprintf("virtual_server %s: starting with quorum down %d-%d=%d > %d", cfg.Addr, cfg.Quorum, cfg.Hysteresis, cfg.Quorum-cfg.Hysteresis, s.liveWeight())
		if s.sorry != nil {
			s.sorry.inTable = true
			opts.Logf("%s; sorry server %s takes the new connections", msg, s.sorry.cfg.Addr)
			s.runCommand("quorum_down", cfg.QuorumDown)
		} else {
			opts.Logf("%s", msg)
		}
	}
	members := []*Service{s}
	if cf := s.opts.checkFor; cf != nil {
		cf[0] = s // StartGroup leaves the first member's place for it
		members = cf
	}
	suspended := s.suspended(members)
	for di, d := range s.dests {
		for i, c := range d.cfg.Checks {
			if s.opts.member {
				break // the first member checks for the group
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				runCheck(s.ctx, c, !c.Alpha, suspended,
					func(up bool) {
						for _, m := range members {
							m.setCheck(m.dests[di], i, up)
						}
					},
					func(w int) {
						for _, m := range members {
							m.setWeight(m.dests[di], w)
						}
					})
			}()
		}
	}
	if s.opts.relay == relayEventLoop {
		if err := s.listen(); err != nil {
			s.Close()
			return nil, err
		}
	} else {
		s.wg.Add(1)
		go s.acceptLoop()
	}
	return s, nil
}

// suspended is ha_suspend's test for the checkers: none of the members'
// addresses is on this host (nil without ha_suspend). Each change is
// logged once.
func (s *Service) suspended(members []*Service) func() bool {
	if !s.cfg.HASuspend {
		return nil
	}
	local := s.opts.vipLocal
	if local == nil {
		local = isLocal
	}
	var mu sync.Mutex
	was := false
	return func() bool {
		now := true
		for _, m := range members {
			if local(m.cfg.Addr.Addr()) {
				now = false
				break
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if now != was {
			was = now
			if now {
				s.opts.Logf("virtual_server %s: address not on this host: checkers suspended (ha_suspend)", s.cfg.Key())
			} else {
				s.opts.Logf("virtual_server %s: address on this host: checkers resumed (ha_suspend)", s.cfg.Key())
			}
		}
		return now
	}
}

// Addr is the address the service listens on.
func (s *Service) Addr() netip.AddrPort { return s.addr }

// Config is the configuration the service runs.
func (s *Service) Config() ServiceConfig { return s.cfg }

// QuorumUp reports whether the service has its quorum.
func (s *Service) QuorumUp() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.quorum.down
}

// liveWeight is keepalived's weigh_live_realservers (s.mu held).
func (s *Service) liveWeight() int {
	sum := 0
	for _, d := range s.dests {
		if d.up {
			sum += d.cfg.Weight
		}
	}
	return sum
}

// updateQuorum applies a change of the live weight (s.mu held). It returns
// what to do once s.mu is released: log and run quorum_up / quorum_down.
func (s *Service) updateQuorum() (after func()) {
	sum := s.liveWeight()
	q, h := s.cfg.Quorum, s.cfg.Hysteresis
	switch s.quorum.update(sum, q, h) {
	case +1:
		msg := fmt.Sprintf("virtual_server %s: gained quorum %d+%d=%d <= %d", s.cfg.Addr, q, h, q+h, sum)
		if s.sorry != nil {
			if s.cfg.SorryServerInhibit {
				msg += fmt.Sprintf("; sorry server %s disabled (weight 0, sorry_server_inhibit), real servers back", s.sorry.cfg.Addr)
			} else {
				s.sorry.inTable = false
				msg += fmt.Sprintf("; sorry server %s removed, real servers back", s.sorry.cfg.Addr)
			}
		}
		return func() {
			s.opts.Logf("%s", msg)
			s.runCommand("quorum_up", s.cfg.QuorumUp)
		}
	case -1:
		msg := fmt.Sprintf("virtual_server %s: lost quorum %d-%d=%d > %d", s.cfg.Addr, q, h, q-h, sum)
		if s.sorry != nil {
			s.sorry.inTable = true
			msg += fmt.Sprintf("; sorry server %s takes the new connections", s.sorry.cfg.Addr)
		}
		return func() {
			s.opts.Logf("%s", msg)
			s.runCommand("quorum_down", s.cfg.QuorumDown)
		}
	}
	return func() {}
}

func (s *Service) setCheck(d *dest, i int, up bool) {
	s.mu.Lock()
	d.checksUp[i] = up
	was := d.up
	d.up = true
	for _, u := range d.checksUp {
		d.up = d.up && u
	}
	now := d.up
	// An alpha real server whose first check fails gets notify_down once
	// (keepalived's do_rs_notifies on a checker's first run).
	startDown := was == now && !now && !d.downNotified
	d.downNotified = !now
	after := s.updateQuorum()
	s.mu.Unlock()
	if startDown {
		s.opts.Logf("virtual_server %s: real server %s starts DOWN (%s %s)", s.cfg.Addr, d.cfg.Addr, d.cfg.Checks[i].kind(), d.cfg.Checks[i].Addr)
		s.runCommand("notify_down", d.cfg.NotifyDown)
	}
	if was != now {
		state, cmd, what := "DOWN", d.cfg.NotifyDown, "notify_down"
		if now {
			state, cmd, what = "UP", d.cfg.NotifyUp, "notify_up"
		}
		how := "removed"
		switch {
		case now:
			how = "added"
		case d.cfg.InhibitOnFailure:
			how = "kept with weight 0 (inhibit_on_failure)"
		}
		s.opts.Logf("virtual_server %s: real server %s is %s (%s %s): %s", s.cfg.Addr, d.cfg.Addr, state, d.cfg.Checks[i].kind(), d.cfg.Checks[i].Addr, how)
		s.runCommand(what, cmd)
	}
	after()
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
	after := s.updateQuorum()
	s.mu.Unlock()
	if was != w {
		s.opts.Logf("virtual_server %s: real server %s weight %d -> %d (MISC_CHECK misc_dynamic)", s.cfg.Addr, d.cfg.Addr, was, w)
	}
	after()
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
		r.closeAll()
	}
	for _, c := range [...]*closedQueue{&s.timeWaitEntries, &s.closeEntries} {
		for c.len() > 0 {
			s.unbind(c.pop())
		}
	}
	omega := s.omegaScripts()
	s.mu.Unlock()
	s.cancel()
	if s.lnFD >= 0 {
		s.unlisten()
	}
	err := s.ln.Close()
	s.wg.Wait()
	s.runAndWait(omega)
	return err
}

// omegaScripts are omega's scripts at the service's removal: notify_down
// of every live real server, then quorum_down if the quorum was up (s.mu
// held).
func (s *Service) omegaScripts() []namedCommand {
	if !s.cfg.Omega || s.opts.member {
		return nil
	}
	var out []namedCommand
	for _, d := range s.dests {
		if d.up && d.cfg.NotifyDown != nil {
			out = append(out, namedCommand{"notify_down", d.cfg.NotifyDown})
		}
	}
	if !s.quorum.down && s.cfg.QuorumDown != nil {
		out = append(out, namedCommand{"quorum_down", s.cfg.QuorumDown})
	}
	return out
}

// acceptLoop accepts connections for the goroutine relay until the
// listener closes (the event loops accept their own: accept_linux.go).
func (s *Service) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		err := s.acceptGo()
		if err == nil {
			backoff = 0
			continue
		}
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
	}
}

// full reports whether MaxConns refuses a new connection. A refused
// connection is closed at once (with a reset) rather than left in the
// backlog, so the client fails fast; no log line, it would flood under load.
func (s *Service) full() bool {
	if s.cfg.MaxConns > 0 && s.live.Load() >= int64(s.cfg.MaxConns) {
		s.refused.Add(1)
		return true
	}
	return false
}

// acceptGo accepts one connection for the goroutine relay.
func (s *Service) acceptGo() error {
	c, err := s.ln.AcceptTCP()
	if err != nil {
		return err
	}
	if s.full() {
		c.SetLinger(0)
		c.Close()
		return nil
	}
	s.live.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.live.Add(-1)
		s.handle(c)
	}()
	return nil
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

// table is the destinations the kernel table would hold, in list order
// (s.mu held).
func (s *Service) table() []*dest {
	out := make([]*dest, 0, len(s.dests)+1)
	for _, d := range s.dests {
		if s.inTable(d) {
			out = append(out, d)
		}
	}
	if s.sorry != nil && s.inTable(s.sorry) {
		out = append(out, s.sorry)
	}
	return out
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
	s.expireClosed(now)
	if s.cfg.PersistenceTimeout > 0 {
		s.sweep(now)
		key = maskAddr(client.Addr(), s.cfg.PersistenceMask)
		if t := s.templates[key]; t != nil {
			// ip_vs_check_template: the dest must still be in the table; a
			// quiesced (weight 0) one keeps its persistent clients unless
			// expire_quiescent_template is set.
			quiesced := s.cfg.ExpireQuiescentTemplate && s.weight(t.dest) == 0
			if (t.n > 0 || now.Before(t.expires)) && s.inTable(t.dest) && !quiesced {
				t.n++
				t.expires = now.Add(s.cfg.PersistenceTimeout)
				s.bind(t.dest)
				return t.dest, t
			}
			delete(s.templates, key)
		}
	}
	idx := s.table()
	snap := make([]*sched.Dest, len(idx))
	for i, d := range idx {
		snap[i] = d.schedDest(s.weight(d))
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
	d.overload = d.schedDest(s.weight(d)).OverloadAfterBind()
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

// Connection states as IPVS names them in ipvsadm -c.
const (
	stateSynRecv int32 = iota // the real server is being dialled
	stateEstablished
	stateFinWait   // the real server half-closed first
	stateCloseWait // the client half-closed first
)

// stateNames are the states' names in ipvsadm -c.
var stateNames = [...]string{stateSynRecv: "SYN_RECV", stateEstablished: "ESTABLISHED",
	stateFinWait: "FIN_WAIT", stateCloseWait: "CLOSE_WAIT"}

// relay is one client connection and its real server leg.
type relay struct {
	client  *net.TCPConn // the goroutine relay's
	backend *net.TCPConn // the goroutine relay's; nil while dialling
	ev      *evRelay     // the event loop's: set before r is in s.conns
	d       *dest
	tmpl    *template      // the persistence template r holds; nil without persistence
	src     netip.AddrPort // the client
	vip     netip.AddrPort // the address the client connected to
	started time.Time

	state      atomic.Int32
	lastActive atomic.Int64 // unix nanoseconds of the last bytes relayed
	done       [2]atomic.Bool
	eofs       atomic.Int32 // directions that ended at a clean EOF (goroutine relay)
	end        atomic.Int32 // endClose, endTimeWait or endExpired: what is kept of it
	pendIdle   atomic.Bool  // one direction found itself idle and asked the other
	closing    atomic.Bool
	segsIn     atomic.Uint64 // last TCP_INFO sample of the client socket
	segsOut    atomic.Uint64
	idle       time.Duration // ESTABLISHED
	fin        time.Duration // FIN_WAIT
	closeWait  time.Duration // CLOSE_WAIT
	dial       time.Duration // SYN_RECV: the real server is being connected
}

func (r *relay) touch() {
	r.lastActive.Store(time.Now().UnixNano())
	r.pendIdle.Store(false)
}

func (r *relay) sinceActive() time.Duration {
	return time.Since(time.Unix(0, r.lastActive.Load()))
}

func (r *relay) timeout() time.Duration {
	switch r.state.Load() {
	case stateSynRecv:
		return r.dial
	case stateFinWait:
		return r.fin
	case stateCloseWait:
		return r.closeWait
	}
	return r.idle
}

// newRelay is the relay of a connection from client to vip that pick sent
// to d (holding t).
func (s *Service) newRelay(d *dest, t *template, client, vip netip.AddrPort) *relay {
	r := &relay{d: d, tmpl: t, src: client, vip: vip, started: time.Now(),
		idle: s.cfg.IdleTimeout, fin: s.cfg.FinTimeout, closeWait: s.cfg.CloseWaitTimeout, dial: s.cfg.DialTimeout}
	r.touch()
	return r
}

// established moves r from SYN_RECV to ESTABLISHED once its real server
// answered.
func (s *Service) established(r *relay) {
	s.move(r, stateSynRecv, stateEstablished)
	r.touch()
}

// move changes r's state from from to to (nothing if r is elsewhere),
// counting it as ActiveConn while ESTABLISHED and InActConn otherwise, as
// ipvsadm does.
func (s *Service) move(r *relay, from, to int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.state.Load() != from {
		return
	}
	if from == stateEstablished {
		r.d.active--
		r.d.inact++
	}
	if to == stateEstablished {
		r.d.inact--
		r.d.active++
	}
	r.state.Store(to)
}

// release accounts for r's end. Unless it expired, it stays in the table
// as an inactive TIME_WAIT or CLOSE entry (keepClosed); otherwise it
// leaves its real server's counters and its persistence template at once
// (re-armed from now, as IPVS does when the template's last connection
// goes).
func (s *Service) release(r *relay) {
	s.mu.Lock()
	d := r.d
	now := s.opts.Now()
	if r.state.Load() == stateEstablished {
		d.active--
		d.inact++
	}
	if !s.keepClosed(r, now) {
		d.inact--
		d.overload = d.schedDest(s.weight(d)).OverloadAfterUnbind()
		if t := r.tmpl; t != nil {
			t.n--
			t.expires = now.Add(s.cfg.PersistenceTimeout)
		}
	}
	d.inPkts += r.segsIn.Load()
	d.outPkts += r.segsOut.Load()
	delete(s.conns, r)
	s.mu.Unlock()
}

// sample records the client socket's segment counters; the latest sample
// survives the socket's close.
func (r *relay) sample() { r.sampleFrom(r.ev) }

// sampleFrom is sample with r.ev read by the caller (under s.mu, where it
// is set).
func (r *relay) sampleFrom(ev *evRelay) {
	var in, out uint64
	var ok bool
	if ev != nil {
		in, out, ok = ev.segments()
	} else {
		in, out, ok = segments(r.client)
	}
	if !ok {
		return
	}
	storeMax(&r.segsIn, in)
	storeMax(&r.segsOut, out)
}

func storeMax(a *atomic.Uint64, v uint64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// closeAll closes both legs, sampling the packet counters first. An event
// loop's relay is closed by its loop: closeAll asks and does not wait.
func (r *relay) closeAll() {
	if r.closing.Swap(true) {
		return
	}
	if r.ev != nil {
		r.ev.close()
		return
	}
	r.sample()
	r.client.Close()
	if r.backend != nil {
		r.backend.Close()
	}
}

// handle relays c through goroutines (relayGoroutine; the event loops
// accept their connections themselves, in accept_linux.go).
func (s *Service) handle(c *net.TCPConn) {
	client := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
	vip := c.LocalAddr().(*net.TCPAddr).AddrPort()
	vip = netip.AddrPortFrom(vip.Addr().Unmap(), vip.Port())
	d, t := s.pick(client)
	if d == nil {
		c.Close()
		return
	}
	r := s.newRelay(d, t, client, vip)
	r.client = c
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.Close()
		return
	}
	s.conns[r] = struct{}{}
	s.mu.Unlock()
	defer func() {
		r.closeAll()
		s.release(r)
	}()
	dialer := net.Dialer{Timeout: s.cfg.DialTimeout, KeepAlive: -1}
	bc, err := dialer.DialContext(s.ctx, "tcp", d.cfg.Addr.String())
	if err != nil {
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			r.end.Store(endExpired) // SYN_RECV's entry timed out
		}
		if s.ctx.Err() == nil {
			s.opts.Logf("virtual_server %s: real server %s: %v", s.cfg.Addr, d.cfg.Addr, err)
		}
		return
	}
	backend := bc.(*net.TCPConn)
	connDelayACKs(c)
	connDelayACKs(backend)
	if v := d.cfg.ProxyProtocol; v != 0 {
		hdr, _ := proxyHeader(v, client, vip) // v was checked by Start
		backend.SetWriteDeadline(time.Now().Add(s.cfg.DialTimeout))
		_, err := backend.Write(hdr)
		backend.SetWriteDeadline(time.Time{})
		if err != nil {
			s.opts.Logf("virtual_server %s: real server %s: sending the PROXY header: %v", s.cfg.Addr, d.cfg.Addr, err)
			backend.Close()
			return
		}
	}
	s.mu.Lock()
	if s.closed || r.closing.Load() {
		s.mu.Unlock()
		backend.Close()
		return
	}
	r.backend = backend
	s.mu.Unlock()
	s.established(r)

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.relayOneWay(r, 1, r.client, r.backend, &d.outBytes)
	}()
	s.relayOneWay(r, 0, r.backend, r.client, &d.inBytes)
	<-done
}

// halfClose moves r out of ESTABLISHED at direction dir's EOF and gives
// the direction still open the new state's timeout.
func (s *Service) halfClose(r *relay, dir int, other *net.TCPConn) {
	s.halfClosed(r, dir)
	other.SetReadDeadline(time.Now().Add(r.timeout()))
}

// halfClosed moves r to the inactive state of its first half-close, as the
// kernel's NAT state table does on the first FIN: CLOSE_WAIT for the
// client's (direction 0), FIN_WAIT for the real server's.
func (s *Service) halfClosed(r *relay, dir int) {
	to := stateFinWait
	if dir == 0 {
		to = stateCloseWait
	}
	s.move(r, stateEstablished, to)
}

// logIdle records that r is being closed for its state's timeout (tcp,
// tcpfin or CLOSE_WAIT's): its entry expires rather than staying in the
// table.
func (s *Service) logIdle(r *relay) {
	r.end.Store(endExpired)
	state := stateNames[r.state.Load()]
	s.opts.Logf("virtual_server %s: closing %s -> %s: idle for %v (%s)", s.cfg.Addr, r.src, r.d.cfg.Addr, r.timeout(), state)
}

// chunk bounds one copy so the byte counters move during long transfers.
const chunk = 256 << 10

// smallBuf is the read buffer of the copy path for small messages.
const smallBuf = 16 << 10

var bufPool = sync.Pool{New: func() any { return new([smallBuf]byte) }}

// copyChunk moves up to chunk bytes from src to dst. Small messages (a
// query, a result row) go through read and write with a pooled buffer,
// which costs less CPU per message than splice's trip through a pipe
// (measured with sysbench point selects: about 5% less per query). Once a
// read fills the whole buffer the transfer is bulk, and the rest of the
// chunk is spliced (zero copy), as HAProxy's splice-auto does.
//
// This is the goroutine relay's copy (SHARDCAT_RELAY=goroutine, and off
// Linux). It cannot skip the read that returns EAGAIN after each message
// (a third of its read calls): Go's poller forgets a readiness edge when a
// RawConn read is prepared, so waiting before reading can miss data. The
// event loop (eventloop_linux.go) skips it.
func copyChunk(dst, src *net.TCPConn) (int64, error) {
	buf := bufPool.Get().(*[smallBuf]byte)
	defer bufPool.Put(buf)
	var total int64
	for total < chunk {
		n, err := src.Read(buf[:])
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return total + int64(n), werr
			}
			total += int64(n)
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.EOF
		}
		if n == smallBuf {
			w, err := io.CopyN(dst, src, chunk-total)
			return total + w, err
		}
	}
	return total, nil
}

// relayOneWay copies src to dst with io.CopyN between the two TCP
// connections (splice on Linux), counting bytes into n. Direction 0 is
// client to real server, 1 the way back. At a clean EOF it half-closes dst;
// on an error, or when the connection has been idle for its timeout, it
// closes both legs so the other direction ends too.
//
// The idle timeout is enforced with read deadlines. A splice only reports
// its bytes when it returns, so a direction whose deadline passes with
// nothing read does not close the connection on its own: it cuts the other
// direction's wait short, and that one, finding nothing moved either,
// closes it. A connection therefore lives between one and two timeouts
// after its last byte.
func (s *Service) relayOneWay(r *relay, dir int, dst, src *net.TCPConn, n *atomic.Uint64) {
	otherSrc := r.backend
	if dir == 1 {
		otherSrc = r.client
	}
	for {
		src.SetReadDeadline(time.Now().Add(r.timeout()))
		w, err := copyChunk(dst, src)
		n.Add(uint64(w))
		if w > 0 {
			r.touch()
		}
		if err == nil {
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && !r.closing.Load() {
			if r.sinceActive() < r.timeout() {
				continue
			}
			if !r.done[1-dir].Load() && r.pendIdle.CompareAndSwap(false, true) {
				otherSrc.SetReadDeadline(time.Now()) // let it report
				continue
			}
			s.logIdle(r)
		}
		r.done[dir].Store(true)
		if err == io.EOF {
			if r.eofs.Add(1) == 2 {
				r.end.Store(endTimeWait)
			}
			s.halfClose(r, dir, otherSrc)
			dst.CloseWrite()
			return
		}
		r.closeAll()
		return
	}
}

// Stats are ipvsadm's counters.
type Stats struct {
	Conns      uint64 // connections scheduled
	ActiveConn int    // ESTABLISHED
	InActConn  int    // every other state
	// Packets are the client sockets' TCP_INFO segment counters:
	// tcpi_segs_in (from the client) is InPkts, tcpi_segs_out (to the
	// client) OutPkts. Live connections are sampled at each snapshot.
	InPkts   uint64
	OutPkts  uint64
	InBytes  uint64 // client -> real server
	OutBytes uint64 // real server -> client
}

func (a *Stats) add(b Stats) {
	a.Conns += b.Conns
	a.ActiveConn += b.ActiveConn
	a.InActConn += b.InActConn
	a.InPkts += b.InPkts
	a.OutPkts += b.OutPkts
	a.InBytes += b.InBytes
	a.OutBytes += b.OutBytes
}

// RealServerSnapshot is one real server's state.
type RealServerSnapshot struct {
	Addr        netip.AddrPort
	Weight      int  // configured weight (current one under misc_dynamic)
	TableWeight int  // weight in the table: 0 when down, quiesced or an inhibited sorry server
	InTable     bool // as the kernel table would hold it
	Up          bool
	Sorry       bool // the sorry_server
	Overloaded  bool // at its upper connection threshold
	PersistConn int  // persistence templates pointing at it
	Stats
}

// ServiceSnapshot is one service's state.
type ServiceSnapshot struct {
	Addr        netip.AddrPort // listening address
	Scheduler   string
	Persistent  time.Duration
	QuorumUp    bool
	Refused     uint64 // connections closed at once for MaxConns
	Templates   int    // persistence templates
	Stats              // sums over the real servers
	RealServers []RealServerSnapshot
}

// Snapshot returns the current counters.
func (s *Service) Snapshot() ServiceSnapshot {
	// Sample the live connections' TCP_INFO (a system call each) without
	// holding the lock that new connections are scheduled under.
	type liveRelay struct {
		r  *relay
		ev *evRelay
	}
	s.mu.Lock()
	relays := make([]liveRelay, 0, len(s.conns))
	for r := range s.conns {
		relays = append(relays, liveRelay{r, r.ev})
	}
	s.mu.Unlock()
	for _, x := range relays {
		x.r.sampleFrom(x.ev)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireClosed(s.opts.Now())
	ss := ServiceSnapshot{Addr: s.addr, Scheduler: s.cfg.Scheduler, Persistent: s.cfg.PersistenceTimeout,
		QuorumUp: !s.quorum.down, Refused: s.refused.Load(), Templates: len(s.templates)}
	// Relays that ended meanwhile are in their dest's totals already.
	live := make(map[*dest][2]uint64)
	for r := range s.conns {
		p := live[r.d]
		live[r.d] = [2]uint64{p[0] + r.segsIn.Load(), p[1] + r.segsOut.Load()}
	}
	persist := make(map[*dest]int)
	for _, t := range s.templates {
		persist[t.dest]++
	}
	all := s.dests
	if s.sorry != nil {
		all = append(all[:len(all):len(all)], s.sorry)
	}
	for _, d := range all {
		if d.isSorry && !d.inTable && d.conns == 0 {
			continue // never used
		}
		p := live[d]
		rs := RealServerSnapshot{Addr: d.cfg.Addr, Weight: d.cfg.Weight, TableWeight: int(s.weight(d)),
			InTable: s.inTable(d), Up: d.up, Sorry: d.isSorry, Overloaded: d.overload, PersistConn: persist[d], Stats: Stats{
				Conns: d.conns, ActiveConn: int(d.active), InActConn: int(d.inact),
				InPkts: d.inPkts + p[0], OutPkts: d.outPkts + p[1],
				InBytes: d.inBytes.Load(), OutBytes: d.outBytes.Load(),
			}}
		ss.Stats.add(rs.Stats)
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
