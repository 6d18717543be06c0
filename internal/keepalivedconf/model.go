// Package keepalivedconf reads keepalived.conf as keepalived 2.2 does into a
// validated, typed model for the director (VRRP and the LVS data plane).
//
// Reading follows keepalived's rules: '#' and '!' comments, braces split off
// the words they touch, include globs, @id conditionals, $PARAMETERS and
// ~SEQ generators. Unknown keywords and stray braces are warnings (keepalived
// logs and ignores them); bad values and missing required settings are errors.
// Every model object keeps the Pos where it was declared. Defaults are
// filled in as keepalived's, so the runtime never has to know them, and the
// corrections keepalived makes (rounding advert_int, resetting real ports
// under DR, dropping a virtual_server without real servers ...) are made and
// reported the same way.
//
// Keywords keepalived knows but shardcat does not implement (use_vmac,
// virtual_routes, track_file, BFD, SNMP, DNS_CHECK ...) are reported as
// "not supported" warnings and skipped with their blocks. Not implemented
// in the reader: ~LST generators, ${_RANDOM}, ${_ENV}, includer/includem.
package keepalivedconf

import (
	"net/netip"
	"time"
)

// Config is one loaded keepalived.conf with its includes.
type Config struct {
	Global              GlobalDefs
	Scripts             []*VRRPScript // vrrp_script blocks, in file order
	Instances           []*VRRPInstance
	SyncGroups          []*SyncGroup
	VirtualServerGroups []*VirtualServerGroup
	VirtualServers      []*VirtualServer
}

// Script finds a vrrp_script by name.
func (c *Config) Script(name string) *VRRPScript {
	for _, s := range c.Scripts {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Instance finds a vrrp_instance by name.
func (c *Config) Instance(name string) *VRRPInstance {
	for _, in := range c.Instances {
		if in.Name == name {
			return in
		}
	}
	return nil
}

// GlobalDefs is the global_defs block.
type GlobalDefs struct {
	RouterID              string
	NotificationEmail     []string
	NotificationEmailFrom string
	SMTPServer            string // address or host name; "" = no mail
	SMTPPort              int    // 25
	SMTPHeloName          string
	SMTPConnectTimeout    time.Duration // 30s
	SMTPAlert             bool
	EnableScriptSecurity  bool
	ScriptUser            string
	ScriptGroup           string

	VRRPVersion     int        // 2
	VRRPMcastGroup4 netip.Addr // 224.0.0.18
	VRRPMcastGroup6 netip.Addr // ff02::12

	GARP GARPSettings // vrrp_garp_*; instances inherit what they do not set

	VRRPGarpInterval         time.Duration // delay between gratuitous ARPs on one interface
	VRRPGnaInterval          time.Duration // the same for IPv6 neighbour advertisements
	VRRPMinGarp              bool
	VRRPStrict               bool
	VRRPSkipCheckAdvAddr     bool
	VRRPCheckUnicastSrc      bool
	VRRPLowerPrioNoAdvert    bool
	VRRPHigherPrioSendAdvert bool
	VRRPStartupDelay         time.Duration
	VRRPDownTimerAdverts     int // 3
	MaxAutoPriority          int // -1 = not set
	DynamicInterfaces        bool
	LVSFlush                 bool
	LVSFlushOnStop           bool
	LVSTimeouts              LVSTimeouts // lvs_timeouts
}

// LVSTimeouts is global_defs `lvs_timeouts tcp N tcpfin N udp N` (ipvsadm
// --set); 0 = not set (the kernel's 900 s, 120 s and 300 s).
type LVSTimeouts struct {
	TCP    time.Duration // established TCP connections
	TCPFin time.Duration // TCP connections after a FIN
	UDP    time.Duration
}

// GARPSettings are the gratuitous ARP / unsolicited NA repeat counts and delays.
type GARPSettings struct {
	MasterDelay         time.Duration // 5s: the second batch after becoming master
	MasterRepeat        int           // 5
	LowerPrioDelay      time.Duration // = MasterDelay unless set
	LowerPrioRepeat     int           // = MasterRepeat unless set
	MasterRefresh       time.Duration // 0 = off
	MasterRefreshRepeat int           // 1
}

// VRRPScript is a vrrp_script block: a command whose exit status adjusts
// the priority of the instances that track it.
type VRRPScript struct {
	Pos      Pos
	Name     string
	Script   string        // command line as written
	Interval time.Duration // 1s; whole seconds 1..4294 in keepalived 2.2
	Timeout  time.Duration // = Interval unless set; whole seconds
	Weight   int           // -253..253; 0 = failure puts the instance in FAULT
	Reverse  bool
	Rise     int // 1
	Fall     int // 1
	User     string
	Group    string
	InitFail bool
}

// State is a VRRP instance's initial state.
type State string

const (
	StateMaster State = "MASTER"
	StateBackup State = "BACKUP"
)

// VRRPInstance is a vrrp_instance block.
type VRRPInstance struct {
	Pos             Pos
	Name            string
	State           State // BACKUP unless "state MASTER"
	Interface       string
	VirtualRouterID int           // 1..255; 0 = missing (an error)
	Priority        int           // 1..255, 100
	AdvertInt       time.Duration // 1s
	Version         int           // 2 or 3; global vrrp_version unless set
	NoPreempt       bool
	PreemptDelay    time.Duration // 0..1000s
	Authentication  *Authentication

	VirtualIPs         []VirtualIP // virtual_ipaddress
	ExcludedVirtualIPs []VirtualIP // virtual_ipaddress_excluded

	UnicastSrcIP netip.Addr
	UnicastPeers []UnicastPeer
	McastSrcIP   netip.Addr

	TrackInterfaces  []TrackedInterface
	TrackScripts     []TrackedScript
	DontTrackPrimary bool

	Notify    Notify
	SMTPAlert bool

	GARP             GARPSettings // global values unless overridden here
	Accept           bool         // accept packets to the VIPs when master; default on unless vrrp_strict
	StrictMode       bool
	SkipCheckAdvAddr bool
	CheckUnicastSrc  bool
	DownTimerAdverts int    // 3
	SyncGroup        string // filled from vrrp_sync_group
}

// Authentication is the (deprecated in VRRPv3) authentication block.
type Authentication struct {
	Type     string // PASS or AH
	Password string // at most 8 bytes are used; longer is truncated with a warning
}

// VirtualIP is one virtual_ipaddress line: ADDR[/PREFIX] [brd B] [dev IF]
// [scope S] [label L] (and a few flags kept as written).
type VirtualIP struct {
	Pos       Pos
	Prefix    netip.Prefix // /32 or /128 when no prefix is written
	Broadcast netip.Addr
	Dev       string // "" = the instance's interface
	Scope     string // "" = global
	Label     string
	NoDAD     bool
	NoTrack   bool
}

// UnicastPeer is one unicast_peer line.
type UnicastPeer struct {
	Addr   netip.Addr
	MinTTL int // 0 = not checked
	MaxTTL int // 0 = not checked
}

// TrackedInterface is one track_interface line.
type TrackedInterface struct {
	Name    string
	Weight  int
	Reverse bool
}

// TrackedScript is one track_script line; WeightSet tells whether it
// overrides the vrrp_script's weight.
type TrackedScript struct {
	Pos       Pos
	Name      string
	Weight    int
	WeightSet bool
	Reverse   bool
}

// Command is a notify/quorum/misc script: the command line and the user
// (and group) to run it as ("" = script_user).
type Command struct {
	Line  string
	User  string
	Group string
}

// Notify holds the notify scripts of an instance or sync group; nil = none.
type Notify struct {
	Master *Command
	Backup *Command
	Fault  *Command
	Stop   *Command
	Any    *Command // "notify": called for every transition with extra arguments
}

// SyncGroup is a vrrp_sync_group: instances that change state together.
type SyncGroup struct {
	Pos             Pos
	Name            string
	Members         []string // instance names
	Notify          Notify
	SMTPAlert       bool
	TrackInterfaces []TrackedInterface
	TrackScripts    []TrackedScript
}

// VirtualServerGroup is a virtual_server_group: several VIP:port, ranges
// or fwmarks served by one virtual_server definition.
type VirtualServerGroup struct {
	Pos     Pos
	Name    string
	Entries []VSGEntry
}

// VSGEntry is an address range with a port, or a firewall mark.
type VSGEntry struct {
	First  netip.Addr // first address of the range
	Last   netip.Addr // = First for a single address
	Port   int
	FWMark uint32 // non-zero for a "fwmark N" entry
}

// VirtualServer is a virtual_server block: exactly one of Addr, FWMark or
// Group names the service.
type VirtualServer struct {
	Pos    Pos
	Addr   netip.AddrPort
	FWMark uint32
	Group  string

	DelayLoop              time.Duration // 60s: the checkers' interval
	Scheduler              string        // lvs_sched / lb_algo; wlc
	Method                 string        // lvs_method / lb_kind: NAT (default), DR, TUN
	PersistenceTimeout     time.Duration // 0 = none; 360s when written without a value
	PersistenceGranularity netip.Addr    // netmask; invalid = /32
	Protocol               string        // TCP, UDP (keepalived's default) or SCTP; "" for fwmark services
	HASuspend              bool
	VirtualHost            string
	Alpha                  bool
	Omega                  bool
	Quorum                 int // 1
	Hysteresis             int // 0
	QuorumUp               *Command
	QuorumDown             *Command
	SorryServer            netip.AddrPort
	SorryServerInhibit     bool
	InhibitOnFailure       bool

	// Checker defaults written at this level (checkers inherit them).
	ConnectTimeout   time.Duration // 5s
	Retry            int           // -1 = checker's own default
	DelayBeforeRetry time.Duration // -1 = checker's own default
	Warmup           time.Duration // -1 = not set

	RealServers []*RealServer
}

// RealServer is one real_server block.
type RealServer struct {
	Pos              Pos
	Addr             netip.AddrPort
	Weight           int    // 1
	Method           string // the virtual server's unless set
	InhibitOnFailure bool   // also on when the virtual server sets it
	NotifyUp         *Command
	NotifyDown       *Command
	UThreshold       int // 0 = no limit
	LThreshold       int
	Alpha            bool
	ProxyProtocol    int // shardcat extension `proxy_protocol v1|v2`: 0 = none
	Checkers         []*Checker
}

// Checker is one health checker of a real server. Common settings are
// resolved against the real and virtual server's (defaults as keepalived's).
type Checker struct {
	Pos              Pos
	Type             string     // TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, MYSQL_CHECK
	ConnectIP        netip.Addr // invalid = the real server's address
	ConnectPort      int        // 0 = the real server's port
	BindTo           netip.Addr
	BindPort         int
	BindIf           string
	ConnectTimeout   time.Duration
	Retry            int // extra attempts before DOWN
	DelayBeforeRetry time.Duration
	Warmup           time.Duration // -1 = random up to DelayLoop (keepalived's default)
	DelayLoop        time.Duration
	Alpha            bool // start DOWN; also on when the real or virtual server sets alpha
	LogAllFailures   bool
	Rise             int // successes needed to go UP; keepalived has none, so 1

	HTTP  *HTTPCheck  // HTTP_GET and SSL_GET
	Misc  *MiscCheck  // MISC_CHECK
	MySQL *MySQLCheck // MYSQL_CHECK (a shardcat extension)
}

// HTTPCheck is the HTTP_GET / SSL_GET specific part.
type HTTPCheck struct {
	URLs         []URLCheck
	VirtualHost  string // the virtual server's virtualhost unless set
	HTTPProtocol string // 1.0 (default), 1.0C, 1.1
	EnableSNI    bool
}

// URLCheck is one url { } block.
type URLCheck struct {
	Path        string
	Digest      string        // hex MD5 of the body, "" = not checked
	StatusCodes []StatusRange // empty = 200-299
	VirtualHost string
}

// StatusRange is an inclusive range of HTTP status codes.
type StatusRange struct{ From, To int }

// MiscCheck is the MISC_CHECK specific part.
type MiscCheck struct {
	Path    string        // command line
	Timeout time.Duration // 0 = delay_loop
	Dynamic bool          // exit 2..255 sets the weight to exit-2
	User    string
	Group   string
}

// MySQLCheck is shardcat's MYSQL_CHECK: a full login, then Query (or
// COM_PING when empty), then COM_QUIT.
type MySQLCheck struct {
	User     string
	Password string
	Database string
	Query    string
}
