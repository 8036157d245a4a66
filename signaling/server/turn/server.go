package turn

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
	pturn "github.com/pion/turn/v5"
)

// Defaults for Config's zero fields.
const (
	// DefaultPort is TURN's registered port (RFC 8656), for UDP and TCP.
	DefaultPort = 3478
	// DefaultRelayMinPort and DefaultRelayMaxPort are the relay port
	// range: the dynamic ports, as coturn's default.
	DefaultRelayMinPort = 49152
	DefaultRelayMaxPort = 65535
	// DefaultUserQuota is the most allocations one user holds at once: a
	// member of a 9-member mesh needs 8 (one per peer), an ICE restart
	// briefly doubles them, and TURN/TCP, where UDP is blocked, needs no
	// more (it replaces the UDP allocation).
	DefaultUserQuota = 24
	// DefaultRealm is the TURN realm.
	DefaultRealm = "calla"
)

// ErrBadConfig indicates a Config the relay cannot run with.
var ErrBadConfig = errors.New("turn: bad config")

// Config sets up a Server. Secret and Listen are required.
type Config struct {
	// Listen is the HOST:PORT the relay listens on, for UDP and TCP. Port
	// 0 picks a free port (the same one for both).
	Listen string
	// PublicIP is the address clients reach the relay at: it goes into
	// the relay addresses of allocations and into URLs. Nil means the
	// Listen host, which must then not be unspecified (0.0.0.0).
	PublicIP net.IP
	// RelayMinPort and RelayMaxPort bound the relay ports (both inclusive).
	RelayMinPort, RelayMaxPort uint16
	// UserQuota caps the allocations one user holds at once; more are
	// refused with 486 (Allocation Quota Reached).
	UserQuota int
	// Secret is the TURN REST shared secret (coturn's static-auth-secret).
	Secret []byte
	// Realm is the TURN realm; empty means DefaultRealm.
	Realm string
	// Net is the network to listen and relay on; nil is the operating
	// system's. A userspace network (pion's vnet) goes here.
	Net transport.Net
	// Logger gets the relay's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock credentials are checked against; nil is time.Now.
	Now func() time.Time
}

// Server is a running TURN relay.
type Server struct {
	cfg     Config
	pub     net.IP
	port    int
	srv     *pturn.Server
	metrics *Metrics

	mu    sync.Mutex
	users map[string]int // allocations held, by user
}

// New starts a relay on cfg.Listen (UDP and TCP).
func New(cfg Config) (*Server, error) {
	if len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("%w: no secret", ErrBadConfig)
	}
	if cfg.RelayMinPort == 0 && cfg.RelayMaxPort == 0 {
		cfg.RelayMinPort, cfg.RelayMaxPort = DefaultRelayMinPort, DefaultRelayMaxPort
	}
	if cfg.RelayMinPort == 0 || cfg.RelayMaxPort < cfg.RelayMinPort {
		return nil, fmt.Errorf("%w: relay ports %d-%d", ErrBadConfig, cfg.RelayMinPort, cfg.RelayMaxPort)
	}
	if cfg.UserQuota <= 0 {
		cfg.UserQuota = DefaultUserQuota
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Net == nil {
		n, err := stdnet.NewNet()
		if err != nil {
			return nil, fmt.Errorf("turn: network: %w", err)
		}
		cfg.Net = n
	}
	host, portText, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("%w: listen address %q: %w", ErrBadConfig, cfg.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("%w: listen port %q", ErrBadConfig, portText)
	}
	ip := net.ParseIP(host)
	if host == "" {
		ip = net.IPv4zero
	}
	if ip == nil || ip.To4() == nil {
		return nil, fmt.Errorf("%w: listen host %q is not an IPv4 address", ErrBadConfig, host)
	}
	pub := cfg.PublicIP
	if pub == nil {
		if ip.IsUnspecified() {
			return nil, fmt.Errorf("%w: listening on %s needs a public IP for the relay addresses", ErrBadConfig, cfg.Listen)
		}
		pub = ip
	}
	if pub.To4() == nil || pub.IsUnspecified() {
		return nil, fmt.Errorf("%w: public IP %v is not a usable IPv4 address", ErrBadConfig, pub)
	}
	s := &Server{cfg: cfg, pub: pub.To4(), metrics: newMetrics(), users: map[string]int{}}
	udp, tcp, err := listenBoth(cfg.Net, ip, port)
	if err != nil {
		return nil, err
	}
	s.port = udp.LocalAddr().(*net.UDPAddr).Port
	gen := func() pturn.RelayAddressGenerator {
		return &countingRelays{inner: &pturn.RelayAddressGeneratorPortRange{
			RelayAddress: s.pub,
			Address:      ip.String(),
			MinPort:      cfg.RelayMinPort,
			MaxPort:      cfg.RelayMaxPort,
			MaxRetries:   50,
			Net:          cfg.Net,
		}, m: s.metrics}
	}
	lf := pionLogs{cfg.Logger.With("component", "turn")}
	s.srv, err = pturn.NewServer(pturn.ServerConfig{
		Realm:             cfg.Realm,
		LoggerFactory:     lf,
		AuthHandler:       s.authenticate,
		QuotaHandler:      s.quota,
		EventHandler:      pturn.EventHandler{OnAllocationCreated: s.created, OnAllocationDeleted: s.deleted},
		PacketConnConfigs: []pturn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: gen()}},
		ListenerConfigs:   []pturn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: gen()}},
	})
	if err != nil {
		_ = udp.Close()
		_ = tcp.Close()
		return nil, fmt.Errorf("turn: start: %w", err)
	}
	return s, nil
}

// listenBoth opens UDP and TCP on the same port; with port 0, the UDP
// socket picks it and TCP follows (retrying if that port is taken for TCP).
func listenBoth(n transport.Net, ip net.IP, port int) (net.PacketConn, net.Listener, error) {
	for try := 0; ; try++ {
		udp, err := n.ListenPacket("udp4", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
		if err != nil {
			return nil, nil, fmt.Errorf("turn: listen udp: %w", err)
		}
		p := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := n.ListenTCP("tcp4", &net.TCPAddr{IP: ip, Port: p})
		if err == nil {
			return udp, tcp, nil
		}
		_ = udp.Close()
		if port != 0 || try == 20 {
			return nil, nil, fmt.Errorf("turn: listen tcp: %w", err)
		}
	}
}

// authenticate checks a TURN REST username and gives pion the key of the
// password that goes with it; pion then checks the request's integrity.
func (s *Server) authenticate(ra *pturn.RequestAttributes) (userID string, key []byte, ok bool) {
	user, err := CheckUsername(ra.Username, s.cfg.Now())
	if err != nil {
		s.metrics.authFailures.Inc()
		s.cfg.Logger.Debug("TURN credential refused", "from", ra.SrcAddr, "err", err)
		return "", nil, false
	}
	return user, pturn.GenerateAuthKey(ra.Username, ra.Realm, password64(s.cfg.Secret, ra.Username)), true
}

// quota refuses an allocation past the user's quota.
func (s *Server) quota(user, _ string, _ net.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[user] >= s.cfg.UserQuota {
		s.metrics.quotaRefusals.Inc()
		s.cfg.Logger.Info("TURN allocation quota reached", "user", user, "quota", s.cfg.UserQuota)
		return false
	}
	return true
}

func (s *Server) created(src, _ net.Addr, _, user, _ string, _ net.Addr, _ int) {
	s.mu.Lock()
	s.users[user]++
	s.mu.Unlock()
	s.metrics.allocated(transportOf(src))
}

func (s *Server) deleted(src, _ net.Addr, _, user, _ string) {
	s.mu.Lock()
	if s.users[user]--; s.users[user] <= 0 {
		delete(s.users, user)
	}
	s.mu.Unlock()
	s.metrics.released(transportOf(src))
}

// transportOf is how a client reaches the relay: "tcp" or "udp" (pion's
// protocol argument is the relayed transport, always UDP).
func transportOf(client net.Addr) string {
	if _, ok := client.(*net.TCPAddr); ok {
		return "tcp"
	}
	return "udp"
}

// Port is the port the relay listens on (UDP and TCP).
func (s *Server) Port() int { return s.port }

// URLs are the ICE server URLs clients use: STUN, TURN over UDP and TURN
// over TCP, all at the public IP.
func (s *Server) URLs() []string {
	hp := net.JoinHostPort(s.pub.String(), strconv.Itoa(s.port))
	return []string{"stun:" + hp, "turn:" + hp + "?transport=udp", "turn:" + hp + "?transport=tcp"}
}

// Allocations is how many allocations are live.
func (s *Server) Allocations() int { return s.srv.AllocationCount() }

// Metrics are the relay's Prometheus metrics.
func (s *Server) Metrics() *Metrics { return s.metrics }

// Close stops the listeners and releases every allocation.
func (s *Server) Close() error { return s.srv.Close() }
