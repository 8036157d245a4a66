package call

import (
	"context"

	"github.com/calla-rtc/calla/signaling"
)

// Groups lists the server-side groups the user is a member of (see
// docs/protocol.md, "Groups and who may join a call"): their members may
// join the group's running call with JoinInGroupCall.
func (e *Engine) Groups(ctx context.Context) ([]signaling.GroupInfo, error) {
	got := make(chan []signaling.GroupInfo, 1) // sent before done(nil)
	err := e.do(ctx, "list your groups", func(done func(error)) {
		done(e.request(func(ctx context.Context, cl *signaling.Client) error {
			gs, err := cl.Groups(ctx)
			got <- gs
			return err
		}))
	})
	if err != nil {
		return nil, err
	}
	return <-got, nil
}
