// Package cluster joins signaling servers through NATS with JetStream, so
// that several `calla serve` nodes act as one server. It knows nothing of
// calls: it moves bytes between nodes and keeps the bytes the server
// hands it. The server (signaling/server) decides what they mean.
//
// What it offers a node:
//
//   - Messaging over core NATS subjects: the inputs a node's websockets
//     receive go to the leading node (PREFIX.in), what the leader sends a
//     websocket goes to the node that holds it (PREFIX.out.NODE). Every
//     node heartbeats on PREFIX.hb, so each knows who leads (the highest
//     term heard within the lease) and the leader knows which nodes live.
//   - Leadership: one node at a time leads, holding a lease (a key with a
//     time to live in the PREFIX_nodes bucket, created with
//     compare-and-swap and renewed the same way). Its term is the lease's
//     revision, which only grows. A node that cannot renew in time stops
//     leading before the lease can expire for the others.
//   - State: the leader commits changes (bucket, key, value) to a
//     replicated journal stream (PREFIX_journal), one message per commit
//     (or a few, for a large one), each published with the journal's
//     expected last sequence: a commit is atomic, and once a new leader
//     has written its fencing marker no commit of an old one can land.
//     A materializer copies committed changes into replicated key-value
//     buckets (PREFIX_users, _groups, _sessions, _calls, _events) with
//     compare-and-swap on each key's revision, then purges the journal up
//     to what is copied. A new leader loads the buckets and replays the
//     journal's tail over them.
//
// Everything it needs from JetStream is in nats-server 2.9 (Debian 12's
// package): streams, key-value buckets with a time to live, the expected
// last sequence and expected last subject sequence headers, and purging
// a stream up to a sequence.
//
// Concurrency: a Node has one heartbeat goroutine (it also notices a
// silent leader and dead nodes) and NATS's own goroutines, which call the
// Handler; a Term has a renewal goroutine and a materializer goroutine.
// Close and the end of a Term stop the goroutines they own.
package cluster
