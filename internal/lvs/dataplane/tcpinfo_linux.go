package dataplane

import (
	"net"

	"golang.org/x/sys/unix"
)

// segments reads tcpi_segs_in and tcpi_segs_out of c (TCP_INFO): segments
// received from and sent to the peer, pure ACKs and SYN/FIN included, as
// IPVS counts packets. SyscallConn does not wrap c, so splice still works.
func segments(c *net.TCPConn) (in, out uint64, ok bool) {
	rc, err := c.SyscallConn()
	if err != nil {
		return 0, 0, false
	}
	var info *unix.TCPInfo
	cerr := rc.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if cerr != nil || err != nil {
		return 0, 0, false
	}
	return uint64(info.Segs_in), uint64(info.Segs_out), true
}

// connDelayACKs is delayACKs (eventloop_linux.go) for the goroutine relay's
// sockets.
func connDelayACKs(c *net.TCPConn) {
	if rc, err := c.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { delayACKs(int(fd)) })
	}
}
