package keepalivedconf

import (
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Dump writes cfg as keepalived.conf text with every default written out:
// what shardcat will run, readable by an operator and parseable again.
// Each block starts with a "# file:line" comment saying where it came from.
func Dump(w io.Writer, cfg *Config) error {
	d := &dumper{}
	d.global(&cfg.Global)
	for _, s := range cfg.Scripts {
		d.script(s)
	}
	for _, in := range cfg.Instances {
		d.instance(in)
	}
	for _, g := range cfg.SyncGroups {
		d.syncGroup(g)
	}
	for _, g := range cfg.VirtualServerGroups {
		d.vsGroup(g)
	}
	for _, vs := range cfg.VirtualServers {
		d.virtualServer(vs)
	}
	_, err := io.WriteString(w, d.b.String())
	return err
}

type dumper struct {
	b      strings.Builder
	indent int
}

func quote(w string) string {
	if strings.HasSuffix(w, `\`) && !strings.ContainsAny(w, whiteSpace+"{}#!\"") {
		// Inside quotes a final '\' would escape the closing quote; bare, it
		// reads back as itself.
		return w
	}
	if w == "" || strings.ContainsAny(w, whiteSpace+"{}#!\\") || strings.ContainsAny(w[:1], "@$~") {
		return `"` + w + `"`
	}
	return w
}

func (d *dumper) comment(pos Pos) {
	if pos.File != "" {
		d.b.WriteString(strings.Repeat("    ", d.indent) + "# " + pos.String() + "\n")
	}
}

func (d *dumper) open(words ...string) {
	d.raw(words, " {")
	d.indent++
}

func (d *dumper) close() {
	d.indent--
	d.raw(nil, "}")
}

// line writes one statement; words that keepalived would split or read
// specially are quoted.
func (d *dumper) line(words ...string) { d.raw(words, "") }

func (d *dumper) raw(words []string, suffix string) {
	d.b.WriteString(strings.Repeat("    ", d.indent))
	for i, w := range words {
		if i > 0 {
			d.b.WriteByte(' ')
		}
		d.b.WriteString(quote(w))
	}
	d.b.WriteString(suffix + "\n")
}

func (d *dumper) str(key, v string) {
	if v != "" {
		d.line(key, v)
	}
}

func (d *dumper) num(key string, v int) { d.line(key, strconv.Itoa(v)) }

func (d *dumper) dur(key string, v time.Duration) { d.line(key, secs(v)) }

func (d *dumper) flag(key string, v bool) {
	if v {
		d.line(key, "on")
	} else {
		d.line(key, "off")
	}
}

func (d *dumper) addr(key string, a netip.Addr) {
	if a.IsValid() {
		d.line(key, a.String())
	}
}

func (d *dumper) command(key string, c *Command) {
	if c == nil {
		return
	}
	words := []string{key, c.Line}
	switch {
	case c.User != "" && c.Group != "":
		words = append(words, c.User+":"+c.Group)
	case c.User != "":
		words = append(words, c.User)
	}
	d.line(words...)
}

func (d *dumper) global(g *GlobalDefs) {
	d.open("global_defs")
	d.str("router_id", g.RouterID)
	if len(g.NotificationEmail) > 0 {
		d.open("notification_email")
		for _, e := range g.NotificationEmail {
			d.line(e)
		}
		d.close()
	}
	d.str("notification_email_from", g.NotificationEmailFrom)
	if g.SMTPServer != "" {
		d.line("smtp_server", g.SMTPServer, strconv.Itoa(g.SMTPPort))
	}
	d.str("smtp_helo_name", g.SMTPHeloName)
	d.dur("smtp_connect_timeout", g.SMTPConnectTimeout)
	d.flag("smtp_alert", g.SMTPAlert)
	d.flag("enable_script_security", g.EnableScriptSecurity)
	if g.ScriptUser != "" {
		if g.ScriptGroup != "" {
			d.line("script_user", g.ScriptUser, g.ScriptGroup)
		} else {
			d.line("script_user", g.ScriptUser)
		}
	}
	d.num("vrrp_version", g.VRRPVersion)
	d.addr("vrrp_mcast_group4", g.VRRPMcastGroup4)
	d.addr("vrrp_mcast_group6", g.VRRPMcastGroup6)
	d.garp("vrrp_", g.GARP)
	d.dur("vrrp_garp_interval", g.VRRPGarpInterval)
	d.dur("vrrp_gna_interval", g.VRRPGnaInterval)
	d.flag("vrrp_min_garp", g.VRRPMinGarp)
	d.flag("vrrp_strict", g.VRRPStrict)
	d.flag("vrrp_skip_check_adv_addr", g.VRRPSkipCheckAdvAddr)
	d.flag("vrrp_check_unicast_src", g.VRRPCheckUnicastSrc)
	d.flag("vrrp_lower_prio_no_advert", g.VRRPLowerPrioNoAdvert)
	d.flag("vrrp_higher_prio_send_advert", g.VRRPHigherPrioSendAdvert)
	d.dur("vrrp_startup_delay", g.VRRPStartupDelay)
	d.num("vrrp_down_timer_adverts", g.VRRPDownTimerAdverts)
	if g.MaxAutoPriority >= 0 {
		d.num("max_auto_priority", g.MaxAutoPriority)
	}
	d.flag("dynamic_interfaces", g.DynamicInterfaces)
	d.flag("lvs_flush", g.LVSFlush)
	d.flag("lvs_flush_on_stop", g.LVSFlushOnStop)
	if t := g.LVSTimeouts; t != (LVSTimeouts{}) {
		var words []string
		for _, kv := range []struct {
			k string
			v time.Duration
		}{{"tcp", t.TCP}, {"tcpfin", t.TCPFin}, {"udp", t.UDP}} {
			if kv.v > 0 {
				words = append(words, kv.k, secs(kv.v))
			}
		}
		d.line(append([]string{"lvs_timeouts"}, words...)...)
	}
	d.close()
}

func (d *dumper) garp(prefix string, g GARPSettings) {
	d.dur(prefix+"garp_master_delay", g.MasterDelay)
	d.num(prefix+"garp_master_repeat", g.MasterRepeat)
	d.dur(prefix+"garp_lower_prio_delay", g.LowerPrioDelay)
	d.num(prefix+"garp_lower_prio_repeat", g.LowerPrioRepeat)
	d.dur(prefix+"garp_master_refresh", g.MasterRefresh)
	d.num(prefix+"garp_master_refresh_repeat", g.MasterRefreshRepeat)
}

func (d *dumper) script(s *VRRPScript) {
	d.comment(s.Pos)
	d.open("vrrp_script", s.Name)
	d.str("script", s.Script)
	d.dur("interval", s.Interval)
	d.dur("timeout", s.Timeout)
	if s.Reverse {
		d.line("weight", strconv.Itoa(s.Weight), "reverse")
	} else {
		d.num("weight", s.Weight)
	}
	d.num("rise", s.Rise)
	d.num("fall", s.Fall)
	if s.User != "" {
		if s.Group != "" {
			d.line("user", s.User, s.Group)
		} else {
			d.line("user", s.User)
		}
	}
	d.flag("init_fail", s.InitFail)
	d.close()
}

func (d *dumper) instance(in *VRRPInstance) {
	d.comment(in.Pos)
	d.open("vrrp_instance", in.Name)
	d.line("state", string(in.State))
	d.str("interface", in.Interface)
	if in.VirtualRouterID != 0 {
		d.num("virtual_router_id", in.VirtualRouterID)
	}
	d.num("priority", in.Priority)
	d.dur("advert_int", in.AdvertInt)
	d.num("version", in.Version)
	d.flag("nopreempt", in.NoPreempt)
	d.dur("preempt_delay", in.PreemptDelay)
	if a := in.Authentication; a != nil {
		d.open("authentication")
		d.line("auth_type", a.Type)
		d.str("auth_pass", a.Password)
		d.close()
	}
	d.vips("virtual_ipaddress", in.VirtualIPs)
	d.vips("virtual_ipaddress_excluded", in.ExcludedVirtualIPs)
	d.addr("unicast_src_ip", in.UnicastSrcIP)
	if len(in.UnicastPeers) > 0 {
		d.open("unicast_peer")
		for _, p := range in.UnicastPeers {
			words := []string{p.Addr.String()}
			if p.MinTTL != 0 {
				words = append(words, "min_ttl", strconv.Itoa(p.MinTTL))
			}
			if p.MaxTTL != 0 {
				words = append(words, "max_ttl", strconv.Itoa(p.MaxTTL))
			}
			d.line(words...)
		}
		d.close()
	}
	d.addr("mcast_src_ip", in.McastSrcIP)
	d.tracking(in.TrackInterfaces, in.TrackScripts)
	d.flag("dont_track_primary", in.DontTrackPrimary)
	d.notify(in.Notify)
	d.flag("smtp_alert", in.SMTPAlert)
	d.garp("", in.GARP)
	if in.Accept {
		d.line("accept")
	} else {
		d.line("no_accept")
	}
	d.flag("strict_mode", in.StrictMode)
	d.flag("skip_check_adv_addr", in.SkipCheckAdvAddr)
	d.flag("check_unicast_src", in.CheckUnicastSrc)
	d.num("down_timer_adverts", in.DownTimerAdverts)
	if in.SyncGroup != "" {
		d.b.WriteString(strings.Repeat("    ", d.indent) + "# member of vrrp_sync_group " + in.SyncGroup + "\n")
	}
	d.close()
}

func (d *dumper) vips(key string, vips []VirtualIP) {
	if len(vips) == 0 {
		return
	}
	d.open(key)
	for _, v := range vips {
		words := []string{v.Prefix.String()}
		if v.Broadcast.IsValid() {
			words = append(words, "brd", v.Broadcast.String())
		}
		if v.Dev != "" {
			words = append(words, "dev", v.Dev)
		}
		if v.Scope != "" {
			words = append(words, "scope", v.Scope)
		}
		if v.Label != "" {
			words = append(words, "label", v.Label)
		}
		if v.NoDAD {
			words = append(words, "-nodad")
		}
		if v.NoTrack {
			words = append(words, "no_track")
		}
		d.line(words...)
	}
	d.close()
}

func (d *dumper) tracking(ifaces []TrackedInterface, scripts []TrackedScript) {
	if len(ifaces) > 0 {
		d.open("track_interface")
		for _, t := range ifaces {
			words := []string{t.Name, "weight", strconv.Itoa(t.Weight)}
			if t.Reverse {
				words = append(words, "reverse")
			}
			d.line(words...)
		}
		d.close()
	}
	if len(scripts) > 0 {
		d.open("track_script")
		for _, t := range scripts {
			words := []string{t.Name}
			if t.WeightSet {
				words = append(words, "weight", strconv.Itoa(t.Weight))
			}
			if t.Reverse {
				words = append(words, "reverse")
			}
			d.line(words...)
		}
		d.close()
	}
}

func (d *dumper) notify(n Notify) {
	d.command("notify_master", n.Master)
	d.command("notify_backup", n.Backup)
	d.command("notify_fault", n.Fault)
	d.command("notify_stop", n.Stop)
	d.command("notify", n.Any)
}

func (d *dumper) syncGroup(g *SyncGroup) {
	d.comment(g.Pos)
	d.open("vrrp_sync_group", g.Name)
	d.open("group")
	for _, m := range g.Members {
		d.line(m)
	}
	d.close()
	d.notify(g.Notify)
	d.flag("smtp_alert", g.SMTPAlert)
	d.tracking(g.TrackInterfaces, g.TrackScripts)
	d.close()
}

func (d *dumper) vsGroup(g *VirtualServerGroup) {
	d.comment(g.Pos)
	d.open("virtual_server_group", g.Name)
	for _, e := range g.Entries {
		switch {
		case e.FWMark != 0:
			d.line("fwmark", strconv.FormatUint(uint64(e.FWMark), 10))
		case e.First == e.Last:
			d.line(e.First.String(), strconv.Itoa(e.Port))
		case e.First.Is4():
			d.line(e.First.String()+"-"+strconv.Itoa(int(e.Last.As4()[3])), strconv.Itoa(e.Port))
		default:
			b := e.Last.As16()
			d.line(e.First.String()+"-"+strconv.FormatUint(uint64(b[14])<<8|uint64(b[15]), 16), strconv.Itoa(e.Port))
		}
	}
	d.close()
}

func (d *dumper) virtualServer(vs *VirtualServer) {
	d.comment(vs.Pos)
	d.open(append([]string{"virtual_server"}, strings.Fields(vs.name())...)...)
	d.dur("delay_loop", vs.DelayLoop)
	d.line("lvs_sched", vs.Scheduler)
	d.line("lvs_method", vs.Method)
	if vs.PersistenceTimeout > 0 {
		d.dur("persistence_timeout", vs.PersistenceTimeout)
	}
	d.addr("persistence_granularity", vs.PersistenceGranularity)
	d.str("protocol", vs.Protocol)
	d.flag("ha_suspend", vs.HASuspend)
	d.str("virtualhost", vs.VirtualHost)
	d.flag("alpha", vs.Alpha)
	d.flag("omega", vs.Omega)
	d.num("quorum", vs.Quorum)
	d.num("hysteresis", vs.Hysteresis)
	d.command("quorum_up", vs.QuorumUp)
	d.command("quorum_down", vs.QuorumDown)
	if vs.SorryServer.IsValid() {
		d.line("sorry_server", vs.SorryServer.Addr().String(), strconv.Itoa(int(vs.SorryServer.Port())))
	}
	d.flag("sorry_server_inhibit", vs.SorryServerInhibit)
	d.flag("inhibit_on_failure", vs.InhibitOnFailure)
	for _, rs := range vs.RealServers {
		d.realServer(rs)
	}
	d.close()
}

func (d *dumper) realServer(rs *RealServer) {
	d.comment(rs.Pos)
	d.open("real_server", rs.Addr.Addr().String(), strconv.Itoa(int(rs.Addr.Port())))
	d.num("weight", rs.Weight)
	d.str("lvs_method", rs.Method)
	d.flag("inhibit_on_failure", rs.InhibitOnFailure)
	d.command("notify_up", rs.NotifyUp)
	d.command("notify_down", rs.NotifyDown)
	d.num("uthreshold", rs.UThreshold)
	d.num("lthreshold", rs.LThreshold)
	d.flag("alpha", rs.Alpha)
	if rs.ProxyProtocol > 0 {
		d.line("proxy_protocol", "v"+strconv.Itoa(rs.ProxyProtocol))
	}
	for _, c := range rs.Checkers {
		d.checker(c)
	}
	d.close()
}

func (d *dumper) checker(c *Checker) {
	d.comment(c.Pos)
	d.open(c.Type)
	d.addr("connect_ip", c.ConnectIP)
	if c.ConnectPort != 0 {
		d.num("connect_port", c.ConnectPort)
	}
	d.addr("bindto", c.BindTo)
	if c.BindPort != 0 {
		d.num("bind_port", c.BindPort)
	}
	d.str("bind_if", c.BindIf)
	d.dur("connect_timeout", c.ConnectTimeout)
	d.num("retry", c.Retry)
	d.dur("delay_before_retry", c.DelayBeforeRetry)
	d.dur("warmup", c.Warmup)
	d.dur("delay_loop", c.DelayLoop)
	d.flag("alpha", c.Alpha)
	d.flag("log_all_failures", c.LogAllFailures)
	d.num("rise", c.Rise)
	if h := c.HTTP; h != nil {
		d.str("virtualhost", h.VirtualHost)
		d.line("http_protocol", h.HTTPProtocol)
		d.flag("enable_sni", h.EnableSNI)
		for _, u := range h.URLs {
			d.open("url")
			d.str("path", u.Path)
			d.str("digest", u.Digest)
			if len(u.StatusCodes) > 0 {
				words := []string{"status_code"}
				for _, r := range u.StatusCodes {
					if r.From == r.To {
						words = append(words, strconv.Itoa(r.From))
					} else {
						words = append(words, strconv.Itoa(r.From)+"-"+strconv.Itoa(r.To))
					}
				}
				d.line(words...)
			}
			d.str("virtualhost", u.VirtualHost)
			d.close()
		}
	}
	if m := c.Misc; m != nil {
		d.str("misc_path", m.Path)
		d.dur("misc_timeout", m.Timeout)
		d.flag("misc_dynamic", m.Dynamic)
		if m.User != "" {
			if m.Group != "" {
				d.line("user", m.User+":"+m.Group)
			} else {
				d.line("user", m.User)
			}
		}
	}
	if m := c.MySQL; m != nil {
		d.str("user", m.User)
		d.str("password", m.Password)
		d.str("database", m.Database)
		d.str("query", m.Query)
	}
	d.close()
}
