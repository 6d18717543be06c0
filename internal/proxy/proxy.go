// Package proxy is the Mycat-compatible sharding proxy: it authenticates
// clients against server.xml, routes each statement with the router, runs
// it on the data nodes' backends and merges the results.
package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcat/shardcat/internal/backend"
	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/proxyproto"
	"github.com/shardcat/shardcat/internal/router"
	"github.com/shardcat/shardcat/internal/sequence"
)

// Options are the runtime settings that are not in the Mycat conf dir.
type Options struct {
	Logger *slog.Logger
	// ServerAddr and ManagerAddr override bindIp:serverPort and
	// bindIp:managerPort ("127.0.0.1:0" in tests).
	ServerAddr, ManagerAddr string
	// MaxResultRows bounds rows held in memory by a cross-node merge
	// (0: 1,000,000).
	MaxResultRows int
	// MaxResultBytes bounds the bytes of those rows (0: 256 MiB).
	MaxResultBytes int64
	// XARecoveryGrace is how old an undecided XA branch must be before
	// recovery rolls it back (0: 60 s).
	XARecoveryGrace time.Duration
	// XAHook, for fault-injection tests, runs at the stages of two-phase
	// commit ("prepared", "decided"); an error aborts the commit there, as
	// if the proxy had died.
	XAHook func(stage string) error
}

// node is where a data node lives.
type node struct {
	name     string
	host     *backend.DataHost
	database string
}

// topology is everything derived from one loaded configuration; a reload
// swaps it whole.
type topology struct {
	cfg    *mycatconf.Config
	router *router.Router
	nodes  map[string]*node
	hosts  map[string]*backend.DataHost
	loaded time.Time
	plans  planCache
}

// planCacheSize bounds the plans kept per configuration.
const planCacheSize = 100_000

// planCache remembers the plan of each exact statement text: routing is
// pure, so a repeated statement need not be parsed again. Plans are never
// modified after routing. When full, it starts over (cheap, and hot
// statements come back at once).
type planCache struct {
	mu sync.RWMutex
	m  map[planKey]*router.Plan
}

type planKey struct{ schema, sql string }

func (t *topology) route(schema, sql string) (*router.Plan, error) {
	if len(sql) > 4096 {
		return t.router.Route(schema, sql)
	}
	k := planKey{schema, sql}
	t.plans.mu.RLock()
	p, ok := t.plans.m[k]
	t.plans.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := t.router.Route(schema, sql)
	if err != nil {
		return nil, err
	}
	if p.Sequences != nil || p.AutoIncrement != nil || p.Lookup != nil {
		return p, nil // these ask the proxy for values first; keep them out
	}
	t.plans.mu.Lock()
	if t.plans.m == nil || len(t.plans.m) >= planCacheSize {
		t.plans.m = make(map[planKey]*router.Plan, 1024)
	}
	t.plans.m[k] = p
	t.plans.mu.Unlock()
	return p, nil
}

// Proxy is a running sharding proxy.
type Proxy struct {
	opt     Options
	log     *slog.Logger
	topo    atomic.Pointer[topology]
	seq     sequence.Source
	server  *mysql.Server
	manager *mysql.Server
	offline atomic.Bool
	started time.Time

	mu         sync.Mutex
	sessions   map[uint32]*session
	perUser    map[string]int
	listeners  []net.Listener
	serverAddr string
	mgrAddr    string
	collations map[uint8][2]string // collation id -> charset, name

	stats struct {
		queries, errors, merged atomic.Int64
	}
}

// New prepares a proxy for cfg; Start listens.
func New(cfg *mycatconf.Config, opt Options) (*Proxy, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	// server.xml may set the merge budget (shardcat's own properties).
	if v, err := strconv.Atoi(cfg.System.Raw["mergeMaxRows"]); err == nil && v > 0 && opt.MaxResultRows <= 0 {
		opt.MaxResultRows = v
	}
	if v, err := strconv.ParseInt(cfg.System.Raw["mergeMaxBytes"], 10, 64); err == nil && v > 0 && opt.MaxResultBytes <= 0 {
		opt.MaxResultBytes = v
	}
	if opt.MaxResultRows <= 0 {
		opt.MaxResultRows = 1_000_000
	}
	if opt.MaxResultBytes <= 0 {
		opt.MaxResultBytes = 256 << 20
	}
	p := &Proxy{opt: opt, log: opt.Logger, sessions: map[uint32]*session{}, perUser: map[string]int{}, started: time.Now()}
	t, err := p.buildTopology(cfg)
	if err != nil {
		return nil, err
	}
	p.topo.Store(t)
	p.seq = p.newSequenceSource(cfg)
	version := cfg.System.FakeMySQLVersion
	if version == "" {
		version = "5.7.40-shardcat-1.6"
	}
	tlsConfig, err := loadTLS(cfg.System)
	if err != nil {
		return nil, err
	}
	maxPacket := cfg.System.MaxPacketSize
	if maxPacket <= 0 {
		maxPacket = 64 << 20
	}
	authPlugin := cfg.System.Raw["defaultAuthPlugin"]
	switch authPlugin {
	case "", mysql.AuthNativePassword, mysql.AuthCachingSHA2Password:
	default:
		return nil, fmt.Errorf("server.xml defaultAuthPlugin %q: want %s or %s", authPlugin, mysql.AuthNativePassword, mysql.AuthCachingSHA2Password)
	}
	p.server = &mysql.Server{
		Handler:       &handler{p: p},
		AuthPlugin:    authPlugin, // "" = mysql_native_password, as Mycat 1.6
		ServerVersion: version,
		TLSConfig:     tlsConfig,
		MaxPacketSize: maxPacket,
		IdleTimeout:   cfg.System.IdleTimeout, // server.xml idleTimeout (Mycat: 30 min)
		Compression:   cfg.System.Raw["useCompression"] == "1",
		Logger:        opt.Logger,
	}
	p.manager = &mysql.Server{
		Handler:       &managerHandler{p: p},
		ServerVersion: version,
		TLSConfig:     tlsConfig,
		Logger:        opt.Logger,
	}
	return p, nil
}

func loadTLS(sys mycatconf.System) (*tls.Config, error) {
	if sys.SSLCert == "" && sys.SSLKey == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(sys.SSLCert, sys.SSLKey)
	if err != nil {
		return nil, fmt.Errorf("server.xml sslCert/sslKey: %w", err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if sys.SSLCA != "" {
		pem, err := os.ReadFile(sys.SSLCA)
		if err != nil {
			return nil, fmt.Errorf("server.xml sslCa: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("server.xml sslCa %s: no PEM certificates", sys.SSLCA)
		}
		c.ClientCAs = pool
		c.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return c, nil
}

func (p *Proxy) buildTopology(cfg *mycatconf.Config) (*topology, error) {
	t := &topology{cfg: cfg, router: router.New(cfg), nodes: map[string]*node{}, hosts: map[string]*backend.DataHost{}, loaded: time.Now()}
	hbPeriod := 10 * time.Second
	if v, err := strconv.Atoi(cfg.System.Raw["dataNodeHeartbeatPeriod"]); err == nil && v > 0 {
		hbPeriod = time.Duration(v) * time.Millisecond
	}
	for name, dh := range cfg.DataHosts {
		if len(dh.WriteHosts) == 0 {
			return nil, fmt.Errorf("dataHost %s has no writeHost", name)
		}
		t.hosts[name] = backend.NewDataHost(dh, backend.Options{
			Logger:          p.log.With("dataHost", name),
			HeartbeatPeriod: hbPeriod,
			IdleTimeout:     cfg.System.IdleTimeout,
		})
	}
	for name, dn := range cfg.DataNodes {
		h := t.hosts[dn.DataHost]
		if h == nil {
			return nil, fmt.Errorf("dataNode %s names unknown dataHost %s", name, dn.DataHost)
		}
		t.nodes[name] = &node{name: name, host: h, database: dn.Database}
	}
	return t, nil
}

// Start warms the backend pools, starts heartbeats and listens on the server
// and manager ports. It returns once listening; serving goes on until Close.
func (p *Proxy) Start(ctx context.Context) error {
	t := p.topo.Load()
	var wg sync.WaitGroup
	for _, h := range t.hosts {
		wg.Add(1)
		go func() { defer wg.Done(); h.Start(ctx) }()
	}
	wg.Wait()
	grace := p.opt.XARecoveryGrace
	if grace <= 0 {
		grace = 60 * time.Second
	}
	if n, err := p.RecoverXA(ctx, grace); err != nil {
		p.log.Warn("XA recovery incomplete", "err", err)
	} else if n > 0 {
		p.log.Info("XA recovery finished branches", "count", n)
	}
	sys := t.cfg.System
	bind := sys.BindIP
	if bind == "" {
		bind = "0.0.0.0"
	}
	addr := p.opt.ServerAddr
	if addr == "" {
		addr = net.JoinHostPort(bind, strconv.Itoa(orDefault(sys.ServerPort, 8066)))
	}
	maddr := p.opt.ManagerAddr
	if maddr == "" {
		maddr = net.JoinHostPort(bind, strconv.Itoa(orDefault(sys.ManagerPort, 9066)))
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (serverPort): %w", addr, err)
	}
	ml, err := lc.Listen(ctx, "tcp", maddr)
	if err != nil {
		l.Close()
		return fmt.Errorf("listen on %s (managerPort): %w", maddr, err)
	}
	p.mu.Lock()
	p.listeners = []net.Listener{l, ml}
	p.serverAddr, p.mgrAddr = l.Addr().String(), ml.Addr().String()
	p.mu.Unlock()
	trusted, err := parseTrusted(sys.Raw["proxyProtocolFrom"])
	if err != nil {
		l.Close()
		ml.Close()
		return err
	}
	go func() {
		var err error
		if len(trusted) > 0 {
			err = p.serveProxyProtocol(l, trusted)
		} else {
			err = p.server.Serve(l)
		}
		if err != nil && !errors.Is(err, mysql.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			p.log.Error("server port stopped", "err", err)
		}
	}()
	go func() {
		if err := p.manager.Serve(ml); err != nil && !errors.Is(err, mysql.ErrServerClosed) {
			p.log.Error("manager port stopped", "err", err)
		}
	}()
	p.log.Info("shardcat proxy listening", "server", p.serverAddr, "manager", p.mgrAddr)
	return nil
}

// parseTrusted reads server.xml's proxyProtocolFrom: the addresses or CIDRs
// (a director) whose connections start with a PROXY protocol header.
func parseTrusted(v string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("server.xml proxyProtocolFrom: %q is not an address or CIDR", f)
			}
			bits := 32
			if ip.To4() == nil {
				bits = 128
			}
			f = fmt.Sprintf("%s/%d", f, bits)
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("server.xml proxyProtocolFrom: %v", err)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// serveProxyProtocol accepts clients; those from a trusted director must
// start with a PROXY header, whose client address then replaces theirs.
func (p *Proxy) serveProxyProtocol(l net.Listener, trusted []*net.IPNet) error {
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			if !fromTrusted(c.RemoteAddr(), trusted) {
				p.server.ServeConn(c)
				return
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			w, err := proxyproto.Wrap(c)
			if err != nil {
				p.log.Warn("refused a connection without a valid PROXY header", "remote", c.RemoteAddr(), "err", err)
				c.Close()
				return
			}
			c.SetReadDeadline(time.Time{})
			p.server.ServeConn(w)
		}()
	}
}

func fromTrusted(a net.Addr, trusted []*net.IPNet) bool {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return false
	}
	for _, n := range trusted {
		if n.Contains(ta.IP) {
			return true
		}
	}
	return false
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// Addr is the server port's address once started.
func (p *Proxy) Addr() string { p.mu.Lock(); defer p.mu.Unlock(); return p.serverAddr }

// ManagerAddr is the manager port's address once started.
func (p *Proxy) ManagerAddr() string { p.mu.Lock(); defer p.mu.Unlock(); return p.mgrAddr }

// Close stops listening, closes client sessions and backend pools.
func (p *Proxy) Close() error {
	p.mu.Lock()
	for _, l := range p.listeners {
		l.Close()
	}
	p.mu.Unlock()
	p.server.Close()
	p.manager.Close()
	for _, h := range p.topo.Load().hosts {
		h.Close()
	}
	return nil
}

// Reload loads the conf dir again and swaps the topology; sessions pick the
// new one up at their next statement. Data hosts whose configuration is
// unchanged keep their pools.
func (p *Proxy) Reload(cfg *mycatconf.Config) error {
	old := p.topo.Load()
	t, err := p.buildTopology(cfg)
	if err != nil {
		return err
	}
	var fresh []*backend.DataHost
	for name, h := range t.hosts {
		if oh, ok := old.hosts[name]; ok && sameDataHost(oh.Config(), h.Config()) {
			t.hosts[name] = oh
			continue
		}
		fresh = append(fresh, h)
	}
	for _, n := range t.nodes {
		n.host = t.hosts[cfg.DataNodes[n.name].DataHost]
	}
	for _, h := range fresh {
		h.Start(context.Background())
	}
	p.topo.Store(t)
	for name, oh := range old.hosts {
		if t.hosts[name] != oh {
			oh.Close()
		}
	}
	return nil
}

func sameDataHost(a, b *mycatconf.DataHost) bool {
	if a.MaxCon != b.MaxCon || a.MinCon != b.MinCon || a.Balance != b.Balance || a.SwitchType != b.SwitchType ||
		a.Heartbeat != b.Heartbeat || a.ConnectionInitSQL != b.ConnectionInitSQL || len(a.WriteHosts) != len(b.WriteHosts) {
		return false
	}
	for i, w := range a.WriteHosts {
		v := b.WriteHosts[i]
		if w.Addr != v.Addr || w.User != v.User || w.Password != v.Password || len(w.ReadHosts) != len(v.ReadHosts) {
			return false
		}
		for j, r := range w.ReadHosts {
			o := v.ReadHosts[j]
			if r.Addr != o.Addr || r.User != o.User || r.Password != o.Password || r.Weight != o.Weight {
				return false
			}
		}
	}
	return true
}
