package track

import "testing"

// observe feeds results ('+' success, '-' failure) and returns the status
// after each one as a string of u/d/i.
func observe(c *Counter, results string) string {
	out := ""
	for _, r := range results {
		c.Observe(r == '+')
		out += c.Status().String()[:1]
	}
	return out
}

func TestScenarioRiseFall(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rise, fall int
		initFail   bool
		results    string
		want       string
	}{
		// Given rise 1 fall 1, each result decides at once.
		{"1/1 flips", 1, 1, false, "+-+-", "udud"},
		// Given no init_fail, the first result decides even with rise 3.
		{"first success is enough", 3, 2, false, "+", "u"},
		{"first failure is enough", 3, 2, false, "-", "d"},
		// Given up, fall 2 needs two consecutive failures; a success in
		// between snaps the counter back to the top.
		{"fall 2", 3, 2, false, "+-+--", "uuuud"},
		// Given down, rise 3 needs three consecutive successes; a failure
		// resets the count.
		{"rise 3", 3, 2, false, "-++-+++", "ddddddu"},
		// Given init_fail, the script starts down and needs rise successes.
		{"init_fail", 2, 1, true, "++", "du"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCounter(tc.rise, tc.fall, tc.initFail)
			if tc.initFail && c.Status() != Down || !tc.initFail && c.Status() != Init {
				t.Fatalf("initial status %v", c.Status())
			}
			if got := observe(c, tc.results); got != tc.want {
				t.Errorf("results %s: statuses %s, want %s", tc.results, got, tc.want)
			}
		})
	}
}

func TestScenarioWeights(t *testing.T) {
	for _, tc := range []struct {
		name      string
		weight    int
		reverse   bool
		s         Status
		wantDelta int
		wantFault bool
	}{
		{"weight 0 up", 0, false, Up, 0, false},
		{"weight 0 down faults", 0, false, Down, 0, true},
		{"weight 0 before the first result faults", 0, false, Init, 0, true},
		{"weight 0 reverse: up faults", 0, true, Up, 0, true},
		{"weight 0 reverse: down is fine", 0, true, Down, 0, false},
		{"positive weight added while up", 20, false, Up, 20, false},
		{"positive weight not added while down", 20, false, Down, 0, false},
		{"negative weight subtracted while down", -30, false, Down, -30, false},
		{"negative weight not applied while up", -30, false, Up, 0, false},
		{"reverse positive: added while down", 20, true, Down, 20, false},
		{"reverse negative: subtracted while up", -30, true, Up, -30, false},
		{"weighted init contributes nothing", -30, false, Init, 0, false},
	} {
		d, f := Effect(tc.weight, tc.reverse, tc.s)
		if d != tc.wantDelta || f != tc.wantFault {
			t.Errorf("%s: Effect(%d, %v, %v) = %d, %v; want %d, %v", tc.name, tc.weight, tc.reverse, tc.s, d, f, tc.wantDelta, tc.wantFault)
		}
	}
}

func TestScenarioCompute(t *testing.T) {
	// Given priority 100 tracking a -60 script that fails and a +10 one that
	// succeeds, then the effective priority is 50.
	p, f, _ := Compute(100, []Term{{Kind: "script", Name: "a", Weight: -60, Status: Down}, {Kind: "script", Name: "b", Weight: 10, Status: Up}})
	if p != 50 || f {
		t.Errorf("got %d %v, want 50 false", p, f)
	}
	// Clamped to 1..254.
	if p, _, _ := Compute(100, []Term{{Weight: -200, Status: Down}}); p != 1 {
		t.Errorf("low clamp: %d", p)
	}
	if p, _, _ := Compute(250, []Term{{Weight: 50, Status: Up}}); p != 254 {
		t.Errorf("high clamp: %d", p)
	}
	// The owner keeps 255.
	if p, _, _ := Compute(255, []Term{{Weight: -50, Status: Down}}); p != 255 {
		t.Errorf("owner: %d", p)
	}
	// A down interface with weight 0 faults and is named.
	_, f, why := Compute(100, []Term{{Kind: "interface", Name: "eth1", Status: Down}, {Kind: "script", Name: "chk", Status: Up}})
	if !f || why != "tracked interface eth1 down" {
		t.Errorf("fault %v reason %q", f, why)
	}
}
