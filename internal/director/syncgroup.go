package director

import (
	"strings"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
	"github.com/shardcat/shardcat/internal/vrrp"
)

// Force is a state a sync group imposes on one of its members.
type Force struct {
	Instance string
	To       vrrp.State // Master or Backup
	Reason   string
}

// groupReasonPrefix marks transitions the group itself caused; they are
// not propagated again.
const groupReasonPrefix = "sync group "

// SyncForces returns what keepalived does to the other members of inst's
// sync group after inst went from -> to for reason: a member becoming
// MASTER takes the others (in BACKUP) with it; a member falling from
// MASTER to BACKUP takes the others (in MASTER) back. FAULT is handled by
// Wants. states are the members' current states.
func SyncForces(cfg *keepalivedconf.Config, inst string, from, to vrrp.State, reason string, states map[string]vrrp.State) []Force {
	in := cfg.Instance(inst)
	if in == nil || strings.HasPrefix(reason, groupReasonPrefix) {
		return nil
	}
	g := group(cfg, in.SyncGroup)
	if g == nil {
		return nil
	}
	var want, from2 vrrp.State
	switch {
	case to == vrrp.Master:
		want, from2 = vrrp.Master, vrrp.Backup
	case from == vrrp.Master && to == vrrp.Backup:
		want, from2 = vrrp.Backup, vrrp.Master
	default:
		return nil
	}
	var out []Force
	for _, m := range g.Members {
		if m != inst && states[m] == from2 {
			out = append(out, Force{Instance: m, To: want,
				Reason: groupReasonPrefix + g.Name + ": " + inst + " is " + want.String()})
		}
	}
	return out
}

// GroupState is the state a sync group reports (its notify and SMTP
// alert): FAULT as soon as a member is in FAULT, otherwise the members'
// common state, and ok false while they disagree or one is not running.
func GroupState(g *keepalivedconf.SyncGroup, states map[string]vrrp.State) (s vrrp.State, ok bool) {
	first := true
	for _, m := range g.Members {
		st, known := states[m]
		if !known {
			return s, false
		}
		if st == vrrp.Fault {
			return vrrp.Fault, true
		}
		if first {
			s, first = st, false
		} else if st != s {
			return s, false
		}
	}
	return s, !first
}
