// Package server is Calla's signaling server: it authenticates users by
// UserSig, keeps the user directory, the server-side groups, sessions,
// running calls and each session's recent events (persisted with bbolt,
// or in a NATS cluster) and presence, runs the authoritative call state machine of
// TUICallKit's semantics (1v1 and group calls, busy, timeouts, invite and
// join, who may join, media switch, reconnect with session resume), and
// relays WebRTC offers, answers, ICE candidates and media-state notices
// between members of the same call.
//
// Each session gets its ICE servers at login and resume: the configured
// ones, and a TURN relay's URLs (Config.TURN: the built-in relay of
// package turn, or a coturn sharing its secret) with a credential of the
// session's user in the TURN REST scheme, valid until the session's
// UserSig expires (or for TURN.TTL).
//
// Embed it with New and Handler (serving /ws, /healthz and /metrics) or
// HTTPServer (the same, with limits on HTTP connections), stop it with
// Shutdown; NewLocal is the app's in-process local mode.
//
// State that outlives the process (persist.go, outbox.go): the machine
// notes which records (users, groups, sessions, calls, events) each input
// changed; the hub commits them atomically through the store, and holds
// what the input made the machine send until that commit is durable. A
// restarted server rebuilds sessions (detached, with their grace) and
// calls (with their deadlines) from what was stored, so clients resume
// and calls go on. A session connected in a call waits Config.CallGrace
// (the clients' media restore window) instead of Config.Grace.
//
// Cluster (cluster.go, and package cluster for the NATS side): with
// Config.Cluster the server is one node; the node that leads runs the same
// machine on the state loaded from the cluster and commits to its journal;
// the others forward their connections' inputs to it and deliver what it
// sends back. docs/cluster.md has the design and its failure modes.
//
// Files: the data dir holds the secret (signaling.secret, unless the
// operator gives one) and the state (directory.db). Both are created
// atomically (a temporary file, synced, then renamed or linked into place,
// and the directory synced), so running out of space never leaves half a
// file. Before bbolt maps directory.db into memory, its meta pages, length,
// root page and freelist are checked with plain reads; then every page is
// read (with memory faults turned into panics and recovered) and bbolt's
// consistency check run. A damaged file is refused with a
// *DamagedStoreError that says what to do (local mode moves it aside
// instead); a file whose creation was cut short held nothing and is made
// anew. A directory write that fails is kept and retried (50 ms doubling to
// 2 s) until it works; meanwhile /healthz answers 503 and /metrics counts
// the failures. CheckDataDir verifies a data dir without changing it.
//
// Concurrency: one hub goroutine owns all state - sessions, calls, the
// directory, timers, the set of connections - through the machine type,
// so the state machine needs no lock. Each websocket has a read pump
// goroutine that decodes and rate-limits requests and posts them to the
// hub. A connection's login deadline is a timer of the machine, not a read
// deadline: only the hub decides that a connection logged in in time. Writes have no standing goroutine: the hub queues messages on a
// connection (under the connection's mutex) and, if no flusher runs,
// starts one that writes until the queue is empty and ends; the hub's one
// ping ticker queues pings the same way. A connection that falls
// Config.SendQueue messages behind is cut off (gorilla's chat hub does the same)
// and may resume its session, which replays what it missed. Store
// commits go to one store goroutine through a coalescing map, so disk (or
// NATS) speed never blocks the hub; only the sending of what depends on a
// commit waits for it. On a cluster node, NATS's goroutines post what
// arrives to the hub, and one campaign goroutine waits to lead, loads the
// state and hands it to the hub. Shutdown stops every goroutine the server
// started: it waits for the read pumps, each of which waits for its
// connection's final write and close.
package server
