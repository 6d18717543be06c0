package dataplane

import (
	"net"
	"net/netip"
	"syscall"
)

// control sets IP_FREEBIND so a virtual IP that is not (yet) on this host
// can be bound, as a director does before VRRP makes it MASTER.
func freebindControl(addr netip.Addr) func(network, address string, c syscall.RawConn) error {
	if addr.IsUnspecified() || addr.IsLoopback() || isLocal(addr) {
		return nil
	}
	return func(network, address string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_IP, syscall.IP_FREEBIND, 1)
		}); err != nil {
			return err
		}
		return serr
	}
}

func isLocal(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, ia := range addrs {
		if n, ok := ia.(*net.IPNet); ok {
			if x, ok := netip.AddrFromSlice(n.IP); ok && x.Unmap() == a.Unmap() {
				return true
			}
		}
	}
	return false
}
