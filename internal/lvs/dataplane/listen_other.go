//go:build !linux

package dataplane

import (
	"net/netip"
	"syscall"
)

func freebindControl(netip.Addr) func(network, address string, c syscall.RawConn) error { return nil }
