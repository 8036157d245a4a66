package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/calla-rtc/calla/signaling"
)

// raw is a bare websocket client for input the real client never sends.
type raw struct {
	t  *testing.T
	ws *websocket.Conn
}

func (e *env) raw() *raw {
	e.t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(e.url, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = ws.Close() })
	return &raw{t: e.t, ws: ws}
}

func (r *raw) send(s string) {
	r.t.Helper()
	if err := r.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// reply reads until the next reply.
func (r *raw) reply() (signaling.Message, error) {
	r.t.Helper()
	_ = r.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := r.ws.ReadMessage()
		if err != nil {
			return signaling.Message{}, err
		}
		var m signaling.Message
		if err := json.Unmarshal(data, &m); err != nil {
			r.t.Fatalf("server sent bad JSON %q", data)
		}
		if m.Type == signaling.MsgReply {
			return m, nil
		}
	}
}

func (r *raw) login(u signaling.UserID, s string) {
	r.t.Helper()
	r.send(fmt.Sprintf(`{"v":1,"id":1,"type":"login","data":{"userId":%q,"userSig":%q}}`, u, s))
	m, err := r.reply()
	if err != nil || m.Error != nil {
		r.t.Fatalf("login: %v %v", err, m.Error)
	}
}

// wantErr checks that err is a *signaling.Error with code and a message
// containing sub.
func wantErr(t *testing.T, err error, code signaling.Code, sub string) {
	t.Helper()
	var se *signaling.Error
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want error code %d", err, code)
	}
	if se.Code != code || !strings.Contains(se.Message, sub) {
		t.Fatalf("got code %d %q, want code %d with %q", se.Code, se.Message, code, sub)
	}
}

func (r *raw) expect(code signaling.Code, sub string) {
	r.t.Helper()
	m, err := r.reply()
	if err != nil {
		r.t.Fatalf("no reply: %v", err)
	}
	if m.Error == nil {
		r.t.Fatalf("request succeeded, want code %d", code)
	}
	wantErr(r.t, m.Error, code, sub)
}

func TestHostileInput(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.MaxMessageBytes = 4096
		c.MessageRate = 20
		c.MessageBurst = 40
		c.InviteTimeout = 30 * time.Second
	})
	// A bystander call that must stay undisturbed throughout.
	alice, bob := e.login("alice"), e.login("bob")
	mallory, trent := e.login("mallory"), e.login("trent")
	for i := 1; i <= 9; i++ {
		u(e, signaling.UserID(fmt.Sprintf("u%d", i)))
	}
	u(e, "eve2")
	ctx, cancel := bg()
	defer cancel()
	by, err := alice.Call(ctx, signaling.CallRequest{CalleeIDList: users("bob"), CallMediaType: signaling.Video})
	if err != nil {
		t.Fatal(err)
	}
	bob.waitFor(signaling.EvCallReceived)
	if _, err := bob.Accept(ctx, by.CallID); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(signaling.EvUserJoin)
	alice.sync()
	bob.sync()
	aliceBefore, bobBefore := alice.callEvents(true), bob.callEvents(true)

	// Mallory's own connected call with trent, for relay cases.
	own, err := mallory.Call(ctx, signaling.CallRequest{CalleeIDList: users("trent"), CallMediaType: signaling.Audio})
	if err != nil {
		t.Fatal(err)
	}
	trent.waitFor(signaling.EvCallReceived)
	if _, err := trent.Accept(ctx, own.CallID); err != nil {
		t.Fatal(err)
	}

	otherSecret := []byte("ffffffffffffffffffffffffffffffff")
	forged, _ := signaling.GenUserSig(otherSecret, testAppID, "mallory", time.Hour, time.Now())
	wrongApp, _ := signaling.GenUserSig(testSecret, testAppID+1, "mallory", time.Hour, time.Now())
	expired, _ := signaling.GenUserSig(testSecret, testAppID, "mallory", time.Second, time.Now().Add(-time.Hour))
	bobs := sig(t, "bob", time.Hour)

	rawCases := []struct {
		name  string
		login bool // log in as "eve" first
		send  string
		code  signaling.Code
		sub   string
	}{
		{"invalid JSON", false, `{"v":1,`, signaling.CodeInvalidParam, "not valid JSON"},
		{"not JSON at all", false, "\x00\x01binary", signaling.CodeInvalidParam, "not valid JSON"},
		{"an envelope field of the wrong type", false, `{"v":1,"id":"seven","type":"login"}`, signaling.CodeInvalidParam, `envelope field "id"`},
		{"another protocol version", false, `{"v":2,"id":1,"type":"login","data":{}}`, signaling.CodeInvalidParam, "protocol version 2"},
		{"no version", false, `{"id":1,"type":"login","data":{}}`, signaling.CodeInvalidParam, "protocol version 0"},
		{"no id", false, `{"v":1,"type":"login","data":{}}`, signaling.CodeInvalidParam, `no "id"`},
		{"an unknown message type", false, `{"v":1,"id":1,"type":"launchMissiles"}`, signaling.CodeInvalidParam, `unknown request type "launchMissiles"`},
		{"a request before login", false, `{"v":1,"id":1,"type":"call","data":{"calleeIdList":["bob"]}}`, signaling.CodeNotLoggedIn, "send login"},
		{"a message larger than the limit", false, `{"v":1,"id":1,"type":"login","data":{"userSig":"` + strings.Repeat("x", 5000) + `"}}`, signaling.CodeInvalidParam, "larger than the limit of 4096 bytes"},
		{"login without data", false, `{"v":1,"id":1,"type":"login"}`, signaling.CodeInvalidParam, "needs a \"data\" object"},
		{"login data that is not an object", false, `{"v":1,"id":1,"type":"login","data":[1,2]}`, signaling.CodeInvalidParam, "must be a JSON object"},
		{"login with a missing UserSig", false, `{"v":1,"id":1,"type":"login","data":{"userId":"mallory"}}`, signaling.CodeUserSigInvalid, "malformed: empty"},
		{"login with a malformed UserSig", false, `{"v":1,"id":1,"type":"login","data":{"userId":"mallory","userSig":"!!!notbase64"}}`, signaling.CodeUserSigInvalid, "malformed"},
		{"login with a forged UserSig", false, `{"v":1,"id":1,"type":"login","data":{"userId":"mallory","userSig":"` + forged + `"}}`, signaling.CodeUserSigInvalid, "signature does not match"},
		{"login with another user's UserSig", false, `{"v":1,"id":1,"type":"login","data":{"userId":"mallory","userSig":"` + bobs + `"}}`, signaling.CodeUserSigInvalid, "another user"},
		{"login with another app's UserSig", false, `{"v":1,"id":1,"type":"login","data":{"userId":"mallory","userSig":"` + wrongApp + `"}}`, signaling.CodeUserSigInvalid, "another app"},
		{"login with an expired (old) UserSig", false, `{"v":1,"id":1,"type":"login","data":{"userId":"mallory","userSig":"` + expired + `"}}`, signaling.CodeUserSigExpired, "expired"},
		{"login with an invalid user id", false, `{"v":1,"id":1,"type":"login","data":{"userId":"a b","userSig":"x"}}`, signaling.CodeInvalidParam, `user id "a b" must be`},
		{"resume of an unknown session", false, `{"v":1,"id":1,"type":"resume","data":{"userId":"alice","token":"guess","lastSeq":0}}`, signaling.CodeNotLoggedIn, "no session"},
		{"a second login on one connection", true, `{"v":1,"id":2,"type":"login","data":{"userId":"eve","userSig":"x"}}`, signaling.CodeRequestRepeated, "already logged in"},
		{"a data field of the wrong type", true, `{"v":1,"id":2,"type":"call","data":{"calleeIdList":"bob"}}`, signaling.CodeInvalidParam, `field "calleeIdList"`},
		{"a relay with a forged sender", true, `{"v":1,"id":2,"type":"relay","data":{"callId":"` + string(by.CallID) + `","to":"bob","from":"alice","payload":{}}}`, signaling.CodeInvalidParam, `from "alice" is not you`},
	}
	for _, tc := range rawCases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.raw()
			r.t = t
			if tc.login {
				r.login("eve", sig(t, "eve", time.Hour))
			}
			r.send(tc.send)
			r.expect(tc.code, tc.sub)
		})
	}

	t.Run("a message far larger than the limit closes the connection", func(t *testing.T) {
		r := e.raw()
		r.t = t
		// The write itself may fail once the server has had enough.
		_ = r.ws.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"id":1,"type":"login","data":{"userSig":"`+strings.Repeat("x", 40000)+`"}}`))
		// The first frames may be refused as too large before the whole
		// message passes the hard limit.
		var err error
		for err == nil {
			_, err = r.reply()
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != websocket.CloseMessageTooBig {
			t.Fatalf("got %v, want close 1009 (message too big)", err)
		}
	})

	callCases := []struct {
		name string
		do   func() error
		code signaling.Code
		sub  string
	}{
		{"calling oneself", func() error {
			_, err := mallory.Call(ctx, signaling.CallRequest{CalleeIDList: users("mallory")})
			return err
		}, signaling.CodeInvalidParam, "cannot call yourself"},
		{"calling an unknown user", func() error {
			_, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("nobody")})
			return err
		}, signaling.CodeInvalidParam, `"nobody" is unknown`},
		{"calling with an invalid media type", func() error {
			_, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("u2"), CallMediaType: 7})
			return err
		}, signaling.CodeInvalidParam, "callMediaType 7"},
		{"calling with a negative timeout", func() error {
			_, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("u2"), Timeout: -5})
			return err
		}, signaling.CodeInvalidParam, "timeout -5"},
		{"calling the same user twice in one list", func() error {
			_, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("u2", "u2")})
			return err
		}, signaling.CodeInvalidParam, "listed twice"},
		{"userData over the limit", func() error {
			_, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("u2"), UserData: strings.Repeat("d", 2000)})
			return err
		}, signaling.CodeInvalidParam, "userData"},
		{"a 10th group member", func() error {
			_, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "trent"), GroupID: "big"})
			return err
		}, signaling.CodeInvalidParam, "at most 9 members"},
		{"calling while in a call", func() error {
			_, err := mallory.Call(ctx, signaling.CallRequest{CalleeIDList: users("u1")})
			return err
		}, signaling.CodeRequestRefused, "already in call"},
		{"accepting someone else's call", func() error {
			_, err := mallory.Accept(ctx, by.CallID)
			return err
		}, signaling.CodeInvalidParam, "not a member"},
		{"hanging up someone else's call", func() error { return mallory.Hangup(ctx, by.CallID) }, signaling.CodeInvalidParam, "not a member"},
		{"rejecting someone else's call", func() error { return u(e, "u1").Reject(ctx, by.CallID) }, signaling.CodeInvalidParam, "not a member"},
		{"relaying into someone else's call", func() error {
			return mallory.Relay(ctx, by.CallID, "bob", json.RawMessage(`{"sdp":"evil"}`))
		}, signaling.CodeInvalidParam, "not a member"},
		{"relaying to a non-member of one's own call", func() error {
			return mallory.Relay(ctx, own.CallID, "bob", json.RawMessage(`{"sdp":"evil"}`))
		}, signaling.CodeInvalidParam, `"bob" is not in the room`},
		{"relaying without a payload", func() error { return mallory.Relay(ctx, own.CallID, "trent", nil) }, signaling.CodeInvalidParam, "needs a payload"},
		{"media state into someone else's call", func() error { return mallory.MediaState(ctx, by.CallID, false, false) }, signaling.CodeInvalidParam, "not a member"},
		{"switching someone else's call", func() error { return mallory.SwitchMediaType(ctx, by.CallID, signaling.Audio) }, signaling.CodeInvalidParam, "not a member"},
		{"accepting a call that does not exist", func() error {
			_, err := mallory.Accept(ctx, "c-nope")
			return err
		}, signaling.CodeRequestRefused, "never existed"},
		{"accepting one's own connected call again", func() error {
			_, err := trent.Accept(ctx, own.CallID)
			return err
		}, signaling.CodeRequestRepeated, "already in call"},
		{"inviting into a 1v1 call", func() error {
			_, err := mallory.Invite(ctx, own.CallID, users("u1"), 0)
			return err
		}, signaling.CodeSceneNotSupported, "group calls"},
		{"joining a 1v1 call", func() error {
			_, err := u(e, "u1").Join(ctx, signaling.JoinRequest{CallID: by.CallID})
			return err
		}, signaling.CodeSceneNotSupported, "only group calls"},
		{"joining a group with no call", func() error {
			_, err := u(e, "u1").Join(ctx, signaling.JoinRequest{GroupID: "empty"})
			return err
		}, signaling.CodeRequestRefused, "no running call"},
		{"switching to the media type the call has", func() error {
			return mallory.SwitchMediaType(ctx, own.CallID, signaling.Audio)
		}, signaling.CodeRequestRepeated, "already audio"},
		{"a nickname over 500 bytes", func() error {
			return mallory.SetProfile(ctx, strings.Repeat("n", 501), "")
		}, signaling.CodeInvalidParam, "at most 500 bytes"},
	}
	for _, tc := range callCases {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.do(), tc.code, tc.sub) })
	}

	t.Run("a 10th member joining a full group call", func(t *testing.T) {
		id, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"), GroupID: "full"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = u(e, "eve2").Join(ctx, signaling.JoinRequest{CallID: id.CallID})
		wantErr(t, err, signaling.CodeInvalidParam, "is full")
		if err := u(e, "u1").Hangup(ctx, id.CallID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a flood past the rate limit", func(t *testing.T) {
		r := e.raw()
		r.t = t
		r.login("flooder", sig(t, "flooder", time.Hour))
		for i := 0; i < 200; i++ {
			if err := r.ws.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`{"v":1,"id":%d,"type":"directory"}`, i+2))); err != nil {
				break // the server closed us: fine, checked below
			}
		}
		limited, closed := 0, false
		for {
			m, err := r.reply()
			if err != nil {
				var ce *websocket.CloseError
				closed = errors.As(err, &ce) && ce.Code == websocket.ClosePolicyViolation
				break
			}
			if m.Error != nil && m.Error.Code == signaling.CodeRateLimited {
				limited++
			}
		}
		if limited == 0 || !closed {
			t.Fatalf("rate-limited replies %d, closed with policy violation %v", limited, closed)
		}
	})

	// The bystanders saw nothing of all this, and their call still works.
	alice.sync()
	bob.sync()
	if got := alice.callEvents(true); strings.Join(got, "|") != strings.Join(aliceBefore, "|") {
		t.Errorf("bystander alice saw more: %v", got[len(aliceBefore):])
	}
	if got := bob.callEvents(true); strings.Join(got, "|") != strings.Join(bobBefore, "|") {
		t.Errorf("bystander bob saw more: %v", got[len(bobBefore):])
	}
	if err := alice.Relay(ctx, by.CallID, "bob", json.RawMessage(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	bob.waitFor(signaling.EvRelay)
	if err := bob.Hangup(ctx, by.CallID); err != nil {
		t.Fatal(err)
	}
	alice.waitFor(signaling.EvCallEnd)
}

// u returns a logged-in client for id, logging in on first use.
var hostileUsers = map[*env]map[signaling.UserID]*tclient{}

func u(e *env, id signaling.UserID) *tclient {
	m := hostileUsers[e]
	if m == nil {
		m = map[signaling.UserID]*tclient{}
		hostileUsers[e] = m
		e.t.Cleanup(func() { delete(hostileUsers, e) })
	}
	if c := m[id]; c != nil {
		return c
	}
	c := e.login(id)
	m[id] = c
	return c
}
