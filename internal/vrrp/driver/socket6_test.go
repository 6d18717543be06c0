//go:build linux

package driver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/ipv6"

	"github.com/shardcat/shardcat/internal/testenv"
	"github.com/shardcat/shardcat/internal/vrrp"
)

// TestIPv6HopLimit: the driver reads the real hop limit of IPv6 adverts
// (IPV6_RECVHOPLIMIT): a higher-priority advert to ff02::12 with hop limit
// 254 is dropped, so the driver takes the VIP; the same advert with hop
// limit 255 makes it yield. The adverts are crafted in the peer namespace.
func TestIPv6HopLimit(t *testing.T) {
	lan := testenv.NewLAN(t, "h6", "10.213.2", "fd00:213:2::", 2)
	ns, peer := testenv.OpenNetns(t, lan[0].NS), testenv.OpenNetns(t, lan[1].NS)
	vip := netip.MustParsePrefix("fd00:213:2::100/64")
	conf := testenv.VRRPConf{State: "BACKUP", Interface: lan[0].If, Priority: 100, Version: 3, Advert: "0.1", VIP: vip.String()}
	_, log, _ := startHelper(t, lan[0].NS, conf.String())

	// The peer's socket, created inside its namespace.
	var pc *ipv6.PacketConn
	var src netip.Addr
	var ifi *net.Interface
	if err := peer.Do(func() (err error) {
		if ifi, err = net.InterfaceByName(lan[1].If); err != nil {
			return err
		}
		if src, err = linkLocal(ifi); err != nil {
			return err
		}
		c, err := net.ListenPacket(fmt.Sprintf("ip6:%d", vrrp.IPProto), "::")
		if err != nil {
			return err
		}
		pc = ipv6.NewPacketConn(c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	b, err := vrrp.Encode(vrrp.Advert{Version: 3, VRID: 51, Priority: 200, Interval: 100 * time.Millisecond,
		Addrs: []netip.Addr{vip.Addr()}}, src, vrrp.MulticastIPv6)
	if err != nil {
		t.Fatal(err)
	}
	send := func(ctx context.Context, hops int) {
		cm := &ipv6.ControlMessage{Src: src.AsSlice(), IfIndex: ifi.Index, HopLimit: hops}
		for ctx.Err() == nil {
			if _, err := pc.WriteTo(b, cm, &net.IPAddr{IP: vrrp.MulticastIPv6.AsSlice(), Zone: ifi.Name}); err != nil {
				t.Errorf("send advert: %v", err)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	has := func() bool { return ns.MustHave(t, vip.Addr()) }

	ctx, cancel := context.WithCancel(context.Background())
	go send(ctx, 254)
	testenv.WaitFor(t, "the driver to ignore hop-limit-254 adverts and take the VIP", 10*time.Second, has, log)
	cancel()
	if !strings.Contains(log.String(), "ttl 254") {
		t.Errorf("no hop-limit drop in the log:\n%s", log)
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	go send(ctx, 255)
	testenv.WaitFor(t, "the driver to yield to a priority-200 master", 10*time.Second, func() bool { return !has() }, log)
	t.Logf("driver log:\n%s", log)
}
