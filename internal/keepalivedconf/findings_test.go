package keepalivedconf

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// instance wraps body (starting at line 4) in a valid vrrp_instance, with
// a virtual address after it unless body has its own.
func instance(body string) string {
	if !strings.Contains(body, "virtual_ipaddress") {
		body += "\nvirtual_ipaddress {\n 10.0.0.100\n}"
	}
	return "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n" + body + "\n}\n"
}

// vsDefaults are the settings whose absence keepalived reports.
const vsDefaults = " protocol TCP\n lb_algo rr\n lb_kind NAT\n"

// vserver wraps body (starting at line 2) in a virtual_server with one real server.
func vserver(body string) string {
	return "virtual_server 10.0.0.1 80 {\n" + body + "\n" + vsDefaults + "    real_server 10.0.0.2 80 {\n    }\n}\n"
}

// findingCases are bad snippets and the exact findings they give, each as
// "LINE SEVERITY MESSAGE-PREFIX" in the order reported. The keepalived
// integration test checks the same snippets against the real keepalived.
var findingCases = []struct {
	name string
	conf string
	want []string
}{
	{"priority not a number", instance("priority abc"),
		[]string{`4 error priority: expected an integer in 1..255, got "abc"`}},
	{"priority too high", instance("priority 256"),
		[]string{`4 error priority: 256 is out of range, expected an integer in 1..255`}},
	{"priority zero", instance("priority 0"),
		[]string{`4 error priority: 0 is out of range, expected an integer in 1..255`}},
	{"priority missing", instance("priority"),
		[]string{`4 error priority: missing value, expected an integer in 1..255`}},
	{"vrid out of range", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 256\n}\n",
		[]string{`3 error virtual_router_id: 256 is out of range, expected an integer in 1..255`,
			`1 error vrrp_instance VI_1: no virtual_router_id`,
			`1 warning vrrp_instance VI_1: no virtual_ipaddress: the instance moves no address`}},
	{"no interface", "vrrp_instance VI_1 {\n virtual_router_id 5\n}\n",
		[]string{`1 error vrrp_instance VI_1: no interface (expected ` + "`interface IFNAME`",
			`1 warning vrrp_instance VI_1: no virtual_ipaddress`}},
	{"no vrid", "vrrp_instance VI_1 {\n interface eth0\n}\n",
		[]string{`1 error vrrp_instance VI_1: no virtual_router_id (expected ` + "`virtual_router_id 1..255`",
			`1 warning vrrp_instance VI_1: no virtual_ipaddress`}},
	{"state SLAVE", instance("state SLAVE"),
		[]string{`4 error state: expected MASTER|BACKUP, got "SLAVE"`}},
	{"advert_int not a number", instance("advert_int fast"),
		[]string{`4 error advert_int: expected seconds in 0.01..255, got "fast"`}},
	{"advert_int fraction in v2", instance("advert_int 1.5"),
		[]string{`1 warning vrrp_instance VI_1: advert_int 1.5s is not a whole number of seconds, which VRRPv2 needs: rounded to 2s`}},
	{"advert_int too long for v3", instance("version 3\nadvert_int 50\nvirtual_ipaddress {\n 10.0.0.1\n}"),
		[]string{`1 warning vrrp_instance VI_1: advert_int 50s is too long for VRRPv3 (at most 40.95): set to 40.95s`}},
	{"advert_int not in centiseconds for v3", instance("version 3\nadvert_int 0.125\nvirtual_ipaddress {\n 10.0.0.1\n}"),
		[]string{`1 warning vrrp_instance VI_1: advert_int 0.125s is not a multiple of 10ms, which VRRPv3 needs: rounded to 0.13s`}},
	{"v3 without addresses", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n version 3\n}\n",
		[]string{`1 error vrrp_instance VI_1: no virtual_ipaddress; VRRPv3 and vrrp_strict need at least one`}},
	{"bad virtual address", instance("virtual_ipaddress {\n 10.0.0.300/24\n 10.0.0.1 scope planet\n}"),
		[]string{`5 error virtual_ipaddress: expected ADDRESS[/PREFIX] [dev IF] [label L] [scope S] [brd B], got "10.0.0.300/24": entry ignored`,
			`6 error virtual_ipaddress 10.0.0.1: scope: expected site|link|host|nowhere|global, got "planet"`}},
	{"dev without a value", instance("virtual_ipaddress {\n 10.0.0.1/24 dev\n}"),
		[]string{`5 error virtual_ipaddress 10.0.0.1/24: dev needs a value: address ignored`,
			`1 warning vrrp_instance VI_1: no virtual_ipaddress`}},
	{"mixed address families", instance("virtual_ipaddress {\n 10.0.0.1\n 2001:db8::1\n}"),
		[]string{`6 error virtual_ipaddress 2001:db8::1/128: an instance advertises one address family`}},
	{"strict IPv6 forces version 3", "global_defs {\n vrrp_strict\n}\n" + instance("version 2\nvirtual_ipaddress {\n fe80::1\n}"),
		[]string{`4 warning vrrp_instance VI_1: vrrp_strict: IPv6 cannot use VRRP version 2: version 3 used`}},
	{"state MASTER without priority is the address owner", instance("state MASTER\nnopreempt"),
		[]string{`1 warning vrrp_instance VI_1: nopreempt does not work with priority 255 (address owner): cleared`}},
	{"strict: state must match ownership", "global_defs {\n vrrp_strict\n}\n" + instance("state MASTER\npriority 100\nvirtual_ipaddress {\n 10.0.0.1\n}"),
		[]string{`4 warning vrrp_instance VI_1: vrrp_strict: state MASTER must go with priority 255 (address owner) and only with it: state set to BACKUP`}},
	{"authentication without password", instance("authentication {\n auth_type PASS\n}"),
		[]string{`1 warning vrrp_instance VI_1: authentication without auth_pass: ignored`}},
	{"too many addresses for one advert", instance("virtual_ipaddress {\n ~SEQ(i, 0, 255) 10.0.${i}.1\n}"),
		[]string{`5 warning vrrp_instance VI_1: 256 virtual addresses do not fit in one advert (at most 255): the rest are moved to virtual_ipaddress_excluded`}},
	{"auth_type MD5", instance("authentication {\n auth_type MD5\n auth_pass x\n}"),
		[]string{`5 error auth_type: expected PASS|AH, got "MD5"`}},
	{"long auth_pass", instance("authentication {\n auth_type PASS\n auth_pass 0123456789\n}"),
		[]string{`6 warning auth_pass: only the first 8 characters are used ("01234567")`}},
	{"nopreempt with state MASTER", instance("state MASTER\npriority 100\nnopreempt"),
		[]string{"1 warning vrrp_instance VI_1: nopreempt does not work with `state MASTER`: cleared"}},
	{"vrrp_strict", "global_defs {\n vrrp_strict\n}\n" + instance("authentication {\n auth_type PASS\n auth_pass x\n}\nunicast_peer {\n 10.0.0.9\n}"),
		[]string{`4 warning vrrp_instance VI_1: vrrp_strict forbids authentication: ignored`,
			`4 error vrrp_instance VI_1: vrrp_strict forbids unicast_peer`}},
	{"vrrp_strict without addresses", "global_defs {\n vrrp_strict\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n}\n",
		[]string{`4 error vrrp_instance VI_1: no virtual_ipaddress; VRRPv3 and vrrp_strict need at least one`}},
	{"v2 without addresses", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n}\n",
		[]string{`1 warning vrrp_instance VI_1: no virtual_ipaddress: the instance moves no address`}},
	{"duplicate instance", instance("") + instance(""),
		[]string{`9 error vrrp_instance "VI_1" is defined twice: this one is ignored`}},
	{"same vrid on one interface", instance("") + strings.Replace(instance(""), "VI_1", "VI_2", 1),
		[]string{`9 error vrrp_instance VI_2: virtual_router_id 51 is already used on eth0 by vrrp_instance VI_1 (test.conf:1)`}},
	{"unknown track_script", instance("track_script {\n chk_missing\n}"),
		[]string{`5 warning vrrp_instance VI_1: track_script chk_missing: no vrrp_script of that name: ignored`}},
	{"track_script weight out of range", "vrrp_script chk {\n script /bin/true\n}\n" + instance("track_script {\n chk weight 300\n}"),
		[]string{`8 error track_script chk weight: 300 is out of range, expected an integer in -253..253`,
			`1 warning scripts are run but enable_script_security is not set in global_defs`}},
	{"sync group with unknown member", instance("") + "vrrp_sync_group G {\n group {\n VI_1 VI_9\n }\n}\n",
		[]string{`9 warning vrrp_sync_group G: no vrrp_instance named VI_9: ignored`,
			`9 warning vrrp_sync_group G has only one vrrp_instance: probably not what you want`}},
	{"vrrp_script without script", "vrrp_script chk {\n interval 2\n weight 300\n}\n",
		[]string{`3 error weight: 300 is out of range, expected an integer in -253..253`,
			"4 error vrrp_script chk: no script command"}},
	{"unknown keyword", instance("prority 100"),
		[]string{`4 warning unknown keyword "prority" in vrrp_instance VI_1: ignored`}},
	{"unknown keyword with a block closes the instance early",
		"vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\nfoo {\n bar\n}\npriority 50\n}\n",
		[]string{`4 warning unknown keyword "foo" in vrrp_instance VI_1: ignored`,
			`4 warning unexpected '{' in vrrp_instance VI_1: ignored, so the '}' that was meant to match it will close vrrp_instance VI_1`,
			`5 warning unknown keyword "bar" in vrrp_instance VI_1: ignored`,
			`7 warning unknown keyword "priority" at top level: ignored (it belongs in vrrp_instance; did a '}' above close that block too early?)`,
			`8 warning unexpected '}' at top level (no block is open): ignored`,
			`1 warning vrrp_instance VI_1: no virtual_ipaddress`}},
	{"unsupported keyword and its block are skipped", instance("virtual_routes {\n 10.1.0.0/16 via 10.0.0.254 dev eth0\n}\nuse_vmac"),
		[]string{`4 warning "virtual_routes" is not supported by shardcat: ignored`,
			`7 warning "use_vmac" is not supported by shardcat: ignored`}},
	{"missing closing brace", "global_defs {\n router_id x\n",
		[]string{`1 warning global_defs has no closing '}' before the end of the configuration`}},
	{"missing opening brace", "global_defs\n router_id x\n}\n",
		[]string{`1 warning global_defs: no '{' follows, so its block is empty and the next lines are read in top level`,
			`2 warning unknown keyword "router_id" at top level`,
			`3 warning unexpected '}' at top level`}},
	{"value block without its brace", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress\n 10.0.0.1\n }\n probe\n}\n",
		[]string{`4 warning virtual_ipaddress: no '{' follows, so only the next line is read as its value`,
			`7 warning unknown keyword "probe" at top level: ignored`,
			`8 warning unexpected '}' at top level`}},
	{"unterminated quote", "global_defs {\n router_id \"lb1\n}\n",
		[]string{`2 error unterminated quote`}},
	{"bad flag value", "global_defs {\n vrrp_strict maybe\n}\n",
		[]string{`2 warning vrrp_strict: expected on|off|true|false|yes|no or nothing, got "maybe": taken as on`}},
	{"bad vrrp_version", "global_defs {\n vrrp_version 4\n}\n",
		[]string{`2 error vrrp_version: 4 is out of range, expected an integer in 2..3`}},
	{"bad smtp port", "global_defs {\n smtp_server 10.0.0.1 smtp\n}\n",
		[]string{`2 error smtp_server: expected an integer in 1..65535, got "smtp"`}},
	{"virtual_server bad address skips the block", "virtual_server 10.0.0.256 80 {\n lb_algo nope\n}\n",
		[]string{`1 error virtual_server: expected an IPv4 or IPv6 address, got "10.0.0.256"`}},
	{"virtual_server without port", "virtual_server 10.0.0.1 {\n}\n",
		[]string{"1 warning virtual_server 10.0.0.1 0 has no real_server: ignored, as keepalived does"}},
	{"bad scheduler and method", "virtual_server 10.0.0.1 80 {\n lb_algo fastest\n lb_kind MAGIC\n persistence_timeout forever\n real_server 10.0.0.2 80 {\n }\n}\n",
		[]string{`2 error lb_algo: expected rr|wrr|lc|wlc|lblc|sh|mh|dh|fo|ovf|lblcr|sed|nq|twos, got "fastest"`,
			`3 error lb_kind: expected NAT|DR|TUN, got "MAGIC"`,
			`4 error persistence_timeout: expected seconds in 1..3600000, got "forever"`,
			"1 warning virtual_server 10.0.0.1 80: no protocol set: keepalived defaults to UDP (write `protocol TCP` for MySQL)",
			`1 warning virtual_server 10.0.0.1 80: no lvs_sched set: using wlc, as keepalived does`,
			`1 warning virtual_server 10.0.0.1 80: no lvs_method set: using NAT, as keepalived does`}},
	{"real_server port out of range", "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 70000 {\n weight 2\n }\n}\n",
		[]string{`2 error real_server: 70000 is out of range, expected an integer in 0..65535`,
			`1 warning virtual_server 10.0.0.1 80 has no real_server: ignored, as keepalived does`}},
	{"DR cannot map ports", "virtual_server 10.0.0.1 80 {\n lb_kind DR\n real_server 10.0.0.2 8080 {\n }\n protocol TCP\n lb_algo rr\n}\n",
		[]string{`3 warning real_server 10.0.0.2:8080: DR cannot map ports: reset to the virtual port 80`}},
	{"quorum and hysteresis", vserver(" quorum 5\n hysteresis 3"),
		[]string{`1 warning virtual_server 10.0.0.1 80: quorum 5 exceeds the total weight of its real servers (1): reduced to 1`,
			`1 warning virtual_server 10.0.0.1 80: hysteresis 3 must be below quorum 1: set to 0`}},
	{"port 0 needs persistence", "virtual_server 10.0.0.1 0 {\n" + vsDefaults + " real_server 10.0.0.2 0 {\n }\n}\n",
		[]string{`1 warning virtual_server 10.0.0.1 0: port 0 is only valid for persistent services: persistence_timeout set to 360`}},
	{"fwmark service ignores protocol", "virtual_server fwmark 3 {\n" + vsDefaults + " ha_suspend\n real_server 10.0.0.2 0 {\n }\n}\n",
		[]string{`1 warning virtual_server fwmark 3: ha_suspend cannot be used with fwmarks: cleared`,
			`1 warning virtual_server fwmark 3: a protocol is ignored for fwmark services`}},
	{"checkers missing their essentials",
		"virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n HTTP_GET {\n }\n MISC_CHECK {\n }\n MYSQL_CHECK {\n }\n }\n" + vsDefaults + "}\n",
		[]string{"4 error HTTP_GET: no url block", "6 error MISC_CHECK: no misc_path", "8 error MYSQL_CHECK: no user"}},
	{"bad url", "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n HTTP_GET {\n url {\n digest xyz\n status_code 99\n }\n }\n }\n" + vsDefaults + "}\n",
		[]string{`5 error digest: expected 32 hex digits (genhash output), got "xyz"`,
			`6 error status_code: 99 is out of range, expected an integer in 100..999`,
			"7 error url: no path", "8 error HTTP_GET: no url block"}},
	{"duplicate virtual_server", vserver("") + "virtual_server 10.0.0.1 80 {\n" + vsDefaults + " real_server 10.0.0.3 80 {\n }\n}\n",
		[]string{`9 warning virtual_server 10.0.0.1 80 is already defined at test.conf:1: ignored (IPVS keeps one service)`}},
	{"duplicate real_server", "virtual_server 10.0.0.1 80 {\n" + vsDefaults + " real_server 10.0.0.2 80 {\n }\n real_server 10.0.0.2 80 {\n }\n}\n",
		[]string{`7 error real_server 10.0.0.2:80 is already in virtual_server 10.0.0.1 80 (line 5): this one is ignored`}},
	{"fwmark service with DR clears real ports", "virtual_server fwmark 1 {\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 80 {\n }\n}\n",
		[]string{`4 warning real_server 10.0.0.2:80: fwmark virtual_server with DR: the real port is cleared`}},
	{"sorry server port under DR", "virtual_server 10.0.0.1 80 {\n protocol TCP\n lb_algo rr\n lb_kind DR\n sorry_server 10.0.0.9 8080\n real_server 10.0.0.2 80 {\n }\n}\n",
		[]string{`1 warning virtual_server 10.0.0.1 80: sorry_server port reset to the virtual port 80 (DR cannot map ports)`}},
	{"group ports under DR", "virtual_server_group G {\n 10.0.0.1 80\n fwmark 4\n}\nvirtual_server group G {\n protocol TCP\n lb_algo rr\n lb_kind DR\n real_server 10.0.0.2 8080 {\n }\n}\n",
		[]string{`9 warning real_server 10.0.0.2:8080: fwmark virtual_server group G: DR ignores the real port`,
			`9 warning real_server 10.0.0.2:8080: port differs from virtual_server_group G port 80, which DR cannot map`}},
	{"sync group conflicts", instance("virtual_ipaddress {\n 10.0.0.1\n}") +
		"vrrp_sync_group G1 {\n group {\n VI_1\n }\n track_script {\n nope\n }\n}\n" +
		"vrrp_sync_group G2 {\n group {\n VI_1\n }\n}\nvrrp_sync_group G2 {\n}\n",
		[]string{`21 error vrrp_sync_group "G2" is defined twice: this one is ignored`,
			`8 warning vrrp_sync_group G1 has only one vrrp_instance`,
			`13 warning vrrp_sync_group G1: track_script nope: no vrrp_script of that name: ignored`,
			`16 error vrrp_sync_group G2: vrrp_instance VI_1 is already in vrrp_sync_group G1`,
			`16 warning vrrp_sync_group G2 has no vrrp_instance: ignored`}},
	{"bad unicast peers", instance("unicast_peer {\n 10.0.0.x\n 10.0.0.2 min_ttl 300 hops 3\n}"),
		[]string{`5 error unicast_peer: expected an IP address, got "10.0.0.x": entry ignored`,
			`6 error unicast_peer 10.0.0.2 min_ttl: 300 is out of range, expected an integer in 0..255`,
			`6 warning unicast_peer 10.0.0.2: unknown option "hops": ignored`}},
	{"unknown virtual_server_group", "virtual_server group NOPE {\n sorry_server 10.0.0.9 80\n}\n",
		[]string{`1 warning virtual_server group NOPE: no virtual_server_group of that name: ignored`}},
	{"bad virtual_server_group range", "virtual_server_group G {\n 10.0.0.9-3 80\n 10.0.0.1\n}\n",
		[]string{`2 error virtual_server_group G: bad range "10.0.0.9-3"`}},
	{"include matching nothing", "include /nonexistent/dir/*.conf\n",
		[]string{`1 warning include /nonexistent/dir/*.conf: no file matches`}},
	{"bad ~SEQ", "~SEQ(i, 1, 0, 5) router_id x\n~SEQ i 1 5\n",
		[]string{`1 error invalid ~SEQ "~SEQ(i, 1, 0, 5) router_id x": the step does not lead from start to end`,
			`2 error invalid ~SEQ "~SEQ i 1 5": missing '('`}},
	{"~LST", "~LST(i, a, b) router_id $i\n",
		[]string{`1 error ~LST generators are not supported: line ignored`}},
	{"parameter that refers to itself", "$A=$A x\nglobal_defs {\n router_id $A\n}\n",
		[]string{`3 error parameter $A expands without end (does it refer to itself?): line ignored`}},
	{"e-mail that is not an address", "global_defs {\n notification_email {\n ops\n }\n}\n",
		[]string{`3 warning notification_email: "ops" does not look like an e-mail address`}},
}

func TestFindings(t *testing.T) {
	for _, tt := range findingCases {
		t.Run(tt.name, func(t *testing.T) {
			_, findings, err := Parse("test.conf", []byte(tt.conf), Options{})
			var got []string
			hasError := false
			for _, f := range findings {
				got = append(got, fmt.Sprintf("%d %s %s", f.Pos.Line, f.Severity, f.Message))
				hasError = hasError || f.Severity == Error
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d findings, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("finding %d:\n got  %s\n want %s...", i, got[i], tt.want[i])
				}
			}
			if (err != nil) != hasError {
				t.Errorf("err = %v, but errors among findings = %v", err, hasError)
			}
		})
	}
}

func TestFindingAPI(t *testing.T) {
	_, findings, err := Parse("x.conf", []byte("bogus\nglobal_defs {\n vrrp_version 9\n}\n"), Options{})
	if len(findings) != 2 || !HasErrors(findings) || HasErrors(findings[:1]) {
		t.Fatalf("findings = %v", findings)
	}
	if got := findings[0].String(); got != `x.conf:1: warning: unknown keyword "bogus" at top level: ignored` {
		t.Errorf("String() = %q", got)
	}
	var ef *ErrorsFound
	if !errors.As(err, &ef) || len(ef.Errors) != 1 ||
		ef.Error() != "1 configuration error(s); x.conf:3: vrrp_version: 9 is out of range, expected an integer in 2..3" {
		t.Errorf("err = %v", err)
	}
}

func TestVirtualServerGroupRanges(t *testing.T) {
	conf := "virtual_server_group G {\n 10.0.0.1-9 80\n 2001:db8::1-ff 443\n fwmark 5\n}\n"
	cfg, findings, _ := Parse("t.conf", []byte(conf), Options{})
	if len(findings) != 0 {
		t.Fatalf("findings %v", findings)
	}
	got := fmt.Sprint(cfg.VirtualServerGroups[0].Entries)
	want := "[{10.0.0.1 10.0.0.9 80 0} {2001:db8::1 2001:db8::ff 443 0} {invalid IP invalid IP 0 5}]"
	if got != want {
		t.Errorf("entries = %s, want %s", got, want)
	}
}
