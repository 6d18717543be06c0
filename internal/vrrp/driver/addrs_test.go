//go:build linux

package driver

import (
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/testenv"
	"github.com/shardcat/shardcat/internal/vrrp"
)

func TestNetlinkAddr(t *testing.T) {
	cfg, _, err := keepalivedconf.Parse("t.conf", []byte(`vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        10.0.0.100/24 brd 10.0.0.255 dev eth1 scope link label eth1:vip
        10.0.0.101
    }
    virtual_ipaddress_excluded {
        fd00::100/64 -nodad
    }
}
`), keepalivedconf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := cfg.Instances[0]
	a, err := NetlinkAddr(in.VirtualIPs[0])
	if err != nil {
		t.Fatal(err)
	}
	if a.IPNet.String() != "10.0.0.100/24" || !a.Broadcast.Equal(net.ParseIP("10.0.0.255")) || a.Scope != unix.RT_SCOPE_LINK ||
		a.Label != "eth1:vip" || a.Flags != 0 || a.ValidLft != 0 {
		t.Errorf("VIP 0 = %+v", a)
	}
	b, err := NetlinkAddr(in.VirtualIPs[1])
	if err != nil {
		t.Fatal(err)
	}
	// No "brd": none set (netlink would otherwise compute one).
	if b.IPNet.String() != "10.0.0.101/32" || !b.Broadcast.Equal(net.IPv4zero) || b.Scope != 0 {
		t.Errorf("VIP 1 = %+v", b)
	}
	e, err := NetlinkAddr(in.ExcludedVirtualIPs[0])
	if err != nil {
		t.Fatal(err)
	}
	// keepalived adds IPv6 VIPs deprecated (preferred 0, valid forever).
	if e.IPNet.String() != "fd00::100/64" || e.Flags != unix.IFA_F_NODAD || e.PreferedLft != 0 || e.ValidLft != infinityLifetime {
		t.Errorf("eVIP = %+v flags %#x pref %d valid %d", e, e.Flags, e.PreferedLft, e.ValidLft)
	}
	if _, err := NetlinkAddr(keepalivedconf.VirtualIP{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Scope: "galaxy"}); err == nil {
		t.Error("bad scope accepted")
	}
}

func TestNeighborAdvert(t *testing.T) {
	mac := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	got := fmt.Sprintf("%x", NeighborAdvert(mac, netip.MustParseAddr("fd00:213::100"), false))
	// type 136, code 0, checksum 0 (kernel), O flag, target, TLLA option.
	want := "88000000" + "20000000" + "fd000213000000000000000000000100" + "0201" + "020000000001"
	if got != want {
		t.Errorf("NA %s, want %s", got, want)
	}
	if r := NeighborAdvert(mac, netip.MustParseAddr("fd00::1"), true); r[4] != 0xa0 {
		t.Errorf("router NA flags %#x, want 0xa0", r[4])
	}
}

func TestLowerPriority(t *testing.T) {
	own := netip.MustParseAddr("10.0.0.2")
	mk := func(src string, prio byte) packet {
		return packet{src: netip.MustParseAddr(src), payload: []byte{0x31, 51, prio, 1}}
	}
	for _, c := range []struct {
		p    packet
		want bool
	}{
		{mk("10.0.0.1", 100), true},
		{mk("10.0.0.1", 150), true},
		{mk("10.0.0.3", 150), false}, // equal priority, higher address wins
		{mk("10.0.0.1", 151), false},
		{mk("10.0.0.1", 0), false}, // release, not a lower priority
	} {
		if got := lowerPriority(c.p, 150, own); got != c.want {
			t.Errorf("lowerPriority(%v prio %d) = %v", c.p.src, c.p.payload[2], got)
		}
	}
}

func TestMachineConfigIPv6(t *testing.T) {
	conf := testenv.VRRPConf{State: "BACKUP", Interface: "veth0", Priority: 100, Version: 3, Advert: "0.1", VIP: "fd00:213:9::100/64"}
	cfg, _, err := keepalivedconf.Parse("t.conf", []byte(conf.String()), keepalivedconf.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ll := netip.MustParseAddr("fe80::1")
	mc, err := MachineConfig(cfg.Instances[0], ll)
	if err != nil {
		t.Fatal(err)
	}
	if mc.Version != 3 || mc.Address != ll || mc.Unicast || len(mc.VIPs) != 1 || mc.VIPs[0] != netip.MustParseAddr("fd00:213:9::100") {
		t.Errorf("MachineConfig = %+v", mc)
	}
	// The advert the driver sends from the link-local address to ff02::12
	// decodes with the IPv6 pseudo-header checksum.
	m, err := vrrp.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := vrrp.Encode(m.Advert(100), ll, vrrp.MulticastIPv6)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := vrrp.Decode(b, ll, vrrp.MulticastIPv6); err != nil {
		t.Error(err)
	}
	if _, err := MachineConfig(cfg.Instances[0], netip.MustParseAddr("10.0.0.1")); err == nil {
		t.Error("IPv6 VIPs with an IPv4 source accepted")
	}
}

// TestVRRPConfParses: the interop tests' config builder produces what
// keepalived's grammar (our parser) reads back, for every option it writes.
func TestVRRPConfParses(t *testing.T) {
	c := testenv.VRRPConf{State: "BACKUP", Interface: "veth0", VRID: 7, Priority: 120, Version: 2, Advert: "1",
		SrcIP: "10.0.0.1", Peers: []string{"10.0.0.2", "10.0.0.3"}, AuthPass: "1111", VIP: "10.0.0.100/24",
		NoPreempt: true, Extra: "    garp_master_repeat 2\n"}
	cfg, findings, err := keepalivedconf.Parse("t.conf", []byte(c.String()), keepalivedconf.Options{})
	if err != nil || keepalivedconf.HasErrors(findings) {
		t.Fatalf("%v %v\n%s", err, findings, c)
	}
	in := cfg.Instances[0]
	if in.State != keepalivedconf.StateBackup || in.VirtualRouterID != 7 || in.Priority != 120 || in.Version != 2 ||
		in.AdvertInt != time.Second || in.UnicastSrcIP != netip.MustParseAddr("10.0.0.1") || len(in.UnicastPeers) != 2 ||
		in.Authentication == nil || in.Authentication.Password != "1111" || !in.NoPreempt || in.GARP.MasterRepeat != 2 ||
		in.GARP.MasterDelay != 0 || len(in.VirtualIPs) != 1 || in.VirtualIPs[0].Prefix != netip.MustParsePrefix("10.0.0.100/24") ||
		in.VirtualIPs[0].Dev != "veth0" {
		t.Errorf("parsed %+v\nfrom\n%s", in, c)
	}
}
