package director

import (
	"reflect"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/lvs/dataplane"
)

// driverConfig is the part of a vrrp_instance its running driver depends
// on. Tracking, notifications and sync-group membership are left out: they
// are re-read on reload without restarting the instance.
func driverConfig(in *keepalivedconf.VRRPInstance) keepalivedconf.VRRPInstance {
	c := *in
	c.Pos = keepalivedconf.Pos{}
	c.TrackInterfaces, c.TrackScripts, c.DontTrackPrimary = nil, nil, false
	c.Notify, c.SMTPAlert, c.SyncGroup = keepalivedconf.Notify{}, false, ""
	c.VirtualIPs = append([]keepalivedconf.VirtualIP(nil), in.VirtualIPs...)
	for i := range c.VirtualIPs {
		c.VirtualIPs[i].Pos = keepalivedconf.Pos{}
	}
	c.ExcludedVirtualIPs = append([]keepalivedconf.VirtualIP(nil), in.ExcludedVirtualIPs...)
	for i := range c.ExcludedVirtualIPs {
		c.ExcludedVirtualIPs[i].Pos = keepalivedconf.Pos{}
	}
	return c
}

// SameInstance reports whether a running instance can be kept as it is
// when its configuration changes from a to b.
func SameInstance(a, b *keepalivedconf.VRRPInstance) bool {
	return reflect.DeepEqual(driverConfig(a), driverConfig(b))
}

// VIPsOnly reports whether a and b differ only in their virtual_ipaddress
// and virtual_ipaddress_excluded lines, of one address family: the running
// instance then takes the new lists without leaving its state.
func VIPsOnly(a, b *keepalivedconf.VRRPInstance) bool {
	x, y := driverConfig(a), driverConfig(b)
	if len(x.VirtualIPs) == 0 || len(y.VirtualIPs) == 0 ||
		x.VirtualIPs[0].Prefix.Addr().Is4() != y.VirtualIPs[0].Prefix.Addr().Is4() {
		return false
	}
	x.VirtualIPs, y.VirtualIPs = nil, nil
	x.ExcludedVirtualIPs, y.ExcludedVirtualIPs = nil, nil
	return reflect.DeepEqual(x, y)
}

// SameScript reports whether a running vrrp_script runner can be kept.
func SameScript(a, b *keepalivedconf.VRRPScript) bool {
	x, y := *a, *b
	x.Pos, y.Pos = keepalivedconf.Pos{}, keepalivedconf.Pos{}
	return x == y
}

// Diff says what a reload does, by name (instances, scripts) or listening
// address (services).
type Diff struct {
	KeepInstances, StartInstances, StopInstances []string // a changed instance is stopped and started
	UpdateInstances                              []string // only the VIPs changed: kept, with the new lists
	KeepScripts, StartScripts, StopScripts       []string
	KeepServices, StartServices, StopServices    []string
}

// Plan compares two configurations (and their services' data-plane
// configurations) and says what to keep, stop and start.
func Plan(old, cur *keepalivedconf.Config, oldSvcs, curSvcs []dataplane.ServiceConfig) Diff {
	var d Diff
	for _, in := range cur.Instances {
		switch o := old.Instance(in.Name); {
		case o == nil:
			d.StartInstances = append(d.StartInstances, in.Name)
		case SameInstance(o, in):
			d.KeepInstances = append(d.KeepInstances, in.Name)
		case VIPsOnly(o, in):
			d.UpdateInstances = append(d.UpdateInstances, in.Name)
		default:
			d.StopInstances = append(d.StopInstances, in.Name)
			d.StartInstances = append(d.StartInstances, in.Name)
		}
	}
	for _, o := range old.Instances {
		if cur.Instance(o.Name) == nil {
			d.StopInstances = append(d.StopInstances, o.Name)
		}
	}
	for _, sc := range cur.Scripts {
		switch o := old.Script(sc.Name); {
		case o == nil:
			d.StartScripts = append(d.StartScripts, sc.Name)
		case SameScript(o, sc) && sameSecurity(old.Global, cur.Global):
			d.KeepScripts = append(d.KeepScripts, sc.Name)
		default:
			d.StopScripts = append(d.StopScripts, sc.Name)
			d.StartScripts = append(d.StartScripts, sc.Name)
		}
	}
	for _, o := range old.Scripts {
		if cur.Script(o.Name) == nil {
			d.StopScripts = append(d.StopScripts, o.Name)
		}
	}
	oldBy := map[string]dataplane.ServiceConfig{}
	for _, s := range oldSvcs {
		oldBy[s.Key()] = s
	}
	seen := map[string]bool{}
	for _, s := range curSvcs {
		k := s.Key()
		seen[k] = true
		switch o, ok := oldBy[k]; {
		case !ok:
			d.StartServices = append(d.StartServices, k)
		case reflect.DeepEqual(o, s):
			d.KeepServices = append(d.KeepServices, k)
		default:
			d.StopServices = append(d.StopServices, k)
			d.StartServices = append(d.StartServices, k)
		}
	}
	for _, s := range oldSvcs {
		if !seen[s.Key()] {
			d.StopServices = append(d.StopServices, s.Key())
		}
	}
	return d
}

func sameSecurity(a, b keepalivedconf.GlobalDefs) bool {
	return a.EnableScriptSecurity == b.EnableScriptSecurity && a.ScriptUser == b.ScriptUser && a.ScriptGroup == b.ScriptGroup
}
