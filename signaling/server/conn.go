package server

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

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
	// sendQueue is how many messages may wait for a connection's writer;
	// a client that falls that far behind is cut off (it can resume).
	sendQueue = 256
	// hardLimitFactor: a message more than this many times MaxMessageBytes
	// closes the connection instead of being refused.
	hardLimitFactor = 4
	// closeWait is how long the write pump waits, after sending a close
	// frame, for the client's close frame before closing the socket.
	// Closing at once could reset the connection (unread data) and lose
	// the close frame and the replies before it.
	closeWait = time.Second
)

// conn is one websocket. Its read pump (the HTTP handler's goroutine)
// decodes requests and posts them to the hub; its write pump writes what
// the hub queues on send. The hub alone enqueues and closes send; the
// fields marked hub-only are touched by the hub goroutine alone.
type conn struct {
	srv  *Server
	ws   *websocket.Conn
	send chan []byte

	isShut    bool // hub-only
	closeCode int  // hub-only until send is closed, then the write pump's
	closeText string

	logged   atomic.Bool
	readDone chan struct{} // closed when the read pump returns
}

func newConn(srv *Server, ws *websocket.Conn) *conn {
	return &conn{srv: srv, ws: ws, send: make(chan []byte, sendQueue), readDone: make(chan struct{})}
}

func (c *conn) enqueue(b []byte) bool {
	if c.isShut {
		return true // closing: nothing more goes out, and that is not a slow reader
	}
	select {
	case c.send <- b:
		return true
	default:
		return false
	}
}

func (c *conn) shut(code int, text string) {
	if c.isShut {
		return
	}
	c.isShut = true
	c.closeCode, c.closeText = code, text
	close(c.send)
}

func (c *conn) loggedIn() { c.logged.Store(true) }

// readPump reads until the connection fails, then tells the hub. After a
// fatal refusal (login timeout, rate-limit strikes) it only drains what the
// client still sends, until the close handshake ends the connection.
func (c *conn) readPump() {
	defer close(c.readDone)
	defer c.srv.hub.post(input{kind: inGone, c: c})
	draining := false
	cfg := &c.srv.cfg
	limit := cfg.MaxMessageBytes
	start := time.Now()
	c.ws.SetReadLimit(int64(limit * hardLimitFactor))
	_ = c.ws.SetReadDeadline(start.Add(cfg.LoginTimeout))
	c.ws.SetPongHandler(func(string) error {
		return c.ws.SetReadDeadline(time.Now().Add(pongWait))
	})
	bucket := newTokenBucket(cfg.MessageRate, cfg.MessageBurst, start)
	strikes := 0
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla has sent close 1009; read the rest of the
				// oversized message off the socket so that closing it
				// does not reset the connection before the client reads
				// the close frame.
				nc := c.ws.UnderlyingConn()
				_ = nc.SetReadDeadline(time.Now().Add(closeWait))
				_, _ = io.Copy(io.Discard, nc)
			}
			return
		}
		data, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
		if err != nil {
			return
		}
		c.srv.metrics.messages.WithLabelValues("in").Inc()
		if draining {
			continue
		}
		now := time.Now()
		if c.logged.Load() {
			_ = c.ws.SetReadDeadline(now.Add(pongWait))
		} else if now.Sub(start) > cfg.LoginTimeout {
			c.srv.hub.post(input{kind: inRefuse, c: c, err: fmt.Errorf("%w: log in within %v of connecting", ErrNotLoggedIn, cfg.LoginTimeout), shutCode: signaling.CloseLoginTimeout})
			draining = true
			continue
		}
		if len(data) > limit {
			c.srv.hub.post(input{kind: inRefuse, c: c, err: fmt.Errorf("%w: message is larger than the limit of %d bytes", ErrInvalidParam, limit)})
			continue
		}
		if !bucket.allow(now) {
			strikes++
			req, _, _ := signaling.DecodeRequest(data)
			in := input{kind: inRefuse, c: c, id: req.ID, err: fmt.Errorf("%w: more than %g messages per second (burst %d); slow down", ErrRateLimited, cfg.MessageRate, cfg.MessageBurst)}
			if strikes > cfg.MessageBurst {
				in.shutCode = websocket.ClosePolicyViolation
			}
			c.srv.hub.post(in)
			draining = in.shutCode != 0
			continue
		}
		strikes = 0
		req, payload, derr := signaling.DecodeRequest(data)
		if derr != nil {
			c.srv.hub.post(input{kind: inRefuse, c: c, id: req.ID, err: derr})
			continue
		}
		c.srv.hub.post(input{kind: inRequest, c: c, req: req, payload: payload})
	}
}

// writePump writes queued messages and pings until send is closed or a
// write fails; then it closes the websocket, which ends the read pump.
func (c *conn) writePump() {
	ticker := time.NewTicker(pingPeriod)
	defer func() {
		ticker.Stop()
		_ = c.ws.Close()
	}()
	for {
		select {
		case b, ok := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if !ok {
				_ = c.ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(c.closeCode, c.closeText))
				t := time.NewTimer(closeWait)
				select {
				case <-c.readDone:
				case <-t.C:
				}
				t.Stop()
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
				return
			}
			c.srv.metrics.messages.WithLabelValues("out").Inc()
		case <-ticker.C:
			_ = c.ws.SetWriteDeadline(time.Now().Add(writeWait))
			if err := c.ws.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
