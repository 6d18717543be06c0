package dataplane

import (
	"net/netip"
	"sort"
	"time"
)

// ConnEntry is one line of ipvsadm -L -c: a relayed connection, or a
// persistence template (State NONE, client port 0).
type ConnEntry struct {
	Protocol string         // TCP
	Expire   time.Duration  // time left before the entry expires
	State    string         // SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, TIME_WAIT, CLOSE or NONE (template)
	Source   netip.AddrPort // the client
	Virtual  netip.AddrPort // the address it connected to
	Dest     netip.AddrPort // the real server
}

// Connections lists the live connections, the ended ones still in the
// table (TIME_WAIT, CLOSE) and the persistence templates, as
// /proc/net/ip_vs_conn does. A connection's Expire is its state's timeout
// (ESTABLISHED: tcp; FIN_WAIT: tcpfin; CLOSE_WAIT: 60 s) minus the time
// since bytes last moved; a splice reports its bytes when it returns, so an
// active bulk transfer may show a little less than the full timeout. While
// the real server is being dialled it is the connect timeout left. A
// template that still controls connections shows the full persistence
// timeout: it is re-armed when it would expire.
func (s *Service) Connections() []ConnEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ConnEntry
	for r := range s.conns {
		state := r.state.Load()
		e := ConnEntry{Protocol: "TCP", State: stateNames[state], Source: r.src, Virtual: r.vip, Dest: r.d.cfg.Addr}
		if state == stateSynRecv {
			e.Expire = s.cfg.DialTimeout - time.Since(r.started)
		} else {
			e.Expire = r.timeout() - r.sinceActive()
		}
		out = append(out, e)
	}
	now := s.opts.Now()
	s.expireClosed(now)
	for _, c := range [...]*closedQueue{&s.timeWaitEntries, &s.closeEntries} {
		entries := c.entries()
		for i := range entries {
			x := &entries[i]
			out = append(out, ConnEntry{Protocol: "TCP", State: c.state, Source: x.src(), Virtual: s.addr,
				Dest: s.destOf(x).cfg.Addr, Expire: time.Unix(0, x.expires).Sub(now)})
		}
	}
	for key, t := range s.templates {
		e := ConnEntry{Protocol: "TCP", State: "NONE", Source: netip.AddrPortFrom(key, 0),
			Virtual: s.addr, Dest: t.dest.cfg.Addr, Expire: t.expires.Sub(now)}
		if t.n > 0 {
			e.Expire = s.cfg.PersistenceTimeout
		} else if e.Expire <= 0 {
			continue // expired, not swept yet
		}
		out = append(out, e)
	}
	for i := range out {
		out[i].Expire = max(out[i].Expire, 0)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.State != b.State {
			return a.State < b.State
		}
		return a.Source.Compare(b.Source) < 0
	})
	return out
}
