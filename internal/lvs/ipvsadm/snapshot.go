// Package ipvsadm prints shardcat director state in ipvsadm's layouts and
// carries that state over the director's control socket: a unix socket
// speaking one JSON request and one JSON response per connection.
package ipvsadm

import (
	"net/netip"
	"sort"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/lvs/estimator"
)

// Version and TableSize are what the title line reports, as a stock kernel
// ("IP Virtual Server version 1.2.1 (size=4096)").
const (
	Version   = "1.2.1"
	TableSize = 4096
)

// Table is the whole ipvsadm view of a director.
type Table struct {
	Version  string    `json:"version"`
	Size     int       `json:"size"`
	Timeouts Timeouts  `json:"timeouts"`
	Services []Service `json:"services"`
}

// Timeouts are the connection timeouts ipvsadm -L --timeout prints, in
// seconds: established TCP, TCP after a FIN, UDP. The kernel keeps one set
// per network namespace (ipvsadm --set); keepalived sets it from
// global_defs lvs_timeouts.
type Timeouts struct {
	TCP    int `json:"tcp"`
	TCPFin int `json:"tcpfin"`
	UDP    int `json:"udp"`
}

// DefaultTimeouts are the kernel's (ip_vs_proto_tcp.c, ip_vs_proto_udp.c).
var DefaultTimeouts = Timeouts{TCP: 900, TCPFin: 120, UDP: 300}

// TimeoutsFrom fills in the kernel's default for each timeout not set
// (zero), as keepalived leaves those the kernel has.
func TimeoutsFrom(tcp, tcpFin, udp time.Duration) Timeouts {
	seconds := func(d time.Duration, kernel int) int {
		if d > 0 {
			return int(d / time.Second)
		}
		return kernel
	}
	return Timeouts{TCP: seconds(tcp, DefaultTimeouts.TCP), TCPFin: seconds(tcpFin, DefaultTimeouts.TCPFin),
		UDP: seconds(udp, DefaultTimeouts.UDP)}
}

// Service is one virtual service.
type Service struct {
	Protocol   string             `json:"protocol"` // TCP
	Addr       netip.AddrPort     `json:"addr"`
	Scheduler  string             `json:"scheduler"`
	SchedFlags []string           `json:"sched_flags,omitempty"` // e.g. sh-fallback
	Persistent uint32             `json:"persistent,omitempty"`  // seconds; 0 = not persistent
	Netmask    netip.Addr         `json:"netmask,omitzero"`      // persistence granularity
	Stats      estimator.Counters `json:"stats"`
	Rates      estimator.Rates    `json:"rates"`
	Dests      []Dest             `json:"dests"`
}

// Dest is one real server as the kernel table holds it.
type Dest struct {
	Addr        netip.AddrPort     `json:"addr"`
	Forward     string             `json:"forward"` // Masq, Route, Tunnel, Local
	Weight      int                `json:"weight"`
	UThreshold  int                `json:"u_threshold"`
	LThreshold  int                `json:"l_threshold"`
	ActiveConn  int                `json:"active_conn"`
	InActConn   int                `json:"inact_conn"`
	PersistConn int                `json:"persist_conn"`
	Stats       estimator.Counters `json:"stats"`
	Rates       estimator.Rates    `json:"rates"`
}

// ForwardName is ipvsadm's fwd_name for a keepalived lvs_method.
func ForwardName(method string) string {
	switch method {
	case "DR":
		return "Route"
	case "TUN":
		return "Tunnel"
	default:
		return "Masq"
	}
}

// FromDataplane builds a Service (without rates) from a running service's
// configuration and counters, the way keepalived programs the kernel: a real
// server that is down is absent from the table, unless inhibit_on_failure
// keeps it with weight 0; while a sorry server stands in for a lost quorum
// it is the only destination (dataplane decides: RealServerSnapshot.InTable).
// The service's counters include destinations no longer in the table, as the
// kernel's do.
func FromDataplane(cfg dataplane.ServiceConfig, snap dataplane.ServiceSnapshot) Service {
	s := Service{
		Protocol:  "TCP",
		Addr:      snap.Addr,
		Scheduler: snap.Scheduler,
		Stats:     counters(snap.Stats),
		Dests:     []Dest{},
	}
	if cfg.Flags.Fallback {
		s.SchedFlags = append(s.SchedFlags, schedFlagName(snap.Scheduler, 1))
	}
	if cfg.Flags.Port {
		s.SchedFlags = append(s.SchedFlags, schedFlagName(snap.Scheduler, 2))
	}
	if snap.Persistent > 0 {
		s.Persistent = uint32((snap.Persistent + time.Second - 1) / time.Second)
		if s.Persistent == 0 {
			s.Persistent = 1
		}
		if m := cfg.PersistenceMask; m.IsValid() && !isFullMask(m) {
			s.Netmask = m
		}
	}
	byAddr := make(map[netip.AddrPort]dataplane.RealServerConfig, len(cfg.RealServers))
	for _, rc := range cfg.RealServers {
		byAddr[rc.Addr] = rc
	}
	for _, rs := range snap.RealServers {
		if !rs.InTable {
			continue
		}
		rc := byAddr[rs.Addr]
		s.Dests = append(s.Dests, Dest{
			Addr: rs.Addr, Forward: ForwardName(cfg.Method), Weight: rs.TableWeight,
			UThreshold: rc.UThreshold, LThreshold: rc.LThreshold,
			ActiveConn: rs.ActiveConn, InActConn: rs.InActConn, PersistConn: rs.PersistConn,
			Stats: counters(rs.Stats),
		})
	}
	return s
}

// schedFlagName is print_sched_flags for one flag (1, 2 or 3).
func schedFlagName(sched string, n int) string {
	switch {
	case (sched == "sh" || sched == "mh") && n == 1:
		return sched + "-fallback"
	case (sched == "sh" || sched == "mh") && n == 2:
		return sched + "-port"
	}
	return []string{"", "flag-1", "flag-2", "flag-3"}[n]
}

func isFullMask(m netip.Addr) bool {
	for _, b := range m.AsSlice() {
		if b != 0xff {
			return false
		}
	}
	return true
}

// Sort orders services and their real servers as ipvsadm does without
// --nosort: by protocol, address and port.
func (t *Table) Sort() {
	sort.SliceStable(t.Services, func(i, j int) bool {
		a, b := t.Services[i], t.Services[j]
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.Addr.Compare(b.Addr) < 0
	})
	for _, s := range t.Services {
		sort.SliceStable(s.Dests, func(i, j int) bool { return s.Dests[i].Addr.Compare(s.Dests[j].Addr) < 0 })
	}
}
