// Package turn is Calla's TURN relay (pion/turn) and the short-lived
// credentials clients use with it, in the TURN REST scheme that coturn
// calls use-auth-secret: the username is "EXPIRY:USERID" (EXPIRY in Unix
// seconds) and the password is base64(HMAC-SHA1(secret, username)). The
// signaling server hands these out at login and resume (Credential); the
// relay checks them with the same secret, and so does any coturn started
// with use-auth-secret and static-auth-secret set to it, which can stand
// in for the built-in relay.
//
// A Server listens on one address for UDP and TCP (TURN over TCP is for
// networks that block UDP), allocates relay ports from a range, caps the
// allocations each user holds at once, and counts allocations and relayed
// bytes for /metrics (Collector). It never imports call, gui or media.
//
// Concurrency: pion/turn runs one read loop per listener and one per TCP
// connection; the quota table and the counters are safe for them all.
// Close stops the listeners and every allocation.
package turn
