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
	groups := map[string]bool{}
	for _, g := range p.cfg.VirtualServerGroups {
		if groups[g.Name] {
			p.rep.errorf(g.Pos, "virtual_server_group %s is defined twice", g.Name)
		}
		groups[g.Name] = true
	}
	services := map[string]*VirtualServer{}
	for _, vs := range p.cfg.VirtualServers {
		key := vs.Protocol + " " + vs.name()
		if other := services[key]; other != nil {
			p.rep.errorf(vs.Pos, "virtual_server %s (%s) is already defined at %s", vs.name(), vs.Protocol, other.Pos)
		}
		services[key] = vs
		realServers := map[netip.AddrPort]*RealServer{}
		for _, rs := range vs.RealServers {
			if other := realServers[rs.Addr]; other != nil {
				p.rep.errorf(rs.Pos, "real_server %s is already in virtual_server %s (line %d)", rs.Addr, vs.name(), other.Pos.Line)
			}
			realServers[rs.Addr] = rs
		}
		if vs.Group != "" && !groups[vs.Group] {
			p.rep.errorf(vs.Pos, "virtual_server group %s: no virtual_server_group of that name", vs.Group)
		}
		if len(vs.RealServers) == 0 && !vs.SorryServer.IsValid() {
			p.rep.warnf(vs.Pos, "virtual_server %s has no real_server and no sorry_server: it can serve nothing", vs.name())
		}
		for _, rs := range vs.RealServers {
			if rs.Method == "" {
				rs.Method = vs.Method
			}
			rs.InhibitOnFailure = rs.InhibitOnFailure || vs.InhibitOnFailure
			for _, c := range rs.Checkers {
				p.resolveChecker(vs, rs, c)
				c.Alpha = c.Alpha || rs.Alpha || vs.Alpha
				if c.HTTP != nil && c.HTTP.VirtualHost == "" {
					c.HTTP.VirtualHost = vs.VirtualHost
				}
			}
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
