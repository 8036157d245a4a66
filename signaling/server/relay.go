package server

import (
	"fmt"

	"github.com/calla-rtc/calla/signaling"
)

// relay handles relay: an opaque payload to another member in the room.
// The server stamps the sender; a different From is refused.
func (m *machine) relay(u signaling.UserID, req *signaling.RelayRequest) (func(), error) {
	if req.From != "" && req.From != u {
		return nil, fmt.Errorf("%w: from %q is not you (%q); leave from out, the server fills it in", ErrInvalidParam, req.From, u)
	}
	if len(req.Payload) == 0 || string(req.Payload) == "null" {
		return nil, fmt.Errorf("%w: relay needs a payload", ErrInvalidParam)
	}
	c, mb, err := m.memberOf(u, req.CallID)
	if err != nil {
		return nil, err
	}
	if mb.state != stInRoom {
		return nil, fmt.Errorf("%w: you can relay only while in the room of call %q (you are %s)", ErrRefused, c.id, mb.state)
	}
	if req.To == u {
		return nil, fmt.Errorf("%w: you cannot relay to yourself", ErrInvalidParam)
	}
	to := c.byUser[req.To]
	if to == nil || to.state != stInRoom {
		return nil, fmt.Errorf("%w: %q is not in the room of call %q", ErrInvalidParam, req.To, c.id)
	}
	return func() {
		m.emit(to.user, signaling.EvRelay, signaling.Relay{CallID: c.id, From: u, Payload: req.Payload})
	}, nil
}
