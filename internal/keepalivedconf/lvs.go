package keepalivedconf

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// checkDefaults are checker settings written at virtual_server, real_server
// or checker level; nil = not written there. finish() resolves each
// checker's values from the most specific level that sets them.
type checkDefaults struct {
	connectTimeout   *time.Duration
	retry            *int
	delayBeforeRetry *time.Duration
	warmup           *time.Duration
	delayLoop        *time.Duration
}

func (p *parser) defaultsOf(owner any) *checkDefaults {
	d := p.checkDefaults[owner]
	if d == nil {
		d = &checkDefaults{}
		p.checkDefaults[owner] = d
	}
	return d
}

// checkDefaultKeywords adds the checker settings that may be written at
// the level of owner (a virtual server, real server or checker).
func (p *parser) checkDefaultKeywords(kws map[string]keyword, owner any) {
	d := p.defaultsOf(owner)
	duration := func(dst **time.Duration, min time.Duration) func(stmt) {
		return func(s stmt) {
			if v, ok := p.durationValue(s, 0, min, maxTimer); ok {
				*dst = &v
			}
		}
	}
	retry := func(s stmt) {
		if v, ok := p.intValue(s, 0, 0, 1<<30); ok {
			d.retry = &v
		}
	}
	kws["connect_timeout"] = keyword{line: duration(&d.connectTimeout, time.Millisecond)}
	kws["retry"] = keyword{line: retry}
	kws["delay_before_retry"] = keyword{line: duration(&d.delayBeforeRetry, 0)}
	kws["warmup"] = keyword{line: duration(&d.warmup, 0)}
	if _, isVS := owner.(*VirtualServer); !isVS {
		kws["delay_loop"] = keyword{line: duration(&d.delayLoop, time.Millisecond)}
	}
}

var (
	schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq", "twos"}
	methods    = []string{"NAT", "DR", "TUN"}
)

// virtualServer reads `virtual_server IP PORT`, `virtual_server fwmark N`
// or `virtual_server group NAME`.
func (p *parser) virtualServer(s stmt) *block {
	// Scheduler, Method and Protocol stay "" until finish(), which reports
	// keepalived's defaults for them.
	vs := &VirtualServer{Pos: s.pos, DelayLoop: 60 * time.Second, Quorum: 1}
	args := s.args()
	switch {
	case len(args) >= 1 && args[0] == "fwmark":
		mark, ok := p.intValue(s, 1, 1, 1<<32-1)
		if !ok {
			return nil
		}
		vs.FWMark = uint32(mark)
	case len(args) >= 1 && args[0] == "group":
		name, ok := p.arg(s, 1, "a virtual_server_group name")
		if !ok {
			return nil
		}
		vs.Group = name
	default:
		if len(args) == 0 {
			p.rep.errorf(s.pos, "virtual_server: expected `virtual_server IP [PORT]`, `virtual_server fwmark N` or `virtual_server group NAME`: block ignored")
			return nil
		}
		ap, ok := p.addrOptionalPort(s, 0, 0)
		if !ok {
			return nil
		}
		vs.Addr = ap
	}
	p.cfg.VirtualServers = append(p.cfg.VirtualServers, vs)
	kws := map[string]keyword{
		"delay_loop": {line: p.setDuration(&vs.DelayLoop, time.Millisecond, maxTimer)},
		"lvs_sched":  {line: p.setOneOf(&vs.Scheduler, schedulers...)},
		"lb_algo":    {line: p.setOneOf(&vs.Scheduler, schedulers...)},
		"lvs_method": {line: p.setMethod(&vs.Method)},
		"lb_kind":    {line: p.setMethod(&vs.Method)},
		"persistence_timeout": {line: func(s stmt) {
			if len(s.args()) == 0 {
				vs.PersistenceTimeout = 360 * time.Second
				return
			}
			p.setDuration(&vs.PersistenceTimeout, time.Second, maxTimer)(s)
		}},
		"persistence_granularity": {line: p.setAddr(&vs.PersistenceGranularity)},
		"protocol":                {line: p.setOneOf(&vs.Protocol, "TCP", "UDP", "SCTP")},
		"ha_suspend":              {line: p.setFlag(&vs.HASuspend)},
		"virtualhost":             {line: p.setString(&vs.VirtualHost)},
		"alpha":                   {line: p.setFlag(&vs.Alpha)},
		"omega":                   {line: p.setFlag(&vs.Omega)},
		"quorum":                  {line: p.setInt(&vs.Quorum, 1, 1<<30)},
		"hysteresis":              {line: p.setInt(&vs.Hysteresis, 0, 1<<30)},
		"quorum_up":               {line: p.setCommand(&vs.QuorumUp)},
		"quorum_down":             {line: p.setCommand(&vs.QuorumDown)},
		"sorry_server": {line: func(s stmt) {
			if ap, ok := p.addrPortValue(s, 0); ok {
				vs.SorryServer = ap
			}
		}},
		"sorry_server_inhibit": {line: p.setFlag(&vs.SorryServerInhibit)},
		"inhibit_on_failure":   {line: p.setFlag(&vs.InhibitOnFailure)},
		"real_server":          {sub: func(s stmt) *block { return p.realServer(vs, s) }},
	}
	p.checkDefaultKeywords(kws, vs)
	for _, kw := range []string{"persistence_engine", "ops", "flag-1", "flag-2", "flag-3",
		"sh-port", "sh-fallback", "mh-port", "mh-fallback", "sorry_server_lvs_method", "ip_family",
		"smtp_alert"} {
		kws[kw] = keyword{ignored: true}
	}
	return &block{name: "virtual_server " + vs.name(), keywords: kws}
}

func (vs *VirtualServer) name() string {
	switch {
	case vs.FWMark != 0:
		return "fwmark " + strconv.FormatUint(uint64(vs.FWMark), 10)
	case vs.Group != "":
		return "group " + vs.Group
	}
	return vs.Addr.Addr().String() + " " + strconv.Itoa(int(vs.Addr.Port()))
}

// setMethod reads `NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]`;
// only the method itself matters to a user-space director.
func (p *parser) setMethod(dst *string) func(stmt) {
	return func(s stmt) {
		if v, ok := p.oneOf(s, 0, methods...); ok {
			*dst = v
		}
	}
}

func (p *parser) realServer(vs *VirtualServer, s stmt) *block {
	// The port may be left out (fwmark services); 0 then means "the virtual port".
	ap, ok := p.addrOptionalPort(s, 0, 0)
	if !ok {
		return nil
	}
	rs := &RealServer{Pos: s.pos, Addr: ap, Weight: 1}
	vs.RealServers = append(vs.RealServers, rs)
	kws := map[string]keyword{
		"weight":             {line: p.setInt(&rs.Weight, 0, 65535)},
		"lvs_method":         {line: p.setMethod(&rs.Method)},
		"lb_kind":            {line: p.setMethod(&rs.Method)},
		"inhibit_on_failure": {line: p.setFlag(&rs.InhibitOnFailure)},
		"notify_up":          {line: p.setCommand(&rs.NotifyUp)},
		"notify_down":        {line: p.setCommand(&rs.NotifyDown)},
		"uthreshold":         {line: p.setInt(&rs.UThreshold, 0, 1<<30)},
		"lthreshold":         {line: p.setInt(&rs.LThreshold, 0, 1<<30)},
		"alpha":              {line: p.setFlag(&rs.Alpha)},
		"proxy_protocol": {line: func(s stmt) {
			if v, ok := p.oneOf(s, 0, "v1", "v2"); ok {
				rs.ProxyProtocol = int(v[1] - '0')
			}
		}},
	}
	for _, typ := range []string{"TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "MYSQL_CHECK"} {
		kws[typ] = keyword{sub: func(s stmt) *block { return p.checker(rs, s) }}
	}
	for _, typ := range []string{"SMTP_CHECK", "DNS_CHECK", "BFD_CHECK", "PING_CHECK", "UDP_CHECK", "FILE_CHECK"} {
		kws[typ] = keyword{ignored: true}
	}
	p.checkDefaultKeywords(kws, rs)
	return &block{name: "real_server " + ap.Addr().String() + " " + strconv.Itoa(int(ap.Port())), keywords: kws}
}

func (p *parser) checker(rs *RealServer, s stmt) *block {
	c := &Checker{Pos: s.pos, Type: s.keyword(), Rise: 1}
	rs.Checkers = append(rs.Checkers, c)
	kws := map[string]keyword{
		"connect_ip":       {line: p.setAddr(&c.ConnectIP)},
		"connect_port":     {line: p.setInt(&c.ConnectPort, 1, 65535)},
		"bindto":           {line: p.setAddr(&c.BindTo)},
		"bind_port":        {line: p.setInt(&c.BindPort, 1, 65535)},
		"bind_if":          {line: p.setString(&c.BindIf)},
		"alpha":            {line: p.setFlag(&c.Alpha)},
		"log_all_failures": {line: p.setFlag(&c.LogAllFailures)},
		"rise":             {line: p.setInt(&c.Rise, 1, 1<<30)},
		"fwmark":           {ignored: true},
	}
	p.checkDefaultKeywords(kws, c)
	switch c.Type {
	case "HTTP_GET", "SSL_GET":
		c.HTTP = &HTTPCheck{HTTPProtocol: "1.0"}
		kws["url"] = keyword{sub: func(stmt) *block { return p.url(c.HTTP) }}
		// The old name of retry; keepalived accepts it in these two checkers only.
		kws["nb_get_retry"] = keyword{line: func(s stmt) {
			p.rep.warnf(s.pos, "nb_get_retry is deprecated: write retry")
			kws["retry"].line(s)
		}}
		kws["virtualhost"] = keyword{line: p.setString(&c.HTTP.VirtualHost)}
		kws["http_protocol"] = keyword{line: p.setOneOf(&c.HTTP.HTTPProtocol, "1.0", "1.0C", "1.1")}
		kws["enable_sni"] = keyword{line: p.setFlag(&c.HTTP.EnableSNI)}
		kws["fast_recovery"] = keyword{ignored: true}
		kws["tls_compliant"] = keyword{ignored: true}
		kws["sni_name"] = keyword{ignored: true}
	case "MISC_CHECK":
		c.Misc = &MiscCheck{}
		kws["misc_path"] = keyword{line: p.setString(&c.Misc.Path)}
		kws["misc_timeout"] = keyword{line: p.setDuration(&c.Misc.Timeout, time.Millisecond, maxTimer)}
		kws["misc_dynamic"] = keyword{line: p.setFlag(&c.Misc.Dynamic)}
		kws["user"] = keyword{line: func(s stmt) {
			if u, ok := p.arg(s, 0, "a user name"); ok {
				c.Misc.User, c.Misc.Group, _ = strings.Cut(u, ":")
			}
		}}
	case "MYSQL_CHECK":
		c.MySQL = &MySQLCheck{}
		kws["user"] = keyword{line: p.setString(&c.MySQL.User)}
		kws["password"] = keyword{line: p.setString(&c.MySQL.Password)}
		kws["database"] = keyword{line: p.setString(&c.MySQL.Database)}
		kws["query"] = keyword{line: p.setString(&c.MySQL.Query)}
	}
	return &block{name: c.Type, keywords: kws, close: func() {
		var missing string
		switch {
		case c.Misc != nil && c.Misc.Path == "":
			missing = "no misc_path (expected `misc_path \"/path/to/check args\"`)"
		case c.HTTP != nil && len(c.HTTP.URLs) == 0:
			missing = "no url block (expected `url { path /health }`)"
		case c.MySQL != nil && c.MySQL.User == "":
			missing = "no user (expected `user NAME`)"
		default:
			return
		}
		p.rep.errorf(p.lastPos(), "%s: %s: checker ignored", c.Type, missing)
		rs.Checkers = rs.Checkers[:len(rs.Checkers)-1] // c is the last one added
	}}
}

func (p *parser) url(h *HTTPCheck) *block {
	u := URLCheck{}
	return &block{name: "url", keywords: map[string]keyword{
		"path":        {line: p.setString(&u.Path)},
		"virtualhost": {line: p.setString(&u.VirtualHost)},
		"digest": {line: func(s stmt) {
			d, ok := p.arg(s, 0, "a hex MD5 digest (genhash output)")
			if !ok {
				return
			}
			if len(d) != 32 || strings.Trim(strings.ToLower(d), "0123456789abcdef") != "" {
				p.rep.errorf(s.pos, "digest: expected 32 hex digits (genhash output), got %q", d)
				return
			}
			u.Digest = strings.ToLower(d)
		}},
		"status_code": {line: func(s stmt) {
			if len(s.args()) == 0 {
				p.rep.errorf(s.pos, "status_code: missing value, expected CODE or FROM-TO (100..999)")
			}
			for _, a := range s.args() {
				from, to, isRange := strings.Cut(a, "-")
				lo, ok1 := p.parseInt(s, from, 100, 999)
				hi := lo
				ok2 := true
				if isRange {
					hi, ok2 = p.parseInt(s, to, lo, 999)
				}
				if ok1 && ok2 {
					u.StatusCodes = append(u.StatusCodes, StatusRange{lo, hi})
				}
			}
		}},
		"regex":            {ignored: true},
		"regex_no_match":   {ignored: true},
		"regex_options":    {ignored: true},
		"regex_min_offset": {ignored: true},
		"regex_max_offset": {ignored: true},
		"regex_stack":      {ignored: true},
	}, close: func() {
		if u.Path == "" {
			p.rep.errorf(p.lastPos(), "url: no path (expected `path /URI`)")
			return
		}
		h.URLs = append(h.URLs, u)
	}}
}

// virtualServerGroup reads lines of `IP PORT`, `IP-LASTOCTET PORT` (an
// address range) or `fwmark N`.
func (p *parser) virtualServerGroup(s stmt) func(stmt) {
	name, ok := p.arg(s, 0, "a group name")
	if !ok {
		return nil
	}
	g := &VirtualServerGroup{Pos: s.pos, Name: name}
	p.cfg.VirtualServerGroups = append(p.cfg.VirtualServerGroups, g)
	return func(s stmt) {
		if s.words[0] == "fwmark" {
			if mark, ok := p.intValue(s, 0, 1, 1<<32-1); ok {
				g.Entries = append(g.Entries, VSGEntry{FWMark: uint32(mark)})
			}
			return
		}
		first, last, isRange := strings.Cut(s.words[0], "-")
		a, err := netip.ParseAddr(first)
		if err != nil {
			p.rep.errorf(s.pos, "virtual_server_group %s: expected `IP PORT`, `IP-LAST PORT` or `fwmark N`, got %q", name, s.words[0])
			return
		}
		a = a.Unmap()
		end := a
		if isRange {
			end, ok = rangeEnd(a, last)
			if !ok {
				p.rep.errorf(s.pos, "virtual_server_group %s: bad range %q: expected the last octet (IPv4) or group (IPv6) after '-', not below the first", name, s.words[0])
				return
			}
		}
		port := 0 // none: only valid for persistent services
		if len(s.words) > 1 {
			if port, ok = p.parseIntFor("virtual_server_group "+name+" "+s.words[0]+" port", s, s.words[1], 0, 65535); !ok {
				return
			}
		}
		g.Entries = append(g.Entries, VSGEntry{First: a, Last: end, Port: port})
	}
}

// rangeEnd applies keepalived's range syntax: the value after '-' replaces
// the last byte of an IPv4 address or the last 16-bit group of an IPv6 one.
func rangeEnd(first netip.Addr, last string) (netip.Addr, bool) {
	if first.Is4() {
		n, err := strconv.ParseUint(last, 10, 8)
		b := first.As4()
		if err != nil || byte(n) < b[3] {
			return netip.Addr{}, false
		}
		b[3] = byte(n)
		return netip.AddrFrom4(b), true
	}
	n, err := strconv.ParseUint(last, 16, 16)
	b := first.As16()
	cur := uint64(b[14])<<8 | uint64(b[15])
	if err != nil || n < cur {
		return netip.Addr{}, false
	}
	b[14], b[15] = byte(n>>8), byte(n)
	return netip.AddrFrom16(b), true
}

// maxLVSTimeout is keepalived's LVS_MAX_TIMEOUT (31 days).
const maxLVSTimeout = 86400 * 31

// lvsTimeouts reads global_defs `lvs_timeouts [tcp N] [tcpfin N] [udp N]`
// (whole seconds; 0 leaves the kernel's default).
func (p *parser) lvsTimeouts(s stmt) {
	args := s.args()
	if len(args) == 0 {
		p.rep.errorf(s.pos, "lvs_timeouts: expected `lvs_timeouts [tcp N] [tcpfin N] [udp N]`")
		return
	}
	t := &p.cfg.Global.LVSTimeouts
	for i := 0; i < len(args); i += 2 {
		var dst *time.Duration
		switch args[i] {
		case "tcp":
			dst = &t.TCP
		case "tcpfin":
			dst = &t.TCPFin
		case "udp":
			dst = &t.UDP
		default:
			p.rep.errorf(s.pos, "lvs_timeouts: unknown protocol %q, expected tcp, tcpfin or udp", args[i])
			return
		}
		if i+1 >= len(args) {
			p.rep.errorf(s.pos, "lvs_timeouts: %s: missing value, expected seconds in 0..%d", args[i], maxLVSTimeout)
			return
		}
		n, ok := p.parseIntFor("lvs_timeouts "+args[i], s, args[i+1], 0, maxLVSTimeout)
		if !ok {
			return
		}
		*dst = time.Duration(n) * time.Second
	}
}
