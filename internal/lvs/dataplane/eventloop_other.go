//go:build !linux

package dataplane

import (
	"errors"
	"net"
)

// Off Linux there is no event loop: connections are relayed by goroutines.

const eventLoopDefault = false

type evRelay struct{}

func newEvRelay(s *Service, r *relay, client, backend *net.TCPConn) (*evRelay, error) {
	return nil, errors.New("no event loop on this system")
}

func (e *evRelay) discard()                            {}
func (e *evRelay) run()                                {}
func (e *evRelay) close()                              {}
func (e *evRelay) segments() (in, out uint64, ok bool) { return 0, 0, false }
