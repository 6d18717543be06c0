package director

import (
	"context"
	"net/netip"
	"sort"
	"time"

	"github.com/shardcat/shardcat/internal/vrrp"
)

// InstanceStatus is one vrrp_instance as the control socket's "vrrp" op
// and `shardcat director --status` show it.
type InstanceStatus struct {
	Name              string            `json:"name"`
	Interface         string            `json:"interface"`
	VRID              int               `json:"vrid"`
	State             string            `json:"state"`
	BasePriority      int               `json:"base_priority"`
	Priority          int               `json:"priority"`
	Master            string            `json:"master,omitempty"`
	AdvertsSent       uint64            `json:"adverts_sent"`
	AdvertsReceived   uint64            `json:"adverts_received"`
	Drops             map[string]uint64 `json:"drops,omitempty"`
	LastTransition    time.Time         `json:"last_transition,omitzero"`
	LastFrom          string            `json:"last_from,omitempty"`
	LastReason        string            `json:"last_reason,omitempty"`
	Fault             string            `json:"fault,omitempty"` // why tracking holds it in FAULT
	SyncGroup         string            `json:"sync_group,omitempty"`
	TransitionsByTo   map[string]uint64 `json:"transitions,omitempty"`
	stateNum          vrrp.State
	dropsByReasonEnum [vrrp.NumDropReasons]uint64
}

// statusTimeout bounds asking a driver for its master address.
const statusTimeout = time.Second

// Status returns every running instance, sorted by name.
func (d *Director) Status() []InstanceStatus { return d.status(true) }

func (d *Director) status(withMaster bool) []InstanceStatus {
	type snap struct {
		inst                         *instance
		lastFrom, lastTo             vrrp.State
		lastReason, fault, syncGroup string
		lastAt                       time.Time
		transitions                  [4]uint64
	}
	d.mu.Lock()
	var snaps []snap
	for _, inst := range d.instances {
		s := snap{inst: inst, lastFrom: inst.lastFrom, lastTo: inst.lastTo, lastReason: inst.lastReason,
			lastAt: inst.lastAt, transitions: inst.transitions, syncGroup: inst.cfg.SyncGroup}
		if inst.want.Fault {
			s.fault = inst.want.Reason
		}
		snaps = append(snaps, s)
	}
	d.mu.Unlock()
	out := make([]InstanceStatus, 0, len(snaps))
	for _, s := range snaps {
		ds := s.inst.drv.Status()
		st := InstanceStatus{Name: ds.Name, Interface: ds.Interface, VRID: int(ds.VRID), State: ds.State.String(),
			BasePriority: int(ds.BasePriority), Priority: int(ds.Priority), AdvertsSent: ds.AdvertsSent,
			AdvertsReceived: ds.AdvertsReceived, LastTransition: s.lastAt, LastReason: s.lastReason,
			Fault: s.fault, SyncGroup: s.syncGroup, stateNum: ds.State, dropsByReasonEnum: ds.Drops}
		if !s.lastAt.IsZero() {
			st.LastFrom = s.lastFrom.String()
		}
		for r, n := range ds.Drops {
			if n > 0 {
				if st.Drops == nil {
					st.Drops = map[string]uint64{}
				}
				st.Drops[vrrp.DropReason(r).String()] = n
			}
		}
		for to, n := range s.transitions {
			if n > 0 {
				if st.TransitionsByTo == nil {
					st.TransitionsByTo = map[string]uint64{}
				}
				st.TransitionsByTo[vrrp.State(to).String()] = n
			}
		}
		if !withMaster {
		} else if a := masterAddr(s.inst); a.IsValid() {
			st.Master = a.String()
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// masterAddr asks the instance's loop for the machine's view of the master
// (the driver's Status does not carry it).
func masterAddr(inst *instance) netip.Addr {
	ctx, cancel := context.WithTimeout(inst.ctx, statusTimeout)
	defer cancel()
	ch := make(chan netip.Addr, 1)
	err := inst.drv.Inject(ctx, func(m *vrrp.Machine, now time.Time) vrrp.Output {
		ch <- m.MasterAddr()
		return m.Pending()
	})
	if err != nil {
		return netip.Addr{}
	}
	select {
	case a := <-ch:
		return a
	case <-ctx.Done():
		return netip.Addr{}
	}
}
