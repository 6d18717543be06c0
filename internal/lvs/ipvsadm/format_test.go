package ipvsadm

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/lvs/estimator"
)

// golden strips the "|" that marks the end of each line, so that ipvsadm's
// trailing padding is visible in the expected text.
func golden(s string) string {
	s = strings.TrimPrefix(s, "\n")
	return strings.ReplaceAll(s, "|\n", "\n")
}

func sampleTable() Table {
	ap := netip.MustParseAddrPort
	return Table{Services: []Service{
		{
			Protocol: "TCP", Addr: ap("10.249.5.100:8066"), Scheduler: "rr",
			Persistent: 50, Netmask: netip.MustParseAddr("255.255.255.0"),
			Stats: estimator.Counters{Conns: 123456789, InBytes: 5_000_000_000, OutBytes: 99},
			Dests: []Dest{
				{Addr: ap("192.168.100.4:8066"), Forward: "Route", Weight: 0, Stats: estimator.Counters{Conns: 23456789}},
				{Addr: ap("192.168.100.3:8066"), Forward: "Route", Weight: 3, ActiveConn: 1, InActConn: 2,
					UThreshold: 100, LThreshold: 75,
					Stats: estimator.Counters{Conns: 100_000_000, InBytes: 5_000_000_000, OutBytes: 99}},
			},
		},
		{
			Protocol: "TCP", Addr: ap("10.0.0.1:80"), Scheduler: "sh", SchedFlags: []string{"sh-fallback", "sh-port"},
			Stats: estimator.Counters{Conns: 7, InBytes: 700, OutBytes: 1400},
			Rates: estimator.Rates{CPS: 1, InBPS: 125, OutBPS: 250_000_000},
			Dests: []Dest{{Addr: ap("10.0.0.2:80"), Forward: "Masq", Weight: 1,
				Stats: estimator.Counters{Conns: 7, InBytes: 700, OutBytes: 1400},
				Rates: estimator.Rates{CPS: 1, InBPS: 125, OutBPS: 250_000_000}}},
		},
	}}
}

func TestFormatGolden(t *testing.T) {
	tests := []struct {
		name string
		o    FormatOptions
		want string
	}{
		{"default", FormatOptions{}, `
IP Virtual Server version 1.2.1 (size=4096)|
Prot LocalAddress:Port Scheduler Flags|
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn|
TCP  10.0.0.1:80 sh (sh-fallback,sh-port)|
  -> 10.0.0.2:80                  Masq    1      0          0         |
TCP  10.249.5.100:8066 rr persistent 50 mask 255.255.255.0|
  -> 192.168.100.3:8066           Route   3      1          2         |
  -> 192.168.100.4:8066           Route   0      0          0         |
`},
		{"stats", FormatOptions{Mode: ModeStats}, `
IP Virtual Server version 1.2.1 (size=4096)|
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes|
  -> RemoteAddress:Port|
TCP  10.0.0.1:80                         7        0        0      700     1400|
  -> 10.0.0.2:80                         7        0        0      700     1400|
TCP  10.249.5.100:8066             123456K        0        0    5000M       99|
  -> 192.168.100.3:8066            100000K        0        0    5000M       99|
  -> 192.168.100.4:8066           23456789        0        0        0        0|
`},
		{"stats exact", FormatOptions{Mode: ModeStats, Exact: true}, `
IP Virtual Server version 1.2.1 (size=4096)|
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes|
  -> RemoteAddress:Port|
TCP  10.0.0.1:80                         7        0        0      700     1400|
  -> 10.0.0.2:80                         7        0        0      700     1400|
TCP  10.249.5.100:8066            123456789        0        0 5000000000       99|
  -> 192.168.100.3:8066           100000000        0        0 5000000000       99|
  -> 192.168.100.4:8066           23456789        0        0        0        0|
`},
		{"rate", FormatOptions{Mode: ModeRate}, `
IP Virtual Server version 1.2.1 (size=4096)|
Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS|
  -> RemoteAddress:Port|
TCP  10.0.0.1:80                         1        0        0      125  250000K|
  -> 10.0.0.2:80                         1        0        0      125  250000K|
TCP  10.249.5.100:8066                   0        0        0        0        0|
  -> 192.168.100.3:8066                  0        0        0        0        0|
  -> 192.168.100.4:8066                  0        0        0        0        0|
`},
		{"thresholds", FormatOptions{Mode: ModeThresholds}, `
IP Virtual Server version 1.2.1 (size=4096)|
Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn |
  -> RemoteAddress:Port|
TCP  10.0.0.1:80 sh (sh-fallback,sh-port)|
  -> 10.0.0.2:80                  0          0          0          0         |
TCP  10.249.5.100:8066 rr persistent 50 mask 255.255.255.0|
  -> 192.168.100.3:8066           100        75         1          2         |
  -> 192.168.100.4:8066           0          0          0          0         |
`},
		{"persistent-conn", FormatOptions{Mode: ModePersistentConn}, `
IP Virtual Server version 1.2.1 (size=4096)|
Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn |
  -> RemoteAddress:Port|
TCP  10.0.0.1:80 sh (sh-fallback,sh-port)|
  -> 10.0.0.2:80                  1         0           0          0         |
TCP  10.249.5.100:8066 rr persistent 50 mask 255.255.255.0|
  -> 192.168.100.3:8066           3         0           1          2         |
  -> 192.168.100.4:8066           0         0           0          0         |
`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := sampleTable()
			tab.Sort()
			var b strings.Builder
			if err := Format(&b, tab, tc.o); err != nil {
				t.Fatal(err)
			}
			if want := golden(tc.want); b.String() != want {
				t.Errorf("got:\n%s\nwant:\n%s", strings.ReplaceAll(b.String(), "\n", "|\n"), strings.ReplaceAll(want, "\n", "|\n"))
			}
		})
	}
}

func TestLargeNum(t *testing.T) {
	tests := []struct {
		n     uint64
		exact bool
		want  string
	}{
		{0, false, "        0"},
		{99_999_999, false, " 99999999"},
		{100_000_000, false, "  100000K"},
		{999_999_999, false, "  999999K"},
		{1_000_000_000, false, "    1000M"},
		{99_999_999_999, false, "   99999M"},
		{100_000_000_000, false, "     100G"},
		{99_999_999_999_999, false, "   99999G"},
		{100_000_000_000_000, false, "     100T"},
		{12345678, true, " 12345678"},
		{123456789, true, " 123456789"},
		{18446744073709551615, true, " 18446744073709551615"},
	}
	for _, tc := range tests {
		if got := largeNum(tc.n, tc.exact); got != tc.want {
			t.Errorf("largeNum(%d, %v) = %q, want %q", tc.n, tc.exact, got, tc.want)
		}
	}
}

func TestFormatLongAndIPv6Names(t *testing.T) {
	ap := netip.MustParseAddrPort
	tab := Table{Services: []Service{{
		Protocol: "TCP", Addr: ap("[2001:db8::1]:443"), Scheduler: "wlc", Persistent: 300,
		Netmask: netip.MustParseAddr("ffff:ffff:ffff:ffff::"),
		Dests:   []Dest{{Addr: ap("[2001:db8:ffff:ffff:ffff:ffff:ffff:2]:443"), Forward: "Masq", Weight: 1}},
	}}}
	var b strings.Builder
	Format(&b, tab, FormatOptions{})
	want := "TCP  [2001:db8::1]:443 wlc persistent 300 mask 64\n" +
		"  -> [2001:db8:ffff:ffff:ffff:ffff:ffff:2]:443 Masq    1      0          0         \n"
	if !strings.HasSuffix(b.String(), want) {
		t.Errorf("IPv6 names are not truncated:\n%s", b.String())
	}
}

func TestFormatTimeouts(t *testing.T) {
	tests := []struct {
		tcp, fin, udp time.Duration
		want          string
	}{
		{0, 0, 0, "Timeout (tcp tcpfin udp): 900 120 300\n"},
		{7200 * time.Second, 0, 15 * time.Second, "Timeout (tcp tcpfin udp): 7200 120 15\n"},
		{0, 30 * time.Second, 0, "Timeout (tcp tcpfin udp): 900 30 300\n"},
	}
	for _, tc := range tests {
		var b strings.Builder
		if err := FormatTimeouts(&b, TimeoutsFrom(tc.tcp, tc.fin, tc.udp)); err != nil || b.String() != tc.want {
			t.Errorf("%v %v %v: %q %v, want %q", tc.tcp, tc.fin, tc.udp, b.String(), err, tc.want)
		}
	}
}
