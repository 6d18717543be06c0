//go:build linux

package driver

import (
	"net"
	"net/netip"
	"syscall"
	"time"
)

// announce sends repeat gratuitous ARPs (IPv4) or unsolicited neighbour
// advertisements (IPv6) for each address, on the address's device, in
// batches like keepalived's vrrp_send_link_update: every address once, repeat
// times over.
func (d *Driver) announce(addrs []netip.Addr, repeat int) {
	if repeat <= 0 || len(addrs) == 0 {
		return
	}
	var arpFD = -1
	defer func() {
		if arpFD >= 0 {
			syscall.Close(arpFD)
		}
	}()
	for range repeat {
		for _, a := range addrs {
			ifi := d.ifi
			if dev := d.vipDev(d.virtualIP(a)); dev != ifi.Name {
				var err error
				if ifi, err = net.InterfaceByName(dev); err != nil {
					d.logf("vrrp_instance %s: announce %s: %v", d.inst.Name, a, err)
					continue
				}
			}
			if a.Is6() {
				d.sendNA(ifi, a)
				continue
			}
			if len(ifi.HardwareAddr) != 6 {
				continue // no Ethernet address (e.g. a tunnel): nothing to announce
			}
			if arpFD < 0 {
				fd, err := syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(htons(syscall.ETH_P_ARP)))
				if err != nil {
					d.logf("vrrp_instance %s: gratuitous ARP socket: %v", d.inst.Name, err)
					return
				}
				arpFD = fd
			}
			bcast := [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
			sa := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ARP), Ifindex: ifi.Index, Halen: 6, Addr: bcast}
			if err := syscall.Sendto(arpFD, GratuitousARP(ifi.HardwareAddr, a), 0, sa); err != nil {
				d.logf("vrrp_instance %s: gratuitous ARP for %s: %v", d.inst.Name, a, err)
			}
		}
	}
}

// sendNA sends one unsolicited NA for a on ifi; the ICMPv6 socket of each
// interface is opened on first use and kept.
func (d *Driver) sendNA(ifi *net.Interface, a netip.Addr) {
	s := d.na[ifi.Name]
	if s == nil {
		var err error
		if s, err = openNASender(ifi); err != nil {
			d.logf("vrrp_instance %s: neighbour advertisement for %s: %v", d.inst.Name, a, err)
			return
		}
		if d.na == nil {
			d.na = map[string]*naSender{}
		}
		d.na[ifi.Name] = s
	}
	if err := s.send(a); err != nil {
		d.logf("vrrp_instance %s: neighbour advertisement for %s: %v", d.inst.Name, a, err)
	}
}

// announced is every address the driver announces when master: the VIPs
// and the excluded VIPs (keepalived announces both).
func (d *Driver) announced(vips []netip.Addr) []netip.Addr {
	out := append([]netip.Addr(nil), vips...)
	for _, v := range d.inst.ExcludedVirtualIPs {
		out = append(out, v.Prefix.Addr())
	}
	return out
}

// garpTimers are the driver's own gratuitous ARP timers, which the machine
// does not schedule: garp_master_refresh while master, and the delayed
// batch after answering a lower-priority advert (garp_lower_prio_delay).
type garpTimers struct {
	refresh *time.Ticker
	lower   *time.Timer
}

func (g *garpTimers) refreshC() <-chan time.Time {
	if g.refresh == nil {
		return nil
	}
	return g.refresh.C
}

func (g *garpTimers) lowerC() <-chan time.Time {
	if g.lower == nil {
		return nil
	}
	return g.lower.C
}

// sync starts the refresh ticker when the instance is master with a
// refresh interval, and stops both timers when it is not master.
func (g *garpTimers) sync(master bool, refresh time.Duration) {
	if master && refresh > 0 && g.refresh == nil {
		g.refresh = time.NewTicker(refresh)
	}
	if !master {
		g.stop()
	}
}

func (g *garpTimers) stop() {
	if g.refresh != nil {
		g.refresh.Stop()
		g.refresh = nil
	}
	if g.lower != nil {
		g.lower.Stop()
		g.lower = nil
	}
}
