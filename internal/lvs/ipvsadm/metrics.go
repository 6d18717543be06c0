package ipvsadm

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shardcat/shardcat/internal/lvs/dataplane"
	"github.com/shardcat/shardcat/internal/lvs/estimator"
)

// metric is one exported family, for services and for real servers.
type metric struct {
	name, help string
	kind       prometheus.ValueType
	value      func(st dataplane.Stats, r estimator.Rates) float64
}

var statMetrics = []metric{
	{"connections_total", "Connections scheduled (ipvsadm --stats Conns).", prometheus.CounterValue,
		func(st dataplane.Stats, _ estimator.Rates) float64 { return float64(st.Conns) }},
	{"in_packets_total", "Packets from clients (TCP_INFO segs_in of the client sockets; InPkts).", prometheus.CounterValue,
		func(st dataplane.Stats, _ estimator.Rates) float64 { return float64(st.InPkts) }},
	{"out_packets_total", "Packets to clients (TCP_INFO segs_out of the client sockets; OutPkts).", prometheus.CounterValue,
		func(st dataplane.Stats, _ estimator.Rates) float64 { return float64(st.OutPkts) }},
	{"in_bytes_total", "Bytes from clients to real servers (InBytes).", prometheus.CounterValue,
		func(st dataplane.Stats, _ estimator.Rates) float64 { return float64(st.InBytes) }},
	{"out_bytes_total", "Bytes from real servers to clients (OutBytes).", prometheus.CounterValue,
		func(st dataplane.Stats, _ estimator.Rates) float64 { return float64(st.OutBytes) }},
	{"active_connections", "Established connections (ActiveConn).", prometheus.GaugeValue,
		func(st dataplane.Stats, _ estimator.Rates) float64 { return float64(st.ActiveConn) }},
	{"inactive_connections", "Connections in any other state (InActConn).", prometheus.GaugeValue,
		func(st dataplane.Stats, _ estimator.Rates) float64 { return float64(st.InActConn) }},
	{"connections_per_second", "Rate estimate of new connections (ipvsadm --rate CPS).", prometheus.GaugeValue,
		func(_ dataplane.Stats, r estimator.Rates) float64 { return float64(r.CPS) }},
	{"in_packets_per_second", "Rate estimate of packets from clients (InPPS).", prometheus.GaugeValue,
		func(_ dataplane.Stats, r estimator.Rates) float64 { return float64(r.InPPS) }},
	{"out_packets_per_second", "Rate estimate of packets to clients (OutPPS).", prometheus.GaugeValue,
		func(_ dataplane.Stats, r estimator.Rates) float64 { return float64(r.OutPPS) }},
	{"in_bytes_per_second", "Rate estimate of bytes from clients (InBPS).", prometheus.GaugeValue,
		func(_ dataplane.Stats, r estimator.Rates) float64 { return float64(r.InBPS) }},
	{"out_bytes_per_second", "Rate estimate of bytes to clients (OutBPS).", prometheus.GaugeValue,
		func(_ dataplane.Stats, r estimator.Rates) float64 { return float64(r.OutBPS) }},
}

const metricPrefix = "shardcat_lvs_"

// collector exports a Server's services and real servers.
type collector struct {
	s                     *Server
	svc, rs               []*prometheus.Desc // parallel to statMetrics
	quorumUp, refused     *prometheus.Desc
	weight, up, inTable   *prometheus.Desc
	persistent, templates *prometheus.Desc
}

// Collector exports, per virtual service (labels protocol, service) and
// real server (plus server), the ipvsadm counters, connection gauges and
// rate estimates as shardcat_lvs_service_* and shardcat_lvs_real_server_*,
// with the real servers' weight and up, the service's quorum_up and
// refused_connections_total (max conns). The rates are as of the last
// estimator tick (RunEstimator).
func (s *Server) Collector() prometheus.Collector {
	svcLabels := []string{"protocol", "service"}
	rsLabels := []string{"protocol", "service", "server"}
	c := &collector{s: s}
	for _, m := range statMetrics {
		c.svc = append(c.svc, prometheus.NewDesc(metricPrefix+"service_"+m.name, m.help, svcLabels, nil))
		c.rs = append(c.rs, prometheus.NewDesc(metricPrefix+"real_server_"+m.name, m.help, rsLabels, nil))
	}
	c.quorumUp = prometheus.NewDesc(metricPrefix+"service_quorum_up", "1 while the service has its quorum (keepalived quorum/hysteresis).", svcLabels, nil)
	c.refused = prometheus.NewDesc(metricPrefix+"service_refused_connections_total", "Client connections closed at once because the service was at its connection limit.", svcLabels, nil)
	c.templates = prometheus.NewDesc(metricPrefix+"service_persistence_templates", "Persistence templates.", svcLabels, nil)
	c.weight = prometheus.NewDesc(metricPrefix+"real_server_weight", "Weight in the table (0 when down and inhibited, quiesced, or an inhibited sorry server).", rsLabels, nil)
	c.up = prometheus.NewDesc(metricPrefix+"real_server_up", "1 when every health checker of the real server is up.", rsLabels, nil)
	c.inTable = prometheus.NewDesc(metricPrefix+"real_server_in_table", "1 when the real server is in the table (takes or may take connections).", rsLabels, nil)
	c.persistent = prometheus.NewDesc(metricPrefix+"real_server_persistent_connections", "Persistence templates pointing at the real server (PersistConn).", rsLabels, nil)
	return c
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for i := range c.svc {
		ch <- c.svc[i]
		ch <- c.rs[i]
	}
	for _, d := range []*prometheus.Desc{c.quorumUp, c.refused, c.templates, c.weight, c.up, c.inTable, c.persistent} {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, src := range s.sources {
		snap := src.Snapshot()
		svc := snap.Addr.String()
		rates := s.est[i].Rates()
		for j, m := range statMetrics {
			ch <- prometheus.MustNewConstMetric(c.svc[j], m.kind, m.value(snap.Stats, rates), "TCP", svc)
		}
		ch <- prometheus.MustNewConstMetric(c.quorumUp, prometheus.GaugeValue, b2f(snap.QuorumUp), "TCP", svc)
		ch <- prometheus.MustNewConstMetric(c.refused, prometheus.CounterValue, float64(snap.Refused), "TCP", svc)
		ch <- prometheus.MustNewConstMetric(c.templates, prometheus.GaugeValue, float64(snap.Templates), "TCP", svc)
		for _, rs := range snap.RealServers {
			server := rs.Addr.String()
			var r estimator.Rates
			if e := s.dests[i][rs.Addr]; e != nil {
				r = e.Rates()
			}
			for j, m := range statMetrics {
				ch <- prometheus.MustNewConstMetric(c.rs[j], m.kind, m.value(rs.Stats, r), "TCP", svc, server)
			}
			ch <- prometheus.MustNewConstMetric(c.weight, prometheus.GaugeValue, float64(rs.TableWeight), "TCP", svc, server)
			ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, b2f(rs.Up), "TCP", svc, server)
			ch <- prometheus.MustNewConstMetric(c.inTable, prometheus.GaugeValue, b2f(rs.InTable), "TCP", svc, server)
			ch <- prometheus.MustNewConstMetric(c.persistent, prometheus.GaugeValue, float64(rs.PersistConn), "TCP", svc, server)
		}
	}
}
