// Package backend keeps the proxy's connections to the MySQL servers behind
// each Mycat dataHost: a pool per host, heartbeats, write-host failover
// (switchType) and read/write split (balance).
package backend

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcat/shardcat/internal/mycatconf"
	"github.com/shardcat/shardcat/internal/mysql"
	"github.com/shardcat/shardcat/internal/pool"
)

// Options are the proxy-wide settings for backends.
type Options struct {
	DialTimeout      time.Duration // per connection attempt (default 3 s)
	HeartbeatPeriod  time.Duration // Mycat's dataNodeHeartbeatPeriod (default 10 s)
	HeartbeatTimeout time.Duration // default 5 s
	MaxRetryCount    int           // failed heartbeats before a host is down (default 3)
	IdleTimeout      time.Duration // idle backend connections are closed after this (default 30 min)
	Charset          uint8         // connection collation id (0 = utf8mb4_general_ci)
	Logger           *slog.Logger
}

func (o *Options) defaults() {
	if o.DialTimeout <= 0 {
		o.DialTimeout = 3 * time.Second
	}
	if o.HeartbeatPeriod <= 0 {
		o.HeartbeatPeriod = 10 * time.Second
	}
	if o.HeartbeatTimeout <= 0 {
		o.HeartbeatTimeout = 5 * time.Second
	}
	if o.MaxRetryCount <= 0 {
		o.MaxRetryCount = 3
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Conn is one pooled backend connection and the state applied to it.
type Conn struct {
	*mysql.ClientConn
	Host *Host
	// DB is the physical database currently selected on the connection.
	DB string
	// State is the session state last applied (owned by the proxy).
	State any
	// Broken marks a connection that must not be reused.
	Broken bool
}

// Host is one MySQL server (a writeHost or a readHost).
type Host struct {
	Config   *mycatconf.Host
	DataHost *DataHost
	IsWrite  bool
	pool     *pool.Pool[*Conn]
	// up is false after MaxRetryCount failed heartbeats (or a failed dial),
	// true again after one good heartbeat.
	up            atomic.Bool
	failures      atomic.Int32
	lastHeartbeat atomic.Int64 // unix nanos of the last good heartbeat
	lastError     atomic.Pointer[string]
	active        atomic.Int64 // connections handed out
	executed      atomic.Int64 // statements run (for SHOW @@datasource)
}

func (h *Host) String() string {
	return h.DataHost.Name() + "/" + h.Config.Name + "(" + h.Config.Addr + ")"
}

// Up reports the heartbeat's verdict.
func (h *Host) Up() bool { return h.up.Load() }

// LastError is the last heartbeat or dial error ("" if none).
func (h *Host) LastError() string {
	if p := h.lastError.Load(); p != nil {
		return *p
	}
	return ""
}

// PoolStats exposes the host's pool counters.
func (h *Host) PoolStats() pool.Stats { return h.pool.Stats() }

// Active is the number of connections in use.
func (h *Host) Active() int64 { return h.active.Load() }

// Executed counts statements sent to this host.
func (h *Host) Executed() int64 { return h.executed.Load() }

// CountExecute is called by the proxy for each statement it sends.
func (h *Host) CountExecute() { h.executed.Add(1) }

// DataHost is a Mycat <dataHost>: write hosts (one active), read hosts.
type DataHost struct {
	cfg    *mycatconf.DataHost
	opt    Options
	writes []*Host
	reads  []*Host // every readHost of every writeHost
	// activeWrite is the index of the writeHost in use (Mycat's dnindex).
	activeWrite atomic.Int32
	switches    atomic.Int64
	stop        chan struct{}
	stopOnce    sync.Once
	wg          sync.WaitGroup
}

// NewDataHost builds the pools; it does not dial (Start does).
func NewDataHost(cfg *mycatconf.DataHost, opt Options) *DataHost {
	opt.defaults()
	d := &DataHost{cfg: cfg, opt: opt, stop: make(chan struct{})}
	for _, w := range cfg.WriteHosts {
		wh := d.newHost(w, true)
		d.writes = append(d.writes, wh)
		for _, r := range w.ReadHosts {
			d.reads = append(d.reads, d.newHost(r, false))
		}
	}
	return d
}

func (d *DataHost) newHost(c *mycatconf.Host, write bool) *Host {
	h := &Host{Config: c, DataHost: d, IsWrite: write}
	h.up.Store(true) // optimistic until a heartbeat or dial says otherwise
	maxCon := d.cfg.MaxCon
	if maxCon <= 0 {
		maxCon = 1000
	}
	h.pool = pool.New(func(ctx context.Context) (*Conn, error) { return d.dial(ctx, h) }, pool.Options{
		MaxSize:     maxCon,
		MinIdle:     d.cfg.MinCon,
		IdleTimeout: d.opt.IdleTimeout,
		CheckAfter:  time.Minute,
		Check: func(ctx context.Context, r pool.Resource) error {
			c := r.(*Conn)
			if dl, ok := ctx.Deadline(); ok {
				c.SetDeadline(dl)
				defer c.SetDeadline(time.Time{})
			}
			return c.Ping()
		},
	})
	return h
}

func (d *DataHost) dial(ctx context.Context, h *Host) (*Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, d.opt.DialTimeout)
	defer cancel()
	c, err := mysql.Dial(ctx, h.Config.Addr, h.Config.User, h.Config.Password, "",
		&mysql.DialOptions{Charset: d.opt.Charset})
	if err != nil {
		msg := err.Error()
		h.lastError.Store(&msg)
		return nil, &HostError{Host: h.String(), Op: "connect", Err: err}
	}
	if sql := d.cfg.ConnectionInitSQL; sql != "" {
		if _, err := c.Execute(sql); err != nil {
			c.Close()
			return nil, &HostError{Host: h.String(), Op: "connectionInitSql", Err: err}
		}
	}
	return &Conn{ClientConn: c, Host: h}, nil
}

// HostError says which backend failed and doing what.
type HostError struct {
	Host string
	Op   string
	Err  error
}

func (e *HostError) Error() string { return fmt.Sprintf("backend %s: %s: %v", e.Host, e.Op, e.Err) }
func (e *HostError) Unwrap() error { return e.Err }

// Name is the dataHost's name.
func (d *DataHost) Name() string { return d.cfg.Name }

// Config is the dataHost's configuration.
func (d *DataHost) Config() *mycatconf.DataHost { return d.cfg }

// WriteHosts and ReadHosts list the hosts in configuration order.
func (d *DataHost) WriteHosts() []*Host { return d.writes }
func (d *DataHost) ReadHosts() []*Host  { return d.reads }

// ActiveWrite is the write host in use.
func (d *DataHost) ActiveWrite() *Host { return d.writes[d.activeWrite.Load()] }

// Switches counts write-host failovers.
func (d *DataHost) Switches() int64 { return d.switches.Load() }

// ErrNoHost is returned when no host of the dataHost can serve.
var ErrNoHost = errors.New("no available host")

// Acquire returns a connection for a read or a write. Reads follow balance:
// 0 write host only; 1 read hosts and standby write hosts; 2 any host;
// 3 read hosts only (falling back to the write host when none is up).
func (d *DataHost) Acquire(ctx context.Context, write bool) (*Conn, error) {
	h := d.ActiveWrite()
	if !write {
		h = d.pickRead(h)
	}
	c, err := h.pool.Get(ctx)
	if err != nil && h != d.ActiveWrite() {
		// A read replica failed: the write host can serve the read.
		h = d.ActiveWrite()
		c, err = h.pool.Get(ctx)
	}
	if err != nil {
		return nil, err
	}
	h.active.Add(1)
	return c, nil
}

func (d *DataHost) pickRead(write *Host) *Host {
	var candidates []*Host
	switch d.cfg.Balance {
	case 1:
		for _, w := range d.writes {
			if w != write && w.Up() {
				candidates = append(candidates, w)
			}
		}
		candidates = append(candidates, upHosts(d.reads)...)
	case 2:
		candidates = append(upHosts(d.writes), upHosts(d.reads)...)
	case 3:
		candidates = upHosts(d.reads)
	}
	if len(candidates) == 0 {
		return write
	}
	return candidates[rand.IntN(len(candidates))]
}

func upHosts(hs []*Host) []*Host {
	var out []*Host
	for _, h := range hs {
		if h.Up() {
			out = append(out, h)
		}
	}
	return out
}

// Release returns a connection: to the pool when healthy, closed otherwise.
func (d *DataHost) Release(c *Conn) {
	c.Host.active.Add(-1)
	if c.Broken || c.ClientConn.IsBroken() {
		c.Host.pool.Discard(c)
		return
	}
	c.Host.pool.Put(c)
}

// Start warms the pools to minCon (errors are logged: the proxy serves the
// other data hosts while one is down) and starts heartbeats.
func (d *DataHost) Start(ctx context.Context) {
	for _, h := range append(append([]*Host{}, d.writes...), d.reads...) {
		if err := h.pool.Fill(ctx); err != nil {
			d.opt.Logger.Warn("backend not reachable at start", "host", h.String(), "err", err)
			h.up.Store(false)
		}
	}
	if d.cfg.Heartbeat == "" {
		return
	}
	d.wg.Add(1)
	go d.heartbeatLoop()
}

// Close stops heartbeats and closes idle connections.
func (d *DataHost) Close() {
	d.stopOnce.Do(func() { close(d.stop) })
	d.wg.Wait()
	for _, h := range append(append([]*Host{}, d.writes...), d.reads...) {
		h.pool.Close()
	}
}

func (d *DataHost) heartbeatLoop() {
	defer d.wg.Done()
	t := time.NewTicker(d.opt.HeartbeatPeriod)
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case now := <-t.C:
			d.Heartbeat()
			for _, h := range append(append([]*Host{}, d.writes...), d.reads...) {
				h.pool.Expire(now)
			}
		}
	}
}

// Heartbeat runs the heartbeat SQL on every host once and fails the write
// host over when switchType allows it. Exported so tests and the manager's
// commands can drive it without waiting for the period.
func (d *DataHost) Heartbeat() {
	var wg sync.WaitGroup
	for _, h := range append(append([]*Host{}, d.writes...), d.reads...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.beat(h)
		}()
	}
	wg.Wait()
	d.maybeSwitch()
}

func (d *DataHost) beat(h *Host) {
	ctx, cancel := context.WithTimeout(context.Background(), d.opt.HeartbeatTimeout)
	defer cancel()
	err := func() error {
		c, err := d.dial(ctx, h)
		if err != nil {
			return err
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			c.SetDeadline(dl)
		}
		_, err = c.Execute(d.cfg.Heartbeat)
		return err
	}()
	if err == nil {
		h.failures.Store(0)
		h.lastHeartbeat.Store(time.Now().UnixNano())
		if !h.up.Swap(true) {
			d.opt.Logger.Info("backend up", "host", h.String())
		}
		return
	}
	msg := err.Error()
	h.lastError.Store(&msg)
	if int(h.failures.Add(1)) >= d.opt.MaxRetryCount && h.up.Swap(false) {
		d.opt.Logger.Warn("backend down", "host", h.String(), "err", err)
		h.pool.CloseIdle()
	}
}

// maybeSwitch moves writes to the next live write host (switchType 1, 2, 3;
// -1 never). 2 and 3 also require replication health, which the heartbeat
// SQL decides in Mycat; here a host that answers its heartbeat is eligible.
func (d *DataHost) maybeSwitch() {
	if d.cfg.SwitchType == -1 || len(d.writes) < 2 {
		return
	}
	cur := d.activeWrite.Load()
	if d.writes[cur].Up() {
		return
	}
	for i := 1; i < len(d.writes); i++ {
		next := (int(cur) + i) % len(d.writes)
		if d.writes[next].Up() {
			d.activeWrite.Store(int32(next))
			d.switches.Add(1)
			d.opt.Logger.Warn("write host switched", "dataHost", d.cfg.Name,
				"from", d.writes[cur].String(), "to", d.writes[next].String())
			return
		}
	}
}

// SwitchTo makes write host index i active (manager: switch @@datasource).
func (d *DataHost) SwitchTo(i int) error {
	if i < 0 || i >= len(d.writes) {
		return fmt.Errorf("dataHost %s has %d write hosts; index %d is out of range", d.cfg.Name, len(d.writes), i)
	}
	if int(d.activeWrite.Swap(int32(i))) != i {
		d.switches.Add(1)
	}
	return nil
}
