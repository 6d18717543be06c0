package sched

import "fmt"

// Flags are the service scheduler flags (ipvsadm -b, keepalived lvs_sched flags).
type Flags struct {
	Fallback bool // flag-1: sh-fallback / mh-fallback
	Port     bool // flag-2: sh-port / mh-port
}

// Names lists the scheduler names New accepts.
var Names = []string{"rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "lblc", "lblcr", "dh", "sh", "mh", "twos"}

// New returns a fresh scheduler by its ipvsadm name.
func New(name string, f Flags) (Scheduler, error) {
	switch name {
	case "rr":
		return &RR{}, nil
	case "wrr":
		return &WRR{}, nil
	case "lc":
		return LC{}, nil
	case "wlc":
		return WLC{}, nil
	case "sed":
		return SED{}, nil
	case "nq":
		return NQ{}, nil
	case "fo":
		return FO{}, nil
	case "ovf":
		return OVF{}, nil
	case "lblc":
		return &LBLC{}, nil
	case "lblcr":
		return &LBLCR{}, nil
	case "dh":
		return DH{}, nil
	case "sh":
		return SH{Port: f.Port, Fallback: f.Fallback}, nil
	case "mh":
		return &MH{Port: f.Port, Fallback: f.Fallback}, nil
	case "twos":
		return &TWOS{}, nil
	}
	return nil, fmt.Errorf("sched: unknown scheduler %q", name)
}

var (
	_ Scheduler = (*RR)(nil)
	_ Scheduler = (*WRR)(nil)
	_ Scheduler = LC{}
	_ Scheduler = WLC{}
	_ Scheduler = SED{}
	_ Scheduler = NQ{}
	_ Scheduler = FO{}
	_ Scheduler = OVF{}
	_ Scheduler = (*LBLC)(nil)
	_ Scheduler = (*LBLCR)(nil)
	_ Scheduler = DH{}
	_ Scheduler = SH{}
	_ Scheduler = (*MH)(nil)
	_ Scheduler = (*TWOS)(nil)
)
