package keepalivedconf

import (
	"math"
	"net/netip"
	"time"
)

// finish resolves defaults that depend on other settings or on global_defs
// (wherever they appear in the file) and checks references between blocks.
func (p *parser) finish() {
	g := &p.cfg.Global
	if !p.globalSet["lower_delay"] {
		g.GARP.LowerPrioDelay = g.GARP.MasterDelay
	}
	if !p.globalSet["lower_repeat"] {
		g.GARP.LowerPrioRepeat = g.GARP.MasterRepeat
	}
	for _, sc := range p.cfg.Scripts {
		if !p.scriptTimeouts[sc] {
			sc.Timeout = sc.Interval
		}
	}
	for _, in := range p.cfg.Instances {
		p.finishInstance(in)
	}
	p.checkVRIDs()
	p.finishSyncGroups()
	p.finishVirtualServers()
}

func (p *parser) finishInstance(in *VRRPInstance) {
	g := &p.cfg.Global
	set := p.instanceSet[in]
	garp := p.instanceGARP[in]
	in.GARP = g.GARP
	if garp.MasterDelay >= 0 {
		in.GARP.MasterDelay = garp.MasterDelay
		if garp.LowerPrioDelay < 0 && !p.globalSet["lower_delay"] {
			in.GARP.LowerPrioDelay = garp.MasterDelay
		}
	}
	if garp.MasterRepeat >= 0 {
		in.GARP.MasterRepeat = garp.MasterRepeat
		if garp.LowerPrioRepeat < 0 && !p.globalSet["lower_repeat"] {
			in.GARP.LowerPrioRepeat = garp.MasterRepeat
		}
	}
	if garp.LowerPrioDelay >= 0 {
		in.GARP.LowerPrioDelay = garp.LowerPrioDelay
	}
	if garp.LowerPrioRepeat >= 0 {
		in.GARP.LowerPrioRepeat = garp.LowerPrioRepeat
	}
	if garp.MasterRefresh >= 0 {
		in.GARP.MasterRefresh = garp.MasterRefresh
	}
	if garp.MasterRefreshRepeat >= 0 {
		in.GARP.MasterRefreshRepeat = garp.MasterRefreshRepeat
	}
	if !set["skip_check_adv_addr"] {
		in.SkipCheckAdvAddr = g.VRRPSkipCheckAdvAddr
	}
	if !set["check_unicast_src"] {
		in.CheckUnicastSrc = g.VRRPCheckUnicastSrc
	}
	if !set["down_timer_adverts"] {
		in.DownTimerAdverts = g.VRRPDownTimerAdverts
	}

	// Address family: keepalived runs IPv6 instances as VRRPv3 only, and one
	// instance advertises addresses of a single family.
	ipv6 := false
	for i, vip := range in.VirtualIPs {
		is6 := vip.Prefix.Addr().Is6()
		if i == 0 {
			ipv6 = is6
		} else if is6 != ipv6 {
			p.rep.errorf(vip.Pos, "virtual_ipaddress %s: an instance advertises one address family; put addresses of the other family in virtual_ipaddress_excluded", vip.Prefix)
		}
	}
	if !set["version"] {
		in.Version = g.VRRPVersion
	}
	if ipv6 && in.Version == 2 {
		if set["version"] {
			p.rep.warnf(in.Pos, "vrrp_instance %s: IPv6 needs VRRP version 3; keepalived uses version 3", in.Name)
		}
		in.Version = 3
	}

	// advert_int: VRRPv2 carries whole seconds, VRRPv3 centiseconds up to 40.95 s.
	switch {
	case in.Version == 2 && in.AdvertInt%time.Second != 0:
		rounded := time.Duration(math.Max(1, math.Round(in.AdvertInt.Seconds()))) * time.Second
		p.rep.warnf(in.Pos, "vrrp_instance %s: advert_int %ss is not a whole number of seconds, which VRRPv2 needs; rounded to %ss (or use `version 3`)",
			in.Name, secs(in.AdvertInt), secs(rounded))
		in.AdvertInt = rounded
	case in.Version == 3 && in.AdvertInt > 4095*10*time.Millisecond:
		p.rep.errorf(in.Pos, "vrrp_instance %s: advert_int %ss is too long for VRRPv3, expected 0.01..40.95 seconds", in.Name, secs(in.AdvertInt))
	}

	strict := g.VRRPStrict || in.StrictMode
	if !set["accept"] {
		in.Accept = !strict || in.Priority == 255
	}
	if in.Authentication != nil && in.Version == 3 {
		p.rep.warnf(in.Pos, "vrrp_instance %s: VRRPv3 has no authentication: authentication block ignored", in.Name)
		in.Authentication = nil
	}
	if strict {
		if in.Authentication != nil {
			p.rep.warnf(in.Pos, "vrrp_instance %s: vrrp_strict forbids authentication: ignored", in.Name)
			in.Authentication = nil
		}
		if len(in.UnicastPeers) > 0 {
			p.rep.errorf(in.Pos, "vrrp_instance %s: vrrp_strict forbids unicast_peer (strict VRRP is multicast only)", in.Name)
		}
		if len(in.VirtualIPs) == 0 {
			p.rep.errorf(in.Pos, "vrrp_instance %s: vrrp_strict needs at least one virtual_ipaddress", in.Name)
		}
	}

	// track_script names must exist; keepalived ignores the others.
	kept := in.TrackScripts[:0]
	for _, t := range in.TrackScripts {
		if p.cfg.Script(t.Name) == nil {
			p.rep.warnf(t.Pos, "vrrp_instance %s: track_script %s: no vrrp_script of that name: ignored", in.Name, t.Name)
			continue
		}
		kept = append(kept, t)
	}
	in.TrackScripts = kept
}

// checkVRIDs reports two instances with the same virtual_router_id on the
// same interface: their adverts would be taken for each other's.
func (p *parser) checkVRIDs() {
	type key struct {
		iface string
		vrid  int
		ipv6  bool
	}
	seen := map[key]*VRRPInstance{}
	for _, in := range p.cfg.Instances {
		if in.VirtualRouterID == 0 || in.Interface == "" {
			continue
		}
		k := key{in.Interface, in.VirtualRouterID, len(in.VirtualIPs) > 0 && in.VirtualIPs[0].Prefix.Addr().Is6()}
		if other := seen[k]; other != nil {
			p.rep.errorf(in.Pos, "vrrp_instance %s: virtual_router_id %d is already used on %s by vrrp_instance %s (%s)",
				in.Name, in.VirtualRouterID, in.Interface, other.Name, other.Pos)
			continue
		}
		seen[k] = in
	}
}

func (p *parser) finishSyncGroups() {
	for _, g := range p.cfg.SyncGroups {
		var members []string
		for _, name := range g.Members {
			in := p.cfg.Instance(name)
			switch {
			case in == nil:
				p.rep.warnf(g.Pos, "vrrp_sync_group %s: no vrrp_instance named %s: ignored", g.Name, name)
			case in.SyncGroup != "":
				p.rep.errorf(g.Pos, "vrrp_sync_group %s: vrrp_instance %s is already in vrrp_sync_group %s", g.Name, name, in.SyncGroup)
			default:
				in.SyncGroup = g.Name
				members = append(members, name)
			}
		}
		g.Members = members
		kept := g.TrackScripts[:0]
		for _, t := range g.TrackScripts {
			if p.cfg.Script(t.Name) == nil {
				p.rep.warnf(t.Pos, "vrrp_sync_group %s: track_script %s: no vrrp_script of that name: ignored", g.Name, t.Name)
				continue
			}
			kept = append(kept, t)
		}
		g.TrackScripts = kept
	}
}

func (p *parser) finishVirtualServers() {
	groups := map[string]*VirtualServerGroup{}
	for _, g := range p.cfg.VirtualServerGroups {
		if groups[g.Name] != nil {
			p.rep.errorf(g.Pos, "virtual_server_group %s is already defined at %s", g.Name, groups[g.Name].Pos)
			continue
		}
		groups[g.Name] = g
	}
	services := map[string]*VirtualServer{}
	kept := p.cfg.VirtualServers[:0]
	for _, vs := range p.cfg.VirtualServers {
		var group *VirtualServerGroup
		if vs.Group != "" {
			if group = groups[vs.Group]; group == nil {
				p.rep.errorf(vs.Pos, "virtual_server group %s: no virtual_server_group of that name: ignored", vs.Group)
				continue
			}
		}
		if len(vs.RealServers) == 0 {
			p.rep.warnf(vs.Pos, "virtual_server %s has no real_server: ignored, as keepalived does", vs.name())
			continue
		}
		p.resolveService(vs, group)
		key := vs.Protocol + " " + vs.name()
		if other := services[key]; other != nil {
			p.rep.errorf(vs.Pos, "virtual_server %s is already defined at %s", vs.name(), other.Pos)
			continue
		}
		services[key] = vs
		p.finishRealServers(vs, group)
		kept = append(kept, vs)
	}
	p.cfg.VirtualServers = kept
}

// groupKinds tells whether a virtual_server_group has address and fwmark entries.
func groupKinds(g *VirtualServerGroup) (addrs, marks bool) {
	for _, e := range g.Entries {
		if e.FWMark != 0 {
			marks = true
		} else {
			addrs = true
		}
	}
	return addrs, marks
}

// resolveService applies keepalived's defaults and corrections to a
// virtual server's own settings (validate_check_config).
func (p *parser) resolveService(vs *VirtualServer, group *VirtualServerGroup) {
	byAddr, byMark := vs.Addr.IsValid(), vs.FWMark != 0
	if group != nil {
		byAddr, byMark = groupKinds(group)
	}
	if vs.HASuspend && byMark {
		p.rep.warnf(vs.Pos, "virtual_server %s: ha_suspend cannot be used with fwmarks: cleared", vs.name())
		vs.HASuspend = false
	}
	if byAddr {
		if vs.Protocol == "" {
			p.rep.warnf(vs.Pos, "virtual_server %s: no protocol set: keepalived defaults to UDP (write `protocol TCP` for MySQL)", vs.name())
			vs.Protocol = "UDP"
		}
		zeroPort := vs.Addr.IsValid() && vs.Addr.Port() == 0
		if group != nil {
			for _, e := range group.Entries {
				zeroPort = zeroPort || e.FWMark == 0 && e.Port == 0
			}
		}
		if zeroPort && vs.PersistenceTimeout == 0 {
			p.rep.warnf(vs.Pos, "virtual_server %s: port 0 is only valid for persistent services: persistence_timeout set to 360", vs.name())
			vs.PersistenceTimeout = 360 * time.Second
		}
	} else if vs.Protocol != "" {
		p.rep.warnf(vs.Pos, "virtual_server %s: a protocol is ignored for fwmark services", vs.name())
		vs.Protocol = ""
	}
	if vs.Scheduler == "" {
		p.rep.warnf(vs.Pos, "virtual_server %s: no lvs_sched set: using wlc, as keepalived does", vs.name())
		vs.Scheduler = "wlc"
	}
}

// finishRealServers removes duplicates, inherits the virtual server's
// settings, checks quorum against the weights and fixes ports as keepalived does.
func (p *parser) finishRealServers(vs *VirtualServer, group *VirtualServerGroup) {
	seen := map[netip.AddrPort]*RealServer{}
	kept := vs.RealServers[:0]
	weightSum := 0
	for _, rs := range vs.RealServers {
		if other := seen[rs.Addr]; other != nil {
			p.rep.errorf(rs.Pos, "real_server %s is already in virtual_server %s (line %d): this one is ignored", rs.Addr, vs.name(), other.Pos.Line)
			continue
		}
		seen[rs.Addr] = rs
		kept = append(kept, rs)
		if rs.Method == "" {
			if vs.Method == "" {
				p.rep.warnf(vs.Pos, "virtual_server %s: no lvs_method set: using NAT, as keepalived does", vs.name())
				vs.Method = "NAT"
			}
			rs.Method = vs.Method
		}
		rs.InhibitOnFailure = rs.InhibitOnFailure || vs.InhibitOnFailure
		weightSum += rs.Weight
		for _, c := range rs.Checkers {
			p.resolveChecker(vs, rs, c)
			c.Alpha = c.Alpha || rs.Alpha || vs.Alpha
			if c.HTTP != nil && c.HTTP.VirtualHost == "" {
				c.HTTP.VirtualHost = vs.VirtualHost
			}
		}
	}
	vs.RealServers = kept
	if vs.Method == "" {
		vs.Method = "NAT" // every real server has its own; this only applies to the sorry server
	}

	if vs.Quorum > weightSum {
		p.rep.warnf(vs.Pos, "virtual_server %s: quorum %d exceeds the total weight of its real servers (%d): reduced to %d", vs.name(), vs.Quorum, weightSum, weightSum)
		vs.Quorum = weightSum
	}
	if vs.Hysteresis >= vs.Quorum && (vs.Hysteresis > 0 || vs.Quorum > 0) {
		h := max(vs.Quorum-1, 0)
		p.rep.warnf(vs.Pos, "virtual_server %s: hysteresis %d must be below quorum %d: set to %d", vs.name(), vs.Hysteresis, vs.Quorum, h)
		vs.Hysteresis = h
	}
	p.fixPorts(vs, group)
}

// fixPorts: only NAT can map ports. Other methods send to the virtual
// port, so keepalived resets a different real port (or clears it for fwmark
// services); a real port of 0 means the virtual port.
func (p *parser) fixPorts(vs *VirtualServer, group *VirtualServerGroup) {
	if group != nil {
		addrs, marks := groupKinds(group)
		for _, rs := range vs.RealServers {
			if rs.Method == "NAT" || rs.Addr.Port() == 0 {
				continue
			}
			if marks {
				p.rep.warnf(rs.Pos, "real_server %s: fwmark virtual_server group %s: %s ignores the real port", rs.Addr, group.Name, rs.Method)
			}
			if addrs {
				for _, e := range group.Entries {
					if e.FWMark == 0 && e.Port != int(rs.Addr.Port()) {
						p.rep.warnf(rs.Pos, "real_server %s: port differs from virtual_server_group %s port %d, which %s cannot map", rs.Addr, group.Name, e.Port, rs.Method)
					}
				}
			}
		}
		return
	}
	for _, rs := range vs.RealServers {
		port := rs.Addr.Port()
		switch {
		case vs.FWMark == 0 && port == 0:
			rs.Addr = netip.AddrPortFrom(rs.Addr.Addr(), vs.Addr.Port())
		case rs.Method == "NAT":
		case vs.FWMark != 0:
			if port == 0 {
				break
			}
			p.rep.warnf(rs.Pos, "real_server %s: fwmark virtual_server with %s: the real port is cleared", rs.Addr, rs.Method)
			rs.Addr = netip.AddrPortFrom(rs.Addr.Addr(), 0)
		case port != vs.Addr.Port():
			p.rep.warnf(rs.Pos, "real_server %s: %s cannot map ports: reset to the virtual port %d", rs.Addr, rs.Method, vs.Addr.Port())
			rs.Addr = netip.AddrPortFrom(rs.Addr.Addr(), vs.Addr.Port())
		}
	}
	if ss := vs.SorryServer; ss.IsValid() && vs.Method != "NAT" {
		switch {
		case vs.FWMark != 0 && ss.Port() != 0:
			p.rep.warnf(vs.Pos, "virtual_server %s: sorry_server port is cleared (fwmark with %s)", vs.name(), vs.Method)
			vs.SorryServer = netip.AddrPortFrom(ss.Addr(), 0)
		case vs.FWMark == 0 && ss.Port() == 0:
			vs.SorryServer = netip.AddrPortFrom(ss.Addr(), vs.Addr.Port())
		case vs.FWMark == 0 && ss.Port() != vs.Addr.Port():
			p.rep.warnf(vs.Pos, "virtual_server %s: sorry_server port reset to the virtual port %d (%s cannot map ports)", vs.name(), vs.Addr.Port(), vs.Method)
			vs.SorryServer = netip.AddrPortFrom(ss.Addr(), vs.Addr.Port())
		}
	}
}

// resolveChecker fills a checker's common settings from the most specific
// level that writes them: checker, real_server, virtual_server, then
// keepalived's per-type default.
func (p *parser) resolveChecker(vs *VirtualServer, rs *RealServer, c *Checker) {
	levels := []*checkDefaults{p.defaultsOf(c), p.defaultsOf(rs), p.defaultsOf(vs)}
	duration := func(get func(*checkDefaults) *time.Duration, def time.Duration) time.Duration {
		for _, l := range levels {
			if v := get(l); v != nil {
				return *v
			}
		}
		return def
	}
	c.DelayLoop = duration(func(d *checkDefaults) *time.Duration { return d.delayLoop }, vs.DelayLoop)
	c.ConnectTimeout = duration(func(d *checkDefaults) *time.Duration { return d.connectTimeout }, 5*time.Second)
	delayBeforeRetry := time.Second
	retry := 1
	switch c.Type {
	case "HTTP_GET", "SSL_GET":
		delayBeforeRetry = 3 * time.Second
	case "MISC_CHECK":
		retry = 0
	}
	c.DelayBeforeRetry = duration(func(d *checkDefaults) *time.Duration { return d.delayBeforeRetry }, delayBeforeRetry)
	c.Warmup = duration(func(d *checkDefaults) *time.Duration { return d.warmup }, c.DelayLoop)
	c.Retry = retry
	for _, l := range levels {
		if l.retry != nil {
			c.Retry = *l.retry
			break
		}
	}
	if c.Misc != nil && c.Misc.Timeout == 0 {
		c.Misc.Timeout = c.DelayLoop
	}
}
