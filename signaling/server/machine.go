package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server/turn"
)

// machine is the authoritative state: sessions, calls, the directory and
// every timer. It has no goroutine and no lock of its own: the hub
// goroutine (or a test) calls it, one input at a time, which is what makes
// it deterministic enough to fuzz.
type machine struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics // nil in tests that do not need it
	// dirty, when set, collects what each input changed for the store
	// (persist.go); out, when set, holds what the machine sends until
	// those changes are stored (outbox.go). Both are nil without a store.
	dirty *dirtySet
	out   *outbox

	sessions   map[signaling.UserID]*session // the current session of each user
	tokens     map[string]*session
	peers      map[peer]*session // logged-in connections
	pending    map[peer]*timer   // connections not logged in yet, with their login deadline
	calls      map[signaling.CallID]*call
	groupCalls map[signaling.GroupID][]*call // the running calls labelled with each groupId, oldest first
	userCall   map[signaling.UserID]*call    // the call a user is ringing or in the room of
	dir        map[signaling.UserID]dirEntry
	groups     map[signaling.GroupID]*group // server-side groups (group.go)
	owned      map[signaling.UserID]int     // how many groups each user owns
	timers     timerHeap

	nextRoom   int32
	callSerial uint64 // the last call's serial: calls' order of starting

	presenceDirty map[signaling.UserID]struct{}
	presenceTimer *timer

	closing bool

	// onEvent, if set, sees every numbered event as it is recorded for a
	// session (tests check invariants with it).
	onEvent func(s *session, t signaling.MessageType, data []byte)
}

func newMachine(cfg Config, met *metrics, dir map[signaling.UserID]dirEntry, groups map[signaling.GroupID]groupRecord) *machine {
	if dir == nil {
		dir = map[signaling.UserID]dirEntry{}
	}
	m := &machine{
		cfg:           cfg,
		log:           cfg.Logger,
		metrics:       met,
		sessions:      map[signaling.UserID]*session{},
		tokens:        map[string]*session{},
		peers:         map[peer]*session{},
		pending:       map[peer]*timer{},
		calls:         map[signaling.CallID]*call{},
		groupCalls:    map[signaling.GroupID][]*call{},
		userCall:      map[signaling.UserID]*call{},
		dir:           dir,
		groups:        map[signaling.GroupID]*group{},
		owned:         map[signaling.UserID]int{},
		presenceDirty: map[signaling.UserID]struct{}{},
	}
	for id, r := range groups {
		m.groups[id] = groupFromRecord(id, r)
		m.owned[r.Owner]++
	}
	return m
}

func (m *machine) now() time.Time { return m.cfg.Now() }

// opened starts the login deadline of a new connection. Only a login or
// a resume lifts it (see login, resume): nothing else a connection sends,
// a pong least of all, buys it time.
func (m *machine) opened(p peer) {
	m.pending[p] = m.timers.add(&timer{at: m.now().Add(m.cfg.LoginTimeout), kind: timerLogin, peer: p})
}

// authenticated lifts p's login deadline.
func (m *machine) authenticated(p peer) {
	if t := m.pending[p]; t != nil {
		t.stop()
		delete(m.pending, p)
	}
	m.loggedIn(p)
}

// handle runs one decoded request from p.
func (m *machine) handle(p peer, req signaling.Request, payload any) {
	s := m.peers[p]
	if _, waiting := m.pending[p]; s == nil && !waiting {
		// The connection is closing (logged out, kicked, replaced, cut
		// off, or out of time to log in); its close frame is queued and
		// nothing more goes out on it, so there is no one to answer.
		return
	}
	if m.closing {
		m.replyErr(p, req.ID, fmt.Errorf("%w: the server is shutting down; reconnect in a moment", ErrUnavailable))
		return
	}
	if s == nil && req.Type != signaling.ReqLogin && req.Type != signaling.ReqResume {
		m.replyErr(p, req.ID, fmt.Errorf("%w: send login (or resume) before %s", ErrNotLoggedIn, req.Type))
		return
	}
	var (
		reply any
		err   error
		after func()
	)
	if s != nil && s.user == AdminUser && inCall[req.Type] {
		m.replyErr(p, req.ID, fmt.Errorf("%w: %q is the server's administrator account: it manages groups and takes no part in calls", ErrSceneNotSupported, AdminUser))
		return
	}
	switch req.Type {
	case signaling.ReqLogin:
		after, err = m.login(p, s, req.ID, payload.(*signaling.LoginRequest))
		if err == nil {
			return // login replies itself, before the events it causes
		}
	case signaling.ReqResume:
		err = m.resume(p, s, req.ID, payload.(*signaling.ResumeRequest))
		if err == nil {
			return
		}
	case signaling.ReqLogout:
		m.logout(s)
		m.reply(p, req.ID, nil)
		m.endSession(s)
		m.shut(p, signaling.CloseLoggedOut, "logged out")
		return
	case signaling.ReqDirectory:
		reply = signaling.DirectoryReply{Users: m.directory()}
	case signaling.ReqSetProfile:
		err = m.setProfile(s, payload.(*signaling.SetProfileRequest))
	case signaling.ReqCall:
		after, reply, err = m.startCall(s.user, payload.(*signaling.CallRequest))
	case signaling.ReqAccept:
		after, reply, err = m.accept(s.user, payload.(*signaling.CallRef).CallID)
	case signaling.ReqReject:
		after, err = m.reject(s.user, payload.(*signaling.CallRef).CallID)
	case signaling.ReqIgnore:
		after, err = m.ignore(s.user, payload.(*signaling.CallRef).CallID)
	case signaling.ReqFail:
		after, err = m.fail(s.user, payload.(*signaling.FailRequest))
	case signaling.ReqHangup:
		after, err = m.hangup(s.user, payload.(*signaling.CallRef).CallID)
	case signaling.ReqInvite:
		after, reply, err = m.invite(s.user, payload.(*signaling.InviteRequest))
	case signaling.ReqJoin:
		after, reply, err = m.join(s.user, payload.(*signaling.JoinRequest))
	case signaling.ReqSwitchMediaType:
		after, err = m.switchMediaType(s.user, payload.(*signaling.SwitchMediaTypeRequest))
	case signaling.ReqRelay:
		after, err = m.relay(s.user, payload.(*signaling.RelayRequest))
	case signaling.ReqCreateGroup:
		reply, err = m.createGroup(s.user, payload.(*signaling.CreateGroupRequest))
	case signaling.ReqGroups:
		reply = m.groupsOf(s.user)
	case signaling.ReqAddGroupMembers:
		reply, err = m.changeGroupMembers(s.user, payload.(*signaling.GroupMembersRequest), true)
	case signaling.ReqRemoveGroupMembers:
		reply, err = m.changeGroupMembers(s.user, payload.(*signaling.GroupMembersRequest), false)
	case signaling.ReqDeleteGroup:
		err = m.deleteGroup(s.user, payload.(*signaling.GroupRef).GroupID)
	default:
		err = fmt.Errorf("%w: unknown request type %q", ErrInvalidParam, req.Type)
	}
	if err != nil {
		m.replyErr(p, req.ID, err)
		return
	}
	m.reply(p, req.ID, reply)
	// The events a request causes follow its reply, so a client always
	// learns e.g. its call id before the call's first event.
	if after != nil {
		after()
	}
}

// inCall lists the requests about calls, which the administrator account
// may not make.
var inCall = map[signaling.RequestType]bool{
	signaling.ReqCall: true, signaling.ReqAccept: true, signaling.ReqReject: true, signaling.ReqIgnore: true,
	signaling.ReqFail: true, signaling.ReqHangup: true, signaling.ReqInvite: true, signaling.ReqJoin: true,
	signaling.ReqSwitchMediaType: true, signaling.ReqRelay: true,
}

// reply answers request id on p.
func (m *machine) reply(p peer, id uint64, v any) {
	var data []byte
	if v != nil {
		var err error
		if data, err = json.Marshal(v); err != nil {
			m.replyErr(p, id, fmt.Errorf("encode reply: %w", err))
			return
		}
	}
	m.send(p, signaling.AppendMessage(nil, signaling.MsgReply, id, 0, data))
}

// replyErr refuses request id on p.
func (m *machine) replyErr(p peer, id uint64, err error) {
	we := wireError(err)
	m.metrics.refused(we.Code)
	data, _ := json.Marshal(we)
	b := signaling.AppendMessage(nil, signaling.MsgReply, id, 0, nil)
	// Splice "error" in: AppendMessage has no error field, replies with
	// errors are rare.
	b = append(b[:len(b)-1], `,"error":`...)
	b = append(b, data...)
	b = append(b, '}')
	m.send(p, b)
}

func (m *machine) userOf(p peer) signaling.UserID {
	if s := m.peers[p]; s != nil {
		return s.user
	}
	return ""
}

// emit sends event t with payload v to user u's session, numbered. A user
// with no session does not get it.
func (m *machine) emit(u signaling.UserID, t signaling.MessageType, v any) {
	s := m.sessions[u]
	if s == nil {
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		m.log.Error("encode event", "event", t, "err", err)
		return
	}
	m.emitRaw(s, t, data)
}

func (m *machine) emitRaw(s *session, t signaling.MessageType, data []byte) {
	s.seq++
	b := signaling.AppendMessage(nil, t, 0, s.seq, data)
	first := s.seq - uint64(len(s.ring)) // the oldest kept event's number
	e := ringEntry{at: m.now(), b: b}
	for i := range s.keep(e, m.cfg.ReplayLimit) {
		m.stage(bucketEvents, eventKey(s.token, first+uint64(i)), nil)
	}
	m.stage(bucketEvents, eventKey(s.token, s.seq), eventValue(e))
	m.touchSession(s)
	if m.onEvent != nil {
		m.onEvent(s, t, data)
	}
	if s.peer != nil {
		m.send(s.peer, b)
	}
}

// newToken returns a random session token.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// login opens a session for p.
func (m *machine) login(p peer, cur *session, id uint64, req *signaling.LoginRequest) (func(), error) {
	if cur != nil {
		return nil, fmt.Errorf("%w: this connection is already logged in as %q", ErrRepeated, cur.user)
	}
	if err := req.UserID.Check(); err != nil {
		return nil, err
	}
	if len(req.Nickname) > maxProfileField || len(req.AvatarURL) > maxProfileField {
		return nil, fmt.Errorf("%w: nickname and avatarUrl may have at most %d bytes each", ErrInvalidParam, maxProfileField)
	}
	now := m.now()
	info, err := signaling.VerifyUserSig(m.cfg.Secret, m.cfg.AppID, req.UserID, req.UserSig, now)
	if err != nil {
		return nil, fmt.Errorf("login as %q refused: %w", req.UserID, err)
	}
	if old := m.sessions[req.UserID]; old != nil {
		m.kick(old)
	}
	s := &session{
		user:         req.UserID,
		token:        newToken(),
		peer:         p,
		wantPresence: req.Presence,
		sigExpires:   info.Expires,
	}
	s.sigTimer = m.timers.add(&timer{at: info.Expires, kind: timerUserSig, sess: s})
	m.touchSession(s)
	m.sessions[s.user] = s
	m.tokens[s.token] = s
	m.peers[p] = s
	m.authenticated(p)
	m.metrics.sessionAttached(1)

	e, known := m.dir[s.user]
	// The administrator is no user: it stays out of the directory.
	if s.user != AdminUser && (req.Nickname != "" || req.AvatarURL != "" || !known) {
		if req.Nickname != "" {
			e.Nickname = req.Nickname
		}
		if req.AvatarURL != "" {
			e.AvatarURL = req.AvatarURL
		}
		m.setDir(s.user, e)
	}
	m.touchPresence(s.user)
	rep := signaling.LoginReply{Token: s.token, Seq: s.seq, GraceMs: m.cfg.Grace.Milliseconds(), CallGraceMs: max(m.cfg.CallGrace, m.cfg.Grace).Milliseconds(),
		ICEServers: m.iceServers(s, now), Directory: []signaling.DirectoryEntry{}}
	if s.wantPresence {
		rep.Directory = m.directory()
	}
	m.reply(p, id, rep)
	// A user invited while offline (or on the device just kicked) gets the
	// invitation now.
	if c := m.userCall[s.user]; c != nil {
		if mb := c.byUser[s.user]; mb != nil && mb.state == stRinging {
			m.emit(s.user, signaling.EvCallReceived, m.callReceived(c))
		}
	}
	return nil, nil
}

// kick ends old because its user logged in again.
func (m *machine) kick(old *session) {
	if old.peer != nil {
		m.emitRaw(old, signaling.EvKickedOffline, []byte("{}"))
		m.shut(old.peer, signaling.CloseKicked, "logged in elsewhere")
	}
	m.endSession(old)
	m.dropUser(old.user)
}

// resume re-attaches p to the session named by req.Token.
func (m *machine) resume(p peer, cur *session, id uint64, req *signaling.ResumeRequest) error {
	if cur != nil {
		return fmt.Errorf("%w: this connection is already logged in as %q", ErrRepeated, cur.user)
	}
	s := m.tokens[req.Token]
	if s == nil || s.user != req.UserID {
		return fmt.Errorf("%w: no session with this token for %q (the grace period passed or the server restarted); log in again", ErrSessionGone, req.UserID)
	}
	if req.LastSeq > s.seq {
		return fmt.Errorf("%w: lastSeq %d is ahead of the session's last event %d", ErrInvalidParam, req.LastSeq, s.seq)
	}
	missed, ok := s.since(req.LastSeq)
	if !ok {
		return fmt.Errorf("%w: the events after %d are no longer kept; log in again", ErrSessionGone, req.LastSeq)
	}
	if !m.now().Before(s.sigExpires) {
		return fmt.Errorf("resume refused: %w", signaling.ErrUserSigExpired)
	}
	if s.peer != nil {
		old := s.peer
		delete(m.peers, old)
		m.shut(old, signaling.CloseReplaced, "replaced by a resumed connection")
	} else {
		m.metrics.sessionAttached(1)
	}
	s.graceTimer.stop()
	s.graceTimer = nil
	s.serverGone = false
	s.peer = p
	m.peers[p] = s
	m.touchSession(s)
	m.authenticated(p)
	rep := signaling.ResumeReply{Seq: s.seq, ICEServers: m.iceServers(s, m.now()), Directory: []signaling.DirectoryEntry{}}
	if s.wantPresence {
		rep.Directory = m.directory()
	}
	m.reply(p, id, rep)
	for _, b := range missed {
		m.send(p, b)
	}
	return nil
}

// logout ends the user's part in its call as hang-up (or reject).
func (m *machine) logout(s *session) {
	c := m.userCall[s.user]
	if c == nil {
		return
	}
	after, err := m.hangup(s.user, c.id)
	if err == nil && after != nil {
		after()
	}
}

// detach notes that p is gone. Its session, if any, waits for a resume.
func (m *machine) detach(p peer) {
	if t := m.pending[p]; t != nil {
		t.stop()
		delete(m.pending, p)
	}
	s := m.peers[p]
	if s == nil {
		return
	}
	delete(m.peers, p)
	if s.peer != p {
		return
	}
	s.peer = nil
	s.serverGone = m.closing
	m.metrics.sessionAttached(-1)
	s.graceTimer = m.timers.add(&timer{at: m.now().Add(m.graceFor(s.user)), kind: timerGrace, sess: s})
	m.touchSession(s)
}

// graceFor is how long u's session waits for a resume once its connection
// is gone: Config.CallGrace while u is connected in a call, whose media
// may well still flow peer to peer (the clients try to restore lost media
// for as long), else Config.Grace.
func (m *machine) graceFor(u signaling.UserID) time.Duration {
	if c := m.userCall[u]; c != nil {
		if mb := c.byUser[u]; mb != nil && mb.state == stInRoom && mb.begun {
			return max(m.cfg.CallGrace, m.cfg.Grace)
		}
	}
	return m.cfg.Grace
}

// disconnected is the hub's input when a connection's read pump ended.
func (m *machine) disconnected(p peer) {
	m.detach(p)
	m.shut(p, websocketCloseNormal, "")
}

// endSession forgets s (not its user's calls: see dropUser).
func (m *machine) endSession(s *session) {
	if s.ended {
		return
	}
	s.ended = true
	m.touchSession(s)
	s.graceTimer.stop()
	s.sigTimer.stop()
	if s.peer != nil {
		delete(m.peers, s.peer)
		s.peer = nil
		m.metrics.sessionAttached(-1)
	}
	delete(m.tokens, s.token)
	if m.sessions[s.user] == s {
		delete(m.sessions, s.user)
	}
	m.touchPresence(s.user)
}

// fire runs every timer due at now.
func (m *machine) fire(now time.Time) {
	for t := m.timers.popDue(now); t != nil; t = m.timers.popDue(now) {
		switch t.kind {
		case timerInvite:
			m.inviteTimedOut(t.call, t.memb)
		case timerGrace:
			s := t.sess
			m.log.Info("session lost after grace period", "user", s.user)
			m.endSession(s)
			m.dropUser(s.user)
		case timerUserSig:
			s := t.sess
			if s.peer != nil {
				m.emitRaw(s, signaling.EvUserSigExpired, []byte("{}"))
				m.shut(s.peer, signaling.CloseUserSigExpired, "UserSig expired")
			}
			m.endSession(s)
			m.dropUser(s.user)
		case timerPresence:
			m.presenceTimer = nil
			m.flushPresence()
		case timerLogin:
			if m.pending[t.peer] == t {
				delete(m.pending, t.peer)
				m.shut(t.peer, signaling.CloseLoginTimeout, fmt.Sprintf("no login within %v of connecting", m.cfg.LoginTimeout))
			}
		}
	}
}

// shutdown tells every connected client and closes its connection.
func (m *machine) shutdown(msg string) {
	m.closing = true
	data, _ := json.Marshal(signaling.ServerClosing{Message: msg})
	b := signaling.AppendMessage(nil, signaling.EvServerClosing, 0, 0, data)
	for p := range m.peers {
		m.send(p, b)
		m.shut(p, websocketCloseGoingAway, "server shutting down")
	}
}

// websocket close codes (RFC 6455) the machine uses.
const (
	websocketCloseNormal    = 1000
	websocketCloseGoingAway = 1001
)

// iceServers are the ICE servers for s: the configured ones, and the TURN
// relay's URLs with a credential of s's user valid until its UserSig
// expires (or for TURN.TTL, if sooner). Never nil: the reply always
// carries the list.
func (m *machine) iceServers(s *session, now time.Time) []signaling.ICEServer {
	out := make([]signaling.ICEServer, 0, len(m.cfg.ICEServers)+1)
	out = append(out, m.cfg.ICEServers...)
	t := m.cfg.TURN
	if len(t.Secret) == 0 || len(t.URLs) == 0 {
		return out
	}
	expires := s.sigExpires
	if t.TTL > 0 && now.Add(t.TTL).Before(expires) {
		expires = now.Add(t.TTL)
	}
	var stuns, turns []string
	for _, u := range t.URLs {
		if strings.HasPrefix(u, "stun") {
			stuns = append(stuns, u)
		} else {
			turns = append(turns, u)
		}
	}
	if len(stuns) > 0 {
		out = append(out, signaling.ICEServer{URLs: stuns})
	}
	if len(turns) > 0 {
		user, pass := turn.Credential(t.Secret, string(s.user), expires)
		out = append(out, signaling.ICEServer{URLs: turns, Username: user, Credential: pass})
	}
	return out
}
