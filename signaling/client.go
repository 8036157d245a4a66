package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/calla-rtc/calla/internal/unbounded"
)

// Client keepalive and write tunables, related as in gorilla's chat
// example. The server pings too; either side's pings keep the link alive.
const (
	// clientWriteWait is how long one write may take.
	clientWriteWait = 10 * time.Second
	// clientPongWait is how long the client waits for any message, ping
	// or pong before it counts the connection as dead and reconnects. Its
	// own pings (every clientPingPeriod) draw pongs well within it, and so
	// do the server's (every 54 s).
	clientPongWait = 60 * time.Second
	// clientPingPeriod must be shorter than clientPongWait.
	clientPingPeriod = (clientPongWait * 9) / 10
	// clientReplyWait and clientProbeWait find a dead link sooner than
	// the keepalive: a NAT that changed its public address drops the
	// connection without a word, and clientPongWait would take a minute to
	// notice, while a call's media waits for its ICE restart offers to get
	// through. A request without a reply for clientReplyWait sends a ping
	// and gives the link clientProbeWait to say anything at all (the pong,
	// or any message); silence then ends the connection, and the client
	// reconnects and resumes. A server that is only slow to reply answers
	// the ping (its read pump does, whatever its call machine is doing),
	// so its requests keep waiting for their replies.
	clientReplyWait = 2 * time.Second
	clientProbeWait = 3 * time.Second
	// clientSendQueue is how many requests may wait for the writer.
	clientSendQueue = 64
	// maxServerMessage caps one server message (the directory of a large
	// server is the biggest).
	maxServerMessage = 16 << 20
	// attemptTimeout bounds one reconnect attempt (dial, upgrade, resume
	// or login): a node that died without a word (its host gone, no TCP
	// reset) must not hold the client for the dialer's 45 s handshake
	// timeout while other nodes could take it.
	attemptTimeout = 10 * time.Second
)

// Reconnect back-off defaults.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
)

// ClientConfig configures Dial.
type ClientConfig struct {
	// URL is the server's websocket address, e.g. ws://127.0.0.1:8443/ws,
	// or the addresses of several nodes of a cluster separated by commas.
	// The client uses one at a time; when its connection is lost and the
	// same node cannot take it back, it tries the next, and resumes its
	// session there.
	URL       string
	UserID    UserID
	UserSig   string
	Nickname  string
	AvatarURL string
	// Presence asks for the directory at login and presence pushes
	// (PresenceChanged events). The desktop app wants them; a bot or a
	// load test does not.
	Presence bool
	// Logger gets the client's logs; nil means slog.Default().
	Logger *slog.Logger
	// Dialer dials the websocket; nil means websocket.DefaultDialer.
	Dialer *websocket.Dialer
	// MinBackoff and MaxBackoff bound the reconnect back-off.
	MinBackoff time.Duration
	MaxBackoff time.Duration
}

// Client is a logged-in connection to a signaling server. It reconnects
// by itself and resumes its session; every server event and every change
// of the connection arrives, in order, on Events.
//
// Concurrency: a supervisor goroutine owns the connection's life (dial,
// login, reconnect). Each connection has a read pump, which decodes
// messages, answers pending requests and pushes events, and a write pump,
// which writes requests and pings. The unbounded queue behind Events
// (internal/unbounded) has its goroutine; producers never wait for the
// reader, so the read pump keeps reading (and answering pings) however far
// behind the reader falls. Request methods may be called from any
// goroutine. Close stops all of them.
type Client struct {
	cfg    ClientConfig
	urls   []string // cfg.URL split
	next   int      // the index in urls of the next dial; the supervisor's (Dial's before it starts)
	log    *slog.Logger
	events *unbounded.Queue[Event]
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // the supervisor finished

	nextID   atomic.Uint64
	nextSend atomic.Uint64 // the IDs Send returns
	lastSeq  atomic.Uint64 // the last numbered event pushed

	// outbox holds what Send queued for the sender goroutine; sends
	// counts the sender and the goroutines that wait for Send's replies.
	outbox *unbounded.Queue[*outgoing]
	sends  sync.WaitGroup

	mu         sync.Mutex
	cur        *clientConn   // the connection requests go to; nil while not ready
	ready      chan struct{} // closed when cur is set
	pending    map[uint64]*pendingReq
	token      string
	iceServers []ICEServer
	directory  []DirectoryEntry
	stopErr    error // why the client stopped for good
	closed     bool
	closeOnce  sync.Once
}

// pendingReq is a request waiting for its reply. hook, if set, runs on
// the read pump when the reply arrives, before any later message.
type pendingReq struct {
	id   uint64
	cc   *clientConn
	ch   chan Message
	hook func(Message)
}

// clientConn is one websocket of the client.
type clientConn struct {
	ws       *websocket.Conn
	out      chan []byte
	quit     chan struct{} // closed to stop the write pump
	readDone chan struct{} // closed when the read pump ends
	wg       sync.WaitGroup
	// Set by the read pump before readDone closes.
	closeCode int
	readErr   error
	terminal  error // a kick or UserSig expiry was seen
}

// CheckServerURL says what is wrong with a server URL Dial could not
// use: it must be ws:// or wss:// with a host, or several such URLs (the
// nodes of a cluster) separated by commas.
func CheckServerURL(s string) error {
	_, err := splitServerURLs(s)
	return err
}

// splitServerURLs splits and checks a server URL list.
func splitServerURLs(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("no server URL")
	}
	var out []string
	for _, one := range strings.Split(s, ",") {
		one = strings.TrimSpace(one)
		u, err := url.Parse(one)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return nil, fmt.Errorf("server URL %q: want ws://HOST:PORT/ws or wss://HOST:PORT/ws (or several, separated by commas)", one)
		}
		out = append(out, one)
	}
	return out, nil
}

// Dial connects to the server and logs in. A refused login returns an
// *Error with the server's code (e.g. CodeUserSigExpired); a server that
// is full or shutting down, CodeServerUnavailable.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	urls, err := splitServerURLs(cfg.URL)
	if err != nil {
		return nil, Errorf(CodeInvalidParam, "%v", err)
	}
	if err := cfg.UserID.Check(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Dialer == nil {
		cfg.Dialer = websocket.DefaultDialer
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	c := &Client{
		cfg:     cfg,
		urls:    urls,
		log:     cfg.Logger.With("user", string(cfg.UserID)),
		events:  unbounded.New[Event](),
		outbox:  unbounded.New[*outgoing](),
		done:    make(chan struct{}),
		ready:   make(chan struct{}),
		pending: map[uint64]*pendingReq{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	// Each node in turn, until one logs us in (or refuses us for good).
	var cc *clientConn
	for i := range c.urls {
		c.next = i
		if cc, err = c.connect(ctx, false); err == nil || !c.tryNext(err) || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		c.cancel()
		c.events.Discard()
		c.outbox.Discard()
		return nil, err
	}
	go c.supervise(cc)
	c.sends.Add(1)
	go c.sender()
	return c, nil
}

// Events is the client's one ordered stream of events. It is closed after
// Close, or after a Closed event when the client stopped for good.
func (c *Client) Events() <-chan Event { return c.events.Out() }

// UserID is the logged-in user.
func (c *Client) UserID() UserID { return c.cfg.UserID }

// ICEServers are the STUN/TURN servers the server handed out at the last
// login or resume (with TURN credentials that may be short-lived).
func (c *Client) ICEServers() []ICEServer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]ICEServer(nil), c.iceServers...)
}

// LoginDirectory is the directory as of the last login or resume (with
// Presence set); later changes come as PresenceChanged events.
func (c *Client) LoginDirectory() []DirectoryEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]DirectoryEntry(nil), c.directory...)
}

// Close logs nothing out (see Logout): it closes the connection, stops
// every goroutine the client started and closes Events, discarding events
// not yet received. It is safe to call more than once.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		c.cancel()
		<-c.done
		c.outbox.Close() // the sender fails what is left: the context is done
		c.sends.Wait()
		c.events.Discard()
	})
	return nil
}

// tryNext says whether a failed connect should try another node: not
// for an answer that every node would give (a bad UserSig).
func (c *Client) tryNext(err error) bool {
	var se *Error
	return !errors.As(err, &se) || (se.Code != CodeUserSigExpired && se.Code != CodeUserSigInvalid && se.Code != CodeInvalidParam)
}

// dial opens one websocket, to the node urls[next].
func (c *Client) dial(ctx context.Context) (*clientConn, error) {
	u := c.urls[c.next]
	ws, resp, err := c.cfg.Dialer.DialContext(ctx, u, nil)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusServiceUnavailable {
			var e Error
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			if json.Unmarshal(body, &e) == nil && e.Code != 0 {
				return nil, &e
			}
			return nil, Errorf(CodeServerUnavailable, "server unavailable: %s", resp.Status)
		}
		return nil, fmt.Errorf("signaling: dial %s: %w", u, err)
	}
	ws.SetReadLimit(maxServerMessage)
	cc := &clientConn{
		ws:       ws,
		out:      make(chan []byte, clientSendQueue),
		quit:     make(chan struct{}),
		readDone: make(chan struct{}),
	}
	cc.wg.Add(2)
	go c.readPump(cc)
	go c.writePump(cc)
	return cc, nil
}

// stopConn closes cc and waits for its pumps.
func (c *Client) stopConn(cc *clientConn) {
	close(cc.quit)
	_ = cc.ws.Close()
	cc.wg.Wait()
}

// connect dials and logs in (or, with resume, resumes the session and
// falls back to a fresh login if the session is gone). It returns a ready
// connection.
func (c *Client) connect(ctx context.Context, resume bool) (*clientConn, error) {
	cc, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	if resume && token != "" {
		last := c.lastSeq.Load()
		req := ResumeRequest{UserID: c.cfg.UserID, Token: token, LastSeq: last}
		_, err := c.roundTrip(ctx, cc, ReqResume, req, func(msg Message) {
			if msg.Error != nil {
				return
			}
			var rep ResumeReply
			_ = json.Unmarshal(msg.Data, &rep)
			c.mu.Lock()
			if rep.Directory != nil {
				c.directory = rep.Directory
			}
			if rep.ICEServers != nil {
				c.iceServers = rep.ICEServers
			}
			c.mu.Unlock()
			// Pushed here, on the read pump, so that it precedes the
			// replayed events that follow the reply.
			c.events.Push(&Resumed{Replayed: int(rep.Seq - last)})
		})
		if err == nil {
			c.setReady(cc)
			return cc, nil
		}
		var se *Error
		if !errors.As(err, &se) || se.Code != CodeNotLoggedIn {
			c.stopConn(cc)
			return nil, err
		}
		c.log.Info("session gone, logging in again", "reason", se.Message)
		if err := c.login(ctx, cc, se.Message); err != nil {
			c.stopConn(cc)
			return nil, err
		}
		c.setReady(cc)
		return cc, nil
	}
	if err := c.login(ctx, cc, ""); err != nil {
		c.stopConn(cc)
		return nil, err
	}
	c.setReady(cc)
	return cc, nil
}

// login logs in on cc. lost, if not empty, is why the old session is
// gone: a SessionLost event then precedes the new session's events.
func (c *Client) login(ctx context.Context, cc *clientConn, lost string) error {
	req := LoginRequest{UserID: c.cfg.UserID, UserSig: c.cfg.UserSig, Nickname: c.cfg.Nickname, AvatarURL: c.cfg.AvatarURL, Presence: c.cfg.Presence}
	_, err := c.roundTrip(ctx, cc, ReqLogin, req, func(msg Message) {
		if msg.Error != nil {
			return
		}
		var rep LoginReply
		_ = json.Unmarshal(msg.Data, &rep)
		c.mu.Lock()
		c.token = rep.Token
		c.iceServers = rep.ICEServers
		c.directory = rep.Directory
		c.mu.Unlock()
		c.lastSeq.Store(rep.Seq)
		if lost != "" {
			c.events.Push(&SessionLost{Reason: lost})
		}
	})
	return err
}

func (c *Client) setReady(cc *clientConn) {
	c.mu.Lock()
	c.cur = cc
	close(c.ready)
	c.mu.Unlock()
}

// setNotReady stops requests going to cc and fails those waiting on it.
func (c *Client) setNotReady(cc *clientConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == cc {
		c.cur = nil
		c.ready = make(chan struct{})
	}
	for id, p := range c.pending {
		if p.cc == cc {
			delete(c.pending, id)
			close(p.ch)
		}
	}
}

// supervise owns the connection's life: it waits for the connection to
// end, then reconnects with back-off until it resumes, logs in afresh, or
// must stop for good.
func (c *Client) supervise(cc *clientConn) {
	defer close(c.done)
	defer c.events.Close()
	for {
		select {
		case <-c.ctx.Done():
			c.setNotReady(cc)
			c.stopConn(cc)
			return
		case <-cc.readDone:
		}
		c.setNotReady(cc)
		c.stopConn(cc)
		if cc.terminal != nil {
			c.stop(cc.terminal)
			return
		}
		if cc.closeCode == CloseLoggedOut {
			c.stop(nil)
			return
		}
		cause := "connection lost"
		if cc.readErr != nil {
			cause = cc.readErr.Error()
		}
		for attempt := 1; ; attempt++ {
			c.events.Push(&Reconnecting{Attempt: attempt, Err: cause})
			t := time.NewTimer(backoff(attempt, c.cfg.MinBackoff, c.cfg.MaxBackoff))
			select {
			case <-c.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			actx, cancel := context.WithTimeout(c.ctx, attemptTimeout)
			next, err := c.connect(actx, true)
			cancel()
			if err == nil {
				cc = next
				break
			}
			// The first attempt goes back to the same node (a restart or
			// a new cluster leader keeps it); after a failure, the next.
			c.next = (c.next + 1) % len(c.urls)
			if c.ctx.Err() != nil {
				return
			}
			var se *Error
			if errors.As(err, &se) && (se.Code == CodeUserSigExpired || se.Code == CodeUserSigInvalid) {
				c.stop(err)
				return
			}
			cause = err.Error()
			c.log.Debug("reconnect failed", "attempt", attempt, "err", err)
		}
	}
}

// stop records why the client stopped for good and says so on Events.
func (c *Client) stop(err error) {
	c.mu.Lock()
	c.stopErr = err
	if err == nil {
		c.stopErr = ErrClosed
	}
	c.mu.Unlock()
	c.events.Push(&Closed{Err: err})
}

func (c *Client) readPump(cc *clientConn) {
	defer cc.wg.Done()
	defer close(cc.readDone)
	_ = cc.ws.SetReadDeadline(time.Now().Add(clientPongWait))
	cc.ws.SetPongHandler(func(string) error {
		return cc.ws.SetReadDeadline(time.Now().Add(clientPongWait))
	})
	cc.ws.SetPingHandler(func(data string) error {
		_ = cc.ws.SetReadDeadline(time.Now().Add(clientPongWait))
		err := cc.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(clientWriteWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		_, data, err := cc.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				cc.closeCode = ce.Code
			}
			cc.readErr = err
			return
		}
		_ = cc.ws.SetReadDeadline(time.Now().Add(clientPongWait))
		var msg Message
		if err := json.Unmarshal(data, &msg); err != nil {
			c.log.Warn("server sent bad JSON", "err", err)
			continue
		}
		if msg.Type == MsgReply {
			c.resolve(msg)
			continue
		}
		if msg.Seq != 0 {
			if msg.Seq <= c.lastSeq.Load() {
				continue // replayed twice: already delivered
			}
			c.lastSeq.Store(msg.Seq)
		}
		ev, err := DecodeEvent(msg.Type, msg.Data)
		if err != nil {
			c.log.Warn("server sent an event this client cannot read", "type", msg.Type, "err", err)
			continue
		}
		switch ev.(type) {
		case *KickedOffline:
			cc.terminal = fmt.Errorf("%w: logged in elsewhere", ErrKicked)
		case *UserSigExpired:
			cc.terminal = fmt.Errorf("%w while online", ErrUserSigExpired)
		}
		c.events.Push(ev)
	}
}

func (c *Client) resolve(msg Message) {
	c.mu.Lock()
	p := c.pending[msg.ID]
	delete(c.pending, msg.ID)
	c.mu.Unlock()
	if p == nil {
		return
	}
	if p.hook != nil {
		p.hook(msg)
	}
	p.ch <- msg
}

func (c *Client) writePump(cc *clientConn) {
	defer cc.wg.Done()
	ticker := time.NewTicker(clientPingPeriod)
	defer ticker.Stop()
	for {
		select {
		case b := <-cc.out:
			_ = cc.ws.SetWriteDeadline(time.Now().Add(clientWriteWait))
			if err := cc.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				_ = cc.ws.Close()
				return
			}
		case <-ticker.C:
			_ = cc.ws.SetWriteDeadline(time.Now().Add(clientWriteWait))
			if err := cc.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				_ = cc.ws.Close()
				return
			}
		case <-cc.quit:
			return
		}
	}
}

// roundTrip sends a request on cc and waits for its reply.
func (c *Client) roundTrip(ctx context.Context, cc *clientConn, t RequestType, payload any, hook func(Message)) (Message, error) {
	p, err := c.write(ctx, cc, t, payload, hook)
	if err != nil {
		return Message{}, err
	}
	return c.await(ctx, p, t)
}

// write registers a request on cc and hands it to cc's write pump.
func (c *Client) write(ctx context.Context, cc *clientConn, t RequestType, payload any, hook func(Message)) (*pendingReq, error) {
	id := c.nextID.Add(1)
	b, err := EncodeRequest(id, t, payload)
	if err != nil {
		return nil, err
	}
	p := &pendingReq{id: id, cc: cc, ch: make(chan Message, 1), hook: hook}
	c.mu.Lock()
	c.pending[id] = p
	c.mu.Unlock()
	select {
	case cc.out <- b:
		return p, nil
	case <-cc.readDone:
		c.forget(p)
		return nil, fmt.Errorf("%w: connection lost before %s was sent", ErrNotConnected, t)
	case <-ctx.Done():
		c.forget(p)
		return nil, fmt.Errorf("signaling: %s: %w", t, ctx.Err())
	}
}

func (c *Client) forget(p *pendingReq) {
	c.mu.Lock()
	delete(c.pending, p.id)
	c.mu.Unlock()
}

// await waits for the reply to a written request. A reply that came just
// before the connection ended counts: the read pump hands it over before
// it closes readDone, and the server closes the connection right after
// some replies (logout's), so a waiter that wakes late finds both ready.
// A reply slow to come probes the link (a ping) rather than giving up on
// a slow but live server.
func (c *Client) await(ctx context.Context, p *pendingReq, t RequestType) (Message, error) {
	got := func(msg Message, ok bool) (Message, error) {
		if !ok {
			return Message{}, fmt.Errorf("%w: connection lost before the reply to %s", ErrNotConnected, t)
		}
		if msg.Error != nil {
			return msg, msg.Error
		}
		return msg, nil
	}
	silence := time.NewTimer(clientReplyWait)
	defer silence.Stop()
	for {
		select {
		case <-silence.C:
			// Is the link alive? The read pump's deadline moves back to
			// clientPongWait on the pong or any message; without one the
			// read fails, and readDone below ends this wait.
			c.log.Debug("no reply yet: probing the link", "request", string(t), "after", clientReplyWait)
			_ = p.cc.ws.SetReadDeadline(time.Now().Add(clientProbeWait))
			_ = p.cc.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(clientWriteWait))
			continue
		case msg, ok := <-p.ch:
			return got(msg, ok)
		case <-p.cc.readDone:
			select {
			case msg, ok := <-p.ch:
				return got(msg, ok)
			default:
			}
			c.forget(p)
			return Message{}, fmt.Errorf("%w: connection lost before the reply to %s", ErrNotConnected, t)
		case <-ctx.Done():
			c.forget(p)
			return Message{}, fmt.Errorf("signaling: %s: %w", t, ctx.Err())
		}
	}
}

// do sends a request on the current connection, waiting (within ctx) for
// one while the client reconnects, and decodes the reply into out.
func (c *Client) do(ctx context.Context, t RequestType, payload, out any) error {
	cc, err := c.connected(ctx, t)
	if err != nil {
		return err
	}
	msg, err := c.roundTrip(ctx, cc, t, payload, nil)
	if err != nil {
		return err
	}
	if out != nil && len(msg.Data) > 0 {
		if err := json.Unmarshal(msg.Data, out); err != nil {
			return fmt.Errorf("signaling: decode reply to %s: %w", t, err)
		}
	}
	return nil
}

// outgoing is a request made with Send, waiting for the sender.
type outgoing struct {
	id       uint64
	t        RequestType
	payload  any
	deadline time.Time
}

// Send sends a request without waiting for its reply and returns the ID
// its Reply will carry. Requests made with Send go out in the order they
// were made (one goroutine writes them, waiting while the client
// reconnects), and each Reply comes on Events in the server's order, so
// that whatever the server sent after a reply is read after it: the
// engine's loop makes its requests this way and never waits. A request
// that gets no reply within timeout ends in a Reply with Err set. After
// Close, Send does nothing and returns 0.
func (c *Client) Send(t RequestType, payload any, timeout time.Duration) uint64 {
	id := c.nextSend.Add(1)
	if !c.outbox.Push(&outgoing{id: id, t: t, payload: payload, deadline: time.Now().Add(timeout)}) {
		return 0
	}
	return id
}

// sender is the goroutine that writes what Send queued, in order. It
// waits for each request's reply on a goroutine of its own, so that the
// next request goes out at once.
func (c *Client) sender() {
	defer c.sends.Done()
	for range c.outbox.Ready() {
		reqs, more := c.outbox.Drain()
		for _, o := range reqs {
			c.sendOne(o)
		}
		if !more {
			return
		}
	}
}

func (c *Client) sendOne(o *outgoing) {
	var delivered atomic.Bool
	deliver := func(r *Reply) {
		if delivered.CompareAndSwap(false, true) {
			c.events.Push(r)
		}
	}
	ctx, cancel := context.WithDeadline(c.ctx, o.deadline)
	cc, err := c.connected(ctx, o.t)
	var p *pendingReq
	if err == nil {
		// The reply is pushed by the read pump, before it reads on.
		p, err = c.write(ctx, cc, o.t, o.payload, func(msg Message) {
			r := &Reply{ID: o.id, Type: o.t, Data: msg.Data}
			if msg.Error != nil {
				r.Err = msg.Error
			}
			deliver(r)
		})
	}
	if err != nil {
		cancel()
		deliver(&Reply{ID: o.id, Type: o.t, Err: err})
		return
	}
	c.sends.Add(1)
	go func() {
		defer c.sends.Done()
		defer cancel()
		if _, err := c.await(ctx, p, o.t); err != nil {
			deliver(&Reply{ID: o.id, Type: o.t, Err: err})
		}
	}()
}

// connected returns the current connection, waiting (within ctx) for one
// while the client reconnects.
func (c *Client) connected(ctx context.Context, t RequestType) (*clientConn, error) {
	for {
		c.mu.Lock()
		cc, ready, stopErr, closed := c.cur, c.ready, c.stopErr, c.closed
		c.mu.Unlock()
		if closed || stopErr != nil {
			if stopErr != nil && !errors.Is(stopErr, ErrClosed) {
				return nil, fmt.Errorf("%w: %w", ErrClosed, stopErr)
			}
			return nil, ErrClosed
		}
		if cc != nil {
			return cc, nil
		}
		select {
		case <-ready:
		case <-c.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %s: %w", ErrNotConnected, t, ctx.Err())
		}
	}
}

// Call starts a 1v1 call (one callee, no group id) or a group call.
func (c *Client) Call(ctx context.Context, req CallRequest) (CallReply, error) {
	var rep CallReply
	err := c.do(ctx, ReqCall, req, &rep)
	return rep, err
}

// Accept takes the ringing call id; the reply lists who is in the room.
func (c *Client) Accept(ctx context.Context, id CallID) (CallReply, error) {
	var rep CallReply
	err := c.do(ctx, ReqAccept, CallRef{CallID: id}, &rep)
	return rep, err
}

// Reject declines the ringing call id.
func (c *Client) Reject(ctx context.Context, id CallID) error {
	return c.do(ctx, ReqReject, CallRef{CallID: id}, nil)
}

// Ignore declines the ringing call id so that the others see the user as busy.
func (c *Client) Ignore(ctx context.Context, id CallID) error {
	return c.do(ctx, ReqIgnore, CallRef{CallID: id}, nil)
}

// Fail reports that the client could not take the ringing call id (the
// abnormal case).
func (c *Client) Fail(ctx context.Context, id CallID, reason string) error {
	return c.do(ctx, ReqFail, FailRequest{CallID: id, Reason: reason}, nil)
}

// Hangup leaves call id; before anyone answered, the caller's hangup
// cancels the call, and a ringing callee's hangup rejects it.
func (c *Client) Hangup(ctx context.Context, id CallID) error {
	return c.do(ctx, ReqHangup, CallRef{CallID: id}, nil)
}

// Invite invites users into the running group call id; timeout in seconds,
// 0 for the call's.
func (c *Client) Invite(ctx context.Context, id CallID, users []UserID, timeout int) (InviteReply, error) {
	var rep InviteReply
	err := c.do(ctx, ReqInvite, InviteRequest{CallID: id, UserIDList: users, Timeout: timeout}, &rep)
	return rep, err
}

// Join joins a running group call by call id or group id.
func (c *Client) Join(ctx context.Context, req JoinRequest) (CallReply, error) {
	var rep CallReply
	err := c.do(ctx, ReqJoin, req, &rep)
	return rep, err
}

// SwitchMediaType switches call id to audio or video.
func (c *Client) SwitchMediaType(ctx context.Context, id CallID, t MediaType) error {
	return c.do(ctx, ReqSwitchMediaType, SwitchMediaTypeRequest{CallID: id, CallMediaType: t}, nil)
}

// Relay sends payload (SDP, ICE candidate, anything) to member to of call id.
func (c *Client) Relay(ctx context.Context, id CallID, to UserID, payload json.RawMessage) error {
	return c.do(ctx, ReqRelay, RelayRequest{CallID: id, To: to, Payload: payload}, nil)
}

// Directory returns every user the server knows, with presence.
func (c *Client) Directory(ctx context.Context) ([]DirectoryEntry, error) {
	var rep DirectoryReply
	err := c.do(ctx, ReqDirectory, nil, &rep)
	return rep.Users, err
}

// SetProfile sets the user's nickname and avatar URL.
func (c *Client) SetProfile(ctx context.Context, nickname, avatarURL string) error {
	return c.do(ctx, ReqSetProfile, SetProfileRequest{Nickname: nickname, AvatarURL: avatarURL}, nil)
}

// CreateGroup creates a server-side group with the user as its owner and
// a member, and returns it with the id the server chose.
func (c *Client) CreateGroup(ctx context.Context, req CreateGroupRequest) (GroupInfo, error) {
	var rep GroupInfo
	err := c.do(ctx, ReqCreateGroup, req, &rep)
	return rep, err
}

// Groups lists the server-side groups the user is a member of.
func (c *Client) Groups(ctx context.Context) ([]GroupInfo, error) {
	var rep GroupsReply
	err := c.do(ctx, ReqGroups, nil, &rep)
	return rep.Groups, err
}

// AddGroupMembers adds users to group g (its owner, or the administrator).
func (c *Client) AddGroupMembers(ctx context.Context, g GroupID, users []UserID) (GroupInfo, error) {
	var rep GroupInfo
	err := c.do(ctx, ReqAddGroupMembers, GroupMembersRequest{GroupID: g, UserIDList: users}, &rep)
	return rep, err
}

// RemoveGroupMembers removes users from group g (its owner or the
// administrator; any member may remove itself).
func (c *Client) RemoveGroupMembers(ctx context.Context, g GroupID, users []UserID) (GroupInfo, error) {
	var rep GroupInfo
	err := c.do(ctx, ReqRemoveGroupMembers, GroupMembersRequest{GroupID: g, UserIDList: users}, &rep)
	return rep, err
}

// DeleteGroup deletes group g (its owner, or the administrator). A call
// running on it goes on; from then on only its own members may join it.
func (c *Client) DeleteGroup(ctx context.Context, g GroupID) error {
	return c.do(ctx, ReqDeleteGroup, GroupRef{GroupID: g}, nil)
}

// Logout ends the session (hanging up any call); the client then stops
// (a Closed event with a nil Err). Close is still needed to free it.
func (c *Client) Logout(ctx context.Context) error {
	return c.do(ctx, ReqLogout, nil, nil)
}
