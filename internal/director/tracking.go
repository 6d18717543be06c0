package director

import (
	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/vrrp/track"
)

// Want is what tracking asks of an instance.
type Want struct {
	Priority int
	Fault    bool
	Reason   string // why FAULT
}

// Terms lists what an instance tracks, with the weights it tracks them
// with: its own track_script and track_interface lines, its interface
// (weight 0) unless dont_track_primary, and its sync group's trackers.
// scripts and links give the current statuses (missing = Init / Down).
func Terms(cfg *keepalivedconf.Config, in *keepalivedconf.VRRPInstance, scripts, links map[string]track.Status) []track.Term {
	var terms []track.Term
	addScripts := func(ts []keepalivedconf.TrackedScript) {
		for _, t := range ts {
			sc := cfg.Script(t.Name)
			if sc == nil {
				continue
			}
			w, rev := sc.Weight, sc.Reverse || t.Reverse
			if t.WeightSet {
				w, rev = t.Weight, t.Reverse
			}
			terms = append(terms, track.Term{Kind: "script", Name: t.Name, Weight: w, Reverse: rev, Status: scripts[t.Name]})
		}
	}
	linkStatus := func(name string) track.Status {
		if s, ok := links[name]; ok {
			return s
		}
		return track.Down
	}
	addLinks := func(ts []keepalivedconf.TrackedInterface) {
		for _, t := range ts {
			terms = append(terms, track.Term{Kind: "interface", Name: t.Name, Weight: t.Weight, Reverse: t.Reverse, Status: linkStatus(t.Name)})
		}
	}
	addScripts(in.TrackScripts)
	addLinks(in.TrackInterfaces)
	if !in.DontTrackPrimary && in.Interface != "" {
		listed := false
		for _, t := range in.TrackInterfaces {
			listed = listed || t.Name == in.Interface
		}
		if !listed {
			terms = append(terms, track.Term{Kind: "interface", Name: in.Interface, Status: linkStatus(in.Interface)})
		}
	}
	if g := group(cfg, in.SyncGroup); g != nil {
		addScripts(g.TrackScripts)
		addLinks(g.TrackInterfaces)
	}
	return terms
}

// Interfaces returns the interfaces the configuration tracks.
func Interfaces(cfg *keepalivedconf.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, in := range cfg.Instances {
		for _, t := range Terms(cfg, in, nil, nil) {
			if t.Kind == "interface" && !seen[t.Name] {
				seen[t.Name] = true
				out = append(out, t.Name)
			}
		}
	}
	return out
}

// Wants computes every instance's priority and fault. Members of a
// vrrp_sync_group are all in FAULT while any of them is (keepalived's
// sync group semantics).
func Wants(cfg *keepalivedconf.Config, scripts, links map[string]track.Status) map[string]Want {
	out := make(map[string]Want, len(cfg.Instances))
	for _, in := range cfg.Instances {
		p, f, why := track.Compute(in.Priority, Terms(cfg, in, scripts, links))
		out[in.Name] = Want{Priority: p, Fault: f, Reason: why}
	}
	for _, g := range cfg.SyncGroups {
		var faulty, why string
		for _, m := range g.Members {
			if w, ok := out[m]; ok && w.Fault && faulty == "" {
				faulty, why = m, w.Reason
			}
		}
		if faulty == "" {
			continue
		}
		for _, m := range g.Members {
			if w, ok := out[m]; ok && !w.Fault {
				w.Fault, w.Reason = true, "sync group "+g.Name+": "+faulty+" is in FAULT ("+why+")"
				out[m] = w
			}
		}
	}
	return out
}

func group(cfg *keepalivedconf.Config, name string) *keepalivedconf.SyncGroup {
	if name == "" {
		return nil
	}
	for _, g := range cfg.SyncGroups {
		if g.Name == name {
			return g
		}
	}
	return nil
}
