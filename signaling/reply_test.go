package signaling

import (
	"context"
	"testing"
)

// TestAReplyThatCameJustBeforeTheConnectionEndedCounts: the server
// answers a logout and closes the connection at once, so a caller that
// wakes late finds the reply delivered and the read pump ended. It must
// get the reply, not "connection lost" (TestClientLogout failed so on a
// loaded machine). A select between the two would pick either at random:
// the loop makes that certain to show.
func TestAReplyThatCameJustBeforeTheConnectionEndedCounts(t *testing.T) {
	c := &Client{pending: map[uint64]*pendingReq{}}
	cc := &clientConn{readDone: make(chan struct{})}
	close(cc.readDone)
	for range 100 {
		p := &pendingReq{id: 1, cc: cc, ch: make(chan Message, 1)}
		p.ch <- Message{Type: MsgReply, ID: 1}
		if _, err := c.await(context.Background(), p, ReqLogout); err != nil {
			t.Fatalf("reply delivered before the connection ended: %v", err)
		}
	}
}
