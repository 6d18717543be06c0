package keepalivedconf

import (
	"net/netip"
	"strings"
	"time"
)

func (p *parser) topLevel() *block {
	b := &block{name: "top level", top: true, keywords: map[string]keyword{
		"global_defs":          {sub: p.globalDefs},
		"vrrp_script":          {sub: p.vrrpScript},
		"vrrp_instance":        {sub: p.vrrpInstance},
		"vrrp_sync_group":      {sub: p.syncGroup},
		"virtual_server":       {sub: p.virtualServer},
		"virtual_server_group": {value: p.virtualServerGroup, valueArgs: 1},
	}}
	for _, kw := range []string{"static_ipaddress", "static_routes", "static_rules", "SSL",
		"bfd_instance", "garp_group", "linkbeat_interfaces", "vrrp_track_file", "track_file",
		"vrrp_track_process", "track_process", "net_namespace", "instance", "use_pid_dir"} {
		b.keywords[kw] = keyword{ignored: true}
	}
	return b
}

func defaultGlobalDefs() GlobalDefs {
	return GlobalDefs{
		SMTPPort:           25,
		SMTPConnectTimeout: 30 * time.Second,
		VRRPVersion:        2,
		VRRPMcastGroup4:    netip.MustParseAddr("224.0.0.18"),
		VRRPMcastGroup6:    netip.MustParseAddr("ff02::12"),
		GARP: GARPSettings{
			MasterDelay:         5 * time.Second,
			MasterRepeat:        5,
			MasterRefreshRepeat: 1,
		},
		VRRPDownTimerAdverts: 3,
		MaxAutoPriority:      -1,
	}
}

func (p *parser) globalDefs(stmt) *block {
	g := &p.cfg.Global
	mark := func(name string, f func(stmt)) func(stmt) {
		return func(s stmt) { p.globalSet[name] = true; f(s) }
	}
	b := &block{name: "global_defs", keywords: map[string]keyword{
		"router_id":               {line: p.setString(&g.RouterID)},
		"notification_email":      {value: p.notificationEmail},
		"notification_email_from": {line: p.setString(&g.NotificationEmailFrom)},
		"smtp_server":             {line: p.smtpServer},
		"smtp_helo_name":          {line: p.setString(&g.SMTPHeloName)},
		"smtp_connect_timeout":    {line: p.setDuration(&g.SMTPConnectTimeout, time.Second, maxTimer)},
		"smtp_alert":              {line: p.setFlag(&g.SMTPAlert)},
		"enable_script_security":  {line: p.setFlag(&g.EnableScriptSecurity)},
		"script_user": {line: func(s stmt) {
			if u, ok := p.arg(s, 0, "a user name"); ok {
				g.ScriptUser = u
				if len(s.args()) > 1 {
					g.ScriptGroup = s.args()[1]
				}
			}
		}},
		"vrrp_version":                    {line: p.setInt(&g.VRRPVersion, 2, 3)},
		"vrrp_mcast_group4":               {line: p.setAddr(&g.VRRPMcastGroup4)},
		"vrrp_mcast_group6":               {line: p.setAddr(&g.VRRPMcastGroup6)},
		"vrrp_garp_master_delay":          {line: p.setDuration(&g.GARP.MasterDelay, 0, 1000*time.Second)},
		"vrrp_garp_master_repeat":         {line: p.setInt(&g.GARP.MasterRepeat, 0, 10000)},
		"vrrp_garp_lower_prio_delay":      {line: mark("lower_delay", p.setDuration(&g.GARP.LowerPrioDelay, 0, 1000*time.Second))},
		"vrrp_garp_lower_prio_repeat":     {line: mark("lower_repeat", p.setInt(&g.GARP.LowerPrioRepeat, 0, 10000))},
		"vrrp_garp_master_refresh":        {line: p.setDuration(&g.GARP.MasterRefresh, 0, maxTimer)},
		"vrrp_garp_master_refresh_repeat": {line: p.setInt(&g.GARP.MasterRefreshRepeat, 1, 10000)},
		"vrrp_garp_interval":              {line: p.setDuration(&g.VRRPGarpInterval, 0, time.Second)},
		"vrrp_gna_interval":               {line: p.setDuration(&g.VRRPGnaInterval, 0, time.Second)},
		"vrrp_min_garp": {line: func(st stmt) {
			// keepalived's handler sets the minimal values at once, so
			// vrrp_garp_* lines after it still override them.
			p.setFlag(&g.VRRPMinGarp)(st)
			if g.VRRPMinGarp {
				g.GARP.MasterRepeat, g.GARP.MasterDelay = 1, 0
				g.GARP.MasterRefresh, g.GARP.MasterRefreshRepeat = 0, 1
			}
		}},
		"vrrp_strict":                  {line: p.setFlag(&g.VRRPStrict)},
		"vrrp_skip_check_adv_addr":     {line: p.setFlag(&g.VRRPSkipCheckAdvAddr)},
		"vrrp_check_unicast_src":       {line: p.setFlag(&g.VRRPCheckUnicastSrc)},
		"vrrp_lower_prio_no_advert":    {line: p.setFlag(&g.VRRPLowerPrioNoAdvert)},
		"vrrp_higher_prio_send_advert": {line: p.setFlag(&g.VRRPHigherPrioSendAdvert)},
		"vrrp_startup_delay":           {line: p.setDuration(&g.VRRPStartupDelay, 0, 3600*time.Second)},
		"vrrp_down_timer_adverts":      {line: p.setInt(&g.VRRPDownTimerAdverts, 1, 100)},
		"max_auto_priority":            {line: p.setInt(&g.MaxAutoPriority, 0, 99)},
		"dynamic_interfaces":           {line: p.setFlag(&g.DynamicInterfaces)},
		"lvs_flush":                    {line: p.setFlag(&g.LVSFlush)},
		"lvs_flush_on_stop":            {line: p.setFlag(&g.LVSFlushOnStop)},
	}}
	// Accepted by keepalived, without effect on a user-space director.
	for _, kw := range []string{"lvs_sync_daemon", "lvs_timeouts", "notify_fifo", "notify_fifo_script",
		"vrrp_notify_fifo", "vrrp_notify_fifo_script", "lvs_notify_fifo", "lvs_notify_fifo_script",
		"enable_snmp_vrrp", "enable_snmp_keepalived", "enable_snmp_checker", "enable_snmp_rfc",
		"enable_snmp_rfcv2", "enable_snmp_rfcv3", "enable_traps", "enable_dbus", "vrrp_iptables",
		"nftables", "vrrp_rt_priority", "checker_rt_priority", "vrrp_no_swap", "checker_no_swap",
		"vrrp_priority", "checker_priority", "vrrp_cpu_affinity", "checker_cpu_affinity",
		"vrrp_garp_extra_if", "vrrp_delay_after_boot", "process_names", "snmp_socket"} {
		b.keywords[kw] = keyword{ignored: true}
	}
	b.keywords["lvs_timeouts"] = keyword{line: p.lvsTimeouts} // lvs.go
	return b
}

func (p *parser) notificationEmail(stmt) func(stmt) {
	return func(s stmt) {
		for _, addr := range s.words {
			if !strings.Contains(addr, "@") {
				p.rep.warnf(s.pos, "notification_email: %q does not look like an e-mail address (keepalived would mail to it anyway)", addr)
			}
			p.cfg.Global.NotificationEmail = append(p.cfg.Global.NotificationEmail, addr)
		}
	}
}

func (p *parser) smtpServer(s stmt) {
	g := &p.cfg.Global
	host, ok := p.arg(s, 0, "an address or host name")
	if !ok {
		return
	}
	if len(s.args()) > 1 {
		port, ok := p.intValue(s, 1, 1, 65535)
		if !ok {
			return
		}
		g.SMTPPort = port
	}
	g.SMTPServer = host
}

func (p *parser) vrrpScript(s stmt) *block {
	name, ok := p.arg(s, 0, "a script name")
	if !ok {
		return nil
	}
	if p.cfg.Script(name) != nil {
		p.rep.errorf(s.pos, "vrrp_script %q is defined twice: this one is ignored", name)
		return nil
	}
	sc := &VRRPScript{Pos: s.pos, Name: name, Interval: time.Second, Rise: 1, Fall: 1}
	p.cfg.Scripts = append(p.cfg.Scripts, sc)
	return &block{name: "vrrp_script " + name, keywords: map[string]keyword{
		"script": {line: p.setString(&sc.Script)},
		// keepalived 2.2 takes whole seconds here.
		"interval": {line: p.setSeconds(&sc.Interval, 1, 4294)},
		"timeout": {line: func(s stmt) {
			p.scriptTimeouts[sc] = true
			p.setSeconds(&sc.Timeout, 1, 4294)(s)
		}},
		"weight": {line: func(s stmt) {
			if w, ok := p.intValue(s, 0, -253, 253); ok {
				sc.Weight = w
				sc.Reverse = len(s.args()) > 1 && s.args()[1] == "reverse"
			}
		}},
		"rise": {line: p.setInt(&sc.Rise, 1, 1<<30)},
		"fall": {line: p.setInt(&sc.Fall, 1, 1<<30)},
		"user": {line: func(s stmt) {
			if u, ok := p.arg(s, 0, "a user name"); ok {
				sc.User, sc.Group, _ = strings.Cut(u, ":")
				if len(s.args()) > 1 {
					sc.Group = s.args()[1]
				}
			}
		}},
		"init_fail": {line: p.setFlag(&sc.InitFail)},
	}, close: func() {
		if sc.Script == "" {
			p.rep.errorf(p.lastPos(), "vrrp_script %s: no script command (expected `script \"/path/to/check args\"`)", sc.Name)
		}
	}}
}

func (p *parser) vrrpInstance(s stmt) *block {
	name, ok := p.arg(s, 0, "an instance name")
	if !ok {
		return nil
	}
	if p.cfg.Instance(name) != nil {
		p.rep.errorf(s.pos, "vrrp_instance %q is defined twice: this one is ignored", name)
		return nil
	}
	in := &VRRPInstance{Pos: s.pos, Name: name, State: StateBackup, Priority: 100,
		AdvertInt: time.Second, Accept: true}
	p.cfg.Instances = append(p.cfg.Instances, in)
	garp := &GARPSettings{MasterDelay: -1, MasterRepeat: -1, LowerPrioDelay: -1, LowerPrioRepeat: -1,
		MasterRefresh: -1, MasterRefreshRepeat: -1}
	p.instanceGARP[in] = garp
	set := map[string]bool{}
	p.instanceSet[in] = set
	mark := func(name string, f func(stmt)) func(stmt) {
		return func(s stmt) { set[name] = true; f(s) }
	}
	b := &block{name: "vrrp_instance " + name, keywords: map[string]keyword{
		"state": {line: func(s stmt) {
			set["state"] = true
			if v, ok := p.oneOf(s, 0, string(StateMaster), string(StateBackup)); ok {
				in.State = State(v)
			}
		}},
		"interface":         {line: p.setString(&in.Interface)},
		"virtual_router_id": {line: p.setInt(&in.VirtualRouterID, 1, 255)},
		"priority":          {line: mark("priority", p.setInt(&in.Priority, 1, 255))},
		"advert_int":        {line: p.setDuration(&in.AdvertInt, 10*time.Millisecond, 255*time.Second)},
		"version":           {line: mark("version", p.setInt(&in.Version, 2, 3))},
		"nopreempt":         {line: p.setFlag(&in.NoPreempt)},
		"preempt":           {line: func(stmt) { in.NoPreempt = false }},
		"preempt_delay":     {line: p.setDuration(&in.PreemptDelay, 0, 1000*time.Second)},
		"authentication":    {sub: func(stmt) *block { return p.authentication(in) }},
		"virtual_ipaddress": {value: func(stmt) func(stmt) {
			return func(s stmt) { p.virtualIP(s, &in.VirtualIPs) }
		}},
		"virtual_ipaddress_excluded": {value: func(stmt) func(stmt) {
			return func(s stmt) { p.virtualIP(s, &in.ExcludedVirtualIPs) }
		}},
		"unicast_src_ip": {line: p.setAddr(&in.UnicastSrcIP)},
		"unicast_peer":   {value: func(stmt) func(stmt) { return p.unicastPeer(in) }},
		"mcast_src_ip":   {line: p.setAddr(&in.McastSrcIP)},
		"track_interface": {value: func(stmt) func(stmt) {
			return func(s stmt) { p.trackInterface(s, &in.TrackInterfaces) }
		}},
		"track_script": {value: func(stmt) func(stmt) {
			return func(s stmt) { p.trackScript(s, &in.TrackScripts) }
		}},
		"dont_track_primary":         {line: p.setFlag(&in.DontTrackPrimary)},
		"notify_master":              {line: p.setCommand(&in.Notify.Master)},
		"notify_backup":              {line: p.setCommand(&in.Notify.Backup)},
		"notify_fault":               {line: p.setCommand(&in.Notify.Fault)},
		"notify_stop":                {line: p.setCommand(&in.Notify.Stop)},
		"notify":                     {line: p.setCommand(&in.Notify.Any)},
		"smtp_alert":                 {line: p.setFlag(&in.SMTPAlert)},
		"garp_master_delay":          {line: p.setDuration(&garp.MasterDelay, 0, 1000*time.Second)},
		"garp_master_repeat":         {line: p.setInt(&garp.MasterRepeat, 0, 10000)},
		"garp_lower_prio_delay":      {line: p.setDuration(&garp.LowerPrioDelay, 0, 1000*time.Second)},
		"garp_lower_prio_repeat":     {line: p.setInt(&garp.LowerPrioRepeat, 0, 10000)},
		"garp_master_refresh":        {line: p.setDuration(&garp.MasterRefresh, 0, maxTimer)},
		"garp_master_refresh_repeat": {line: p.setInt(&garp.MasterRefreshRepeat, 1, 10000)},
		"accept":                     {line: mark("accept", func(stmt) { in.Accept = true })},
		"no_accept":                  {line: mark("accept", func(stmt) { in.Accept = false })},
		"strict_mode":                {line: p.setFlag(&in.StrictMode)},
		"skip_check_adv_addr":        {line: mark("skip_check_adv_addr", p.setFlag(&in.SkipCheckAdvAddr))},
		"check_unicast_src":          {line: mark("check_unicast_src", p.setFlag(&in.CheckUnicastSrc))},
		"down_timer_adverts":         {line: mark("down_timer_adverts", p.setInt(&in.DownTimerAdverts, 1, 100))},
	}, close: func() { p.checkInstance(in) }}
	for _, kw := range []string{"use_vmac", "vmac_xmit_base", "use_ipvlan", "virtual_routes",
		"virtual_rules", "track_file", "track_process", "track_bfd", "track_src_ip", "auth_hmac",
		"unicast_ttl", "unicast_fault_no_peer", "mcast_dst_ip", "notify_master_rx_lower_pri",
		"notify_priority_changes", "garp_extra_if", "lower_prio_no_advert", "higher_prio_send_advert",
		"v3_checksum_as_v2", "old_unicast_checksum", "timer_expired_backup", "no_virtual_ipaddress",
		"linkbeat_use_polling", "kernel_rx_buf_size", "debug"} {
		b.keywords[kw] = keyword{ignored: true}
	}
	return b
}

func (p *parser) authentication(in *VRRPInstance) *block {
	auth := &Authentication{}
	return &block{name: "authentication", keywords: map[string]keyword{
		"auth_type": {line: p.setOneOf(&auth.Type, "PASS", "AH")},
		"auth_pass": {line: func(s stmt) {
			if v, ok := p.arg(s, 0, "a password"); ok {
				if len(v) > 8 {
					p.rep.warnf(s.pos, "auth_pass: only the first 8 characters are used (%q)", v[:8])
					v = v[:8]
				}
				auth.Password = v
			}
		}},
	}, close: func() {
		if auth.Type == "" {
			return // keepalived drops an authentication block without a type
		}
		in.Authentication = auth
	}}
}

// virtualIP reads one virtual_ipaddress line:
// ADDR[/PREFIX] [brd B] [dev IF] [scope S] [label L] [-nodad] [no_track] ...
func (p *parser) virtualIP(s stmt, dst *[]VirtualIP) {
	raw := s.words[0]
	prefix, err := netip.ParsePrefix(raw)
	if err != nil {
		a, aerr := netip.ParseAddr(raw)
		if aerr != nil {
			p.rep.errorf(s.pos, "virtual_ipaddress: expected ADDRESS[/PREFIX] [dev IF] [label L] [scope S] [brd B], got %q: entry ignored", raw)
			return
		}
		a = a.Unmap()
		prefix = netip.PrefixFrom(a, a.BitLen())
	}
	vip := VirtualIP{Pos: s.pos, Prefix: prefix}
	dropped := false
	words := s.words[1:]
	for i := 0; i < len(words); i++ {
		opt := words[i]
		needValue := func() (string, bool) {
			if i+1 >= len(words) {
				p.rep.errorf(s.pos, "virtual_ipaddress %s: %s needs a value: address ignored", raw, opt)
				dropped = true
				return "", false
			}
			i++
			return words[i], true
		}
		switch opt {
		case "dev":
			if v, ok := needValue(); ok {
				vip.Dev = v
			}
		case "label":
			if v, ok := needValue(); ok {
				vip.Label = v
			}
		case "scope":
			if v, ok := needValue(); ok {
				switch v {
				case "site", "link", "host", "nowhere", "global":
					vip.Scope = v
				default:
					p.rep.errorf(s.pos, "virtual_ipaddress %s: scope: expected site|link|host|nowhere|global, got %q", raw, v)
				}
			}
		case "brd", "broadcast":
			if v, ok := needValue(); ok {
				b, err := netip.ParseAddr(v)
				if err != nil || !b.Is4() {
					p.rep.errorf(s.pos, "virtual_ipaddress %s: brd: expected an IPv4 address, got %q", raw, v)
				} else {
					vip.Broadcast = b
				}
			}
		case "-nodad":
			vip.NoDAD = true
		case "no_track":
			vip.NoTrack = true
		case "home", "noprefixroute", "autojoin", "use_vmac":
			// Accepted for compatibility; they have no effect on shardcat.
		case "peer", "preferred_lft", "metric", "table", "protocol":
			needValue()
		default:
			p.rep.warnf(s.pos, "virtual_ipaddress %s: unknown option %q: ignored", raw, opt)
		}
	}
	if !dropped {
		*dst = append(*dst, vip)
	}
}

func (p *parser) unicastPeer(in *VRRPInstance) func(stmt) {
	return func(s stmt) {
		a, err := netip.ParseAddr(s.words[0])
		if err != nil {
			p.rep.errorf(s.pos, "unicast_peer: expected an IP address, got %q: entry ignored", s.words[0])
			return
		}
		peer := UnicastPeer{Addr: a.Unmap()}
		for i := 1; i+1 < len(s.words); i += 2 {
			ttl, ok := p.parseIntFor("unicast_peer "+s.words[0]+" "+s.words[i], s, s.words[i+1], 0, 255)
			switch {
			case !ok:
			case s.words[i] == "min_ttl":
				peer.MinTTL = ttl
			case s.words[i] == "max_ttl":
				peer.MaxTTL = ttl
			default:
				p.rep.warnf(s.pos, "unicast_peer %s: unknown option %q: ignored", s.words[0], s.words[i])
			}
		}
		in.UnicastPeers = append(in.UnicastPeers, peer)
	}
}

// trackInterface reads `IF [weight W [reverse]]`.
func (p *parser) trackInterface(s stmt, dst *[]TrackedInterface) {
	t := TrackedInterface{Name: s.words[0]}
	if len(s.words) >= 3 && s.words[1] == "weight" {
		if w, ok := p.parseIntFor("track_interface "+t.Name+" weight", s, s.words[2], -254, 254); ok {
			t.Weight = w
		}
		t.Reverse = len(s.words) > 3 && s.words[3] == "reverse"
	} else if len(s.words) > 1 {
		p.rep.warnf(s.pos, "track_interface %s: expected `IF [weight W [reverse]]`, extra words ignored", t.Name)
	}
	*dst = append(*dst, t)
}

// trackScript reads `NAME [weight W] [reverse|noreverse]`.
func (p *parser) trackScript(s stmt, dst *[]TrackedScript) {
	t := TrackedScript{Pos: s.pos, Name: s.words[0]}
	for i := 1; i < len(s.words); i++ {
		switch s.words[i] {
		case "weight":
			if i+1 < len(s.words) {
				i++
				if w, ok := p.parseIntFor("track_script "+t.Name+" weight", s, s.words[i], -253, 253); ok {
					t.Weight, t.WeightSet = w, true
				}
			} else {
				p.rep.errorf(s.pos, "track_script %s: weight needs a value in -253..253", t.Name)
			}
		case "reverse":
			t.Reverse = true
		case "noreverse":
			t.Reverse = false
		default:
			p.rep.warnf(s.pos, "track_script %s: unknown option %q: ignored", t.Name, s.words[i])
		}
	}
	*dst = append(*dst, t)
}

func (p *parser) syncGroup(s stmt) *block {
	name, ok := p.arg(s, 0, "a group name")
	if !ok {
		return nil
	}
	for _, g := range p.cfg.SyncGroups {
		if g.Name == name {
			p.rep.errorf(s.pos, "vrrp_sync_group %q is defined twice: this one is ignored", name)
			return nil
		}
	}
	g := &SyncGroup{Pos: s.pos, Name: name}
	p.cfg.SyncGroups = append(p.cfg.SyncGroups, g)
	return &block{name: "vrrp_sync_group " + name, keywords: map[string]keyword{
		"group": {value: func(stmt) func(stmt) {
			return func(s stmt) { g.Members = append(g.Members, s.words...) }
		}},
		"notify_master": {line: p.setCommand(&g.Notify.Master)},
		"notify_backup": {line: p.setCommand(&g.Notify.Backup)},
		"notify_fault":  {line: p.setCommand(&g.Notify.Fault)},
		"notify_stop":   {line: p.setCommand(&g.Notify.Stop)},
		"notify":        {line: p.setCommand(&g.Notify.Any)},
		"smtp_alert":    {line: p.setFlag(&g.SMTPAlert)},
		"track_interface": {value: func(stmt) func(stmt) {
			return func(s stmt) { p.trackInterface(s, &g.TrackInterfaces) }
		}},
		"track_script": {value: func(stmt) func(stmt) {
			return func(s stmt) { p.trackScript(s, &g.TrackScripts) }
		}},
		"global_tracking":            {ignored: true},
		"sync_group_tracking_weight": {ignored: true},
	}}
}

// checkInstance reports missing required settings once the block is read.
func (p *parser) checkInstance(in *VRRPInstance) {
	if in.Interface == "" {
		p.rep.errorf(in.Pos, "vrrp_instance %s: no interface (expected `interface IFNAME`, the NIC that sends VRRP adverts)", in.Name)
	}
	if in.VirtualRouterID == 0 {
		p.rep.errorf(in.Pos, "vrrp_instance %s: no virtual_router_id (expected `virtual_router_id 1..255`, the same on every peer)", in.Name)
	}
}
