package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/calla-rtc/calla/internal/benchreport"
)

// Targets are DESIGN §5's for the signaling server.
const (
	TargetClients      = 10000
	TargetSetupRate    = 1000
	TargetP99          = 50 * time.Millisecond
	TargetBytesPerIdle = 30 << 10
)

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// Markdown renders a result as the report's "Signaling" section.
func Markdown(r Result, o Options, command, serverMode string, at time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Signaling\n\n")
	fmt.Fprintf(&b, "Measured by `%s` on %s, %s.\n", command, at.UTC().Format("2006-01-02 15:04 MST"), benchreport.Machine())
	fmt.Fprintf(&b, "Server: %s. Clients: real `signaling.Client`s in the bench process, over loopback websockets.", serverMode)
	if r.LoadAvg != "" {
		fmt.Fprintf(&b, " Load average when the run started: %s (other work shares the 2 cores).", r.LoadAvg)
	}
	fmt.Fprintf(&b, "\n\n")
	fmt.Fprintf(&b, "| Figure | Value | Target | |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| clients connected (logged in) | %d (in %v) | %d | %s |\n", r.Clients, r.LoginTime.Round(time.Millisecond), TargetClients, verdict(r.Clients >= TargetClients))
	fmt.Fprintf(&b, "| call setups per second (completed / run time) | %.0f (%d of %d started, %d failed, target rate %d/s over %v) | %d | %s |\n",
		r.SetupsPerSecond, r.Completed, r.Started, r.Failed, o.Rate, o.Duration, TargetSetupRate, verdict(r.SetupsPerSecond >= TargetSetupRate*0.98))
	fmt.Fprintf(&b, "| setup latency, invite sent -> onCallBegin on both sides (p50 / p90 / p99 / max) | %s / %s / %s / %s | p99 <= %v | %s |\n",
		ms(r.Setup.P50), ms(r.Setup.P90), ms(r.Setup.P99), ms(r.Setup.Max), TargetP99, verdict(r.Setup.N > 0 && r.Setup.P99 <= TargetP99))
	fmt.Fprintf(&b, "| invite sent -> onCallReceived (p50 / p99) | %s / %s | p50 <= 5 ms (DESIGN §5) | %s |\n",
		ms(r.InviteReceived.P50), ms(r.InviteReceived.P99), verdict(r.InviteReceived.N > 0 && r.InviteReceived.P50 <= 5*time.Millisecond))
	fmt.Fprintf(&b, "| accept sent -> onCallBegin at the callee (p50 / p99) | %s / %s | | |\n", ms(r.AcceptBegin.P50), ms(r.AcceptBegin.P99))
	fmt.Fprintf(&b, "| server memory per idle connection (RSS delta / clients) | %.1f KiB (RSS %.0f -> %.0f MiB) | <= 30 KiB | %s |\n",
		r.RSSPerConn/1024, r.RSSBefore/(1<<20), r.RSSIdle/(1<<20), verdict(r.RSSPerConn <= TargetBytesPerIdle))
	fmt.Fprintf(&b, "| server Go heap in use per idle connection | %.1f KiB | | |\n", r.HeapPerConn/1024)
	fmt.Fprintf(&b, "| server CPU during the setups | %.2f cores (%.1f s CPU) | | |\n", r.ServerCPUCores, r.ServerCPUSeconds)
	fmt.Fprintf(&b, "| server's own time per request, arrival -> handled (p50 / p99, histogram bucket bounds) | <= %s / <= %s | | |\n", ms(r.ServerP50), ms(r.ServerP99))
	if r.FirstError != "" {
		fmt.Fprintf(&b, "\nFirst failure: `%s`.\n", r.FirstError)
	}
	fmt.Fprintf(&b, "\nEach setup: the caller sends `call`; the callee's client accepts on onCallReceived; the setup is complete when both clients have onCallBegin; then the caller hangs up and the pair is free again (pairs are used round robin). Latencies are wall-clock in the bench process, so they include both clients' queues and the loopback network. Memory per idle connection is the server process's RSS (process_resident_memory_bytes from /metrics) after all logins and a 2 s settle, minus before, over the number of clients; the bench and the server share the 2 cores. The bench process runs with GOGC=1000 so that its own garbage collection stays out of the latencies; the server process runs with `calla serve`'s defaults (GOGC 400, see cli/serve.go).\n")
	return b.String()
}
