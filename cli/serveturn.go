package cli

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/calla-rtc/calla/signaling/server"
	"github.com/calla-rtc/calla/signaling/server/turn"
)

// turnFlags are `calla serve`'s TURN settings: the built-in relay, or an
// external one (coturn) that shares the secret.
type turnFlags struct {
	on, listen, publicIP, relayPorts, quota, secretFile, urls, ttl string
}

// errTURNSecret indicates a TURN secret that could not be read or made:
// a runtime failure, where the other setup errors are usage errors.
var errTURNSecret = errors.New("TURN secret")

// turnSecretFile is the TURN secret's file in --data when no
// --turn-secret-file is given.
const turnSecretFile = "turn.secret"

func (f *turnFlags) declare(env *Env, fs *flag.FlagSet) {
	envString(env, fs, &f.on, "turn", "CALLA_TURN", "true", "run the built-in TURN relay (false: none; --turn-urls: use an external one)")
	envString(env, fs, &f.listen, "turn-listen", "CALLA_TURN_LISTEN", "", "`HOST:PORT` the relay listens on, UDP and TCP (default: --addr's host, port 3478; a free port when --addr's port is 0)")
	envString(env, fs, &f.publicIP, "turn-public-ip", "CALLA_TURN_PUBLIC_IP", "", "the relay's `IP` as clients reach it (default: the listen host; for 0.0.0.0, this host's first non-loopback IPv4 address)")
	envString(env, fs, &f.relayPorts, "turn-relay-ports", "CALLA_TURN_RELAY_PORTS", fmt.Sprintf("%d-%d", turn.DefaultRelayMinPort, turn.DefaultRelayMaxPort), "`MIN-MAX` UDP ports for relay addresses")
	envString(env, fs, &f.quota, "turn-user-quota", "CALLA_TURN_USER_QUOTA", strconv.Itoa(turn.DefaultUserQuota), "most relay allocations one user holds at once")
	envString(env, fs, &f.secretFile, "turn-secret-file", "CALLA_TURN_SECRET_FILE", "", "`FILE` with the TURN REST secret (coturn's static-auth-secret; default: "+turnSecretFile+" in --data, else a new one per run)")
	envString(env, fs, &f.urls, "turn-urls", "CALLA_TURN_URLS", "", "comma-separated turn:/stun: `URLs` of an external relay (coturn with use-auth-secret) sharing --turn-secret-file, instead of the built-in one")
	envString(env, fs, &f.ttl, "turn-credential-ttl", "CALLA_TURN_CREDENTIAL_TTL", "0s", "how long a TURN credential lasts from login or resume (0: until the user's UserSig expires)")
}

// turnSetup is what the flags ask for: a relay to start (cfg) and what
// the signaling server hands out.
type turnSetup struct {
	builtIn bool
	cfg     turn.Config
	handout server.TURNConfig
}

// setup reads the flags. addr is --addr; data is --data.
func (f *turnFlags) setup(addr, data string, log *slog.Logger) (turnSetup, error) {
	var ts turnSetup
	on, err := strconv.ParseBool(f.on)
	if err != nil {
		return ts, fmt.Errorf("--turn %q: want true or false", f.on)
	}
	if ts.handout.TTL, err = time.ParseDuration(f.ttl); err != nil || ts.handout.TTL < 0 {
		return ts, fmt.Errorf("--turn-credential-ttl %q: want a duration such as 12h (0: the UserSig's life)", f.ttl)
	}
	external := strings.TrimSpace(f.urls) != ""
	if !on && !external {
		return ts, nil
	}
	switch {
	case f.secretFile != "":
		ts.handout.Secret, err = server.LoadSecret(f.secretFile)
	case external:
		return ts, errors.New("--turn-urls needs --turn-secret-file: the secret the external relay checks credentials with")
	case data != "":
		path := filepath.Join(data, turnSecretFile)
		ts.handout.Secret, err = server.LoadOrCreateSecret(path, log)
	default:
		// Nothing to keep it in: the built-in relay and this run's
		// credentials share a secret that lives as long as the process.
		var b [32]byte
		_, err = rand.Read(b[:])
		ts.handout.Secret = []byte(hex.EncodeToString(b[:]))
	}
	if err != nil {
		return ts, fmt.Errorf("%w: %w", errTURNSecret, err)
	}
	if external {
		for _, u := range strings.Split(f.urls, ",") {
			u = strings.TrimSpace(u)
			if !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") && !strings.HasPrefix(u, "stun:") {
				return ts, fmt.Errorf("--turn-urls: %q is not a turn:, turns: or stun: URL", u)
			}
			ts.handout.URLs = append(ts.handout.URLs, u)
		}
		return ts, nil
	}
	ts.builtIn = true
	c := &ts.cfg
	c.Secret = ts.handout.Secret
	c.Logger = log
	if c.UserQuota, err = strconv.Atoi(f.quota); err != nil || c.UserQuota < 1 {
		return ts, fmt.Errorf("--turn-user-quota %q: want a number of at least 1", f.quota)
	}
	lo, hi, ok := strings.Cut(f.relayPorts, "-")
	pmin, err1 := strconv.ParseUint(lo, 10, 16)
	pmax, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil || pmin == 0 || pmax < pmin {
		return ts, fmt.Errorf("--turn-relay-ports %q: want MIN-MAX, such as 49152-65535", f.relayPorts)
	}
	c.RelayMinPort, c.RelayMaxPort = uint16(pmin), uint16(pmax)
	c.Listen = f.listen
	if c.Listen == "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return ts, fmt.Errorf("--addr %q: %w", addr, err)
		}
		tp := strconv.Itoa(turn.DefaultPort)
		if port == "0" {
			tp = "0" // tests and parallel servers: a free port, as --addr's
		}
		c.Listen = net.JoinHostPort(host, tp)
	}
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return ts, fmt.Errorf("--turn-listen %q: %w", c.Listen, err)
	}
	if host != "" && net.ParseIP(host) == nil {
		// A host name (--addr localhost:8443): the relay needs an address.
		a, err := net.ResolveIPAddr("ip4", host)
		if err != nil {
			return ts, fmt.Errorf("--turn-listen %q: %w", c.Listen, err)
		}
		host = a.IP.String()
		c.Listen = net.JoinHostPort(host, port)
	}
	switch {
	case f.publicIP != "":
		if c.PublicIP = net.ParseIP(f.publicIP).To4(); c.PublicIP == nil {
			return ts, fmt.Errorf("--turn-public-ip %q: want an IPv4 address", f.publicIP)
		}
	case host == "" || net.ParseIP(host).IsUnspecified():
		ip, err := firstPublicIPv4()
		if err != nil {
			return ts, fmt.Errorf("--turn-public-ip is needed: %w", err)
		}
		c.PublicIP = ip
		log.Warn("TURN relay addresses use this host's first non-loopback address; set --turn-public-ip if clients reach it at another (NAT)", "ip", ip)
	}
	return ts, nil
}

// firstPublicIPv4 is the first IPv4 address of an up, non-loopback interface.
func firstPublicIPv4() (net.IP, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
				return n.IP.To4(), nil
			}
		}
	}
	return nil, errors.New("this host has no non-loopback IPv4 address")
}
