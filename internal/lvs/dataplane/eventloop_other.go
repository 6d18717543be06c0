//go:build !linux

package dataplane

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"time"
)

// Off Linux there is no event loop: connections are relayed by goroutines.

const eventLoopDefault = false

type evRelay struct{}

func newEvRelay(s *Service, r *relay, client *net.TCPConn, backendFD int) (*evRelay, error) {
	return nil, errNoLoop
}

var errNoLoop = errors.New("no event loop on this system")

func dialFD(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (int, error) {
	return -1, errNoLoop
}

func writeFD(fd int, b []byte, timeout time.Duration) error { return errNoLoop }

func connFromFD(fd int) (*net.TCPConn, error) { return nil, errNoLoop }

func closeFD(fd int) {}

func (e *evRelay) discard()                            {}
func (e *evRelay) run()                                {}
func (e *evRelay) close()                              {}
func (e *evRelay) segments() (in, out uint64, ok bool) { return 0, 0, false }
