package server

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calla-rtc/calla/signaling"
)

// fakePeer is a connection as the machine sees it, for driving the
// machine without sockets.
type fakePeer struct {
	msgs   [][]byte
	closed bool
}

func (p *fakePeer) enqueue(b []byte) bool {
	if !p.closed {
		p.msgs = append(p.msgs, b)
	}
	return true
}
func (p *fakePeer) shut(int, string) { p.closed = true }
func (p *fakePeer) loggedIn()        {}

// outcome tracks one session's view of one call.
type outcome int

const (
	ocNone    outcome = iota
	ocRinging         // invited, no answer yet
	ocWaiting         // the caller, waiting for the first answer
	ocBegun           // connected
	ocDone            // a terminal outcome arrived
)

// harness drives a machine with a fake clock and checks the invariants
// on every event it emits.
type harness struct {
	t      testing.TB
	m      *machine
	now    time.Time
	users  []signaling.UserID
	sigs   map[signaling.UserID]string
	peers  map[signaling.UserID]*fakePeer
	calls  []signaling.CallID
	views  map[string]map[signaling.CallID]outcome // session token -> call -> outcome
	nextID uint64
	strays []stray // connections that never log in

	// The harness's own model of who may join which call, kept from the
	// requests that succeeded, not from the machine's state: the users
	// each call was started with or invited, or that joined it; the calls
	// started on server-side group g; g's members (nil: no group g).
	belongs  map[signaling.CallID]map[signaling.UserID]bool
	onGroup  map[signaling.CallID]bool
	gMembers map[signaling.UserID]bool

	// store is what a store that committed every change would hold: the
	// machine's snapshot must equal it after every step, and a restart
	// rebuilds the machine from it.
	store    stored
	restarts int
}

// mayJoin is the rule of issue 11, from the harness's model.
func (h *harness) mayJoin(u signaling.UserID, id signaling.CallID) bool {
	return h.belongs[id][u] || h.onGroup[id] && h.gMembers != nil && h.gMembers[u]
}

func (h *harness) belong(id signaling.CallID, us ...signaling.UserID) {
	if h.belongs[id] == nil {
		h.belongs[id] = map[signaling.UserID]bool{}
	}
	for _, u := range us {
		h.belongs[id][u] = true
	}
}

// stray is a connection that never logs in, and when it was opened.
type stray struct {
	p  *fakePeer
	at time.Time
}

var fuzzSigs = map[signaling.UserID]string{}

func newHarness(t testing.TB) *harness {
	h := &harness{
		t:     t,
		now:   time.Unix(1_800_000_000, 0),
		users: users("u0", "u1", "u2", "u3", "u4"),
		peers: map[signaling.UserID]*fakePeer{},
		views: map[string]map[signaling.CallID]outcome{},

		belongs: map[signaling.CallID]map[signaling.UserID]bool{},
		onGroup: map[signaling.CallID]bool{},
	}
	cfg, err := Config{AppID: testAppID, Secret: testSecret, Logger: quietLogger(), Now: func() time.Time { return h.now }}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	dir := map[signaling.UserID]dirEntry{}
	for _, u := range h.users {
		dir[u] = dirEntry{}
		if fuzzSigs[u] == "" {
			s, err := signaling.GenUserSig(testSecret, testAppID, u, 24*time.Hour, h.now)
			if err != nil {
				t.Fatal(err)
			}
			fuzzSigs[u] = s
		}
	}
	h.sigs = fuzzSigs
	h.m = newMachine(cfg, nil, dir, nil)
	h.m.onEvent = h.check
	h.m.persist()
	h.m.out = &outbox{}
	h.store = h.m.snapshot()
	return h
}

// settle does what the hub does after each input: it commits the
// machine's changes (to h.store) and delivers what it held.
func (h *harness) settle() {
	for {
		ch := h.m.takeChanges()
		for k, v := range ch {
			if v == nil {
				delete(h.store[k.bucket], k.key)
			} else {
				h.store[k.bucket][k.key] = v
			}
		}
		h.m.out.seal(0)
		msgs := h.m.out.take(0)
		if len(msgs) == 0 && ch == nil {
			return
		}
		for _, o := range msgs {
			h.m.deliver(o)
		}
	}
}

// restart kills the machine and builds a new one from h.store, as a
// server started again on the same data dir does: every connection is
// gone.
func (h *harness) restart() {
	h.restarts++
	for _, p := range h.peers {
		p.closed = true
	}
	for _, st := range h.strays {
		st.p.closed = true
	}
	h.peers = map[signaling.UserID]*fakePeer{}
	dir := map[signaling.UserID]dirEntry{}
	for k, v := range h.store[bucketUsers] {
		var e dirEntry
		if err := json.Unmarshal(v, &e); err != nil {
			h.fail("stored user %s: %v", k, err)
		}
		dir[signaling.UserID(k)] = e
	}
	groups := map[signaling.GroupID]groupRecord{}
	for k, v := range h.store[bucketGroups] {
		var r groupRecord
		if err := json.Unmarshal(v, &r); err != nil {
			h.fail("stored group %s: %v", k, err)
		}
		groups[signaling.GroupID(k)] = r
	}
	h.m = newMachine(h.m.cfg, nil, dir, groups)
	h.m.onEvent = h.check
	h.m.persist()
	h.m.out = &outbox{}
	h.m.restore(h.store)
	h.settle()
}

// sameAsStored fails unless the machine's state is what the store holds:
// an input that changed something it did not note would be lost by a
// restart.
func (h *harness) sameAsStored() {
	h.t.Helper()
	snap := h.m.snapshot()
	for _, b := range storeBuckets {
		for k, v := range snap[b] {
			if w, ok := h.store[b][k]; !ok || string(w) != string(v) {
				h.fail("%s %s is %s in the machine but %s in the store", b, k, v, w)
			}
		}
		for k, w := range h.store[b] {
			if _, ok := snap[b][k]; !ok {
				h.fail("%s %s is %s in the store but gone from the machine", b, k, w)
			}
		}
	}
}

func (h *harness) fail(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf(format, args...)
}

// check is the machine's onEvent hook: no call event to a non-member, and
// every member's outcomes in a valid order (one terminal per invite).
func (h *harness) check(s *session, t signaling.MessageType, data []byte) {
	var ref struct {
		CallID signaling.CallID `json:"callId"`
	}
	_ = json.Unmarshal(data, &ref)
	if ref.CallID == "" {
		return
	}
	c := h.m.calls[ref.CallID]
	if c == nil {
		h.fail("%s to %s about call %s, which is not running", t, s.user, ref.CallID)
	}
	mb := c.byUser[s.user]
	if mb == nil {
		h.fail("%s to non-member %s of call %s", t, s.user, ref.CallID)
	}
	switch {
	case mb.state == stRinging || mb.state == stInRoom:
	case t == signaling.EvCallCancelled, t == signaling.EvCallEnd && mb.state == stGone:
	default:
		h.fail("%s to %s, who is %s in call %s", t, s.user, mb.state, ref.CallID)
	}
	v := h.views[s.token]
	if v == nil {
		v = map[signaling.CallID]outcome{}
		h.views[s.token] = v
	}
	st := v[ref.CallID]
	switch t {
	case signaling.EvCallReceived:
		if st != ocNone && st != ocDone {
			h.fail("%s invited to %s again while %d", s.user, ref.CallID, st)
		}
		v[ref.CallID] = ocRinging
	case signaling.EvCallBegin:
		if st == ocBegun {
			h.fail("%s: second onCallBegin for %s", s.user, ref.CallID)
		}
		if st == ocDone && c.caller == s.user {
			h.fail("%s: onCallBegin after a terminal outcome for %s", s.user, ref.CallID)
		}
		v[ref.CallID] = ocBegun
	case signaling.EvCallCancelled:
		if st == ocBegun || st == ocDone {
			h.fail("%s: onCallCancelled for %s in state %d", s.user, ref.CallID, st)
		}
		if st == ocNone && c.caller != s.user {
			h.fail("%s: onCallCancelled for %s, never invited", s.user, ref.CallID)
		}
		v[ref.CallID] = ocDone
	case signaling.EvCallEnd:
		if st != ocBegun {
			h.fail("%s: onCallEnd for %s in state %d", s.user, ref.CallID, st)
		}
		v[ref.CallID] = ocDone
	}
}

// invariants checks the machine's own bookkeeping: nobody in two calls.
func (h *harness) invariants() {
	h.t.Helper()
	for id, c := range h.m.calls {
		for _, mb := range c.members {
			if mb.state == stRinging || mb.state == stInRoom {
				if h.m.userCall[mb.user] != c {
					h.fail("%s is %s in %s but userCall says %v", mb.user, mb.state, id, h.m.userCall[mb.user])
				}
			}
		}
		if r, i := c.counts(); r == 0 || r+i < 2 {
			h.fail("call %s still running with %d in the room and %d invited", id, r, i)
		}
	}
	for _, st := range h.strays {
		if !h.now.Before(st.at.Add(h.m.cfg.LoginTimeout)) {
			if _, ok := h.m.pending[st.p]; ok || !st.p.closed {
				h.fail("a connection opened at %v is still open at %v without a login", st.at, h.now)
			}
		}
	}
	for p := range h.m.pending {
		if h.m.peers[p] != nil {
			h.fail("a logged-in connection still has a login deadline")
		}
	}
	for u, c := range h.m.userCall {
		if h.m.calls[c.id] != c {
			h.fail("%s is in ended call %s", u, c.id)
		}
		if mb := c.byUser[u]; mb == nil || (mb.state != stRinging && mb.state != stInRoom) {
			h.fail("%s listed in call %s without being ringing or in the room", u, c.id)
		}
	}
}

// open is a new connection: the hub's inOpen.
func (h *harness) open() *fakePeer {
	p := &fakePeer{}
	h.m.opened(p)
	h.settle()
	return p
}

func (h *harness) do(u signaling.UserID, t signaling.RequestType, payload any) *signaling.Error {
	p := h.peers[u]
	if p == nil {
		return nil
	}
	h.nextID++
	n := len(p.msgs)
	// An outsider of a call (no part in it, and for join no right to join
	// it) must learn nothing: it never succeeds, and the answer that names
	// the call is the one for a call that does not exist.
	id := callOf(payload)
	c := h.m.calls[id]
	outsider := id != "" && (c == nil || !h.belongs[id][u] && (t != signaling.ReqJoin || !h.mayJoin(u, id)))
	h.m.handle(p, signaling.Request{V: 1, ID: h.nextID, Type: t}, payload)
	h.settle()
	for _, b := range p.msgs[n:] {
		var msg signaling.Message
		if err := json.Unmarshal(b, &msg); err != nil {
			h.fail("machine sent bad JSON %q", b)
		}
		if msg.Type != signaling.MsgReply || msg.ID != h.nextID {
			continue
		}
		if msg.Error != nil {
			if msg.Error.Code == signaling.CodeInternal {
				h.fail("internal error for %s: %s", t, msg.Error.Message)
			}
			if want := wireError(errNoCall(id)); outsider && strings.Contains(msg.Error.Message, string(id)) && *msg.Error != *want {
				h.fail("%s by outsider %s of %s answered %+v, not %+v", t, u, id, msg.Error, want)
			}
			return msg.Error
		}
		if outsider {
			h.fail("%s by outsider %s of call %s succeeded", t, u, id)
		}
		switch r := payload.(type) {
		case *signaling.InviteRequest:
			h.belong(r.CallID, r.UserIDList...)
		case *signaling.CallRequest:
			var rep signaling.CallReply
			_ = json.Unmarshal(msg.Data, &rep)
			h.belong(rep.CallID, u)
			h.belong(rep.CallID, r.CalleeIDList...)
			h.onGroup[rep.CallID] = r.GroupID == "g" && h.gMembers != nil
		}
		if t == signaling.ReqCall || t == signaling.ReqJoin {
			var rep signaling.CallReply
			_ = json.Unmarshal(msg.Data, &rep)
			h.calls = append(h.calls, rep.CallID)
			s := h.m.sessions[u]
			if v := h.views[s.token]; v == nil || v[rep.CallID] == ocNone {
				if h.views[s.token] == nil {
					h.views[s.token] = map[signaling.CallID]outcome{}
				}
				h.views[s.token][rep.CallID] = ocWaiting
			}
		}
		return nil
	}
	if t != signaling.ReqLogout {
		h.fail("no reply to %s", t)
	}
	return nil
}

// callOf is the call a request payload names, if any.
func callOf(payload any) signaling.CallID {
	switch r := payload.(type) {
	case *signaling.CallRef:
		return r.CallID
	case *signaling.FailRequest:
		return r.CallID
	case *signaling.InviteRequest:
		return r.CallID
	case *signaling.JoinRequest:
		return r.CallID
	case *signaling.SwitchMediaTypeRequest:
		return r.CallID
	case *signaling.RelayRequest:
		return r.CallID
	}
	return ""
}

func (h *harness) pick(b byte) signaling.CallID {
	if len(h.calls) == 0 {
		return "c-none"
	}
	return h.calls[int(b)%len(h.calls)]
}

func (h *harness) usersOf(mask byte, self signaling.UserID) []signaling.UserID {
	var out []signaling.UserID
	for i, u := range h.users {
		if mask&(1<<i) != 0 && u != self {
			out = append(out, u)
		}
	}
	return out
}

// step runs one operation encoded in three bytes.
func (h *harness) step(op, a, b byte) {
	u := h.users[int(a)%len(h.users)]
	switch op % 16 {
	case 0: // log in (kicking an existing session)
		p := h.open()
		old := h.peers[u]
		h.peers[u] = p
		if err := h.do(u, signaling.ReqLogin, &signaling.LoginRequest{UserID: u, UserSig: h.sigs[u]}); err != nil {
			h.fail("login %s: %v", u, err)
		}
		if old != nil && !old.closed {
			h.fail("old connection of %s not closed by the kick", u)
		}
	case 1:
		req := &signaling.CallRequest{CalleeIDList: h.usersOf(b, u), CallMediaType: signaling.MediaType(b >> 7)}
		if b&0x20 != 0 {
			req.GroupID = "g"
		}
		if b&0x40 != 0 {
			req.Timeout = 1 + int(b%5)
		}
		h.do(u, signaling.ReqCall, req)
	case 2:
		h.do(u, signaling.ReqAccept, &signaling.CallRef{CallID: h.pick(b)})
	case 3:
		h.do(u, signaling.ReqReject, &signaling.CallRef{CallID: h.pick(b)})
	case 4:
		h.do(u, signaling.ReqIgnore, &signaling.CallRef{CallID: h.pick(b)})
	case 5:
		h.do(u, signaling.ReqFail, &signaling.FailRequest{CallID: h.pick(b)})
	case 6:
		h.do(u, signaling.ReqHangup, &signaling.CallRef{CallID: h.pick(b)})
	case 7:
		if c := h.m.userCall[u]; c != nil {
			h.do(u, signaling.ReqInvite, &signaling.InviteRequest{CallID: c.id, UserIDList: h.usersOf(b, u)})
		}
	case 8:
		switch b % 4 {
		case 0, 1:
			// Whoever joins had the right to before the request.
			may := map[signaling.CallID]bool{}
			for id := range h.m.calls {
				may[id] = h.mayJoin(u, id)
			}
			req := &signaling.JoinRequest{GroupID: "g"}
			if b%4 == 1 {
				req = &signaling.JoinRequest{CallID: h.pick(b >> 2)}
			}
			if h.do(u, signaling.ReqJoin, req) == nil && h.peers[u] != nil {
				c := h.m.userCall[u]
				if c == nil || !may[c.id] {
					h.fail("%s joined call %v without the right to", u, c)
				}
				h.belong(c.id, u)
			}
		case 2: // the administrator creates group g, or adds or removes u
			switch {
			case h.gMembers == nil:
				members := h.usersOf(b>>2|1, "")
				if _, err := h.m.createGroup(AdminUser, &signaling.CreateGroupRequest{GroupID: "g", MemberIDList: members}); err != nil {
					h.fail("create g: %v", err)
				}
				h.gMembers = map[signaling.UserID]bool{}
				for _, v := range members {
					h.gMembers[v] = true
				}
			default:
				add := !h.gMembers[u]
				if _, err := h.m.changeGroupMembers(AdminUser, &signaling.GroupMembersRequest{GroupID: "g", UserIDList: []signaling.UserID{u}}, add); err != nil {
					h.fail("change g: %v", err)
				}
				h.gMembers[u] = add
			}
		case 3:
			if b&4 != 0 {
				if err := h.m.deleteGroup(AdminUser, "g"); (err == nil) != (h.gMembers != nil) {
					h.fail("delete g: %v", err)
				}
				h.gMembers = nil
				break
			}
			// A connection that never logs in, and asks for something.
			p := h.open()
			h.strays = append(h.strays, stray{p: p, at: h.now})
			h.m.handle(p, signaling.Request{V: 1, ID: 1, Type: signaling.ReqJoin}, &signaling.JoinRequest{GroupID: "g"})
			h.settle()
		}
	case 9:
		h.do(u, signaling.ReqSwitchMediaType, &signaling.SwitchMediaTypeRequest{CallID: h.pick(b), CallMediaType: signaling.MediaType(b & 1)})
	case 10:
		to := h.users[int(b)%len(h.users)]
		h.do(u, signaling.ReqRelay, &signaling.RelayRequest{CallID: h.pick(b >> 3), To: to, Payload: json.RawMessage(`{"x":1}`)})
	case 11:
		payload := fmt.Sprintf(`{"signals":[{"kind":"mediaState","camera":%v,"microphone":%v}]}`, b&1 != 0, b&2 != 0)
		h.do(u, signaling.ReqRelay, &signaling.RelayRequest{CallID: h.pick(b >> 2), To: h.users[int(b)%len(h.users)], Payload: json.RawMessage(payload)})
	case 12: // the connection drops; or the server restarts, and every one does
		if b%8 == 7 {
			h.restart()
			break
		}
		if p := h.peers[u]; p != nil {
			h.m.disconnected(p)
			h.settle()
			delete(h.peers, u)
		}
	case 13: // resume on a new connection, perhaps having missed events
		s := h.m.sessions[u]
		if s == nil || h.peers[u] != nil {
			return
		}
		last := s.seq
		if d := uint64(b % 4); d <= last {
			last -= d
		}
		p := h.open()
		h.peers[u] = p
		if err := h.do(u, signaling.ReqResume, &signaling.ResumeRequest{UserID: u, Token: s.token, LastSeq: last}); err != nil {
			h.fail("resume %s within grace: %v", u, err)
		}
	case 14: // time passes
		h.advance(time.Duration(b) * 100 * time.Millisecond)
	case 15:
		h.do(u, signaling.ReqLogout, nil)
		delete(h.peers, u)
	}
	h.settle()
	h.invariants()
	h.sameAsStored()
}

func (h *harness) advance(d time.Duration) {
	h.now = h.now.Add(d)
	h.m.fire(h.now)
	h.settle()
}

// finish lets every timer run out and everyone log out, then checks that
// every live session saw a terminal outcome for every call it was part of
// and that no call is left.
func (h *harness) finish() {
	for i := 0; i < 3; i++ {
		h.advance(MaxInviteTimeout + time.Minute)
	}
	live := map[string]bool{}
	for _, s := range h.m.sessions {
		live[s.token] = true
	}
	for _, u := range h.users {
		h.do(u, signaling.ReqLogout, nil)
	}
	h.advance(time.Hour)
	h.invariants()
	if len(h.m.calls) != 0 || len(h.m.userCall) != 0 {
		h.fail("calls left after everyone left: %d calls, %d users in calls", len(h.m.calls), len(h.m.userCall))
	}
	for token, v := range h.views {
		if !live[token] {
			continue // kicked, expired or lost: its outcome was the end of the session
		}
		for c, st := range v {
			if st != ocDone {
				h.fail("session with token %s: call %s ended in state %d, without one terminal outcome", token, c, st)
			}
		}
	}
}

func runMachine(t testing.TB, data []byte) *harness {
	h := newHarness(t)
	for i := 0; i+2 < len(data) && i < 3*400; i += 3 {
		h.step(data[i], data[i+1], data[i+2])
	}
	h.finish()
	return h
}

// FuzzMachine runs request sequences against the state machine and checks
// its invariants after every step: every invite ends in exactly one
// terminal outcome per member, nobody is in two calls, no event goes to a
// non-member, and what the machine would store equals its state, so that
// a restart (one of the steps) loses nothing.
func FuzzMachine(f *testing.F) {
	// login everyone, 1v1 call, accept, hang up
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 2, 0, 1, 0, 2, 2, 1, 0, 6, 0, 0})
	// group call, one accepts, one rejects, time passes
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 1, 0, 0x2e, 2, 1, 0, 3, 2, 0, 14, 0, 200})
	// drop and resume, then a grace expiry
	f.Add([]byte{0, 0, 0, 0, 1, 0, 1, 0, 2, 2, 1, 0, 12, 0, 0, 13, 0, 1, 12, 1, 0, 14, 0, 150})
	// kick while ringing, invite, join
	f.Add([]byte{0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 1, 0, 0x22, 0, 1, 0, 2, 1, 0, 7, 0, 0x08, 8, 2, 0, 9, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) { runMachine(t, data) })
}

func TestMachineSeeds(t *testing.T) {
	// A long pseudo-random walk, deterministic, as a regression test.
	data := make([]byte, 3*400)
	x := uint32(2463534242)
	for i := range data {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		data[i] = byte(x)
	}
	restarts := 0
	for i := 0; i < 8; i++ {
		t.Run(fmt.Sprint(i), func(t *testing.T) { restarts += runMachine(t, data[i*50:]).restarts })
	}
	if restarts == 0 {
		t.Error("the walks never restarted the machine")
	}
}
