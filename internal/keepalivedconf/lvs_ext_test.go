package keepalivedconf

import (
	"strings"
	"testing"
	"time"
)

func TestLVSTimeoutsAndProxyProtocol(t *testing.T) {
	src := "global_defs {\n lvs_timeouts tcp 7200 tcpfin 30 udp 60\n}\n" +
		"virtual_server 10.0.0.1 80 {\n" + vsDefaults +
		" real_server 10.0.0.2 80 {\n  proxy_protocol v2\n }\n" +
		" real_server 10.0.0.3 80 {\n  proxy_protocol v1\n }\n" +
		" real_server 10.0.0.4 80 {\n }\n}\n"
	cfg, findings, err := Parse("k.conf", []byte(src), Options{})
	if err != nil || HasErrors(findings) {
		t.Fatalf("%v %v", err, findings)
	}
	want := LVSTimeouts{TCP: 7200 * time.Second, TCPFin: 30 * time.Second, UDP: time.Minute}
	if cfg.Global.LVSTimeouts != want {
		t.Errorf("lvs_timeouts %+v, want %+v", cfg.Global.LVSTimeouts, want)
	}
	var pp []int
	for _, rs := range cfg.VirtualServers[0].RealServers {
		pp = append(pp, rs.ProxyProtocol)
	}
	if len(pp) != 3 || pp[0] != 2 || pp[1] != 1 || pp[2] != 0 {
		t.Errorf("proxy_protocol %v, want [2 1 0]", pp)
	}

	// A partial lvs_timeouts sets only what it names.
	cfg, findings, _ = Parse("k.conf", []byte("global_defs {\n lvs_timeouts tcpfin 5\n}\n"), Options{})
	if HasErrors(findings) || cfg.Global.LVSTimeouts != (LVSTimeouts{TCPFin: 5 * time.Second}) {
		t.Errorf("tcpfin only: %+v %v", cfg.Global.LVSTimeouts, findings)
	}
}

func TestLVSExtensionErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"global_defs {\n lvs_timeouts\n}\n", "2 error lvs_timeouts: expected `lvs_timeouts [tcp N] [tcpfin N] [udp N]`"},
		{"global_defs {\n lvs_timeouts sctp 5\n}\n", `2 error lvs_timeouts: unknown protocol "sctp", expected tcp, tcpfin or udp`},
		{"global_defs {\n lvs_timeouts tcp\n}\n", "2 error lvs_timeouts: tcp: missing value, expected seconds in 0..2678400"},
		{"global_defs {\n lvs_timeouts tcp x\n}\n", `2 error lvs_timeouts tcp: expected an integer in 0..2678400, got "x"`},
		{"virtual_server 10.0.0.1 80 {\n" + vsDefaults + " real_server 10.0.0.2 80 {\n  proxy_protocol v3\n }\n}\n",
			`6 error proxy_protocol: expected v1|v2, got "v3"`},
	} {
		_, findings, _ := Parse("k.conf", []byte(tc.conf), Options{})
		var got []string
		for _, f := range findings {
			got = append(got, strings.TrimPrefix(f.String(), "k.conf:"))
		}
		found := false
		for _, g := range got {
			// Finding.String is "k.conf:LINE: SEVERITY: MESSAGE".
			g = strings.Replace(strings.Replace(g, ": ", " ", 1), ": ", " ", 1)
			if strings.HasPrefix(g, tc.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: findings %q, want one starting %q", tc.conf, got, tc.want)
		}
	}
}
