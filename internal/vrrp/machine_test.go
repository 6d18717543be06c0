package vrrp

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

var (
	t0     = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	addrA  = netip.MustParseAddr("10.0.0.1")
	addrB  = netip.MustParseAddr("10.0.0.2")
	addrC  = netip.MustParseAddr("10.0.0.3")
	vip    = netip.MustParseAddr("10.0.0.100")
	sec    = time.Second
	skew2  = func(p int) time.Duration { return time.Duration(256-p) * sec / 256 }
	mdi2   = func(p int) time.Duration { return 3*sec + skew2(p) }
	mdi100 = mdi2(100) // 3.609375 s
)

func baseConfig() Config {
	return Config{VRID: 51, Priority: 100, AdvertInterval: sec, Version: 2,
		Address: addrA, VIPs: []netip.Addr{vip}, Auth: AuthPass, Pass: "1111"}
}

func newMachine(t *testing.T, f func(*Config)) *Machine {
	t.Helper()
	c := baseConfig()
	if f != nil {
		f(&c)
	}
	m, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// An event applied to a machine at a time.
type event struct {
	name string
	do   func(m *Machine, now time.Time) (Output, error)
}

func start() event {
	return event{"start", func(m *Machine, now time.Time) (Output, error) { return m.Start(now), nil }}
}
func shutdown() event {
	return event{"shutdown", func(m *Machine, now time.Time) (Output, error) { return m.Shutdown(now), nil }}
}
func tick() event {
	return event{"tick", func(m *Machine, now time.Time) (Output, error) { return m.Tick(now), nil }}
}
func fault(f bool) event {
	return event{"fault", func(m *Machine, now time.Time) (Output, error) { return m.SetFault(f, now), nil }}
}
func setPrio(p int) event {
	return event{"prio", func(m *Machine, now time.Time) (Output, error) { return m.SetPriority(p, now), nil }}
}

// rx delivers a well-formed advert (as the peer would send it) from src with
// the given priority, through the codec.
func rx(src netip.Addr, prio uint8) event {
	return rxMod(src, prio, nil)
}

func rxMod(src netip.Addr, prio uint8, f func(*Advert)) event {
	return event{"rx", func(m *Machine, now time.Time) (Output, error) {
		a := m.Advert(prio)
		if f != nil {
			f(&a)
		}
		b, err := Encode(a, src, MulticastIPv4)
		if err != nil {
			panic(err)
		}
		return m.ReceivePacket(src, MulticastIPv4, b, TTL, now)
	}}
}

type step struct {
	at    time.Duration
	ev    event
	state State
	acts  string        // actions rendered with Action.String, space separated
	next  time.Duration // deadline relative to t0; 0 = no timer; -1 = not checked
	drop  DropReason
}

func run(t *testing.T, m *Machine, steps []step) {
	t.Helper()
	for i, s := range steps {
		out, err := s.ev.do(m, t0.Add(s.at))
		if got := ReasonOf(err); got != s.drop {
			t.Fatalf("step %d (%s at %v): drop %v (%v), want %v", i, s.ev.name, s.at, got, err, s.drop)
		}
		if m.State() != s.state {
			t.Fatalf("step %d (%s at %v): state %v, want %v", i, s.ev.name, s.at, m.State(), s.state)
		}
		var acts []string
		for _, a := range out.Actions {
			acts = append(acts, a.String())
		}
		if got := strings.Join(acts, " "); got != s.acts {
			t.Fatalf("step %d (%s at %v): actions %q, want %q", i, s.ev.name, s.at, got, s.acts)
		}
		if s.next >= 0 {
			var want time.Time
			if s.next > 0 {
				want = t0.Add(s.next)
			}
			if !out.Deadline.Equal(want) {
				t.Fatalf("step %d (%s at %v): deadline %v, want %v", i, s.ev.name, s.at,
					out.Deadline.Sub(t0), s.next)
			}
		}
	}
}

const becomeMaster = "state(BACKUP->MASTER) send-advert(prio=100) add-vips announce"

func TestTimerFormulas(t *testing.T) {
	for _, tc := range []struct {
		ver       uint8
		interval  time.Duration
		prio      uint8
		skew, mdi time.Duration
	}{
		// lvs-keepalived.md failover table.
		{2, sec, 100, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{2, sec, 254, 7812500, 3007812500},
		{2, 3 * sec, 100, 609375 * time.Microsecond, 9609375 * time.Microsecond}, // v2 skew ignores the interval
		{3, sec, 100, 609375 * time.Microsecond, 3609375 * time.Microsecond},
		{3, 500 * time.Millisecond, 100, 304687500, 1804687500},
		{3, 100 * time.Millisecond, 100, 60937500, 360937500},
		{3, 50 * time.Millisecond, 100, 30468750, 180468750},
		{3, sec, 255, 3906250, 3003906250}, // owner: skew with 255
	} {
		m := newMachine(t, func(c *Config) {
			c.Version, c.AdvertInterval, c.Priority = tc.ver, tc.interval, tc.prio
			if tc.ver == 3 {
				c.Auth = AuthNone
			}
		})
		if m.SkewTime() != tc.skew || m.MasterDownInterval() != tc.mdi {
			t.Errorf("v%d %v prio %d: skew %v mdi %v, want %v %v", tc.ver, tc.interval, tc.prio,
				m.SkewTime(), m.MasterDownInterval(), tc.skew, tc.mdi)
		}
	}
}

// keepalived: "state MASTER" still starts in BACKUP and claims the VIPs only
// when Master_Down_Timer fires (3.6 s at v2/1 s). Becoming master sends an
// advert first, then adds the VIPs and announces them.
func TestStartMasterStartsAsBackup(t *testing.T) {
	m := newMachine(t, func(c *Config) { c.StateMaster = true })
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{mdi100 - 1, tick(), Backup, "", mdi100, 0},
		{mdi100, tick(), Master, becomeMaster, mdi100 + sec, 0},
		{mdi100 + sec, tick(), Master, "send-advert(prio=100)", mdi100 + 2*sec, 0},
	})
}

// RFC 5798 §6.4.1: if the Priority is 255 (owner), transition to Master at once.
func TestOwnerBecomesMasterAtStartup(t *testing.T) {
	m := newMachine(t, func(c *Config) { c.Priority = 255 })
	run(t, m, []step{
		{0, start(), Master, "state(INIT->MASTER) send-advert(prio=255) add-vips announce", sec, 0},
		// The owner's priority cannot be changed by tracking.
		{sec / 2, setPrio(50), Master, "", sec, 0},
	})
	if m.Priority() != 255 {
		t.Fatal(m.Priority())
	}
}

// RFC 5798 §6.4.2: a backup receiving priority 0 sets Master_Down_Timer to Skew_Time.
func TestBackupPriorityZeroWaitsSkew(t *testing.T) {
	m := newMachine(t, nil)
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{sec, rx(addrB, 200), Backup, "", sec + mdi100, 0},
		{2 * sec, rx(addrB, 0), Backup, "", 2*sec + skew2(100), 0},
		{2*sec + skew2(100), tick(), Master, becomeMaster, -1, 0},
	})
}

// §6.4.2: an advert with priority >= local (or preemption off) resets the
// down timer; a lower one with preemption on is discarded, so we preempt.
func TestBackupPreemptsLowerPriority(t *testing.T) {
	m := newMachine(t, nil)
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{sec, rx(addrB, 100), Backup, "", sec + mdi100, 0}, // equal: accepted
		{2 * sec, rx(addrB, 50), Backup, "", sec + mdi100, 0},
		{3 * sec, rx(addrB, 50), Backup, "", sec + mdi100, 0},
		{sec + mdi100, tick(), Master, becomeMaster, -1, 0},
	})
}

func TestBackupNoPreemptAcceptsLowerPriority(t *testing.T) {
	m := newMachine(t, func(c *Config) { c.NoPreempt = true })
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{sec, rx(addrB, 50), Backup, "", sec + mdi100, 0},
		{2 * sec, rx(addrB, 50), Backup, "", 2*sec + mdi100, 0},
	})
}

// keepalived preempt_delay: lower-priority adverts are accepted until the
// delay (started at startup or on the first lower advert) expires.
func TestPreemptDelay(t *testing.T) {
	m := newMachine(t, func(c *Config) { c.PreemptDelay = 5 * sec })
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{sec, rx(addrB, 50), Backup, "", sec + mdi100, 0},
		{4 * sec, rx(addrB, 50), Backup, "", 4*sec + mdi100, 0},
		{5 * sec, rx(addrB, 50), Backup, "", 4*sec + mdi100, 0}, // delay over: discarded
		{4*sec + mdi100, tick(), Master, becomeMaster, -1, 0},
	})
	// Without the startup window, the delay starts at the first lower advert.
	m = newMachine(t, func(c *Config) { c.PreemptDelay = 5 * sec })
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{sec, rx(addrB, 200), Backup, "", sec + mdi100, 0}, // higher: clears the startup delay
		{2 * sec, rx(addrB, 50), Backup, "", 2*sec + mdi100, 0},
		{6 * sec, rx(addrB, 50), Backup, "", 6*sec + mdi100, 0},
		{7 * sec, rx(addrB, 50), Backup, "", 6*sec + mdi100, 0},
	})
}

func masterAt(t *testing.T, f func(*Config)) *Machine {
	t.Helper()
	m := newMachine(t, f)
	m.Start(t0)
	m.Tick(t0.Add(m.MasterDownInterval()))
	if m.State() != Master {
		t.Fatal("not master")
	}
	return m
}

// §6.4.3: higher priority, or equal priority and a greater primary address,
// makes the master step down; otherwise keepalived answers with an advert.
func TestMasterReceivesAdverts(t *testing.T) {
	const at = 10 * time.Second
	stepDown := "remove-vips state(MASTER->BACKUP)"
	for _, tc := range []struct {
		name  string
		f     func(*Config)
		src   netip.Addr
		prio  uint8
		state State
		acts  string
		next  time.Duration
	}{
		{"higher priority", nil, addrB, 101, Backup, stepDown, at + mdi100},
		{"equal priority, higher address", nil, addrB, 100, Backup, stepDown, at + mdi100},
		{"equal priority, lower address", func(c *Config) { c.Address = addrC }, addrB, 100, Master, "send-advert(prio=100)", at + sec},
		{"lower priority", nil, addrB, 99, Master, "send-advert(prio=100)", at + sec},
		{"lower priority, lower_prio_no_advert", func(c *Config) { c.LowerPrioNoAdvert = true }, addrB, 99, Master, "", -1},
		{"priority 0", nil, addrB, 0, Master, "send-advert(prio=100)", at + sec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := masterAt(t, tc.f)
			run(t, m, []step{{at, rx(tc.src, tc.prio), tc.state, tc.acts, tc.next, 0}})
		})
	}
}

// §6.4.3 Shutdown: a master sends an advert with priority 0 and removes VIPs.
func TestShutdownAndFault(t *testing.T) {
	m := masterAt(t, nil)
	run(t, m, []step{
		{5 * sec, shutdown(), Init, "send-advert(prio=0) remove-vips state(MASTER->INIT)", 0, 0},
		{6 * sec, rx(addrB, 200), Init, "", 0, DropNotRunning},
		{7 * sec, start(), Backup, "state(INIT->BACKUP)", 7*sec + mdi100, 0},
		{8 * sec, fault(true), Fault, "state(BACKUP->FAULT)", 0, 0},
		{9 * sec, fault(false), Backup, "state(FAULT->BACKUP)", 9*sec + mdi100, 0},
		{9*sec + mdi100, tick(), Master, becomeMaster, -1, 0},
		{20 * sec, fault(true), Fault, "send-advert(prio=0) remove-vips state(MASTER->FAULT)", 0, 0},
	})
}

// RFC 5798 §6.4.2: a v3 backup sets Master_Adver_Interval to the advert's
// interval and recomputes Skew_Time and Master_Down_Interval.
func TestV3BackupAdoptsMasterInterval(t *testing.T) {
	m := newMachine(t, func(c *Config) { c.Version, c.Auth, c.AdvertInterval = 3, AuthNone, 100*time.Millisecond })
	own := m.MasterDownInterval() // 0.3609 s
	slow := 3*sec + skew2(100)    // with a 1 s master interval
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", own, 0},
		{sec / 10, rxMod(addrB, 200, func(a *Advert) { a.Interval = sec }), Backup, "", sec/10 + slow, 0},
	})
	if m.MasterAdverInterval() != sec {
		t.Fatal(m.MasterAdverInterval())
	}
	// Becoming master goes back to the configured interval.
	run(t, m, []step{{sec/10 + slow, tick(), Master, becomeMaster, sec/10 + slow + sec/10, 0}})
}

// A v2 backup drops adverts whose interval differs from its own.
func TestV2IntervalMismatchDropped(t *testing.T) {
	m := newMachine(t, nil)
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{sec, rxMod(addrB, 200, func(a *Advert) { a.Interval = 2 * sec }), Backup, "", mdi100, DropInterval},
	})
}

func TestReceiveChecks(t *testing.T) {
	m := newMachine(t, nil)
	m.Start(t0)
	for _, tc := range []struct {
		name string
		ev   event
		want DropReason
	}{
		{"vrid", rxMod(addrB, 200, func(a *Advert) { a.VRID = 52 }), DropVRID},
		{"auth type", rxMod(addrB, 200, func(a *Advert) { a.AuthType = AuthNone }), DropAuthType},
		{"password", rxMod(addrB, 200, func(a *Advert) { a.AuthData = PassData("2222") }), DropAuthPass},
		{"address count", rxMod(addrB, 200, func(a *Advert) { a.Addrs = append(a.Addrs, addrC) }), DropAddrCount},
		{"address list", rxMod(addrB, 200, func(a *Advert) { a.Addrs = []netip.Addr{addrC} }), DropAddrList},
		{"own advert", rx(addrA, 200), DropOwnAdvert},
		{"version", rxMod(addrB, 200, func(a *Advert) { a.Version = 3; a.AuthType = 0; a.AuthData = [8]byte{} }), DropVersion},
		{"ttl", event{"rx ttl 64", func(m *Machine, now time.Time) (Output, error) {
			b, _ := Encode(m.Advert(200), addrB, MulticastIPv4)
			return m.ReceivePacket(addrB, MulticastIPv4, b, 64, now)
		}}, DropTTL},
		{"checksum", event{"rx bad", func(m *Machine, now time.Time) (Output, error) {
			b, _ := Encode(m.Advert(200), addrB, MulticastIPv4)
			b[7]++
			return m.ReceivePacket(addrB, MulticastIPv4, b, TTL, now)
		}}, DropChecksum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, m, []step{{sec, tc.ev, Backup, "", mdi100, tc.want}})
		})
	}
	// Unicast skips the TTL check; skip_check_adv_addr skips the VIP list.
	m = newMachine(t, func(c *Config) { c.Unicast, c.SkipCheckAdvAddr = true, true })
	m.Start(t0)
	b, _ := Encode(Advert{Version: 2, VRID: 51, Priority: 200, Interval: sec, AuthType: AuthPass,
		AuthData: PassData("1111"), Addrs: []netip.Addr{addrC}}, addrB, addrA)
	if _, err := m.ReceivePacket(addrB, addrA, b, 64, t0.Add(sec)); err != nil {
		t.Fatal(err)
	}
}

// The keepalived capture decodes and passes the instance checks of the
// matching configuration.
func TestKeepalivedPacketAccepted(t *testing.T) {
	for _, v := range []struct {
		hex string
		f   func(*Config)
	}{
		{kaV2Pass, nil},
		{kaV3, func(c *Config) { c.Version, c.Auth, c.AdvertInterval = 3, AuthNone, 100*time.Millisecond }},
	} {
		m := newMachine(t, func(c *Config) {
			c.Address, c.VIPs, c.Unicast = kaDst, []netip.Addr{kaVIP}, true
			if v.f != nil {
				v.f(c)
			}
		})
		m.Start(t0)
		out, err := m.ReceivePacket(kaSrc, kaDst, unhex(t, v.hex), TTL, t0.Add(sec/10))
		if err != nil || len(out.Actions) != 0 || m.State() != Backup {
			t.Fatalf("%v %v %v", err, out.Actions, m.State())
		}
	}
}

func TestSetPriority(t *testing.T) {
	m := masterAt(t, nil)
	at := mdi100 + sec/2
	run(t, m, []step{
		{at, setPrio(80), Master, "send-advert(prio=80)", at + sec, 0},
		{at, setPrio(80), Master, "", at + sec, 0},
		{at, setPrio(300), Master, "send-advert(prio=254)", at + sec, 0}, // never 255
		{at, setPrio(-5), Master, "send-advert(prio=1)", at + sec, 0},
	})
}

// keepalived sends a second batch of gratuitous ARPs garp_master_delay later.
func TestGarpMasterDelay(t *testing.T) {
	m := newMachine(t, func(c *Config) { c.Priority, c.GarpMasterDelay = 255, 5*sec/2 })
	run(t, m, []step{
		{0, start(), Master, "state(INIT->MASTER) send-advert(prio=255) add-vips announce", sec, 0},
		{sec, tick(), Master, "send-advert(prio=255)", 2 * sec, 0},
		{2 * sec, tick(), Master, "send-advert(prio=255)", 5 * sec / 2, 0},
		{5 * sec / 2, tick(), Master, "announce", 3 * sec, 0},
	})
}

func TestConfigValidate(t *testing.T) {
	for name, f := range map[string]func(*Config){
		"version":     func(c *Config) { c.Version = 1 },
		"vrid":        func(c *Config) { c.VRID = 0 },
		"priority 0":  func(c *Config) { c.Priority = 0 },
		"no address":  func(c *Config) { c.Address = netip.Addr{} },
		"no vips":     func(c *Config) { c.VIPs = nil },
		"v2 ipv6":     func(c *Config) { c.Address = netip.MustParseAddr("fe80::1") },
		"v2 half sec": func(c *Config) { c.AdvertInterval = 1500 * time.Millisecond },
		"v3 auth":     func(c *Config) { c.Version = 3 },
		"AH":          func(c *Config) { c.Auth = AuthAH },
		"v3 interval": func(c *Config) { c.Version, c.Auth, c.AdvertInterval = 3, 0, 41*sec },
		"vip family":  func(c *Config) { c.VIPs = []netip.Addr{netip.MustParseAddr("::1")} },
	} {
		c := baseConfig()
		f(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// §6.4.2 Shutdown from Backup: cancel Master_Down_Timer, go to Initialize
// (no advert). §6.4.3: a v3 master stepping down adopts the new master's
// interval for its Master_Down_Interval.
func TestBackupShutdownAndV3StepDownInterval(t *testing.T) {
	m := newMachine(t, nil)
	run(t, m, []step{
		{0, start(), Backup, "state(INIT->BACKUP)", mdi100, 0},
		{sec, shutdown(), Init, "state(BACKUP->INIT)", 0, 0},
		{2 * sec, tick(), Init, "", 0, 0},
	})
	m = masterAt(t, func(c *Config) { c.Version, c.Auth, c.AdvertInterval = 3, AuthNone, sec })
	at := 10 * sec
	run(t, m, []step{
		{at, rxMod(addrB, 200, func(a *Advert) { a.Interval = 2 * sec }), Backup,
			"remove-vips state(MASTER->BACKUP)", at + 6*sec + skew2(100)*2, 0},
	})
}
