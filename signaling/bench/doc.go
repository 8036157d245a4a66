// Package bench measures the signaling server under load: it logs in N
// real signaling.Clients on loopback and runs 1v1 call setups (invite ->
// onCallReceived -> accept -> onCallBegin on both sides, then hang-up) at
// a target rate, and reports clients connected, setups per second,
// latencies and the server's memory per idle connection (read from its
// /metrics). `calla bench signaling` drives it.
//
// Concurrency: Run owns every goroutine it starts - one event loop per
// client, the dialers, the pacer and the setups in flight - and stops and
// waits for all of them before it returns.
package bench
