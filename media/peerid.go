package media

// PeerID names one remote member of the call. The engine uses the user
// ID; media only needs it to be unique within a session.
type PeerID string
