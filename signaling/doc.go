// Package signaling owns Calla's wire protocol: the typed IDs and enums
// every layer shares, the versioned JSON envelopes (Request from client to
// server, Message from server to client, documented in docs/protocol.md),
// the typed events, the one schema of a relay's payload (RelayPayload:
// the WebRTC signals members send each other, checked by DecodeRequest), the UserSig (GenUserSig, VerifyUserSig: Tencent's
// TLS-sig v2 shape), and the Client the call engine uses. The server lives
// in signaling/server, the load bench in signaling/bench.
//
// Concurrency: the protocol types and UserSig functions are plain values
// and functions. A Client runs a supervisor goroutine that owns the
// connection's life (dial, login, reconnect with back-off and jitter,
// resume), a read pump and a write pump per websocket, and the goroutine
// of the unbounded queue behind Events (internal/unbounded), so a slow
// consumer never stalls the read pump (the queue grows instead). When
// the client stops for good the queue is closed: the consumer gets every
// event, then Events closes; Close discards what was not read. Request
// methods may be called from any goroutine; each waits for its own reply.
// Close stops every goroutine the Client started.
package signaling
