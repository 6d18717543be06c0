package vrrp

import (
	"net/netip"
	"strings"
	"testing"
)

// reasonOf returns the reason of the only state change in out.
func reasonOf(t *testing.T, out Output) string {
	t.Helper()
	var rs []string
	for _, a := range out.Actions {
		if a.Kind == ActStateChange {
			rs = append(rs, a.Reason)
		}
	}
	if len(rs) != 1 {
		t.Fatalf("%d state changes in %v, want 1", len(rs), out.Actions)
	}
	return rs[0]
}

func TestScenarioTransitionsCarryReasons(t *testing.T) {
	// Given a backup that has heard master B.
	m := newMachine(t, nil)
	if got := reasonOf(t, m.Start(t0)); got != "startup" {
		t.Errorf("start reason %q", got)
	}
	if _, err := m.Receive(addrB, m.Advert(120), TTL, t0.Add(sec)); err != nil {
		t.Fatal(err)
	}
	if m.MasterAddr() != addrB {
		t.Errorf("master address %v, want %v", m.MasterAddr(), addrB)
	}
	// When B goes silent, then the down timer makes us master, and says so.
	out := m.Tick(t0.Add(sec + mdi100))
	if got := reasonOf(t, out); got != "master down timer expired" {
		t.Errorf("takeover reason %q", got)
	}
	if m.MasterAddr() != addrA {
		t.Errorf("master address %v, want own %v", m.MasterAddr(), addrA)
	}
	if lc := m.LastChanges(); len(lc) != 1 || lc[0].To != Master {
		t.Errorf("LastChanges %v", lc)
	}
	// When C advertises a higher priority, then we yield, naming C.
	out, err := m.Receive(addrC, m.Advert(200), TTL, t0.Add(6*sec))
	if err != nil {
		t.Fatal(err)
	}
	if got := reasonOf(t, out); got != "higher priority advert from 10.0.0.3 (priority 200 > 100)" {
		t.Errorf("yield reason %q", got)
	}
	if m.MasterAddr() != addrC {
		t.Errorf("master address %v, want %v", m.MasterAddr(), addrC)
	}
	// When C releases with priority 0, then we take over after skew, saying why.
	if _, err := m.Receive(addrC, m.Advert(0), TTL, t0.Add(7*sec)); err != nil {
		t.Fatal(err)
	}
	if m.MasterAddr().IsValid() {
		t.Errorf("master address %v after priority 0, want none", m.MasterAddr())
	}
	if got := reasonOf(t, m.Tick(t0.Add(7*sec+skew2(100)))); got != "priority 0 advert from 10.0.0.3" {
		t.Errorf("release takeover reason %q", got)
	}
	// When a tracked script fails, then FAULT carries its name.
	out = m.EnterFault("tracked script chk_x failed", t0.Add(8*sec))
	if got := reasonOf(t, out); got != "tracked script chk_x failed" || m.State() != Fault {
		t.Errorf("fault: state %v reason %q", m.State(), got)
	}
	if out.Actions[0].Kind != ActSendAdvert || out.Actions[0].Advert.Priority != 0 {
		t.Errorf("a master entering FAULT must release with priority 0 first: %v", out.Actions)
	}
	if got := reasonOf(t, m.LeaveFault("tracked script chk_x succeeded", t0.Add(9*sec))); got != "tracked script chk_x succeeded" || m.State() != Backup {
		t.Errorf("leave fault: state %v reason %q", m.State(), got)
	}
	if got := reasonOf(t, m.Shutdown(t0.Add(10*sec))); got != "shutdown" {
		t.Errorf("shutdown reason %q", got)
	}
}

func TestScenarioSyncGroupForcesMaster(t *testing.T) {
	// Given a backup waiting for its down timer.
	m := newMachine(t, nil)
	m.Start(t0)
	// When its sync group forces it to master, then it becomes master now,
	// with the usual advert, VIPs and announce, and the group as reason.
	out := m.ForceMaster("sync group G", t0.Add(sec))
	if m.State() != Master || reasonOf(t, out) != "sync group G" {
		t.Fatalf("state %v, actions %v", m.State(), out.Actions)
	}
	if got := actions(out); got != becomeMaster {
		t.Errorf("actions %q, want %q", got, becomeMaster)
	}
	if !out.Deadline.Equal(t0.Add(2 * sec)) {
		t.Errorf("deadline %v, want the next advert at 2s", out.Deadline.Sub(t0))
	}
	// When forced again, nothing happens.
	if out := m.ForceMaster("sync group G", t0.Add(sec)); len(out.Actions) != 0 {
		t.Errorf("second ForceMaster acted: %v", out.Actions)
	}
}

func TestScenarioSyncGroupForcesBackup(t *testing.T) {
	// Given a master.
	m := masterAt(t, nil)
	now := t0.Add(10 * sec)
	// When its sync group forces it back, then it removes the VIPs without
	// a priority 0 advert (the peer group is taking over) and starts its
	// master-down timer.
	out := m.ForceBackup("sync group G", now)
	if m.State() != Backup || reasonOf(t, out) != "sync group G" {
		t.Fatalf("state %v, actions %v", m.State(), out.Actions)
	}
	if got := actions(out); got != "remove-vips state(MASTER->BACKUP)" {
		t.Errorf("actions %q", got)
	}
	if !out.Deadline.Equal(now.Add(mdi100)) {
		t.Errorf("deadline %v, want master down interval", out.Deadline.Sub(now))
	}
	// A faulty machine is not forced anywhere.
	f := newMachine(t, nil)
	f.Start(t0)
	f.SetFault(true, t0)
	if out := f.ForceMaster("sync group G", t0.Add(sec)); len(out.Actions) != 0 || f.State() != Fault {
		t.Errorf("ForceMaster moved a FAULT machine: %v", out.Actions)
	}
	if out := f.ForceBackup("sync group G", t0.Add(sec)); len(out.Actions) != 0 || f.State() != Fault {
		t.Errorf("ForceBackup moved a FAULT machine: %v", out.Actions)
	}
}

func TestPendingKeepsDeadline(t *testing.T) {
	m := newMachine(t, nil)
	m.Start(t0)
	out := m.Pending()
	if len(out.Actions) != 0 || !out.Deadline.Equal(t0.Add(mdi100)) {
		t.Errorf("Pending = %v, deadline %v", out.Actions, out.Deadline.Sub(t0))
	}
	if (netip.Addr{}) != m.MasterAddr() {
		t.Errorf("no master known yet, got %v", m.MasterAddr())
	}
}

func actions(out Output) string {
	s := ""
	for i, a := range out.Actions {
		if i > 0 {
			s += " "
		}
		s += a.String()
	}
	return s
}

func TestScenarioSyncGateHoldsUntilEveryMemberWants(t *testing.T) {
	// Given two members of one sync group, both backups, and a master
	// still advertising for the second one's VRID.
	g := NewSyncGate([]string{"VI_1", "VI_2"})
	a, b := newMachine(t, nil), newMachine(t, func(c *Config) { c.VRID = 52 })
	a.SetSyncGate(g, "VI_1", t0)
	b.SetSyncGate(g, "VI_2", t0)
	a.Start(t0)
	b.Start(t0)
	// When the first member's down timer expires, then it is held in
	// BACKUP with no timer: the group does not go master yet.
	out := a.Tick(t0.Add(mdi100))
	if a.State() != Backup || !a.Held() || len(out.Actions) != 0 || !out.Deadline.IsZero() {
		t.Fatalf("first member: state %v held %v actions %v deadline %v", a.State(), a.Held(), out.Actions, out.Deadline)
	}
	// When the second member hears a master (120 > 100), it does not want
	// master, and its timer restarts.
	peer := newMachine(t, func(c *Config) { c.VRID = 52 })
	if _, err := b.Receive(addrB, peer.Advert(120), TTL, t0.Add(2*sec)); err != nil {
		t.Fatal(err)
	}
	// When that master goes silent and the second timer expires, then the
	// second member becomes master (every member wants it) and names the group.
	out = b.Tick(t0.Add(2*sec + mdi100))
	if b.State() != Master || !strings.Contains(reasonOf(t, out), "sync group: every member wants MASTER") {
		t.Fatalf("second member: state %v actions %v", b.State(), out.Actions)
	}
	// (The director then forces the held first member to master.)
	if a.ForceMaster("sync group G: VI_2 is MASTER", t0.Add(6*sec)); a.State() != Master || a.Held() {
		t.Errorf("held member not forced: %v", a.State())
	}
}

func TestScenarioSyncGateHeldMemberHearsMaster(t *testing.T) {
	// Given a held member.
	g := NewSyncGate([]string{"VI_1", "VI_2"})
	a := newMachine(t, nil)
	a.SetSyncGate(g, "VI_1", t0)
	a.Start(t0)
	a.Tick(t0.Add(mdi100))
	if !a.Held() {
		t.Fatal("not held")
	}
	// When a master's advert arrives, then it stops wanting master and
	// its timer runs again.
	out, err := a.Receive(addrB, a.Advert(120), TTL, t0.Add(5*sec))
	if err != nil {
		t.Fatal(err)
	}
	if a.Held() || !out.Deadline.Equal(t0.Add(5*sec+mdi100)) {
		t.Errorf("held %v deadline %v", a.Held(), out.Deadline.Sub(t0))
	}
	if g.Want("VI_2", true) {
		t.Error("VI_1 still counted as wanting master")
	}
	g.Want("VI_2", false)
	// When its group goes away (reload), a held member decides alone.
	a.Tick(t0.Add(5*sec + mdi100))
	if !a.Held() {
		t.Fatal("not held again")
	}
	if out := a.SetSyncGate(nil, "", t0.Add(10*sec)); a.State() != Master || len(out.Actions) == 0 {
		t.Errorf("ungated held member: state %v", a.State())
	}
}

func TestScenarioSyncGateMemberFollowsAMaster(t *testing.T) {
	// Given a group whose first member is already master (e.g. the second
	// was added by a reload).
	g := NewSyncGate([]string{"VI_1", "VI_2"})
	a := masterAt(t, nil)
	a.SetSyncGate(g, "VI_1", t0.Add(5*sec))
	b := newMachine(t, func(c *Config) { c.VRID = 52 })
	b.SetSyncGate(g, "VI_2", t0.Add(5*sec))
	b.Start(t0.Add(5 * sec))
	// When the new member's down timer expires, then it becomes master:
	// a master member counts as wanting.
	b.Tick(t0.Add(5*sec + mdi100))
	if b.State() != Master {
		t.Errorf("new member %v, held %v", b.State(), b.Held())
	}
	// When the first member falls back (forced by the group), it no longer
	// counts: a fresh backup in the group is held again.
	a.ForceBackup("sync group G", t0.Add(10*sec))
	b.ForceBackup("sync group G", t0.Add(10*sec))
	b.Tick(t0.Add(10*sec + mdi100))
	if b.State() != Backup || !b.Held() {
		t.Errorf("after both fell back: %v held %v", b.State(), b.Held())
	}
}

func TestScenarioSetVIPsKeepsMaster(t *testing.T) {
	// Given a master holding one VIP.
	m := masterAt(t, nil)
	now := t0.Add(10 * sec)
	vip2 := netip.MustParseAddr("10.0.0.101")
	// When a reload adds a second VIP, then the master stays master, adds
	// and announces only the new one, and advertises both at once.
	out, err := m.SetVIPs([]netip.Addr{vip, vip2}, now)
	if err != nil {
		t.Fatal(err)
	}
	if m.State() != Master || actions(out) != "add-vips announce send-advert(prio=100)" {
		t.Fatalf("state %v actions %q", m.State(), actions(out))
	}
	if len(out.Actions[0].Addrs) != 1 || out.Actions[0].Addrs[0] != vip2 || len(out.Actions[2].Advert.Addrs) != 2 {
		t.Errorf("added %v, advert carries %v", out.Actions[0].Addrs, out.Actions[2].Advert.Addrs)
	}
	// When the first VIP is dropped, then only it is removed.
	out, _ = m.SetVIPs([]netip.Addr{vip2}, now.Add(sec))
	if actions(out) != "remove-vips send-advert(prio=100)" || out.Actions[0].Addrs[0] != vip {
		t.Errorf("actions %q %v", actions(out), out.Actions)
	}
	// An invalid list (IPv6 in a v2 instance) is refused and changes nothing.
	if _, err := m.SetVIPs([]netip.Addr{netip.MustParseAddr("fe80::1")}, now); err == nil || len(m.Config().VIPs) != 1 {
		t.Errorf("bad list: %v, VIPs %v", err, m.Config().VIPs)
	}
	// A backup only takes the list.
	b := newMachine(t, nil)
	b.Start(t0)
	if out, _ := b.SetVIPs([]netip.Addr{vip, vip2}, t0); len(out.Actions) != 0 || len(b.Config().VIPs) != 2 {
		t.Errorf("backup: %v", out.Actions)
	}
}
