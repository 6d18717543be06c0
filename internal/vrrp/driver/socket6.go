//go:build linux

package driver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/ipv6"
	"golang.org/x/sys/unix"

	"github.com/shardcat/shardcat/internal/vrrp"
)

// socket6 is the VRRPv3-over-IPv6 socket: a raw AF_INET6 socket for
// protocol 112 bound to the interface. IPv6 raw sockets do not deliver the
// IP header, so the hop limit (for the TTL check) and the destination come
// from IPV6_RECVHOPLIMIT / IPV6_RECVPKTINFO control messages.
type socket6 struct {
	pc  *ipv6.PacketConn
	ifi *net.Interface
	src netip.Addr
}

// bindToDevice is a ListenConfig.Control that sets SO_BINDTODEVICE before
// bind, so the socket only sees its interface (like keepalived's sockets).
func bindToDevice(ifname string) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptString(int(fd), unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname)
		}); err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("SO_BINDTODEVICE %s: %w", ifname, serr)
		}
		return nil
	}
}

// openSocket6 opens the protocol-112 socket on ifi sending from src with
// hop limit 255, and joins ff02::12 on ifi when multicast is true.
func openSocket6(ifi *net.Interface, src netip.Addr, multicast bool) (*socket6, error) {
	lc := net.ListenConfig{Control: bindToDevice(ifi.Name)}
	c, err := lc.ListenPacket(context.Background(), fmt.Sprintf("ip6:%d", vrrp.IPProto), "::")
	if err != nil {
		return nil, fmt.Errorf("raw IPv6 socket: %w", err)
	}
	pc := ipv6.NewPacketConn(c)
	fail := func(what string, err error) (*socket6, error) {
		pc.Close()
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := pc.SetControlMessage(ipv6.FlagHopLimit|ipv6.FlagDst|ipv6.FlagInterface, true); err != nil {
		return fail("IPV6_RECVHOPLIMIT/RECVPKTINFO", err)
	}
	for _, o := range []struct {
		name string
		set  func() error
	}{
		{"IPV6_UNICAST_HOPS", func() error { return pc.SetHopLimit(vrrp.TTL) }},
		{"IPV6_MULTICAST_HOPS", func() error { return pc.SetMulticastHopLimit(vrrp.TTL) }},
		{"IPV6_MULTICAST_LOOP", func() error { return pc.SetMulticastLoopback(false) }},
		{"IPV6_MULTICAST_IF", func() error { return pc.SetMulticastInterface(ifi) }},
		{"IPV6_TCLASS", func() error { return pc.SetTrafficClass(0xc0) }},
	} {
		if err := o.set(); err != nil {
			return fail(o.name, err)
		}
	}
	if multicast {
		if err := pc.JoinGroup(ifi, &net.IPAddr{IP: vrrp.MulticastIPv6.AsSlice()}); err != nil {
			return fail("join ff02::12 on "+ifi.Name, err)
		}
	}
	return &socket6{pc: pc, ifi: ifi, src: src}, nil
}

func (s *socket6) send(b []byte, dst netip.Addr) error {
	cm := &ipv6.ControlMessage{Src: s.src.AsSlice(), IfIndex: s.ifi.Index, HopLimit: vrrp.TTL}
	to := &net.IPAddr{IP: dst.AsSlice()}
	if dst.IsLinkLocalUnicast() || dst.IsLinkLocalMulticast() || dst.IsInterfaceLocalMulticast() {
		to.Zone = s.ifi.Name
	}
	_, err := s.pc.WriteTo(b, cm, to)
	return err
}

// recv reads one advert; errRetry means nothing arrived before the read
// deadline (so the reader can check for stop).
func (s *socket6) recv(buf []byte) (packet, error) {
	s.pc.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, cm, from, err := s.pc.ReadFrom(buf)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return packet{}, errRetry
		}
		return packet{}, err
	}
	ia, ok := from.(*net.IPAddr)
	if !ok || cm == nil {
		return packet{}, errRetry
	}
	src, ok1 := netip.AddrFromSlice(ia.IP)
	dst, ok2 := netip.AddrFromSlice(cm.Dst)
	if !ok1 || !ok2 {
		return packet{}, errRetry
	}
	return packet{src: src.Unmap(), dst: dst.Unmap(), ttl: cm.HopLimit, payload: append([]byte(nil), buf[:n]...)}, nil
}

func (s *socket6) close() error { return s.pc.Close() }

// linkLocal returns the interface's IPv6 link-local address, keepalived's
// default source for IPv6 adverts.
func linkLocal(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, fmt.Errorf("interface %s: %w", ifi.Name, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Is6() && !ip.Is4In6() && ip.IsLinkLocalUnicast() {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("interface %s has no IPv6 link-local address", ifi.Name)
}

// naSender sends unsolicited neighbour advertisements from a raw ICMPv6
// socket (the kernel fills in the ICMPv6 checksum).
type naSender struct {
	pc  *ipv6.PacketConn
	ifi *net.Interface
	src netip.Addr
}

func openNASender(ifi *net.Interface) (*naSender, error) {
	src, err := linkLocal(ifi)
	if err != nil {
		return nil, err
	}
	lc := net.ListenConfig{Control: bindToDevice(ifi.Name)}
	c, err := lc.ListenPacket(context.Background(), "ip6:ipv6-icmp", "::")
	if err != nil {
		return nil, fmt.Errorf("ICMPv6 socket: %w", err)
	}
	pc := ipv6.NewPacketConn(c)
	// Send only: block every ICMPv6 type so no receive queue builds up.
	var f ipv6.ICMPFilter
	f.SetAll(true)
	if err := pc.SetICMPFilter(&f); err != nil {
		pc.Close()
		return nil, fmt.Errorf("ICMP6_FILTER: %w", err)
	}
	if err := pc.SetMulticastHopLimit(255); err != nil {
		pc.Close()
		return nil, fmt.Errorf("IPV6_MULTICAST_HOPS: %w", err)
	}
	return &naSender{pc: pc, ifi: ifi, src: src}, nil
}

var allNodes = netip.MustParseAddr("ff02::1")

func (s *naSender) send(target netip.Addr) error {
	router := false
	if b, err := os.ReadFile("/proc/sys/net/ipv6/conf/" + s.ifi.Name + "/forwarding"); err == nil {
		router = strings.TrimSpace(string(b)) == "1"
	}
	msg := NeighborAdvert(s.ifi.HardwareAddr, target, router)
	cm := &ipv6.ControlMessage{Src: s.src.AsSlice(), IfIndex: s.ifi.Index, HopLimit: 255}
	_, err := s.pc.WriteTo(msg, cm, &net.IPAddr{IP: allNodes.AsSlice(), Zone: s.ifi.Name})
	return err
}

func (s *naSender) close() { s.pc.Close() }

// NeighborAdvert builds the ICMPv6 unsolicited neighbour advertisement for
// target that keepalived sends (vrrp_ndisc.c): Override set, Solicited
// clear, Router set when the interface forwards, and a Target Link-Layer
// Address option. The checksum is left 0 for the kernel to fill in.
func NeighborAdvert(mac net.HardwareAddr, target netip.Addr, router bool) []byte {
	b := make([]byte, 24, 32)
	b[0] = 136 // neighbour advertisement
	b[4] = 0x20
	if router {
		b[4] |= 0x80
	}
	t := target.As16()
	copy(b[8:24], t[:])
	if len(mac) == 6 {
		b = append(b, 2, 1) // Target Link-Layer Address, 8 bytes
		b = append(b, mac...)
	}
	return b
}
