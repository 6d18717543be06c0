package ipvsadm

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shardcat/shardcat/internal/lvs/estimator"
)

func TestCollector(t *testing.T) {
	f := newFake()
	f.snap.QuorumUp = true
	f.snap.Refused = 4
	f.snap.RealServers[0].ActiveConn = 1
	f.snap.RealServers[0].PersistConn = 2
	f.snap.ActiveConn = 1
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := NewServer([]Source{f}, func() time.Time { return now })
	f.add(10, 1000, 2000)
	f.mu.Lock()
	f.snap.InPkts, f.snap.OutPkts = 30, 20
	f.snap.RealServers[0].InPkts, f.snap.RealServers[0].OutPkts = 30, 20
	f.mu.Unlock()
	now = now.Add(estimator.Tick)
	srv.Tick()
	c := srv.Collector()

	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %+v", err, problems)
	}
	const svc = `{protocol="TCP",service="10.0.0.1:80"}`
	const rs0 = `{protocol="TCP",server="10.0.0.2:80",service="10.0.0.1:80"}`
	const rs2 = `{protocol="TCP",server="10.0.0.4:80",service="10.0.0.1:80"}`
	// Rates after one tick of 2 s: avg = (delta<<9)>>2; pps (30<<9)>>2 = 3840 -> (3840+511)>>10 = 4;
	// out (20<<9)>>2 = 2560 -> 2; cps (10<<9)>>2 = 1280 -> 1; bytes (1000<<4)>>2 = 4000 -> 125, 8000 -> 250.
	want := `
# HELP shardcat_lvs_service_connections_total Connections scheduled (ipvsadm --stats Conns).
# TYPE shardcat_lvs_service_connections_total counter
shardcat_lvs_service_connections_total` + svc + ` 10
# HELP shardcat_lvs_service_in_packets_total Packets from clients (TCP_INFO segs_in of the client sockets; InPkts).
# TYPE shardcat_lvs_service_in_packets_total counter
shardcat_lvs_service_in_packets_total` + svc + ` 30
# HELP shardcat_lvs_service_in_packets_per_second Rate estimate of packets from clients (InPPS).
# TYPE shardcat_lvs_service_in_packets_per_second gauge
shardcat_lvs_service_in_packets_per_second` + svc + ` 4
# HELP shardcat_lvs_service_out_bytes_per_second Rate estimate of bytes to clients (OutBPS).
# TYPE shardcat_lvs_service_out_bytes_per_second gauge
shardcat_lvs_service_out_bytes_per_second` + svc + ` 250
# HELP shardcat_lvs_service_quorum_up 1 while the service has its quorum (keepalived quorum/hysteresis).
# TYPE shardcat_lvs_service_quorum_up gauge
shardcat_lvs_service_quorum_up` + svc + ` 1
# HELP shardcat_lvs_service_refused_connections_total Client connections closed at once because the service was at its connection limit.
# TYPE shardcat_lvs_service_refused_connections_total counter
shardcat_lvs_service_refused_connections_total` + svc + ` 4
# HELP shardcat_lvs_real_server_active_connections Established connections (ActiveConn).
# TYPE shardcat_lvs_real_server_active_connections gauge
shardcat_lvs_real_server_active_connections` + rs0 + ` 1
shardcat_lvs_real_server_active_connections{protocol="TCP",server="10.0.0.3:80",service="10.0.0.1:80"} 0
shardcat_lvs_real_server_active_connections` + rs2 + ` 0
# HELP shardcat_lvs_real_server_weight Weight in the table (0 when down and inhibited, quiesced, or an inhibited sorry server).
# TYPE shardcat_lvs_real_server_weight gauge
shardcat_lvs_real_server_weight` + rs0 + ` 2
shardcat_lvs_real_server_weight{protocol="TCP",server="10.0.0.3:80",service="10.0.0.1:80"} 0
shardcat_lvs_real_server_weight` + rs2 + ` 0
# HELP shardcat_lvs_real_server_up 1 when every health checker of the real server is up.
# TYPE shardcat_lvs_real_server_up gauge
shardcat_lvs_real_server_up` + rs0 + ` 1
shardcat_lvs_real_server_up{protocol="TCP",server="10.0.0.3:80",service="10.0.0.1:80"} 0
shardcat_lvs_real_server_up` + rs2 + ` 0
# HELP shardcat_lvs_real_server_connections_per_second Rate estimate of new connections (ipvsadm --rate CPS).
# TYPE shardcat_lvs_real_server_connections_per_second gauge
shardcat_lvs_real_server_connections_per_second` + rs0 + ` 1
shardcat_lvs_real_server_connections_per_second{protocol="TCP",server="10.0.0.3:80",service="10.0.0.1:80"} 0
shardcat_lvs_real_server_connections_per_second` + rs2 + ` 0
# HELP shardcat_lvs_real_server_persistent_connections Persistence templates pointing at the real server (PersistConn).
# TYPE shardcat_lvs_real_server_persistent_connections gauge
shardcat_lvs_real_server_persistent_connections` + rs0 + ` 2
shardcat_lvs_real_server_persistent_connections{protocol="TCP",server="10.0.0.3:80",service="10.0.0.1:80"} 0
shardcat_lvs_real_server_persistent_connections` + rs2 + ` 0
`
	names := []string{
		"shardcat_lvs_service_connections_total", "shardcat_lvs_service_in_packets_total",
		"shardcat_lvs_service_in_packets_per_second", "shardcat_lvs_service_out_bytes_per_second",
		"shardcat_lvs_service_quorum_up", "shardcat_lvs_service_refused_connections_total",
		"shardcat_lvs_real_server_active_connections", "shardcat_lvs_real_server_weight",
		"shardcat_lvs_real_server_up", "shardcat_lvs_real_server_connections_per_second",
		"shardcat_lvs_real_server_persistent_connections",
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	// Every family is exported: 12 statistics twice, 3 service and 4 real server extras.
	if n := testutil.CollectAndCount(c); n != 12*(1+3)+3+4*3 {
		t.Errorf("%d series", n)
	}
}
