//go:build linux

package driver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
)

// scopes are the names iproute2 and keepalived accept for an address scope.
var scopes = map[string]int{
	"global": unix.RT_SCOPE_UNIVERSE, "universe": unix.RT_SCOPE_UNIVERSE,
	"site": unix.RT_SCOPE_SITE, "link": unix.RT_SCOPE_LINK,
	"host": unix.RT_SCOPE_HOST, "nowhere": unix.RT_SCOPE_NOWHERE,
}

// infinityLifetime is the kernel's "forever" (INFINITY_LIFE_TIME).
const infinityLifetime = 0xffffffff

// NetlinkAddr converts a virtual_ipaddress line to the address the driver
// adds: prefix, broadcast, label, scope and nodad as written. Like
// keepalived, an IPv6 VIP is added with preferred lifetime 0 (deprecated),
// so the kernel does not pick it as a source address.
func NetlinkAddr(v keepalivedconf.VirtualIP) (*netlink.Addr, error) {
	a := &netlink.Addr{
		IPNet: &net.IPNet{IP: v.Prefix.Addr().AsSlice(), Mask: net.CIDRMask(v.Prefix.Bits(), v.Prefix.Addr().BitLen())},
		Label: v.Label,
	}
	if v.Scope != "" {
		s, ok := scopes[strings.ToLower(v.Scope)]
		if !ok {
			n, err := strconv.Atoi(v.Scope)
			if err != nil || n < 0 || n > 255 {
				return nil, fmt.Errorf("virtual_ipaddress %s: scope %q", v.Prefix, v.Scope)
			}
			s = n
		}
		a.Scope = s
	}
	if v.Broadcast.IsValid() {
		a.Broadcast = v.Broadcast.AsSlice()
	} else if v.Prefix.Addr().Is4() {
		// iproute2 and keepalived set no broadcast unless "brd" is
		// written; netlink would compute one for a nil Broadcast.
		a.Broadcast = net.IPv4zero
	}
	if v.Prefix.Addr().Is6() {
		if v.NoDAD {
			a.Flags |= unix.IFA_F_NODAD
		}
		a.PreferedLft, a.ValidLft = 0, infinityLifetime
	}
	return a, nil
}

// vipDev is the device of a virtual address: its dev, or the instance's
// interface.
func (d *Driver) vipDev(v keepalivedconf.VirtualIP) string {
	if v.Dev != "" {
		return v.Dev
	}
	return d.ifi.Name
}

// setAddrs adds (add=true) or removes the virtual addresses through
// netlink in the current network namespace. An address already present
// (add) or already gone (remove) is not an error.
func (d *Driver) setAddrs(add bool, vips []keepalivedconf.VirtualIP) {
	d.setAddrsQuiet(add, vips, false)
}

// setAddrsQuiet is setAddrs that, when quiet, logs only actual changes
// and errors.
func (d *Driver) setAddrsQuiet(add bool, vips []keepalivedconf.VirtualIP, quiet bool) {
	for _, v := range vips {
		dev := d.vipDev(v)
		changed, err := setAddr(add, v, dev)
		switch {
		case err != nil:
			d.logf("vrrp_instance %s: %v", d.inst.Name, err)
		case quiet && !changed:
		case add:
			d.logf("vrrp_instance %s: added VIP %s dev %s%s", d.inst.Name, v.Prefix, dev, map[bool]string{false: " (already present)"}[changed])
		default:
			d.logf("vrrp_instance %s: removed VIP %s dev %s%s", d.inst.Name, v.Prefix, dev, map[bool]string{false: " (already absent)"}[changed])
		}
	}
}

// removeLeftovers removes VIPs and excluded VIPs a previous run may have
// left behind (after kill -9), as keepalived does at startup: a backup
// holding them would answer ARP for the master's addresses.
func (d *Driver) removeLeftovers() {
	d.setAddrsQuiet(false, append(slices.Clone(d.inst.VirtualIPs), d.inst.ExcludedVirtualIPs...), true)
}

// setAddr adds or removes one address; changed is false when it was
// already present (add) or absent (remove).
func setAddr(add bool, v keepalivedconf.VirtualIP, dev string) (changed bool, err error) {
	op := map[bool]string{true: "add", false: "del"}[add]
	link, err := netlink.LinkByName(dev)
	if err != nil {
		return false, fmt.Errorf("address %s %s dev %s: %w", op, v.Prefix, dev, err)
	}
	a, err := NetlinkAddr(v)
	if err != nil {
		return false, err
	}
	if add {
		err = netlink.AddrAdd(link, a)
		if errors.Is(err, unix.EEXIST) {
			return false, nil
		}
	} else {
		err = netlink.AddrDel(link, a)
		if errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENOENT) {
			return false, nil
		}
	}
	if err != nil {
		return false, fmt.Errorf("address %s %s dev %s: %w", op, v.Prefix, dev, err)
	}
	return true, nil
}

// virtualIP finds the virtual_ipaddress (or _excluded) line of addr; an
// address not in the config gets a host prefix on the instance interface.
func (d *Driver) virtualIP(addr netip.Addr) keepalivedconf.VirtualIP {
	for _, list := range [][]keepalivedconf.VirtualIP{d.inst.VirtualIPs, d.inst.ExcludedVirtualIPs, d.retired} {
		for _, v := range list {
			if v.Prefix.Addr() == addr {
				return v
			}
		}
	}
	return keepalivedconf.VirtualIP{Prefix: netip.PrefixFrom(addr, addr.BitLen())}
}
