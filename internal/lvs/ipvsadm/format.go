package ipvsadm

import (
	"fmt"
	"io"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
)

// Mode is which listing ipvsadm -L prints.
type Mode int

const (
	ModeDefault        Mode = iota // -L -n
	ModeStats                      // --stats
	ModeRate                       // --rate
	ModeThresholds                 // --thresholds
	ModePersistentConn             // --persistent-conn
)

// FormatOptions select the listing.
type FormatOptions struct {
	Mode  Mode
	Exact bool // --exact: no K/M/G/T abbreviation
}

// Format prints t as ipvsadm -L -n does (list_all in ipvsadm.c): the
// version line, print_title, then print_service_entry for each service.
// Addresses are always numeric (-n is implied).
func Format(w io.Writer, t Table, o FormatOptions) error {
	var b strings.Builder
	version, size := t.Version, t.Size
	if version == "" {
		version = Version
	}
	if size == 0 {
		size = TableSize
	}
	fmt.Fprintf(&b, "IP Virtual Server version %s (size=%d)\n", version, size)
	writeTitle(&b, o.Mode)
	for _, s := range t.Services {
		writeService(&b, s, o)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatTimeouts prints t as ipvsadm -L --timeout does (print_timeout).
func FormatTimeouts(w io.Writer, t Timeouts) error {
	_, err := fmt.Fprintf(w, "Timeout (tcp tcpfin udp): %d %d %d\n", t.TCP, t.TCPFin, t.UDP)
	return err
}

func writeTitle(b *strings.Builder, m Mode) {
	const prot = "Prot LocalAddress:Port"
	switch m {
	case ModeStats:
		fmt.Fprintf(b, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", prot, "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes")
	case ModeRate:
		fmt.Fprintf(b, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n", prot, "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS")
	case ModeThresholds:
		fmt.Fprintf(b, "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n", prot, "Uthreshold", "Lthreshold", "ActiveConn", "InActConn")
	case ModePersistentConn:
		fmt.Fprintf(b, "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n", prot, "Weight", "PersistConn", "ActiveConn", "InActConn")
	default:
		b.WriteString("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
}

func writeService(b *strings.Builder, s Service, o FormatOptions) {
	v6 := s.Addr.Addr().Is6() && !s.Addr.Addr().Is4In6()
	name := s.Protocol + "  " + s.Addr.String()
	if !v6 && len(name) > 33 {
		name = name[:33] // svc_name[33] = '\0'
	}
	switch o.Mode {
	case ModeStats:
		fmt.Fprintf(b, "%-33s", name)
		for _, v := range []uint64{s.Stats.Conns, s.Stats.InPkts, s.Stats.OutPkts, s.Stats.InBytes, s.Stats.OutBytes} {
			b.WriteString(largeNum(v, o.Exact))
		}
	case ModeRate:
		fmt.Fprintf(b, "%-33s", name)
		for _, v := range []uint64{s.Rates.CPS, s.Rates.InPPS, s.Rates.OutPPS, s.Rates.InBPS, s.Rates.OutBPS} {
			b.WriteString(largeNum(v, o.Exact))
		}
	default:
		fmt.Fprintf(b, "%s %s", name, s.Scheduler)
		if len(s.SchedFlags) > 0 {
			fmt.Fprintf(b, " (%s)", strings.Join(s.SchedFlags, ","))
		}
		if s.Persistent > 0 {
			fmt.Fprintf(b, " persistent %d", s.Persistent)
			if m := s.Netmask; m.IsValid() && !isFullMask(m) {
				if v6 {
					fmt.Fprintf(b, " mask %d", maskBits(m))
				} else {
					fmt.Fprintf(b, " mask %s", m)
				}
			}
		}
	}
	b.WriteString("\n")
	for _, d := range s.Dests {
		dname := d.Addr.String()
		if !v6 && len(dname) > 28 {
			dname = dname[:28]
		}
		switch o.Mode {
		case ModeStats:
			fmt.Fprintf(b, "  -> %-28s", dname)
			for _, v := range []uint64{d.Stats.Conns, d.Stats.InPkts, d.Stats.OutPkts, d.Stats.InBytes, d.Stats.OutBytes} {
				b.WriteString(largeNum(v, o.Exact))
			}
			b.WriteString("\n")
		case ModeRate:
			fmt.Fprintf(b, "  -> %-28s %8d %8d %8d", dname, uint32(d.Rates.CPS), uint32(d.Rates.InPPS), uint32(d.Rates.OutPPS))
			b.WriteString(largeNum(d.Rates.InBPS, o.Exact))
			b.WriteString(largeNum(d.Rates.OutBPS, o.Exact))
			b.WriteString("\n")
		case ModeThresholds:
			fmt.Fprintf(b, "  -> %-28s %-10d %-10d %-10d %-10d\n", dname, d.UThreshold, d.LThreshold, d.ActiveConn, d.InActConn)
		case ModePersistentConn:
			fmt.Fprintf(b, "  -> %-28s %-9d %-11d %-10d %-10d\n", dname, d.Weight, d.PersistConn, d.ActiveConn, d.InActConn)
		default:
			fmt.Fprintf(b, "  -> %-28s %-7s %-6d %-10d %-10d\n", dname, d.Forward, d.Weight, d.ActiveConn, d.InActConn)
		}
	}
}

// largeNum is print_largenum: 9 columns, abbreviated in steps of 1000 from
// 100 million on, unless exact.
func largeNum(i uint64, exact bool) string {
	if exact {
		s := strconv.FormatUint(i, 10)
		width := len(s) + 1
		if len(s) <= 8 {
			width = 9
		}
		return fmt.Sprintf("%*s", width, s)
	}
	switch {
	case i < 100_000_000:
		return fmt.Sprintf("%9d", i)
	case i < 1_000_000_000:
		return fmt.Sprintf("%8dK", i/1000)
	case i < 100_000_000_000:
		return fmt.Sprintf("%8dM", i/1_000_000)
	case i < 100_000_000_000_000:
		return fmt.Sprintf("%8dG", i/1_000_000_000)
	default:
		return fmt.Sprintf("%8dT", i/1_000_000_000_000)
	}
}

func maskBits(m netip.Addr) int {
	n := 0
	for _, b := range m.AsSlice() {
		ones := bits.LeadingZeros8(^b)
		n += ones
		if ones < 8 {
			break
		}
	}
	return n
}
