package server

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/calla-rtc/calla/signaling"
)

// Keepalive and write tunables, related as in gorilla's chat example.
const (
	// writeWait is how long one write may take.
	writeWait = 10 * time.Second
	// pongWait is how long the server waits for a pong (or any message
	// after login) before it drops the connection.
	pongWait = 60 * time.Second
	// pingPeriod must be shorter than pongWait so a pong can arrive in time.
	pingPeriod = (pongWait * 9) / 10
	// hardLimitFactor: a message more than this many times MaxMessageBytes
	// closes the connection instead of being refused.
	hardLimitFactor = 4
	// closeWait is how long the write pump waits, after sending a close
	// frame, for the client's close frame before closing the socket.
	// Closing at once could reset the connection (unread data) and lose
	// the close frame and the replies before it.
	closeWait = time.Second
	// maxBeforeLogin is how many messages a connection may send before it
	// logs in: a login (or resume) and a few retries. It bounds what an
	// anonymous connection can make the server read, decode and answer
	// within the login deadline; rate and burst alone allow hundreds.
	maxBeforeLogin = 10
	// maxCloseText is the longest close reason: a control frame carries
	// at most 125 bytes, two of them the code.
	maxCloseText = 123
)

// conn is one websocket. Its read pump decodes requests and posts them to
// the hub. Writing has no goroutine of its own while the connection is
// idle: when the hub queues a message (or a ping, or the close) on an idle
// connection it starts one flusher goroutine, which writes until the queue
// is empty and ends. Idle connections then cost one goroutine, not two,
// which is most of the memory of an idle connection.
type conn struct {
	srv *Server
	ws  *websocket.Conn
	id  uint64 // this server's number for it (a cluster's leader names it so)

	mu        sync.Mutex
	queue     [][]byte // nil entries are pings
	flushing  bool     // a flusher goroutine is running
	isShut    bool     // no more messages: close after the queue
	closeCode int
	closeText string
	broken    bool // a write failed: drop what is queued

	logged     atomic.Bool
	readDone   chan struct{} // closed when the read pump stops reading
	writerDone chan struct{} // closed when the close frame is written and the socket closed
}

func newConn(srv *Server, ws *websocket.Conn) *conn {
	return &conn{srv: srv, ws: ws, id: srv.connIDs.Add(1), readDone: make(chan struct{}), writerDone: make(chan struct{})}
}

// enqueue queues b; false means the client is Config.SendQueue messages behind.
func (c *conn) enqueue(b []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isShut {
		return true // closing: nothing more goes out, and that is not a slow reader
	}
	if len(c.queue) >= c.srv.cfg.SendQueue {
		return false
	}
	c.queue = append(c.queue, b)
	c.startFlusher()
	return true
}

// ping queues a ping unless the connection is closing.
func (c *conn) ping() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.isShut && len(c.queue) < c.srv.cfg.SendQueue {
		c.queue = append(c.queue, nil)
		c.startFlusher()
	}
}

// shut closes the connection after what is queued. text is cut to fit
// a close frame (RFC 6455 §5.5: 125 bytes with the code).
func (c *conn) shut(code int, text string) {
	if len(text) > maxCloseText {
		text = text[:maxCloseText]
		for !utf8.ValidString(text) {
			text = text[:len(text)-1]
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isShut {
		return
	}
	c.isShut = true
	c.closeCode, c.closeText = code, text
	c.startFlusher()
}

// startFlusher starts the flusher if none runs; c.mu is held.
func (c *conn) startFlusher() {
	if !c.flushing {
		c.flushing = true
		go c.flush()
	}
}

// flush writes what is queued, then ends; after the last message of a
// shut connection it writes the close frame, waits for the client's (or
// closeWait), and closes the socket.
func (c *conn) flush() {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		if c.broken {
			batch = nil
		}
		if len(batch) == 0 {
			shut := c.isShut
			if !shut {
				c.flushing = false
			}
			c.mu.Unlock()
			if shut {
				c.finish()
			}
			return
		}
		c.mu.Unlock()
		for _, b := range batch {
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			var err error
			if b == nil {
				err = c.ws.WriteMessage(websocket.PingMessage, nil)
			} else {
				err = c.ws.WriteMessage(websocket.TextMessage, b)
				c.srv.metrics.msgsOut.Inc()
			}
			if err != nil {
				// The read pump will fail too and tell the hub.
				c.mu.Lock()
				c.broken = true
				c.mu.Unlock()
				_ = c.ws.Close()
				break
			}
		}
	}
}

func (c *conn) finish() {
	c.mu.Lock()
	broken := c.broken
	c.mu.Unlock()
	if !broken {
		_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
		_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText))
		t := time.NewTimer(closeWait)
		select {
		case <-c.readDone:
		case <-t.C:
		}
		t.Stop()
	}
	_ = c.ws.Close()
	close(c.writerDone)
}

// loggedIn starts the keepalive: from now on the connection lives as long
// as it answers pings. Before login there is no read deadline at all: the
// hub's login timer (machine.opened) closes a connection that does not log
// in, whatever else it sends.
func (c *conn) loggedIn() {
	c.logged.Store(true)
	_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
}

// errControlFlood ends the read of a connection that sends control frames
// (pings, pongs) faster than its message rate allows, for longer than its
// burst.
var errControlFlood = errors.New("server: too many control frames")

// limiter is one connection's rate limit: a token bucket over every frame
// the client sends (messages, pings and pongs alike) and the count of
// refusals in a row. Only the read pump uses it.
type limiter struct {
	bucket  *tokenBucket
	burst   int
	strikes int
}

// take spends a token. ok false: over the rate; fatal: and more refusals
// in a row than the burst, so the connection must close (1008).
func (l *limiter) take(now time.Time) (ok, fatal bool) {
	if l.bucket.allow(now) {
		l.strikes = 0
		return true, false
	}
	l.strikes++
	return false, l.strikes > l.burst
}

// readPump reads until the connection fails, then tells the hub. After a
// fatal refusal (rate-limit strikes, a binary frame, invalid UTF-8) it
// only drains what the client still sends, until the close handshake ends
// the connection.
func (c *conn) readPump() {
	defer func() {
		close(c.readDone)
		c.srv.hub.post(input{kind: inGone, c: c})
		// The hub shuts every connection that is gone; wait for the close
		// so that Shutdown, which waits for the read pumps, also waits
		// for the last write.
		<-c.writerDone
	}()
	draining := false
	beforeLogin := 0
	cfg := &c.srv.cfg
	limit := cfg.MaxMessageBytes
	c.ws.SetReadLimit(int64(limit * hardLimitFactor))
	lim := &limiter{bucket: newTokenBucket(cfg.MessageRate, cfg.MessageBurst, time.Now()), burst: cfg.MessageBurst}
	// Control frames count against the rate like messages, so a ping
	// flood cannot make the server write pongs without limit. A ping over
	// the rate gets no pong (RFC 6455 §5.5.3 lets an endpoint answer only
	// the latest ping); a pong extends the deadline only after login.
	control := func() (answer bool, err error) {
		ok, fatal := lim.take(time.Now())
		if fatal {
			return false, errControlFlood
		}
		return ok, nil
	}
	c.ws.SetPongHandler(func(string) error {
		ok, err := control()
		if ok && c.logged.Load() {
			return c.ws.SetReadDeadline(time.Now().Add(pongWait))
		}
		return err
	})
	c.ws.SetPingHandler(func(data string) error {
		if ok, err := control(); !ok {
			return err
		}
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	for {
		typ, r, err := c.ws.NextReader()
		if err != nil {
			c.readFailed(err)
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
		if err != nil {
			c.readFailed(err)
			return
		}
		c.srv.metrics.msgsIn.Inc()
		if draining {
			continue
		}
		now := time.Now()
		if c.logged.Load() {
			_ = c.ws.SetReadDeadline(now.Add(pongWait))
		}
		// Faults of the websocket layer fail the connection (RFC 6455
		// §7.1.7) with the close code §7.4.1 gives them, and no reply.
		if typ != websocket.TextMessage {
			c.srv.hub.post(input{kind: inClose, c: c, shutCode: websocket.CloseUnsupportedData, text: "binary messages are not part of the protocol: send JSON text"})
			draining = true
			continue
		}
		if len(data) <= limit && !utf8.Valid(data) {
			c.srv.hub.post(input{kind: inClose, c: c, shutCode: websocket.CloseInvalidFramePayloadData, text: "a text message must be valid UTF-8"})
			draining = true
			continue
		}
		if !c.logged.Load() {
			if beforeLogin++; beforeLogin > maxBeforeLogin {
				c.srv.hub.post(input{kind: inClose, c: c, shutCode: websocket.ClosePolicyViolation, text: fmt.Sprintf("%d messages without a login", maxBeforeLogin)})
				draining = true
				continue
			}
		}
		if len(data) > limit {
			c.srv.hub.post(input{kind: inRefuse, c: c, err: fmt.Errorf("%w: message is larger than the limit of %d bytes", ErrInvalidParam, limit)})
			continue
		}
		if ok, fatal := lim.take(now); !ok {
			req, _, _ := signaling.DecodeRequest(data)
			in := input{kind: inRefuse, c: c, id: req.ID, err: fmt.Errorf("%w: more than %g messages per second (burst %d); slow down", ErrRateLimited, cfg.MessageRate, cfg.MessageBurst)}
			if fatal {
				in.shutCode = websocket.ClosePolicyViolation
			}
			c.srv.hub.post(in)
			draining = fatal
			continue
		}
		req, payload, derr := signaling.DecodeRequest(data)
		if derr != nil {
			c.srv.hub.post(input{kind: inRefuse, c: c, id: req.ID, err: derr})
			continue
		}
		c.srv.hub.post(input{kind: inRequest, c: c, req: req, payload: payload, at: now, raw: data})
	}
}

// readFailed handles the error that ended the read pump. gorilla has
// already sent close 1009 for a message over the hard limit; a control
// flood is closed with 1008 here. In both cases the client may still be
// sending: the rest is read off the socket (for at most closeWait) so that
// closing it does not reset the connection before the client reads the
// close frame.
func (c *conn) readFailed(err error) {
	switch {
	case errors.Is(err, errControlFlood):
		cfg := &c.srv.cfg
		c.srv.hub.post(input{kind: inClose, c: c, shutCode: websocket.ClosePolicyViolation,
			text: fmt.Sprintf("more than %g frames per second (burst %d)", cfg.MessageRate, cfg.MessageBurst)})
	case errors.Is(err, websocket.ErrReadLimit):
	default:
		return
	}
	nc := c.ws.UnderlyingConn()
	_ = nc.SetReadDeadline(time.Now().Add(closeWait))
	_, _ = io.Copy(io.Discard, nc)
}
