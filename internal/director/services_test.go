package director

import (
	"testing"
	"time"

	"github.com/shardcat/shardcat/internal/keepalivedconf"
)

// lvs_timeouts from global_defs and --max-conns reach every service.
func TestServicesTakeGlobalTimeoutsAndMaxConns(t *testing.T) {
	conf := `global_defs {
    lvs_timeouts tcp 600 tcpfin 30
}
virtual_server 127.0.0.1 18066 {
    lb_algo rr
    protocol TCP
    real_server 127.0.0.1 8066 {
        weight 1
    }
}
`
	cfg, findings, err := keepalivedconf.Parse("k.conf", []byte(conf), keepalivedconf.Options{})
	if err != nil || keepalivedconf.HasErrors(findings) {
		t.Fatalf("parse: %v %v", err, findings)
	}
	svcs, _, err := Services(cfg, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 1 {
		t.Fatalf("%d services", len(svcs))
	}
	sc := svcs[0]
	if sc.IdleTimeout != 600*time.Second || sc.FinTimeout != 30*time.Second || sc.MaxConns != 7 {
		t.Errorf("idle %v fin %v max %d, want 10m0s 30s 7", sc.IdleTimeout, sc.FinTimeout, sc.MaxConns)
	}
	svcs, _, _ = Services(cfg, 0)
	if svcs[0].MaxConns != 0 {
		t.Errorf("MaxConns %d without a cap", svcs[0].MaxConns)
	}
}
