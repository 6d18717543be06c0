package vrrp

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// State is a VRRP router state (RFC 5798 §6.4). RFC 9568 calls Master
// "Active"; the keepalived names are kept.
type State int

const (
	Init State = iota
	Backup
	Master
	Fault
)

func (s State) String() string {
	switch s {
	case Init:
		return "INIT"
	case Backup:
		return "BACKUP"
	case Master:
		return "MASTER"
	case Fault:
		return "FAULT"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// OwnerPriority is the priority of the address owner.
const OwnerPriority = 255

// Config is one VRRP instance.
type Config struct {
	VRID     uint8
	Priority uint8 // 1..255; 255 is the address owner
	// AdvertInterval: v2 whole seconds (1..255 s), v3 10 ms..40.95 s.
	AdvertInterval time.Duration
	Version        uint8 // 2 or 3
	// StateMaster is keepalived's "state MASTER". Like keepalived, a
	// non-owner still starts in BACKUP and becomes master only when the
	// master-down timer expires; an owner (priority 255) goes MASTER at once.
	StateMaster  bool
	NoPreempt    bool
	PreemptDelay time.Duration // applies at startup and on seeing a lower-priority master
	// Accept is accept mode: the driver should accept packets for VIPs it
	// does not own while master. The machine only carries it.
	Accept  bool
	Address netip.Addr   // own primary address (advert source, tie-break)
	VIPs    []netip.Addr // virtual addresses, in advert order
	Auth    AuthType     // v2 only: AuthNone or AuthPass
	Pass    string       // v2 PASS password (first 8 bytes used)
	// Unicast skips the TTL check (keepalived does for unicast peers).
	Unicast bool
	// ChecksumAsV2 sends v3 IPv4 checksums without the pseudo-header.
	ChecksumAsV2 bool
	// LowerPrioNoAdvert restores the old RFC behaviour: a master ignores a
	// lower-priority advert silently instead of answering with an advert.
	LowerPrioNoAdvert bool
	// SkipCheckAdvAddr accepts adverts whose address list differs from VIPs.
	SkipCheckAdvAddr bool
	// DownTimerAdverts is the number of adverts in Master_Down_Interval
	// (keepalived's down_timer_adverts); 0 means the RFC's 3.
	DownTimerAdverts int
	// GarpMasterDelay is the delay of the second gratuitous ARP/NA batch
	// after becoming master (keepalived default 5 s); 0 disables it.
	GarpMasterDelay time.Duration
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Version != 2 && c.Version != 3:
		return fmt.Errorf("vrrp: version %d", c.Version)
	case c.VRID == 0:
		return fmt.Errorf("vrrp: VRID 0")
	case c.Priority == 0:
		return fmt.Errorf("vrrp: priority 0 is reserved")
	case !c.Address.IsValid():
		return fmt.Errorf("vrrp: no own address")
	case len(c.VIPs) == 0 || len(c.VIPs) > 255:
		return fmt.Errorf("vrrp: %d virtual addresses", len(c.VIPs))
	case c.Version == 2 && !c.Address.Unmap().Is4():
		return fmt.Errorf("vrrp: VRRPv2 is IPv4 only")
	case c.Auth != AuthNone && c.Auth != AuthPass:
		return fmt.Errorf("vrrp: unsupported auth type %d", c.Auth)
	case c.Auth != AuthNone && c.Version != 2:
		return fmt.Errorf("vrrp: authentication is v2 only")
	}
	if c.Version == 2 && (c.AdvertInterval < time.Second || c.AdvertInterval > 255*time.Second || c.AdvertInterval%time.Second != 0) {
		return fmt.Errorf("vrrp: v2 advert interval %v not whole seconds in 1..255", c.AdvertInterval)
	}
	if c.Version == 3 && (c.AdvertInterval < 10*time.Millisecond || c.AdvertInterval > 40950*time.Millisecond) {
		return fmt.Errorf("vrrp: v3 advert interval %v out of 10ms..40.95s", c.AdvertInterval)
	}
	for _, v := range c.VIPs {
		if v.Unmap().Is4() != c.Address.Unmap().Is4() {
			return fmt.Errorf("vrrp: VIP %v not of the family of %v", v, c.Address)
		}
	}
	return nil
}

// ActionKind says what a driver must do.
type ActionKind int

const (
	// ActSendAdvert: send Action.Advert (to the multicast group or peers).
	ActSendAdvert ActionKind = iota + 1
	// ActStateChange: the state went From -> To (notify scripts, logs).
	ActStateChange
	// ActAddVIPs: add Action.Addrs to the interface.
	ActAddVIPs
	// ActRemoveVIPs: remove Action.Addrs from the interface.
	ActRemoveVIPs
	// ActAnnounce: send gratuitous ARPs / unsolicited NAs for Action.Addrs.
	ActAnnounce
)

func (k ActionKind) String() string {
	switch k {
	case ActSendAdvert:
		return "send-advert"
	case ActStateChange:
		return "state"
	case ActAddVIPs:
		return "add-vips"
	case ActRemoveVIPs:
		return "remove-vips"
	case ActAnnounce:
		return "announce"
	}
	return fmt.Sprintf("ActionKind(%d)", int(k))
}

// Action is one output of the machine, to be performed in order.
type Action struct {
	Kind     ActionKind
	Advert   Advert       // ActSendAdvert
	From, To State        // ActStateChange
	Reason   string       // ActStateChange: why, for logs and status
	Addrs    []netip.Addr // ActAddVIPs, ActRemoveVIPs, ActAnnounce
}

func (a Action) String() string {
	switch a.Kind {
	case ActSendAdvert:
		return fmt.Sprintf("send-advert(prio=%d)", a.Advert.Priority)
	case ActStateChange:
		return fmt.Sprintf("state(%v->%v)", a.From, a.To)
	}
	return a.Kind.String()
}

// Output is what one event produced: actions in order and the deadline at
// which the driver must call Tick next (zero: no timer running).
type Output struct {
	Actions  []Action
	Deadline time.Time
}

// Machine is one VRRP instance as a pure state machine. It is not safe for
// concurrent use; a driver serialises events.
type Machine struct {
	cfg   Config
	state State
	prio  uint8 // effective priority
	// masterAdverInt is Master_Adver_Interval: learnt from the master's
	// adverts in v3, the configured interval otherwise.
	masterAdverInt time.Duration

	downAt    time.Time // Master_Down_Timer (Backup)
	advertAt  time.Time // Adver_Timer (Master)
	garpAt    time.Time // second GARP batch (Master)
	preemptAt time.Time // end of preempt delay; zero: not running

	// downReason is why downAt was last set, the reason given if it expires.
	downReason string
	// masterAddr is the current master as far as this router knows: the
	// source of the last accepted advert, or its own address as master.
	masterAddr netip.Addr
	// changes are the state changes of the last output, so a driver's
	// transition hook can learn their reasons.
	changes []Action

	// gate couples this machine with the other members of its sync group:
	// a backup whose down timer expires only becomes master when every
	// member wants to; until then it is held (no timer running).
	gate     *SyncGate
	gateName string
	held     bool

	out []Action
}

// New validates cfg and returns a machine in Init.
func New(cfg Config) (*Machine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.VIPs = append([]netip.Addr(nil), cfg.VIPs...)
	if cfg.DownTimerAdverts <= 0 {
		cfg.DownTimerAdverts = 3
	}
	return &Machine{cfg: cfg, prio: cfg.Priority, masterAdverInt: cfg.AdvertInterval}, nil
}

// State returns the current state.
func (m *Machine) State() State { return m.state }

// Priority returns the effective priority.
func (m *Machine) Priority() uint8 { return m.prio }

// Config returns the configuration.
func (m *Machine) Config() Config { return m.cfg }

// MasterAdverInterval returns the current Master_Adver_Interval.
func (m *Machine) MasterAdverInterval() time.Duration { return m.masterAdverInt }

// SkewTime returns Skew_Time for the effective priority: (256-Priority)/256 s
// in v2, ((256-Priority)*Master_Adver_Interval)/256 in v3.
func (m *Machine) SkewTime() time.Duration {
	if m.cfg.Version == 2 {
		return time.Duration(256-int(m.prio)) * time.Second / 256
	}
	return time.Duration(256-int(m.prio)) * m.masterAdverInt / 256
}

// MasterDownInterval returns 3*Master_Adver_Interval + Skew_Time.
func (m *Machine) MasterDownInterval() time.Duration {
	return time.Duration(m.cfg.DownTimerAdverts)*m.masterAdverInt + m.SkewTime()
}

// Deadline returns when Tick must next be called (zero: no timer).
func (m *Machine) Deadline() time.Time {
	var d time.Time
	min := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	switch m.state {
	case Backup:
		min(m.downAt)
	case Master:
		min(m.advertAt)
		min(m.garpAt)
	}
	return d
}

func (m *Machine) output() Output {
	o := Output{Actions: m.out, Deadline: m.Deadline()}
	m.changes = m.changes[:0]
	for _, a := range m.out {
		if a.Kind == ActStateChange {
			m.changes = append(m.changes, a)
		}
	}
	m.out = nil
	return o
}

// MasterAddr returns the current master's address as learnt from accepted
// adverts (its own address while master); invalid when unknown.
func (m *Machine) MasterAddr() netip.Addr { return m.masterAddr }

// LastChanges returns the state changes (with their reasons) of the most
// recent output. A driver's transition hook, running right after it
// performed that output, uses it to log why.
func (m *Machine) LastChanges() []Action { return append([]Action(nil), m.changes...) }

// Pending returns an output with no actions and the current deadline: what
// an event that changed nothing returns (drivers re-arm their timer from it).
func (m *Machine) Pending() Output { return m.output() }

// Start is the RFC Startup event (keepalived: instance start or interface
// up). An owner becomes master at once; everyone else, even with
// StateMaster, starts as backup and waits Master_Down_Interval.
func (m *Machine) Start(now time.Time) Output {
	if m.state == Init {
		m.start(now, "startup")
	}
	return m.output()
}

func (m *Machine) start(now time.Time, reason string) {
	if m.cfg.Priority == OwnerPriority {
		m.becomeMaster(now, "address owner (priority 255)")
	} else {
		m.becomeBackup(now, reason)
		if m.cfg.PreemptDelay > 0 {
			m.preemptAt = now.Add(m.cfg.PreemptDelay)
		}
	}
}

// Shutdown is the RFC Shutdown event: a master sends one advert with
// priority 0 and removes its VIPs; the machine returns to Init.
func (m *Machine) Shutdown(now time.Time) Output {
	m.leave(Init, "shutdown")
	return m.output()
}

// SetFault moves the instance to FAULT (interface down, tracked failure) or,
// with fault false, out of it into BACKUP. A master leaving sends priority 0.
func (m *Machine) SetFault(fault bool, now time.Time) Output {
	if fault {
		return m.EnterFault("fault", now)
	}
	return m.LeaveFault("fault cleared", now)
}

// EnterFault is SetFault(true) with the reason given for the transition,
// e.g. "tracked script chk_x failed".
func (m *Machine) EnterFault(reason string, now time.Time) Output {
	if m.state != Fault {
		m.leave(Fault, reason)
	}
	return m.output()
}

// LeaveFault is SetFault(false) with the reason given for the transition.
func (m *Machine) LeaveFault(reason string, now time.Time) Output {
	if m.state == Fault {
		m.start(now, reason)
	}
	return m.output()
}

// ForceMaster moves a backup to MASTER at once, as keepalived does for the
// other members of a vrrp_sync_group when one of them becomes master.
// Other states are left alone (a faulty member stays in FAULT).
func (m *Machine) ForceMaster(reason string, now time.Time) Output {
	if m.state == Backup {
		m.becomeMaster(now, reason)
	}
	return m.output()
}

// ForceBackup moves a master to BACKUP without a priority 0 advert (the
// group's peer is taking over), as keepalived does for the other members
// of a vrrp_sync_group when one of them falls back to backup. The
// master-down timer starts so that the instance can win back later.
func (m *Machine) ForceBackup(reason string, now time.Time) Output {
	if m.state == Master {
		m.leaveMaster(Backup, false, reason)
		m.masterAddr = netip.Addr{}
		m.setDown(now.Add(m.MasterDownInterval()), "master down timer expired")
	}
	return m.output()
}

// SetPriority sets the effective priority from tracking (base priority plus
// track weights), clamped to 1..254. An owner's priority cannot change and
// nothing raises a priority to 255. A master advertises the new priority at
// once so that a preempting backup can react.
func (m *Machine) SetPriority(prio int, now time.Time) Output {
	if m.cfg.Priority == OwnerPriority {
		return m.output()
	}
	p := uint8(max(1, min(prio, OwnerPriority-1)))
	if p == m.prio {
		return m.output()
	}
	m.prio = p
	if m.state == Master {
		m.sendAdvert(m.prio)
		m.advertAt = now.Add(m.cfg.AdvertInterval)
	}
	return m.output()
}

// SyncGate couples the members of a vrrp_sync_group as keepalived does: a
// member whose master-down timer expires wants to become master, and the
// group goes master only when every member wants to (or already is). A member that still
// hears a master therefore keeps the others in BACKUP, so a group whose
// instances are split between two routers does not flap. It is shared by
// the members' machines (each in its driver's goroutine), hence the lock.
type SyncGate struct {
	mu   sync.Mutex
	want map[string]bool
}

// NewSyncGate returns a gate for the named members.
func NewSyncGate(members []string) *SyncGate {
	g := &SyncGate{want: make(map[string]bool, len(members))}
	for _, name := range members {
		g.want[name] = false
	}
	return g
}

// Want records whether member wants to become master and reports whether
// every member now does.
func (g *SyncGate) Want(member string, want bool) (all bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.want[member]; ok {
		g.want[member] = want
	}
	for _, w := range g.want {
		if !w {
			return false
		}
	}
	return true
}

// SetSyncGate makes the machine a member of a sync group under the given
// name (nil: no group). A master counts as wanting in the new gate; a
// member held by its previous gate asks the new one at once.
func (m *Machine) SetSyncGate(g *SyncGate, member string, now time.Time) Output {
	m.gate, m.gateName = g, member
	if g != nil && m.state == Master {
		g.Want(member, true)
	}
	if m.held {
		m.held = false
		m.downExpired(now, "master down timer expired")
	}
	return m.output()
}

// Held reports whether the machine's down timer expired but its sync group
// keeps it in BACKUP.
func (m *Machine) Held() bool { return m.held }

func (m *Machine) downExpired(now time.Time, reason string) {
	m.downAt = time.Time{}
	if m.gate != nil && !m.gate.Want(m.gateName, true) {
		m.held = true
		return
	}
	if m.gate != nil {
		reason += " (sync group: every member wants MASTER)"
	}
	m.becomeMaster(now, reason)
}

// unwant withdraws this member's wish to become master.
func (m *Machine) unwant() {
	m.held = false
	if m.gate != nil {
		m.gate.Want(m.gateName, false)
	}
}

// SetVIPs replaces the virtual addresses, for a reload that changes only
// them (keepalived keeps the instance's state then): a master removes the
// dropped addresses, adds and announces the new ones, and advertises the
// new list at once. Other states only take the new list.
func (m *Machine) SetVIPs(vips []netip.Addr, now time.Time) (Output, error) {
	c := m.cfg
	c.VIPs = append([]netip.Addr(nil), vips...)
	if err := c.Validate(); err != nil {
		return m.output(), err
	}
	var added, removed []netip.Addr
	for _, v := range c.VIPs {
		if !slices.Contains(m.cfg.VIPs, v) {
			added = append(added, v)
		}
	}
	for _, v := range m.cfg.VIPs {
		if !slices.Contains(c.VIPs, v) {
			removed = append(removed, v)
		}
	}
	m.cfg.VIPs = c.VIPs
	if m.state == Master && (len(added) > 0 || len(removed) > 0) {
		if len(removed) > 0 {
			m.out = append(m.out, Action{Kind: ActRemoveVIPs, Addrs: removed})
		}
		if len(added) > 0 {
			m.out = append(m.out, Action{Kind: ActAddVIPs, Addrs: added}, Action{Kind: ActAnnounce, Addrs: added})
		}
		m.sendAdvert(m.prio)
		m.advertAt = now.Add(m.cfg.AdvertInterval)
	}
	return m.output(), nil
}

// Tick handles timer expiry: the driver calls it at (or after) Deadline.
func (m *Machine) Tick(now time.Time) Output {
	switch m.state {
	case Backup:
		if !m.downAt.IsZero() && !now.Before(m.downAt) {
			m.downExpired(now, m.downReason)
		}
	case Master:
		if !m.garpAt.IsZero() && !now.Before(m.garpAt) {
			m.garpAt = time.Time{}
			m.out = append(m.out, Action{Kind: ActAnnounce, Addrs: m.vips()})
		}
		if !now.Before(m.advertAt) {
			m.sendAdvert(m.prio)
			m.advertAt = now.Add(m.cfg.AdvertInterval)
		}
	}
	return m.output()
}

// ReceivePacket decodes b (the IP payload from src to dst, received with
// the given TTL/hop limit) and passes it to Receive.
func (m *Machine) ReceivePacket(src, dst netip.Addr, b []byte, ttl int, now time.Time) (Output, error) {
	a, err := Decode(b, src, dst)
	if err != nil {
		return m.output(), err
	}
	return m.Receive(src, a, ttl, now)
}

// Check performs keepalived's per-instance receive checks on a decoded
// advert from src: own advert, TTL, VRID, version, auth, v2 interval, VIP list.
func (m *Machine) Check(src netip.Addr, a Advert, ttl int) error {
	c := &m.cfg
	switch {
	case src.Unmap() == c.Address.Unmap():
		return drop(DropOwnAdvert, "from %v", src)
	case !c.Unicast && ttl != TTL:
		return drop(DropTTL, "ttl %d", ttl)
	case a.VRID != c.VRID:
		return drop(DropVRID, "vrid %d, want %d", a.VRID, c.VRID)
	case a.Version != c.Version:
		return drop(DropVersion, "version %d, want %d", a.Version, c.Version)
	case a.Type != TypeAdvert:
		return drop(DropType, "type %d", a.Type)
	}
	if c.Version == 2 {
		if a.AuthType != c.Auth {
			return drop(DropAuthType, "auth type %d, want %d", a.AuthType, c.Auth)
		}
		if c.Auth == AuthPass && a.AuthData != PassData(c.Pass) {
			return drop(DropAuthPass, "")
		}
		if a.Interval != c.AdvertInterval {
			return drop(DropInterval, "v2 interval %v, want %v", a.Interval, c.AdvertInterval)
		}
	}
	if !c.SkipCheckAdvAddr {
		if len(a.Addrs) != len(c.VIPs) {
			return drop(DropAddrCount, "%d addresses, want %d", len(a.Addrs), len(c.VIPs))
		}
		for _, v := range c.VIPs {
			found := false
			for _, x := range a.Addrs {
				if x.Unmap() == v.Unmap() {
					found = true
					break
				}
			}
			if !found {
				return drop(DropAddrList, "%v missing", v)
			}
		}
	}
	return nil
}

// Receive handles an advert from src (already decoded) received with the
// given TTL. A dropped advert returns a *DropError and changes nothing.
func (m *Machine) Receive(src netip.Addr, a Advert, ttl int, now time.Time) (Output, error) {
	if m.state != Backup && m.state != Master {
		return m.output(), drop(DropNotRunning, "%v", m.state)
	}
	if err := m.Check(src, a, ttl); err != nil {
		return m.output(), err
	}
	switch m.state {
	case Backup:
		m.backupRx(src, a, now)
	case Master:
		m.masterRx(src, a, now)
	}
	return m.output(), nil
}

// backupRx is RFC 5798 §6.4.2 with keepalived's preempt_delay.
func (m *Machine) backupRx(src netip.Addr, a Advert, now time.Time) {
	if a.Priority == 0 {
		// The master is leaving: take over after Skew_Time.
		m.unwant()
		m.setDown(now.Add(m.SkewTime()), fmt.Sprintf("priority 0 advert from %v", src))
		m.masterAddr = netip.Addr{}
		return
	}
	accept := m.cfg.NoPreempt || a.Priority >= m.prio
	if !accept && m.cfg.PreemptDelay > 0 {
		if m.preemptAt.IsZero() {
			m.preemptAt = now.Add(m.cfg.PreemptDelay)
		}
		accept = now.Before(m.preemptAt)
	}
	if !accept {
		return // discard: the down timer keeps running and we preempt
	}
	m.unwant() // a master is alive: the group must not take over
	if a.Priority >= m.prio {
		m.preemptAt = time.Time{}
	}
	if m.cfg.Version == 3 {
		m.masterAdverInt = a.Interval
	}
	m.masterAddr = src
	m.setDown(now.Add(m.MasterDownInterval()), "master down timer expired")
}

func (m *Machine) setDown(at time.Time, reason string) {
	m.downAt, m.downReason = at, reason
}

// masterRx is RFC 5798 §6.4.3 with keepalived's answer to lower priorities.
func (m *Machine) masterRx(src netip.Addr, a Advert, now time.Time) {
	switch {
	case a.Priority == 0:
		m.sendAdvert(m.prio)
		m.advertAt = now.Add(m.cfg.AdvertInterval)
	case a.Priority > m.prio || a.Priority == m.prio && src.Unmap().Compare(m.cfg.Address.Unmap()) > 0:
		if m.cfg.Version == 3 {
			m.masterAdverInt = a.Interval
		}
		reason := fmt.Sprintf("higher priority advert from %v (priority %d > %d)", src, a.Priority, m.prio)
		if a.Priority == m.prio {
			reason = fmt.Sprintf("equal priority advert from higher address %v", src)
		}
		m.leaveMaster(Backup, false, reason)
		m.masterAddr = src
		m.setDown(now.Add(m.MasterDownInterval()), "master down timer expired")
	default:
		// Lower priority (or equal with a lower address): keepalived
		// sends an advert at once to force a new election.
		if !m.cfg.LowerPrioNoAdvert {
			m.sendAdvert(m.prio)
			m.advertAt = now.Add(m.cfg.AdvertInterval)
		}
	}
}

func (m *Machine) becomeBackup(now time.Time, reason string) {
	m.setState(Backup, reason)
	m.masterAdverInt = m.cfg.AdvertInterval
	m.masterAddr = netip.Addr{}
	m.setDown(now.Add(m.MasterDownInterval()), "master down timer expired")
}

// becomeMaster follows keepalived's order: advert first (so the old master
// drops its VIPs), add VIPs, gratuitous ARP/NA, second batch later.
func (m *Machine) becomeMaster(now time.Time, reason string) {
	m.setState(Master, reason)
	m.masterAddr = m.cfg.Address
	m.downAt = time.Time{}
	m.preemptAt = time.Time{}
	m.masterAdverInt = m.cfg.AdvertInterval
	m.sendAdvert(m.prio)
	m.out = append(m.out,
		Action{Kind: ActAddVIPs, Addrs: m.vips()},
		Action{Kind: ActAnnounce, Addrs: m.vips()})
	m.advertAt = now.Add(m.cfg.AdvertInterval)
	if m.cfg.GarpMasterDelay > 0 {
		m.garpAt = now.Add(m.cfg.GarpMasterDelay)
	}
}

// leave moves to Init or Fault; a master sends priority 0 first.
func (m *Machine) leave(to State, reason string) {
	m.masterAddr = netip.Addr{}
	switch m.state {
	case Master:
		m.leaveMaster(to, true, reason)
	case to:
	default:
		m.setState(to, reason)
		m.downAt = time.Time{}
		m.preemptAt = time.Time{}
	}
}

func (m *Machine) leaveMaster(to State, release bool, reason string) {
	if release {
		m.sendAdvert(0)
	}
	m.advertAt, m.garpAt = time.Time{}, time.Time{}
	m.out = append(m.out, Action{Kind: ActRemoveVIPs, Addrs: m.vips()})
	m.setState(to, reason)
}

func (m *Machine) setState(s State, reason string) {
	if s == m.state {
		return
	}
	if m.state == Backup || m.state == Master {
		m.unwant()
	}
	if s == Master && m.gate != nil {
		// A master member counts as wanting: a member joining or
		// recovering later may follow it.
		m.gate.Want(m.gateName, true)
	}
	m.out = append(m.out, Action{Kind: ActStateChange, From: m.state, To: s, Reason: reason})
	m.state = s
}

func (m *Machine) vips() []netip.Addr { return append([]netip.Addr(nil), m.cfg.VIPs...) }

// Advert returns the advert this machine sends with the given priority.
func (m *Machine) Advert(prio uint8) Advert {
	a := Advert{Version: m.cfg.Version, Type: TypeAdvert, VRID: m.cfg.VRID, Priority: prio,
		Interval: m.cfg.AdvertInterval, Addrs: m.vips(), ChecksumAsV2: m.cfg.ChecksumAsV2}
	if m.cfg.Version == 2 {
		a.AuthType = m.cfg.Auth
		if m.cfg.Auth == AuthPass {
			a.AuthData = PassData(m.cfg.Pass)
		}
	}
	return a
}

func (m *Machine) sendAdvert(prio uint8) {
	m.out = append(m.out, Action{Kind: ActSendAdvert, Advert: m.Advert(prio)})
}
