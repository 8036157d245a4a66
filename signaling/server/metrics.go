package server

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/cluster"
)

// metrics are the server's Prometheus metrics, in a registry of its own
// so that several servers (tests) can live in one process. Methods are
// safe on a nil *metrics.
type metrics struct {
	reg       *prometheus.Registry
	users     prometheus.Gauge
	calls     *prometheus.GaugeVec
	messages  *prometheus.CounterVec
	errors    *prometheus.CounterVec
	conns     prometheus.Gauge
	latency   *prometheus.HistogramVec
	msgsIn    prometheus.Counter
	msgsOut   prometheus.Counter
	ringing   prometheus.Gauge
	connected prometheus.Gauge
	// The directory's writes: failed attempts, and entries not on disk yet.
	storeFailures prometheus.Counter
	storeWaiting  prometheus.Gauge
	// A cluster node's: how many times it took the lead, whether it
	// leads now.
	takeovers prometheus.Counter
	leader    prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		users: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "calla_connected_users", Help: "Logged-in sessions with a live connection."}),
		calls: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "calla_calls", Help: "Calls by state: ringing (nobody answered yet) or connected."}, []string{"state"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calla_messages_total", Help: "Websocket messages, by direction (in, out); rate() gives messages per second."}, []string{"direction"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "calla_errors_total", Help: "Refused requests by TUICallKit error code."}, []string{"code"}),
		conns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "calla_connections", Help: "Open websocket connections, logged in or not."}),
		storeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "calla_directory_write_failures_total", Help: "Failed attempts to write the server's records (directory, groups, sessions, calls, events) to disk; each is retried until it works."}),
		storeWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "calla_directory_unsaved_entries", Help: "Records waiting to be written to disk after a failed write."}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "calla_cluster_takeovers_total", Help: "Times this node took the cluster's lead (the first lead of a cluster counts too)."}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "calla_cluster_leader", Help: "1 while this node leads the cluster (runs the call state machine), else 0."}),
	}
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "calla_request_duration_seconds",
		Help:    "From a request's arrival (read pump) until the hub has handled it and queued its reply and events: the server's share of a request's latency.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}, []string{"type"})
	m.msgsIn = m.messages.WithLabelValues("in")
	m.msgsOut = m.messages.WithLabelValues("out")
	m.ringing = m.calls.WithLabelValues("ringing")
	m.connected = m.calls.WithLabelValues("connected")
	m.reg.MustRegister(m.users, m.calls, m.messages, m.errors, m.conns, m.latency, m.storeFailures, m.storeWaiting, m.takeovers, m.leader,
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	return m
}

func (m *metrics) sessionAttached(d int) {
	if m != nil {
		m.users.Add(float64(d))
	}
}

func (m *metrics) callStarted() {
	if m != nil {
		m.ringing.Inc()
	}
}

func (m *metrics) callConnected() {
	if m != nil {
		m.ringing.Dec()
		m.connected.Inc()
	}
}

func (m *metrics) callEnded(begun bool) {
	if m == nil {
		return
	}
	if begun {
		m.connected.Dec()
	} else {
		m.ringing.Dec()
	}
}

func (m *metrics) refused(c signaling.Code) {
	if m != nil {
		m.errors.WithLabelValues(strconv.Itoa(int(c))).Inc()
	}
}

func (m *metrics) handled(t signaling.RequestType, d time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(string(t)).Observe(d.Seconds())
	}
}

func (m *metrics) storeWriteFailed(unsaved int) {
	if m != nil {
		m.storeFailures.Inc()
		m.storeWaiting.Set(float64(unsaved))
	}
}

func (m *metrics) storeUnsaved(n int) {
	if m != nil {
		m.storeWaiting.Set(float64(n))
	}
}

// clusterNode exports a cluster node's cross-node message counts.
func (m *metrics) clusterNode(n *cluster.Node) {
	for _, dir := range []string{"sent", "received"} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "calla_cluster_messages_total",
			Help:        "Messages between this node and the others: inputs forwarded to the leader and what the leader sends the nodes' connections (heartbeats not counted).",
			ConstLabels: prometheus.Labels{"direction": dir},
		}, func() float64 {
			sent, received := n.Messages()
			if dir == "sent" {
				return float64(sent)
			}
			return float64(received)
		}))
	}
}

func (m *metrics) tookOver() {
	if m != nil {
		m.takeovers.Inc()
		m.leader.Set(1)
	}
}

// leading(false): this node's machine is gone, and with it the calls and
// sessions it counted.
func (m *metrics) leading(on bool) {
	if m == nil {
		return
	}
	if on {
		m.leader.Set(1)
		return
	}
	m.leader.Set(0)
	m.ringing.Set(0)
	m.connected.Set(0)
	m.users.Set(0)
}
