package turn

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the relay's Prometheus metrics. They belong to no registry:
// the signaling server registers them beside its own (Collectors), so
// /metrics shows both.
type Metrics struct {
	allocations      *prometheus.GaugeVec
	allocationsTotal *prometheus.CounterVec
	relayed          *prometheus.CounterVec
	authFailures     prometheus.Counter
	quotaRefusals    prometheus.Counter
	toPeers          prometheus.Counter
	fromPeers        prometheus.Counter
}

func newMetrics() *Metrics {
	m := &Metrics{
		allocations: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "calla_turn_allocations", Help: "Live TURN allocations, by the transport clients reach the relay over (udp, tcp)."}, []string{"transport"}),
		allocationsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calla_turn_allocations_total", Help: "TURN allocations made, by the transport clients reach the relay over."}, []string{"transport"}),
		relayed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calla_turn_relayed_bytes_total", Help: "Payload bytes relayed, by direction: to_peer (a client's data sent on from its relay address) and from_peer (data arriving at a relay address for its client)."}, []string{"direction"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "calla_turn_auth_failures_total", Help: "TURN requests refused for a malformed or expired username."}),
		quotaRefusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "calla_turn_quota_refusals_total", Help: "TURN allocations refused because the user held its quota."}),
	}
	m.toPeers = m.relayed.WithLabelValues("to_peer")
	m.fromPeers = m.relayed.WithLabelValues("from_peer")
	return m
}

// Collectors are every metric, for a registry.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.allocations, m.allocationsTotal, m.relayed, m.authFailures, m.quotaRefusals}
}

func (m *Metrics) allocated(transport string) {
	m.allocations.WithLabelValues(transport).Inc()
	m.allocationsTotal.WithLabelValues(transport).Inc()
}

func (m *Metrics) released(transport string) { m.allocations.WithLabelValues(transport).Dec() }
