package server

import (
	"testing"

	"github.com/calla-rtc/calla/signaling"
)

func TestSmoke1v1(t *testing.T) {
	e := newEnv(t, nil)
	a, b := e.login("alice"), e.login("bob")
	ctx, cancel := bg()
	defer cancel()
	rep, err := a.Call(ctx, signaling.CallRequest{CalleeIDList: []signaling.UserID{"bob"}, CallMediaType: signaling.Video})
	if err != nil {
		t.Fatal(err)
	}
	b.waitFor(signaling.EvCallReceived)
	if _, err := b.Accept(ctx, rep.CallID); err != nil {
		t.Fatal(err)
	}
	a.waitFor(signaling.EvCallBegin)
	if err := a.Hangup(ctx, rep.CallID); err != nil {
		t.Fatal(err)
	}
	b.waitFor(signaling.EvCallEnd)
	a.sync()
	b.sync()
	t.Log(a.callEvents(false))
	t.Log(b.callEvents(false))
}
