package keepalivedconf

import (
	"testing"
	"time"
)

// Checker settings come from the most specific level that writes them.
func TestCheckerInheritance(t *testing.T) {
	conf := `virtual_server 10.0.0.1 80 {
    protocol TCP
    lvs_sched wrr
    lvs_method NAT
    delay_loop 20
    connect_timeout 7
    retry 4
    alpha
    virtualhost vs.example.com
    inhibit_on_failure
    real_server 10.0.0.2 80 {
        delay_before_retry 9
        TCP_CHECK {
            retry 2
        }
        HTTP_GET {
            url {
                path /
            }
        }
        MISC_CHECK {
            misc_path /bin/true
            delay_loop 5
        }
    }
}
global_defs {
    enable_script_security
}
`
	cfg, findings, err := Parse("t.conf", []byte(conf), Options{})
	if err != nil || len(findings) != 0 {
		t.Fatalf("findings %v, err %v", findings, err)
	}
	rs := cfg.VirtualServers[0].RealServers[0]
	if !rs.InhibitOnFailure {
		t.Error("inhibit_on_failure not inherited from virtual_server")
	}
	type resolved struct {
		connectTimeout, delayBeforeRetry, warmup, delayLoop time.Duration
		retry                                               int
		alpha                                               bool
	}
	want := []resolved{
		{7 * time.Second, 9 * time.Second, 20 * time.Second, 20 * time.Second, 2, true},
		{7 * time.Second, 9 * time.Second, 20 * time.Second, 20 * time.Second, 4, true},
		{7 * time.Second, 9 * time.Second, 5 * time.Second, 5 * time.Second, 4, true},
	}
	for i, c := range rs.Checkers {
		got := resolved{c.ConnectTimeout, c.DelayBeforeRetry, c.Warmup, c.DelayLoop, c.Retry, c.Alpha}
		if got != want[i] {
			t.Errorf("%s: got %+v, want %+v", c.Type, got, want[i])
		}
	}
	if vh := rs.Checkers[1].HTTP.VirtualHost; vh != "vs.example.com" {
		t.Errorf("HTTP_GET virtualhost = %q, want the virtual server's", vh)
	}
	if mt := rs.Checkers[2].Misc.Timeout; mt != 5*time.Second {
		t.Errorf("misc_timeout = %v, want delay_loop", mt)
	}
}

// Per-type defaults when nothing is written (keepalived's).
func TestCheckerDefaults(t *testing.T) {
	conf := "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80 {\n TCP_CHECK {\n }\n SSL_GET {\n url {\n path /\n }\n }\n MISC_CHECK {\n misc_path x\n }\n }\n}\n"
	cfg, _, err := Parse("t.conf", []byte(conf), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]any{
		"TCP_CHECK":  {1, time.Second},
		"SSL_GET":    {1, 3 * time.Second},
		"MISC_CHECK": {0, time.Second},
	}
	for _, c := range cfg.VirtualServers[0].RealServers[0].Checkers {
		if got := [2]any{c.Retry, c.DelayBeforeRetry}; got != want[c.Type] {
			t.Errorf("%s: retry, delay_before_retry = %v, want %v", c.Type, got, want[c.Type])
		}
		if c.ConnectTimeout != 5*time.Second || c.DelayLoop != 60*time.Second || c.Rise != 1 {
			t.Errorf("%s: connect_timeout %v, delay_loop %v, rise %d", c.Type, c.ConnectTimeout, c.DelayLoop, c.Rise)
		}
	}
}

// Instance defaults as keepalived's, and global_defs inheritance wherever
// global_defs appears in the file.
func TestInstanceDefaults(t *testing.T) {
	conf := "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 9\n garp_master_repeat 2\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n" +
		"global_defs {\n vrrp_garp_master_delay 3\n vrrp_strict\n vrrp_version 3\n}\n"
	cfg, _, _ := Parse("t.conf", []byte(conf), Options{})
	in := cfg.Instances[0]
	if in.State != StateBackup || in.Priority != 100 || in.AdvertInt != time.Second || in.Version != 3 {
		t.Errorf("state %s priority %d advert_int %v version %d", in.State, in.Priority, in.AdvertInt, in.Version)
	}
	wantGARP := GARPSettings{MasterDelay: 3 * time.Second, MasterRepeat: 2, LowerPrioDelay: 3 * time.Second,
		LowerPrioRepeat: 2, MasterRefreshRepeat: 1}
	if in.GARP != wantGARP {
		t.Errorf("GARP = %+v, want %+v", in.GARP, wantGARP)
	}
	if in.Accept {
		t.Error("accept should default off under vrrp_strict for a non-owner")
	}
}

// vrrp_min_garp: one gratuitous ARP, no second batch, no refresh, unless
// a later vrrp_garp_* line (or the instance) says otherwise.
func TestMinGarp(t *testing.T) {
	conf := `global_defs {
    vrrp_garp_master_repeat 3
    vrrp_min_garp
    vrrp_garp_master_refresh_repeat 2
}
vrrp_instance A {
    interface eth0
    virtual_router_id 1
    virtual_ipaddress {
        10.0.0.1
    }
}
vrrp_instance B {
    interface eth0
    virtual_router_id 2
    garp_master_delay 2
    virtual_ipaddress {
        10.0.0.2
    }
}
`
	cfg, findings, err := Parse("k.conf", []byte(conf), Options{})
	if err != nil || HasErrors(findings) {
		t.Fatalf("%v %v", err, findings)
	}
	a, b := cfg.Instances[0].GARP, cfg.Instances[1].GARP
	if a.MasterRepeat != 1 || a.MasterDelay != 0 || a.LowerPrioRepeat != 1 || a.LowerPrioDelay != 0 || a.MasterRefresh != 0 || a.MasterRefreshRepeat != 2 {
		t.Errorf("A: %+v", a)
	}
	if b.MasterRepeat != 1 || b.MasterDelay != 2*time.Second {
		t.Errorf("B: %+v", b)
	}
}
