package keepalivedconf

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// The seed deployment guide's MASTER keepalived.conf, copied as published
// (lines 261-331 of the guide). Its comments were wrapped onto new lines and
// a '}' closes virtual_server before two of its real_servers, so keepalived
// reads it differently from what its author meant. This test pins exactly how.
func TestSeedMasterAsKeepalivedReadsIt(t *testing.T) {
	cfg, findings, err := Load("testdata/seed-master.conf", Options{})
	if cfg == nil {
		t.Fatalf("Load: %v", err)
	}

	want := []string{
		// The comment after "notification_email {" wraps: the markdown fence
		// and "配置上的邮箱," become e-mail addresses.
		"5 warning notification_email: \"```\" does not look like an e-mail address",
		"7 warning notification_email: \"配置上的邮箱,\" does not look like an e-mail address",
		// "state" is the last word of the comment on line 13, so MASTER stands alone.
		"14 warning unknown keyword \"MASTER\" in vrrp_instance VI_1",
		"15 warning unknown keyword \"看本机器的权重\" in vrrp_instance VI_1",
		"21 warning unknown keyword \"是1S\" in authentication",
		"23 warning unknown keyword \"证密码）必须一样\" in authentication",
		"27 error virtual_ipaddress: expected ADDRESS[/PREFIX]",
		// keepalived 2 accepts nb_get_retry only in HTTP_GET/SSL_GET: retry stays 1.
		"42 warning unknown keyword \"nb_get_retry\" in TCP_CHECK: ignored (keepalived accepts nb_get_retry only in HTTP_GET and SSL_GET; write `retry N`)",
		// The '}' on line 47 closed virtual_server: what follows is top level.
		"48 warning unknown keyword \"real_server\" at top level",
		"48 warning unexpected '{' at top level",
		"48 warning unknown keyword \"//Mycat服务器二\" at top level: ignored ('//' does not start a comment",
		"49 warning unknown keyword \"weight\" at top level",
		"50 warning unknown keyword \"TCP_CHECK\" at top level",
		"50 warning unexpected '{' at top level",
		"51 warning unknown keyword \"connect_timeout\" at top level",
		"53 warning unknown keyword \"```\" at top level",
		"55 warning unknown keyword \"```\" at top level",
		"57 warning unknown keyword \"nb_get_retry\" at top level",
		"58 warning unknown keyword \"delay_before_retry\" at top level",
		"59 warning unknown keyword \"connect_port\" at top level",
		"60 warning unexpected '}' at top level",
		"61 warning unexpected '}' at top level",
		"62 warning unknown keyword \"real_server\" at top level",
		"62 warning unexpected '{' at top level",
		"62 warning unknown keyword \"//Mycat\" at top level",
		"63 warning unknown keyword \"weight\" at top level",
		"64 warning unknown keyword \"TCP_CHECK\" at top level",
		"64 warning unexpected '{' at top level",
		"65 warning unknown keyword \"connect_timeout\" at top level",
		"66 warning unknown keyword \"nb_get_retry\" at top level",
		"67 warning unknown keyword \"delay_before_retry\" at top level",
		"68 warning unknown keyword \"connect_port\" at top level",
		"69 warning unexpected '}' at top level",
		"70 warning unexpected '}' at top level",
		"71 warning unexpected '}' at top level",
	}
	var got []string
	for _, f := range findings {
		if f.Pos.File != "testdata/seed-master.conf" {
			t.Errorf("finding in %q, want the seed file: %v", f.Pos.File, f)
		}
		got = append(got, fmt.Sprintf("%d %s %s", f.Pos.Line, f.Severity, f.Message))
	}
	if len(got) != len(want) {
		t.Errorf("got %d findings, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("finding %d:\n got  %s\n want %s...", i, got[i], want[i])
		}
	}
	if _, ok := err.(*ErrorsFound); !ok {
		t.Errorf("err = %v, want *ErrorsFound for the bad virtual_ipaddress", err)
	}

	g := cfg.Global
	if g.RouterID != "daas" || g.SMTPServer != "127.0.0.1" || g.SMTPPort != 25 || g.SMTPConnectTimeout != 30*time.Second {
		t.Errorf("global_defs = %+v", g)
	}
	if want := []string{"```", "配置上的邮箱,", "examp@qq.com"}; fmt.Sprint(g.NotificationEmail) != fmt.Sprint(want) {
		t.Errorf("notification_email = %q, want %q", g.NotificationEmail, want)
	}

	if len(cfg.Instances) != 1 {
		t.Fatalf("got %d instances, want 1", len(cfg.Instances))
	}
	in := cfg.Instances[0]
	// The intended MASTER starts as BACKUP: its "state" keyword is in a comment.
	if in.State != StateBackup || in.Interface != "eth0" || in.VirtualRouterID != 51 || in.Priority != 100 || in.AdvertInt != time.Second {
		t.Errorf("instance = %+v", in)
	}
	if in.Authentication == nil || *in.Authentication != (Authentication{Type: "PASS", Password: "1111"}) {
		t.Errorf("authentication = %+v", in.Authentication)
	}
	if len(in.VirtualIPs) != 1 || in.VirtualIPs[0].Prefix != netip.MustParsePrefix("192.168.100.100/32") {
		t.Errorf("virtual_ipaddress = %+v", in.VirtualIPs)
	}

	if len(cfg.VirtualServers) != 1 {
		t.Fatalf("got %d virtual servers, want 1", len(cfg.VirtualServers))
	}
	vs := cfg.VirtualServers[0]
	if vs.Addr != netip.MustParseAddrPort("192.168.100.100:8066") || vs.Scheduler != "rr" || vs.Method != "DR" ||
		vs.PersistenceTimeout != 50*time.Second || vs.Protocol != "TCP" || vs.DelayLoop != 60*time.Second {
		t.Errorf("virtual_server = %+v", vs)
	}
	// Only the first real_server is inside virtual_server.
	if len(vs.RealServers) != 1 || vs.RealServers[0].Addr != netip.MustParseAddrPort("192.168.100.3:8066") {
		t.Fatalf("real servers = %+v, want only 192.168.100.3:8066", vs.RealServers)
	}
	rs := vs.RealServers[0]
	if rs.Weight != 3 || len(rs.Checkers) != 1 {
		t.Fatalf("real_server = %+v", rs)
	}
	c := rs.Checkers[0]
	if c.Type != "TCP_CHECK" || c.ConnectTimeout != 3*time.Second || c.Retry != 1 ||
		c.DelayBeforeRetry != 3*time.Second || c.ConnectPort != 8066 || c.DelayLoop != 60*time.Second {
		t.Errorf("checker = %+v", c)
	}
}

func TestSeedMasterCleanHasNoFindings(t *testing.T) {
	cfg, findings, err := Load("testdata/seed-master-clean.conf", Options{})
	if err != nil || len(findings) != 0 {
		t.Fatalf("Load: err %v, findings %v", err, findings)
	}
	if in := cfg.Instances[0]; in.State != StateMaster {
		t.Errorf("state = %s, want MASTER", in.State)
	}
	vs := cfg.VirtualServers[0]
	var addrs []string
	for _, rs := range vs.RealServers {
		addrs = append(addrs, rs.Addr.String())
		if c := rs.Checkers[0]; c.Retry != 3 || c.DelayBeforeRetry != 3*time.Second || c.ConnectPort != 8066 {
			t.Errorf("%s checker = %+v", rs.Addr, c)
		}
	}
	if want := "[192.168.100.3:8066 192.168.100.4:8066 192.168.100.5:8066]"; fmt.Sprint(addrs) != want {
		t.Errorf("real servers = %v, want %s", addrs, want)
	}
}
