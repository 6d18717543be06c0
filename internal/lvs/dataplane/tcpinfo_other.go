//go:build !linux

package dataplane

import "net"

// segments is not available off Linux: packet counters stay 0.
func segments(c *net.TCPConn) (in, out uint64, ok bool) { return 0, 0, false }

// connDelayACKs does nothing off Linux: TCP_QUICKACK is Linux's.
func connDelayACKs(c *net.TCPConn) {}
