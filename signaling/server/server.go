package server

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/calla-rtc/calla/signaling/server/cluster"
)

// Server is Calla's signaling server: embeddable (Handler) and stoppable
// (Shutdown).
type Server struct {
	cfg      Config
	log      *slog.Logger
	metrics  *metrics
	hub      *hub
	store    *store
	upgrader websocket.Upgrader
	mux      *http.ServeMux

	mu      sync.Mutex // guards closing and wg.Add against Shutdown's Wait
	closing bool
	wg      sync.WaitGroup // read pumps, each waiting for its connection's last write
	nconns  atomic.Int64
	connIDs atomic.Uint64

	// A cluster node's (cluster.go): its membership, the campaign
	// goroutine and its stop, and goroutines that close a lost term's store.
	node         *cluster.Node
	stopCampaign context.CancelFunc
	campaignDone chan struct{}
	bg           sync.WaitGroup

	shutOnce sync.Once
	shutErr  error
}

// New starts a server: it loads the directory (if cfg.DataDir is set) and
// starts the hub. Call Shutdown to stop it.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, metrics: newMetrics()}
	for _, c := range cfg.Collectors {
		if err := s.metrics.reg.Register(c); err != nil {
			return nil, fmt.Errorf("server: metrics: %w", err)
		}
	}
	ls := &loadedState{}
	if cfg.DataDir != "" {
		if s.store, ls, err = openStore(cfg.DataDir, cfg.Logger, s.metrics); err != nil {
			return nil, err
		}
	}
	if cfg.Cluster != nil {
		// The machine runs on whichever node leads (cluster.go).
		s.hub = newHub(s, nil, nil)
		if err := s.joinCluster(); err != nil {
			return nil, err
		}
	} else {
		s.hub = newHub(s, s.newMachine(ls, s.store != nil), s.store)
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		// The pool keeps the write buffer only while a message is written,
		// which matters for memory per idle connection.
		WriteBufferPool: &sync.Pool{},
		// Any origin: nothing about a socket is ambient (no cookies, no
		// HTTP auth), and a socket does nothing until it logs in with a
		// UserSig, so a page from another site gains nothing a program
		// could not. Clients are the desktop app, headless programs and
		// browser pages (the client at / or one served elsewhere).
		CheckOrigin: func(*http.Request) bool { return true },
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /ws", s.serveWS)
	s.mux.HandleFunc("GET /healthz", s.serveHealth)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	go s.hub.run()
	if s.node != nil {
		var ctx context.Context
		ctx, s.stopCampaign = context.WithCancel(context.Background())
		s.campaignDone = make(chan struct{})
		go s.campaign(ctx)
	}
	return s, nil
}

// newMachine makes the state machine from what a store held; with
// persist, it notes its changes and holds what it sends until they are
// stored.
func (s *Server) newMachine(ls *loadedState, persist bool) *machine {
	m := newMachine(s.cfg, s.metrics, ls.dir, ls.groups)
	// Start room numbers at a random place so that new rooms do not
	// repeat the last run's.
	var b [4]byte
	_, _ = crand.Read(b[:])
	m.nextRoom = int32(binary.BigEndian.Uint32(b[:]) % (1<<31 - 2))
	if persist {
		m.persist()
		m.out = &outbox{}
		if ns, nc := m.restore(ls.state); ns+nc > 0 {
			s.log.Info("restored the state of the last run", "sessions", ns, "calls", nc)
		}
	}
	return m
}

// Handler serves /ws (the websocket), /healthz and /metrics.
func (s *Server) Handler() http.Handler { return s.mux }

// HTTP limits of HTTPServer: what an HTTP connection may cost before it
// becomes a websocket (gorilla clears these deadlines on the upgrade).
const (
	// httpReadTimeout bounds reading one request, headers and body.
	httpReadTimeout = 10 * time.Second
	// httpWriteTimeout bounds writing one response (/metrics the largest).
	httpWriteTimeout = 10 * time.Second
	// httpIdleTimeout closes a kept-alive connection with no next
	// request. Without it net/http keeps one forever, and such
	// connections are not counted by MaxConnections.
	httpIdleTimeout = pongWait
	// httpMaxHeaderBytes caps a request's headers (net/http allows 1 MiB).
	httpMaxHeaderBytes = 64 << 10
)

// HTTPServer returns an http.Server for Handler with limits on what a
// connection may cost before it is a websocket. Serve it, and shut it
// down after Shutdown.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: httpReadTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// Config returns the server's configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if s.store != nil {
		if err := s.store.health(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	if s.node != nil {
		msg, err := s.clusterHealth()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = fmt.Fprintln(w, "ok:", msg)
		return
	}
	_, _ = fmt.Fprintln(w, "ok")
}

// refuseHTTP answers a websocket request that cannot be served with 503
// and a JSON error body.
func refuseHTTP(w http.ResponseWriter, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_ = json.NewEncoder(w).Encode(wireError(err))
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		refuseHTTP(w, fmt.Errorf("%w: the server is shutting down", ErrUnavailable))
		return
	}
	if !s.hub.leaderKnown.Load() {
		s.mu.Unlock()
		refuseHTTP(w, fmt.Errorf("%w: the cluster has no leader at the moment; retry in a few seconds", ErrUnavailable))
		return
	}
	if n := s.nconns.Add(1); n > int64(s.cfg.MaxConnections) {
		s.nconns.Add(-1)
		s.mu.Unlock()
		refuseHTTP(w, fmt.Errorf("%w: the server is full (%d connections); try again later", ErrUnavailable, s.cfg.MaxConnections))
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()

	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.nconns.Add(-1)
		s.wg.Done()
		return // Upgrade answered the client already
	}
	c := newConn(s, ws)
	s.hub.post(input{kind: inOpen, c: c})
	// The read pump gets a goroutine of its own so that this handler
	// returns: net/http then frees its per-connection buffers and the
	// handler's stack, which would otherwise stay for the websocket's life.
	go func() {
		defer s.wg.Done()
		defer s.nconns.Add(-1)
		c.readPump()
	}()
}

// Shutdown tells every client that the server is going away, closes every
// websocket, waits for their goroutines, then stops the hub and writes the
// directory. If ctx ends first, it closes the remaining sockets at once
// and returns ctx's error after they are gone. Directory entries that
// still cannot be written when ctx ends (a full disk) make it return an
// error wrapping ErrStoreWrite that says how many.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() { s.shutErr = s.shutdown(ctx) })
	return s.shutErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.hub.closer <- "the server is shutting down"
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("server: shutdown: %w", ctx.Err())
		s.hub.force <- struct{}{}
		<-done
	}
	close(s.hub.quit)
	<-s.hub.done
	// The hub has stopped: its store (a single server's, or a cluster
	// leader's) is ours now.
	if st := s.hub.store; st != nil {
		// The last writes get what is left of ctx (and one attempt if
		// nothing is).
		if cerr := st.close(ctx); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}
	if s.node != nil {
		s.stopCampaign()
		<-s.campaignDone
		s.bg.Wait()
		s.node.Close()
	}
	return err
}
