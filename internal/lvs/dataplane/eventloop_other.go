//go:build !linux

package dataplane

import "errors"

// Off Linux there is no event loop: connections are relayed by goroutines
// (Start falls back to them when startLoops fails).

const eventLoopDefault = false

type evRelay struct{}

var errNoLoop = errors.New("no event loop on this system")

type loop struct{}

func startLoops() ([]*loop, error) { return nil, errNoLoop }

func (s *Service) listen() error { return errNoLoop }
func (s *Service) unlisten()     {}

func (e *evRelay) close()                              {}
func (e *evRelay) segments() (in, out uint64, ok bool) { return 0, 0, false }
