package director

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/vrrp"
	"github.com/shardcat/shardcat/internal/vrrp/track"
)

func parse(t *testing.T, text string) *keepalivedconf.Config {
	t.Helper()
	cfg, findings, err := keepalivedconf.Parse("test.conf", []byte(text), keepalivedconf.Options{})
	if err != nil {
		t.Fatalf("%v %v", err, findings)
	}
	return cfg
}

// vrids gives each instance name its own virtual_router_id, the same in
// every config of a test.
var vrids = map[string]int{}

func inst(name, extra string) string {
	if vrids[name] == 0 {
		vrids[name] = len(vrids) + 1
	}
	return fmt.Sprintf("vrrp_instance %s {\n interface eth0\n virtual_router_id %d\n priority 100\n virtual_ipaddress {\n 10.0.0.100/24\n }\n%s}\n", name, vrids[name], extra)
}

const scripts = `vrrp_script chk_a {
  script "/bin/true"
  weight -50
}
vrrp_script chk_b {
  script "/bin/false"
}
`

func TestScenarioReloadPlan(t *testing.T) {
	// Given a running config with three instances and two scripts.
	old := parse(t, scripts+inst("VI_keep", " track_script {\n chk_a\n }\n")+inst("VI_vip", "")+inst("VI_gone", ""))
	// When the new config changes only tracking and notify of VI_keep, adds
	// a VIP to VI_vip, drops VI_gone, adds VI_new and changes chk_b.
	cur := parse(t, strings.Replace(scripts, `"/bin/false"`, `"/bin/false x"`, 1)+
		inst("VI_keep", " track_script {\n chk_b weight 10\n }\n notify_master /bin/true\n smtp_alert\n")+
		strings.Replace(inst("VI_vip", ""), "10.0.0.100/24\n", "10.0.0.100/24\n 10.0.0.101/24\n", 1)+
		inst("VI_new", ""))
	// Position changes alone (the file moved lines around) change nothing.
	cur.Instances[0].Pos.Line += 7
	d := Plan(old, cur, nil, nil)
	// Then VI_keep keeps running, VI_vip keeps running with the new VIP
	// list, VI_gone stops, VI_new starts; chk_a is kept and chk_b restarts.
	want := Diff{
		KeepInstances:   []string{"VI_keep"},
		UpdateInstances: []string{"VI_vip"},
		StartInstances:  []string{"VI_new"},
		StopInstances:   []string{"VI_gone"},
		KeepScripts:     []string{"chk_a"},
		StartScripts:    []string{"chk_b"},
		StopScripts:     []string{"chk_b"},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("Plan =\n%+v\nwant\n%+v", d, want)
	}
	// A VIP change together with another driver setting restarts it.
	cur3 := parse(t, scripts+strings.Replace(strings.Replace(inst("VI_vip", ""), "10.0.0.100/24\n", "10.0.0.102/24\n", 1), "priority", "nopreempt\n priority", 1))
	if d := Plan(parse(t, scripts+inst("VI_vip", "")), cur3, nil, nil); len(d.UpdateInstances) != 0 || len(d.StartInstances) != 1 {
		t.Errorf("VIP and nopreempt change: %+v", d)
	}
	// Script security changes restart every script runner.
	cur2 := parse(t, "global_defs {\n enable_script_security\n}\n"+scripts)
	if d := Plan(parse(t, scripts), cur2, nil, nil); len(d.KeepScripts) != 0 || len(d.StartScripts) != 2 {
		t.Errorf("security change: %+v", d)
	}
}

func TestScenarioReloadPlanServices(t *testing.T) {
	a := dataplane.ServiceConfig{Addr: netip.MustParseAddrPort("10.0.0.100:80"), Scheduler: "rr",
		RealServers: []dataplane.RealServerConfig{{Addr: netip.MustParseAddrPort("10.0.1.1:80"), Weight: 1}}}
	b := dataplane.ServiceConfig{Addr: netip.MustParseAddrPort("10.0.0.100:443"), Scheduler: "rr"}
	c := dataplane.ServiceConfig{Addr: netip.MustParseAddrPort("10.0.0.100:3306"), Scheduler: "wlc"}
	a2 := a
	a2.RealServers = append([]dataplane.RealServerConfig(nil), a.RealServers...)
	a2.RealServers[0].Weight = 3
	empty := &keepalivedconf.Config{}
	// Given a, b running; when a gets a new weight, b is unchanged and c is
	// added, then b is kept, a restarts and c starts.
	d := Plan(empty, empty, []dataplane.ServiceConfig{a, b}, []dataplane.ServiceConfig{a2, b, c})
	if !reflect.DeepEqual(d.KeepServices, []string{"10.0.0.100:443"}) ||
		!reflect.DeepEqual(d.StartServices, []string{"10.0.0.100:80", "10.0.0.100:3306"}) ||
		!reflect.DeepEqual(d.StopServices, []string{"10.0.0.100:80"}) {
		t.Errorf("Plan = %+v", d)
	}
	// Removing one stops it.
	d = Plan(empty, empty, []dataplane.ServiceConfig{a, b}, []dataplane.ServiceConfig{b})
	if !reflect.DeepEqual(d.StopServices, []string{"10.0.0.100:80"}) || len(d.StartServices) != 0 {
		t.Errorf("Plan = %+v", d)
	}
	// A virtual_server_group is one unit: a new address in the group
	// restarts the group, named by it.
	g := dataplane.ServiceConfig{Group: "G", Scheduler: "rr", Members: []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:3306")}}
	g2 := g
	g2.Members = append(g2.Members, netip.MustParseAddrPort("10.0.0.2:3306"))
	d = Plan(empty, empty, []dataplane.ServiceConfig{g, b}, []dataplane.ServiceConfig{g2, b})
	if !reflect.DeepEqual(d.StopServices, []string{"group G"}) || !reflect.DeepEqual(d.StartServices, []string{"group G"}) {
		t.Errorf("Plan = %+v", d)
	}
}

// TestServicesGroup: a `virtual_server group NAME` block becomes one
// service configuration with the group's addresses (ranges expanded).
func TestServicesGroup(t *testing.T) {
	cfg := parse(t, `virtual_server_group DB {
    10.0.0.10-11 3306
    10.0.0.20 3307
}
virtual_server group DB {
    lb_algo wrr
    protocol TCP
    real_server 10.0.1.1 3306 {
        weight 2
    }
}
`)
	svcs, warnings, err := Services(cfg, 0)
	if err != nil || len(warnings) != 0 || len(svcs) != 1 {
		t.Fatal(svcs, warnings, err)
	}
	want := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.10:3306"), netip.MustParseAddrPort("10.0.0.11:3306"), netip.MustParseAddrPort("10.0.0.20:3307")}
	if sc := svcs[0]; sc.Key() != "group DB" || !reflect.DeepEqual(sc.Members, want) || sc.Scheduler != "wrr" {
		t.Errorf("service %+v", sc)
	}
}

func TestScenarioTrackingWants(t *testing.T) {
	cfg := parse(t, scripts+`vrrp_script chk_c {
  script "/bin/true"
  weight 20
}
`+inst("VI_1", " track_script {\n chk_a\n chk_c\n }\n track_interface {\n eth1 weight -30\n }\n")+
		inst("VI_2", " dont_track_primary\n track_script {\n chk_a weight 0\n }\n"))
	links := map[string]track.Status{"eth0": track.Up, "eth1": track.Up}
	up := map[string]track.Status{"chk_a": track.Up, "chk_c": track.Up}
	// Given everything healthy: VI_1 gets +20 from chk_c.
	w := Wants(cfg, up, links)
	if w["VI_1"] != (Want{Priority: 120}) || w["VI_2"] != (Want{Priority: 100}) {
		t.Errorf("healthy: %+v", w)
	}
	// When chk_a fails: VI_1 loses 50; VI_2 tracks it with weight 0: FAULT.
	w = Wants(cfg, map[string]track.Status{"chk_a": track.Down, "chk_c": track.Up}, links)
	if w["VI_1"].Priority != 70 || w["VI_1"].Fault {
		t.Errorf("chk_a down, VI_1: %+v", w["VI_1"])
	}
	if !w["VI_2"].Fault || w["VI_2"].Reason != "tracked script chk_a failed" {
		t.Errorf("chk_a down, VI_2: %+v", w["VI_2"])
	}
	// When eth1 goes down VI_1 loses 30; when its own eth0 goes down it is in
	// FAULT, but VI_2 (dont_track_primary) is not.
	w = Wants(cfg, up, map[string]track.Status{"eth0": track.Up, "eth1": track.Down})
	if w["VI_1"].Priority != 90 {
		t.Errorf("eth1 down: %+v", w["VI_1"])
	}
	w = Wants(cfg, up, map[string]track.Status{"eth0": track.Down, "eth1": track.Up})
	if !w["VI_1"].Fault || w["VI_1"].Reason != "tracked interface eth0 down" || w["VI_2"].Fault {
		t.Errorf("eth0 down: %+v", w)
	}
	if got := Interfaces(cfg); !reflect.DeepEqual(got, []string{"eth1", "eth0"}) {
		t.Errorf("Interfaces = %v", got)
	}
}

const groupConf = `vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
  track_script {
    chk_b
  }
}
`

func TestScenarioSyncGroupFault(t *testing.T) {
	cfg := parse(t, scripts+inst("VI_1", " track_interface {\n eth1\n }\n")+inst("VI_2", "")+inst("VI_3", "")+groupConf)
	links := map[string]track.Status{"eth0": track.Up, "eth1": track.Up}
	ok := map[string]track.Status{"chk_b": track.Up}
	// Given all healthy, no member is in FAULT.
	for name, w := range Wants(cfg, ok, links) {
		if w.Fault {
			t.Errorf("%s in FAULT: %+v", name, w)
		}
	}
	// When VI_1's tracked interface goes down, then VI_1 and VI_2 (its group)
	// are in FAULT and VI_3 (no group) is not.
	w := Wants(cfg, ok, map[string]track.Status{"eth0": track.Up, "eth1": track.Down})
	if !w["VI_1"].Fault || !w["VI_2"].Fault || w["VI_3"].Fault {
		t.Fatalf("wants %+v", w)
	}
	if w["VI_2"].Reason != "sync group G: VI_1 is in FAULT (tracked interface eth1 down)" {
		t.Errorf("VI_2 reason %q", w["VI_2"].Reason)
	}
	// When the group's own script fails, then both members are in FAULT.
	w = Wants(cfg, map[string]track.Status{"chk_b": track.Down}, links)
	if !w["VI_1"].Fault || !w["VI_2"].Fault || w["VI_3"].Fault {
		t.Errorf("group script down: %+v", w)
	}
}

func TestScenarioSyncGroupMoves(t *testing.T) {
	cfg := parse(t, scripts+inst("VI_1", "")+inst("VI_2", "")+inst("VI_3", "")+groupConf)
	states := map[string]vrrp.State{"VI_1": vrrp.Master, "VI_2": vrrp.Backup, "VI_3": vrrp.Backup}
	// Given VI_1 became MASTER by its down timer, then VI_2 is forced MASTER
	// and VI_3 (not in the group) is left alone.
	f := SyncForces(cfg, "VI_1", vrrp.Backup, vrrp.Master, "master down timer expired", states)
	if len(f) != 1 || f[0] != (Force{Instance: "VI_2", To: vrrp.Master, Reason: "sync group G: VI_1 is MASTER"}) {
		t.Errorf("forces %+v", f)
	}
	// Given VI_2 yielded to a higher priority, then VI_1 is forced BACKUP.
	states = map[string]vrrp.State{"VI_1": vrrp.Master, "VI_2": vrrp.Backup}
	f = SyncForces(cfg, "VI_2", vrrp.Master, vrrp.Backup, "higher priority advert from 10.0.0.2", states)
	if len(f) != 1 || f[0].Instance != "VI_1" || f[0].To != vrrp.Backup {
		t.Errorf("forces %+v", f)
	}
	// A transition the group caused is not propagated again (no ping-pong).
	if f := SyncForces(cfg, "VI_2", vrrp.Backup, vrrp.Master, "sync group G: VI_1 is MASTER", states); f != nil {
		t.Errorf("propagated a group transition: %+v", f)
	}
	// Startup BACKUP and FAULT do not move the others here (Wants does FAULT).
	if f := SyncForces(cfg, "VI_1", vrrp.Init, vrrp.Backup, "startup", states); f != nil {
		t.Errorf("startup forces %+v", f)
	}
	g := cfg.SyncGroups[0]
	for _, tc := range []struct {
		states map[string]vrrp.State
		want   vrrp.State
		ok     bool
	}{
		{map[string]vrrp.State{"VI_1": vrrp.Master, "VI_2": vrrp.Master}, vrrp.Master, true},
		{map[string]vrrp.State{"VI_1": vrrp.Master, "VI_2": vrrp.Backup}, vrrp.Master, false},
		{map[string]vrrp.State{"VI_1": vrrp.Backup, "VI_2": vrrp.Fault}, vrrp.Fault, true},
		{map[string]vrrp.State{"VI_1": vrrp.Backup}, vrrp.Backup, false},
	} {
		if s, ok := GroupState(g, tc.states); ok != tc.ok || ok && s != tc.want {
			t.Errorf("GroupState(%v) = %v, %v; want %v, %v", tc.states, s, ok, tc.want, tc.ok)
		}
	}
}
