package director

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/shardcat/shardcat/internal/vrrp"
)

var (
	descState = prometheus.NewDesc("shardcat_vrrp_state",
		"VRRP instance state: 0 init, 1 backup, 2 master, 3 fault.", []string{"instance"}, nil)
	descPriority = prometheus.NewDesc("shardcat_vrrp_priority",
		"Effective VRRP priority (base priority plus tracking weights).", []string{"instance"}, nil)
	descBasePriority = prometheus.NewDesc("shardcat_vrrp_base_priority",
		"Configured VRRP priority.", []string{"instance"}, nil)
	descSent = prometheus.NewDesc("shardcat_vrrp_adverts_sent_total",
		"VRRP adverts sent.", []string{"instance"}, nil)
	descReceived = prometheus.NewDesc("shardcat_vrrp_adverts_received_total",
		"VRRP adverts received and accepted.", []string{"instance"}, nil)
	descDrops = prometheus.NewDesc("shardcat_vrrp_drops_total",
		"VRRP packets dropped, by reason.", []string{"instance", "reason"}, nil)
	descTransitions = prometheus.NewDesc("shardcat_vrrp_transitions_total",
		"VRRP state transitions, by target state.", []string{"instance", "to"}, nil)
)

// Collector returns a Prometheus collector of the VRRP instances. Values
// are read at scrape time; counters restart when a reload restarts an
// instance.
func (d *Director) Collector() prometheus.Collector { return collector{d} }

type collector struct{ d *Director }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{descState, descPriority, descBasePriority, descSent, descReceived, descDrops, descTransitions} {
		ch <- desc
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.d.status(false) {
		ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, float64(s.stateNum), s.Name)
		ch <- prometheus.MustNewConstMetric(descPriority, prometheus.GaugeValue, float64(s.Priority), s.Name)
		ch <- prometheus.MustNewConstMetric(descBasePriority, prometheus.GaugeValue, float64(s.BasePriority), s.Name)
		ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(s.AdvertsSent), s.Name)
		ch <- prometheus.MustNewConstMetric(descReceived, prometheus.CounterValue, float64(s.AdvertsReceived), s.Name)
		for r := vrrp.DropReason(1); r < vrrp.NumDropReasons; r++ {
			ch <- prometheus.MustNewConstMetric(descDrops, prometheus.CounterValue, float64(s.dropsByReasonEnum[r]), s.Name, r.String())
		}
		for _, to := range []vrrp.State{vrrp.Init, vrrp.Backup, vrrp.Master, vrrp.Fault} {
			ch <- prometheus.MustNewConstMetric(descTransitions, prometheus.CounterValue, float64(s.TransitionsByTo[to.String()]), s.Name, to.String())
		}
	}
}
