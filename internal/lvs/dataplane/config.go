// Package dataplane is shardcat's user-space L4 data plane for keepalived
// virtual_server blocks: a TCP listener per virtual server that schedules
// each new connection onto a live real server with the IPVS scheduler
// (internal/lvs/sched), relays bytes both ways with half-close, keeps the
// ipvsadm counters, honours persistence templates, and runs health checkers
// (TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK and shardcat's MYSQL_CHECK) that
// take real servers out of (and back into) scheduling.
//
// Every lb_kind (NAT, DR, TUN) is forwarded as NAT: the director terminates
// the client's TCP connection and opens one to the real server, optionally
// sending it a PROXY protocol v1/v2 header first (real_server
// proxy_protocol, a shardcat extension) so it sees the client's address.
//
// keepalived's pool behaviour is kept: quorum and hysteresis over the sum
// of the live real servers' weights, with quorum_up/quorum_down; a
// sorry_server that replaces the real servers while the quorum is lost
// (also when every real server is down), removed or, with
// sorry_server_inhibit, kept with weight 0 afterwards; inhibit_on_failure
// keeping a failed real server with weight 0; notify_up/notify_down. Scripts
// run as keepalived runs them (package script: no shell, script_user,
// enable_script_security); nobody waits for them and their output is
// discarded.
//
// Counters: InPkts/OutPkts are the client sockets' TCP_INFO tcpi_segs_in
// (segments from the client) and tcpi_segs_out (segments to it), SYN, FIN
// and pure ACKs included, as IPVS counts every packet; live connections are
// sampled at each Snapshot and closed ones accumulated. Bytes are payload.
//
// Connection states: a connection counts as active (ESTABLISHED) from the
// moment both legs are connected until either side half-closes, inactive
// while the real server is being dialled (SYN_RECV) and after a half-close:
// FIN_WAIT when the real server closed first, CLOSE_WAIT when the client
// did, as the kernel's NAT state table has it. Once both legs are closed
// it stays in the table as IPVS keeps it (closed.go): TIME_WAIT for 120 s
// after both FINs, CLOSE for 10 s after a reset or a refused connect, both
// inactive and holding their persistence template; a connection closed
// for a timeout leaves at once. Divergences from the kernel: the state
// machine is coarser (a reset that follows the FINs is not seen; LAST_ACK,
// which the kernel's NAT table does not reach from ESTABLISHED, never
// shows), and the goroutine relay closes a connection between one and two
// of its state's timeouts after its last byte (see relayOneWay). MaxConns
// is a shardcat addition.
package dataplane

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/lvs/sched"
	"github.com/shardcat/shardcat/internal/script"
)

// ServiceConfig describes one virtual server.
type ServiceConfig struct {
	Addr      netip.AddrPort // where to listen; port 0 picks one (tests)
	Scheduler string         // ipvsadm name; "" = wlc
	Flags     sched.Flags
	Method    string // NAT, DR or TUN: all forwarded as NAT

	// PersistenceTimeout > 0 makes the service persistent: clients whose
	// address masked by PersistenceMask is equal go to the same real server
	// while it is live, until PersistenceTimeout after their last connection.
	PersistenceTimeout time.Duration
	PersistenceMask    netip.Addr // netmask; invalid = /32 (/128 for IPv6)
	// ExpireQuiescentTemplate is the sysctl net.ipv4.vs.expire_quiescent_template:
	// a template pointing at a weight-0 real server (quiesced, or failed
	// under inhibit_on_failure) is dropped instead of keeping its client
	// there. Off by default, as in the kernel.
	ExpireQuiescentTemplate bool

	// HASuspend (ha_suspend) pauses the checkers while the virtual
	// server's address is not on this host (a VRRP backup): real servers
	// keep the state they had. Omega (omega) runs, when the service is
	// removed or the director stops, notify_down for each live real server
	// and quorum_down if the quorum was up.
	HASuspend bool
	Omega     bool

	// Group names the virtual_server_group of a `virtual_server group
	// NAME` block, whose addresses are Members (StartGroup runs one
	// service per member; Addr is then the member's).
	Group   string
	Members []netip.AddrPort

	DialTimeout time.Duration // connect timeout to real servers; 0 = 5s
	RealServers []RealServerConfig

	// Quorum is keepalived's quorum: the service is up while the sum of
	// the weights of the live real servers is >= Quorum+Hysteresis after
	// being down, and goes down below Quorum-Hysteresis (or at 0). 0 = 1.
	Quorum     int
	Hysteresis int
	QuorumUp   *script.Command // run when the quorum is gained; nil = none
	QuorumDown *script.Command // ... and when it is lost
	// SorryServer takes every new connection while the quorum is lost
	// (also when every real server is down). After the quorum comes back it
	// is removed, or with SorryServerInhibit kept with weight 0.
	SorryServer        netip.AddrPort
	SorryServerInhibit bool

	// IdleTimeout closes a connection with no byte either way for that
	// long (IPVS's tcp ESTABLISHED timeout). After the first half-close
	// FinTimeout replaces it when the real server closed first (FIN_WAIT,
	// tcpfin), CloseWaitTimeout when the client did (CLOSE_WAIT, which
	// ipvsadm --set and lvs_timeouts leave at the kernel's 60 s).
	// 0 = 900 s, 120 s and 60 s.
	IdleTimeout      time.Duration
	FinTimeout       time.Duration
	CloseWaitTimeout time.Duration
	// MaxConns > 0 bounds the connections handled at once: beyond it a new
	// client connection is accepted and closed at once (counted as Refused).
	MaxConns int
}

// RealServerConfig describes one real server.
type RealServerConfig struct {
	Addr             netip.AddrPort
	Weight           int // 0 = quiesced (no new connections)
	InhibitOnFailure bool
	UThreshold       int             // 0 = no connection limit (ipvsadm -x)
	LThreshold       int             // 0 = resume at 75% of UThreshold (ipvsadm -y)
	Checks           []CheckConfig   // all must be up; none = always up
	NotifyUp         *script.Command // run when the real server comes up; nil = none
	NotifyDown       *script.Command // ... and when it goes down
	ProxyProtocol    int             // 1 or 2: send a PROXY protocol v1/v2 header first; 0 = none
}

// ApplyGlobal copies global_defs lvs_timeouts (tcp, tcpfin) into cfg where
// they are set.
func ApplyGlobal(cfg *ServiceConfig, g keepalivedconf.GlobalDefs) {
	if g.LVSTimeouts.TCP > 0 {
		cfg.IdleTimeout = g.LVSTimeouts.TCP
	}
	if g.LVSTimeouts.TCPFin > 0 {
		cfg.FinTimeout = g.LVSTimeouts.TCPFin
	}
}

// Key names the configuration among a director's services: its address,
// or its group.
func (c ServiceConfig) Key() string {
	if c.Group != "" {
		return "group " + c.Group
	}
	return c.Addr.String()
}

// prepare makes c runnable under the global script settings sec; a
// script that cannot run (a bad line, an unknown user, insecure under
// enable_script_security) is left out with a warning, as keepalived
// disables it.
func prepare(c *keepalivedconf.Command, sec script.Security, where string, warnings *[]string) *script.Command {
	if c == nil {
		return nil
	}
	cmd, err := script.Prepare(c.Line, c.User, c.Group, sec)
	if err != nil {
		*warnings = append(*warnings, fmt.Sprintf("%s: script %q disabled: %v", where, c.Line, err))
		return nil
	}
	return &cmd
}

// CheckConfig is one health checker: a TCP_CHECK unless HTTP, Misc or
// MySQL is set.
type CheckConfig struct {
	Addr             netip.AddrPort // connect_ip:connect_port
	BindTo           netip.Addr     // bindto: the probes' source address; invalid = any
	BindPort         int            // bind_port: their source port; 0 = any
	ConnectTimeout   time.Duration
	Retry            int // extra attempts before DOWN
	DelayBeforeRetry time.Duration
	DelayLoop        time.Duration
	Warmup           time.Duration // first check after a random delay up to this
	Alpha            bool          // start DOWN
	Rise             int           // consecutive successes to come UP; <= 1 = one

	HTTP  *HTTPCheckConfig  // HTTP_GET, SSL_GET
	Misc  *MiscCheckConfig  // MISC_CHECK
	MySQL *MySQLCheckConfig // MYSQL_CHECK
}

// FromKeepalived converts a parsed virtual_server block. It fails for what
// the data plane cannot run yet (fwmark and group services, UDP and SCTP).
// TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK and MYSQL_CHECK are run; other
// checkers are returned as warnings and ignored (the real server then stays
// up as far as they are concerned).
//
// group is the virtual_server_group a `virtual_server group NAME` block
// names (nil otherwise): its address entries become Members; fwmark
// entries are refused, as fwmark services are.
func FromKeepalived(vs *keepalivedconf.VirtualServer, group *keepalivedconf.VirtualServerGroup, sec script.Security) (ServiceConfig, []string, error) {
	var warnings []string
	var members []netip.AddrPort
	switch {
	case vs.FWMark != 0:
		return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server fwmark %d: fwmark services are not supported (the user-space data plane sees no firewall marks); use virtual_server IP PORT or a virtual_server_group of addresses", vs.Pos, vs.FWMark)
	case vs.Group != "":
		if group == nil || group.Name != vs.Group {
			return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server group %s: no such virtual_server_group", vs.Pos, vs.Group)
		}
		for _, e := range group.Entries {
			if e.FWMark != 0 {
				return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server_group %s: fwmark %d: fwmark entries are not supported (the user-space data plane sees no firewall marks)", group.Pos, group.Name, e.FWMark)
			}
			addrs, err := groupAddrs(e.First, e.Last, e.Port)
			if err != nil {
				return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server_group %s: %s %d: %v", group.Pos, group.Name, e.First, e.Port, err)
			}
			members = append(members, addrs...)
		}
		if len(members) == 0 {
			return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server_group %s has no address", group.Pos, group.Name)
		}
	case !vs.Addr.IsValid():
		return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server without an address", vs.Pos)
	case vs.Addr.Port() == 0:
		return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server %s: port 0 (every port) is not supported by the user-space data plane", vs.Pos, vs.Addr)
	}
	name := vs.Addr.String()
	if vs.Group != "" {
		name = "group " + vs.Group
	}
	if vs.Protocol != "TCP" {
		return ServiceConfig{}, nil, fmt.Errorf("%s: virtual_server %s: protocol %s is not supported yet (only TCP)", vs.Pos, name, vs.Protocol)
	}
	if _, err := sched.New(vs.Scheduler, sched.Flags{}); err != nil {
		return ServiceConfig{}, nil, fmt.Errorf("%s: %v", vs.Pos, err)
	}
	cfg := ServiceConfig{
		Addr:               vs.Addr,
		Group:              vs.Group,
		HASuspend:          vs.HASuspend,
		Omega:              vs.Omega,
		Members:            members,
		Scheduler:          vs.Scheduler,
		Method:             vs.Method,
		PersistenceTimeout: vs.PersistenceTimeout,
		PersistenceMask:    vs.PersistenceGranularity,
		Quorum:             vs.Quorum,
		Hysteresis:         vs.Hysteresis,
		SorryServer:        vs.SorryServer,
		SorryServerInhibit: vs.SorryServerInhibit,
	}
	where := fmt.Sprintf("%s: virtual_server %s", vs.Pos, name)
	cfg.QuorumUp = prepare(vs.QuorumUp, sec, where+": quorum_up", &warnings)
	cfg.QuorumDown = prepare(vs.QuorumDown, sec, where+": quorum_down", &warnings)
	if vs.Method == "DR" || vs.Method == "TUN" {
		warnings = append(warnings, fmt.Sprintf("%s: virtual_server %s: lvs_method %s is forwarded as NAT by the user-space data plane", vs.Pos, name, vs.Method))
	}
	for _, rs := range vs.RealServers {
		r := RealServerConfig{Addr: rs.Addr, Weight: rs.Weight, InhibitOnFailure: rs.InhibitOnFailure || vs.InhibitOnFailure,
			UThreshold: rs.UThreshold, LThreshold: rs.LThreshold,
			ProxyProtocol: rs.ProxyProtocol}
		where := fmt.Sprintf("%s: real_server %s", rs.Pos, rs.Addr)
		r.NotifyUp = prepare(rs.NotifyUp, sec, where+": notify_up", &warnings)
		r.NotifyDown = prepare(rs.NotifyDown, sec, where+": notify_down", &warnings)
		for _, c := range rs.Checkers {
			cc := CheckConfig{}
			switch {
			case c.Type == "TCP_CHECK":
			case (c.Type == "HTTP_GET" || c.Type == "SSL_GET") && c.HTTP != nil:
				h := &HTTPCheckConfig{TLS: c.Type == "SSL_GET", VirtualHost: c.HTTP.VirtualHost}
				for _, u := range c.HTTP.URLs {
					hu := HTTPURL{Path: u.Path, Digest: u.Digest, VirtualHost: u.VirtualHost}
					for _, r := range u.StatusCodes {
						hu.StatusCodes = append(hu.StatusCodes, [2]int{r.From, r.To})
					}
					h.URLs = append(h.URLs, hu)
				}
				cc.HTTP = h
			case c.Type == "MISC_CHECK" && c.Misc != nil:
				cmd := prepare(&keepalivedconf.Command{Line: c.Misc.Path, User: c.Misc.User, Group: c.Misc.Group}, sec,
					fmt.Sprintf("%s: MISC_CHECK", c.Pos), &warnings)
				if cmd == nil {
					continue // keepalived runs no checker for a disabled script
				}
				cc.Misc = &MiscCheckConfig{Cmd: *cmd, Timeout: c.Misc.Timeout, Dynamic: c.Misc.Dynamic}
			case c.Type == "MYSQL_CHECK" && c.MySQL != nil:
				cc.MySQL = &MySQLCheckConfig{User: c.MySQL.User, Password: c.MySQL.Password, Database: c.MySQL.Database, Query: c.MySQL.Query}
			default:
				warnings = append(warnings, fmt.Sprintf("%s: %s is not implemented yet; ignored", c.Pos, c.Type))
				continue
			}
			ip, port := c.ConnectIP, uint16(c.ConnectPort)
			if !ip.IsValid() {
				ip = rs.Addr.Addr()
			}
			if port == 0 {
				port = rs.Addr.Port()
			}
			warmup := c.Warmup
			if warmup < 0 {
				warmup = c.DelayLoop
			}
			cc.Addr = netip.AddrPortFrom(ip, port)
			cc.BindTo, cc.BindPort = c.BindTo, c.BindPort
			cc.ConnectTimeout = c.ConnectTimeout
			cc.Retry = c.Retry
			cc.DelayBeforeRetry = c.DelayBeforeRetry
			cc.DelayLoop = c.DelayLoop
			cc.Warmup = warmup
			cc.Alpha = c.Alpha
			cc.Rise = c.Rise
			r.Checks = append(r.Checks, cc)
		}
		cfg.RealServers = append(cfg.RealServers, r)
	}
	return cfg, warnings, nil
}
