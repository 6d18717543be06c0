// Package director runs a keepalived.conf: one VRRP driver per
// vrrp_instance, the vrrp_script runners and interface watchers that adjust
// their priorities or put them in FAULT, vrrp_sync_group coupling, notify
// scripts and SMTP alerts on transitions, and the virtual servers' data
// plane. Reload applies a new configuration and keeps running what did not
// change, so a SIGHUP does not bounce healthy instances or services.
//
// One goroutine (loop) handles tracking results and transitions in order;
// drivers only queue their transitions to it, so no driver ever waits for
// the director, and the director talks to drivers through Inject.
package director

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/lvs/ipvsadm"
	"github.com/shardcat/shardcat/internal/vrrp"
	"github.com/shardcat/shardcat/internal/vrrp/driver"
	"github.com/shardcat/shardcat/internal/vrrp/notify"
	"github.com/shardcat/shardcat/internal/vrrp/track"
)

// Options configure a Director.
type Options struct {
	// Logf receives one line per event; nil discards.
	Logf func(format string, args ...any)
	// Out receives the services' start and stop lines (as `director`
	// prints them); nil discards.
	Out io.Writer
	// Control, when set, gets the running services after each (re)load.
	Control *ipvsadm.Server
	// NotifyTimeout bounds each notify script; 0 = notify.DefaultTimeout.
	NotifyTimeout time.Duration
	// MaxConns caps the concurrent connections of each virtual server
	// (0 = no limit); `director --max-conns`.
	MaxConns int
}

// Director runs one configuration at a time. Create it with New, then
// Start; Reload replaces the configuration; Stop ends everything.
type Director struct {
	opts Options
	logf func(string, ...any)
	out  io.Writer

	events *eventQueue
	loopWG sync.WaitGroup

	mu        sync.Mutex
	cfg       *keepalivedconf.Config
	instances map[string]*instance
	scripts   map[string]*runner // by vrrp_script name
	links     map[string]*runner // by interface name
	scriptSt  map[string]track.Status
	linkSt    map[string]track.Status
	groupSt   map[string]string // state last reported per sync group
	services  []*service
	scriptsN  *notify.Scripts
	mailer    *notify.Mailer
	stopped   bool
}

type instance struct {
	cfg     *keepalivedconf.VRRPInstance
	drv     *driver.Driver
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	machine atomic.Pointer[vrrp.Machine] // read only from the driver's goroutine

	state       vrrp.State
	deleted     bool // removed by a reload: its last transition notifies DELETED
	applied     bool
	want        Want
	lastFrom    vrrp.State
	lastTo      vrrp.State
	lastReason  string
	lastAt      time.Time
	transitions [4]uint64 // by target state
}

type runner struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func (r *runner) stop() {
	r.cancel()
	<-r.done
}

// service is one virtual_server block: one data-plane service, or one per
// address of its virtual_server_group.
type service struct {
	cfg  dataplane.ServiceConfig
	svcs []*dataplane.Service
}

// New returns an idle director.
func New(opts Options) *Director {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	out := opts.Out
	if out == nil {
		out = io.Discard
	}
	return &Director{opts: opts, logf: logf, out: out, events: newEventQueue(),
		instances: map[string]*instance{}, scripts: map[string]*runner{}, links: map[string]*runner{},
		scriptSt: map[string]track.Status{}, linkSt: map[string]track.Status{}, groupSt: map[string]string{}}
}

// Services converts the configuration's virtual servers for the data
// plane, with global_defs' lvs_timeouts and the connection cap maxConns
// (0 = none); warnings are returned for logging.
func Services(cfg *keepalivedconf.Config, maxConns int) ([]dataplane.ServiceConfig, []string, error) {
	var out []dataplane.ServiceConfig
	var warnings []string
	for _, vs := range cfg.VirtualServers {
		var group *keepalivedconf.VirtualServerGroup
		for _, g := range cfg.VirtualServerGroups {
			if g.Name == vs.Group {
				group = g
			}
		}
		sc, w, err := dataplane.FromKeepalived(vs, group, security(cfg.Global))
		warnings = append(warnings, w...)
		if err != nil {
			return nil, warnings, err
		}
		dataplane.ApplyGlobal(&sc, cfg.Global)
		sc.MaxConns = maxConns
		out = append(out, sc)
	}
	return out, warnings, nil
}

// Start runs cfg. It fails, with nothing left running, when an instance or
// a service cannot be set up.
func (d *Director) Start(cfg *keepalivedconf.Config) error {
	svcs, warnings, err := Services(cfg, d.opts.MaxConns)
	for _, w := range warnings {
		d.logf("warning: %s", w)
	}
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var insts []*instance
	for _, in := range cfg.Instances {
		inst, err := d.newInstance(in)
		if err != nil {
			for _, x := range insts {
				x.drv.Close()
			}
			return err
		}
		insts = append(insts, inst)
	}
	for _, sc := range svcs {
		if err := d.startService(sc); err != nil {
			for _, x := range insts {
				x.drv.Close()
			}
			d.closeServices()
			return fmt.Errorf("virtual_server %s: %w", sc.Key(), err)
		}
	}
	d.scriptsN = notify.NewScripts(d.logf)
	d.scriptsN.Timeout = d.opts.NotifyTimeout
	d.mailer = notify.NewMailer(cfg.Global, d.logf)
	d.cfg = cfg
	d.loopWG.Add(1)
	go func() {
		defer d.loopWG.Done()
		d.loop()
	}()
	d.applyRunners(&keepalivedconf.Config{}, cfg)
	for _, inst := range insts {
		d.startInstance(inst)
	}
	d.regate()
	d.publish()
	return nil
}

// Reload applies cfg: instances, scripts and services whose configuration
// did not change keep running; removed ones stop (a master sends priority
// 0), new and changed ones start. Tracking, notify and sync groups follow
// cfg at once. An error (a virtual server the data plane cannot run)
// leaves the old configuration running; an instance that cannot be set up
// is logged and left out (or, if changed, left running as it was).
func (d *Director) Reload(cfg *keepalivedconf.Config) (Diff, error) {
	svcs, warnings, err := Services(cfg, d.opts.MaxConns)
	for _, w := range warnings {
		d.logf("warning: %s", w)
	}
	if err != nil {
		return Diff{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped || d.cfg == nil {
		return Diff{}, errors.New("director is not running")
	}
	old := d.cfg
	var oldSvcs []dataplane.ServiceConfig
	for _, s := range d.services {
		oldSvcs = append(oldSvcs, s.cfg)
	}
	diff := Plan(old, cfg, oldSvcs, svcs)

	// Instances: open the new drivers first, so a failure keeps the old one.
	var starting []*instance
	for _, name := range diff.StartInstances {
		inst, err := d.newInstance(cfg.Instance(name))
		if err != nil {
			d.logf("reload: %v: instance not started", err)
			if old.Instance(name) != nil {
				d.logf("reload: vrrp_instance %s changed but cannot be restarted: keeping it as it was", name)
				cfg = withInstance(cfg, old.Instance(name))
			}
			continue
		}
		starting = append(starting, inst)
	}
	restarting := map[string]bool{}
	for _, inst := range starting {
		restarting[inst.cfg.Name] = true
	}
	for _, name := range diff.StopInstances {
		if cfg.Instance(name) != nil && !restarting[name] {
			continue // kept as it was (above)
		}
		if inst := d.instances[name]; inst != nil {
			inst.deleted = cfg.Instance(name) == nil
			d.stopInstance(inst)
			delete(d.instances, name)
		}
	}
	for _, name := range diff.UpdateInstances {
		inst := d.instances[name]
		if inst == nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := inst.drv.UpdateVIPs(ctx, cfg.Instance(name))
		cancel()
		if err != nil {
			d.logf("reload: %v: keeping the old VIPs", err)
			cfg = withInstance(cfg, old.Instance(name))
		}
	}
	for name, inst := range d.instances {
		inst.cfg = cfg.Instance(name) // tracking, notify, group may differ
	}
	d.applyRunners(old, cfg)
	d.cfg = cfg
	for _, inst := range starting {
		d.startInstance(inst)
	}
	d.regate()

	// Services: stop removed and changed ones before starting (same port).
	stop := map[string]bool{}
	for _, k := range diff.StopServices {
		stop[k] = true
	}
	kept := d.services[:0]
	for _, s := range d.services {
		if stop[s.cfg.Key()] {
			d.closeService(s)
		} else {
			kept = append(kept, s)
		}
	}
	d.services = kept
	for _, k := range diff.StartServices {
		for _, sc := range svcs {
			if sc.Key() == k {
				if err := d.startService(sc); err != nil {
					d.logf("reload: virtual_server %s: %v", k, err)
				}
			}
		}
	}
	if !sameMail(old.Global, cfg.Global) {
		go d.mailer.Close(time.Minute) // let queued mails go out with the old settings
		d.mailer = notify.NewMailer(cfg.Global, d.logf)
	}
	d.publish()
	d.retrack()
	d.logf("reload: vrrp_instance kept %v, new VIPs %v, started %v, stopped %v; virtual_server kept %v, started %v, stopped %v",
		diff.KeepInstances, diff.UpdateInstances, diff.StartInstances, diff.StopInstances, diff.KeepServices, diff.StartServices, diff.StopServices)
	return diff, nil
}

func sameMail(a, b keepalivedconf.GlobalDefs) bool {
	return a.RouterID == b.RouterID && a.SMTPServer == b.SMTPServer && a.SMTPPort == b.SMTPPort &&
		a.SMTPHeloName == b.SMTPHeloName && a.NotificationEmailFrom == b.NotificationEmailFrom &&
		a.SMTPConnectTimeout == b.SMTPConnectTimeout && slices.Equal(a.NotificationEmail, b.NotificationEmail)
}

// withInstance returns a copy of cfg whose instance named like in is in.
func withInstance(cfg *keepalivedconf.Config, in *keepalivedconf.VRRPInstance) *keepalivedconf.Config {
	c := *cfg
	c.Instances = append([]*keepalivedconf.VRRPInstance(nil), cfg.Instances...)
	for i, x := range c.Instances {
		if x.Name == in.Name {
			c.Instances[i] = in
		}
	}
	return &c
}

// Stop stops every instance (masters send priority 0 and remove their
// VIPs; notify_stop runs), the trackers and the services, and waits up to
// wait for queued notifications.
func (d *Director) Stop(wait time.Duration) {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.stopped = true
	for _, inst := range d.instances {
		inst.cancel()
	}
	insts := d.instances
	d.mu.Unlock()
	for _, inst := range insts {
		<-inst.done
	}
	d.mu.Lock()
	for _, r := range d.scripts {
		r.stop()
	}
	for _, r := range d.links {
		r.stop()
	}
	d.closeServices()
	d.mu.Unlock()
	d.events.close()
	d.loopWG.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.scriptsN != nil {
		d.scriptsN.Close(wait)
		d.mailer.Close(wait)
	}
}

// newInstance opens the instance's driver; startInstance runs it.
func (d *Director) newInstance(in *keepalivedconf.VRRPInstance) (*instance, error) {
	inst := &instance{cfg: in, done: make(chan struct{})}
	dr, err := driver.New(in, driver.Options{Logf: d.logf, OnTransition: func(t driver.Transition) { d.onTransition(inst, t) }})
	if err != nil {
		return nil, err
	}
	inst.drv = dr
	inst.ctx, inst.cancel = context.WithCancel(context.Background())
	return inst, nil
}

// startInstance runs the instance. Before the protocol starts it learns
// the machine (for transition reasons) and applies tracking, so an
// instance whose weight-0 script has not succeeded yet goes to FAULT at
// once.
func (d *Director) startInstance(inst *instance) {
	d.instances[inst.cfg.Name] = inst
	inst.drv.Inject(inst.ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output {
		inst.machine.Store(m)
		return m.Pending()
	})
	d.applyWant(inst, Wants(d.cfg, d.scriptSt, d.linkSt)[inst.cfg.Name])
	go func() {
		defer close(inst.done)
		if err := inst.drv.Run(inst.ctx); err != nil {
			d.logf("vrrp_instance %s: %v", inst.cfg.Name, err)
		}
	}()
}

// regate gives every running instance its sync group's gate (a new one
// per (re)load: members want MASTER only from the point they join it).
func (d *Director) regate() {
	gates := map[string]*vrrp.SyncGate{}
	for _, name := range slices.Sorted(maps.Keys(d.instances)) {
		inst := d.instances[name]
		var gate *vrrp.SyncGate
		if g := group(d.cfg, inst.cfg.SyncGroup); g != nil {
			if gates[g.Name] == nil {
				var running []string
				for _, m := range g.Members {
					if d.instances[m] != nil {
						running = append(running, m)
					}
				}
				gates[g.Name] = vrrp.NewSyncGate(running)
			}
			gate = gates[g.Name]
		}
		inst.drv.Inject(inst.ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output { return m.SetSyncGate(gate, name, now) })
	}
}

// stopInstance ends an instance and waits for its shutdown (priority 0).
// Called with d.mu held: the driver never waits for d.mu.
func (d *Director) stopInstance(inst *instance) {
	inst.cancel()
	<-inst.done
}

// applyRunners starts and stops script runners and link watchers so that
// they match cur.
func (d *Director) applyRunners(old, cur *keepalivedconf.Config) {
	diff := Plan(old, cur, nil, nil)
	for _, name := range diff.KeepScripts {
		if d.scripts[name] == nil { // disabled last time: try again
			diff.StartScripts = append(diff.StartScripts, name)
		}
	}
	for _, name := range diff.StopScripts {
		if r := d.scripts[name]; r != nil {
			r.stop()
			delete(d.scripts, name)
			delete(d.scriptSt, name)
		}
	}
	sec := security(cur.Global)
	var specs []track.Script
	for _, name := range diff.StartScripts {
		sc := cur.Script(name)
		d.scriptSt[name] = track.NewCounter(sc.Rise, sc.Fall, sc.InitFail).Status()
		cmd, err := notify.Prepare(&keepalivedconf.Command{Line: sc.Script, User: sc.User, Group: sc.Group}, sec)
		if err != nil {
			// keepalived disables an insecure or unrunnable script; its
			// trackers see it as failed.
			d.logf("vrrp_script %s disabled: %v", name, err)
			d.scriptSt[name] = track.Down
			continue
		}
		specs = append(specs, track.Script{Name: name, Cmd: cmd, Interval: sc.Interval, Timeout: sc.Timeout,
			Rise: sc.Rise, Fall: sc.Fall, InitFail: sc.InitFail, Counter: track.NewCounter(sc.Rise, sc.Fall, sc.InitFail),
			Delay: sc.Interval})
	}
	// The first check of every new script runs now (in parallel, bounded
	// by its timeout), so that instances start, and a reload applies, with
	// real results rather than putting weight-0 trackers in FAULT until
	// the scripts have run once.
	var first sync.WaitGroup
	for _, spec := range specs {
		first.Add(1)
		go func() {
			defer first.Done()
			if err := track.Check(context.Background(), spec, spec.Counter); err != nil {
				d.logf("VRRP_Script(%s) failed: %v", spec.Name, err)
			}
		}()
	}
	first.Wait()
	for _, spec := range specs {
		d.scriptSt[spec.Name] = spec.Counter.Status()
		ctx, cancel := context.WithCancel(context.Background())
		r := &runner{cancel: cancel, done: make(chan struct{})}
		d.scripts[spec.Name] = r
		go func() {
			defer close(r.done)
			track.RunScript(ctx, spec, d.logf, func(s track.Status) { d.events.push(event{script: spec.Name, runner: r, status: s}) })
		}()
	}
	want := map[string]bool{}
	for _, name := range Interfaces(cur) {
		want[name] = true
		if d.links[name] != nil {
			continue
		}
		d.linkSt[name] = track.LinkStatus(name)
		ctx, cancel := context.WithCancel(context.Background())
		r := &runner{cancel: cancel, done: make(chan struct{})}
		d.links[name] = r
		go func() {
			defer close(r.done)
			track.WatchLink(ctx, name, func(s track.Status) { d.events.push(event{link: name, runner: r, status: s}) })
		}()
	}
	for name, r := range d.links {
		if !want[name] {
			r.stop()
			delete(d.links, name)
			delete(d.linkSt, name)
		}
	}
}

func security(g keepalivedconf.GlobalDefs) notify.Security {
	return notify.Security{Enabled: g.EnableScriptSecurity, User: g.ScriptUser, Group: g.ScriptGroup}
}

func (d *Director) startService(sc dataplane.ServiceConfig) error {
	opts := dataplane.Options{Logf: d.logf}
	var svcs []*dataplane.Service
	if sc.Group != "" {
		var err error
		if svcs, err = dataplane.StartGroup(sc, opts); err != nil {
			return err
		}
	} else {
		svc, err := dataplane.Start(sc, opts)
		if err != nil {
			return err
		}
		svcs = []*dataplane.Service{svc}
	}
	d.services = append(d.services, &service{cfg: sc, svcs: svcs})
	for _, svc := range svcs {
		fmt.Fprintln(d.out, svc)
	}
	return nil
}

func (d *Director) closeService(s *service) {
	for _, svc := range s.svcs {
		svc.Close()
		ss := svc.Snapshot()
		fmt.Fprintf(d.out, "virtual_server %s stopped: %d connection(s), %d bytes in, %d bytes out\n",
			svc.Config().Addr, ss.Conns, ss.InBytes, ss.OutBytes)
	}
}

func (d *Director) closeServices() {
	for _, s := range d.services {
		d.closeService(s)
	}
	d.services = nil
	d.publish()
}

// publish gives the control socket the running services.
func (d *Director) publish() {
	if d.opts.Control == nil {
		return
	}
	if d.cfg != nil {
		t := d.cfg.Global.LVSTimeouts
		d.opts.Control.SetTimeouts(ipvsadm.TimeoutsFrom(t.TCP, t.TCPFin, t.UDP))
	}
	var src []ipvsadm.Source
	for _, s := range d.services {
		for _, svc := range s.svcs {
			src = append(src, svc)
		}
	}
	d.opts.Control.SetSources(src)
}

// event is one input of the loop: a script or link status, or a transition.
type event struct {
	script, link string
	runner       *runner // the script runner or link watcher that saw status
	status       track.Status
	inst         *instance
	tr           driver.Transition
	reason       string
}

// onTransition runs on the driver's goroutine right after it performed
// the transition: it reads the reason from the machine (safe there: only
// that goroutine touches it) and queues the rest for the loop. It must
// not take d.mu: the director may hold it while waiting for this driver.
func (d *Director) onTransition(inst *instance, t driver.Transition) {
	reason := ""
	if m := inst.machine.Load(); m != nil {
		for _, c := range m.LastChanges() {
			if c.From == t.From && c.To == t.To {
				reason = c.Reason
			}
		}
	}
	if reason == "" && t.From == vrrp.Init {
		reason = "startup"
		if t.To == vrrp.Master {
			reason = "address owner (priority 255)"
		}
	}
	d.events.push(event{inst: inst, tr: t, reason: reason})
}

func (d *Director) loop() {
	for {
		ev, ok := d.events.pop()
		if !ok {
			return
		}
		d.mu.Lock()
		switch {
		case ev.inst != nil:
			d.transition(ev.inst, ev.tr, ev.reason)
		case ev.script != "":
			if d.scripts[ev.script] == ev.runner { // not from a runner a reload replaced
				d.scriptSt[ev.script] = ev.status
				d.retrack()
			}
		case ev.link != "":
			if d.links[ev.link] == ev.runner {
				if ev.status == track.Down {
					d.logf("track_interface %s is down", ev.link)
				} else if d.linkSt[ev.link] != ev.status {
					d.logf("track_interface %s is up", ev.link)
				}
				d.linkSt[ev.link] = ev.status
				d.retrack()
			}
		}
		d.mu.Unlock()
	}
}

// retrack applies the current tracking to every running instance.
func (d *Director) retrack() {
	wants := Wants(d.cfg, d.scriptSt, d.linkSt)
	for name, inst := range d.instances {
		d.applyWant(inst, wants[name])
	}
}

// applyWant injects what changed: the priority first, so that an instance
// leaving FAULT starts with it.
func (d *Director) applyWant(inst *instance, w Want) {
	prev, first := inst.want, !inst.applied
	inst.want, inst.applied = w, true
	if first || w.Priority != prev.Priority {
		p := w.Priority
		if !first {
			d.logf("vrrp_instance %s: effective priority %d -> %d", inst.cfg.Name, prev.Priority, p)
		}
		inst.drv.Inject(inst.ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output { return m.SetPriority(p, now) })
	}
	switch {
	case w.Fault && (first || !prev.Fault || w.Reason != prev.Reason):
		r := w.Reason
		inst.drv.Inject(inst.ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output { return m.EnterFault(r, now) })
	case !w.Fault && !first && prev.Fault:
		r := "tracking recovered (was: " + prev.Reason + ")"
		inst.drv.Inject(inst.ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output { return m.LeaveFault(r, now) })
	}
}

// stateWord is keepalived's name of a state in notifications.
func stateWord(s vrrp.State) string {
	if s == vrrp.Init {
		return "STOP"
	}
	return s.String()
}

// transition handles a state change of inst, which may already have been
// stopped by a reload (its notify_stop still runs).
func (d *Director) transition(inst *instance, t driver.Transition, reason string) {
	cfg := d.cfg
	in := inst.cfg
	inst.state, inst.lastFrom, inst.lastTo, inst.lastReason, inst.lastAt = t.To, t.From, t.To, reason, t.At
	if int(t.To) < len(inst.transitions) {
		inst.transitions[t.To]++
	}
	d.logf("vrrp transition instance=%s from=%s to=%s priority=%d reason=%q", t.Instance, t.From, t.To, t.Priority, reason)
	ev := notify.Event{Name: t.Instance, State: stateWord(t.To), Priority: int(t.Priority)}
	if t.To == vrrp.Init && inst.deleted {
		ev.State = "DELETED"
	}
	if d.scriptsN != nil {
		d.scriptsN.Notify(in.Notify, security(cfg.Global), ev)
	}
	if t.To != vrrp.Init && d.mailer != nil && (in.SMTPAlert || cfg.Global.SMTPAlert) {
		d.mailer.Alert(ev)
	}
	states := map[string]vrrp.State{}
	for name, x := range d.instances {
		states[name] = x.state
	}
	for _, f := range SyncForces(cfg, t.Instance, t.From, t.To, reason, states) {
		x := d.instances[f.Instance]
		if x == nil {
			continue
		}
		r, to := f.Reason, f.To
		x.drv.Inject(x.ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output {
			if to == vrrp.Master {
				return m.ForceMaster(r, now)
			}
			return m.ForceBackup(r, now)
		})
	}
	if g := group(cfg, in.SyncGroup); g != nil {
		if st, ok := GroupState(g, states); ok && d.groupSt[g.Name] != stateWord(st) {
			if st == vrrp.Init && d.groupSt[g.Name] == "" {
				return // never started: nothing to report
			}
			d.groupSt[g.Name] = stateWord(st)
			d.logf("vrrp_sync_group %s: entering %s state", g.Name, stateWord(st))
			gev := notify.Event{Group: true, Name: g.Name, State: stateWord(st)}
			if d.scriptsN != nil {
				d.scriptsN.Notify(g.Notify, security(cfg.Global), gev)
			}
			if st != vrrp.Init && d.mailer != nil && (g.SMTPAlert || cfg.Global.SMTPAlert) {
				d.mailer.Alert(gev)
			}
		}
	}
}
