package dataplane

import (
	"errors"
	"fmt"
	"net/netip"
)

// StartGroup runs a virtual_server_group's virtual server as IPVS and
// keepalived do: one service per address of the group (cfg.Members), each
// with its own scheduler state, persistence templates and counters, all
// with the same real servers. The checkers run once for the group and
// set every member's real servers up or down together; notify_up/down and
// quorum_up/down run once (the members' quorums move together, as their
// real servers do). Members are closed one by one; the first one's Close
// stops the checkers.
func StartGroup(cfg ServiceConfig, opts Options) ([]*Service, error) {
	if len(cfg.Members) == 0 {
		return nil, fmt.Errorf("virtual_server group %s: no address", cfg.Group)
	}
	// Start every member but the first without checkers, then the first,
	// which checks for them all.
	var svcs []*Service
	fail := func(err error) ([]*Service, error) {
		for _, s := range svcs {
			s.Close()
		}
		return nil, err
	}
	for _, a := range cfg.Members[1:] {
		c := cfg
		c.Addr, c.Members = a, nil
		o := opts
		o.member = true
		s, err := Start(c, o)
		if err != nil {
			return fail(fmt.Errorf("virtual_server group %s: %s: %w", cfg.Group, a, err))
		}
		svcs = append(svcs, s)
	}
	first := cfg
	first.Addr, first.Members = cfg.Members[0], nil
	o := opts
	o.checkFor = make([]*Service, 1, len(cfg.Members))
	o.checkFor = append(o.checkFor, svcs...)
	s, err := Start(first, o)
	if err != nil {
		return fail(fmt.Errorf("virtual_server group %s: %s: %w", cfg.Group, cfg.Members[0], err))
	}
	return append([]*Service{s}, svcs...), nil
}

// groupAddrs lists the addresses of a group entry range, first to last.
func groupAddrs(first, last netip.Addr, port int) ([]netip.AddrPort, error) {
	if port <= 0 || port > 65535 {
		return nil, errors.New("port 0 (every port) is not supported by the user-space data plane")
	}
	var out []netip.AddrPort
	for a := first; ; a = a.Next() {
		if !a.IsValid() || len(out) > 65536 {
			return nil, fmt.Errorf("range %s-%s: too large", first, last)
		}
		out = append(out, netip.AddrPortFrom(a, uint16(port)))
		if a == last {
			return out, nil
		}
	}
}
