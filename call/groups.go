package call

import (
	"context"

	"github.com/calla-rtc/calla/signaling"
)

// Groups lists the server-side groups the user is a member of (see
// docs/protocol.md, "Groups and who may join a call"): their members may
// join the group's running call with JoinInGroupCall.
func (e *Engine) Groups(ctx context.Context) ([]signaling.GroupInfo, error) {
	var rep signaling.GroupsReply // written on the loop before done
	err := e.do(ctx, "list your groups", func(done func(error)) {
		e.send(signaling.ReqGroups, nil, func(r *signaling.Reply) {
			err := r.Err
			if err == nil {
				err = r.Decode(&rep)
			}
			done(err)
		})
	})
	if err != nil {
		return nil, err
	}
	return rep.Groups, nil
}
