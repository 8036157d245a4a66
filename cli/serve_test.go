package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/calla-rtc/calla/signaling"
	"github.com/calla-rtc/calla/signaling/server"
	"github.com/calla-rtc/calla/signaling/server/cluster"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// files and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (cert, key string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "calla test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return cert, key, pool
}

// TestServe runs `calla serve` over plain ws and over wss: /healthz
// answers, a client made from `calla usersig` logs in, and cancelling
// stops it with status 0.
func TestServe(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		name := "ws"
		if tlsOn {
			name = "wss"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			secretFile := filepath.Join(dir, "secret")
			if err := os.WriteFile(secretFile, []byte("0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			addr := freeAddr(t)
			args := []string{"--addr", addr, "--secret-file", secretFile, "--data", dir, "--log-level", "warn", "--ice-servers", "stun:127.0.0.1:3478,turn:127.0.0.1:3478", "--turn-username", "u", "--turn-credential", "p", "--turn=false"}
			httpc := http.DefaultClient
			dialer := websocket.DefaultDialer
			scheme := "http"
			if tlsOn {
				cert, key, pool := selfSigned(t, dir)
				args = append(args, "--tls-cert", cert, "--tls-key", key)
				tc := &tls.Config{RootCAs: pool}
				httpc = &http.Client{Transport: &http.Transport{TLSClientConfig: tc}}
				dialer = &websocket.Dialer{TLSClientConfig: tc, HandshakeTimeout: 5 * time.Second}
				scheme = "https"
			}
			var stderr bytes.Buffer
			env := &Env{Stdout: &bytes.Buffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			go func() { done <- runServe(ctx, env, args) }()
			defer func() {
				cancel()
				if code := <-done; code != ExitOK {
					t.Errorf("serve exited %d: %s", code, stderr.String())
				}
			}()
			deadline := time.Now().Add(10 * time.Second)
			for {
				resp, err := httpc.Get(scheme + "://" + addr + "/healthz")
				if err == nil {
					_ = resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("no /healthz: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			var out bytes.Buffer
			uenv := &Env{Stdout: &out, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
			if code := runUserSig(ctx, uenv, []string{"--secret-file", secretFile, "--user", "alice", "--expire", "1h"}); code != ExitOK {
				t.Fatalf("usersig exited %d", code)
			}
			wsScheme := strings.Replace(scheme, "http", "ws", 1)
			dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
			defer dcancel()
			c, err := signaling.Dial(dctx, signaling.ClientConfig{URL: wsScheme + "://" + addr + "/ws", UserID: "alice", UserSig: strings.TrimSpace(out.String()), Dialer: dialer})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ice := c.ICEServers()
			if len(ice) != 2 || ice[1].Username != "u" || ice[1].Credential != "p" || ice[0].Username != "" {
				t.Errorf("ICE servers %+v", ice)
			}
		})
	}
}

func TestServeUsage(t *testing.T) {
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
	if code := runServe(context.Background(), env, []string{"--addr", "127.0.0.1:0"}); code != ExitUsage {
		t.Errorf("no secret: exit %d, want %d", code, ExitUsage)
	}
	if code := runServe(context.Background(), env, []string{"--secret-file", "x", "--tls-cert", "c"}); code != ExitUsage {
		t.Errorf("cert without key: exit %d", code)
	}
	if code := runUserSig(context.Background(), env, []string{"--user", "alice"}); code != ExitUsage {
		t.Errorf("usersig without secret: exit %d", code)
	}
	if code := runUserSig(context.Background(), env, []string{"--secret-file", "x", "--user", "alice", "--expire", "soon"}); code != ExitUsage {
		t.Errorf("usersig with a bad expiry: exit %d", code)
	}
}

func TestUserSigCommandVerifies(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "secret")
	if err := os.WriteFile(f, []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		if k == "CALLA_USER" {
			return "bob" // flags read their environment variables
		}
		return ""
	}}
	if code := runUserSig(context.Background(), env, []string{"--secret-file", f}); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	secret, _ := server.LoadSecret(f)
	info, err := signaling.VerifyUserSig(secret, server.DefaultAppID, "bob", strings.TrimSpace(out.String()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(info.Expires); d < 167*time.Hour || d > 169*time.Hour {
		t.Errorf("default expiry %v, want 168h", d)
	}
}

// TestServeLimitFlags: every limit docs/protocol.md calls configurable has
// a flag whose --help quotes the server's default, and the flag reaches
// the server's config (issue 11: the doc promised flags that did not
// exist).
func TestServeLimitFlags(t *testing.T) {
	code, out, _ := run(t, nil, nil, "serve", "--help")
	if code != ExitOK {
		t.Fatalf("serve --help exited %d", code)
	}
	defaults := map[string]string{
		"login-timeout":     server.DefaultLoginTimeout.String(),
		"max-message-bytes": strconv.Itoa(server.DefaultMaxMessageBytes),
		"message-rate":      strconv.Itoa(server.DefaultMessageRate),
		"message-burst":     strconv.Itoa(server.DefaultMessageBurst),
		"send-queue":        strconv.Itoa(server.DefaultSendQueue),
		"max-conns":         strconv.Itoa(server.DefaultMaxConnections),
		"grace":             server.DefaultGrace.String(),
		"call-grace":        server.DefaultCallGrace.String(),
		"nats-prefix":       cluster.DefaultPrefix,
		"nats-replicas":     strconv.Itoa(cluster.DefaultReplicas),
		"invite-timeout":    server.DefaultInviteTimeout.String(),
	}
	for flag, def := range defaults {
		i := strings.Index(out, "  -"+flag+" ")
		if i < 0 {
			t.Errorf("serve --help has no --%s", flag)
			continue
		}
		entry, _, _ := strings.Cut(out[i+3:], "\n  -")
		if !strings.Contains(entry, `(default "`+def+`")`) {
			t.Errorf("--%s: help %q does not quote the default %s", flag, entry, def)
		}
	}

	var f serveFlags
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		return map[string]string{"CALLA_SEND_QUEUE": "77"}[k]
	}}
	fs := newFlags(env, "serve", "")
	f.declare(env, fs)
	dir := t.TempDir()
	if err := fs.Parse([]string{"--data", dir, "--login-timeout", "3s", "--max-message-bytes", "2048", "--message-rate", "7.5", "--message-burst", "9", "--call-grace", "25s"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.config(quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LoginTimeout != 3*time.Second || cfg.MaxMessageBytes != 2048 || cfg.MessageRate != 7.5 || cfg.MessageBurst != 9 || cfg.SendQueue != 77 ||
		cfg.CallGrace != 25*time.Second || cfg.Cluster != nil {
		t.Fatalf("config %+v", cfg)
	}
	for _, bad := range [][]string{{"--send-queue", "0"}, {"--message-rate", "-1"}, {"--login-timeout", "soon"}, {"--max-message-bytes", "1k"}, {"--call-grace", "0s"},
		{"--nats", "nats://127.0.0.1:4222"}} { // --nats with --data
		f = serveFlags{}
		fs := newFlags(env, "serve", "")
		f.declare(env, fs)
		if err := fs.Parse(append([]string{"--data", dir}, bad...)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.config(quietLog()); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: got %v, want an error naming the flag", bad, err)
		}
	}
}

// TestServeClusterFlags: --nats makes the server a cluster node, with the
// state in NATS (so --secret-file and no --data), and bad names are
// usage errors that name the flag.
func TestServeClusterFlags(t *testing.T) {
	parse := func(args ...string) (server.Config, error) {
		var f serveFlags
		env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(string) string { return "" }}
		fs := newFlags(env, "serve", "")
		f.declare(env, fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return f.config(quietLog())
	}
	cfg, err := parse("--secret-file", "s", "--nats", "nats://a:4222, nats://b:4222", "--node", "n1", "--nats-replicas", "1")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Cluster
	if c == nil || strings.Join(c.URLs, " ") != "nats://a:4222 nats://b:4222" || c.Node != "n1" || c.Prefix != cluster.DefaultPrefix || c.Replicas != 1 || cfg.DataDir != "" {
		t.Fatalf("cluster config %+v (data %q)", c, cfg.DataDir)
	}
	cfg, err = parse("--secret-file", "s", "--nats", "nats://a:4222")
	if err != nil || cfg.Cluster.Node == "" || cluster.CheckName(cfg.Cluster.Node) != nil {
		t.Fatalf("default node name %q: %v", cfg.Cluster.Node, err)
	}
	for _, bad := range [][]string{
		{"--nats", "nats://a:4222"}, // no secret file
		{"--secret-file", "s", "--nats", " , "},
		{"--secret-file", "s", "--nats", "nats://a:4222", "--node", "a.b"},
		{"--secret-file", "s", "--nats", "nats://a:4222", "--nats-prefix", "x y"},
		{"--secret-file", "s", "--nats", "nats://a:4222", "--nats-replicas", "0"},
	} {
		if _, err := parse(bad...); err == nil {
			t.Errorf("%v: no error", bad)
		} else if !strings.Contains(err.Error(), "--n") {
			t.Errorf("%v: %v does not name the flag", bad, err)
		}
	}
}
