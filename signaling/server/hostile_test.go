package server

import (
	"encoding/binary"
	"encoding/hex"
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

// The findings of issue 11 and their regression tests, each of which
// failed on the code before its fix:
//   - pongs kept an unauthenticated socket alive: TestHostileConnection
//     (pongs, pings) and TestCloseCodesWithNodeWS;
//   - a silent socket, or half a frame, was closed with 1000, not 4005:
//     TestHostileConnection, TestCloseCodesWithNodeWS;
//   - anyone could join any group call, ids were sequential and answers
//     told live calls from dead ones: TestCallPrivacy;
//   - case-insensitive keys: the key rows of TestHostileInput; invalid
//     UTF-8 and binary frames: TestHostileConnection,
//     TestCloseCodesWithNodeWS;
//   - the docs' numbers (64 vs 1024): TestProtocolDocLimits (docs_test.go);
//     the missing flags: cli's TestServeLimitFlags; "directory": null:
//     TestReplyDirectoryIsAnArray;
//   - found in the audit: a ping flood and unlimited messages before login
//     (TestHostileConnection), idle HTTP keep-alive connections
//     (TestHTTPServerLimits in conn_test.go).

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
		{"envelope keys in the wrong case", true, `{"V":1,"ID":5,"TYPE":"directory"}`, signaling.CodeInvalidParam, "case-sensitive"},
		{"a data key in the wrong case", true, `{"v":1,"id":2,"type":"call","data":{"CalleeIdList":["bob"]}}`, signaling.CodeInvalidParam, `"CalleeIdList"`},
		{"a key given twice", true, `{"v":1,"id":2,"type":"setProfile","data":{"nickname":"a","nickname":"b","avatarUrl":""}}`, signaling.CodeInvalidParam, `"nickname" twice`},
		{"a relay with a forged sender", true, `{"v":1,"id":2,"type":"relay","data":{"callId":"` + string(by.CallID) + `","to":"bob","from":"alice","payload":{"signals":[{"kind":"renegotiate"}]}}}`, signaling.CodeInvalidParam, `from "alice" is not you`},
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
		}, signaling.CodeRequestRefused, "is not yours"},
		{"hanging up someone else's call", func() error { return mallory.Hangup(ctx, by.CallID) }, signaling.CodeRequestRefused, "is not yours"},
		{"rejecting someone else's call", func() error { return u(e, "u1").Reject(ctx, by.CallID) }, signaling.CodeRequestRefused, "is not yours"},
		{"relaying into someone else's call", func() error {
			return mallory.Relay(ctx, by.CallID, "bob", json.RawMessage(`{"signals":[{"kind":"renegotiate"}]}`))
		}, signaling.CodeRequestRefused, "is not yours"},
		{"relaying to a non-member of one's own call", func() error {
			return mallory.Relay(ctx, own.CallID, "bob", json.RawMessage(`{"signals":[{"kind":"renegotiate"}]}`))
		}, signaling.CodeInvalidParam, `"bob" is not in the room`},
		{"relaying a payload in another shape", func() error {
			return mallory.Relay(ctx, own.CallID, "trent", json.RawMessage(`{"type":"offer","sdp":"v=0"}`))
		}, signaling.CodeInvalidParam, `unknown fields "sdp", "type"`},
		{"relaying without a payload", func() error { return mallory.Relay(ctx, own.CallID, "trent", nil) }, signaling.CodeInvalidParam, "needs a payload"},
		{"switching someone else's call", func() error { return mallory.SwitchMediaType(ctx, by.CallID, signaling.Audio) }, signaling.CodeRequestRefused, "is not yours"},
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
		{"joining someone else's 1v1 call", func() error {
			_, err := u(e, "u1").Join(ctx, signaling.JoinRequest{CallID: by.CallID})
			return err
		}, signaling.CodeRequestRefused, "is not yours"},
		{"joining a group with no call", func() error {
			_, err := u(e, "u1").Join(ctx, signaling.JoinRequest{GroupID: "empty"})
			return err
		}, signaling.CodeRequestRefused, "no running call that you may join"},
		{"rejoining one's own 1v1 call", func() error {
			_, err := trent.Join(ctx, signaling.JoinRequest{CallID: own.CallID})
			return err
		}, signaling.CodeSceneNotSupported, "only group calls"},
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
		g, err := u(e, "u1").CreateGroup(ctx, signaling.CreateGroupRequest{Name: "full", MemberIDList: users("u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9", "eve2")})
		if err != nil {
			t.Fatal(err)
		}
		id, err := u(e, "u1").Call(ctx, signaling.CallRequest{CalleeIDList: users("u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"), GroupID: g.GroupID})
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
	if err := alice.Relay(ctx, by.CallID, "bob", json.RawMessage(`{"signals":[{"kind":"renegotiate"}]}`)); err != nil {
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

// TestHostileConnection: what a client that never logs in, or speaks
// websocket wrongly, may do, through a client written from RFC 6455 alone
// (rfc6455_test.go). Each case is a finding of issue 11 and failed on the
// code before its fix.
func TestHostileConnection(t *testing.T) {
	const loginTimeout = 500 * time.Millisecond
	e := newEnv(t, func(c *Config) { c.LoginTimeout = loginTimeout })
	login := func(w *wire, u signaling.UserID) {
		t.Helper()
		w.send(opText, fmt.Appendf(nil, `{"v":1,"id":1,"type":"login","data":{"userId":%q,"userSig":%q}}`, u, sig(t, u, time.Hour)))
		op, p, err := w.readFrame(time.Now().Add(5 * time.Second))
		if err != nil || op != opText || !strings.Contains(string(p), `"token"`) {
			t.Fatalf("login: %v %#x %s", err, op, p)
		}
	}
	wantClose := func(t *testing.T, w *wire, code int) {
		t.Helper()
		got, reason, err := w.closeCode(5 * time.Second)
		if err != nil || got != code {
			t.Fatalf("got close %d %q (%v), want %d", got, reason, err, code)
		}
	}

	t.Run("pongs do not extend the login deadline", func(t *testing.T) {
		w := e.dialWire()
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					if w.write(frame(opPong, nil)) != nil {
						return
					}
				}
			}
		}()
		defer func() { close(stop); <-done }()
		wantClose(t, w, 4005)
	})
	t.Run("pings do not extend the login deadline", func(t *testing.T) {
		w := e.dialWire()
		pongs := 0
		deadline := time.Now().Add(5 * time.Second)
		for {
			if w.write(frame(opPing, []byte("hi"))) != nil {
				break
			}
			op, p, err := w.readFrame(deadline)
			if err != nil {
				t.Fatalf("after %d pongs: %v", pongs, err)
			}
			if op == opClose {
				if code := int(binary.BigEndian.Uint16(p)); code != 4005 || pongs == 0 {
					t.Fatalf("close %d after %d pongs, want 4005 after at least one", code, pongs)
				}
				return
			}
			if op != opPong || string(p) != "hi" {
				t.Fatalf("got %#x %q, want the pong RFC 6455 §5.5.3 asks for", op, p)
			}
			pongs++
			time.Sleep(loginTimeout / 10)
		}
		wantClose(t, w, 4005)
	})
	t.Run("a silent socket is closed with 4005", func(t *testing.T) {
		wantClose(t, e.dialWire(), 4005)
	})
	t.Run("half a frame is closed with 4005", func(t *testing.T) {
		w := e.dialWire()
		f := frame(opText, []byte(`{"v":1,"id":1,"type":"login","data":{}}`))
		if err := w.write(f[:len(f)/2]); err != nil {
			t.Fatal(err)
		}
		wantClose(t, w, 4005)
	})
	t.Run("a binary frame is closed with 1003", func(t *testing.T) {
		w := e.dialWire()
		login(w, "binary")
		w.send(opBinary, []byte(`{"v":1,"id":2,"type":"directory"}`))
		wantClose(t, w, 1003)
	})
	t.Run("invalid UTF-8 in a text frame is closed with 1007", func(t *testing.T) {
		w := e.dialWire()
		login(w, "utf8")
		w.send(opText, []byte("{\"v\":1,\"id\":2,\"type\":\"setProfile\",\"data\":{\"nickname\":\"\xc3\x28\",\"avatarUrl\":\"\"}}"))
		wantClose(t, w, 1007)
	})
	t.Run("a connection that does not log in may send only a few messages", func(t *testing.T) {
		e := newEnv(t, nil) // the default login deadline: this case is not about time
		w := e.dialWire()
		for i := 0; i <= maxBeforeLogin; i++ {
			w.send(opText, fmt.Appendf(nil, `{"v":1,"id":%d,"type":"directory"}`, i+1))
		}
		wantClose(t, w, 1008)
	})
	t.Run("a ping flood is rate limited like messages", func(t *testing.T) {
		w := e.dialWire()
		login(w, "pinger")
		for i := 0; i < 3*DefaultMessageBurst; i++ {
			if w.write(frame(opPing, nil)) != nil {
				break // the server closed us: checked below
			}
		}
		wantClose(t, w, 1008)
	})
}

// TestCallPrivacy: an uninvited user can neither join nor probe another
// user's call (issue 11, finding 3).
func TestCallPrivacy(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.InviteTimeout = 30 * time.Second })
	ctx, cancel := bg()
	defer cancel()
	alice, bob, carol, mallory := e.login("alice"), e.login("bob"), e.login("carol"), e.login("mallory")
	rep, err := alice.Call(ctx, signaling.CallRequest{CalleeIDList: users("bob", "carol"), GroupID: "team", CallMediaType: signaling.Audio})
	if err != nil {
		t.Fatal(err)
	}
	id := rep.CallID
	bob.waitFor(signaling.EvCallReceived)
	if _, err := bob.Accept(ctx, id); err != nil {
		t.Fatal(err)
	}
	carol.waitFor(signaling.EvCallReceived)
	if err := carol.Reject(ctx, id); err != nil {
		t.Fatal(err)
	}

	t.Run("call ids carry 128 random bits", func(t *testing.T) {
		second, err := mallory.Call(ctx, signaling.CallRequest{CalleeIDList: users("alice"), CallMediaType: signaling.Audio})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = mallory.Hangup(ctx, second.CallID) }()
		for _, c := range []signaling.CallID{id, second.CallID} {
			b, err := hex.DecodeString(strings.TrimPrefix(string(c), "c"))
			if err != nil || len(b) < 16 {
				t.Fatalf("call id %q is not c and 32 hex digits", c)
			}
		}
		if strings.TrimPrefix(string(id), "c")[:8] == strings.TrimPrefix(string(second.CallID), "c")[:8] {
			t.Fatalf("call ids %q and %q share a prefix", id, second.CallID)
		}
	})

	// Every request that names a call answers an outsider exactly as it
	// answers a call id that does not exist.
	ghost := signaling.CallID("c" + strings.Repeat("0", 32))
	probes := []struct {
		name string
		do   func(signaling.CallID) error
	}{
		{"accept", func(c signaling.CallID) error { _, err := mallory.Accept(ctx, c); return err }},
		{"reject", func(c signaling.CallID) error { return mallory.Reject(ctx, c) }},
		{"ignore", func(c signaling.CallID) error { return mallory.Ignore(ctx, c) }},
		{"fail", func(c signaling.CallID) error { return mallory.Fail(ctx, c, "x") }},
		{"hangup", func(c signaling.CallID) error { return mallory.Hangup(ctx, c) }},
		{"invite", func(c signaling.CallID) error { _, err := mallory.Invite(ctx, c, users("alice"), 0); return err }},
		{"join", func(c signaling.CallID) error {
			_, err := mallory.Join(ctx, signaling.JoinRequest{CallID: c})
			return err
		}},
		{"join with the group", func(c signaling.CallID) error {
			_, err := mallory.Join(ctx, signaling.JoinRequest{CallID: c, GroupID: "team"})
			return err
		}},
		{"switchMediaType", func(c signaling.CallID) error { return mallory.SwitchMediaType(ctx, c, signaling.Video) }},
		{"relay", func(c signaling.CallID) error {
			return mallory.Relay(ctx, c, "bob", json.RawMessage(`{"signals":[{"kind":"mediaState","camera":true,"microphone":true}]}`))
		}},
	}
	for _, p := range probes {
		t.Run("an outsider's "+p.name+" looks like one on a call that does not exist", func(t *testing.T) {
			live, none := p.do(id), p.do(ghost)
			var a, b *signaling.Error
			if !errors.As(live, &a) || !errors.As(none, &b) {
				t.Fatalf("live call: %v; no call: %v", live, none)
			}
			if a.Code != b.Code || strings.ReplaceAll(a.Message, string(id), "ID") != strings.ReplaceAll(b.Message, string(ghost), "ID") {
				t.Fatalf("the answers differ:\n  live call: %d %s\n  no call:   %d %s", a.Code, a.Message, b.Code, b.Message)
			}
		})
	}
	t.Run("an outsider cannot join by group id, and learns nothing", func(t *testing.T) {
		_, live := mallory.Join(ctx, signaling.JoinRequest{GroupID: "team"})
		_, none := mallory.Join(ctx, signaling.JoinRequest{GroupID: "nothing"})
		var a, b *signaling.Error
		if !errors.As(live, &a) || !errors.As(none, &b) || a.Code != b.Code ||
			strings.ReplaceAll(a.Message, "team", "G") != strings.ReplaceAll(b.Message, "nothing", "G") {
			t.Fatalf("live group call: %v; none: %v", live, none)
		}
	})
	t.Run("an outsider cannot start a second call on the group and so learn of the first", func(t *testing.T) {
		rep, err := mallory.Call(ctx, signaling.CallRequest{CalleeIDList: users("carol"), GroupID: "team", CallMediaType: signaling.Audio})
		if err != nil {
			t.Fatalf("mallory's own call labelled team: %v", err)
		}
		if rep.CallID == id {
			t.Fatal("mallory got the running call's id")
		}
		if err := mallory.Hangup(ctx, rep.CallID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an invitee who declined may join", func(t *testing.T) {
		if _, err := carol.Join(ctx, signaling.JoinRequest{GroupID: "team"}); err != nil {
			t.Fatal(err)
		}
		if err := carol.Hangup(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := carol.Join(ctx, signaling.JoinRequest{CallID: id}); err != nil {
			t.Fatalf("a member who left joins again: %v", err)
		}
	})
	// The call went on undisturbed: mallory never got an event of it.
	mallory.sync()
	mallory.mu.Lock()
	defer mallory.mu.Unlock()
	for _, ev := range mallory.evs {
		if b, _ := json.Marshal(ev); strings.Contains(string(b), string(id)) {
			t.Fatalf("mallory saw %s", describe(ev))
		}
	}
}

// TestReplyDirectoryIsAnArray: a login or resume without presence carries
// "directory":[] as docs/protocol.md shows, never null (issue 11, finding 5).
func TestReplyDirectoryIsAnArray(t *testing.T) {
	e := newEnv(t, nil)
	r := e.raw()
	r.send(fmt.Sprintf(`{"v":1,"id":1,"type":"login","data":{"userId":"alice","userSig":%q}}`, sig(t, "alice", time.Hour)))
	m, err := r.reply()
	if err != nil || m.Error != nil {
		t.Fatal(err, m.Error)
	}
	var login struct {
		Token     string
		Directory json.RawMessage
	}
	if err := json.Unmarshal(m.Data, &login); err != nil || string(login.Directory) != "[]" {
		t.Fatalf("login reply %s", m.Data)
	}
	_ = r.ws.Close()
	r = e.raw()
	r.send(fmt.Sprintf(`{"v":1,"id":1,"type":"resume","data":{"userId":"alice","token":%q,"lastSeq":0}}`, login.Token))
	if m, err = r.reply(); err != nil || m.Error != nil || !strings.Contains(string(m.Data), `"directory":[]`) {
		t.Fatalf("resume reply %s %v %v", m.Data, err, m.Error)
	}
}
