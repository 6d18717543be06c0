package vrrp

import (
	"net/netip"
	"testing"
	"time"
)

// FuzzMachine drives one machine with an arbitrary event sequence and checks
// invariants: the VIPs are held exactly while MASTER, state-change actions
// chain, every advert encodes, priority 0 is sent only when leaving MASTER,
// and after Tick the next deadline is in the future (or there is none, in
// INIT and FAULT, or while a sync group holds a backup).
func FuzzMachine(f *testing.F) {
	f.Add([]byte{0, 1, 50, 1, 50, 2, 200, 3, 0, 4, 7, 5, 6, 0, 1, 1}, uint8(100), false)
	f.Add([]byte{0, 1, 255, 2, 0, 2, 100, 1, 10, 7, 3}, uint8(255), true)
	f.Add([]byte{10, 2, 0, 0, 1, 250, 10, 1, 8, 0, 9, 0, 1, 250, 10, 0}, uint8(100), false)
	f.Fuzz(func(t *testing.T, script []byte, prio uint8, v3 bool) {
		if prio == 0 {
			prio = 1
		}
		c := baseConfig()
		c.Priority = prio
		c.GarpMasterDelay = 2 * sec
		if v3 {
			c.Version, c.Auth, c.AdvertInterval = 3, AuthNone, 100*time.Millisecond
		}
		c.PreemptDelay = time.Duration(prio%4) * sec
		c.NoPreempt = prio%7 == 0
		m, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		now := t0
		vips := false
		check := func(ev string, out Output, ticked bool) {
			state := m.State()
			prev := State(-1)
			for _, a := range out.Actions {
				switch a.Kind {
				case ActAddVIPs:
					vips = true
				case ActRemoveVIPs:
					vips = false
				case ActStateChange:
					if prev >= 0 && a.From != prev {
						t.Fatalf("%s: state chain %v after %v", ev, a, prev)
					}
					prev = a.To
				case ActSendAdvert:
					if _, err := Encode(a.Advert, c.Address, MulticastIPv4); err != nil {
						t.Fatalf("%s: %v", ev, err)
					}
					if a.Advert.Priority == 0 && state == Master {
						t.Fatalf("%s: priority 0 from a master", ev)
					}
				}
			}
			if prev >= 0 && prev != state {
				t.Fatalf("%s: last change to %v, state %v", ev, prev, state)
			}
			if vips != (state == Master) {
				t.Fatalf("%s: vips=%v in %v", ev, vips, state)
			}
			// A backup held by its sync group waits for the group, with no timer.
			running := state == Master || state == Backup && !m.Held()
			if m.Held() && state != Backup {
				t.Fatalf("%s: held in %v", ev, state)
			}
			if out.Deadline.IsZero() == running {
				t.Fatalf("%s: deadline %v in %v", ev, out.Deadline, state)
			}
			if ticked && running && !out.Deadline.After(now) {
				t.Fatalf("%s: deadline %v not after now %v", ev, out.Deadline, now)
			}
		}
		deadline := time.Time{}
		for i := 0; i+1 < len(script) && i < 400; i += 2 {
			op, arg := script[i]%11, script[i+1]
			var out Output
			ticked := false
			switch op {
			case 0:
				out = m.Start(now)
			case 1: // advance time by arg*10ms, ticking at every deadline on the way
				end := now.Add(time.Duration(arg) * 10 * time.Millisecond)
				for !deadline.IsZero() && !deadline.After(end) {
					now = deadline
					out = m.Tick(now)
					check("tick", out, true)
					deadline = out.Deadline
				}
				now = end
				out, ticked = m.Tick(now), true
			case 2, 3: // advert from a peer with priority arg (op 3: higher address)
				src := addrB
				if op == 3 {
					src = addrC
				}
				a := m.Advert(arg)
				if v3 {
					a.Interval = time.Duration(1+arg%50) * 10 * time.Millisecond
				}
				out, _ = m.Receive(src, a, TTL, now)
			case 4:
				out = m.SetPriority(int(arg), now)
			case 5:
				out = m.SetFault(arg%2 == 0, now)
			case 6:
				out = m.Shutdown(now)
			case 7:
				b, _ := Encode(m.Advert(arg), netip.MustParseAddr("10.0.0.9"), MulticastIPv4)
				out, _ = m.ReceivePacket(netip.MustParseAddr("10.0.0.9"), MulticastIPv4, b, int(arg), now)
			case 8:
				out = m.ForceMaster("sync group", now)
			case 9:
				out = m.ForceBackup("sync group", now)
			case 10: // join a sync group whose other member does or does not want MASTER, or leave it
				var g *SyncGate
				if arg%3 != 0 {
					g = NewSyncGate([]string{"me", "other"})
					g.Want("other", arg%3 == 1)
				}
				out = m.SetSyncGate(g, "me", now)
			}
			check("op", out, ticked)
			deadline = out.Deadline
		}
	})
}
