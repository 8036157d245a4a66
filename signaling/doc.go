// Package signaling owns Calla's wire protocol: the typed IDs and enums
// every layer shares, the JSON envelopes, the UserSig, and the client the
// call engine uses. The server lives in signaling/server.
package signaling
