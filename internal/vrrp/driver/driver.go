//go:build linux

// Package driver runs one vrrp.Machine for a keepalived vrrp_instance: the
// I/O around the pure machine. It owns a raw socket for IP protocol 112
// bound to the instance's interface: IPv4 (multicast 224.0.0.18, or unicast
// peers) or, for an instance whose VIPs are IPv6, VRRPv3 over IPv6
// (multicast ff02::12 from the interface's link-local address, or unicast).
// It feeds received adverts with their real TTL/hop limit to the machine,
// keeps the machine's timer on the monotonic clock, and performs the
// actions: adverts, VIPs and excluded VIPs (netlink, in the current network
// namespace), gratuitous ARPs (AF_PACKET) and unsolicited neighbour
// advertisements (garp_master_repeat per batch, garp_master_refresh,
// garp_lower_prio_repeat/delay) and, on shutdown, the priority 0 advert and
// VIP removal.
package driver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/vrrp"
)

// Options tune a Driver.
type Options struct {
	// Logf receives one line per event (state changes, VIP changes, errors).
	// nil discards.
	Logf func(format string, args ...any)
	// OnTransition is called (from Run's goroutine, after the transition's
	// actions were performed) for every state change: notify scripts, SMTP
	// alerts, sync groups. nil = none.
	OnTransition func(Transition)
}

// Transition is one state change of an instance.
type Transition struct {
	Instance string
	From, To vrrp.State
	Priority uint8 // effective priority at the change
	At       time.Time
}

// Status is a point-in-time view of a running instance for the control
// socket and metrics.
type Status struct {
	Name            string
	Interface       string
	VRID            uint8
	State           vrrp.State
	BasePriority    uint8
	Priority        uint8 // effective (after tracking)
	AdvertsSent     uint64
	AdvertsReceived uint64 // accepted by the machine's checks
	Drops           [vrrp.NumDropReasons]uint64
	LastTransition  time.Time
}

// Driver runs one VRRP instance. Create it with New, run it with Run.
type Driver struct {
	inst   *keepalivedconf.VRRPInstance
	cfg    vrrp.Config
	ifi    *net.Interface
	peers  []netip.Addr
	logf   func(format string, args ...any)
	sock   vrrpSocket
	na     map[string]*naSender // ICMPv6 senders per interface, opened on first NA
	closed sync.Once

	onTransition func(Transition)
	events       chan func(m *vrrp.Machine, now time.Time) vrrp.Output

	mu       sync.Mutex
	m        *vrrp.Machine
	drops    [vrrp.NumDropReasons]uint64
	sent     uint64
	received uint64
	lastTr   time.Time

	// retired holds the virtual_ipaddress lines a reload dropped, so their
	// removal (performed after the machine's output) still finds dev,
	// label and prefix. Only Run's goroutine touches it and d.inst.
	retired []keepalivedconf.VirtualIP
}

// MachineConfig converts a keepalived vrrp_instance to the machine's
// configuration. own is the instance's primary address (unicast_src_ip, or
// the interface's first IPv4 address).
func MachineConfig(inst *keepalivedconf.VRRPInstance, own netip.Addr) (vrrp.Config, error) {
	if inst.VirtualRouterID < 1 || inst.VirtualRouterID > 255 {
		return vrrp.Config{}, fmt.Errorf("vrrp_instance %s: virtual_router_id %d out of range", inst.Name, inst.VirtualRouterID)
	}
	if inst.Priority < 1 || inst.Priority > 255 {
		return vrrp.Config{}, fmt.Errorf("vrrp_instance %s: priority %d out of range", inst.Name, inst.Priority)
	}
	cfg := vrrp.Config{
		VRID:             uint8(inst.VirtualRouterID),
		Priority:         uint8(inst.Priority),
		AdvertInterval:   inst.AdvertInt,
		Version:          uint8(inst.Version),
		StateMaster:      inst.State == keepalivedconf.StateMaster,
		NoPreempt:        inst.NoPreempt,
		PreemptDelay:     inst.PreemptDelay,
		Accept:           inst.Accept,
		Address:          own,
		Unicast:          len(inst.UnicastPeers) > 0,
		SkipCheckAdvAddr: inst.SkipCheckAdvAddr,
		DownTimerAdverts: inst.DownTimerAdverts,
		GarpMasterDelay:  inst.GARP.MasterDelay,
	}
	if cfg.Version == 0 {
		cfg.Version = 2
	}
	if a := inst.Authentication; a != nil && cfg.Version == 2 {
		switch strings.ToUpper(a.Type) {
		case "PASS":
			cfg.Auth, cfg.Pass = vrrp.AuthPass, a.Password
		default:
			return vrrp.Config{}, fmt.Errorf("vrrp_instance %s: auth_type %s is not supported", inst.Name, a.Type)
		}
	}
	for _, v := range inst.VirtualIPs {
		if v.Prefix.Addr().Is4() != own.Is4() {
			return vrrp.Config{}, fmt.Errorf("vrrp_instance %s: virtual_ipaddress %s: not of the family of the source address %s", inst.Name, v.Prefix, own)
		}
		cfg.VIPs = append(cfg.VIPs, v.Prefix.Addr())
	}
	if err := cfg.Validate(); err != nil {
		return vrrp.Config{}, fmt.Errorf("vrrp_instance %s: %w", inst.Name, err)
	}
	return cfg, nil
}

// New prepares the instance: it looks up the interface in the current
// network namespace and opens the VRRP socket. Run starts the protocol.
func New(inst *keepalivedconf.VRRPInstance, opts Options) (*Driver, error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ifi, err := net.InterfaceByName(inst.Interface)
	if err != nil {
		return nil, fmt.Errorf("vrrp_instance %s: interface %q: %w", inst.Name, inst.Interface, err)
	}
	// The instance's family is its VIPs' (keepalived's rule).
	v6 := len(inst.VirtualIPs) > 0 && inst.VirtualIPs[0].Prefix.Addr().Is6()
	own := inst.UnicastSrcIP
	if !own.IsValid() {
		own = inst.McastSrcIP
	}
	switch {
	case own.IsValid():
		own = own.Unmap()
	case v6:
		// A link that just came up gets its link-local address only
		// after carrier and DAD: wait a little, as a daemon started
		// at boot would have to.
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if own, err = linkLocal(ifi); err == nil || time.Now().After(deadline) {
				break
			}
		}
	default:
		own, err = firstIPv4(ifi)
	}
	if err != nil {
		return nil, fmt.Errorf("vrrp_instance %s: %w", inst.Name, err)
	}
	if own.Is6() != v6 {
		return nil, fmt.Errorf("vrrp_instance %s: source address %s is not of the VIPs' family", inst.Name, own)
	}
	cfg, err := MachineConfig(inst, own)
	if err != nil {
		return nil, err
	}
	m, err := vrrp.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("vrrp_instance %s: %w", inst.Name, err)
	}
	d := &Driver{inst: inst, cfg: cfg, ifi: ifi, logf: logf, m: m,
		onTransition: opts.OnTransition, events: make(chan func(*vrrp.Machine, time.Time) vrrp.Output, 16)}
	for _, p := range inst.UnicastPeers {
		if p.Addr.Unmap().Is6() != v6 {
			return nil, fmt.Errorf("vrrp_instance %s: unicast_peer %s is not of the VIPs' family", inst.Name, p.Addr)
		}
		d.peers = append(d.peers, p.Addr.Unmap())
	}
	if v6 {
		d.sock, err = openSocket6(ifi, own, len(d.peers) == 0)
	} else {
		var fd int
		fd, err = openSocket(ifi, own, len(d.peers) == 0)
		d.sock = socket4(fd)
	}
	if err != nil {
		return nil, fmt.Errorf("vrrp_instance %s: %w", inst.Name, err)
	}
	return d, nil
}

func firstIPv4(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %s: %w", ifi.Name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() {
				return ip.Unmap(), nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv4 address", ifi.Name)
}

// openSocket opens the raw protocol-112 socket bound to ifi and src, with
// TTL 255 and TOS 0xc0 as keepalived sends, and joins 224.0.0.18 on ifi when
// multicast is true.
func openSocket(ifi *net.Interface, src netip.Addr, multicast bool) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, vrrp.IPProto)
	if err != nil {
		return -1, fmt.Errorf("raw socket: %w", err)
	}
	fail := func(what string, err error) (int, error) {
		syscall.Close(fd)
		return -1, fmt.Errorf("%s: %w", what, err)
	}
	if err := syscall.SetsockoptString(fd, syscall.SOL_SOCKET, syscall.SO_BINDTODEVICE, ifi.Name); err != nil {
		return fail("SO_BINDTODEVICE "+ifi.Name, err)
	}
	// A raw socket bound to an address only receives datagrams addressed
	// to it, so a multicast socket stays unbound and gets its source from
	// IP_MULTICAST_IF below.
	if !multicast {
		if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: src.As4()}); err != nil {
			return fail("bind "+src.String(), err)
		}
	}
	for _, o := range []struct {
		name     string
		opt, val int
	}{
		{"IP_TTL", syscall.IP_TTL, vrrp.TTL},
		{"IP_MULTICAST_TTL", syscall.IP_MULTICAST_TTL, vrrp.TTL},
		{"IP_MULTICAST_LOOP", syscall.IP_MULTICAST_LOOP, 0},
		{"IP_TOS", syscall.IP_TOS, 0xc0},
	} {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, o.opt, o.val); err != nil {
			return fail(o.name, err)
		}
	}
	if multicast {
		mreq := &syscall.IPMreqn{Multiaddr: vrrp.MulticastIPv4.As4(), Address: src.As4(), Ifindex: int32(ifi.Index)}
		if err := syscall.SetsockoptIPMreqn(fd, syscall.IPPROTO_IP, syscall.IP_MULTICAST_IF, mreq); err != nil {
			return fail("IP_MULTICAST_IF", err)
		}
		if err := syscall.SetsockoptIPMreqn(fd, syscall.IPPROTO_IP, syscall.IP_ADD_MEMBERSHIP, mreq); err != nil {
			return fail("IP_ADD_MEMBERSHIP", err)
		}
	}
	// A receive timeout lets the reader notice Close without signals.
	tv := syscall.NsecToTimeval(int64(200 * time.Millisecond))
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return fail("SO_RCVTIMEO", err)
	}
	return fd, nil
}

// vrrpSocket is the instance's VRRP socket: socket4 or *socket6.
type vrrpSocket interface {
	send(b []byte, dst netip.Addr) error
	// recv returns errRetry when nothing arrived in time.
	recv(buf []byte) (packet, error)
	close() error
}

// errRetry is a receive timeout: no packet, check for stop and read again.
var errRetry = errors.New("no packet")

// socket4 is the raw IPv4 socket's descriptor.
type socket4 int

func (s socket4) send(b []byte, dst netip.Addr) error {
	return syscall.Sendto(int(s), b, 0, &syscall.SockaddrInet4{Addr: dst.As4()})
}

// recv reads an IPv4 datagram (raw IPv4 sockets deliver the IP header,
// which gives the real TTL).
func (s socket4) recv(buf []byte) (packet, error) {
	n, _, err := syscall.Recvfrom(int(s), buf, 0)
	if err != nil {
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			return packet{}, errRetry
		}
		return packet{}, err
	}
	p, ok := parseIPv4(buf[:n])
	if !ok {
		return packet{}, errRetry
	}
	return p, nil
}

func (s socket4) close() error { return syscall.Close(int(s)) }

// State returns the machine's current state.
func (d *Driver) State() vrrp.State {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m.State()
}

// Drops returns the number of discarded packets by reason.
func (d *Driver) Drops() [vrrp.NumDropReasons]uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.drops
}

// Status returns the instance's state and counters.
func (d *Driver) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	return Status{Name: d.inst.Name, Interface: d.ifi.Name, VRID: d.cfg.VRID, State: d.m.State(),
		BasePriority: d.cfg.Priority, Priority: d.m.Priority(), AdvertsSent: d.sent,
		AdvertsReceived: d.received, Drops: d.drops, LastTransition: d.lastTr}
}

// Inject runs ev against the machine inside Run's loop (so the timer is
// re-armed from its output), e.g. m.SetPriority or m.SetFault from
// tracking. It blocks until the loop takes the event or ctx ends.
func (d *Driver) Inject(ctx context.Context, ev func(m *vrrp.Machine, now time.Time) vrrp.Output) error {
	select {
	case d.events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// UpdateVIPs applies a reload that changes only the instance's
// virtual_ipaddress and virtual_ipaddress_excluded lines, without leaving
// the current state (keepalived does the same): a master removes the
// dropped addresses, adds and announces the new ones and advertises the new
// list at once; other states just take the new lists. inst must otherwise
// equal the running configuration; the caller checks that.
func (d *Driver) UpdateVIPs(ctx context.Context, inst *keepalivedconf.VRRPInstance) error {
	var vips []netip.Addr
	for _, v := range inst.VirtualIPs {
		vips = append(vips, v.Prefix.Addr())
	}
	probe := d.Config()
	probe.VIPs = vips
	if err := probe.Validate(); err != nil {
		return fmt.Errorf("vrrp_instance %s: %w", inst.Name, err)
	}
	inst = &keepalivedconf.VRRPInstance{Name: inst.Name, VirtualIPs: slices.Clone(inst.VirtualIPs),
		ExcludedVirtualIPs: slices.Clone(inst.ExcludedVirtualIPs)}
	return d.Inject(ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output {
		master := m.State() == vrrp.Master
		oldExcl := d.inst.ExcludedVirtualIPs
		out, err := m.SetVIPs(vips, now)
		if err != nil {
			d.logf("vrrp_instance %s: new VIPs refused: %v", d.inst.Name, err)
			return out
		}
		next := *d.inst
		for _, v := range d.inst.VirtualIPs {
			if !slices.ContainsFunc(inst.VirtualIPs, func(w keepalivedconf.VirtualIP) bool { return w.Prefix == v.Prefix }) {
				d.retired = append(d.retired, v)
			}
		}
		next.VirtualIPs, next.ExcludedVirtualIPs = inst.VirtualIPs, inst.ExcludedVirtualIPs
		d.inst = &next
		d.cfg.VIPs = m.Config().VIPs // events run with d.mu held
		if master {
			var gone, added []keepalivedconf.VirtualIP
			for _, v := range oldExcl {
				if !slices.Contains(inst.ExcludedVirtualIPs, v) {
					gone = append(gone, v)
				}
			}
			for _, v := range inst.ExcludedVirtualIPs {
				if !slices.Contains(oldExcl, v) {
					added = append(added, v)
				}
			}
			d.setAddrsQuiet(false, gone, false)
			d.setAddrsQuiet(true, added, false)
		}
		d.logf("vrrp_instance %s: VIPs now %v (reload, state kept)", d.inst.Name, vips)
		return out
	})
}

// Name is the vrrp_instance name.
func (d *Driver) Name() string { return d.inst.Name }

// Config returns the machine configuration in use.
func (d *Driver) Config() vrrp.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.cfg
	c.VIPs = slices.Clone(c.VIPs)
	return c
}

type packet struct {
	src, dst netip.Addr
	ttl      int
	payload  []byte
}

// Run starts the instance and runs it until ctx ends; then it performs the
// Shutdown event (a master sends priority 0 and removes its VIPs) and closes
// the socket. It returns nil after a graceful shutdown.
func (d *Driver) Run(ctx context.Context) error {
	defer d.close()
	pkts := make(chan packet, 64)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		d.readLoop(pkts, stop)
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()

	var timer *time.Timer
	var timerC <-chan time.Time
	var garp garpTimers
	defer garp.stop()
	var dropLogged [vrrp.NumDropReasons]time.Time
	apply := func(out vrrp.Output) {
		d.perform(out.Actions)
		garp.sync(d.State() == vrrp.Master, d.inst.GARP.MasterRefresh)
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		if !out.Deadline.IsZero() {
			// time.Now carries the monotonic reading; deadlines derived
			// from it keep it, so Until is immune to wall-clock steps.
			timer = time.NewTimer(max(time.Until(out.Deadline), 0))
			timerC = timer.C
		}
	}
	d.removeLeftovers()
	d.mu.Lock()
	out := d.m.Start(time.Now())
	d.mu.Unlock()
	d.logf("vrrp_instance %s: started on %s (VRID %d, priority %d, v%d, %s)", d.inst.Name, d.ifi.Name,
		d.cfg.VRID, d.cfg.Priority, d.cfg.Version, d.mode())
	apply(out)
	for {
		select {
		case <-ctx.Done():
			d.mu.Lock()
			out := d.m.Shutdown(time.Now())
			d.mu.Unlock()
			d.perform(out.Actions)
			if timer != nil {
				timer.Stop()
			}
			d.logf("vrrp_instance %s: stopped", d.inst.Name)
			return nil
		case p := <-pkts:
			d.mu.Lock()
			wasMaster := d.m.State() == vrrp.Master
			out, err := d.m.ReceivePacket(p.src, p.dst, p.payload, p.ttl, time.Now())
			lower := err == nil && wasMaster && d.m.State() == vrrp.Master && lowerPriority(p, d.m.Priority(), d.cfg.Address)
			if err != nil {
				if r := vrrp.ReasonOf(err); r >= 0 && r < vrrp.NumDropReasons {
					d.drops[r]++
				}
			}
			if err == nil {
				d.received++
			}
			d.mu.Unlock()
			if err != nil {
				// Log each reason at most every 10 s: a misconfigured peer
				// at 0.1 s adverts would flood the log (keepalived
				// rate-limits these too).
				r := vrrp.ReasonOf(err)
				if r != vrrp.DropOwnAdvert && r != vrrp.DropVRID {
					i := max(int(r), 0) % len(dropLogged)
					if now := time.Now(); dropLogged[i].IsZero() || now.Sub(dropLogged[i]) >= 10*time.Second {
						dropLogged[i] = now
						d.logf("vrrp_instance %s: dropped advert from %s: %v (further drops for this reason are counted, logged every 10 s)", d.inst.Name, p.src, err)
					}
				}
				continue
			}
			apply(out)
			if lower && d.inst.GARP.LowerPrioRepeat > 0 {
				// keepalived re-announces to a lower-priority
				// router that believes it is master, and again
				// after garp_lower_prio_delay.
				d.announce(d.announced(d.cfg.VIPs), d.inst.GARP.LowerPrioRepeat)
				if d.inst.GARP.LowerPrioDelay > 0 && garp.lower == nil {
					garp.lower = time.NewTimer(d.inst.GARP.LowerPrioDelay)
				}
			}
		case <-garp.refreshC():
			d.announce(d.announced(d.cfg.VIPs), d.inst.GARP.MasterRefreshRepeat)
		case <-garp.lowerC():
			garp.lower = nil
			d.announce(d.announced(d.cfg.VIPs), d.inst.GARP.LowerPrioRepeat)
		case <-timerC:
			timer, timerC = nil, nil
			d.mu.Lock()
			out := d.m.Tick(time.Now())
			d.mu.Unlock()
			apply(out)
		case ev := <-d.events:
			d.mu.Lock()
			out := ev(d.m, time.Now())
			d.mu.Unlock()
			apply(out)
		}
	}
}

// lowerPriority reports whether an accepted advert came from a router with
// a lower priority than ours (or equal priority and a lower address): the
// master's "lower priority" branch. Priority 0 (release) is not lower.
func lowerPriority(p packet, own uint8, addr netip.Addr) bool {
	if len(p.payload) < 3 || p.payload[2] == 0 {
		return false
	}
	prio := p.payload[2]
	return prio < own || prio == own && p.src.Compare(addr) < 0
}

func (d *Driver) mode() string {
	if len(d.peers) > 0 {
		return fmt.Sprintf("unicast from %s to %v", d.cfg.Address, d.peers)
	}
	return fmt.Sprintf("multicast from %s to %s", d.cfg.Address, d.group())
}

// group is the multicast destination of the instance's family.
func (d *Driver) group() netip.Addr {
	if d.cfg.Address.Is6() {
		return vrrp.MulticastIPv6
	}
	return vrrp.MulticastIPv4
}

func (d *Driver) close() {
	d.closed.Do(func() {
		if d.sock != nil {
			d.sock.close()
		}
		for _, s := range d.na {
			s.close()
		}
	})
}

// Close releases the socket of a driver whose Run was never called.
func (d *Driver) Close() { d.close() }

// readLoop reads adverts with their TTL/hop limit until stop is closed.
func (d *Driver) readLoop(out chan<- packet, stop <-chan struct{}) {
	buf := make([]byte, 65536)
	for {
		select {
		case <-stop:
			return
		default:
		}
		p, err := d.sock.recv(buf)
		if err != nil {
			if err == errRetry {
				continue
			}
			select {
			case <-stop:
				return
			default:
			}
			d.logf("vrrp_instance %s: receive: %v", d.inst.Name, err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		select {
		case out <- p:
		case <-stop:
			return
		}
	}
}

// parseIPv4 splits a received IPv4 datagram into addresses, TTL and payload.
func parseIPv4(b []byte) (packet, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return packet{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || len(b) < ihl || b[9] != vrrp.IPProto {
		return packet{}, false
	}
	if total > ihl && total < len(b) {
		b = b[:total]
	}
	return packet{
		src:     netip.AddrFrom4([4]byte(b[12:16])),
		dst:     netip.AddrFrom4([4]byte(b[16:20])),
		ttl:     int(b[8]),
		payload: append([]byte(nil), b[ihl:]...),
	}, true
}

// perform carries out the machine's actions in order, then reports the
// state changes to OnTransition.
func (d *Driver) perform(actions []vrrp.Action) {
	var changes []Transition
	defer func() {
		if d.onTransition != nil {
			for _, t := range changes {
				d.onTransition(t)
			}
		}
	}()
	for _, a := range actions {
		switch a.Kind {
		case vrrp.ActSendAdvert:
			d.sendAdvert(a.Advert)
			d.mu.Lock()
			d.sent++
			d.mu.Unlock()
		case vrrp.ActStateChange:
			now := time.Now()
			d.mu.Lock()
			d.lastTr = now
			prio := d.m.Priority()
			d.mu.Unlock()
			changes = append(changes, Transition{Instance: d.inst.Name, From: a.From, To: a.To, Priority: prio, At: now})
			d.logf("vrrp_instance %s: entering %s state (from %s)", d.inst.Name, a.To, a.From)
		case vrrp.ActAddVIPs:
			d.setAddrs(true, d.virtualIPs(a.Addrs))
		case vrrp.ActRemoveVIPs:
			d.setAddrs(false, d.virtualIPs(a.Addrs))
		case vrrp.ActAnnounce:
			d.announce(d.announced(a.Addrs), d.inst.GARP.MasterRepeat)
		}
	}
}

func (d *Driver) sendAdvert(a vrrp.Advert) {
	dsts := d.peers
	if len(dsts) == 0 {
		dsts = []netip.Addr{d.group()}
	}
	for _, dst := range dsts {
		b, err := vrrp.Encode(a, d.cfg.Address, dst)
		if err != nil {
			d.logf("vrrp_instance %s: encode advert: %v", d.inst.Name, err)
			return
		}
		if err := d.sock.send(b, dst); err != nil {
			d.logf("vrrp_instance %s: send advert to %s: %v", d.inst.Name, dst, err)
		}
	}
}

// virtualIPs returns the configuration lines of the machine's VIPs
// followed by the excluded VIPs, which move with them but are not
// advertised.
func (d *Driver) virtualIPs(addrs []netip.Addr) []keepalivedconf.VirtualIP {
	var out []keepalivedconf.VirtualIP
	for _, a := range addrs {
		out = append(out, d.virtualIP(a))
	}
	return append(out, d.inst.ExcludedVirtualIPs...)
}

// GratuitousARP builds the Ethernet frame of a gratuitous ARP request for ip
// from mac, as keepalived sends it (broadcast, sender = target = ip).
func GratuitousARP(mac net.HardwareAddr, ip netip.Addr) []byte {
	f := make([]byte, 0, 42)
	f = append(f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	f = append(f, mac[:6]...)
	f = append(f, 0x08, 0x06)                // ARP
	f = append(f, 0, 1, 0x08, 0, 6, 4, 0, 1) // Ethernet, IPv4, request
	a := ip.As4()
	f = append(f, mac[:6]...)
	f = append(f, a[:]...)
	f = append(f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	f = append(f, a[:]...)
	return f
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
