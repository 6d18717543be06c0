package keepalivedconf

import (
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
	scripts := p.cfg.Scripts[:0]
	for _, sc := range p.cfg.Scripts {
		if sc.Script == "" {
			continue // reported when its block closed; keepalived removes it
		}
		if !p.scriptTimeouts[sc] {
			sc.Timeout = sc.Interval
		}
		scripts = append(scripts, sc)
	}
	p.cfg.Scripts = scripts
	for _, in := range p.cfg.Instances {
		p.finishInstance(in)
	}
	p.checkVRIDs()
	p.finishSyncGroups()
	p.finishVirtualServers()
	p.checkScriptSecurity()
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

	p.completeInstance(in, set)

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

// mtu is the link MTU assumed when checking how many addresses fit in an
// advert; keepalived reads the interface's, which is unknown here.
const mtu = 1500

// completeInstance applies keepalived's checks and corrections to an
// instance, in keepalived's order (vrrp_complete_instance).
func (p *parser) completeInstance(in *VRRPInstance, set map[string]bool) {
	g := &p.cfg.Global
	strict := g.VRRPStrict || in.StrictMode
	name := "vrrp_instance " + in.Name

	// Address family: one per instance; IPv6 defaults to VRRPv3.
	ipv6 := len(in.VirtualIPs) > 0 && in.VirtualIPs[0].Prefix.Addr().Is6()
	sameFamily := in.VirtualIPs[:0]
	for _, vip := range in.VirtualIPs {
		if vip.Prefix.Addr().Is6() != ipv6 {
			p.rep.errorf(vip.Pos, "virtual_ipaddress %s: an instance advertises one address family: ignored (put addresses of the other family in virtual_ipaddress_excluded)", vip.Prefix)
			continue
		}
		sameFamily = append(sameFamily, vip)
	}
	in.VirtualIPs = sameFamily
	switch {
	case ipv6 && set["version"] && in.Version == 2 && strict:
		p.rep.warnf(in.Pos, "%s: vrrp_strict: IPv6 cannot use VRRP version 2: version 3 used", name)
		in.Version = 3
	case ipv6 && !set["version"]:
		in.Version = 3
	case !set["version"]:
		in.Version = g.VRRPVersion
	}
	if len(in.VirtualIPs) == 0 {
		if in.Version == 3 || strict {
			p.rep.errorf(in.Pos, "%s: no virtual_ipaddress; VRRPv3 and vrrp_strict need at least one", name)
			return // keepalived drops the instance here
		}
		p.rep.warnf(in.Pos, "%s: no virtual_ipaddress: the instance moves no address", name)
	}

	// Priority and state default from each other; 255 is the address owner.
	if !set["priority"] && in.State == StateMaster {
		in.Priority = 255
	}
	owner := in.Priority == 255
	if !set["state"] && owner {
		in.State = StateMaster
	} else if strict && (in.State == StateMaster) != owner {
		want := StateBackup
		if owner {
			want = StateMaster
		}
		p.rep.warnf(in.Pos, "%s: vrrp_strict: state MASTER must go with priority 255 (address owner) and only with it: state set to %s", name, want)
		in.State = want
	}

	if a := in.Authentication; a != nil {
		switch {
		case strict:
			p.rep.warnf(in.Pos, "%s: vrrp_strict forbids authentication: ignored", name)
			in.Authentication = nil
		case in.Version == 3:
			p.rep.warnf(in.Pos, "%s: VRRPv3 has no authentication: authentication block ignored", name)
			in.Authentication = nil
		case a.Password == "":
			p.rep.warnf(in.Pos, "%s: authentication without auth_pass: ignored", name)
			in.Authentication = nil
		case ipv6 && a.Type == "AH":
			p.rep.warnf(in.Pos, "%s: AH authentication cannot be used with IPv6: ignored", name)
			in.Authentication = nil
		case a.Type == "AH" && in.State == StateMaster && !owner:
			p.rep.warnf(in.Pos, "%s: AH authentication needs an advert before taking over: state set to BACKUP", name)
			in.State = StateBackup
		}
	}
	if strict && len(in.UnicastPeers) > 0 {
		p.rep.errorf(in.Pos, "%s: vrrp_strict forbids unicast_peer (strict VRRP is multicast only)", name)
	}

	// An advert carries at most 255 addresses, and no more than fit in one
	// packet; keepalived moves the rest to the excluded addresses.
	header := 14 + 20 + 8 // Ethernet, IPv4, VRRP
	addrLen := 4
	if ipv6 {
		header, addrLen = 14+40+8, 16
	} else if in.Version == 2 {
		header += 8 // authentication data
	}
	if maxAddrs := min((mtu-header)/addrLen, 255); len(in.VirtualIPs) > maxAddrs {
		p.rep.warnf(in.VirtualIPs[maxAddrs].Pos, "%s: %d virtual addresses do not fit in one advert (at most %d): the rest are moved to virtual_ipaddress_excluded",
			name, len(in.VirtualIPs), maxAddrs)
		in.ExcludedVirtualIPs = append(in.VirtualIPs[maxAddrs:len(in.VirtualIPs):len(in.VirtualIPs)], in.ExcludedVirtualIPs...)
		in.VirtualIPs = in.VirtualIPs[:maxAddrs]
	}

	// Preemption.
	if owner && in.NoPreempt {
		p.rep.warnf(in.Pos, "%s: nopreempt does not work with priority 255 (address owner): cleared", name)
		in.NoPreempt = false
	}
	if in.State == StateMaster {
		if in.NoPreempt {
			p.rep.warnf(in.Pos, "%s: nopreempt does not work with `state MASTER`: cleared (use state BACKUP on every peer)", name)
			in.NoPreempt = false
		}
		if in.PreemptDelay > 0 {
			p.rep.warnf(in.Pos, "%s: preempt_delay does not work with `state MASTER`: cleared", name)
			in.PreemptDelay = 0
		}
	}
	if in.PreemptDelay > 0 && (strict || in.NoPreempt) {
		p.rep.warnf(in.Pos, "%s: preempt_delay has no effect with vrrp_strict or nopreempt: cleared", name)
		in.PreemptDelay = 0
	}

	if !set["accept"] {
		in.Accept = !strict || owner
	} else if in.Accept && strict && !owner && in.Version == 2 {
		p.rep.warnf(in.Pos, "%s: accept mode with VRRPv2 under vrrp_strict does not comply with RFC 3768: cleared", name)
		in.Accept = false
	}

	// advert_int: VRRPv2 carries whole seconds below 256, VRRPv3
	// centiseconds below 40.96 s; keepalived rounds or clamps.
	if in.Version == 2 {
		if in.AdvertInt%time.Second != 0 {
			rounded := max(time.Second, (in.AdvertInt + time.Second/2).Truncate(time.Second))
			p.rep.warnf(in.Pos, "%s: advert_int %ss is not a whole number of seconds, which VRRPv2 needs: rounded to %ss (or use `version 3`)",
				name, secs(in.AdvertInt), secs(rounded))
			in.AdvertInt = rounded
		}
	} else {
		const centi = 10 * time.Millisecond
		if in.AdvertInt > 4095*centi {
			p.rep.warnf(in.Pos, "%s: advert_int %ss is too long for VRRPv3 (at most 40.95): set to 40.95s", name, secs(in.AdvertInt))
			in.AdvertInt = 4095 * centi
		} else if in.AdvertInt%centi != 0 {
			rounded := max(centi, (in.AdvertInt + centi/2).Truncate(centi))
			p.rep.warnf(in.Pos, "%s: advert_int %ss is not a multiple of 10ms, which VRRPv3 needs: rounded to %ss", name, secs(in.AdvertInt), secs(rounded))
			in.AdvertInt = rounded
		}
	}
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
	kept := p.cfg.SyncGroups[:0]
	defer func() { p.cfg.SyncGroups = kept }()
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
		if len(members) == 1 {
			p.rep.warnf(g.Pos, "vrrp_sync_group %s has only one vrrp_instance: probably not what you want", g.Name)
		}
		keptScripts := g.TrackScripts[:0]
		for _, t := range g.TrackScripts {
			if p.cfg.Script(t.Name) == nil {
				p.rep.warnf(t.Pos, "vrrp_sync_group %s: track_script %s: no vrrp_script of that name: ignored", g.Name, t.Name)
				continue
			}
			keptScripts = append(keptScripts, t)
		}
		g.TrackScripts = keptScripts
		if len(g.Members) == 0 {
			p.rep.warnf(g.Pos, "vrrp_sync_group %s has no vrrp_instance: ignored", g.Name)
			continue
		}
		kept = append(kept, g)
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
				p.rep.warnf(vs.Pos, "virtual_server group %s: no virtual_server_group of that name: ignored", vs.Group)
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
			p.rep.warnf(vs.Pos, "virtual_server %s is already defined at %s: ignored (IPVS keeps one service)", vs.name(), other.Pos)
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

// checkScriptSecurity warns, as keepalived does, when scripts would run
// without enable_script_security.
func (p *parser) checkScriptSecurity() {
	if p.cfg.Global.EnableScriptSecurity {
		return
	}
	var first *Pos
	use := func(pos Pos) {
		if first == nil {
			first = &pos
		}
	}
	for _, sc := range p.cfg.Scripts {
		use(sc.Pos)
	}
	for _, in := range p.cfg.Instances {
		if n := in.Notify; n.Master != nil || n.Backup != nil || n.Fault != nil || n.Stop != nil || n.Any != nil {
			use(in.Pos)
		}
	}
	for _, vs := range p.cfg.VirtualServers {
		if vs.QuorumUp != nil || vs.QuorumDown != nil {
			use(vs.Pos)
		}
		for _, rs := range vs.RealServers {
			if rs.NotifyUp != nil || rs.NotifyDown != nil {
				use(rs.Pos)
			}
			for _, c := range rs.Checkers {
				if c.Misc != nil {
					use(c.Pos)
				}
			}
		}
	}
	if first != nil {
		p.rep.warnf(*first, "scripts are run but enable_script_security is not set in global_defs (keepalived reports a SECURITY VIOLATION)")
	}
}
